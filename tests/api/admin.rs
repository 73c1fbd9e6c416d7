//! Administration: organisations, users and their one-time links, blocking, routes as
//! versions, and the heads' cabinet.

use chrono::Duration;
use essk_approvals::background;
use reqwest::StatusCode;

use crate::helpers::{TestApp, User, count, texts};

/// The one-time link in the last mail queued for `recipient`, as the path it opens.
async fn link_in_mail(app: &TestApp, recipient: &str) -> String {
    let body = sqlx::query_scalar!(
        "SELECT body FROM mail_outbox WHERE recipient = $1 ORDER BY id DESC LIMIT 1",
        recipient
    )
    .fetch_one(&app.db)
    .await
    .expect("a mail was queued");
    let start = body.find("http://essk.test/password/set/").expect("a link");
    let link = body[start..].split_whitespace().next().expect("link");
    link.trim_start_matches("http://essk.test").to_owned()
}

async fn user_id(app: &TestApp, login: &str) -> i64 {
    sqlx::query_scalar!("SELECT id FROM users WHERE login = $1", login)
        .fetch_one(&app.db)
        .await
        .expect("user")
}

async fn org_of(app: &TestApp, login: &str) -> i64 {
    sqlx::query_scalar!("SELECT organisation_id FROM users WHERE login = $1", login)
        .fetch_one(&app.db)
        .await
        .expect("user")
}

async fn sign_in(app: &TestApp, login: &str, password: &str) -> (User, StatusCode) {
    let user = app.anonymous();
    let status = user
        .post_form("/login", &[("login", login), ("password", password)])
        .await
        .status();
    (user, status)
}

#[tokio::test]
async fn only_an_administrator_reaches_the_administration_and_nothing_changes_otherwise() {
    let app = TestApp::spawn().await;
    let kga = user_id(&app, "kga").await;
    let route = app.route_id().await;
    let gets = [
        "/admin".to_owned(),
        "/admin/organisations".to_owned(),
        "/admin/organisations/new".to_owned(),
        "/admin/organisations/1".to_owned(),
        "/admin/users".to_owned(),
        "/admin/users/new".to_owned(),
        format!("/admin/users/{kga}"),
        "/admin/routes".to_owned(),
        "/admin/routes/new".to_owned(),
        format!("/admin/routes/{route}/edit"),
    ];
    let posts = [
        "/admin/organisations".to_owned(),
        "/admin/organisations/1".to_owned(),
        "/admin/users".to_owned(),
        format!("/admin/users/{kga}"),
        format!("/admin/users/{kga}/block"),
        format!("/admin/users/{kga}/unblock"),
        format!("/admin/users/{kga}/link"),
        "/admin/routes/editor".to_owned(),
        format!("/admin/routes/{route}/retire"),
    ];
    let before = (
        count(&app, "organisations").await,
        count(&app, "users WHERE blocked_at IS NULL").await,
        count(&app, "routes WHERE retired_at IS NULL").await,
        count(&app, "mail_outbox").await,
    );
    for login in ["rso", "rso-head", "kga", "public-viewer"] {
        let user = app.login(login).await;
        for path in &gets {
            assert_eq!(
                user.get(path).await.status(),
                StatusCode::FORBIDDEN,
                "{login} GET {path}"
            );
        }
        for path in &posts {
            let form = [
                ("name", "Чужая"),
                ("short_name", "Чужая"),
                ("kind", "rso"),
                ("inn", "7800000001"),
                ("op", "save"),
            ];
            let status = user.post_form(path, &form).await.status();
            assert_eq!(status, StatusCode::FORBIDDEN, "{login} POST {path}");
        }
    }
    let anonymous = app.anonymous();
    for path in &gets {
        let response = anonymous.get(path).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "anonymous GET {path}"
        );
    }
    let after = (
        count(&app, "organisations").await,
        count(&app, "users WHERE blocked_at IS NULL").await,
        count(&app, "routes WHERE retired_at IS NULL").await,
        count(&app, "mail_outbox").await,
    );
    assert_eq!(before, after, "no refused request changed anything");

    let admin = app.login("admin").await;
    for path in &gets {
        assert_eq!(
            admin.get(path).await.status(),
            StatusCode::OK,
            "admin GET {path}"
        );
    }
}

