//! Signature files on the pages: verdicts, signer details, and the launch condition.

use reqwest::{StatusCode, multipart};
use scraper::Html;

use crate::helpers::{TestApp, User, sample, texts};

fn read(path: &str) -> Vec<u8> {
    std::fs::read(sample(path)).expect("sample file")
}

async fn signature_form(
    user: &User,
    id: i64,
    document: i64,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = multipart::Part::bytes(bytes).file_name(name.to_owned());
    let form = multipart::Form::new().part("files", part);
    user.post_multipart(
        &format!("/approvals/{id}/documents/{document}/signatures"),
        form,
    )
    .await
}

async fn document_named(app: &TestApp, id: i64, name: &str) -> i64 {
    sqlx::query_scalar!(
        "SELECT id FROM documents WHERE approval_id = $1 AND original_name = $2 ORDER BY id LIMIT 1",
        id,
        name
    )
    .fetch_one(&app.db)
    .await
    .expect("document")
}

async fn verdicts(app: &TestApp, document: i64) -> Vec<String> {
    sqlx::query_scalar!(
        "SELECT verdict FROM signatures WHERE document_id = $1 ORDER BY id",
        document
    )
    .fetch_all(&app.db)
    .await
    .expect("signatures")
}

#[tokio::test]
async fn launch_is_refused_while_a_file_is_unsigned_or_its_signature_is_invalid() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    let folder = app.folders(id).await[4].0; // «Прочие документы», not required
    rso.upload(
        id,
        folder,
        "Проект производства работ.pdf",
        &read("documents/Проект производства работ.pdf"),
    )
    .await;

    let response = rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let message = texts(
        &Html::parse_document(&response.text().await.expect("body")),
        "[role=alert]",
    )
    .join(" ");
    assert!(
        message.contains("«Проект производства работ.pdf» в папке «Прочие документы» не подписан"),
        "{message}"
    );

    let document = document_named(&app, id, "Проект производства работ.pdf").await;
    let wrong = read("signatures/Заявление.pdf.sig");
    let response = signature_form(&rso, id, document, "Заявление.pdf.sig", wrong).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(verdicts(&app, document).await, ["digest_mismatch"]);
    let response = rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let message = texts(
        &Html::parse_document(&response.text().await.expect("body")),
        "[role=alert]",
    )
    .join(" ");
    assert!(message.contains("недействительна"), "{message}");

    let signature =
        sqlx::query_scalar!("SELECT id FROM signatures WHERE document_id = $1", document)
            .fetch_one(&app.db)
            .await
            .expect("signature");
    let removed = rso
        .post_form(
            &format!("/approvals/{id}/documents/{document}/signatures/{signature}/delete"),
            &[],
        )
        .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    let right = read("signatures/Проект производства работ.pdf.rsa.sig");
    signature_form(
        &rso,
        id,
        document,
        "Проект производства работ.pdf.rsa.sig",
        right,
    )
    .await;
    assert_eq!(verdicts(&app, document).await, ["valid"]);
    let response = rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.status_of(id).await, "running");
}

#[tokio::test]
async fn the_signature_page_shows_the_signer_and_masks_snils_for_public_viewers() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    let document = document_named(&app, id, "Заявление.pdf").await;

    let page = rso
        .page(&format!("/approvals/{id}/documents/{document}/signatures"))
        .await;
    let rows = texts(&page, "table.signer tr");
    let row = |label: &str| {
        rows.iter()
            .find(|r| r.starts_with(label))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        row("Результат проверки"),
        "Результат проверки Подпись действительна"
    );
    assert_eq!(
        row("Владелец сертификата"),
        "Владелец сертификата Иванов Пётр Сергеевич"
    );
    assert_eq!(row("Организация"), "Организация ГУП «Инженерные сети»");
    assert_eq!(row("СНИЛС"), "СНИЛС 11223344595");
    assert_eq!(row("ИНН"), "ИНН 781234567890");
    assert_eq!(row("ОГРН"), "ОГРН 1027800000001");
    assert!(row("Алгоритм").contains("34.10-2012"), "{rows:?}");
    assert!(
        row("Цепочка сертификатов").contains("не проверялась"),
        "{rows:?}"
    );
    let warning = texts(&page, "p.warning").join(" ");
    assert!(
        warning.contains("не совпадает с ИНН организации"),
        "{warning}"
    );

    rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    let viewer = app.login("public-viewer").await;
    let page = viewer
        .page(&format!("/approvals/{id}/documents/{document}/signatures"))
        .await;
    let rows = texts(&page, "table.signer tr");
    assert!(
        rows.contains(&"СНИЛС ***-***-*** 95".to_owned()),
        "{rows:?}"
    );
    let signature =
        sqlx::query_scalar!("SELECT id FROM signatures WHERE document_id = $1", document)
            .fetch_one(&app.db)
            .await
            .expect("signature");
    let download = viewer
        .get(&format!(
            "/approvals/{id}/documents/{document}/signatures/{signature}"
        ))
        .await;
    assert_eq!(download.status(), StatusCode::FORBIDDEN);
    let download = rso
        .get(&format!(
            "/approvals/{id}/documents/{document}/signatures/{signature}"
        ))
        .await;
    assert_eq!(
        download.bytes().await.expect("body").as_ref(),
        read("signatures/Заявление.pdf.sig")
    );
}

