//! The stored dates of running approvals, read and written many approvals at a time.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;

/// A participant with its term, decision and the dates stored for it.
#[derive(Debug, Clone)]
pub struct SeatRow {
    pub id: i64,
    pub approval_id: i64,
    pub approval_number: String,
    pub launched_at: Option<DateTime<Utc>>,
    pub organisation_id: i64,
    pub step: i32,
    pub term_days: i32,
    pub term_basis: String,
    pub is_mandatory: bool,
    pub decided_at: Option<DateTime<Utc>>,
    pub expected_start: Option<NaiveDate>,
    pub expected_end: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub is_overdue: bool,
}

/// An action with its term, completion and stored dates.
#[derive(Debug, Clone)]
pub struct ActionRow {
    pub id: i64,
    pub participant_id: i64,
    pub term_days: i32,
    pub done_at: Option<DateTime<Utc>>,
    pub planned_end: Option<NaiveDate>,
    pub expected_end: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
}

/// Participants of the approvals, by approval, step and position.
pub async fn seats(conn: &mut PgConnection, approval_ids: &[i64]) -> sqlx::Result<Vec<SeatRow>> {
    sqlx::query_as!(
        SeatRow,
        r#"
        SELECT p.id, p.approval_id, a.number AS approval_number, a.launched_at,
               p.organisation_id, s.position AS step,
               p.term_days, p.term_basis, p.is_mandatory, p.decided_at,
               p.expected_start, p.expected_end, p.deadline, p.is_overdue
        FROM approval_participants p
        JOIN approvals a ON a.id = p.approval_id
        JOIN approval_steps s ON s.id = p.step_id
        WHERE p.approval_id = ANY($1)
        ORDER BY p.approval_id, s.position, p.position, p.id
        "#,
        approval_ids
    )
    .fetch_all(conn)
    .await
}

/// Actions of the approvals' participants, by participant and position.
pub async fn actions(
    conn: &mut PgConnection,
    approval_ids: &[i64],
) -> sqlx::Result<Vec<ActionRow>> {
    sqlx::query_as!(
        ActionRow,
        r#"
        SELECT t.id, t.participant_id, t.term_days, t.done_at, t.planned_end, t.expected_end,
               t.deadline
        FROM approval_actions t
        JOIN approval_participants p ON p.id = t.participant_id
        WHERE p.approval_id = ANY($1)
        ORDER BY t.participant_id, t.position, t.id
        "#,
        approval_ids
    )
    .fetch_all(conn)
    .await
}

/// New dates of participants, column by column.
#[derive(Debug, Default)]
pub struct SeatUpdates {
    pub ids: Vec<i64>,
    pub expected_start: Vec<NaiveDate>,
    pub expected_end: Vec<NaiveDate>,
    pub deadline: Vec<Option<NaiveDate>>,
    pub is_overdue: Vec<bool>,
}

/// New dates of actions, column by column.
#[derive(Debug, Default)]
pub struct ActionUpdates {
    pub ids: Vec<i64>,
    pub planned_end: Vec<NaiveDate>,
    pub expected_end: Vec<NaiveDate>,
    pub deadline: Vec<Option<NaiveDate>>,
}