#[tokio::test]
async fn an_organisation_is_added_and_bad_fields_are_told_in_russian() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let before = count(&app, "organisations").await;
    let bad = admin
        .post_form(
            "/admin/organisations",
            &[
                ("name", "ООО «Тест»"),
                ("short_name", ""),
                ("kind", "x"),
                ("inn", "12"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = scraper::Html::parse_document(&bad.text().await.expect("body"));
    assert_eq!(
        texts(&page, "div.error li"),
        [
            "Укажите краткое наименование организации.",
            "Выберите вид организации.",
            "ИНН — 10 цифр для организации или 12 для предпринимателя."
        ]
    );
    assert_eq!(
        texts(&page, "input[name=name]").len(),
        1,
        "the form comes back"
    );
    assert_eq!(count(&app, "organisations").await, before);

    let ok = admin
        .post_form(
            "/admin/organisations",
            &[
                ("name", "ООО «Новые сети»"),
                ("short_name", "Новые сети"),
                ("kind", "network_owner"),
                ("inn", "7812345678"),
                ("ogrn", "1027800000001"),
            ],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let list = admin.page("/admin/organisations").await;
    assert!(texts(&list, "table.organisations td").contains(&"Новые сети".to_owned()));
    let again = admin
        .post_form(
            "/admin/organisations",
            &[
                ("name", "Другая"),
                ("short_name", "Другая"),
                ("kind", "rso"),
                ("inn", "7812345678"),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY, "same ИНН");
    assert_eq!(count(&app, "organisations").await, before + 1);
}

#[tokio::test]
async fn a_new_user_sets_a_password_by_a_link_that_works_once_and_expires() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let org = org_of(&app, "kga").await.to_string();
    let form = |login: &'static str, email: &'static str, snils: &'static str| {
        vec![
            ("organisation_id", org.clone()),
            ("login", login.to_owned()),
            ("full_name", "Петрова Анна Сергеевна".to_owned()),
            ("position", "Ведущий специалист".to_owned()),
            ("email", email.to_owned()),
            ("snils", snils.to_owned()),
            ("can_participate", "on".to_owned()),
            ("can_view", "on".to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let admin = &admin;
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.post_form("/admin/users", &pairs).await
        }
    };
    let users_before = count(&app, "users").await;
    let wrong = post(form("petrova", "petrova@kga.spb.ru", "112-233-445 96")).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text()
            .await
            .expect("body")
            .contains("контрольное число не совпадает")
    );
    sqlx::query!("UPDATE users SET email = 'taken@kga.spb.ru' WHERE login = 'kga'")
        .execute(&app.db)
        .await
        .expect("email");
    let taken = post(form("petrova", "Taken@KGA.spb.ru", "112-233-445 95")).await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        taken
            .text()
            .await
            .expect("body")
            .contains("уже указан у другого пользователя")
    );
    assert_eq!(count(&app, "users").await, users_before, "nothing created");

    let created = post(form("petrova", "petrova@kga.spb.ru", "112-233-445 95")).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let stored = sqlx::query!(
        "SELECT can_create, can_participate, can_view, can_view_public, snils FROM users \
         WHERE login = 'petrova'"
    )
    .fetch_one(&app.db)
    .await
    .expect("created");
    assert_eq!(
        (
            stored.can_create,
            stored.can_participate,
            stored.can_view,
            stored.can_view_public
        ),
        (false, true, true, false),
        "the ticked rights"
    );
    assert_eq!(stored.snils.as_deref(), Some("11223344595"));
    let mail = sqlx::query!(
        "SELECT subject, body, holds_link FROM mail_outbox WHERE recipient = 'petrova@kga.spb.ru'"
    )
    .fetch_one(&app.db)
    .await
    .expect("mail");
    assert_eq!(mail.subject, "ЕССК: доступ предоставлен");
    assert!(mail.holds_link);
    assert!(mail.body.contains("Логин: petrova"));
    assert!(
        !mail.body.to_lowercase().contains("пароль:"),
        "no password by mail"
    );
    let (_, before_set) = sign_in(&app, "petrova", "").await;
    assert_eq!(before_set, StatusCode::UNAUTHORIZED, "no password yet");

    let link = link_in_mail(&app, "petrova@kga.spb.ru").await;
    let anonymous = app.anonymous();
    let form_page = anonymous.page(&link).await;
    assert!(texts(&form_page, "p").iter().any(|p| p.contains("petrova")));
    for (weak, message) in [
        ("короткий", "не короче 10 символов"),
        ("petrova-Невский-1", "не должен содержать логин"),
        ("qwertyuiop", "слишком простой"),
    ] {
        let refused = anonymous
            .post_form(&link, &[("password", weak), ("confirmation", weak)])
            .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
        assert!(
            refused.text().await.expect("body").contains(message),
            "{weak}"
        );
    }
    let password = "Ладожский мост 1917";
    let set = anonymous
        .post_form(&link, &[("password", password), ("confirmation", password)])
        .await;
    assert_eq!(set.status(), StatusCode::OK);
    let (petrova, status) = sign_in(&app, "petrova", password).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "signs in with the new password"
    );
    assert_eq!(petrova.get("/approvals").await.status(), StatusCode::OK);

    let again = anonymous
        .post_form(
            &link,
            &[
                ("password", "Другой пароль 2028"),
                ("confirmation", "Другой пароль 2028"),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "a link works once");
    assert_eq!(anonymous.get(&link).await.status(), StatusCode::CONFLICT);

    // A fresh link expires after 72 hours.
    let id = user_id(&app, "petrova").await;
    let resent = admin
        .post_form(&format!("/admin/users/{id}/link"), &[])
        .await;
    assert_eq!(resent.status(), StatusCode::SEE_OTHER);
    let late = link_in_mail(&app, "petrova@kga.spb.ru").await;
    assert_ne!(late, link);
    app.clock.set(app.clock.now() + Duration::hours(73));
    assert_eq!(anonymous.get(&late).await.status(), StatusCode::CONFLICT);
    let (_, status) = sign_in(&app, "petrova", password).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the old password still works"
    );
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_a_link_and_the_page_tells_nothing_of_addresses() {
    let app = TestApp::spawn().await;
    sqlx::query!("UPDATE users SET email = 'kb@kb.spb.ru' WHERE login = 'kb'")
        .execute(&app.db)
        .await
        .expect("email");
    let anonymous = app.anonymous();
    let unknown = anonymous
        .post_form("/password/forgot", &[("email", "nobody@example.ru")])
        .await;
    assert_eq!(unknown.status(), StatusCode::OK);
    let unknown_text = unknown.text().await.expect("body");
    assert_eq!(count(&app, "mail_outbox").await, 0);
    let known = anonymous
        .post_form("/password/forgot", &[("email", " KB@kb.spb.ru ")])
        .await;
    let known_text = known.text().await.expect("body");
    let notice = |text: &str| texts(&scraper::Html::parse_document(text), "p.notice");
    assert_eq!(notice(&unknown_text), notice(&known_text));
    let mails = count(&app, "mail_outbox").await;
    anonymous
        .post_form("/password/forgot", &[("email", "kb@kb.spb.ru")])
        .await;
    assert_eq!(
        count(&app, "mail_outbox").await,
        mails,
        "one link per five minutes"
    );
    let link = link_in_mail(&app, "kb@kb.spb.ru").await;
    let signed_in_before = app.login("kb").await;
    assert_eq!(
        signed_in_before.get("/approvals").await.status(),
        StatusCode::OK
    );
    // Set within the same second as that sign-in: it still ends.
    app.clock.set(app.clock.now() + Duration::milliseconds(5));
    let password = "Сампсониевский 44 мост";
    let set = anonymous
        .post_form(&link, &[("password", password), ("confirmation", password)])
        .await;
    assert_eq!(set.status(), StatusCode::OK);
    let (_, old) = sign_in(&app, "kb", essk_approvals::seed::DEMO_PASSWORD).await;
    assert_eq!(old, StatusCode::UNAUTHORIZED);
    let (kb, new) = sign_in(&app, "kb", password).await;
    assert_eq!(new, StatusCode::SEE_OTHER);
    assert_eq!(kb.get("/approvals").await.status(), StatusCode::OK);
    assert_eq!(
        signed_in_before.get("/approvals").await.status(),
        StatusCode::SEE_OTHER,
        "a session from before the new password ends"
    );
}

#[tokio::test]
async fn an_account_unused_for_six_months_is_blocked_with_a_notice_and_only_an_admin_unblocks() {
    let app = TestApp::spawn().await;
    sqlx::query!(
        "UPDATE users SET created_at = $1, last_seen_at = NULL",
        app.clock.now()
    )
    .execute(&app.db)
    .await
    .expect("fresh accounts");
    let kt = app.login("kt").await;
    let kb = app.login("kb").await;
    // Five months on kb works; six months after anyone's last use everyone else is blocked.
    app.clock.set(app.clock.now() + Duration::days(150));
    assert_eq!(kb.get("/approvals").await.status(), StatusCode::OK);
    app.clock.set(app.clock.now() + Duration::days(40));
    let blocked = background::block_inactive(&app.db, app.clock.now())
        .await
        .expect("sweep");
    assert!(blocked > 0);
    let kt_id = user_id(&app, "kt").await;
    let reason = sqlx::query_scalar!("SELECT blocked_reason FROM users WHERE id = $1", kt_id)
        .fetch_one(&app.db)
        .await
        .expect("user");
    assert_eq!(reason.as_deref(), Some("inactive"));
    assert_eq!(
        kt.get("/approvals").await.status(),
        StatusCode::SEE_OTHER,
        "the existing session is refused"
    );
    let (_, status) = sign_in(&app, "kt", essk_approvals::seed::DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        kb.get("/approvals").await.status(),
        StatusCode::OK,
        "used 40 days ago"
    );
    assert_eq!(
        background::block_inactive(&app.db, app.clock.now())
            .await
            .expect("sweep"),
        0,
        "a second sweep blocks no one again"
    );
    let notices = sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM notifications WHERE user_id = $1 AND kind = 'blocked'",
        kt_id
    )
    .fetch_one(&app.db)
    .await
    .expect("notice");
    assert_eq!(notices, 1);

    let admin = app.login("admin").await;
    let page = admin.page(&format!("/admin/users/{kt_id}")).await;
    assert!(texts(&page, "span.warning")[0].contains("не использовалась 6 месяцев"));
    let unblocked = admin
        .post_form(&format!("/admin/users/{kt_id}/unblock"), &[])
        .await;
    assert_eq!(unblocked.status(), StatusCode::SEE_OTHER);
    let (_, status) = sign_in(&app, "kt", essk_approvals::seed::DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        background::block_inactive(&app.db, app.clock.now())
            .await
            .expect("sweep"),
        0,
        "unblocking counts the six months afresh"
    );

    // An administrator's block also ends the sessions at once.
    let kb_id = user_id(&app, "kb").await;
    let block = admin
        .post_form(&format!("/admin/users/{kb_id}/block"), &[])
        .await;
    assert_eq!(block.status(), StatusCode::SEE_OTHER);
    assert_eq!(kb.get("/approvals").await.status(), StatusCode::SEE_OTHER);
}

