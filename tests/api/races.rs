//! Requests that arrive together: each state change is applied once and the loser is told.

use futures_util::future::join_all;
use reqwest::{StatusCode, multipart};

use crate::helpers::{TestApp, count, sample};

#[tokio::test]
async fn fifty_approve_and_refuse_pairs_at_once_leave_exactly_one_decision_each() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let mut approvals = Vec::new();
    for _ in 0..50 {
        let id = app.ready_draft(&rso).await;
        let launched = rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
        assert_eq!(launched.status(), StatusCode::SEE_OTHER);
        approvals.push((id, app.participant_of(id, "kb").await));
    }
    let approving = app.login("kb").await;
    let refusing = app.login("kb").await;

    let requests = approvals.iter().flat_map(|&(id, seat)| {
        [
            approving.decide(id, seat, "approve", "Согласовано"),
            refusing.decide(id, seat, "refuse", "Отказ"),
        ]
    });
    let responses = join_all(requests).await;
    let mut won = 0;
    for response in responses {
        match response.status() {
            StatusCode::SEE_OTHER => won += 1,
            StatusCode::CONFLICT => {
                let text = response.text().await.expect("body");
                assert!(text.contains("уже"), "the loser is told: {text}");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(won, 50, "one winner a pair");
    for &(id, seat) in &approvals {
        let decisions = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM audit_events WHERE approval_id = $1 AND kind = 'decided'"#,
            id
        )
        .fetch_one(&app.db)
        .await
        .expect("audit");
        assert_eq!(decisions, 1, "approval {id}");
        let decided = sqlx::query_scalar!(
            "SELECT decision FROM approval_participants WHERE id = $1",
            seat
        )
        .fetch_one(&app.db)
        .await
        .expect("seat");
        assert!(decided.is_some(), "approval {id} has its decision");
    }
}

#[tokio::test]
async fn a_launch_sent_twice_at_once_launches_once() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    let path = format!("/approvals/{id}/launch");
    let (a, b) = tokio::join!(rso.post_form(&path, &[]), rso.post_form(&path, &[]));
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    assert_eq!(
        count(
            &app,
            &format!("audit_events WHERE approval_id = {id} AND kind = 'launched'")
        )
        .await,
        1
    );
    assert_eq!(app.status_of(id).await, "running");
}

#[tokio::test]
async fn a_new_approval_form_sent_twice_at_once_makes_one_draft() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let form = rso.page("/approvals/new").await;
    let token: Vec<String> = form
        .select(&scraper::Selector::parse("input[name=submission]").expect("selector"))
        .filter_map(|e| e.value().attr("value").map(str::to_owned))
        .collect();
    assert_eq!(token.len(), 1, "the form carries its token");
    let route = app.route_id().await.to_string();
    let fields = [
        ("route_id", route.as_str()),
        ("name", "Подключение школы"),
        ("subject", "Разрешение на производство земляных работ"),
        ("works_address", "Санкт-Петербург, ул. Примерная, д. 2"),
        ("cadastral_number", "78:12:0001234:57"),
        ("network_kind", "Теплоснабжение"),
        ("description", ""),
        ("submission", token[0].as_str()),
    ];
    let before = count(&app, "approvals").await;
    let (a, b) = tokio::join!(
        rso.post_form("/approvals", &fields),
        rso.post_form("/approvals", &fields)
    );
    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    assert_eq!(
        a.headers()["location"],
        b.headers()["location"],
        "both land on the one draft"
    );
    assert_eq!(count(&app, "approvals").await, before + 1);
    // Sent again later, the same form still makes nothing new.
    let again = rso.post_form("/approvals", &fields).await;
    assert_eq!(again.headers()["location"], a.headers()["location"]);
    assert_eq!(count(&app, "approvals").await, before + 1);
    // A fresh form makes a fresh draft.
    let fresh: Vec<(&str, &str)> = fields
        .iter()
        .copied()
        .filter(|(k, _)| *k != "submission")
        .collect();
    rso.post_form("/approvals", &fresh).await;
    assert_eq!(count(&app, "approvals").await, before + 2);
}