#[tokio::test]
async fn with_a_trust_store_the_chain_to_the_test_ca_is_reported_trusted() {
    let trusted = std::env::temp_dir().join(format!("essk-trust-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&trusted).expect("dir");
    for ca in ["ca-gost.crt", "ca-rsa.crt"] {
        std::fs::copy(sample(&format!("pki/{ca}")), trusted.join(ca)).expect("copy");
    }
    let dir = trusted.clone();
    let app = TestApp::spawn_with(move |c| c.trusted_ca_dir = Some(dir)).await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    let document = document_named(&app, id, "Заявление.pdf").await;

    let page = rso
        .page(&format!("/approvals/{id}/documents/{document}/signatures"))
        .await;

    let rows = texts(&page, "table.signer tr");
    assert!(
        rows.contains(&"Цепочка сертификатов Сертификат выдан доверенным УЦ".to_owned()),
        "{rows:?}"
    );
}

#[tokio::test]
async fn signatures_cannot_change_after_launch() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    let document = document_named(&app, id, "Заявление.pdf").await;
    let before = verdicts(&app, document).await;

    let response = signature_form(
        &rso,
        id,
        document,
        "Заявление.pdf.sig",
        read("signatures/Заявление.pdf.sig"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let signature =
        sqlx::query_scalar!("SELECT id FROM signatures WHERE document_id = $1", document)
            .fetch_one(&app.db)
            .await
            .expect("signature");
    let response = rso
        .post_form(
            &format!("/approvals/{id}/documents/{document}/signatures/{signature}/delete"),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(verdicts(&app, document).await, before);
}

#[tokio::test]
async fn a_decision_result_uploaded_with_its_signature_shows_its_verdict() {
    let app = TestApp::spawn().await;
    let id = app.approval_waiting_for_gati().await;
    let gati = app.login("gati").await;
    gati.complete_mandatory_actions(&app, id).await;
    let participant = app.participant_of(id, "gati").await;
    let form = multipart::Form::new()
        .text("decision", "approve")
        .text("comment", "Ордер оформлен")
        .part(
            "files",
            multipart::Part::bytes(read("documents/Схема производства работ.png"))
                .file_name("Схема производства работ.png"),
        )
        .part(
            "files",
            multipart::Part::bytes(read("signatures/Схема производства работ.png.ecdsa.p7s"))
                .file_name("Схема производства работ.png.ecdsa.p7s"),
        );

    let response = gati
        .post_multipart(
            &format!("/approvals/{id}/participants/{participant}/decision"),
            form,
        )
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let document = document_named(&app, id, "Схема производства работ.png").await;
    assert_eq!(verdicts(&app, document).await, ["valid"]);
    let case = gati.page(&format!("/approvals/{id}?tab=case")).await;
    let rows = texts(&case, "table.case-file tbody tr");
    let result = rows
        .iter()
        .find(|r| r.contains("Схема производства работ.png"))
        .expect("result row");
    assert!(
        result.contains("Решение: ГАТИ") && result.contains("Подписан (1)"),
        "{result}"
    );
}
