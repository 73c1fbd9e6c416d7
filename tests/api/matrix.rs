//! The authorisation matrix: every page of the router × every kind of user × an approval of
//! someone else in each state. The expected answer of every cell is written down below; a page
//! without a written-down class fails the test, so a new page cannot be left out. A refused
//! request, and any GET, must leave the business data exactly as it was.

use std::{collections::BTreeMap, fmt::Write as _};

use essk_approvals::web::pages;
use reqwest::{Method, StatusCode, multipart};

use crate::{
    access_requests::request_form,
    admin::{post_fields, route_form},
    helpers::{TestApp, User, sample},
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Anonymous,
    /// `rso2`: another РСО with «Создавать согласования».
    RsoCreate,
    /// `rso-viewer`: the initiator's organisation, «Просматривать согласования» only.
    RsoView,
    /// `kt`: a participant of the approval.
    Participant,
    /// `owner3`: a participant of another approval only.
    OtherParticipant,
    /// `public-viewer`: «Просматривать публичные согласования»; the route is public.
    PublicViewer,
    /// `rso-head`: head of the initiator's organisation, «Просматривать согласования».
    Head,
    Admin,
    /// `rso`: the initiator itself, outside the matrix; the control for forged requests.
    Initiator,
}

const ROLES: [Role; 8] = [
    Role::Anonymous,
    Role::RsoCreate,
    Role::RsoView,
    Role::Participant,
    Role::OtherParticipant,
    Role::PublicViewer,
    Role::Head,
    Role::Admin,
];

impl Role {
    fn login(self) -> Option<&'static str> {
        Some(match self {
            Role::Anonymous => return None,
            Role::RsoCreate => "rso2",
            Role::RsoView => "rso-viewer",
            Role::Participant => "kt",
            Role::OtherParticipant => "owner3",
            Role::PublicViewer => "public-viewer",
            Role::Head => "rso-head",
            Role::Admin => "admin",
            Role::Initiator => "rso",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    Draft,
    Launched,
    /// Refused by ГАТИ, so that a repeat could be started from it.
    Completed,
}

/// How much of the approval a role sees (spec §1), written down rather than computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sight {
    Hidden,
    Public,
    Full,
}

fn sight(role: Role, state: State) -> Sight {
    match (role, state) {
        (Role::RsoView | Role::Head | Role::Admin, _) => Sight::Full,
        (Role::Participant, State::Launched | State::Completed) => Sight::Full,
        (Role::PublicViewer, State::Launched | State::Completed) => Sight::Public,
        _ => Sight::Hidden,
    }
}

/// What a page demands of its user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Open to everyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// «Создавать согласования».
    Creator,
    /// Looking up an approval to repeat by its number: the creators' form, which answers
    /// «не найдено» for another organisation's number.
    RepeatLookup,
    /// The head of an organisation.
    Head,
    /// An administrator.
    Admin,
    /// The approval's card, its decision and action tables, its signatures' details (СНИЛС
    /// masked for the public): anyone who sees it, the public right included.
    Card,
    /// Documents and the case file: who sees the approval fully.
    CaseFile,
    /// Changing a draft or starting a repeat: the initiator's creators only.
    Manage,
    /// Acting and deciding for the participant `kt`.
    Decide,
    /// Another user's notice.
    OthersNotice,
}

