//! The test application: a fresh database, the real router on a loopback port, and users.

use std::{path::PathBuf, time::Duration};

use chrono::{DateTime, TimeZone, Utc};
use essk_approvals::{AppState, clock::Clock, config::Config, db, router, seed};
use reqwest::{StatusCode, multipart};
use scraper::{Html, Selector};
use sqlx::PgPool;

/// 12.03.2027 10:00 Moscow time: the launch moment of the spec's worked example.
pub fn spec_launch_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 12, 7, 0, 0)
        .single()
        .expect("valid instant")
}

/// The sample files shipped beside the project.
pub fn sample(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/samples")
        .join(path)
}

pub struct TestApp {
    pub base: String,
    pub db: PgPool,
    pub clock: Clock,
    /// Where the server keeps documents' bytes.
    pub storage_dir: std::path::PathBuf,
}

pub fn database_url_for(name: &str) -> String {
    let base = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/essk_test".to_owned());
    let without_query = base.split('?').next().unwrap_or(&base);
    let server = without_query
        .rsplit_once('/')
        .map_or(without_query, |(server, _)| server);
    format!("{server}/{name}")
}

impl TestApp {
    /// Starts the application on its own database with the demo data.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let name = format!("essk_test_{}", uuid::Uuid::new_v4().simple());
        let url = database_url_for(&name);
        let pool = db::connect_and_migrate(&url).await.expect("test database");
        seed::seed_demo_if_empty(&pool).await.expect("demo data");

