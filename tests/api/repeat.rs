//! Participants' actions and the repeat of a rejected approval.

use reqwest::{StatusCode, multipart};

use crate::helpers::{STEP_ONE, TestApp, User, sample, texts};

/// An approval ГАТИ has refused.
async fn rejected(app: &TestApp) -> i64 {
    let id = app.approval_waiting_for_gati().await;
    let gati = app.login("gati").await;
    gati.complete_mandatory_actions(app, id).await;
    let participant = app.participant_of(id, "gati").await;
    let response = gati
        .decide(id, participant, "refuse", "Нет схемы движения")
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.status_of(id).await, "rejected");
    id
}

/// The action of the participant `login` in the approval, with whether it is mandatory.
async fn action_of(app: &TestApp, id: i64, login: &str) -> i64 {
    sqlx::query_scalar!(
        r#"
        SELECT a.id FROM approval_actions a
        JOIN approval_participants p ON p.id = a.participant_id
        JOIN users u ON u.organisation_id = p.organisation_id
        WHERE p.approval_id = $1 AND u.login = $2
        "#,
        id,
        login
    )
    .fetch_one(&app.db)
    .await
    .expect("action")
}

async fn action_done(app: &TestApp, action: i64) -> bool {
    sqlx::query_scalar!(
        r#"SELECT done_at IS NOT NULL AS "done!" FROM approval_actions WHERE id = $1"#,
        action
    )
    .fetch_one(&app.db)
    .await
    .expect("action")
}

async fn complete(user: &User, id: i64, action: i64, comment: &str) -> reqwest::Response {
    let form = multipart::Form::new().text("comment", comment.to_owned());
    user.post_multipart(&format!("/approvals/{id}/actions/{action}/complete"), form)
        .await
}

#[tokio::test]
async fn the_actions_table_names_the_participant_and_shows_the_manuals_columns() {
    let app = TestApp::spawn().await;
    let id = app.launched_approval().await;
    let kio = app.login("kio").await;
    let participant = app.participant_of(id, "kio").await;
    let action = action_of(&app, id, "kio").await;
    let url = format!("/approvals/{id}/participants/{participant}/actions");

    let card = kio.page(&format!("/approvals/{id}")).await;
    let links = texts(
        &card,
        &format!("tr[data-participant='{participant}'] a[href='{url}']"),
    );
    assert_eq!(links, ["Выполнить действие (1)"]);

    let page = kio.page(&url).await;
    assert_eq!(
        texts(&page, "table.actions thead th"),
        [
            "Статус",
            "Описание действия",
            "Плановая дата окончания",
            "Ожидаемая дата окончания",
            "Фактическая дата окончания",
            "Является обязательным",
            "Исполнитель",
            "Комментарий",
            "Результат действия",
        ]
    );
    assert!(texts(&page, "p strong").contains(&"КИО".to_owned()));
    let row = texts(&page, "table.actions tbody tr:first-child td");
    assert_eq!(row[0], "В работе");
    assert_eq!(row[1], "Выдать разрешение на использование земель");
    assert_eq!(row[2], "20.03.2027", "launch 12.03 + 8 days");
    assert_eq!(row[5], "Да");

    let mut form = multipart::Form::new().text("comment", "Разрешение выдано");
    let pdf = std::fs::read(sample("documents/Заявление.pdf")).expect("sample");
    form = form.part(
        "files",
        multipart::Part::bytes(pdf).file_name("Разрешение.pdf"),
    );
    let response = kio
        .post_multipart(&format!("/approvals/{id}/actions/{action}/complete"), form)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let page = kio.page(&url).await;
    let row = texts(&page, "table.actions tbody tr:first-child td");
    assert_eq!(row[0], "Выполнено");
    assert_eq!(row[4], "12.03.2027");
    assert!(!row[6].is_empty(), "the executor is named");
    assert_eq!(row[7], "Разрешение выдано");
    assert_eq!(row[8], "📎 1");
}