/// Every page and method with its class. The test fails on a page missing here.
const CLASSES: &[(&str, &str, Class)] = &[
    ("GET", "/", Class::Public),
    ("GET", "/login", Class::Public),
    ("POST", "/login", Class::Public),
    ("POST", "/logout", Class::Public),
    ("GET", "/approvals", Class::SignedIn),
    ("POST", "/approvals", Class::Creator),
    ("GET", "/approvals/new", Class::Creator),
    ("POST", "/approvals/columns", Class::SignedIn),
    ("GET", "/approvals/export", Class::SignedIn),
    ("GET", "/approvals/repeat", Class::RepeatLookup),
    ("GET", "/approvals/{id}/repeat", Class::Manage),
    ("POST", "/approvals/{id}/repeat", Class::Manage),
    ("GET", "/password/forgot", Class::Public),
    ("POST", "/password/forgot", Class::Public),
    ("GET", "/password/set/{token}", Class::Public),
    ("POST", "/password/set/{token}", Class::Public),
    ("GET", "/cabinet", Class::Head),
    ("GET", "/cabinet/staff", Class::Head),
    ("POST", "/cabinet/staff/{user_id}/rights", Class::Head),
    ("GET", "/admin", Class::Admin),
    ("GET", "/admin/organisations", Class::Admin),
    ("POST", "/admin/organisations", Class::Admin),
    ("GET", "/admin/organisations/new", Class::Admin),
    ("GET", "/admin/organisations/{id}", Class::Admin),
    ("POST", "/admin/organisations/{id}", Class::Admin),
    ("GET", "/admin/users", Class::Admin),
    ("POST", "/admin/users", Class::Admin),
    ("GET", "/admin/users/new", Class::Admin),
    ("GET", "/admin/users/{id}", Class::Admin),
    ("POST", "/admin/users/{id}", Class::Admin),
    ("POST", "/admin/users/{id}/block", Class::Admin),
    ("POST", "/admin/users/{id}/unblock", Class::Admin),
    ("POST", "/admin/users/{id}/link", Class::Admin),
    ("GET", "/admin/requests", Class::Admin),
    ("GET", "/admin/requests/{id}", Class::Admin),
    ("GET", "/admin/requests/{id}/letter", Class::Admin),
    ("POST", "/admin/requests/{id}/approve", Class::Admin),
    ("POST", "/admin/requests/{id}/reject", Class::Admin),
    ("GET", "/admin/routes", Class::Admin),
    ("GET", "/admin/routes/new", Class::Admin),
    ("POST", "/admin/routes/editor", Class::Admin),
    ("GET", "/admin/routes/{id}/edit", Class::Admin),
    ("POST", "/admin/routes/{id}/retire", Class::Admin),
    ("GET", "/notifications", Class::SignedIn),
    ("POST", "/notifications/read", Class::SignedIn),
    ("POST", "/notifications/{id}/read", Class::OthersNotice),
    ("GET", "/approvals/{id}", Class::Card),
    ("GET", "/approvals/{id}/edit", Class::Manage),
    ("POST", "/approvals/{id}/edit", Class::Manage),
    ("POST", "/approvals/{id}/delete", Class::Manage),
    ("GET", "/approvals/{id}/launch", Class::Manage),
    ("POST", "/approvals/{id}/launch", Class::Manage),
    (
        "GET",
        "/approvals/{id}/participants/{participant_id}/actions",
        Class::Card,
    ),
    ("GET", "/approvals/{id}/inventory", Class::CaseFile),
    ("GET", "/approvals/{id}/inventory.pdf", Class::CaseFile),
    ("GET", "/approvals/{id}/archive", Class::CaseFile),
    (
        "GET",
        "/approvals/{id}/documents/{document_id}",
        Class::CaseFile,
    ),
    (
        "POST",
        "/approvals/{id}/documents/{document_id}/delete",
        Class::Manage,
    ),
    (
        "GET",
        "/approvals/{id}/documents/{document_id}/signatures/{signature_id}",
        Class::CaseFile,
    ),
    (
        "POST",
        "/approvals/{id}/documents/{document_id}/signatures/{signature_id}/delete",
        Class::Manage,
    ),
    ("GET", "/static/{*path}", Class::Public),
    (
        "POST",
        "/approvals/{id}/folders/{folder_id}/documents",
        Class::Manage,
    ),
    (
        "GET",
        "/approvals/{id}/participants/{participant_id}/decision",
        Class::Decide,
    ),
    (
        "POST",
        "/approvals/{id}/participants/{participant_id}/decision",
        Class::Decide,
    ),
    (
        "POST",
        "/approvals/{id}/actions/{action_id}/complete",
        Class::Decide,
    ),
    (
        "GET",
        "/approvals/{id}/documents/{document_id}/signatures",
        Class::Card,
    ),
    (
        "POST",
        "/approvals/{id}/documents/{document_id}/signatures",
        Class::Manage,
    ),
    ("GET", "/access-request", Class::Public),
    ("POST", "/access-request", Class::Public),
    ("POST", "/access-request/form.docx", Class::Public),
];

/// The answer a cell expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// The page or action works: 2xx, or a redirect elsewhere than the login page.
    Done,
    /// Answered without a refusal of rights, whatever the input made of it: a public page
    /// (a wrong password, an unknown link, the login page after signing out), or a form
    /// that tells what is wrong.
    Answered,
    SignIn,
    NotFound,
    Forbidden,
    Conflict,
}

