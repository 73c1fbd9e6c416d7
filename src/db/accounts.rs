//! Accounts as administrators and heads manage them: organisations, users, one-time
//! password links, blocking, access requests.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

use crate::domain::access::Rights;

/// How long a link to set a password stays valid.
pub const LINK_VALID: Duration = Duration::hours(72);
/// Unused this long, an account is blocked.
pub const INACTIVE_AFTER_DAYS: i64 = 183;

#[derive(Debug)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub short_name: String,
    pub kind: String,
    pub inn: Option<String>,
    pub ogrn: Option<String>,
    pub users: i64,
}

pub async fn organisations(pool: &PgPool) -> sqlx::Result<Vec<Organisation>> {
    sqlx::query_as!(
        Organisation,
        r#"
        SELECT o.id, o.name, o.short_name, o.kind, o.inn, o.ogrn,
               (SELECT count(*) FROM users u WHERE u.organisation_id = o.id) AS "users!"
        FROM organisations o ORDER BY o.short_name, o.id
        "#
    )
    .fetch_all(pool)
    .await
}

pub async fn organisation(pool: &PgPool, id: i64) -> sqlx::Result<Option<Organisation>> {
    sqlx::query_as!(
        Organisation,
        r#"
        SELECT o.id, o.name, o.short_name, o.kind, o.inn, o.ogrn,
               (SELECT count(*) FROM users u WHERE u.organisation_id = o.id) AS "users!"
        FROM organisations o WHERE o.id = $1
        "#,
        id
    )
    .fetch_optional(pool)
    .await
}

/// The fields of an organisation the administrator edits.
#[derive(Clone, Debug, Default)]
pub struct OrganisationFields {
    pub name: String,
    pub short_name: String,
    pub kind: String,
    pub inn: String,
    pub ogrn: String,
}

/// Creates the organisation, or updates it when `id` is given. Returns its id, or `None`
/// when `id` names none.
pub async fn save_organisation(
    conn: &mut PgConnection,
    id: Option<i64>,
    fields: &OrganisationFields,
) -> sqlx::Result<Option<i64>> {
    let inn = Some(fields.inn.trim()).filter(|s| !s.is_empty());
    let ogrn = Some(fields.ogrn.trim()).filter(|s| !s.is_empty());
    match id {
        Some(id) => {
            sqlx::query_scalar!(
                r#"
                UPDATE organisations SET name = $2, short_name = $3, kind = $4, inn = $5, ogrn = $6
                WHERE id = $1 RETURNING id
                "#,
                id,
                fields.name.trim(),
                fields.short_name.trim(),
                fields.kind,
                inn,
                ogrn
            )
            .fetch_optional(conn)
            .await
        }
        None => sqlx::query_scalar!(
            r#"
            INSERT INTO organisations (name, short_name, kind, inn, ogrn)
            VALUES ($1, $2, $3, $4, $5) RETURNING id
            "#,
            fields.name.trim(),
            fields.short_name.trim(),
            fields.kind,
            inn,
            ogrn
        )
        .fetch_one(conn)
        .await
        .map(Some),
    }
}

pub async fn organisation_exists(conn: &mut PgConnection, id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM organisations WHERE id = $1) AS "exists!""#,
        id
    )
    .fetch_one(conn)
    .await
}

/// An organisation other than `except` with this ИНН.
pub async fn organisation_with_inn(
    conn: &mut PgConnection,
    inn: &str,
    except: Option<i64>,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "SELECT id FROM organisations WHERE inn = $1 AND id IS DISTINCT FROM $2 LIMIT 1",
        inn.trim(),
        except
    )
    .fetch_optional(conn)
    .await
}

/// A user as the administrator's and the head's pages show it.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub login: String,
    pub full_name: String,
    pub position: String,
    pub email: Option<String>,
    pub phone: String,
    pub snils: Option<String>,
    pub working_hours: String,
    pub rights: Rights,
    pub is_head: bool,
    pub is_admin: bool,
    pub blocked_at: Option<DateTime<Utc>>,
    pub blocked_reason: Option<String>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