/// The editor's fields for the seeded route's shape with ГАТИ's term `gati_days`.
pub async fn route_form(app: &TestApp, name: &str, gati_days: &str) -> Vec<(String, String)> {
    let orgs: Vec<i64> = sqlx::query_scalar!(
        "SELECT id FROM organisations WHERE kind <> 'rso' AND kind <> 'operator' AND kind <> 'gati' ORDER BY id"
    )
    .fetch_all(&app.db)
    .await
    .expect("orgs");
    let gati = sqlx::query_scalar!("SELECT id FROM organisations WHERE kind = 'gati'")
        .fetch_one(&app.db)
        .await
        .expect("gati");
    let mut fields = vec![
        ("name".to_owned(), name.to_owned()),
        ("is_public".to_owned(), "on".to_owned()),
        ("s0".to_owned(), "1".to_owned()),
    ];
    for (i, org) in orgs.iter().enumerate() {
        let p = format!("s0.p{i}");
        fields.push((p.clone(), "1".to_owned()));
        fields.push((format!("{p}.org"), org.to_string()));
        fields.push((format!("{p}.days"), "10".to_owned()));
        fields.push((format!("{p}.basis"), "launch".to_owned()));
        fields.push((format!("{p}.mandatory"), "on".to_owned()));
    }
    for (k, v) in [
        ("s1", "1"),
        ("s1.p0", "1"),
        ("s1.p0.basis", "launch"),
        ("s1.p0.mandatory", "on"),
        ("s1.p0.final", "on"),
        ("s1.p0.a0", "1"),
        ("s1.p0.a0.text", "Оформить ордер"),
        ("s1.p0.a0.days", "3"),
        ("s1.p0.a0.mandatory", "on"),
        ("f0", "1"),
        ("f0.name", "Заявление"),
        ("f0.required", "on"),
        ("op", "save"),
    ] {
        fields.push((k.to_owned(), v.to_owned()));
    }
    fields.push(("s1.p0.org".to_owned(), gati.to_string()));
    fields.push(("s1.p0.days".to_owned(), gati_days.to_owned()));
    fields
}

