//! What a hostile user types: markup in every text field and file name, formulas for the
//! spreadsheet, SQL metacharacters in every filter of the list.

use reqwest::{StatusCode, multipart};

use crate::{
    admin::{post_fields, route_form},
    case_file::{path_str, run, tempdir},
    helpers::{TestApp, User, sample},
    list::read_xlsx,
};

/// Markup that would run if any page printed it unescaped.
const PAYLOAD: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";
/// How the payload reads once escaped in HTML.
const ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

/// Markup for a file name, without the slash an upload's name loses its path at.
const FILE_PAYLOAD: &str = "<img src=x onerror=alert(2)>\"'&";
const FILE_ESCAPED: &str = "Файл &#60;img src=x onerror=alert(2)&#62;&#34;&#39;&#38;.pdf";

/// The page shows `needle`, the escaped form of what was typed.
async fn holds(user: &User, path: &str, needle: &str) {
    let body = body_of(user, path).await;
    assert!(
        body.contains(needle),
        "GET {path} as {} holds {needle}",
        user.login
    );
}

fn hostile(label: &str) -> String {
    format!("{label} {PAYLOAD}")
}

/// The page body, which must not carry the payload's markup unescaped.
async fn body_of(user: &User, path: &str) -> String {
    let response = user.get(path).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "GET {path} as {}",
        user.login
    );
    let body = response.text().await.expect("body");
    assert!(
        !body.contains("<script>alert") && !body.contains("<img src=x"),
        "GET {path} as {} prints the markup as markup",
        user.login
    );
    body
}

/// Shows the payload, escaped, in the labelled places.
async fn shows(user: &User, path: &str, labels: &[&str]) {
    let body = body_of(user, path).await;
    for label in labels {
        assert!(
            body.contains(&format!("{label} {ESCAPED}")),
            "GET {path} as {} shows «{label}» escaped",
            user.login
        );
    }
}

