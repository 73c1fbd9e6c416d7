//! Notices to users and the mail that carries them.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// Who a notice about an approval goes to; notices for a participant organisation go
/// through [`notify_participants`].
#[derive(Clone, Copy, Debug)]
pub enum Audience {
    /// Users of the initiator organisation who create, view or head it.
    Initiator,
    /// The initiator's users and every participant organisation's deciding or viewing users.
    Involved,
}

impl Audience {
    fn as_db(self) -> &'static str {
        match self {
            Audience::Initiator => "initiator",
            Audience::Involved => "involved",
        }
    }
}

/// One event to tell people about.
#[derive(Debug)]
pub struct Notice<'a> {
    pub approval_id: i64,
    pub kind: &'a str,
    /// Names the event; a user gets one notice per key, however often it is sent.
    pub key: String,
    pub message: String,
}

/// Stores the notice for each user of the audience who has not had it yet, and, when `mail`
/// holds the service's address, queues a mail for those with an e-mail. Returns how many
/// notices were new.
pub async fn notify(
    conn: &mut PgConnection,
    notice: &Notice<'_>,
    audience: Audience,
    mail: Option<&str>,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let audience = audience.as_db();
    let (subject, body) = mail_text(notice, mail);
    let result = sqlx::query!(
        r#"
        WITH approval AS (
            SELECT id, initiator_org_id FROM approvals WHERE id = $1
        ), recipients AS (
            -- Two arms, so that each finds its users by organisation whatever the plan.
            SELECT u.id FROM users u, approval a
            WHERE u.blocked_at IS NULL AND u.organisation_id = a.initiator_org_id
                AND (u.can_create OR u.can_view OR u.is_head)
            UNION
            SELECT u.id FROM users u
            WHERE $4 = 'involved' AND u.blocked_at IS NULL
                AND (u.can_participate OR u.can_view)
                AND u.organisation_id IN (
                    SELECT organisation_id FROM approval_participants WHERE approval_id = $1)
        ), inserted AS (
            INSERT INTO notifications (user_id, approval_id, kind, message, dedupe_key, created_at)
            SELECT id, $1, $2, $3, $5, $6 FROM recipients
            ON CONFLICT (user_id, dedupe_key) DO NOTHING
            RETURNING id, user_id
        ), mailed AS (
            INSERT INTO mail_outbox (notification_id, recipient, subject, body, next_attempt_at)
            SELECT i.id, u.email, $7, $8, $6
            FROM inserted i JOIN users u ON u.id = i.user_id
            WHERE $9 AND u.email IS NOT NULL AND u.email <> ''
        )
        SELECT count(*) AS "new!" FROM inserted
        "#,
        notice.approval_id,
        notice.kind,
        notice.message,
        audience,
        notice.key,
        now,
        subject,
        body,
        mail.is_some()
    )
    .fetch_one(conn)
    .await?;
    Ok(u64::try_from(result.new).unwrap_or(0))
}

