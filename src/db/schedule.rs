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
pub async fn lock_stale(
    conn: &mut PgConnection,
    today: NaiveDate,
    limit: i64,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"
        SELECT id FROM approvals
        WHERE status = 'running' AND dates_as_of = '-infinity' AND dates_as_of < $1
        ORDER BY dates_as_of, id
        LIMIT $2
        FOR UPDATE SKIP LOCKED
        "#,
        today,
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

/// The day-driven part of the dates, set-based, for every running approval whose dates were
/// computed before `today` and are otherwise current: what `domain::schedule::compute` would
/// change when only today moves. Marks undecided mandatory participants past their deadline
/// overdue and returns them.
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
          AND a.dates_as_of < $1 AND a.dates_as_of > '-infinity'
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
        WHERE a.status = 'running' AND a.dates_as_of < $1 AND a.dates_as_of > '-infinity'
          AND p.decided_at IS NULL AND p.is_mandatory AND p.deadline = $1 + 1
        "#,
        today
    )
    .fetch_all(conn)
    .await
}

/// Moves the expected dates of participants of step `step` that has not started (no
/// deadline yet): start on the latest of today and the previous step's mandatory expected
/// ends, end a window later; their open actions end their term after that start.
pub async fn move_waiting_step(
    conn: &mut PgConnection,
    today: NaiveDate,
    step: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        WITH stale AS (
            SELECT id, (launched_at AT TIME ZONE 'Europe/Moscow')::date AS launch
            FROM approvals
            WHERE status = 'running' AND dates_as_of < $1 AND dates_as_of > '-infinity'
        ), previous AS (
            SELECT p.approval_id, max(p.expected_end) AS ends
            FROM approval_participants p
            JOIN approval_steps s ON s.id = p.step_id
            JOIN stale ON stale.id = p.approval_id
            WHERE s.position = $2 - 1 AND p.is_mandatory
            GROUP BY p.approval_id
        ), target AS (
            SELECT p.id, GREATEST($1, COALESCE(previous.ends, $1)) AS start,
                   CASE WHEN p.term_basis = 'step_start' THEN p.term_days
                        ELSE GREATEST(1, p.term_days - (p.planned_start - stale.launch))
                   END AS window_days
            FROM approval_participants p
            JOIN approval_steps s ON s.id = p.step_id
            JOIN stale ON stale.id = p.approval_id
            LEFT JOIN previous ON previous.approval_id = p.approval_id
            WHERE s.position = $2 AND p.deadline IS NULL
        )
        UPDATE approval_participants p
        SET expected_start = t.start, expected_end = t.start + t.window_days
        FROM target t
        WHERE p.id = t.id
          AND (p.expected_start, p.expected_end)
              IS DISTINCT FROM (t.start, t.start + t.window_days)
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
        WHERE t.participant_id = p.id AND s.position = $2 AND p.deadline IS NULL
          AND t.done_at IS NULL
          AND a.status = 'running' AND a.dates_as_of < $1 AND a.dates_as_of > '-infinity'
          AND t.expected_end IS DISTINCT FROM p.expected_start + t.term_days
        "#,
        today,
        step
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The highest step position of any running approval with dates older than `today`.
pub async fn last_stale_step(conn: &mut PgConnection, today: NaiveDate) -> sqlx::Result<i32> {
    let last = sqlx::query_scalar!(
        r#"
        SELECT max(s.position) FROM approval_steps s JOIN approvals a ON a.id = s.approval_id
        WHERE a.status = 'running' AND a.dates_as_of < $1 AND a.dates_as_of > '-infinity'
        "#,
        today
    )
    .fetch_one(conn)
    .await?;
    Ok(last.unwrap_or(0))
}

/// Marks the running approvals whose dates were computed before `today` current.
pub async fn mark_all_current(conn: &mut PgConnection, today: NaiveDate) -> sqlx::Result<u64> {
    let result = sqlx::query!(
        r#"
        UPDATE approvals SET dates_as_of = $1
        WHERE status = 'running' AND dates_as_of < $1 AND dates_as_of > '-infinity'
        "#,
        today
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

/// Takes the one lock under which a day's set-based refresh runs; `false` when another
/// server holds it (it is doing the same work).
pub async fn try_day_lock(conn: &mut PgConnection) -> sqlx::Result<bool> {
    let taken = sqlx::query_scalar!(r#"SELECT pg_try_advisory_xact_lock(7305000001) AS "taken!""#)
        .fetch_one(conn)
        .await?;
    Ok(taken)
}