#[tokio::test]
async fn markup_in_every_text_field_and_file_name_is_shown_as_text() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let route = app.route_id().await.to_string();
    let (name, subject, address, description) = (
        hostile("Имя"),
        hostile("Предмет"),
        hostile("Адрес"),
        hostile("Описание"),
    );
    let created = rso
        .post_form(
            "/approvals",
            &[
                ("route_id", &route),
                ("name", &name),
                ("subject", &subject),
                ("works_address", &address),
                ("network_kind", "Теплоснабжение"),
                ("description", &description),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER, "draft created");
    let id: i64 = sqlx::query_scalar::<_, i64>("SELECT max(id) FROM approvals")
        .fetch_one(&app.db)
        .await
        .expect("id");
    let document = std::fs::read(sample("documents/Заявление.pdf")).expect("sample");
    let signature = std::fs::read(sample("signatures/Заявление.pdf.sig")).expect("sample");
    // An upload keeps only what follows the last slash, so the file's markup has none.
    let file_name = format!("Файл {FILE_PAYLOAD}.pdf");
    let signature_name = format!("{file_name}.sig");
    for (folder, _, required) in app.folders(id).await {
        if required {
            let files = [
                ("Заявление.pdf", document.as_slice()),
                ("Заявление.pdf.sig", signature.as_slice()),
                (file_name.as_str(), document.as_slice()),
                (signature_name.as_str(), signature.as_slice()),
            ];
            let response = rso.upload_files(id, folder, &files).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
        }
    }
    shows(
        &rso,
        &format!("/approvals/{id}/edit"),
        &["Имя", "Предмет", "Адрес"],
    )
    .await;
    let launched = rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    assert_eq!(launched.status(), StatusCode::SEE_OTHER);

    let kt = app.login("kt").await;
    let seat = app.participant_of(id, "kt").await;
    let action: i64 =
        sqlx::query_scalar::<_, i64>("SELECT id FROM approval_actions WHERE participant_id = $1")
            .bind(seat)
            .fetch_one(&app.db)
            .await
            .expect("kt's action");
    let done = kt
        .post_multipart(
            &format!("/approvals/{id}/actions/{action}/complete"),
            multipart::Form::new().text("comment", hostile("Действие")),
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let decided = kt.decide(id, seat, "refuse", &hostile("Отказ")).await;
    assert_eq!(decided.status(), StatusCode::SEE_OTHER);

    for user in [&rso, &kt] {
        shows(
            user,
            &format!("/approvals/{id}"),
            &["Имя", "Предмет", "Адрес", "Отказ"],
        )
        .await;
        holds(user, &format!("/approvals/{id}?tab=case"), FILE_ESCAPED).await;
        shows(user, &format!("/approvals/{id}?tab=history"), &["Имя"]).await;
        shows(user, "/approvals", &["Имя"]).await;
        holds(user, &format!("/approvals/{id}/inventory"), FILE_ESCAPED).await;
        shows(user, "/notifications", &[]).await;
    }
    shows(
        &kt,
        &format!("/approvals/{id}/participants/{seat}/actions"),
        &["Действие"],
    )
    .await;
    let public = app.login("public-viewer").await;
    shows(&public, &format!("/approvals/{id}"), &["Имя", "Отказ"]).await;
    let head = app.login("rso-head").await;
    body_of(&head, "/cabinet").await;

    // The spreadsheet holds the text as text; a cell that starts like a formula stays text.
    let export = rso.get("/approvals/export").await;
    assert_eq!(export.status(), StatusCode::OK);
    let bytes = export.bytes().await.expect("workbook");
    let rows = read_xlsx(&bytes);
    assert!(
        rows.iter().flatten().any(|cell| cell == &name),
        "the export keeps the name as typed"
    );
    assert_eq!(
        formula_cells(&bytes),
        0,
        "no cell of the export is a formula"
    );

    let pdf = rso.get(&format!("/approvals/{id}/inventory.pdf")).await;
    assert_eq!(pdf.status(), StatusCode::OK);
    let text = pdf_text(&pdf.bytes().await.expect("pdf"));
    assert!(
        text.contains(FILE_PAYLOAD),
        "the inventory PDF prints the file name as typed: {text}"
    );
}

#[tokio::test]
async fn a_formula_typed_into_a_field_is_exported_as_text() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let route = app.route_id().await;
    for name in [
        "=HYPERLINK(\"http://evil.example\",\"x\")",
        "+1+1",
        "-2+3",
        "@SUM(A1)",
    ] {
        rso.create_draft(route, name).await;
    }
    let export = rso.get("/approvals/export").await;
    assert_eq!(export.status(), StatusCode::OK);
    let bytes = export.bytes().await.expect("workbook");
    assert_eq!(formula_cells(&bytes), 0);
    let rows = read_xlsx(&bytes);
    assert!(
        rows.iter()
            .flatten()
            .any(|cell| cell == "=HYPERLINK(\"http://evil.example\",\"x\")")
    );
}