impl Outcome {
    fn refused(self) -> bool {
        matches!(
            self,
            Outcome::SignIn | Outcome::NotFound | Outcome::Forbidden | Outcome::Conflict
        )
    }

    fn of(response: &reqwest::Response) -> Outcome {
        let status = response.status();
        let to_login = response
            .headers()
            .get("location")
            .is_some_and(|l| l.as_bytes().starts_with(b"/login"));
        match status {
            StatusCode::NOT_FOUND => Outcome::NotFound,
            StatusCode::FORBIDDEN => Outcome::Forbidden,
            StatusCode::CONFLICT => Outcome::Conflict,
            s if s.is_redirection() && to_login => Outcome::SignIn,
            s if s.is_success() || s.is_redirection() => Outcome::Done,
            _ => Outcome::Answered,
        }
    }
}

fn expected(class: Class, role: Role, state: State) -> Outcome {
    if class == Class::Public {
        return Outcome::Answered;
    }
    if role == Role::Anonymous {
        return Outcome::SignIn;
    }
    let sight = sight(role, state);
    match class {
        Class::Public => Outcome::Answered,
        Class::SignedIn => Outcome::Done,
        Class::Creator if role == Role::RsoCreate => Outcome::Done,
        Class::RepeatLookup if role == Role::RsoCreate => Outcome::Answered,
        Class::Head if role == Role::Head => Outcome::Done,
        Class::Admin if role == Role::Admin => Outcome::Done,
        Class::Creator | Class::RepeatLookup | Class::Head | Class::Admin => Outcome::Forbidden,
        Class::OthersNotice => Outcome::NotFound,
        _ if sight == Sight::Hidden => Outcome::NotFound,
        Class::Card => Outcome::Done,
        Class::CaseFile if sight == Sight::Full => Outcome::Done,
        Class::CaseFile | Class::Manage => Outcome::Forbidden,
        Class::Decide if role != Role::Participant => Outcome::Forbidden,
        Class::Decide if state == State::Launched => Outcome::Done,
        Class::Decide => Outcome::Conflict,
    }
}

/// The ids a page's path is filled with.
#[derive(Clone, Debug)]
struct Target {
    approval: i64,
    folder: i64,
    participant: i64,
    action: i64,
    document: i64,
    signature: i64,
    number: String,
}

/// Objects the administrator's and the head's pages act on, none of them a role's own.
#[derive(Clone, Debug)]
struct Spares {
    organisation: i64,
    user: i64,
    blocked_user: i64,
    staff: i64,
    request: i64,
    route: i64,
    notice: i64,
}

struct World {
    app: TestApp,
    clients: BTreeMap<Role, User>,
    counter: u32,
}