pub async fn write_seats(conn: &mut PgConnection, updates: &SeatUpdates) -> sqlx::Result<()> {
    if updates.ids.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        r#"
        UPDATE approval_participants p
        SET expected_start = u.expected_start, expected_end = u.expected_end,
            deadline = u.deadline, is_overdue = u.is_overdue
        FROM UNNEST($1::bigint[], $2::date[], $3::date[], $4::date[], $5::bool[])
             AS u(id, expected_start, expected_end, deadline, is_overdue)
        WHERE p.id = u.id
        "#,
        &updates.ids,
        &updates.expected_start,
        &updates.expected_end,
        &updates.deadline as &[Option<NaiveDate>],
        &updates.is_overdue
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn write_actions(conn: &mut PgConnection, updates: &ActionUpdates) -> sqlx::Result<()> {
    if updates.ids.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        r#"
        UPDATE approval_actions t
        SET planned_end = u.planned_end, expected_end = u.expected_end, deadline = u.deadline
        FROM UNNEST($1::bigint[], $2::date[], $3::date[], $4::date[])
             AS u(id, planned_end, expected_end, deadline)
        WHERE t.id = u.id
        "#,
        &updates.ids,
        &updates.planned_end,
        &updates.expected_end,
        &updates.deadline as &[Option<NaiveDate>]
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Notes the Moscow date the approvals' dates were computed for.
pub async fn mark_current(
    conn: &mut PgConnection,
    approval_ids: &[i64],
    today: NaiveDate,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE approvals SET dates_as_of = $2 WHERE id = ANY($1)",
        approval_ids,
        today
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Locks up to `limit` running approvals whose dates were never computed, skipping those
/// another server is refreshing.
pub async fn lock_never_computed(conn: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"
        SELECT id FROM approvals
        WHERE status = 'running' AND dates_as_of = '-infinity'
        ORDER BY id
        LIMIT $1
        FOR UPDATE SKIP LOCKED
        "#,
        limit
    )
    .fetch_all(conn)
    .await
}

/// A participant whose deadline is the reason for a notice.
#[derive(Debug, Clone)]
pub struct DeadlineRow {
    pub id: i64,
    pub approval_id: i64,
    pub approval_number: String,
    pub organisation_id: i64,
    pub deadline: Option<NaiveDate>,
}

/// Claims the day-driven refresh of `today`; `false` when it is done or another server is
/// doing it (the insert waits for that server's transaction, then conflicts).
pub async fn claim_day(
    conn: &mut PgConnection,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let claimed = sqlx::query!(
        "INSERT INTO schedule_days (day, done_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        today,
        now
    )
    .execute(conn)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// The day-driven part of the dates, set-based over every running approval (those never
/// computed have just been, by the batches before): what `domain::schedule::compute` changes when only today moves (events
/// recompute their approval in full). Marks undecided mandatory participants past their
/// deadline overdue and returns them.
pub async fn mark_overdue(
    conn: &mut PgConnection,
    today: NaiveDate,
) -> sqlx::Result<Vec<DeadlineRow>> {
    sqlx::query_as!(
        DeadlineRow,
        r#"
        UPDATE approval_participants p SET is_overdue = true
        FROM approvals a
        WHERE a.id = p.approval_id AND a.status = 'running'
          AND p.decided_at IS NULL AND p.is_mandatory AND p.deadline < $1 AND NOT p.is_overdue
        RETURNING p.id, p.approval_id, a.number AS approval_number, p.organisation_id,
                  p.deadline
        "#,
        today
    )
    .fetch_all(conn)
    .await
}

/// Undecided mandatory participants whose deadline is tomorrow.
pub async fn due_tomorrow(
    conn: &mut PgConnection,
    today: NaiveDate,
) -> sqlx::Result<Vec<DeadlineRow>> {
    sqlx::query_as!(
        DeadlineRow,
        r#"
        SELECT p.id, p.approval_id, a.number AS approval_number, p.organisation_id, p.deadline
        FROM approval_participants p JOIN approvals a ON a.id = p.approval_id
        WHERE a.status = 'running'
          AND p.decided_at IS NULL AND p.is_mandatory AND p.deadline = $1::date + 1
        "#,
        today
    )
    .fetch_all(conn)
    .await
}

/// Moves the expected dates of participants waiting in step `step` (no deadline yet): start
/// on the latest of today and the previous step's mandatory expected ends, end a window later
/// (or on the decision of one that decided early); their open actions end their term after
/// that start. When the previous step has started its expected ends are fixed and already
/// behind the stored start, so a stored start before today simply becomes today.
pub async fn move_waiting_step(
    conn: &mut PgConnection,
    today: NaiveDate,
    step: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        WITH waiting AS (
            SELECT p.id, p.approval_id, p.term_days, p.term_basis, p.planned_start,
                   p.decided_at, p.expected_start,
                   (a.launched_at AT TIME ZONE 'Europe/Moscow')::date AS launch,
                   EXISTS (SELECT 1 FROM approval_participants q
                           JOIN approval_steps qs ON qs.id = q.step_id
                           WHERE q.approval_id = p.approval_id AND qs.position = $2 - 1
                             AND q.deadline IS NOT NULL) AS previous_started
            FROM approval_participants p
            JOIN approval_steps s ON s.id = p.step_id
            JOIN approvals a ON a.id = p.approval_id
            WHERE s.position = $2 AND p.deadline IS NULL
              AND a.status = 'running'
        ), previous AS (
            SELECT p.approval_id, max(p.expected_end) AS ends
            FROM approval_participants p
            JOIN approval_steps s ON s.id = p.step_id
            WHERE s.position = $2 - 1 AND p.is_mandatory
              AND p.approval_id IN (SELECT approval_id FROM waiting WHERE NOT previous_started)
            GROUP BY p.approval_id
        ), target AS (
            SELECT w.id,
                   CASE WHEN w.previous_started THEN $1
                        ELSE GREATEST($1, COALESCE(previous.ends, $1)) END AS start,
                   CASE WHEN w.term_basis = 'step_start' THEN w.term_days
                        ELSE GREATEST(1, w.term_days - (w.planned_start - w.launch))
                   END AS window_days,
                   (w.decided_at AT TIME ZONE 'Europe/Moscow')::date AS decided_on
            FROM waiting w LEFT JOIN previous ON previous.approval_id = w.approval_id
            WHERE NOT w.previous_started OR w.expected_start < $1
        )
        UPDATE approval_participants p
        SET expected_start = t.start,
            expected_end = COALESCE(t.decided_on, t.start + t.window_days)
        FROM target t
        WHERE p.id = t.id
          AND (p.expected_start, p.expected_end)
              IS DISTINCT FROM (t.start, COALESCE(t.decided_on, t.start + t.window_days))
        "#,
        today,
        step
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"
        UPDATE approval_actions t SET expected_end = p.expected_start + t.term_days
        FROM approval_participants p
        JOIN approval_steps s ON s.id = p.step_id
        JOIN approvals a ON a.id = p.approval_id
        WHERE t.participant_id = p.id AND s.position = $1 AND p.deadline IS NULL
          AND t.done_at IS NULL
          AND a.status = 'running'
          AND t.expected_end IS DISTINCT FROM p.expected_start + t.term_days
        "#,
        step
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The highest step position of any running approval.
pub async fn last_running_step(conn: &mut PgConnection) -> sqlx::Result<i32> {
    let last = sqlx::query_scalar!(
        r#"
        SELECT max(s.position) FROM approval_steps s JOIN approvals a ON a.id = s.approval_id
        WHERE a.status = 'running'
        "#
    )
    .fetch_one(conn)
    .await?;
    Ok(last.unwrap_or(0))
}
