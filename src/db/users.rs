//! Users as the sign-in and every request see them.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::access::{Actor, Rights};

/// What the login form needs to check a password.
#[derive(Debug)]
pub struct LoginCandidate {
    pub id: i64,
    pub password_hash: String,
    pub blocked: bool,
}

/// The signed-in user with the names the pages show.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub actor: Actor,
    pub login: String,
    pub organisation_name: String,
    /// Notices the user has not read yet (the bell's count).
    pub unread_notifications: i64,
    /// Sessions signed in before this end (a password set by link).
    pub password_changed_at: Option<DateTime<Utc>>,
    /// When the user was last noted active.
    pub last_seen_at: Option<DateTime<Utc>>,
}

impl SignedIn {
    /// Whether the last-seen time is older than its step and should be written now.
    pub fn seen_long_ago(&self, now: DateTime<Utc>) -> bool {
        self.last_seen_at
            .is_none_or(|seen| seen <= now - LAST_SEEN_STEP)
    }
}

/// The last-seen time is written at most this often per user.
const LAST_SEEN_STEP: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

pub async fn find_for_login(pool: &PgPool, login: &str) -> sqlx::Result<Option<LoginCandidate>> {
    sqlx::query_as!(
        LoginCandidate,
        r#"
        SELECT id, password_hash, blocked_at IS NOT NULL AS "blocked!"
        FROM users WHERE lower(login) = lower($1)
        "#,
        login
    )
    .fetch_optional(pool)
    .await
}

/// Unread notices are counted up to this many: the bell shows «99+» beyond, and a user who
/// never reads them does not make every page slower. Written out in the session's statement
/// too, where a parameter would make PostgreSQL plan it anew for each request.
pub const UNREAD_COUNTED_UP_TO: i64 = 100;

/// A live web session with the user it belongs to.
#[derive(Debug)]
pub struct SessionUser {
    pub user: SignedIn,
    /// Whether the user may still work (not blocked).
    pub active: bool,
    /// When the session signed in, in Unix milliseconds.
    pub signed_in_ms: Option<i64>,
    /// When the session's time was last moved on, in Unix milliseconds.
    pub seen_ms: Option<i64>,
}

/// Reads a live session and its user in one statement. The session's data is the JSON the
/// session store writes; `keys` names its user id, sign-in time and seen time entries.
pub async fn load_for_session(
    pool: &PgPool,
    session_id: &str,
    keys: [&str; 3],
) -> sqlx::Result<Option<SessionUser>> {
    let [user_key, signed_in_key, seen_key] = keys;
    let row = sqlx::query!(
        r#"
        WITH session AS (
            SELECT convert_from(data, 'UTF8')::jsonb AS data FROM sessions
            WHERE id = $1 AND expiry_date > now()
        )
        SELECT u.id, u.login, u.full_name, u.organisation_id, o.short_name AS organisation_name,
               u.can_create, u.can_participate, u.can_view, u.can_view_public,
               u.is_head, u.is_admin, u.password_changed_at, u.last_seen_at,
               (SELECT count(*) FROM (
                    SELECT 1 FROM notifications n
                    WHERE n.user_id = u.id AND n.read_at IS NULL
                    LIMIT 100 /* UNREAD_COUNTED_UP_TO */) AS counted) AS "unread!",
               u.blocked_at IS NULL AS "active!",
               (s.data ->> $3)::bigint AS signed_in_ms,
               (s.data ->> $4)::bigint AS seen_ms
        FROM session s
        JOIN users u ON u.id = (s.data ->> $2)::bigint
        JOIN organisations o ON o.id = u.organisation_id
        "#,
        session_id,
        user_key,
        signed_in_key,
        seen_key
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| SessionUser {
        user: SignedIn {
            actor: Actor {
                user_id: r.id,
                organisation_id: r.organisation_id,
                full_name: r.full_name,
                rights: Rights {
                    create: r.can_create,
                    participate: r.can_participate,
                    view: r.can_view,
                    view_public: r.can_view_public,
                },
                is_head: r.is_head,
                is_admin: r.is_admin,
            },
            login: r.login,
            organisation_name: r.organisation_name,
            unread_notifications: r.unread,
            password_changed_at: r.password_changed_at,
            last_seen_at: r.last_seen_at,
        },
        active: r.active,
        signed_in_ms: r.signed_in_ms,
        seen_ms: r.seen_ms,
    }))
}

/// Notes that the user was active; written at most once a step per user, also when
/// several requests of the user arrive at once.
pub async fn touch_last_seen(pool: &PgPool, user_id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        UPDATE users SET last_seen_at = $2
        WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at <= $3)
        "#,
        user_id,
        now,
        now - LAST_SEEN_STEP
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Locks the attempt count of a login name at an address for the transaction, creating it
/// when there is none, and returns the attempts that failed in a row and when the last one
/// came. Attempts at once wait here for each other, so none of them misses the others.
pub async fn lock_login_attempts(
    conn: &mut PgConnection,
    login: &str,
    client: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<(i32, DateTime<Utc>)> {
    let row = sqlx::query!(
        r#"
        INSERT INTO login_failures AS f (login, client, failures, last_failed_at)
        VALUES (lower($1), $2, 0, $3)
        ON CONFLICT (login, client) DO UPDATE SET failures = f.failures
        RETURNING failures, last_failed_at
        "#,
        login,
        client,
        now
    )
    .fetch_one(conn)
    .await?;
    Ok((row.failures, row.last_failed_at))
}

/// Counts an attempt as failed until its password proves right (which clears the count).
pub async fn count_login_attempt(
    conn: &mut PgConnection,
    login: &str,
    client: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        UPDATE login_failures SET failures = failures + 1, last_failed_at = $3
        WHERE login = lower($1) AND client = $2
        "#,
        login,
        client,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets the login's failures from every address: the right password was given.
pub async fn clear_login_failures(pool: &PgPool, login: &str) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM login_failures WHERE login = lower($1)", login)
        .execute(pool)
        .await?;
    Ok(())
}

/// The list columns the user chose, if any.
pub async fn list_columns(pool: &PgPool, user_id: i64) -> sqlx::Result<Option<Vec<String>>> {
    sqlx::query_scalar!("SELECT list_columns FROM users WHERE id = $1", user_id)
        .fetch_one(pool)
        .await
}

pub async fn set_list_columns(pool: &PgPool, user_id: i64, columns: &[String]) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET list_columns = $2 WHERE id = $1",
        user_id,
        columns
    )
    .execute(pool)
    .await?;
    Ok(())
}