#[tokio::test]
async fn markup_in_the_administrator_s_fields_is_shown_as_text() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let (org_name, org_short) = (hostile("Организация"), hostile("Кратко"));
    let created = admin
        .post_form(
            "/admin/organisations",
            &[
                ("name", &org_name),
                ("short_name", &org_short),
                ("kind", "network_owner"),
                ("inn", "7800000001"),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let org: i64 = sqlx::query_scalar::<_, i64>("SELECT max(id) FROM organisations")
        .fetch_one(&app.db)
        .await
        .expect("organisation");
    let (full_name, position) = (hostile("Сотрудник"), hostile("Должность"));
    let user = admin
        .post_form(
            "/admin/users",
            &[
                ("organisation_id", &org.to_string()),
                ("login", "hostile"),
                ("full_name", &full_name),
                ("position", &position),
                ("email", "hostile@example.ru"),
                ("snils", "112-233-445 95"),
                ("can_view", "on"),
            ],
        )
        .await;
    assert_eq!(user.status(), StatusCode::SEE_OTHER);
    let mut fields = route_form(&app, &hostile("Маршрут"), "12").await;
    for (key, value) in &mut fields {
        if key == "f0.name" || key == "s1.p0.a0.text" {
            *value = hostile(if key == "f0.name" {
                "Папка"
            } else {
                "Ордер"
            });
        }
    }
    let saved = post_fields(&admin, "/admin/routes/editor", &fields).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let route: i64 = sqlx::query_scalar::<_, i64>("SELECT max(id) FROM routes")
        .fetch_one(&app.db)
        .await
        .expect("route");

    shows(&admin, "/admin/organisations", &["Кратко"]).await;
    shows(
        &admin,
        &format!("/admin/organisations/{org}"),
        &["Организация"],
    )
    .await;
    shows(&admin, "/admin/users", &["Сотрудник"]).await;
    shows(&admin, "/admin/routes", &["Маршрут"]).await;
    shows(
        &admin,
        &format!("/admin/routes/{route}/edit"),
        &["Маршрут", "Папка", "Ордер"],
    )
    .await;
    let rso = app.login("rso").await;
    shows(&rso, "/approvals/new", &["Маршрут"]).await;
}

#[tokio::test]
async fn markup_in_an_access_request_is_shown_as_text_to_the_administrator() {
    let app = TestApp::spawn().await;
    let form = crate::access_requests::request_form(
        "7812345678",
        &[(
            &hostile("Работник"),
            "112-233-445 95",
            "worker@tsn.ru",
            &["Просматривать согласования"],
        )],
        true,
    );
    let filed = app
        .anonymous()
        .post_multipart("/access-request", form)
        .await;
    assert_eq!(filed.status(), StatusCode::SEE_OTHER);
    let id: i64 = sqlx::query_scalar::<_, i64>("SELECT max(id) FROM access_requests")
        .fetch_one(&app.db)
        .await
        .expect("request");
    let admin = app.login("admin").await;
    body_of(&admin, "/admin/requests").await;
    shows(&admin, &format!("/admin/requests/{id}"), &["Работник"]).await;
}

/// Every filter of the list, given SQL's special characters, answers a page (or the list's
/// own Russian message), finds nothing it should not, and breaks nothing.
#[tokio::test]
async fn sql_metacharacters_in_every_filter_find_nothing_and_break_nothing() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    rso.create_draft(app.route_id().await, "Подключение").await;
    let before = crate::helpers::count(&app, "approvals").await;
    let params = [
        "q",
        "status",
        "initiator",
        "created_from",
        "created_to",
        "launched_from",
        "launched_to",
        "planned_from",
        "planned_to",
        "completed_from",
        "completed_to",
        "mine",
        "overdue",
        "sort",
        "dir",
        "page",
        "per_page",
    ];
    let values = [
        "'",
        "' OR '1'='1",
        "1; DROP TABLE approvals; --",
        "%",
        "_",
        "\\",
        "\\'",
        "$1",
        "\"",
        "::text",
        "%00",
        "１",
        "99999999999999999999999",
        "-1",
    ];
    for param in params {
        for value in values {
            for path in ["/approvals", "/approvals/export"] {
                let url = reqwest::Url::parse_with_params(
                    &format!("{}{path}", app.base),
                    &[(param, value)],
                )
                .expect("url");
                let response = rso.client.get(url.clone()).send().await.expect("request");
                let status = response.status();
                assert!(
                    status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
                    "{url}: {status}"
                );
                if path == "/approvals"
                    && param == "q"
                    && status == StatusCode::OK
                    && value != "%"
                    && value != "_"
                {
                    let page = scraper::Html::parse_document(&response.text().await.expect("body"));
                    assert!(
                        crate::helpers::texts(&page, "tbody tr[data-id]").is_empty(),
                        "{url} finds nothing"
                    );
                }
            }
        }
    }
    assert_eq!(crate::helpers::count(&app, "approvals").await, before);
}

/// Cells of the workbook stored as formulas.
fn formula_cells(bytes: &[u8]) -> usize {
    let path = tempdir().join("выгрузка.xlsx");
    std::fs::write(&path, bytes).expect("write workbook");
    let script = "import openpyxl, sys\n\
                  sheet = openpyxl.load_workbook(sys.argv[1]).active\n\
                  print(sum(1 for row in sheet.iter_rows() for c in row if c.data_type == 'f'))";
    run("python3", &["-c", script, path_str(&path)])
        .trim()
        .parse()
        .expect("a count")
}

fn pdf_text(bytes: &[u8]) -> String {
    let path = tempdir().join("опись.pdf");
    std::fs::write(&path, bytes).expect("write pdf");
    run("pdftotext", &[path_str(&path), "-"])
}