macro_rules! user_record_query {
    ($where:literal, $($arg:expr),*) => {
        sqlx::query!(
            r#"
            SELECT u.id, u.organisation_id, o.short_name AS organisation_name, u.login,
                   u.full_name, u.position, u.email, u.phone, u.snils, u.working_hours,
                   u.can_create, u.can_participate, u.can_view, u.can_view_public,
                   u.is_head, u.is_admin, u.blocked_at, u.blocked_reason, u.last_seen_at
            FROM users u JOIN organisations o ON o.id = u.organisation_id
            "# + $where,
            $($arg),*
        )
    };
}

macro_rules! to_user_record {
    ($r:expr) => {{
        let r = $r;
        UserRecord {
            id: r.id,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            login: r.login,
            full_name: r.full_name,
            position: r.position,
            email: r.email,
            phone: r.phone,
            snils: r.snils,
            working_hours: r.working_hours,
            rights: Rights {
                create: r.can_create,
                participate: r.can_participate,
                view: r.can_view,
                view_public: r.can_view_public,
            },
            is_head: r.is_head,
            is_admin: r.is_admin,
            blocked_at: r.blocked_at,
            blocked_reason: r.blocked_reason,
            last_seen_at: r.last_seen_at,
        }
    }};
}

/// Users, of one organisation when given, by name.
pub async fn users(pool: &PgPool, organisation_id: Option<i64>) -> sqlx::Result<Vec<UserRecord>> {
    let rows = user_record_query!(
        "WHERE $1::bigint IS NULL OR u.organisation_id = $1 ORDER BY o.short_name, u.full_name, u.id",
        organisation_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| to_user_record!(r)).collect())
}

pub async fn user(pool: &PgPool, id: i64) -> sqlx::Result<Option<UserRecord>> {
    let row = user_record_query!("WHERE u.id = $1", id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|r| to_user_record!(r)))
}

/// The fields of a user the administrator edits.
#[derive(Clone, Debug, Default)]
pub struct UserFields {
    pub organisation_id: i64,
    pub login: String,
    pub full_name: String,
    pub position: String,
    /// Lower case, or empty.
    pub email: String,
    pub phone: String,
    /// Digits only, or empty.
    pub snils: String,
    pub working_hours: String,
    pub rights: Rights,
    pub is_head: bool,
}

/// Which unique field another user already holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Taken {
    Login,
    Email,
}

/// Whether another user than `except` holds the login or the e-mail.
pub async fn taken(
    conn: &mut PgConnection,
    login: &str,
    email: &str,
    except: Option<i64>,
) -> sqlx::Result<Option<Taken>> {
    let row = sqlx::query!(
        r#"
        SELECT EXISTS (SELECT 1 FROM users WHERE lower(login) = lower($1)
                       AND id IS DISTINCT FROM $3) AS "login!",
               EXISTS (SELECT 1 FROM users WHERE $2 <> '' AND lower(email) = lower($2)
                       AND id IS DISTINCT FROM $3) AS "email!"
        "#,
        login,
        email,
        except
    )
    .fetch_one(conn)
    .await?;
    Ok(if row.login {
        Some(Taken::Login)
    } else if row.email {
        Some(Taken::Email)
    } else {
        None
    })
}

/// Creates a user who has no password yet (a link sets it). Returns the id.
pub async fn create_user(
    conn: &mut PgConnection,
    fields: &UserFields,
    now: DateTime<Utc>,
) -> sqlx::Result<i64> {
    let r = fields.rights;
    sqlx::query_scalar!(
        r#"
        INSERT INTO users (organisation_id, login, full_name, position, email, phone, snils,
            working_hours, password_hash, can_create, can_participate, can_view,
            can_view_public, is_head, created_at)
        VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6, NULLIF($7, ''), $8, '!', $9, $10, $11,
            $12, $13, $14)
        RETURNING id
        "#,
        fields.organisation_id,
        fields.login.trim(),
        fields.full_name.trim(),
        fields.position.trim(),
        fields.email,
        fields.phone.trim(),
        fields.snils,
        fields.working_hours.trim(),
        r.create,
        r.participate,
        r.view,
        r.view_public,
        fields.is_head,
        now
    )
    .fetch_one(conn)
    .await
}