impl World {
    async fn build() -> World {
        let app = TestApp::spawn().await;
        let hash = "(SELECT password_hash FROM users WHERE login = 'rso')";
        sqlx::query(
            "INSERT INTO organisations (name, short_name, kind, inn)
             VALUES ('АО «Третья сеть»', 'АО «ТС»', 'network_owner', '7805000055')",
        )
        .execute(&app.db)
        .await
        .expect("organisation");
        for (login, org, participate) in [
            ("owner3", "АО «ТС»", true),
            ("rso-spare", "АО «СТК»", false),
        ] {
            sqlx::query(&format!(
                "INSERT INTO users (organisation_id, login, full_name, position, email, password_hash,
                                    can_participate, can_view)
                 SELECT o.id, $1, 'Запасов Иван Петрович', 'Инженер', $1 || '@essk-demo.example',
                        {hash}, $2, true
                 FROM organisations o WHERE o.short_name = $3"
            ))
            .bind(login)
            .bind(participate)
            .bind(org)
            .execute(&app.db)
            .await
            .expect("user");
        }
        let mut clients = BTreeMap::new();
        for role in ROLES.into_iter().chain([Role::Initiator]) {
            let client = match role.login() {
                Some(login) => app.login(login).await,
                None => app.anonymous(),
            };
            clients.insert(role, client);
        }
        World {
            app,
            clients,
            counter: 0,
        }
    }

    /// Makes `owner3` a participant of approvals created from now on, and launches one.
    async fn give_owner3_another_approval(&self) {
        sqlx::query(
            "INSERT INTO route_participants
                 (step_id, organisation_id, position, term_days, term_basis, is_mandatory, is_final)
             SELECT s.id, o.id, 99, 8, 'launch', false, false
             FROM route_steps s, organisations o
             WHERE s.route_id = $1 AND s.position = 1 AND o.short_name = 'АО «ТС»'",
        )
        .bind(self.app.route_id().await)
        .execute(&self.app.db)
        .await
        .expect("owner3 joins the route");
        let other = self.app.launched_approval().await;
        let seats: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM approval_participants p JOIN users u
                 ON u.organisation_id = p.organisation_id
             WHERE p.approval_id = $1 AND u.login = 'owner3'",
        )
        .bind(other)
        .fetch_one(&self.app.db)
        .await
        .expect("seat");
        assert_eq!(seats, 1, "owner3 takes part in another approval");
    }

    async fn approval(&self, state: State) -> Target {
        let app = &self.app;
        let id = match state {
            State::Draft => {
                let rso = app.login("rso").await;
                app.ready_draft(&rso).await
            }
            State::Launched => app.launched_approval().await,
            State::Completed => {
                let id = app.approval_waiting_for_gati().await;
                let gati = app.login("gati").await;
                gati.complete_mandatory_actions(app, id).await;
                let seat = app.participant_of(id, "gati").await;
                let response = gati.decide(id, seat, "refuse", "Отказ: нет схемы").await;
                assert_eq!(response.status(), StatusCode::SEE_OTHER);
                assert_eq!(app.status_of(id).await, "rejected");
                id
            }
        };
        let one = |sql: &'static str| {
            let db = app.db.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .bind(id)
                    .fetch_one(&db)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
        };
        Target {
            approval: id,
            folder: app.folders(id).await[0].0,
            participant: app.participant_of(id, "kt").await,
            action: one(
                "SELECT a.id FROM approval_actions a JOIN approval_participants p
                     ON p.id = a.participant_id
                 JOIN users u ON u.organisation_id = p.organisation_id
                 WHERE p.approval_id = $1 AND u.login = 'kt'",
            )
            .await,
            document: one("SELECT min(id) FROM documents WHERE approval_id = $1").await,
            signature: one(
                "SELECT min(s.id) FROM signatures s JOIN documents d ON d.id = s.document_id
                 WHERE d.approval_id = $1",
            )
            .await,
            number: sqlx::query_scalar("SELECT number FROM approvals WHERE id = $1")
                .bind(id)
                .fetch_one(&app.db)
                .await
                .expect("number"),
        }
    }

    fn next(&mut self) -> u32 {
        self.counter += 1;
        self.counter
    }

    async fn spares(&mut self) -> Spares {
        let n = self.next();
        let app = &self.app;
        let organisation: i64 = sqlx::query_scalar(
            "INSERT INTO organisations (name, short_name, kind, inn)
             VALUES ('ООО «Запас ' || $1 || '»', 'Запас ' || $1, 'network_owner', $2) RETURNING id",
        )
        .bind(n.to_string())
        .bind(format!("79{n:08}"))
        .fetch_one(&app.db)
        .await
        .expect("spare organisation");
        let mut spare_users = Vec::new();
        for (suffix, blocked) in [("a", None), ("b", Some(chrono::Utc::now()))] {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (organisation_id, login, full_name, position, email,
                                    password_hash, can_view, blocked_at)
                 SELECT $1, 'spare' || $2, 'Запасов Пётр', 'Инженер',
                        'spare' || $2 || '@example.ru', password_hash, true, $3
                 FROM users WHERE login = 'rso' RETURNING id",
            )
            .bind(organisation)
            .bind(format!("{n}{suffix}"))
            .bind(blocked)
            .fetch_one(&app.db)
            .await
            .expect("spare user");
            spare_users.push(id);
        }
        let staff = sqlx::query_scalar("SELECT id FROM users WHERE login = 'rso-spare'")
            .fetch_one(&app.db)
            .await
            .expect("staff");
        let inn = format!("78{n:08}");
        let employee = format!("worker{n}@tsn{n}.ru");
        let filed = app
            .anonymous()
            .post_multipart(
                "/access-request",
                request_form(
                    &inn,
                    &[(
                        "Иванов Иван",
                        "112-233-445 95",
                        &employee,
                        &["Просматривать согласования"],
                    )],
                    true,
                ),
            )
            .await;
        assert_eq!(
            filed.status(),
            StatusCode::SEE_OTHER,
            "access request filed"
        );
        let request = sqlx::query_scalar("SELECT id FROM access_requests WHERE org_inn = $1")
            .bind(&inn)
            .fetch_one(&app.db)
            .await
            .expect("request");
        let admin = &self.clients[&Role::Admin];
        let fields = route_form(app, &format!("Запасной маршрут {n}"), "12").await;
        let saved = post_fields(admin, "/admin/routes/editor", &fields).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER, "spare route saved");
        let route = sqlx::query_scalar("SELECT max(id) FROM routes")
            .fetch_one(&app.db)
            .await
            .expect("route");
        let notice = sqlx::query_scalar(
            "INSERT INTO notifications (user_id, kind, message, dedupe_key, created_at)
             SELECT id, 'launched', 'Чужое уведомление', 'matrix-' || $1, now()
             FROM users WHERE login = 'rso'
             RETURNING id",
        )
        .bind(i64::from(n))
        .fetch_one(&app.db)
        .await
        .expect("notice");
        Spares {
            organisation,
            user: spare_users[0],
            blocked_user: spare_users[1],
            staff,
            request,
            route,
            notice,
        }
    }
}