pub async fn post_fields(
    user: &User,
    path: &str,
    fields: &[(String, String)],
) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    user.post_form(path, &pairs).await
}

#[tokio::test]
async fn a_route_is_saved_as_a_new_version_and_running_approvals_keep_their_copy() {
    let app = TestApp::spawn().await;
    let running = app.launched_approval().await;
    let old_route = app.route_id().await;
    let copy = || async {
        sqlx::query!(
            "SELECT organisation_id, term_days, deadline FROM approval_participants \
             WHERE approval_id = $1 ORDER BY id",
            running
        )
        .fetch_all(&app.db)
        .await
        .expect("copy")
        .into_iter()
        .map(|r| (r.organisation_id, r.term_days, r.deadline))
        .collect::<Vec<_>>()
    };
    let before = copy().await;
    let admin = app.login("admin").await;

    // Step 2 is planned to start 10 days after launch: 10 days from launch leave none.
    let mut fields = route_form(&app, "Маршрут 2", "10").await;
    fields.push(("base".to_owned(), old_route.to_string()));
    let refused = post_fields(&admin, "/admin/routes/editor", &fields).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = scraper::Html::parse_document(&refused.text().await.expect("body"));
    assert_eq!(
        texts(&page, "div.error li"),
        [
            "Этап 2, участник 1: срок от запуска 10 дн. должен быть больше 10 дн. — столько \
          проходит до планового начала этапа."
        ]
    );
    let kept: Vec<String> = page
        .select(&scraper::Selector::parse("input[name='s1.p0.a0.text']").expect("selector"))
        .filter_map(|e| e.value().attr("value").map(str::to_owned))
        .collect();
    assert_eq!(kept, ["Оформить ордер"], "what was typed comes back");
    assert_eq!(count(&app, "routes").await, 1);

    // A button adds a row and keeps the rest.
    let mut adding = fields.clone();
    adding.retain(|(k, _)| k != "op");
    adding.push(("op".to_owned(), "add_participant:s0".to_owned()));
    let added = post_fields(&admin, "/admin/routes/editor", &adding).await;
    assert_eq!(added.status(), StatusCode::OK);
    let page = scraper::Html::parse_document(&added.text().await.expect("body"));
    let step_one_rows = texts(&page, "fieldset.route-step:first-of-type tbody > tr").len();
    assert_eq!(step_one_rows, 8, "seven and a new one");

    let mut fields = route_form(&app, "Маршрут 2", "14").await;
    fields.push(("base".to_owned(), old_route.to_string()));
    let saved = post_fields(&admin, "/admin/routes/editor", &fields).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let versions = sqlx::query!(
        "SELECT id, version, retired_at IS NOT NULL AS \"retired!\", family_id FROM routes ORDER BY id"
    )
    .fetch_all(&app.db)
    .await
    .expect("versions");
    assert_eq!(versions.len(), 2);
    assert!(versions[0].retired && !versions[1].retired);
    assert_eq!(
        (versions[1].version, versions[1].family_id),
        (2, versions[0].family_id)
    );
    assert_eq!(copy().await, before, "the running approval keeps its copy");

    // Saving over the retired version again is refused: someone changed it meanwhile.
    let stale = post_fields(&admin, "/admin/routes/editor", &fields).await;
    assert_eq!(stale.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        stale
            .text()
            .await
            .expect("body")
            .contains("Пока вы редактировали")
    );
    assert_eq!(count(&app, "routes").await, 2);

    // «Создать» offers the new version only; a draft on it copies its terms.
    let rso = app.login("rso").await;
    let offered = texts(
        &rso.page("/approvals/new").await,
        "select[name=route_id] option",
    );
    assert!(offered.contains(&"Маршрут 2".to_owned()), "{offered:?}");
    let draft = rso.create_draft(versions[1].id, "На новом маршруте").await;
    let terms = sqlx::query_scalar!(
        "SELECT term_days FROM approval_participants WHERE approval_id = $1 ORDER BY id",
        draft
    )
    .fetch_all(&app.db)
    .await
    .expect("terms");
    assert_eq!(terms.last(), Some(&14));
    assert!(terms[..terms.len() - 1].iter().all(|d| *d == 10));

    let retire = admin
        .post_form(&format!("/admin/routes/{}/retire", versions[1].id), &[])
        .await;
    assert_eq!(retire.status(), StatusCode::SEE_OTHER);
    let offered = texts(
        &rso.page("/approvals/new").await,
        "select[name=route_id] option",
    );
    assert!(!offered.contains(&"Маршрут 2".to_owned()));
    assert_eq!(app.status_of(draft).await, "draft", "the draft stays");
}

