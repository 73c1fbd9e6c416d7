//! Requests for access: filed by an organisation, reviewed by an administrator.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::accounts::{OrganisationFields, UserFields};
use crate::{
    domain::{
        access::Rights,
        access_request::{Employee, login_from_email},
    },
    storage::StoredBlob,
};

/// What the organisation filled in, besides its employees.
#[derive(Clone, Debug, Default)]
pub struct RequestFields {
    pub organisation: OrganisationFields,
    pub contact_name: String,
    pub contact_email: String,
    pub purpose: String,
}

/// The scan of the official letter, stored.
#[derive(Debug)]
pub struct Letter<'a> {
    pub blob: &'a StoredBlob,
    pub name: &'a str,
}

/// Files the request with its employees; returns its number.
pub async fn insert(
    conn: &mut PgConnection,
    fields: &RequestFields,
    employees: &[Employee],
    letter: &Letter<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<i64> {
    super::documents::record_blob(conn, letter.blob).await?;
    let o = &fields.organisation;
    let id = sqlx::query_scalar!(
        r#"
        INSERT INTO access_requests (org_name, org_short_name, org_kind, org_inn, org_ogrn,
            contact_name, contact_email, purpose, letter_sha256, letter_name, letter_size,
            created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        RETURNING id
        "#,
        o.name.trim(),
        o.short_name.trim(),
        o.kind,
        o.inn.trim(),
        o.ogrn.trim(),
        fields.contact_name.trim(),
        fields.contact_email,
        fields.purpose.trim(),
        letter.blob.sha256,
        letter.name,
        i64::try_from(letter.blob.size).unwrap_or(i64::MAX),
        now
    )
    .fetch_one(&mut *conn)
    .await?;
    for (position, e) in (1..).zip(employees) {
        sqlx::query!(
            r#"
            INSERT INTO access_request_employees (request_id, position, full_name, job_title,
                can_create, can_participate, can_view, can_view_public, snils, email, phone,
                working_hours)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            "#,
            id,
            position,
            e.full_name,
            e.job_title,
            e.rights.create,
            e.rights.participate,
            e.rights.view,
            e.rights.view_public,
            e.snils,
            e.email,
            e.phone,
            e.working_hours
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// The organisation already registered with this ИНН: its short name.
pub async fn organisation_by_inn(pool: &PgPool, inn: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT short_name FROM organisations WHERE inn = $1", inn)
        .fetch_optional(pool)
        .await
}

/// Those of the e-mails that accounts already have, in lower case.
pub async fn emails_in_use(pool: &PgPool, emails: &[String]) -> sqlx::Result<Vec<String>> {
    let lowered: Vec<String> = emails.iter().map(|e| e.to_lowercase()).collect();
    sqlx::query_scalar!(
        r#"SELECT DISTINCT lower(email) AS "email!" FROM users WHERE lower(email) = ANY($1)"#,
        &lowered
    )
    .fetch_all(pool)
    .await
}

pub async fn pending_count(pool: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM access_requests WHERE status = 'pending'"#)
        .fetch_one(pool)
        .await
}

/// A request as the administrator sees it.
#[derive(Debug)]
pub struct Request {
    pub id: i64,
    pub status: String,
    pub org_name: String,
    pub org_short_name: String,
    pub org_kind: String,
    pub org_inn: String,
    pub org_ogrn: String,
    pub contact_name: String,
    pub contact_email: String,
    pub purpose: String,
    pub letter_sha256: String,
    pub letter_name: String,
    pub letter_size: i64,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<String>,
    pub employees: i64,
}

/// Requests, pending first, newest first.
pub async fn list(pool: &PgPool) -> sqlx::Result<Vec<Request>> {
    requests(pool, None).await
}

pub async fn find(pool: &PgPool, id: i64) -> sqlx::Result<Option<Request>> {
    Ok(requests(pool, Some(id)).await?.pop())
}

/// Every request, or the one with `id`.
async fn requests(pool: &PgPool, id: Option<i64>) -> sqlx::Result<Vec<Request>> {
    sqlx::query_as!(
        Request,
        r#"
        SELECT r.id, r.status, r.org_name, r.org_short_name, r.org_kind, r.org_inn, r.org_ogrn,
               r.contact_name, r.contact_email, r.purpose, r.letter_sha256, r.letter_name,
               r.letter_size, r.created_at, r.decided_at, r.rejection_reason,
               (SELECT count(*) FROM access_request_employees e WHERE e.request_id = r.id)
                   AS "employees!"
        FROM access_requests r
        WHERE $1::bigint IS NULL OR r.id = $1
        ORDER BY r.status <> 'pending', r.created_at DESC, r.id DESC
        "#,
        id
    )
    .fetch_all(pool)
    .await
}

/// The employees of a request, in the order filed.
pub async fn employees(pool: &PgPool, request_id: i64) -> sqlx::Result<Vec<Employee>> {
    let rows = sqlx::query!(
        r#"
        SELECT full_name, job_title, can_create, can_participate, can_view, can_view_public,
               snils, email, phone, working_hours
        FROM access_request_employees WHERE request_id = $1 ORDER BY position
        "#,
        request_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Employee {
            full_name: r.full_name,
            job_title: r.job_title,
            rights: Rights {
                create: r.can_create,
                participate: r.can_participate,
                view: r.can_view,
                view_public: r.can_view_public,
            },
            snils: r.snils,
            email: r.email,
            phone: r.phone,
            working_hours: r.working_hours,
        })
        .collect())
}

/// An account made by approving a request, to be sent its link.
#[derive(Debug)]
pub struct NewAccount {
    pub user_id: i64,
    pub login: String,
    pub full_name: String,
    pub email: String,
}

/// Why a request could not be approved.
#[derive(Debug, thiserror::Error)]
pub enum ApproveError {
    #[error("the request was decided already")]
    NotPending,
    /// Since filing, an account took this e-mail.
    #[error("e-mail {0} is taken")]
    EmailTaken(String),
    /// An organisation with the request's ИНН exists and joining it was not confirmed.
    #[error("organisation {0} exists")]
    ExistingOrganisation(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Held while a request is approved, so that approvals run one after another and each
/// sees the organisations, logins and e-mails the one before made.
const APPROVAL_LOCK: i64 = 4_711_002;

/// Approves a pending request: the organisation (found by ИНН when the administrator
/// confirmed joining it, else created) and an account per employee. Locks the request, so
/// two approvals cannot both create them, and waits for any other approval to finish.
pub async fn approve(
    conn: &mut PgConnection,
    id: i64,
    admin_id: i64,
    join_existing: bool,
    now: DateTime<Utc>,
) -> Result<Vec<NewAccount>, ApproveError> {
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", APPROVAL_LOCK)
        .execute(&mut *conn)
        .await?;
    let request = sqlx::query!(
        r#"
        SELECT org_name, org_short_name, org_kind, org_inn, org_ogrn FROM access_requests
        WHERE id = $1 AND status = 'pending' FOR UPDATE
        "#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(ApproveError::NotPending)?;
    let existing = super::accounts::organisation_with_inn(conn, &request.org_inn, None).await?;
    let organisation_id = match existing {
        Some(org) if join_existing => org,
        Some(org) => {
            let name =
                sqlx::query_scalar!("SELECT short_name FROM organisations WHERE id = $1", org)
                    .fetch_one(&mut *conn)
                    .await?;
            return Err(ApproveError::ExistingOrganisation(name));
        }
        None => {
            let fields = OrganisationFields {
                name: request.org_name,
                short_name: request.org_short_name,
                kind: request.org_kind,
                inn: request.org_inn,
                ogrn: request.org_ogrn,
            };
            super::accounts::save_organisation(conn, None, &fields)
                .await?
                .unwrap_or_default()
        }
    };
    let employees = sqlx::query!(
        r#"
        SELECT id, full_name, job_title, can_create, can_participate, can_view,
               can_view_public, snils, email, phone, working_hours
        FROM access_request_employees WHERE request_id = $1 ORDER BY position
        "#,
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut accounts = Vec::new();
    // Read once; each login made here joins the list, so the next employee avoids it too.
    let mut logins: Vec<String> = sqlx::query_scalar!("SELECT lower(login) AS \"l!\" FROM users")
        .fetch_all(&mut *conn)
        .await?;
    for e in employees {
        let login = login_from_email(&e.email, |candidate| {
            logins.iter().any(|taken| taken == candidate)
        });
        let fields = UserFields {
            organisation_id,
            login: login.clone(),
            full_name: e.full_name.clone(),
            position: e.job_title,
            email: e.email.clone(),
            phone: e.phone,
            snils: e.snils,
            working_hours: e.working_hours,
            rights: Rights {
                create: e.can_create,
                participate: e.can_participate,
                view: e.can_view,
                view_public: e.can_view_public,
            },
            is_head: false,
        };
        if super::accounts::taken(conn, &login, &e.email, None)
            .await?
            .is_some()
        {
            return Err(ApproveError::EmailTaken(e.email));
        }
        let user_id = super::accounts::create_user(conn, &fields, now).await?;
        sqlx::query!(
            "UPDATE access_request_employees SET user_id = $2 WHERE id = $1",
            e.id,
            user_id
        )
        .execute(&mut *conn)
        .await?;
        logins.push(login.clone());
        accounts.push(NewAccount {
            user_id,
            login,
            full_name: e.full_name,
            email: e.email,
        });
    }
    sqlx::query!(
        r#"
        UPDATE access_requests SET status = 'approved', decided_at = $2, decided_by = $3,
            organisation_id = $4
        WHERE id = $1
        "#,
        id,
        now,
        admin_id,
        organisation_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(accounts)
}

/// Rejects a pending request with its reason; returns the contact's name and e-mail, or
/// `None` when it was decided already.
pub async fn reject(
    conn: &mut PgConnection,
    id: i64,
    admin_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<(String, String)>> {
    let row = sqlx::query!(
        r#"
        UPDATE access_requests SET status = 'rejected', decided_at = $2, decided_by = $3,
            rejection_reason = $4
        WHERE id = $1 AND status = 'pending'
        RETURNING contact_name, contact_email
        "#,
        id,
        now,
        admin_id,
        reason
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.contact_name, r.contact_email)))
}

/// Tells every active administrator that a request was filed.
pub async fn notify_admins(
    conn: &mut PgConnection,
    request_id: i64,
    organisation: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO notifications (user_id, kind, message, dedupe_key, created_at)
        SELECT id, 'access_request',
               'Новая заявка на доступ № ' || $1::bigint || ' от ' || $2 || '.',
               'access-request-' || $1::bigint, $3
        FROM users WHERE is_admin AND blocked_at IS NULL
        ON CONFLICT (user_id, dedupe_key) DO NOTHING
        "#,
        request_id,
        organisation,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}