/// The path with its parameters filled in.
fn fill(path: &str, target: &Target, spares: &Spares) -> String {
    let id = if path.starts_with("/approvals/") {
        target.approval
    } else if path == "/admin/users/{id}/unblock" {
        spares.blocked_user
    } else if path.starts_with("/admin/organisations/") {
        spares.organisation
    } else if path.starts_with("/admin/users/") {
        spares.user
    } else if path.starts_with("/admin/requests/") {
        spares.request
    } else if path.starts_with("/admin/routes/") {
        spares.route
    } else {
        spares.notice
    };
    let filled = path
        .replace("{id}", &id.to_string())
        .replace("{folder_id}", &target.folder.to_string())
        .replace("{participant_id}", &target.participant.to_string())
        .replace("{action_id}", &target.action.to_string())
        .replace("{document_id}", &target.document.to_string())
        .replace("{signature_id}", &target.signature.to_string())
        .replace("{user_id}", &spares.staff.to_string())
        .replace("{token}", "0123456789abcdef")
        .replace("{*path}", "style.css");
    match filled.as_str() {
        "/approvals/repeat" => format!("/approvals/repeat?number={}", target.number),
        "/approvals/export" => "/approvals/export?q=дом".to_owned(),
        _ => filled,
    }
}

enum Body {
    None,
    Form(Vec<(String, String)>),
    Multipart(multipart::Form),
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A valid body for each state-changing page, so that only rights and state can refuse it.
async fn body(world: &mut World, path: &str) -> Body {
    let n = world.next();
    let approval_fields = |route: String| {
        vec![
            ("route_id".to_owned(), route),
            ("name".to_owned(), format!("Матрица {n}")),
            ("subject".to_owned(), "Земляные работы".to_owned()),
            (
                "works_address".to_owned(),
                "Санкт-Петербург, ул. Тестовая, 5".to_owned(),
            ),
            ("cadastral_number".to_owned(), "78:12:0001234:56".to_owned()),
            ("network_kind".to_owned(), "Теплоснабжение".to_owned()),
            ("description".to_owned(), "Проверка прав".to_owned()),
        ]
    };
    let route = world.app.route_id().await.to_string();
    let pdf = std::fs::read(sample("documents/Заявление.pdf")).expect("sample");
    let signature = std::fs::read(sample("signatures/Заявление.pdf.sig")).expect("sample");
    let file = |bytes: &[u8], name: &str| {
        multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned())
    };
    match path {
        "/login" => Body::Form(pairs(&[
            ("login", "nobody"),
            ("password", "wrong-password"),
        ])),
        "/logout" | "/notifications/read" | "/notifications/{id}/read" => Body::Form(vec![]),
        "/approvals" | "/approvals/{id}/repeat" | "/approvals/{id}/edit" => {
            Body::Form(approval_fields(route))
        }
        "/approvals/columns" => Body::Form(pairs(&[("columns", "number"), ("columns", "name")])),
        "/password/forgot" => Body::Form(pairs(&[("email", "nobody@example.ru")])),
        "/password/set/{token}" => Body::Form(pairs(&[
            ("password", "Длинный-пароль-2027"),
            ("confirmation", "Длинный-пароль-2027"),
        ])),
        "/cabinet/staff/{user_id}/rights" => Body::Form(pairs(&[("can_view", "on")])),
        "/admin/organisations" | "/admin/organisations/{id}" => Body::Form(vec![
            ("name".to_owned(), format!("ООО «Матрица {n}»")),
            ("short_name".to_owned(), format!("Матрица {n}")),
            ("kind".to_owned(), "network_owner".to_owned()),
            ("inn".to_owned(), format!("77{n:08}")),
        ]),
        "/admin/users" | "/admin/users/{id}" => {
            let org: i64 =
                sqlx::query_scalar("SELECT id FROM organisations WHERE short_name = 'КГА'")
                    .fetch_one(&world.app.db)
                    .await
                    .expect("КГА");
            Body::Form(vec![
                ("organisation_id".to_owned(), org.to_string()),
                ("login".to_owned(), format!("matrix{n}")),
                (
                    "full_name".to_owned(),
                    "Матрицева Анна Сергеевна".to_owned(),
                ),
                ("position".to_owned(), "Специалист".to_owned()),
                ("email".to_owned(), format!("matrix{n}@kga.spb.ru")),
                ("snils".to_owned(), "112-233-445 95".to_owned()),
                ("can_view".to_owned(), "on".to_owned()),
            ])
        }
        "/admin/users/{id}/block" => Body::Form(pairs(&[("reason", "Проверка")])),
        "/admin/users/{id}/unblock" | "/admin/users/{id}/link" => Body::Form(vec![]),
        "/admin/requests/{id}/approve" => Body::Form(vec![]),
        "/admin/requests/{id}/reject" => Body::Form(pairs(&[("reason", "Нет письма")])),
        "/admin/routes/editor" => {
            Body::Form(route_form(&world.app, &format!("Маршрут матрицы {n}"), "12").await)
        }
        "/admin/routes/{id}/retire" => Body::Form(vec![]),
        "/approvals/{id}/delete"
        | "/approvals/{id}/launch"
        | "/approvals/{id}/documents/{document_id}/delete"
        | "/approvals/{id}/documents/{document_id}/signatures/{signature_id}/delete" => {
            Body::Form(vec![])
        }
        "/approvals/{id}/folders/{folder_id}/documents" => {
            Body::Multipart(multipart::Form::new().part("files", file(&pdf, "Ещё.pdf")))
        }
        "/approvals/{id}/participants/{participant_id}/decision" => Body::Multipart(
            multipart::Form::new()
                .text("decision", "approve")
                .text("comment", "Согласовано"),
        ),
        "/approvals/{id}/actions/{action_id}/complete" => {
            Body::Multipart(multipart::Form::new().text("comment", "Выполнено"))
        }
        "/approvals/{id}/documents/{document_id}/signatures" => Body::Multipart(
            multipart::Form::new().part("files", file(&signature, "Заявление.pdf.sig")),
        ),
        "/access-request" => Body::Multipart(request_form(
            &format!("76{n:08}"),
            &[(
                "Сидоров Сидор",
                "112-233-445 95",
                &format!("sidorov{n}@example.ru"),
                &["Просматривать согласования"],
            )],
            true,
        )),
        "/access-request/form.docx" => {
            Body::Multipart(request_form(&format!("75{n:08}"), &[], false))
        }
        other => panic!("no body written down for POST {other}"),
    }
}