#[tokio::test]
async fn a_head_changes_rights_of_its_own_staff_only_and_sees_its_reports() {
    let app = TestApp::spawn().await;
    app.launched_approval().await;
    sqlx::query!("UPDATE users SET snils = '11223344595' WHERE login = 'rso-viewer'")
        .execute(&app.db)
        .await
        .expect("snils");
    let head = app.login("rso-head").await;
    let viewer = user_id(&app, "rso-viewer").await;
    let foreign = user_id(&app, "kga").await;

    let staff = head.page("/cabinet/staff").await;
    assert!(texts(&staff, "td.snils").contains(&"112-233-445 95".to_owned()));
    assert!(
        !texts(&staff, "tr[data-user] td").contains(&"КГА".to_owned()),
        "only its own staff"
    );
    let granted = head
        .post_form(
            &format!("/cabinet/staff/{viewer}/rights"),
            &[("can_view", "on"), ("can_create", "on")],
        )
        .await;
    assert_eq!(granted.status(), StatusCode::SEE_OTHER);
    let rights = sqlx::query!(
        "SELECT can_create, can_view, can_participate, is_admin, is_head FROM users WHERE id = $1",
        viewer
    )
    .fetch_one(&app.db)
    .await
    .expect("rights");
    assert!(rights.can_create && rights.can_view && !rights.can_participate);
    assert!(
        !rights.is_admin && !rights.is_head,
        "never more than the four rights"
    );

    let refused = head
        .post_form(
            &format!("/cabinet/staff/{foreign}/rights"),
            &[("can_create", "on")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let kga = sqlx::query_scalar!("SELECT can_create FROM users WHERE id = $1", foreign)
        .fetch_one(&app.db)
        .await
        .expect("kga");
    assert!(!kga, "another organisation's user is untouched");
    let escalate = head
        .post_form(
            &format!("/cabinet/staff/{viewer}/rights"),
            &[("is_admin", "on"), ("is_head", "on")],
        )
        .await;
    assert_eq!(escalate.status(), StatusCode::SEE_OTHER);
    let after = sqlx::query!("SELECT is_admin, is_head FROM users WHERE id = $1", viewer)
        .fetch_one(&app.db)
        .await
        .expect("user");
    assert!(!after.is_admin && !after.is_head);

    // A head of the operator's organisation: its administrator is not among the staff,
    // and the administrator's rights cannot be changed from the cabinet.
    sqlx::query("UPDATE users SET is_head = true WHERE login = 'public-viewer'")
        .execute(&app.db)
        .await
        .expect("head");
    let admin_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE login = 'admin'")
        .fetch_one(&app.db)
        .await
        .expect("admin");
    let operator_head = app.login("public-viewer").await;
    let operator_staff = operator_head.page("/cabinet/staff").await;
    assert!(
        !operator_staff
            .html()
            .contains(&format!("/cabinet/staff/{admin_id}/rights"))
    );
    let admin_rights = || async {
        let rights: (bool, bool, bool, bool) = sqlx::query_as(
            "SELECT can_create, can_participate, can_view, can_view_public FROM users \
             WHERE id = $1",
        )
        .bind(admin_id)
        .fetch_one(&app.db)
        .await
        .expect("admin");
        rights
    };
    let before = admin_rights().await;
    let refused = operator_head
        .post_form(
            &format!("/cabinet/staff/{admin_id}/rights"),
            &[
                ("can_create", "on"),
                ("can_participate", "on"),
                ("can_view", "on"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        admin_rights().await,
        before,
        "the administrator is untouched"
    );

    let rso = app.login("rso").await;
    assert_eq!(rso.get("/cabinet").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        rso.post_form(&format!("/cabinet/staff/{viewer}/rights"), &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    let reports = head.page("/cabinet?from=2027-03-01&to=2027-03-31").await;
    let rows = texts(&reports, "table.report-statuses tbody tr");
    assert!(rows.contains(&"Запущено 1".to_owned()), "{rows:?}");
    assert_eq!(texts(&reports, "svg.chart").len(), 1, "decisions: none yet");
    let bad = head.page("/cabinet?from=вчера").await;
    assert!(texts(&bad, "div.error li")[0].starts_with("Дата «с» не распознана"));
    let long_ago = head.page("/cabinet?from=1900-01-01").await;
    assert!(
        texts(&long_ago, "div.error li")[0]
            .starts_with("Дата «с» не распознана или лежит вне 2000–2100 годов; взята ")
    );
}

/// The editor's list offers two ways to count a term; any other value is refused, not read
/// as the first.
#[tokio::test]
async fn an_unknown_way_to_count_a_term_is_refused_and_saves_no_version() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let routes = count(&app, "routes").await;
    let mut fields = route_form(&app, "Маршрут 2", "12").await;
    for (key, value) in &mut fields {
        if key == "s1.p0.basis" {
            *value = "bogus".to_owned();
        }
    }
    let refused = post_fields(&admin, "/admin/routes/editor", &fields).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = scraper::Html::parse_document(&refused.text().await.expect("body"));
    assert_eq!(
        texts(&page, "div.error li"),
        [
            "Отсчёт срока участника не распознан: выберите его из списка — от запуска \
          согласования или от начала шага."
        ]
    );
    assert_eq!(count(&app, "routes").await, routes, "no version saved");
}

/// A user moved to another organisation no longer sees notices about the old one's
/// approvals; logins that would read like another's are refused.
#[tokio::test]
async fn a_moved_user_loses_the_old_organisations_notices_and_logins_stay_plain() {
    let app = TestApp::spawn().await;
    let id = app.launched_approval().await;
    let kt = app.login("kt").await;
    let seat = app.participant_of(id, "kt").await;
    kt.decide(id, seat, "approve", "").await;
    let notices = |login: &'static str| {
        let app = &app;
        async move {
            count(
                app,
                &format!(
                    "notifications WHERE user_id = (SELECT id FROM users WHERE login = '{login}')"
                ),
            )
            .await
        }
    };
    assert!(notices("rso-viewer").await > 0);
    let kept = notices("rso").await;
    assert!(kept > 0);

    let admin = app.login("admin").await;
    let viewer = sqlx::query!(
        "SELECT id, full_name, position, email, snils FROM users WHERE login = 'rso-viewer'"
    )
    .fetch_one(&app.db)
    .await
    .expect("viewer");
    let other = org_of(&app, "rso2").await.to_string();
    let form = |login: &'static str| {
        vec![
            ("organisation_id", other.clone()),
            ("login", login.to_owned()),
            ("full_name", viewer.full_name.clone()),
            ("position", viewer.position.clone()),
            ("email", viewer.email.clone().unwrap_or_default()),
            ("snils", viewer.snils.clone().unwrap_or_default()),
            ("can_view", "on".to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let admin = &admin;
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin
                .post_form(&format!("/admin/users/{}", viewer.id), &pairs)
                .await
        }
    };
    for look_alike in ["rsо-viewer", "ｒso-viewer", "rso-viewer\u{200b}"] {
        let refused = post(form(look_alike)).await;
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{look_alike}"
        );
        let page = scraper::Html::parse_document(&refused.text().await.expect("body"));
        assert_eq!(
            texts(&page, "div.error li"),
            ["Логин может состоять только из латинских букв, цифр и знаков «.», «_», «-», «@»."]
        );
    }
    assert!(notices("rso-viewer").await > 0, "nothing changed yet");

    let moved = post(form("rso-viewer")).await;
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    assert_eq!(org_of(&app, "rso-viewer").await.to_string(), other);
    assert_eq!(notices("rso-viewer").await, 0);
    assert_eq!(notices("rso").await, kept, "others keep theirs");
}