#[tokio::test]
async fn a_held_decision_names_the_open_mandatory_action() {
    let app = TestApp::spawn().await;
    let id = app.launched_approval().await;
    let kio = app.login("kio").await;
    let participant = app.participant_of(id, "kio").await;

    let refused = kio.decide(id, participant, "approve", "").await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let body = refused.text().await.expect("body");
    assert!(
        body.contains(
            "не выполнены обязательные действия: «Выдать разрешение на использование земель»"
        ),
        "{body}"
    );
    let decided = sqlx::query_scalar!(
        "SELECT decided_at FROM approval_participants WHERE id = $1",
        participant
    )
    .fetch_one(&app.db)
    .await
    .expect("participant");
    assert_eq!(decided, None, "nothing recorded");
}

#[tokio::test]
async fn an_optional_action_does_not_hold_the_decision() {
    let app = TestApp::spawn().await;
    let id = app.launched_approval().await;
    let kb = app.login("kb").await;
    let participant = app.participant_of(id, "kb").await;
    let action = action_of(&app, id, "kb").await;

    let response = kb.decide(id, participant, "approve", "").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        !action_done(&app, action).await,
        "still open, and no obstacle"
    );
}

#[tokio::test]
async fn an_action_is_done_only_by_its_own_organisation() {
    let app = TestApp::spawn().await;
    let id = app.launched_approval().await;
    let action = action_of(&app, id, "kio").await;

    let kga = app.login("kga").await;
    let response = complete(&kga, id, action, "Чужое").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let rso = app.login("rso").await;
    let response = complete(&rso, id, action, "Инициатор").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(!action_done(&app, action).await);

    let kio = app.login("kio").await;
    assert_eq!(
        complete(&kio, id, action, "Своё").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        complete(&kio, id, action, "Ещё раз").await.status(),
        StatusCode::CONFLICT,
        "done once"
    );
}

/// Folder documents of an approval with the SHA-256s of their bytes and signatures.
async fn case_file_hashes(app: &TestApp, id: i64) -> Vec<String> {
    sqlx::query_scalar!(
        r#"
        SELECT concat_ws(' ', d.id, d.original_name, d.sha256,
                         string_agg(s.sha256 || '/' || s.verdict, ',' ORDER BY s.id))
            AS "line!"
        FROM documents d LEFT JOIN signatures s ON s.document_id = d.id
        WHERE d.approval_id = $1
        GROUP BY d.id ORDER BY d.id
        "#,
        id
    )
    .fetch_all(&app.db)
    .await
    .expect("documents")
}

async fn folder_documents(app: &TestApp, id: i64) -> Vec<(i64, i64)> {
    sqlx::query!(
        r#"SELECT id, folder_id AS "folder_id!" FROM documents
           WHERE approval_id = $1 AND folder_id IS NOT NULL ORDER BY id"#,
        id
    )
    .fetch_all(&app.db)
    .await
    .expect("documents")
    .into_iter()
    .map(|r| (r.id, r.folder_id))
    .collect()
}

/// Posts the repeat form of `primary` with the fields changed a little and these documents.
async fn start_repeat(user: &User, primary: i64, documents: &[i64]) -> reqwest::Response {
    let ids: Vec<String> = documents.iter().map(i64::to_string).collect();
    let mut form = vec![
        ("name", "Подключение жилого дома (повторно)"),
        ("subject", "Разрешение на производство земляных работ"),
        ("works_address", "Санкт-Петербург, ул. Примерная, д. 1"),
        ("cadastral_number", "78:12:0001234:56"),
        ("network_kind", "Теплоснабжение"),
        ("description", "Схема движения добавлена"),
    ];
    for id in &ids {
        form.push(("document", id));
    }
    user.post_form(&format!("/approvals/{primary}/repeat"), &form)
        .await
}

/// How many repeats name `primary`.
async fn repeats_of(app: &TestApp, primary: i64) -> i64 {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM approvals WHERE primary_approval_id = $1"#,
        primary
    )
    .fetch_one(&app.db)
    .await
    .expect("count")
}

fn id_in_location(response: &reqwest::Response) -> i64 {
    response.headers()["location"]
        .to_str()
        .expect("location")
        .trim_start_matches("/approvals/")
        .trim_end_matches("/edit")
        .parse()
        .expect("approval id")
}