/// The business data: everything but sessions, login bookkeeping and last-seen times.
async fn business_data(app: &TestApp) -> String {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
           AND table_name NOT IN ('sessions', 'login_failures', '_sqlx_migrations')
         ORDER BY table_name",
    )
    .fetch_all(&app.db)
    .await
    .expect("tables");
    let mut digest = String::new();
    for table in tables {
        let rows: String = sqlx::query_scalar(&format!(
            "SELECT md5(coalesce(string_agg(j, ',' ORDER BY j), '')) FROM
                 (SELECT (to_jsonb(t) - 'last_seen_at')::text AS j FROM {table} t) s"
        ))
        .fetch_one(&app.db)
        .await
        .expect("digest");
        let _ = write!(digest, "{table}:{rows} ");
    }
    digest
}

async fn send(user: &User, method: &str, path: &str, body: Body) -> reqwest::Response {
    send_with(user, method, path, body, None).await
}

async fn send_with(
    user: &User,
    method: &str,
    path: &str,
    body: Body,
    header: Option<(&str, &str)>,
) -> reqwest::Response {
    let url = format!("{}{path}", user.base);
    let mut request = match method {
        "GET" => user.client.get(url),
        "HEAD" => user.client.head(url),
        "POST" => user.client.request(Method::POST, url),
        other => panic!("method {other}"),
    };
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    let request = match body {
        Body::None => request,
        Body::Form(fields) => request.form(&fields),
        Body::Multipart(form) => request.multipart(form),
    };
    request.send().await.expect("request")
}