/// PostgreSQL keeps no NUL in text, and a bell or an escape has no place in a name: either,
/// typed anywhere, is told in Russian and stored nowhere.
#[tokio::test]
async fn a_nul_or_control_character_anywhere_is_refused_with_a_message() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let route = app.route_id().await.to_string();
    for name in [
        "Имя\u{0}с нулём",
        "Имя\u{1b}[31mс escape",
        "Имя со звонком\u{7}",
    ] {
        let named = rso
            .post_form(
                "/approvals",
                &[
                    ("route_id", route.as_str()),
                    ("name", name),
                    ("subject", "Предмет"),
                    ("works_address", "Адрес"),
                    ("network_kind", "Теплоснабжение"),
                ],
            )
            .await;
        assert_eq!(named.status(), StatusCode::BAD_REQUEST, "{name:?}");
        assert!(
            named
                .text()
                .await
                .expect("body")
                .contains("недопустимый символ: нулевой или другой управляющий"),
            "{name:?}"
        );
    }
    assert_eq!(crate::helpers::count(&app, "approvals").await, 0);

    let id = app.launched_approval().await;
    let kt = app.login("kt").await;
    let seat = app.participant_of(id, "kt").await;
    let refused = kt.decide(id, seat, "refuse", "Отказ\u{0}").await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refused = kt.decide(id, seat, "refuse", "Отказ\u{8}\u{8}").await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        crate::helpers::count(&app, "approval_participants WHERE decision IS NOT NULL").await,
        0
    );

    let draft = rso.create_draft(app.route_id().await, "Черновик").await;
    let folder = app.folders(draft).await[0].0;
    let documents = crate::helpers::count(&app, "documents").await;
    let upload = rso
        .upload(draft, folder, "файл\u{0}.pdf", b"%PDF-1.4")
        .await;
    assert_eq!(upload.status(), StatusCode::BAD_REQUEST);
    assert_eq!(crate::helpers::count(&app, "documents").await, documents);

    for path in ["/approvals?q=%00", "/approvals/export?q=a%00b"] {
        let response = rso.get(path).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
    }
    let token = app.anonymous().get("/password/set/ab%00cd").await;
    assert_eq!(token.status(), StatusCode::NOT_FOUND);
}