#[tokio::test]
async fn a_repeat_copies_the_chosen_documents_independently_and_is_approved_anew() {
    let app = TestApp::spawn().await;
    let primary = rejected(&app).await;
    let rso = app.login("rso").await;
    let before = case_file_hashes(&app, primary).await;
    let primary_archive = rso
        .get(&format!("/approvals/{primary}/archive"))
        .await
        .bytes()
        .await
        .expect("archive");

    let card = rso.page(&format!("/approvals/{primary}")).await;
    assert_eq!(
        texts(&card, &format!("a[href='/approvals/{primary}/repeat']")),
        ["Повторное согласование"]
    );
    let form = rso.page(&format!("/approvals/{primary}/repeat")).await;
    let prefilled = form
        .select(&scraper::Selector::parse("input[name=name]").expect("selector"))
        .next()
        .and_then(|input| input.value().attr("value"))
        .map(str::to_owned);
    assert_eq!(prefilled.as_deref(), Some("Подключение жилого дома"));
    let offered = texts(&form, "table.copy-choices tbody tr").len();
    let documents = folder_documents(&app, primary).await;
    assert_eq!(offered, documents.len());

    let all: Vec<i64> = documents.iter().map(|(id, _)| *id).collect();
    let response = start_repeat(&rso, primary, &all).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let repeat = id_in_location(&response);
    // The primary's card links to the repeat for those who may open it: while it is a
    // draft, the initiator's staff, not the participants.
    let link = format!("a[href='/approvals/{repeat}']");
    let rso_card = rso.page(&format!("/approvals/{primary}")).await;
    assert_eq!(texts(&rso_card, &link).len(), 1);
    let kga = app.login("kga").await;
    let kga_card = kga.page(&format!("/approvals/{primary}")).await;
    assert!(texts(&kga_card, &link).is_empty());
    let edit = rso.page(&format!("/approvals/{repeat}/edit")).await;
    let number = sqlx::query_scalar!("SELECT number FROM approvals WHERE id = $1", primary)
        .fetch_one(&app.db)
        .await
        .expect("number");
    assert_eq!(
        texts(&edit, "p.primary-ref a"),
        std::slice::from_ref(&number),
        "«Номер первичной заявки» filled"
    );
    let copies = case_file_hashes(&app, repeat).await;
    assert_eq!(copies.len(), before.len());
    for (copy, original) in copies.iter().zip(&before) {
        let strip = |line: &str| line.split_once(' ').map(|(_, rest)| rest.to_owned());
        assert_eq!(
            strip(copy),
            strip(original),
            "same name, bytes and signatures"
        );
    }

    // Replace one copy and delete another; the primary keeps every byte and signature.
    let copied = folder_documents(&app, repeat).await;
    let (replaced, folder) = copied[0];
    let response = rso
        .post_form(
            &format!("/approvals/{repeat}/documents/{replaced}/delete"),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let bytes = std::fs::read(sample("documents/Проект производства работ.pdf")).expect("pdf");
    let signature =
        std::fs::read(sample("signatures/Проект производства работ.pdf.p7s")).expect("sig");
    let response = rso
        .upload_files(
            repeat,
            folder,
            &[
                ("Проект производства работ.pdf", &bytes),
                ("Проект производства работ.pdf.p7s", &signature),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (deleted, _) = copied[1];
    let response = rso
        .post_form(
            &format!("/approvals/{repeat}/documents/{deleted}/delete"),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = rso
        .post_form(
            &format!("/approvals/{repeat}/documents/{deleted}/delete"),
            &[],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "gone from the copy"
    );
    let response = rso
        .upload_files(
            repeat,
            copied[1].1,
            &[
                (
                    "Заявление.pdf",
                    &std::fs::read(sample("documents/Заявление.pdf")).expect("pdf"),
                ),
                (
                    "Заявление.pdf.sig",
                    &std::fs::read(sample("signatures/Заявление.pdf.sig")).expect("sig"),
                ),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    assert_eq!(case_file_hashes(&app, primary).await, before);
    let archive_again = rso
        .get(&format!("/approvals/{primary}/archive"))
        .await
        .bytes()
        .await
        .expect("archive");
    assert_eq!(
        archive_again.len(),
        primary_archive.len(),
        "the primary's archive is the same"
    );
    let (first, _) = documents[0];
    let download = rso
        .get(&format!("/approvals/{primary}/documents/{first}"))
        .await
        .bytes()
        .await
        .expect("download");
    assert_eq!(
        download.as_ref(),
        std::fs::read(sample("documents/Заявление.pdf"))
            .expect("pdf")
            .as_slice()
    );

    // Launch as usual: every participant decides again.
    let response = rso
        .post_form(&format!("/approvals/{repeat}/launch"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let kga_card = kga.page(&format!("/approvals/{primary}")).await;
    assert_eq!(
        texts(&kga_card, &link).len(),
        1,
        "launched, it is theirs too"
    );
    for login in STEP_ONE.iter().copied().chain(["gati"]) {
        let user = app.login(login).await;
        user.complete_mandatory_actions(&app, repeat).await;
        let participant = app.participant_of(repeat, login).await;
        let response = user.decide(repeat, participant, "approve", "").await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{login} decides again"
        );
    }
    assert_eq!(app.status_of(repeat).await, "approved");

    // The cards link both ways.
    let primary_card = rso.page(&format!("/approvals/{primary}")).await;
    assert_eq!(
        texts(
            &primary_card,
            &format!("dl.header-fields a[href='/approvals/{repeat}']")
        )
        .len(),
        1
    );
    assert!(
        texts(
            &primary_card,
            &format!("a[href='/approvals/{primary}/repeat']")
        )
        .is_empty(),
        "no second repeat offered"
    );
    let repeat_card = rso.page(&format!("/approvals/{repeat}")).await;
    assert_eq!(
        texts(
            &repeat_card,
            &format!("dl.header-fields a[href='/approvals/{primary}']")
        ),
        [number]
    );
}

#[tokio::test]
async fn a_second_repeat_is_refused_until_the_first_draft_is_deleted() {
    let app = TestApp::spawn().await;
    let primary = rejected(&app).await;
    let rso = app.login("rso").await;
    let first = start_repeat(&rso, primary, &[]).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let repeat = id_in_location(&first);
    assert!(
        folder_documents(&app, repeat).await.is_empty(),
        "nothing ticked, nothing copied"
    );

    let second = start_repeat(&rso, primary, &[]).await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    let body = second.text().await.expect("body");
    assert!(body.contains("уже начато повторное согласование"), "{body}");
    let form = rso.get(&format!("/approvals/{primary}/repeat")).await;
    assert_eq!(form.status(), StatusCode::CONFLICT);
    assert_eq!(repeats_of(&app, primary).await, 1);

    let response = rso
        .post_form(&format!("/approvals/{repeat}/delete"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let again = start_repeat(&rso, primary, &[]).await;
    assert_eq!(
        again.status(),
        StatusCode::SEE_OTHER,
        "the place is free again"
    );
}

#[tokio::test]
async fn two_repeats_started_at_once_make_one_draft() {
    let app = TestApp::spawn().await;
    let primary = rejected(&app).await;
    let (a, b) = (app.login("rso").await, app.login("rso").await);
    let (first, second) = tokio::join!(
        start_repeat(&a, primary, &[]),
        start_repeat(&b, primary, &[])
    );
    let mut statuses = [first.status(), second.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
}

#[tokio::test]
async fn only_the_initiator_repeats_and_only_a_rejected_approval() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let running = app.launched_approval().await;
    let response = start_repeat(&rso, running, &[]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("только по отклонённому")
    );

    let approved = app.approval_waiting_for_gati().await;
    let gati = app.login("gati").await;
    gati.complete_mandatory_actions(&app, approved).await;
    let participant = app.participant_of(approved, "gati").await;
    gati.decide(approved, participant, "approve", "").await;
    assert_eq!(app.status_of(approved).await, "approved");
    let response = start_repeat(&rso, approved, &[]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);

    let rejected = rejected(&app).await;
    let viewer = app.login("rso-viewer").await;
    assert_eq!(
        start_repeat(&viewer, rejected, &[]).await.status(),
        StatusCode::FORBIDDEN,
        "a colleague without the create right"
    );
    let gati = app.login("gati").await;
    assert_eq!(
        start_repeat(&gati, rejected, &[]).await.status(),
        StatusCode::FORBIDDEN,
        "a participant"
    );
    let other = app.login("rso2").await;
    assert_eq!(
        start_repeat(&other, rejected, &[]).await.status(),
        StatusCode::NOT_FOUND,
        "another organisation does not see it"
    );
    let repeats = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM approvals WHERE primary_approval_id IS NOT NULL"#
    )
    .fetch_one(&app.db)
    .await
    .expect("count");
    assert_eq!(repeats, 0, "nothing was created");
    let card = viewer.page(&format!("/approvals/{rejected}")).await;
    assert!(texts(&card, &format!("a[href='/approvals/{rejected}/repeat']")).is_empty());
}

#[tokio::test]
async fn a_repeat_starts_from_create_by_the_primary_number() {
    let app = TestApp::spawn().await;
    let primary = rejected(&app).await;
    let running = app.launched_approval().await;
    let number_of = |id: i64| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar!("SELECT number FROM approvals WHERE id = $1", id)
                .fetch_one(&db)
                .await
                .expect("number")
        }
    };
    let rso = app.login("rso").await;
    let create = rso.page("/approvals/new").await;
    assert_eq!(texts(&create, "label:has(input[name=number])").len(), 1);

    let number = number_of(primary).await;
    let response = rso
        .get(&format!("/approvals/repeat?number=%20{number}%20"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        format!("/approvals/{primary}/repeat").as_str()
    );

    let response = rso.get("/approvals/repeat?number=2099-999999").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = scraper::Html::parse_document(&response.text().await.expect("body"));
    assert_eq!(
        texts(&page, "div.error li"),
        ["Согласование с номером «2099-999999» не найдено."]
    );

    let running_number = number_of(running).await;
    let response = rso
        .get(&format!("/approvals/repeat?number={running_number}"))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.expect("body");
    assert!(body.contains("только по отклонённому"), "{body}");

    let other = app.login("rso2").await;
    let response = other
        .get(&format!("/approvals/repeat?number={number}"))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.expect("body");
    assert!(
        body.contains("не найдено"),
        "a foreign approval is not revealed"
    );
}

#[tokio::test]
async fn a_repeat_of_an_approval_on_a_retired_route_asks_for_another_route() {
    let app = TestApp::spawn().await;
    let primary = rejected(&app).await;
    sqlx::query!("UPDATE routes SET retired_at = now()")
        .execute(&app.db)
        .await
        .expect("retire");
    let rso = app.login("rso").await;
    let form = rso.page(&format!("/approvals/{primary}/repeat")).await;
    assert_eq!(texts(&form, "select[name=route_id]").len(), 1);

    let response = start_repeat(&rso, primary, &[]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = scraper::Html::parse_document(&response.text().await.expect("body"));
    assert_eq!(
        texts(&page, "div.error li"),
        ["Маршрут первичного согласования больше не действует: выберите другой маршрут."]
    );
    assert_eq!(repeats_of(&app, primary).await, 0);
}

#[tokio::test]
async fn a_repeat_form_with_bad_fields_is_shown_again_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let primary = rejected(&app).await;
    let rso = app.login("rso").await;
    let documents = folder_documents(&app, primary).await;
    let ticked = documents[0].0.to_string();
    let response = rso
        .post_form(
            &format!("/approvals/{primary}/repeat"),
            &[
                ("name", "  "),
                ("subject", "Земляные работы"),
                ("works_address", "Санкт-Петербург"),
                ("network_kind", "Теплоснабжение"),
                ("document", &ticked),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = scraper::Html::parse_document(&response.text().await.expect("body"));
    assert_eq!(
        texts(&page, "div.error li"),
        ["Заполните поле «Наименование»."]
    );
    let checked = texts(&page, "table.copy-choices input[checked]").len();
    assert_eq!(checked, 1, "the ticks are kept");
    assert_eq!(repeats_of(&app, primary).await, 0);
}