#[tokio::test]
async fn every_page_answers_every_kind_of_user_as_written_down() {
    let mut world = World::build().await;
    let written: BTreeMap<(&str, &str), Class> = CLASSES
        .iter()
        .map(|(method, path, class)| ((*method, *path), *class))
        .collect();
    let mut cells = Vec::new();
    let mut unlisted = Vec::new();
    for page in pages() {
        for method in page.methods {
            let method = method.to_uppercase();
            match written.get(&(method.as_str(), page.path)).copied() {
                Some(class) => cells.push((method, page.path, class)),
                None => unlisted.push(format!("{method} {}", page.path)),
            }
        }
    }
    assert!(
        unlisted.is_empty(),
        "pages with no written-down class: {unlisted:?}"
    );
    assert_eq!(cells.len(), CLASSES.len(), "every written-down page exists");

    let mut targets = BTreeMap::new();
    for state in [State::Draft, State::Launched, State::Completed] {
        targets.insert(state, world.approval(state).await);
    }
    world.give_owner3_another_approval().await;
    let mut spares = world.spares().await;

    let mut wrong = Vec::new();
    let mut checked = 0;
    for state in [State::Draft, State::Launched, State::Completed] {
        for (method, path, class) in &cells {
            for role in ROLES {
                let want = expected(*class, role, state);
                let changes = method == "POST" && !want.refused();
                // An action that is allowed and changes something gets objects of its own,
                // so that the cells after it still meet the state they expect.
                let target = if changes && *class == Class::Decide {
                    world.approval(state).await
                } else {
                    targets[&state].clone()
                };
                if changes && *class == Class::Admin {
                    spares = world.spares().await;
                }
                let body = if method == "POST" {
                    body(&mut world, path).await
                } else {
                    Body::None
                };
                let url = fill(path, &target, &spares);
                let logout_client;
                let client = if *path == "/logout" && role != Role::Anonymous {
                    logout_client = world.app.login(role.login().expect("login")).await;
                    &logout_client
                } else {
                    &world.clients[&role]
                };
                let before = business_data(&world.app).await;
                let response = send(client, method, &url, body).await;
                let status = response.status();
                let got = Outcome::of(&response);
                checked += 1;
                assert!(
                    !status.is_server_error(),
                    "{method} {url} as {role:?} ({state:?}): {status}"
                );
                let matches =
                    got == want || (want == Outcome::Answered && got != Outcome::Forbidden);
                if !matches {
                    wrong.push(format!(
                        "{method} {url} as {role:?} on {state:?}: expected {want:?}, got {got:?} ({status})"
                    ));
                }
                if want.refused() || method == "GET" {
                    let after = business_data(&world.app).await;
                    if after != before {
                        wrong.push(format!(
                            "{method} {url} as {role:?} on {state:?} changed the data"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(checked, cells.len() * ROLES.len() * 3);
}

/// The router's page list and the methods it names agree with what the router answers: a
/// method a page does not list is 405.
#[tokio::test]
async fn the_page_list_is_what_the_router_serves() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    for page in pages() {
        let path = page
            .path
            .replace("{*path}", "style.css")
            .replace(['{', '}'], "")
            .split('/')
            .map(|part| if part.ends_with("id") { "1" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        for method in ["get", "post"] {
            if page.methods.contains(&method) {
                continue;
            }
            let response = send(&admin, &method.to_uppercase(), &path, Body::None).await;
            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
        }
    }
}

/// Who may send each class of state-changing request, for the forged copies' control.
fn sender(class: Class) -> Role {
    match class {
        Class::Public => Role::Anonymous,
        Class::RepeatLookup => Role::Initiator,
        Class::SignedIn => Role::RsoView,
        Class::Creator => Role::RsoCreate,
        Class::Head => Role::Head,
        Class::Admin => Role::Admin,
        Class::Decide => Role::Participant,
        Class::Manage | Class::OthersNotice | Class::Card | Class::CaseFile => Role::Initiator,
    }
}

/// Every POST of the router, forged from another site three ways, is refused and changes
/// nothing; the same request from the service's own page then goes through.
#[tokio::test]
async fn every_state_changing_page_refuses_a_forged_cross_site_request() {
    let mut world = World::build().await;
    let forgeries = [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("origin", "null"),
    ];
    let mut wrong = Vec::new();
    let mut posts = 0;
    for (method, path, class) in CLASSES {
        if *method != "POST" {
            continue;
        }
        posts += 1;
        let role = sender(*class);
        let state = if *class == Class::Decide {
            State::Launched
        } else {
            State::Draft
        };
        let target = world.approval(state).await;
        let spares = world.spares().await;
        let url = fill(path, &target, &spares);
        for forged in forgeries {
            let before = business_data(&world.app).await;
            let body = body(&mut world, path).await;
            let response = send_with(&world.clients[&role], "POST", &url, body, Some(forged)).await;
            if response.status() != StatusCode::FORBIDDEN {
                wrong.push(format!("POST {url} with {forged:?}: {}", response.status()));
            }
            if business_data(&world.app).await != before {
                wrong.push(format!("POST {url} with {forged:?} changed the data"));
            }
        }
        let body = body(&mut world, path).await;
        let client = if *path == "/logout" {
            &world.app.login("rso-viewer").await
        } else {
            &world.clients[&role]
        };
        let genuine = send(client, "POST", &url, body).await;
        if genuine.status() == StatusCode::FORBIDDEN || genuine.status().is_server_error() {
            wrong.push(format!(
                "POST {url} from the service's page as {role:?}: {}",
                genuine.status()
            ));
        }
    }
    assert!(posts > 20, "{posts} state-changing pages");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every link of every page, followed with GET and HEAD as every kind of user, leaves the
/// business data as it was.
#[tokio::test]
async fn following_every_link_as_every_role_changes_nothing() {
    const LIMIT: usize = 250;
    let world = World::build().await;
    let mut starts = vec![
        "/".to_owned(),
        "/approvals".to_owned(),
        "/notifications".to_owned(),
        "/cabinet".to_owned(),
        "/cabinet/staff".to_owned(),
        "/admin".to_owned(),
    ];
    for state in [State::Draft, State::Launched, State::Completed] {
        let target = world.approval(state).await;
        starts.push(format!("/approvals/{}", target.approval));
    }
    world.give_owner3_another_approval().await;
    let anchors = scraper::Selector::parse("a[href]").expect("selector");
    let mut crawled = 0;
    for role in ROLES {
        let user = &world.clients[&role];
        let before = business_data(&world.app).await;
        let mut seen: std::collections::BTreeSet<String> = starts.iter().cloned().collect();
        let mut queue: std::collections::VecDeque<String> = starts.iter().cloned().collect();
        let mut visited = 0;
        while let Some(url) = queue.pop_front() {
            if visited == LIMIT {
                break;
            }
            visited += 1;
            let head = send(user, "HEAD", &url, Body::None).await;
            assert!(
                !head.status().is_server_error(),
                "HEAD {url} as {role:?}: {}",
                head.status()
            );
            let response = send(user, "GET", &url, Body::None).await;
            let status = response.status();
            assert!(!status.is_server_error(), "GET {url} as {role:?}: {status}");
            let html = response
                .headers()
                .get("content-type")
                .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
            if !html {
                continue;
            }
            let page = scraper::Html::parse_document(&response.text().await.expect("body"));
            for link in page.select(&anchors) {
                let href = link.value().attr("href").unwrap_or_default();
                let href = href.split('#').next().unwrap_or_default();
                if href.starts_with('/')
                    && !href.starts_with("//")
                    && !href.starts_with("/static/")
                    && seen.insert(href.to_owned())
                {
                    queue.push_back(href.to_owned());
                }
            }
        }
        assert!(visited > 5, "{role:?} reached {visited} pages");
        crawled += visited;
        assert_eq!(
            business_data(&world.app).await,
            before,
            "crawling as {role:?} changed the data"
        );
    }
    assert!(crawled > 200, "{crawled} pages crawled");
}
