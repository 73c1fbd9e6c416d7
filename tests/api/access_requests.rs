//! Requests for access: filed online without signing in, as `.docx` for paper, reviewed by
//! an administrator.

use std::io::Read;

use reqwest::{StatusCode, multipart};

use crate::helpers::{TestApp, User, count, sample, texts};

/// A filled request: the organisation and `employees` as (name, СНИЛС, e-mail, rights).
pub fn request_form(
    inn: &str,
    employees: &[(&str, &str, &str, &[&str])],
    letter: bool,
) -> multipart::Form {
    let mut form = multipart::Form::new()
        .text("org_name", "ООО «Тепловые сети Невы»")
        .text("org_short_name", "ТСН")
        .text("org_kind", "rso")
        .text("org_inn", inn.to_owned())
        .text("org_ogrn", "1027800000002")
        .text("contact_name", "Смирнова Ольга")
        .text("contact_email", "contact@tsn.ru")
        .text("purpose", "Согласование подключений к тепловым сетям")
        .text("rows", employees.len().to_string());
    for (i, (name, snils, email, rights)) in employees.iter().enumerate() {
        form = form
            .text(format!("e{i}.full_name"), (*name).to_owned())
            .text(format!("e{i}.job_title"), "Инженер".to_owned())
            .text(format!("e{i}.snils"), (*snils).to_owned())
            .text(format!("e{i}.email"), (*email).to_owned())
            .text(format!("e{i}.phone"), "+7 812 000-00-00".to_owned())
            .text(format!("e{i}.hours"), "пн–пт 9–18".to_owned());
        for (r, right) in rights.iter().enumerate() {
            form = form.text(format!("e{i}.r{r}"), (*right).to_owned());
        }
    }
    if letter {
        let bytes = std::fs::read(sample("documents/Заявление.pdf")).expect("sample");
        let part = multipart::Part::bytes(bytes)
            .file_name("Письмо.pdf")
            .mime_str("application/pdf")
            .expect("mime");
        form = form.part("letter", part);
    }
    form
}

async fn file(anonymous: &User, form: multipart::Form) -> (StatusCode, scraper::Html) {
    let response = anonymous.post_multipart("/access-request", form).await;
    let status = response.status();
    let page = scraper::Html::parse_document(&response.text().await.expect("body"));
    (status, page)
}

const CREATE: &str = "Создавать согласования";
const VIEW: &str = "Просматривать согласования";

