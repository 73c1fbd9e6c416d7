//! The demo data: organisations of the spec, their users, and the seeded route.

use sqlx::{PgConnection, PgPool};

use crate::{
    domain::{
        dates::TermBasis,
        route_rules::{ActionDraft, FolderDraft, ParticipantDraft, RouteDraft, StepDraft},
    },
    web::auth::hash_password,
};

/// The documented password of every demo account.
pub const DEMO_PASSWORD: &str = "demo1234";

/// The name of the seeded route.
pub const SEEDED_ROUTE: &str = "Оформление документов, необходимых для проведения работ, \
                                выполняемых при технологическом присоединении";

struct Org {
    key: &'static str,
    name: &'static str,
    short_name: &'static str,
    kind: &'static str,
    inn: &'static str,
}

const ORGS: &[Org] = &[
    Org {
        key: "rso",
        name: "АО «Северная теплосетевая компания»",
        short_name: "АО «СТК»",
        kind: "rso",
        inn: "7801000011",
    },
    Org {
        key: "rso2",
        name: "ООО «Невский водоканал-сервис»",
        short_name: "ООО «НВС»",
        kind: "rso",
        inn: "7802000022",
    },
    Org {
        key: "owner1",
        name: "АО «Городские кабельные сети»",
        short_name: "АО «ГКС»",
        kind: "network_owner",
        inn: "7803000033",
    },
    Org {
        key: "owner2",
        name: "ООО «Балтийская газовая сеть»",
        short_name: "ООО «БГС»",
        kind: "network_owner",
        inn: "7804000044",
    },
    Org {
        key: "gati",
        name: "Государственная административно-техническая инспекция",
        short_name: "ГАТИ",
        kind: "gati",
        inn: "7830000055",
    },
    Org {
        key: "kga",
        name: "Комитет по градостроительству и архитектуре",
        short_name: "КГА",
        kind: "kga",
        inn: "7830000066",
    },
    Org {
        key: "kb",
        name: "Комитет по благоустройству Санкт-Петербурга",
        short_name: "КБ",
        kind: "kb",
        inn: "7830000077",
    },
    Org {
        key: "kio",
        name: "Комитет имущественных отношений Санкт-Петербурга",
        short_name: "КИО",
        kind: "kio",
        inn: "7830000088",
    },
    Org {
        key: "kgiop",
        name: "Комитет по государственному контролю, использованию и охране памятников истории и культуры",
        short_name: "КГИОП",
        kind: "kgiop",
        inn: "7830000099",
    },
    Org {
        key: "kt",
        name: "Комитет по транспорту",
        short_name: "КТ",
        kind: "kt",
        inn: "7830000100",
    },
    Org {
        key: "operator",
        name: "Оператор ЕССК",
        short_name: "Оператор ЕССК",
        kind: "operator",
        inn: "7830000111",
    },
];

/// A demo account: login, organisation key, full name, position, and its marks
/// (create, participate, view, view public, head, admin).
type DemoUser = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    [bool; 6],
);

const USERS: &[DemoUser] = &[
    (
        "rso",
        "rso",
        "Смирнова Анна Викторовна",
        "Ведущий инженер",
        [true, false, true, false, false, false],
    ),
    (
        "rso-viewer",
        "rso",
        "Кузнецов Павел Андреевич",
        "Инженер",
        [false, false, true, false, false, false],
    ),
    (
        "rso-head",
        "rso",
        "Волкова Елена Сергеевна",
        "Начальник отдела",
        [false, false, true, false, true, false],
    ),
    (
        "rso2",
        "rso2",
        "Морозов Дмитрий Игоревич",
        "Инженер-проектировщик",
        [true, false, true, false, false, false],
    ),
    (
        "owner1",
        "owner1",
        "Лебедев Игорь Николаевич",
        "Начальник службы",
        [false, true, true, false, false, false],
    ),
    (
        "owner2",
        "owner2",
        "Соколова Ольга Дмитриевна",
        "Главный специалист",
        [false, true, true, false, false, false],
    ),
    (
        "kga",
        "kga",
        "Новиков Артём Олегович",
        "Главный специалист",
        [false, true, true, false, false, false],
    ),
    (
        "kb",
        "kb",
        "Фёдорова Наталья Ильинична",
        "Ведущий специалист",
        [false, true, true, false, false, false],
    ),
    (
        "kio",
        "kio",
        "Егоров Максим Викторович",
        "Главный специалист",
        [false, true, true, false, false, false],
    ),
    (
        "kgiop",
        "kgiop",
        "Павлова Ирина Александровна",
        "Ведущий специалист",
        [false, true, true, false, false, false],
    ),
    (
        "kt",
        "kt",
        "Орлов Сергей Михайлович",
        "Главный специалист",
        [false, true, true, false, false, false],
    ),
    (
        "gati",
        "gati",
        "Андреева Татьяна Юрьевна",
        "Начальник отдела",
        [false, true, true, false, false, false],
    ),
    (
        "public-viewer",
        "operator",
        "Белов Константин Евгеньевич",
        "Специалист",
        [false, false, false, true, false, false],
    ),
    (
        "admin",
        "operator",
        "Григорьев Алексей Петрович",
        "Администратор",
        [false, false, false, false, false, true],
    ),
];