        let storage_dir = std::env::temp_dir().join(&name);
        let mut config = Config {
            database_url: url,
            bind_addr: "127.0.0.1:0".parse().expect("address"),
            storage_dir: storage_dir.clone(),
            storage_url: None,
            secure_cookies: false,
            session_idle: Duration::from_secs(30 * 60),
            max_upload_bytes: 10 * 1024 * 1024,
            trusted_ca_dir: None,
            dates_refresh_interval: Duration::from_secs(3600),
            smtp_url: None,
            mail_from: "ЕССК <noreply@essk.test>".to_owned(),
            public_url: "http://essk.test".to_owned(),
            // Tests sign in many times from one address; the limit has its own test.
            anonymous_posts_per_minute: 100_000,
        };
        adjust(&mut config);
        let clock = Clock::fixed(spec_launch_time());
        let state = AppState::new(pool.clone(), config, clock.clone())
            .await
            .expect("state");
        let app = router(state).expect("router");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("port");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, app).await.expect("server runs");
        });
        TestApp {
            base: format!("http://{addr}"),
            db: pool,
            clock,
            storage_dir,
        }
    }

    /// A browser-like client that has not signed in.
    pub fn anonymous(&self) -> User {
        self.anonymous_from("127.0.0.1")
    }

    /// A client that has not signed in, connecting from another loopback address.
    pub fn anonymous_from(&self, address: &str) -> User {
        let origin = reqwest::header::HeaderValue::from_str(&self.base).expect("origin");
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::ORIGIN, origin);
        let local: std::net::IpAddr = address.parse().expect("address");
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .local_address(local)
            .build()
            .expect("client");
        User {
            client,
            base: self.base.clone(),
            login: String::new(),
        }
    }

    /// A client signed in as a demo user.
    pub async fn login(&self, login: &str) -> User {
        let mut user = self.anonymous();
        let response = user
            .post_form(
                "/login",
                &[("login", login), ("password", seed::DEMO_PASSWORD)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{login} signs in");
        user.login = login.to_owned();
        user
    }

    pub async fn route_id(&self) -> i64 {
        sqlx::query_scalar!("SELECT id FROM routes WHERE name = $1", seed::SEEDED_ROUTE)
            .fetch_one(&self.db)
            .await
            .expect("seeded route")
    }

    /// Folder ids of an approval by name.
    pub async fn folders(&self, approval_id: i64) -> Vec<(i64, String, bool)> {
        sqlx::query!(
            "SELECT id, name, is_required FROM approval_folders WHERE approval_id = $1 ORDER BY position",
            approval_id
        )
        .fetch_all(&self.db)
        .await
        .expect("folders")
        .into_iter()
        .map(|r| (r.id, r.name, r.is_required))
        .collect()
    }

    /// The participant of the approval belonging to the demo user's organisation.
    pub async fn participant_of(&self, approval_id: i64, login: &str) -> i64 {
        sqlx::query_scalar!(
            r#"
            SELECT p.id FROM approval_participants p
            JOIN users u ON u.organisation_id = p.organisation_id
            WHERE p.approval_id = $1 AND u.login = $2
            "#,
            approval_id,
            login
        )
        .fetch_one(&self.db)
        .await
        .expect("participant")
    }

    pub async fn status_of(&self, approval_id: i64) -> String {
        sqlx::query_scalar!("SELECT status FROM approvals WHERE id = $1", approval_id)
            .fetch_one(&self.db)
            .await
            .expect("approval")
    }

    /// A draft by `rso` with the required folders filled with a sample PDF and its real
    /// GOST signature.
    pub async fn ready_draft(&self, rso: &User) -> i64 {
        let id = rso
            .create_draft(self.route_id().await, "Подключение жилого дома")
            .await;
        let document = std::fs::read(sample("documents/Заявление.pdf")).expect("sample");
        let signature = std::fs::read(sample("signatures/Заявление.pdf.sig")).expect("sample");
        for (folder_id, _, required) in self.folders(id).await {
            if required {
                let files = [
                    ("Заявление.pdf", document.as_slice()),
                    ("Заявление.pdf.sig", signature.as_slice()),
                ];
                let response = rso.upload_files(id, folder_id, &files).await;
                assert_eq!(response.status(), StatusCode::SEE_OTHER);
            }
        }
        id
    }

    /// A ready draft of `rso`, launched.
    pub async fn launched_approval(&self) -> i64 {
        let rso = self.login("rso").await;
        let id = self.ready_draft(&rso).await;
        assert_eq!(
            rso.post_form(&format!("/approvals/{id}/launch"), &[])
                .await
                .status(),
            StatusCode::SEE_OTHER
        );
        id
    }

    /// A launched approval with every step-1 decision and the mandatory actions done,
    /// waiting for ГАТИ.
    pub async fn approval_waiting_for_gati(&self) -> i64 {
        let id = self.launched_approval().await;
        for login in STEP_ONE {
            let user = self.login(login).await;
            user.complete_mandatory_actions(self, id).await;
            let participant = self.participant_of(id, login).await;
            let response = user
                .decide(id, participant, "approve", "Замечаний нет")
                .await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{login} decides");
        }
        id
    }
}

/// Logins of the step-1 participants of the seeded route.
pub const STEP_ONE: [&str; 7] = ["owner1", "owner2", "kga", "kb", "kio", "kgiop", "kt"];

pub struct User {
    pub client: reqwest::Client,
    pub base: String,
    pub login: String,
}

impl User {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }

    pub async fn page(&self, path: &str) -> Html {
        let response = self.get(path).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "GET {path} as {}",
            self.login
        );
        Html::parse_document(&response.text().await.expect("body"))
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_multipart(&self, path: &str, form: multipart::Form) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .multipart(form)
            .send()
            .await
            .expect("request")
    }

    /// Creates a draft and returns its id.
    pub async fn create_draft(&self, route_id: i64, name: &str) -> i64 {
        let route = route_id.to_string();
        let response = self
            .post_form(
                "/approvals",
                &[
                    ("route_id", &route),
                    ("name", name),
                    ("subject", "Разрешение на производство земляных работ"),
                    ("works_address", "Санкт-Петербург, ул. Примерная, д. 1"),
                    ("cadastral_number", "78:12:0001234:56"),
                    ("network_kind", "Теплоснабжение"),
                    ("description", "Прокладка тепловой сети к жилому дому"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "draft created");
        let location = response.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        location
            .trim_start_matches("/approvals/")
            .trim_end_matches("/edit")
            .parse()
            .expect("approval id in the redirect")
    }

    pub async fn upload(
        &self,
        id: i64,
        folder_id: i64,
        name: &str,
        bytes: &[u8],
    ) -> reqwest::Response {
        self.upload_files(id, folder_id, &[(name, bytes)]).await
    }

    /// Uploads several files into a folder in one request.
    pub async fn upload_files(
        &self,
        id: i64,
        folder_id: i64,
        files: &[(&str, &[u8])],
    ) -> reqwest::Response {
        let mut form = multipart::Form::new();
        for (name, bytes) in files {
            let part = multipart::Part::bytes(bytes.to_vec()).file_name((*name).to_owned());
            form = form.part("files", part);
        }
        self.post_multipart(
            &format!("/approvals/{id}/folders/{folder_id}/documents"),
            form,
        )
        .await
    }

    pub async fn decide(
        &self,
        id: i64,
        participant: i64,
        decision: &str,
        comment: &str,
    ) -> reqwest::Response {
        let form = multipart::Form::new()
            .text("decision", decision.to_owned())
            .text("comment", comment.to_owned());
        self.post_multipart(
            &format!("/approvals/{id}/participants/{participant}/decision"),
            form,
        )
        .await
    }

    /// Completes the open mandatory actions of this user's organisation in the approval.
    pub async fn complete_mandatory_actions(&self, app: &TestApp, id: i64) {
        let actions = sqlx::query_scalar!(
            r#"
            SELECT a.id FROM approval_actions a
            JOIN approval_participants p ON p.id = a.participant_id
            JOIN users u ON u.organisation_id = p.organisation_id
            WHERE p.approval_id = $1 AND u.login = $2 AND a.is_mandatory AND a.done_at IS NULL
            "#,
            id,
            self.login
        )
        .fetch_all(&app.db)
        .await
        .expect("actions");
        for action in actions {
            let form = multipart::Form::new().text("comment", "Выполнено в срок");
            let response = self
                .post_multipart(&format!("/approvals/{id}/actions/{action}/complete"), form)
                .await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "action completed");
        }
    }
}

/// The text of every element matching `selector`, its text nodes joined by single spaces.
/// Rows of `from`: a table, perhaps with a `WHERE`.
pub async fn count(app: &TestApp, from: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM {from}"))
        .fetch_one(&app.db)
        .await
        .expect("count")
}

pub fn texts(html: &Html, selector: &str) -> Vec<String> {
    let selector = Selector::parse(selector).expect("selector");
    html.select(&selector)
        .map(|e| {
            let pieces: Vec<&str> = e.text().flat_map(str::split_whitespace).collect();
            pieces.join(" ")
        })
        .collect()
}

/// Files under the storage directory, relative to it.
pub fn stored_files(root: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).expect("inside").to_string_lossy();
                found.push(relative.into_owned());
            }
        }
    }
    found.sort();
    found
}