#[tokio::test]
async fn a_request_is_checked_row_by_row_and_filed_with_its_letter() {
    let app = TestApp::spawn().await;
    sqlx::query!("UPDATE users SET email = 'kga@kga.spb.ru' WHERE login = 'kga'")
        .execute(&app.db)
        .await
        .expect("email");
    let anonymous = app.anonymous();
    assert_eq!(
        anonymous.get("/access-request").await.status(),
        StatusCode::OK
    );

    let (status, page) = file(
        &anonymous,
        request_form(
            "7800123456",
            &[
                ("Иванов Иван", "112-233-445 95", "ivanov@tsn.ru", &[CREATE]),
                ("Петров Пётр", "112-233-445 96", "IVANOV@tsn.ru", &[VIEW]),
                (
                    "Сидоров Сидор",
                    "112-233-445 95",
                    "kga@kga.spb.ru",
                    &["Все права"],
                ),
            ],
            false,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        texts(&page, "div.error li"),
        [
            "Сотрудник 2: СНИЛС введён с ошибкой: контрольное число не совпадает.",
            "Сотрудник 2: этот e-mail уже указан у другого сотрудника в заявке.",
            "Сотрудник 3: выберите хотя бы одно право.",
            "Прикрепите скан официального письма организации.",
        ]
    );
    let kept: Vec<String> = page
        .select(&scraper::Selector::parse("input[name='e1.full_name']").expect("selector"))
        .filter_map(|e| e.value().attr("value").map(str::to_owned))
        .collect();
    assert_eq!(kept, ["Петров Пётр"], "what was typed comes back");
    assert_eq!(count(&app, "access_requests").await, 0);

    let (status, page) = file(
        &anonymous,
        request_form(
            "7800123456",
            &[
                (
                    "Иванов Иван",
                    "112-233-445 95",
                    "ivanov@tsn.ru",
                    &[CREATE, VIEW],
                ),
                ("Петрова Анна", "001-001-998 00", "petrova@tsn.ru", &[VIEW]),
            ],
            true,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", page.html());
    let request_id = sqlx::query_scalar!("SELECT id FROM access_requests")
        .fetch_one(&app.db)
        .await
        .expect("filed");
    // The answer is a page of its own: reloading it files nothing again.
    let page = anonymous
        .page(&format!("/access-request?filed={request_id}"))
        .await;
    let notice = texts(&page, "p.notice");
    assert!(notice[0].starts_with("Заявка № "), "{notice:?}");
    let request =
        sqlx::query!("SELECT id, status, letter_name, letter_size, org_inn FROM access_requests")
            .fetch_one(&app.db)
            .await
            .expect("request");
    assert_eq!(
        (request.status.as_str(), request.letter_name.as_str()),
        ("pending", "Письмо.pdf")
    );
    let sample_size = std::fs::metadata(sample("documents/Заявление.pdf"))
        .expect("sample")
        .len();
    assert_eq!(u64::try_from(request.letter_size).ok(), Some(sample_size));
    assert_eq!(count(&app, "access_request_employees").await, 2);
    assert_eq!(
        count(&app, "notifications WHERE kind = 'access_request'").await,
        1,
        "the administrator is told"
    );

    let admin = app.login("admin").await;
    let letter = admin
        .get(&format!("/admin/requests/{}/letter", request.id))
        .await;
    assert_eq!(letter.status(), StatusCode::OK);
    let bytes = letter.bytes().await.expect("letter");
    assert_eq!(
        bytes.as_ref(),
        std::fs::read(sample("documents/Заявление.pdf")).expect("sample")
    );
    let shown = admin.page(&format!("/admin/requests/{}", request.id)).await;
    let cells = texts(&shown, "table.request-employees td");
    assert!(
        cells.contains(&"112-233-445 95".to_owned()),
        "СНИЛС whole for the admin"
    );
    assert!(cells.contains(&format!("{CREATE}, {VIEW}")));

    for login in ["rso", "rso-head", "kga"] {
        let user = app.login(login).await;
        for path in [
            "/admin/requests".to_owned(),
            format!("/admin/requests/{}", request.id),
            format!("/admin/requests/{}/letter", request.id),
        ] {
            assert_eq!(
                user.get(&path).await.status(),
                StatusCode::FORBIDDEN,
                "{login} {path}"
            );
        }
        for path in ["approve", "reject"] {
            let url = format!("/admin/requests/{}/{path}", request.id);
            let status = user.post_form(&url, &[("reason", "нет")]).await.status();
            assert_eq!(status, StatusCode::FORBIDDEN, "{login} {path}");
        }
    }
    assert_eq!(app_status(&app, request.id).await, "pending");
}

async fn app_status(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar!("SELECT status FROM access_requests WHERE id = $1", id)
        .fetch_one(&app.db)
        .await
        .expect("status")
}

#[tokio::test]
async fn the_filled_form_downloads_as_docx() {
    let app = TestApp::spawn().await;
    let anonymous = app.anonymous();
    let response = anonymous
        .post_multipart(
            "/access-request/form.docx",
            request_form(
                "7800123456",
                &[(
                    "Иванов Иван",
                    "112-233-445 95",
                    "ivanov@tsn.ru",
                    &[CREATE, VIEW],
                )],
                true,
            ),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let bytes = response.bytes().await.expect("docx");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("zip");
    let mut xml = String::new();
    archive
        .by_name("word/document.xml")
        .expect("document part")
        .read_to_string(&mut xml)
        .expect("utf-8");
    for expected in [
        "ООО «Тепловые сети Невы»",
        "ИНН: 7800123456",
        "Иванов Иван",
        "112-233-445 95",
        "Создавать согласования; Просматривать согласования",
        "Согласование подключений к тепловым сетям",
    ] {
        assert!(xml.contains(expected), "{expected} in the docx");
    }
    assert_eq!(count(&app, "access_requests").await, 0, "nothing is filed");
    assert_eq!(
        count(&app, "blobs").await,
        0,
        "the letter sent along is not kept"
    );
}

async fn filed(app: &TestApp, inn: &str) -> i64 {
    let anonymous = app.anonymous();
    let (status, _) = file(
        &anonymous,
        request_form(
            inn,
            &[
                ("Иванов Иван", "112-233-445 95", "ivanov@tsn.ru", &[CREATE]),
                ("Петрова Анна", "112-233-445 95", "petrova@tsn.ru", &[VIEW]),
            ],
            true,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    sqlx::query_scalar!("SELECT max(id) AS \"id!\" FROM access_requests")
        .fetch_one(&app.db)
        .await
        .expect("id")
}

#[tokio::test]
async fn approving_creates_the_organisation_and_accounts_and_mails_each_a_link() {
    let app = TestApp::spawn().await;
    let id = filed(&app, "7800123456").await;
    let admin = app.login("admin").await;
    let organisations = count(&app, "organisations").await;
    let approved = admin
        .post_form(&format!("/admin/requests/{id}/approve"), &[])
        .await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    assert_eq!(count(&app, "organisations").await, organisations + 1);
    let users = sqlx::query!(
        r#"
        SELECT u.login, u.can_create, u.can_view, u.snils, o.inn AS "inn?"
        FROM users u JOIN organisations o ON o.id = u.organisation_id
        WHERE u.email IN ('ivanov@tsn.ru', 'petrova@tsn.ru') ORDER BY u.login
        "#
    )
    .fetch_all(&app.db)
    .await
    .expect("accounts");
    assert_eq!(users.len(), 2);
    assert_eq!(users[0].login, "ivanov");
    assert!(users[0].can_create && !users[0].can_view);
    assert!(!users[1].can_create && users[1].can_view);
    assert_eq!(users[0].inn.as_deref(), Some("7800123456"));
    assert_eq!(users[0].snils.as_deref(), Some("11223344595"));
    for email in ["ivanov@tsn.ru", "petrova@tsn.ru"] {
        let mail = sqlx::query_scalar!(
            "SELECT body FROM mail_outbox WHERE recipient = $1 AND holds_link",
            email
        )
        .fetch_one(&app.db)
        .await
        .expect("a link mail each");
        assert!(mail.contains("/password/set/"));
    }
    let again = admin
        .post_form(&format!("/admin/requests/{id}/approve"), &[])
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "decided once");
    assert_eq!(count(&app, "users WHERE email LIKE '%@tsn.ru'").await, 2);

    // A second request of the same organisation joins it, with fresh logins.
    sqlx::query!("UPDATE users SET email = NULL WHERE email LIKE '%@tsn.ru'")
        .execute(&app.db)
        .await
        .expect("free the addresses");
    let second = filed(&app, "7800123456").await;
    let shown = admin.page(&format!("/admin/requests/{second}")).await;
    assert_eq!(
        texts(&shown, "p.warning"),
        ["Организация с этим ИНН уже зарегистрирована: «ТСН»."]
    );
    let unconfirmed = admin
        .post_form(&format!("/admin/requests/{second}/approve"), &[])
        .await;
    assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unconfirmed
            .text()
            .await
            .expect("body")
            .contains("отметьте подтверждение")
    );
    assert_eq!(app_status(&app, second).await, "pending", "nothing created");
    assert_eq!(count(&app, "users WHERE email LIKE '%@tsn.ru'").await, 0);
    let approved = admin
        .post_form(
            &format!("/admin/requests/{second}/approve"),
            &[("join", "on")],
        )
        .await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    assert_eq!(count(&app, "organisations").await, organisations + 1);
    let logins =
        sqlx::query_scalar!("SELECT login FROM users WHERE email LIKE '%@tsn.ru' ORDER BY login")
            .fetch_all(&app.db)
            .await
            .expect("logins");
    assert_eq!(logins, ["ivanov2", "petrova2"]);
}

/// The form is open to anyone, so it does not tell whether an address has an account; the
/// administrator sees it on the request, and approving is refused while it stays so.
#[tokio::test]
async fn an_address_with_an_account_is_told_to_the_administrator_not_to_the_public() {
    let app = TestApp::spawn().await;
    sqlx::query("UPDATE users SET email = 'ivanov@tsn.ru' WHERE login = 'kga'")
        .execute(&app.db)
        .await
        .expect("email");
    let id = filed(&app, "7800123456").await;
    let filed_page = app
        .anonymous()
        .page(&format!("/access-request?filed={id}"))
        .await;
    assert!(!filed_page.html().contains("ivanov@tsn.ru"));

    let admin = app.login("admin").await;
    let shown = admin.page(&format!("/admin/requests/{id}")).await;
    assert_eq!(
        texts(&shown, "p.warning"),
        [
            "E-mail, отмеченные «занят», уже принадлежат другим учётным записям: заявку с ними \
          одобрить нельзя."
        ]
    );
    assert_eq!(texts(&shown, "strong.taken"), ["занят"], "one of the two");
    let users = count(&app, "users").await;
    let refused = admin
        .post_form(&format!("/admin/requests/{id}/approve"), &[])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = scraper::Html::parse_document(&refused.text().await.expect("body"));
    assert_eq!(
        texts(&page, "p.error"),
        [
            "Заявку нельзя одобрить: e-mail ivanov@tsn.ru уже занят другой учётной записью. \
          Отклоните заявку с этой причиной."
        ]
    );
    assert_eq!(app_status(&app, id).await, "pending");
    assert_eq!(count(&app, "users").await, users, "no account made");
}

/// Requests for one organisation approved at the same moment: one creates it, the others are
/// told that it exists, as they would be one after another.
#[tokio::test]
async fn requests_approved_at_once_make_one_organisation_and_tell_the_rest() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(filed(&app, "7800123456").await);
    }
    let admin = app.login("admin").await;
    let organisations = count(&app, "organisations").await;
    let users = count(&app, "users").await;
    let answers = futures_util::future::join_all(ids.iter().map(|id| {
        let admin = &admin;
        async move {
            let response = admin
                .post_form(&format!("/admin/requests/{id}/approve"), &[])
                .await;
            let status = response.status();
            let page = scraper::Html::parse_document(&response.text().await.expect("body"));
            (status, texts(&page, "p.error"))
        }
    }))
    .await;
    let approved = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::SEE_OTHER)
        .count();
    assert_eq!(approved, 1, "{answers:?}");
    for (status, errors) in answers.iter().filter(|(s, _)| *s != StatusCode::SEE_OTHER) {
        assert_eq!(*status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("Организация с этим ИНН уже зарегистрирована"),
            "{errors:?}"
        );
    }
    assert_eq!(count(&app, "organisations").await, organisations + 1);
    assert_eq!(count(&app, "users").await, users + 2);
}

#[tokio::test]
async fn rejecting_needs_a_reason_which_the_contact_receives() {
    let app = TestApp::spawn().await;
    let id = filed(&app, "7800123456").await;
    let admin = app.login("admin").await;
    let empty = admin
        .post_form(&format!("/admin/requests/{id}/reject"), &[("reason", "  ")])
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app_status(&app, id).await, "pending");
    let rejected = admin
        .post_form(
            &format!("/admin/requests/{id}/reject"),
            &[("reason", "Письмо не подписано руководителем")],
        )
        .await;
    assert_eq!(rejected.status(), StatusCode::SEE_OTHER);
    assert_eq!(app_status(&app, id).await, "rejected");
    let mail =
        sqlx::query!("SELECT subject, body FROM mail_outbox WHERE recipient = 'contact@tsn.ru'")
            .fetch_one(&app.db)
            .await
            .expect("mail to the contact");
    assert_eq!(mail.subject, "ЕССК: заявка на доступ отклонена");
    assert!(mail.body.contains("Письмо не подписано руководителем"));
    assert_eq!(count(&app, "users WHERE email LIKE '%@tsn.ru'").await, 0);
    let approve = admin
        .post_form(&format!("/admin/requests/{id}/approve"), &[])
        .await;
    assert_eq!(approve.status(), StatusCode::CONFLICT);
    assert_eq!(count(&app, "users WHERE email LIKE '%@tsn.ru'").await, 0);
}

#[tokio::test]
async fn a_letter_over_ten_megabytes_is_refused_with_a_message() {
    let app = TestApp::spawn().await;
    let letter = multipart::Part::bytes(vec![b'%'; 12 * 1024 * 1024])
        .file_name("Письмо.pdf")
        .mime_str("application/pdf")
        .expect("mime");
    let form = request_form(
        "7812345678",
        &[("Иванов Иван", "112-233-445 95", "ivanov@tsn.ru", &[VIEW])],
        false,
    )
    .part("letter", letter);
    let (status, page) = file(&app.anonymous(), form).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.html().contains("больше допустимого размера"));
    assert_eq!(count(&app, "access_requests").await, 0);
}
