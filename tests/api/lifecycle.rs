//! The approval lifecycle from draft to the final decision.

use reqwest::{StatusCode, multipart};
use scraper::Html;

use crate::helpers::{STEP_ONE, TestApp, count, sample, stored_files, texts};

#[tokio::test]
async fn an_approval_goes_from_draft_to_approved_when_gati_approves() {
    let app = TestApp::spawn().await;
    let id = app.approval_waiting_for_gati().await;
    assert_eq!(app.status_of(id).await, "running");

    let gati = app.login("gati").await;
    gati.complete_mandatory_actions(&app, id).await;
    let participant = app.participant_of(id, "gati").await;
    let response = gati
        .decide(id, participant, "approve", "Ордер оформлен")
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    assert_eq!(app.status_of(id).await, "approved");
    let rso = app.login("rso").await;
    let card = rso.page(&format!("/approvals/{id}")).await;
    assert_eq!(texts(&card, "dd.status"), ["Согласовано"]);
    let completed = sqlx::query_scalar!("SELECT completed_at FROM approvals WHERE id = $1", id)
        .fetch_one(&app.db)
        .await
        .expect("approval");
    assert!(completed.is_some());
}

#[tokio::test]
async fn gati_refusing_rejects_the_approval_even_after_step_one_approved() {
    let app = TestApp::spawn().await;
    let id = app.approval_waiting_for_gati().await;
    let gati = app.login("gati").await;
    gati.complete_mandatory_actions(&app, id).await;
    let participant = app.participant_of(id, "gati").await;

    let response = gati
        .decide(id, participant, "refuse", "Нет схемы движения")
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.status_of(id).await, "rejected");
}

#[tokio::test]
async fn a_refusal_in_step_one_does_not_stop_the_approval() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    let kga = app.login("kga").await;
    let participant = app.participant_of(id, "kga").await;

    let response = kga
        .decide(id, participant, "refuse", "Нарушены красные линии")
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.status_of(id).await, "running");
    let owner1 = app.login("owner1").await;
    let card = owner1.page(&format!("/approvals/{id}")).await;
    assert!(texts(&card, "table.decisions td").contains(&"Нарушены красные линии".to_owned()));
}

#[tokio::test]
async fn numbers_carry_the_year_of_creation_and_a_sequence() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let route = app.route_id().await;
    let first = rso.create_draft(route, "Первое").await;
    let second = rso.create_draft(route, "Второе").await;
    let numbers = sqlx::query_scalar!(
        "SELECT number FROM approvals WHERE id = ANY($1) ORDER BY id",
        &[first, second]
    )
    .fetch_all(&app.db)
    .await
    .expect("numbers");
    assert_eq!(numbers, ["2027-000001", "2027-000002"]);
}

#[tokio::test]
async fn launch_is_refused_while_a_required_folder_is_empty_and_says_which() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = rso
        .create_draft(app.route_id().await, "Без документов")
        .await;

    let response = rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;

    assert_eq!(response.status(), StatusCode::CONFLICT);
    let page = Html::parse_document(&response.text().await.expect("body"));
    let message = texts(&page, "[role=alert]").join(" ");
    assert!(message.contains("«Заявление»"), "{message}");
    assert!(
        message.contains("«Технические условия на подключение»"),
        "{message}"
    );
    assert_eq!(app.status_of(id).await, "draft");
    let confirm = rso.page(&format!("/approvals/{id}/launch")).await;
    assert!(texts(&confirm, "button").iter().all(|b| b != "Ок"));
}

#[tokio::test]
async fn launch_plans_the_dates_of_the_spec_example() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;

    let response = rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let card = rso.page(&format!("/approvals/{id}")).await;
    let rows = texts(&card, "table.decisions tbody tr");
    let kga = rows.iter().find(|r| r.contains("КГА")).expect("КГА row");
    assert!(kga.contains("12.03.2027 20.03.2027"), "{kga}");
    let gati = rows.iter().find(|r| r.contains("ГАТИ")).expect("ГАТИ row");
    assert!(gati.contains("20.03.2027 24.03.2027"), "{gati}");
    let planned = sqlx::query_scalar!(
        "SELECT planned_completion_date FROM approvals WHERE id = $1",
        id
    )
    .fetch_one(&app.db)
    .await
    .expect("approval");
    assert_eq!(
        planned.map(|d| d.to_string()).as_deref(),
        Some("2027-03-24")
    );
}