/// Updates a user's record. Returns whether the user exists.
pub async fn update_user(
    conn: &mut PgConnection,
    id: i64,
    fields: &UserFields,
) -> sqlx::Result<bool> {
    let r = fields.rights;
    let result = sqlx::query!(
        r#"
        UPDATE users SET organisation_id = $2, login = $3, full_name = $4, position = $5,
            email = NULLIF($6, ''), phone = $7, snils = NULLIF($8, ''), working_hours = $9,
            can_create = $10, can_participate = $11, can_view = $12, can_view_public = $13,
            is_head = $14
        WHERE id = $1
        "#,
        id,
        fields.organisation_id,
        fields.login.trim(),
        fields.full_name.trim(),
        fields.position.trim(),
        fields.email,
        fields.phone.trim(),
        fields.snils,
        fields.working_hours.trim(),
        r.create,
        r.participate,
        r.view,
        r.view_public,
        fields.is_head
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Sets the four approval rights of a user of `organisation_id` (a head's change); returns
/// whether such a user exists there. Administrators are not a head's staff: their accounts
/// change only through the administrators' pages.
pub async fn set_rights(
    conn: &mut PgConnection,
    organisation_id: i64,
    user_id: i64,
    rights: Rights,
) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        r#"
        UPDATE users SET can_create = $3, can_participate = $4, can_view = $5,
            can_view_public = $6
        WHERE id = $2 AND organisation_id = $1 AND NOT is_admin
        "#,
        organisation_id,
        user_id,
        rights.create,
        rights.participate,
        rights.view,
        rights.view_public
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Blocks the user (an administrator's decision); returns whether it was active.
pub async fn block(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        "UPDATE users SET blocked_at = $2, blocked_reason = 'admin' WHERE id = $1 AND blocked_at IS NULL",
        id,
        now
    )
    .execute(&mut *conn)
    .await?;
    // Links sent before the block no longer set a password.
    sqlx::query!(
        "UPDATE password_links SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL",
        id,
        now
    )
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Whether a reset link was sent to the user within the last five minutes.
pub async fn reset_sent_recently(
    pool: &PgPool,
    user_id: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"
        SELECT EXISTS (SELECT 1 FROM password_links WHERE user_id = $1 AND purpose = 'reset'
                       AND created_at > $2::timestamptz - interval '5 minutes') AS "recent!"
        "#,
        user_id,
        now
    )
    .fetch_one(pool)
    .await
}

/// Unblocks the user, counting its six months afresh; returns whether it was blocked.
pub async fn unblock(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        r#"
        UPDATE users SET blocked_at = NULL, blocked_reason = NULL, last_seen_at = $2
        WHERE id = $1 AND blocked_at IS NOT NULL
        "#,
        id,
        now
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Blocks every active account not used for six months (never used: counted from its
/// creation), with a notice to each. Returns the blocked ids.
pub async fn block_inactive(conn: &mut PgConnection, now: DateTime<Utc>) -> sqlx::Result<Vec<i64>> {
    let cutoff = now - Duration::days(INACTIVE_AFTER_DAYS);
    sqlx::query_scalar!(
        r#"
        WITH blocked AS (
            UPDATE users SET blocked_at = $1, blocked_reason = 'inactive'
            WHERE blocked_at IS NULL AND NOT is_admin
              AND coalesce(last_seen_at, created_at) < $2
            RETURNING id
        ), noticed AS (
            INSERT INTO notifications (user_id, kind, message, dedupe_key, created_at)
            SELECT id, 'blocked',
                   'Учётная запись заблокирована: ею не пользовались шесть месяцев. '
                   || 'Для разблокировки обратитесь к администратору.',
                   'blocked-inactive-' || $1::text, $1
            FROM blocked
        ), mailed AS (
            INSERT INTO mail_outbox (recipient, subject, body, next_attempt_at)
            SELECT u.email, 'ЕССК: учётная запись заблокирована',
                   'Здравствуйте, ' || u.full_name || '!' || E'\n\n'
                   || 'Вашей учётной записью «' || u.login || '» в ЕССК не пользовались '
                   || 'шесть месяцев, и она заблокирована. Чтобы её разблокировать, '
                   || 'обратитесь к администратору системы.',
                   $1
            FROM blocked b JOIN users u ON u.id = b.id
            WHERE u.email IS NOT NULL AND u.email <> ''
        )
        SELECT id AS "id!" FROM blocked
        "#,
        now,
        cutoff
    )
    .fetch_all(conn)
    .await
}

/// A fresh single-use token for a password link; only its hash is stored.
pub async fn create_link(
    conn: &mut PgConnection,
    user_id: i64,
    purpose: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<String> {
    let token = new_token();
    sqlx::query!(
        r#"
        INSERT INTO password_links (token_sha256, user_id, purpose, created_at, expires_at)
        VALUES ($1, $2, $3, $4, $5)
        "#,
        token_hash(&token),
        user_id,
        purpose,
        now,
        now + LINK_VALID
    )
    .execute(conn)
    .await?;
    Ok(token)
}

/// The user a valid (unused, unexpired) link is for: id and login.
pub async fn link_user(
    pool: &PgPool,
    token: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<(i64, String)>> {
    let row = sqlx::query!(
        r#"
        SELECT u.id, u.login FROM password_links l JOIN users u ON u.id = l.user_id
        WHERE l.token_sha256 = $1 AND l.used_at IS NULL AND l.expires_at > $2
        "#,
        token_hash(token),
        now
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.id, r.login)))
}

/// Spends the link and sets the password; `false` when the link is used, expired or
/// unknown (a second use of the same link changes nothing).
pub async fn use_link(
    conn: &mut PgConnection,
    token: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let user_id = sqlx::query_scalar!(
        r#"
        UPDATE password_links SET used_at = $2
        WHERE token_sha256 = $1 AND used_at IS NULL AND expires_at > $2
        RETURNING user_id
        "#,
        token_hash(token),
        now
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(user_id) = user_id else {
        return Ok(false);
    };
    // Kept to the millisecond, as sessions keep their sign-in time.
    let login = sqlx::query_scalar!(
        r#"
        UPDATE users SET password_hash = $2,
            password_changed_at = date_trunc('milliseconds', $3::timestamptz)
        WHERE id = $1 RETURNING login
        "#,
        user_id,
        password_hash,
        now
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!("DELETE FROM login_failures WHERE login = lower($1)", login)
        .execute(&mut *conn)
        .await?;
    // Mails still holding a link of the user hold a spent one now.
    sqlx::query!(
        r#"
        UPDATE mail_outbox SET body = ''
        WHERE holds_link AND lower(recipient) = (SELECT lower(email) FROM users WHERE id = $1)
        "#,
        user_id
    )
    .execute(&mut *conn)
    .await?;
    // Any other link of the user is spent too: the password is set.
    sqlx::query!(
        "UPDATE password_links SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL",
        user_id,
        now
    )
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// The active user with this e-mail: id, login, full name.
pub async fn active_user_by_email(
    pool: &PgPool,
    email: &str,
) -> sqlx::Result<Option<(i64, String)>> {
    let row = sqlx::query!(
        "SELECT id, full_name FROM users WHERE lower(email) = lower($1) AND blocked_at IS NULL",
        email.trim()
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.id, r.full_name)))
}

/// Queues a mail that belongs to no notice.
pub async fn queue_mail(
    conn: &mut PgConnection,
    recipient: &str,
    subject: &str,
    body: &str,
    holds_link: bool,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO mail_outbox (recipient, subject, body, next_attempt_at, holds_link)
        VALUES ($1, $2, $3, $4, $5)
        "#,
        recipient,
        subject,
        body,
        now,
        holds_link
    )
    .execute(conn)
    .await?;
    Ok(())
}

fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