/// An action of the seeded route: description, term in days, mandatory.
type DemoAction = (&'static str, i32, bool);

/// Step 1 participants of the seeded route, with their actions.
const STEP_ONE: &[(&str, &[DemoAction])] = &[
    ("owner1", &[]),
    ("owner2", &[]),
    ("kga", &[]),
    ("kb", &[("Выдать порубочный билет", 8, false)]),
    (
        "kio",
        &[("Выдать разрешение на использование земель", 8, true)],
    ),
    ("kgiop", &[]),
    (
        "kt",
        &[("Согласовать схему организации дорожного движения", 8, false)],
    ),
];

const FOLDERS: &[(&str, bool)] = &[
    ("Заявление", true),
    ("Проект производства работ", true),
    ("Схема производства работ", true),
    ("Технические условия на подключение", true),
    ("Прочие документы", false),
];

/// Loads the demo data when the database has no organisations yet; returns whether it did.
/// Safe when several instances start at once: one loads, the others see it loaded.
pub async fn seed_demo_if_empty(pool: &PgPool) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SELECT pg_advisory_xact_lock(4711001)")
        .execute(&mut *tx)
        .await?;
    let existing = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM organisations"#)
        .fetch_one(&mut *tx)
        .await?;
    if existing > 0 {
        return Ok(false);
    }
    let password_hash = hash_password(DEMO_PASSWORD)?;
    let mut org_ids = std::collections::HashMap::new();
    for org in ORGS {
        let id = sqlx::query_scalar!(
            "INSERT INTO organisations (name, short_name, kind, inn) VALUES ($1, $2, $3, $4) RETURNING id",
            org.name,
            org.short_name,
            org.kind,
            org.inn
        )
        .fetch_one(&mut *tx)
        .await?;
        org_ids.insert(org.key, id);
    }
    for (login, org, full_name, position, marks) in USERS {
        let [create, participate, view, view_public, head, admin] = *marks;
        sqlx::query!(
            r#"
            INSERT INTO users (organisation_id, login, full_name, position, email, password_hash,
                               can_create, can_participate, can_view, can_view_public,
                               is_head, is_admin)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            "#,
            org_ids[org],
            login,
            full_name,
            position,
            format!("{login}@essk-demo.example"),
            password_hash,
            create,
            participate,
            view,
            view_public,
            head,
            admin
        )
        .execute(&mut *tx)
        .await?;
    }
    seed_route(&mut tx, &org_ids).await?;
    tx.commit().await?;
    tracing::info!("demo data loaded");
    Ok(true)
}

async fn seed_route(
    conn: &mut PgConnection,
    org_ids: &std::collections::HashMap<&str, i64>,
) -> anyhow::Result<()> {
    let seat = |org: &str, days: i32, is_final: bool, actions: &[DemoAction]| ParticipantDraft {
        organisation_id: Some(org_ids[org]),
        term_days: Some(days),
        basis: TermBasis::Launch,
        is_mandatory: true,
        is_final,
        actions: actions
            .iter()
            .map(|(description, days, mandatory)| ActionDraft {
                description: (*description).to_owned(),
                term_days: Some(*days),
                is_mandatory: *mandatory,
            })
            .collect(),
    };
    let route = RouteDraft {
        name: SEEDED_ROUTE.to_owned(),
        is_public: true,
        steps: vec![
            StepDraft {
                participants: STEP_ONE
                    .iter()
                    .map(|(org, actions)| seat(org, 8, false, actions))
                    .collect(),
            },
            StepDraft {
                participants: vec![seat(
                    "gati",
                    12,
                    true,
                    &[("Оформить ордер на производство земляных работ", 4, true)],
                )],
            },
        ],
        folders: FOLDERS
            .iter()
            .map(|(name, required)| FolderDraft {
                name: (*name).to_owned(),
                is_required: *required,
            })
            .collect(),
    };
    crate::db::routes::save_version(conn, &route, None, chrono::Utc::now()).await?;
    Ok(())
}