#[tokio::test]
async fn a_refusal_without_a_comment_is_refused_and_records_nothing() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    let kga = app.login("kga").await;
    let participant = app.participant_of(id, "kga").await;

    let response = kga.decide(id, participant, "refuse", "   ").await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = Html::parse_document(&response.text().await.expect("body"));
    assert!(
        texts(&page, "[role=alert]")
            .join(" ")
            .contains("Комментарий")
    );
    let decision = sqlx::query_scalar!(
        "SELECT decision FROM approval_participants WHERE id = $1",
        participant
    )
    .fetch_one(&app.db)
    .await
    .expect("participant");
    assert_eq!(decision, None);
}

#[tokio::test]
async fn gati_cannot_decide_before_step_one_is_done() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    let gati = app.login("gati").await;
    let participant = app.participant_of(id, "gati").await;

    let response = gati.decide(id, participant, "approve", "").await;

    assert_eq!(response.status(), StatusCode::CONFLICT);
    let list = gati.page("/approvals").await;
    assert_eq!(
        texts(&list, "td.marks .mark.not-yet").len(),
        1,
        "marked as not possible yet"
    );
}

#[tokio::test]
async fn a_decision_posted_out_of_turn_with_a_document_stores_nothing() {
    let app = TestApp::spawn().await;
    let id = app.launched_approval().await;
    let gati = app.login("gati").await;
    let participant = app.participant_of(id, "gati").await;
    let order = std::fs::read(sample("documents/Заявление.pdf")).expect("sample");
    let form = multipart::Form::new()
        .text("decision", "approve")
        .text("comment", "Ордер оформлен")
        .part(
            "files",
            multipart::Part::bytes(order).file_name("Ордер.pdf"),
        );

    let response = gati
        .post_multipart(
            &format!("/approvals/{id}/participants/{participant}/decision"),
            form,
        )
        .await;

    assert_eq!(response.status(), StatusCode::CONFLICT);
    let decision_documents = format!("documents WHERE participant_id = {participant}");
    assert_eq!(count(&app, &decision_documents).await, 0);
    let decided =
        format!("approval_participants WHERE approval_id = {id} AND decision IS NOT NULL");
    assert_eq!(count(&app, &decided).await, 0);
}

#[tokio::test]
async fn an_action_posted_by_someone_who_may_not_act_stores_no_document() {
    let app = TestApp::spawn().await;
    let id = app.launched_approval().await;
    let action = sqlx::query_scalar!(
        r#"
        SELECT a.id FROM approval_actions a
        JOIN approval_participants p ON p.id = a.participant_id
        JOIN users u ON u.organisation_id = p.organisation_id
        WHERE p.approval_id = $1 AND u.login = 'kio'
        ORDER BY a.position LIMIT 1
        "#,
        id
    )
    .fetch_one(&app.db)
    .await
    .expect("КИО's action");
    let stored_before = stored_files(&app.storage_dir);
    // The initiator sees the approval but acts for no participant.
    let rso = app.login("rso").await;
    let form = multipart::Form::new().text("comment", "Выполнено").part(
        "files",
        multipart::Part::bytes(b"%PDF-1.4 not KIO's result".to_vec()).file_name("Акт.pdf"),
    );

    let response = rso
        .post_multipart(&format!("/approvals/{id}/actions/{action}/complete"), form)
        .await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        stored_files(&app.storage_dir),
        stored_before,
        "no bytes kept"
    );
    let documents = format!("documents WHERE action_id = {action}");
    assert_eq!(count(&app, &documents).await, 0);
    let done = format!("approval_actions WHERE id = {action} AND done_at IS NOT NULL");
    assert_eq!(count(&app, &done).await, 0);
}

#[tokio::test]
async fn a_decision_posted_with_a_document_by_someone_who_may_not_decide_stores_nothing() {
    let app = TestApp::spawn().await;
    let id = app.launched_approval().await;
    let participant = app.participant_of(id, "kt").await;
    let stored_before = stored_files(&app.storage_dir);
    // КГА takes part in the approval, but decides for itself only.
    let kga = app.login("kga").await;
    let form = multipart::Form::new()
        .text("decision", "approve")
        .text("comment", "Согласовано за КТ")
        .part(
            "files",
            multipart::Part::bytes(b"%PDF-1.4 not KT's result".to_vec()).file_name("Ответ.pdf"),
        );

    let response = kga
        .post_multipart(
            &format!("/approvals/{id}/participants/{participant}/decision"),
            form,
        )
        .await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        stored_files(&app.storage_dir),
        stored_before,
        "no bytes kept"
    );
    let documents = format!("documents WHERE participant_id = {participant}");
    assert_eq!(count(&app, &documents).await, 0);
    let decided =
        format!("approval_participants WHERE id = {participant} AND decision IS NOT NULL");
    assert_eq!(count(&app, &decided).await, 0);
}

