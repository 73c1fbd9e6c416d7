//! Signing in and out, sessions and cross-site protection.

use std::time::Duration;

use reqwest::StatusCode;
use scraper::Html;

use crate::helpers::{TestApp, texts};

#[tokio::test]
async fn anonymous_visitors_are_sent_to_the_login_page() {
    let app = TestApp::spawn().await;
    let response = app.anonymous().get("/approvals").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/login");
}

#[tokio::test]
async fn a_wrong_password_is_refused_without_saying_which_field_was_wrong() {
    let app = TestApp::spawn().await;
    let visitor = app.anonymous();
    for (login, password) in [("rso", "wrong"), ("nobody", "demo1234")] {
        let response = visitor
            .post_form("/login", &[("login", login), ("password", password)])
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let page = Html::parse_document(&response.text().await.expect("body"));
        assert_eq!(texts(&page, "[role=alert]"), ["Неверный логин или пароль."]);
    }
    assert_eq!(
        visitor.get("/approvals").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn repeated_failures_make_the_login_wait_even_with_the_right_password() {
    let app = TestApp::spawn().await;
    let visitor = app.anonymous();
    for _ in 0..5 {
        visitor
            .post_form("/login", &[("login", "kga"), ("password", "guess")])
            .await;
    }
    let response = visitor
        .post_form("/login", &[("login", "kga"), ("password", "demo1234")])
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let page = Html::parse_document(&response.text().await.expect("body"));
    assert!(
        texts(&page, "[role=alert]")
            .join(" ")
            .contains("Повторите через")
    );
    // Guessing from one address does not keep the user out at another.
    let elsewhere = app
        .anonymous_from("127.0.0.2")
        .post_form("/login", &[("login", "kga"), ("password", "demo1234")])
        .await;
    assert_eq!(elsewhere.status(), StatusCode::SEE_OTHER);
    for _ in 0..5 {
        visitor
            .post_form("/login", &[("login", "kga"), ("password", "guess")])
            .await;
    }

    app.clock
        .set(app.clock.now() + chrono::Duration::minutes(10));
    let response = visitor
        .post_form("/login", &[("login", "kga"), ("password", "demo1234")])
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "after the wait the login works"
    );
}

#[tokio::test]
async fn the_session_id_is_renewed_at_login() {
    let app = TestApp::spawn().await;
    let visitor = app.anonymous();
    let planted = "essk_session=AAAAAAAAAAAAAAAAAAAAAA";
    let response = visitor
        .client
        .post(format!("{}/login", app.base))
        .header("cookie", planted)
        .form(&[("login", "rso"), ("password", "demo1234")])
        .send()
        .await
        .expect("request");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(cookie.starts_with("essk_session="));
    assert!(!cookie.starts_with(planted), "{cookie}");
}

#[tokio::test]
async fn logging_out_ends_the_session() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    assert_eq!(rso.get("/approvals").await.status(), StatusCode::OK);
    assert_eq!(
        rso.post_form("/logout", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(rso.get("/approvals").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_idle_session_ends() {
    let app = TestApp::spawn_with(|c| c.session_idle = Duration::from_secs(1)).await;
    let rso = app.login("rso").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(rso.get("/approvals").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_session_in_use_outlives_its_idle_time_and_then_ends_when_left() {
    let app = TestApp::spawn_with(|c| c.session_idle = Duration::from_secs(3)).await;
    let rso = app.login("rso").await;
    // Six seconds of work, a request every half second: twice the idle time.
    for _ in 0..12 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(rso.get("/approvals").await.status(), StatusCode::OK);
    }
    tokio::time::sleep(Duration::from_millis(4100)).await;
    assert_eq!(rso.get("/approvals").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_request_under_way_at_sign_out_does_not_bring_the_session_back() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id: String = sqlx::query_scalar!("SELECT id FROM sessions")
        .fetch_one(&app.db)
        .await
        .expect("session");
    assert_eq!(
        rso.post_form("/logout", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    // What a request that read the session before the sign-out writes back after it.
    let store = essk_approvals::web::session_store::PgSessionStore::new(app.db.clone());
    let record = tower_sessions::session::Record {
        id: id.parse().expect("session id"),
        data: [("user_id".to_owned(), serde_json::json!(1))].into(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    tower_sessions::SessionStore::save(&store, &record)
        .await
        .expect("save");
    let left: i64 = sqlx::query_scalar!("SELECT count(*) AS \"n!\" FROM sessions")
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_blocked_user_loses_an_open_session() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    sqlx::query!("UPDATE users SET blocked_at = now() WHERE login = 'rso'")
        .execute(&app.db)
        .await
        .expect("block");
    assert_eq!(rso.get("/approvals").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let route = app.route_id().await.to_string();
    let form = [
        ("route_id", route.as_str()),
        ("name", "Подделка"),
        ("subject", "Подделка"),
        ("works_address", "Адрес"),
        ("network_kind", "Водоснабжение"),
    ];
    let url = format!("{}/approvals", app.base);

    let foreign = rso
        .client
        .post(&url)
        .header("origin", "http://evil.example")
        .form(&form);
    let cross_site = rso
        .client
        .post(&url)
        .header("sec-fetch-site", "cross-site")
        .form(&form);
    for request in [foreign, cross_site] {
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    let count = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM approvals"#)
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(count, 0);
}

#[tokio::test]
async fn pages_carry_the_security_headers() {
    let app = TestApp::spawn().await;
    let response = app.anonymous().get("/login").await;
    let headers = response.headers();
    let csp = headers["content-security-policy"].to_str().expect("ascii");
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
}

#[tokio::test]
async fn one_address_sending_too_many_open_forms_waits_and_others_do_not() {
    let app = TestApp::spawn_with(|config| config.anonymous_posts_per_minute = 5).await;
    let rso = app.login("rso").await;
    let guesser = app.anonymous();
    let mut statuses = Vec::new();
    for login in ["a", "b", "c", "d"] {
        let response = guesser
            .post_form("/login", &[("login", login), ("password", "guess")])
            .await;
        statuses.push(response.status());
    }
    assert!(
        statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    let limited = guesser
        .post_form("/password/forgot", &[("email", "a@example.ru")])
        .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        limited
            .text()
            .await
            .expect("body")
            .contains("Слишком много запросов с вашего адреса")
    );
    let failures = crate::helpers::count(&app, "login_failures").await;
    let again = guesser
        .post_form("/login", &[("login", "e"), ("password", "guess")])
        .await;
    assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        crate::helpers::count(&app, "login_failures").await,
        failures,
        "a refused try is not even counted"
    );

    let other = app
        .anonymous_from("127.0.0.3")
        .post_form("/login", &[("login", "kga"), ("password", "demo1234")])
        .await;
    assert_eq!(
        other.status(),
        StatusCode::SEE_OTHER,
        "another address signs in"
    );
    assert_eq!(
        rso.get("/approvals").await.status(),
        StatusCode::OK,
        "signed-in work is not limited"
    );
}

#[tokio::test]
async fn activity_is_noted_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    let kga = app.login("kga").await;
    let seen = || async {
        sqlx::query_scalar::<_, Option<chrono::DateTime<chrono::Utc>>>(
            "SELECT last_seen_at FROM users WHERE login = 'kga'",
        )
        .fetch_one(&app.db)
        .await
        .expect("last seen")
    };
    let first = seen().await.expect("noted at sign-in");
    app.clock.set(first + chrono::Duration::seconds(30));
    assert_eq!(kga.get("/approvals").await.status(), StatusCode::OK);
    assert_eq!(seen().await, Some(first), "not again within the minute");
    let later = first + chrono::Duration::minutes(2);
    app.clock.set(later);
    assert_eq!(kga.get("/approvals").await.status(), StatusCode::OK);
    assert_eq!(seen().await, Some(later));
}