/// Bytes that are not UTF-8 cannot be kept as typed: in a form, a multipart field or the
/// address they are refused with a message, not stored as «�».
#[tokio::test]
async fn text_that_is_not_utf8_is_refused_with_a_message_and_stored_nowhere() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let route = app.route_id().await;
    let says_not_utf8 = |body: &str| body.contains("знаки не в кодировке UTF-8");
    let body = format!(
        "route_id={route}&name=%E9%E9&subject=x&works_address=x&network_kind=%D0%A2%D0%B5%D0%BF         %D0%BB%D0%BE%D1%81%D0%BD%D0%B0%D0%B1%D0%B6%D0%B5%D0%BD%D0%B8%D0%B5"
    );
    let created = rso
        .client
        .post(format!("{}/approvals", rso.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(created.status(), StatusCode::BAD_REQUEST);
    assert!(says_not_utf8(&created.text().await.expect("body")));
    assert_eq!(crate::helpers::count(&app, "approvals").await, 0);

    let id = app.launched_approval().await;
    let kt = app.login("kt").await;
    let seat = app.participant_of(id, "kt").await;
    let form = multipart::Form::new().text("decision", "refuse").part(
        "comment",
        multipart::Part::bytes(vec![0xe9, 0xe9, b' ', 0xff]),
    );
    let refused = kt
        .post_multipart(
            &format!("/approvals/{id}/participants/{seat}/decision"),
            form,
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(says_not_utf8(&refused.text().await.expect("body")));
    assert_eq!(
        crate::helpers::count(&app, "approval_participants WHERE decision IS NOT NULL").await,
        0
    );

    let listed = rso.get("/approvals?q=%E9%E9").await;
    assert_eq!(listed.status(), StatusCode::BAD_REQUEST);
    assert!(says_not_utf8(&listed.text().await.expect("body")));
}

/// A file name longer than a file system keeps is refused; the longest kept one still makes
/// an inventory PDF and an archive.
#[tokio::test]
async fn an_overlong_file_name_is_refused_and_the_longest_kept_one_renders() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = rso
        .create_draft(app.route_id().await, "Длинные имена")
        .await;
    let folder = app.folders(id).await[0].0;
    let too_long = format!("{}.pdf", "Б".repeat(2000));
    let refused = rso.upload(id, folder, &too_long, b"%PDF-1.4").await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(
        refused
            .text()
            .await
            .expect("body")
            .contains("длиннее 255 символов")
    );
    assert_eq!(crate::helpers::count(&app, "documents").await, 0);

    let longest = format!("{}.pdf", "Б".repeat(251));
    let kept = rso.upload(id, folder, &longest, b"%PDF-1.4").await;
    assert_eq!(kept.status(), StatusCode::SEE_OTHER);
    for path in ["inventory.pdf", "archive"] {
        let response = rso.get(&format!("/approvals/{id}/{path}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(!response.bytes().await.expect("body").is_empty());
    }
}

/// Odd requests get the service's own Russian pages, never a 500 or an empty answer.
#[tokio::test]
async fn odd_requests_get_russian_answers() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let draft = app.ready_draft(&rso).await;
    let document: i64 = sqlx::query_scalar("SELECT min(id) FROM documents")
        .fetch_one(&app.db)
        .await
        .expect("document");
    // Every kind of answer carries the protective headers.
    for path in [
        "/approvals".to_owned(),
        "/approvals/999999".to_owned(),
        "/static/style.css".to_owned(),
        format!("/approvals/{draft}/documents/{document}"),
        format!("/approvals/{draft}/archive"),
        "/logout".to_owned(),
    ] {
        let response = rso.get(&path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().expect("ascii");
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
    }
    let opened = rso.get("/logout").await;
    assert_eq!(opened.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        opened
            .text()
            .await
            .expect("body")
            .contains("воспользуйтесь кнопкой")
    );

    let back = rso
        .post_form(
            "/approvals/columns",
            &[("column", "name"), ("back", "/approvals?x=1\n")],
        )
        .await;
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(back.headers()["location"], "/approvals");

    let broken = rso
        .client
        .post(format!("{}/approvals/1/folders/1/documents", app.base))
        .header("content-type", "multipart/form-data; boundary=xx")
        .body("garbage")
        .send()
        .await
        .expect("request");
    assert!(broken.status().is_client_error(), "{}", broken.status());
    let text = broken.text().await.expect("body");
    assert!(!text.contains("multipart stream"), "{text}");

    let admin = app.login("admin").await;
    let mut fields = route_form(&app, "Вечный срок", "12").await;
    for (key, value) in &mut fields {
        if key == "s1.p0.days" {
            *value = i32::MAX.to_string();
        }
    }
    let routes = crate::helpers::count(&app, "routes").await;
    let saved = post_fields(&admin, "/admin/routes/editor", &fields).await;
    assert_eq!(saved.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(saved.text().await.expect("body").contains("от 1 до 365"));
    assert_eq!(crate::helpers::count(&app, "routes").await, routes);
}

#[tokio::test]
async fn uploads_that_carry_nothing_or_too_much_are_refused_with_a_message_and_add_nothing() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let draft = app.ready_draft(&rso).await;
    let (folder, _, _) = app.folders(draft).await.remove(0);
    let document: i64 = sqlx::query_scalar("SELECT min(id) FROM documents WHERE approval_id = $1")
        .bind(draft)
        .fetch_one(&app.db)
        .await
        .expect("document");
    let documents = crate::helpers::count(&app, "documents").await;
    let signatures = crate::helpers::count(&app, "signatures").await;

    let empty = rso.upload(draft, folder, "Пустой.pdf", b"").await;
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
    assert!(
        empty
            .text()
            .await
            .expect("body")
            .contains("«Пустой.pdf» пуст")
    );

    let form = multipart::Form::new().part(
        "files",
        multipart::Part::bytes(Vec::new()).file_name("Пустая.sig"),
    );
    let path = format!("/approvals/{draft}/documents/{document}/signatures");
    let empty_signature = rso.post_multipart(&path, form).await;
    assert_eq!(empty_signature.status(), StatusCode::BAD_REQUEST);
    assert!(empty_signature.text().await.expect("body").contains("пуст"));

    let nothing_chosen =
        multipart::Form::new().part("files", multipart::Part::bytes(Vec::new()).file_name(""));
    let path = format!("/approvals/{draft}/folders/{folder}/documents");
    let chosen_none = rso.post_multipart(&path, nothing_chosen).await;
    assert_eq!(chosen_none.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        chosen_none
            .text()
            .await
            .expect("body")
            .contains("Выберите хотя бы один файл")
    );

    let cut_off = rso
        .client
        .post(format!("{}{path}", app.base))
        .header("origin", app.base.as_str())
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body(
            "--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"m.pdf\"\r\n\r\n\
             %PDF-1.4 data\r\n",
        )
        .send()
        .await
        .expect("request");
    assert_eq!(cut_off.status(), StatusCode::BAD_REQUEST);
    let text = cut_off.text().await.expect("body");
    assert!(text.contains("форма пришла неполной"), "{text}");
    assert!(!text.contains("Error parsing"), "{text}");

    // One form carries at most a hundred files and a megabyte of text.
    let names: Vec<String> = (1..=101).map(|n| format!("Лист {n}.pdf")).collect();
    let files: Vec<(&str, &[u8])> = names
        .iter()
        .map(|name| (name.as_str(), b"%PDF-1.4".as_slice()))
        .collect();
    let too_many = rso.upload_files(draft, folder, &files).await;
    assert_eq!(too_many.status(), StatusCode::BAD_REQUEST);
    assert!(
        too_many
            .text()
            .await
            .expect("body")
            .contains("не больше 100 файлов")
    );
    let mut wordy = multipart::Form::new();
    for n in 0..20 {
        wordy = wordy.text(format!("note{n}"), "я".repeat(30_000));
    }
    let wordy = wordy.part(
        "files",
        multipart::Part::bytes(b"%PDF-1.4".to_vec()).file_name("Лист.pdf"),
    );
    let too_much_text = rso.post_multipart(&path, wordy).await;
    assert_eq!(too_much_text.status(), StatusCode::BAD_REQUEST);
    assert!(
        too_much_text
            .text()
            .await
            .expect("body")
            .contains("Слишком длинный текст")
    );

    assert_eq!(crate::helpers::count(&app, "documents").await, documents);
    assert_eq!(crate::helpers::count(&app, "signatures").await, signatures);
}

#[tokio::test]
async fn comments_longer_than_the_forms_allow_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let id = app.launched_approval().await;
    let too_long = "ж".repeat(4001);

    let kga = app.login("kga").await;
    let seat = app.participant_of(id, "kga").await;
    let refused = kga.decide(id, seat, "approve", &too_long).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .expect("body")
            .contains("Поле «Комментарий» длиннее 4000 символов")
    );
    let decided = format!("approval_participants WHERE id = {seat} AND decision IS NOT NULL");
    assert_eq!(crate::helpers::count(&app, &decided).await, 0);

    let kio = app.login("kio").await;
    let action: i64 = sqlx::query_scalar(
        "SELECT a.id FROM approval_actions a JOIN approval_participants p ON p.id = a.participant_id \
         WHERE p.id = $1 ORDER BY a.position LIMIT 1",
    )
    .bind(app.participant_of(id, "kio").await)
    .fetch_one(&app.db)
    .await
    .expect("КИО's action");
    let form = multipart::Form::new().text("comment", too_long.clone());
    let path = format!("/approvals/{id}/actions/{action}/complete");
    let refused = kio.post_multipart(&path, form).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(
        refused
            .text()
            .await
            .expect("body")
            .contains("длиннее 4000 символов")
    );
    let done = format!("approval_actions WHERE id = {action} AND done_at IS NOT NULL");
    assert_eq!(crate::helpers::count(&app, &done).await, 0);

    let longest = "ж".repeat(4000);
    let taken = kga.decide(id, seat, "approve", &longest).await;
    assert_eq!(taken.status(), StatusCode::SEE_OTHER);
}