/// Stores many notices at once, each for the deciding users of its organisation
/// («Участвовать в согласованиях»), with mail queued as [`notify`] does. Returns how many
/// notices were new.
pub async fn notify_participants(
    conn: &mut PgConnection,
    notices: &[(Notice<'_>, i64)],
    mail: Option<&str>,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    if notices.is_empty() {
        return Ok(0);
    }
    let mut approval_ids = Vec::with_capacity(notices.len());
    let mut organisation_ids = Vec::with_capacity(notices.len());
    let mut kinds = Vec::with_capacity(notices.len());
    let mut keys = Vec::with_capacity(notices.len());
    let mut messages = Vec::with_capacity(notices.len());
    let mut subjects = Vec::with_capacity(notices.len());
    let mut bodies = Vec::with_capacity(notices.len());
    for (notice, organisation_id) in notices {
        approval_ids.push(notice.approval_id);
        organisation_ids.push(*organisation_id);
        kinds.push(notice.kind.to_owned());
        keys.push(notice.key.clone());
        messages.push(notice.message.clone());
        let (subject, body) = mail_text(notice, mail);
        subjects.push(subject);
        bodies.push(body);
    }
    let result = sqlx::query!(
        r#"
        WITH notice AS (
            SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[],
                                 $5::text[], $6::text[], $7::text[])
                AS n(approval_id, organisation_id, kind, key, message, subject, body)
        ), inserted AS (
            INSERT INTO notifications (user_id, approval_id, kind, message, dedupe_key, created_at)
            SELECT u.id, n.approval_id, n.kind, n.message, n.key, $8
            FROM notice n JOIN users u ON u.organisation_id = n.organisation_id
            WHERE u.can_participate AND u.blocked_at IS NULL
            ON CONFLICT (user_id, dedupe_key) DO NOTHING
            RETURNING id, user_id, dedupe_key
        ), mailed AS (
            INSERT INTO mail_outbox (notification_id, recipient, subject, body, next_attempt_at)
            SELECT i.id, u.email, n.subject, n.body, $8
            FROM inserted i
            JOIN users u ON u.id = i.user_id
            JOIN notice n ON n.key = i.dedupe_key AND n.organisation_id = u.organisation_id
            WHERE $9 AND u.email IS NOT NULL AND u.email <> ''
        )
        SELECT count(*) AS "new!" FROM inserted
        "#,
        &approval_ids,
        &organisation_ids,
        &kinds,
        &keys,
        &messages,
        &subjects,
        &bodies,
        now,
        mail.is_some()
    )
    .fetch_one(conn)
    .await?;
    Ok(u64::try_from(result.new).unwrap_or(0))
}

/// The subject and body of a notice's mail; the body links to the approval's card.
fn mail_text(notice: &Notice<'_>, mail: Option<&str>) -> (String, String) {
    let subject = format!("ЕССК: {}", notice.message);
    let body = match mail {
        Some(base) => format!(
            "{}\n\nКарточка согласования: {}/approvals/{}\n\nЭто письмо отправлено \
             автоматически системой «Согласования ЕССК».",
            notice.message,
            base.trim_end_matches('/'),
            notice.approval_id
        ),
        None => String::new(),
    };
    (subject, body)
}

/// A notice as the list shows it.
#[derive(Debug, Clone)]
pub struct NotificationRow {
    pub id: i64,
    pub approval_id: Option<i64>,
    pub approval_number: Option<String>,
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// Removes a user's notices (and their unsent mail): they speak of approvals of the
/// organisation the user has left.
pub async fn forget_for_user(conn: &mut PgConnection, user_id: i64) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM notifications WHERE user_id = $1", user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The user's latest notices, newest first.
pub async fn latest(pool: &PgPool, user_id: i64, limit: i64) -> sqlx::Result<Vec<NotificationRow>> {
    sqlx::query_as!(
        NotificationRow,
        r#"
        SELECT n.id, n.approval_id, a.number AS "approval_number?", n.message, n.created_at,
               n.read_at
        FROM notifications n LEFT JOIN approvals a ON a.id = n.approval_id
        WHERE n.user_id = $1
        ORDER BY n.id DESC
        LIMIT $2
        "#,
        user_id,
        limit
    )
    .fetch_all(pool)
    .await
}

/// Marks one of the user's notices read (or all of them when `id` is `None`).
pub async fn mark_read(
    pool: &PgPool,
    user_id: i64,
    id: Option<i64>,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let result = sqlx::query!(
        r#"
        UPDATE notifications SET read_at = $3
        WHERE user_id = $1 AND read_at IS NULL AND ($2::bigint IS NULL OR id = $2)
        "#,
        user_id,
        id,
        now
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

/// Whether the notice is the user's own.
pub async fn belongs_to(pool: &PgPool, user_id: i64, id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM notifications WHERE id = $1 AND user_id = $2) AS "own!""#,
        id,
        user_id
    )
    .fetch_one(pool)
    .await
}

/// A queued mail.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
}

/// Locks up to `limit` mails that are due, skipping those another server is sending.
pub async fn lock_due_mail(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<OutgoingMail>> {
    sqlx::query_as!(
        OutgoingMail,
        r#"
        SELECT id, recipient, subject, body, attempts FROM mail_outbox
        WHERE sent_at IS NULL AND next_attempt_at <= $1
        ORDER BY id
        LIMIT $2
        FOR UPDATE SKIP LOCKED
        "#,
        now,
        limit
    )
    .fetch_all(conn)
    .await
}

pub async fn mark_sent(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        UPDATE mail_outbox
        SET sent_at = $2, last_error = NULL, body = CASE WHEN holds_link THEN '' ELSE body END
        WHERE id = $1
        "#,
        id,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a failed attempt and when to try again.
pub async fn mark_failed(
    conn: &mut PgConnection,
    id: i64,
    error: &str,
    retry_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3
        WHERE id = $1
        "#,
        id,
        error,
        retry_at
    )
    .execute(conn)
    .await?;
    Ok(())
}