#[tokio::test]
async fn an_upload_form_sent_twice_at_once_adds_its_files_once() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = rso.create_draft(app.route_id().await, "Котельная").await;
    let edit = rso.page(&format!("/approvals/{id}/edit")).await;
    let token = edit
        .select(&scraper::Selector::parse("form.upload input[name=submission]").expect("selector"))
        .filter_map(|e| e.value().attr("value").map(str::to_owned))
        .next()
        .expect("the upload form carries a token");
    let (folder_id, _, _) = app.folders(id).await[0].clone();
    let bytes = std::fs::read(sample("documents/Заявление.pdf")).expect("sample");
    let form = || {
        multipart::Form::new()
            .text("submission", token.clone())
            .part(
                "files",
                multipart::Part::bytes(bytes.clone()).file_name("Заявление.pdf"),
            )
    };
    let path = format!("/approvals/{id}/folders/{folder_id}/documents");
    let (a, b) = tokio::join!(
        rso.post_multipart(&path, form()),
        rso.post_multipart(&path, form())
    );
    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    let documents = format!("documents WHERE approval_id = {id} AND folder_id = {folder_id}");
    assert_eq!(count(&app, &documents).await, 1, "added once");
    // The one that added nothing says so on the page it leads to.
    let mut locations: Vec<String> = [&a, &b]
        .iter()
        .map(|r| {
            r.headers()["location"]
                .to_str()
                .expect("location")
                .to_owned()
        })
        .collect();
    locations.sort();
    assert_eq!(
        locations,
        [
            format!("/approvals/{id}/edit#folder-{folder_id}"),
            format!("/approvals/{id}/edit?again=1#folder-{folder_id}"),
        ]
    );
    let told = rso.page(&format!("/approvals/{id}/edit?again=1")).await;
    assert_eq!(
        crate::helpers::texts(&told, "div.error li"),
        [
            "Эта форма уже была отправлена, и её файлы уже в папке. Чтобы добавить другие файлы, \
          выберите их и отправьте снова."
        ]
    );
    // The page shown again has a new token: the same file can be added on purpose.
    let edit = rso.page(&format!("/approvals/{id}/edit")).await;
    let fresh = edit
        .select(&scraper::Selector::parse("form.upload input[name=submission]").expect("selector"))
        .filter_map(|e| e.value().attr("value").map(str::to_owned))
        .next()
        .expect("token");
    assert_ne!(fresh, token);
    let again = multipart::Form::new().text("submission", fresh).part(
        "files",
        multipart::Part::bytes(bytes.clone()).file_name("Заявление.pdf"),
    );
    rso.post_multipart(&path, again).await;
    assert_eq!(count(&app, &documents).await, 2);
}

#[tokio::test]
async fn a_burst_of_guessed_passwords_gets_five_tries_and_then_waits() {
    let app = TestApp::spawn().await;
    let visitors: Vec<_> = (0..20).map(|_| app.anonymous()).collect();

    let tries = visitors.iter().enumerate().map(|(n, visitor)| {
        let guess = format!("guess-{n}");
        async move {
            visitor
                .post_form("/login", &[("login", "kga"), ("password", guess.as_str())])
                .await
                .status()
        }
    });
    let statuses = join_all(tries).await;

    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let held = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, held), (5, 15), "{statuses:?}");
    let right = app
        .anonymous()
        .post_form("/login", &[("login", "kga"), ("password", "demo1234")])
        .await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// Each folder's form has its own token: files sent through two folders' forms of one page
/// (another tab, the back button) are both added.
#[tokio::test]
async fn two_folders_forms_of_one_page_each_add_their_files() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = rso.create_draft(app.route_id().await, "Котельная").await;
    let edit = rso.page(&format!("/approvals/{id}/edit")).await;
    let forms: Vec<(String, String)> = edit
        .select(&scraper::Selector::parse("form.upload").expect("selector"))
        .map(|form| {
            let action = form.value().attr("action").expect("action").to_owned();
            let token = form
                .select(&scraper::Selector::parse("input[name=submission]").expect("selector"))
                .filter_map(|e| e.value().attr("value").map(str::to_owned))
                .next()
                .expect("token");
            (action, token)
        })
        .collect();
    assert!(forms.len() >= 2, "{forms:?}");
    assert_ne!(forms[0].1, forms[1].1, "each form its own token");
    let bytes = std::fs::read(sample("documents/Заявление.pdf")).expect("sample");
    for (action, token) in &forms[..2] {
        let form = multipart::Form::new()
            .text("submission", token.clone())
            .part(
                "files",
                multipart::Part::bytes(bytes.clone()).file_name("Заявление.pdf"),
            );
        let sent = rso.post_multipart(action, form).await;
        assert_eq!(sent.status(), StatusCode::SEE_OTHER);
        assert!(
            !sent.headers()["location"]
                .to_str()
                .expect("location")
                .contains("again")
        );
    }
    assert_eq!(
        count(&app, &format!("documents WHERE approval_id = {id}")).await,
        2
    );
}