#[tokio::test]
async fn a_decision_waits_for_the_mandatory_actions() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    let kio = app.login("kio").await;
    let participant = app.participant_of(id, "kio").await;

    let refused = kio.decide(id, participant, "approve", "").await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);

    kio.complete_mandatory_actions(&app, id).await;
    let accepted = kio.decide(id, participant, "approve", "").await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn two_users_deciding_at_once_produce_exactly_one_decision() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    let participant = app.participant_of(id, "kga").await;
    let first = app.login("kga").await;
    let second = app.login("kga").await;

    let (a, b) = tokio::join!(
        first.decide(id, participant, "approve", "Согласовано"),
        second.decide(id, participant, "refuse", "Отказ"),
    );

    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    let decided = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM audit_events WHERE approval_id = $1 AND kind = 'decided'"#,
        id
    )
    .fetch_one(&app.db)
    .await
    .expect("audit");
    assert_eq!(decided, 1);
}

#[tokio::test]
async fn uploaded_documents_download_with_their_cyrillic_names_and_bytes() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = rso.create_draft(app.route_id().await, "Документы").await;
    let (folder, _, _) = app.folders(id).await[0].clone();
    let bytes = std::fs::read(sample("documents/Проект производства работ.pdf")).expect("sample");

    let response = rso
        .upload(
            id,
            folder,
            r"C:\Документы\Проект производства работ.pdf",
            &bytes,
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let card = rso.page(&format!("/approvals/{id}?tab=case")).await;
    let names = texts(&card, "table.case-file tbody td.doc-name a");
    assert_eq!(names, ["Проект производства работ.pdf"]);
    let document = sqlx::query_scalar!("SELECT id FROM documents WHERE approval_id = $1", id)
        .fetch_one(&app.db)
        .await
        .expect("document");
    let download = rso
        .get(&format!("/approvals/{id}/documents/{document}"))
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    assert!(
        disposition.contains("filename*=UTF-8''%D0%9F%D1%80%D0%BE%D0%B5%D0%BA%D1%82%20"),
        "{disposition}"
    );
    assert_eq!(
        download.bytes().await.expect("body").as_ref(),
        bytes.as_slice()
    );
}

#[tokio::test]
async fn an_oversized_upload_is_refused_with_a_russian_message_and_stores_nothing() {
    let app = TestApp::spawn_with(|c| c.max_upload_bytes = 1024).await;
    let rso = app.login("rso").await;
    let id = rso.create_draft(app.route_id().await, "Большой файл").await;
    let (folder, _, _) = app.folders(id).await[0].clone();

    let response = rso.upload(id, folder, "big.bin", &vec![7u8; 4096]).await;

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let page = Html::parse_document(&response.text().await.expect("body"));
    assert!(
        texts(&page, "[role=alert]")
            .join(" ")
            .contains("больше допустимого размера")
    );
    let count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM documents WHERE approval_id = $1"#,
        id
    )
    .fetch_one(&app.db)
    .await
    .expect("count");
    assert_eq!(count, 0);
    assert_eq!(
        rso.get("/approvals").await.status(),
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn a_draft_can_be_edited_and_deleted_but_a_launched_one_cannot() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    let edit = [
        ("name", "Новое имя"),
        ("subject", "Новый предмет"),
        ("works_address", "Санкт-Петербург, Невский пр., 2"),
        ("cadastral_number", ""),
        ("network_kind", "Водоснабжение"),
        ("description", ""),
    ];

    assert_eq!(
        rso.post_form(&format!("/approvals/{id}/edit"), &edit)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let card = rso.page(&format!("/approvals/{id}")).await;
    assert!(texts(&card, "dl.header-fields dd").contains(&"Новое имя".to_owned()));

    rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    let response = rso.post_form(&format!("/approvals/{id}/edit"), &edit).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let response = rso.post_form(&format!("/approvals/{id}/delete"), &[]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);

    let other = rso.create_draft(app.route_id().await, "Удаляемый").await;
    assert_eq!(
        rso.post_form(&format!("/approvals/{other}/delete"), &[])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        rso.get(&format!("/approvals/{other}")).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn every_step_one_participant_is_marked_to_decide_in_the_list() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    for login in STEP_ONE {
        let user = app.login(login).await;
        let list = user.page("/approvals").await;
        assert_eq!(
            texts(&list, "td.marks .mark.decide").len(),
            1,
            "{login} sees the mark"
        );
    }
}

#[tokio::test]
async fn the_history_tab_lists_every_change() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;

    let history = rso.page(&format!("/approvals/{id}?tab=history")).await;

    let rows = texts(&history, "table.history tbody tr");
    assert!(
        rows.first().is_some_and(|r| r.contains("Создан черновик")),
        "{rows:?}"
    );
    assert!(
        rows.last()
            .is_some_and(|r| r.contains("Согласование запущено")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .filter(|r| r.contains("добавлен в папку"))
            .count()
            >= 4
    );
}
