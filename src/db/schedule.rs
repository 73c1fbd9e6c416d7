//! The stored dates of running approvals, read and written many approvals at a time.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use sqlx::{PgConnection, types::Json};

use super::approvals::SeatState;

/// A participant with its term, decision and the dates stored for it: what the dates need,
/// and what deciding and acting check.
#[derive(Debug, Clone)]
pub struct SeatRow {
    pub id: i64,
    pub approval_id: i64,
    pub approval_number: String,
    pub launched_at: Option<DateTime<Utc>>,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub step: i32,
    pub term_days: i32,
    pub term_basis: String,
    pub is_mandatory: bool,
    pub is_final: bool,
    pub decision: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub expected_start: Option<NaiveDate>,
    pub expected_start_lag: Option<i32>,
    pub expected_end: Option<NaiveDate>,
    pub expected_end_lag: Option<i32>,
    pub deadline: Option<NaiveDate>,
    pub is_overdue: bool,
    /// Whether the approval's dates were last computed for the day asked about.
    pub dates_current: bool,
    /// The participant's actions, by position.
    pub actions: Json<Vec<ActionRow>>,
}

/// An action with its term, completion and stored dates.
#[derive(Debug, Clone, Deserialize)]
pub struct ActionRow {
    pub id: i64,
    pub description: String,
    pub is_mandatory: bool,
    pub term_days: i32,
    pub done_at: Option<DateTime<Utc>>,
    pub planned_end: Option<NaiveDate>,
    pub expected_end: Option<NaiveDate>,
    pub expected_end_lag: Option<i32>,
    pub deadline: Option<NaiveDate>,
}

/// Participants of the approvals with their actions, by approval, step and position. Each
/// approval is looked up by itself (the ids joined, the step read by key), so that the plan
/// stays a walk down indexes however many approvals there are.
pub async fn seats(
    conn: &mut PgConnection,
    approval_ids: &[i64],
    today: NaiveDate,
) -> sqlx::Result<Vec<SeatRow>> {
    sqlx::query_as!(
        SeatRow,
        r#"
        SELECT p.id, p.approval_id, a.number AS approval_number, a.launched_at,
               p.organisation_id,
               (SELECT o.short_name FROM organisations o WHERE o.id = p.organisation_id)
                   AS "organisation_name!",
               (SELECT s.position FROM approval_steps s WHERE s.id = p.step_id) AS "step!",
               p.term_days, p.term_basis, p.is_mandatory, p.is_final, p.decision, p.decided_at,
               p.expected_start, p.expected_start_lag, p.expected_end, p.expected_end_lag,
               p.deadline, p.is_overdue, a.dates_as_of = $2 AS "dates_current!",
               COALESCE((SELECT json_agg(t ORDER BY t.position, t.id) FROM (
                   SELECT t.id, t.position, t.description, t.is_mandatory, t.term_days,
                          t.done_at, t.planned_end, t.expected_end, t.expected_end_lag,
                          t.deadline
                   FROM approval_actions t WHERE t.participant_id = p.id) AS t), '[]')
                   AS "actions!: Json<Vec<ActionRow>>"
        FROM unnest($1::bigint[]) AS wanted(id)
        JOIN approvals a ON a.id = wanted.id
        JOIN approval_participants p ON p.approval_id = a.id
        ORDER BY p.approval_id, 7 /* the step */, p.position, p.id
        "#,
        approval_ids,
        today
    )
    .fetch_all(conn)
    .await
}

/// New dates of participants, column by column; expected dates as `MovingDate` rules.
#[derive(Debug, Default)]
pub struct SeatUpdates {
    pub ids: Vec<i64>,
    pub expected_start: Vec<NaiveDate>,
    pub expected_start_lag: Vec<Option<i32>>,
    pub expected_end: Vec<NaiveDate>,
    pub expected_end_lag: Vec<Option<i32>>,
    pub deadline: Vec<Option<NaiveDate>>,
    pub is_overdue: Vec<bool>,
}

/// New dates of actions, column by column.
#[derive(Debug, Default)]
pub struct ActionUpdates {
    pub ids: Vec<i64>,
    pub planned_end: Vec<NaiveDate>,
    pub expected_end: Vec<NaiveDate>,
    pub expected_end_lag: Vec<Option<i32>>,
    pub deadline: Vec<Option<NaiveDate>>,
}

/// One participant's stored dates, as [`SeatUpdates`] holds them for many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatDatesRow {
    pub expected_start: Option<NaiveDate>,
    pub expected_start_lag: Option<i32>,
    pub expected_end: Option<NaiveDate>,
    pub expected_end_lag: Option<i32>,
    pub deadline: Option<NaiveDate>,
    pub is_overdue: bool,
}

impl SeatRow {
    /// The dates stored for the participant when it was read.
    pub fn stored_dates(&self) -> SeatDatesRow {
        SeatDatesRow {
            expected_start: self.expected_start,
            expected_start_lag: self.expected_start_lag,
            expected_end: self.expected_end,
            expected_end_lag: self.expected_end_lag,
            deadline: self.deadline,
            is_overdue: self.is_overdue,
        }
    }
}

impl SeatUpdates {
    /// Takes one participant's new dates out, for a caller that writes its row itself.
    pub fn take(&mut self, id: i64) -> Option<SeatDatesRow> {
        let i = self.ids.iter().position(|&p| p == id)?;
        self.ids.remove(i);
        Some(SeatDatesRow {
            expected_start: Some(self.expected_start.remove(i)),
            expected_start_lag: self.expected_start_lag.remove(i),
            expected_end: Some(self.expected_end.remove(i)),
            expected_end_lag: self.expected_end_lag.remove(i),
            deadline: self.deadline.remove(i),
            is_overdue: self.is_overdue.remove(i),
        })
    }
}

pub async fn write_seats(conn: &mut PgConnection, updates: &SeatUpdates) -> sqlx::Result<()> {
    if updates.ids.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        r#"
        UPDATE approval_participants p
        SET expected_start = u.expected_start, expected_start_lag = u.expected_start_lag,
            expected_end = u.expected_end, expected_end_lag = u.expected_end_lag,
            deadline = u.deadline, is_overdue = u.is_overdue
        FROM UNNEST($1::bigint[], $2::date[], $3::int[], $4::date[], $5::int[], $6::date[],
                    $7::bool[])
             AS u(id, expected_start, expected_start_lag, expected_end, expected_end_lag,
                  deadline, is_overdue)
        WHERE p.id = u.id
        "#,
        &updates.ids,
        &updates.expected_start,
        &updates.expected_start_lag as &[Option<i32>],
        &updates.expected_end,
        &updates.expected_end_lag as &[Option<i32>],
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
        SET planned_end = u.planned_end, expected_end = u.expected_end,
            expected_end_lag = u.expected_end_lag, deadline = u.deadline
        FROM UNNEST($1::bigint[], $2::date[], $3::date[], $4::int[], $5::date[])
             AS u(id, planned_end, expected_end, expected_end_lag, deadline)
        WHERE t.id = u.id
        "#,
        &updates.ids,
        &updates.planned_end,
        &updates.expected_end,
        &updates.expected_end_lag as &[Option<i32>],
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

/// The latest day before `today` whose day-driven refresh is done, if any.
pub async fn last_day_before(
    conn: &mut PgConnection,
    today: NaiveDate,
) -> sqlx::Result<Option<NaiveDate>> {
    sqlx::query_scalar!("SELECT max(day) FROM schedule_days WHERE day < $1", today)
        .fetch_one(conn)
        .await
}

/// The day-driven part of the dates, set-based over every running approval (those never
/// computed have just been, by the batches before). When only today moves, the overdue
/// marks are all `domain::schedule::compute` changes: deadlines are fixed once a step
/// starts, and expected dates are stored as rules of today. Marks undecided mandatory
/// participants past their deadline overdue and returns them. Those whose deadline passed
/// before `since`, the last day refreshed, were marked on that day or by an event, so only
/// deadlines from `since` on are looked at.
pub async fn mark_overdue(
    conn: &mut PgConnection,
    today: NaiveDate,
    since: Option<NaiveDate>,
) -> sqlx::Result<Vec<DeadlineRow>> {
    sqlx::query_as!(
        DeadlineRow,
        r#"
        UPDATE approval_participants p SET is_overdue = true
        FROM approvals a
        WHERE a.id = p.approval_id AND a.status = 'running'
          AND p.decided_at IS NULL AND p.is_mandatory AND NOT p.is_overdue
          AND p.deadline < $1 AND p.deadline >= COALESCE($2, '-infinity'::date)
        RETURNING p.id, p.approval_id, a.number AS approval_number, p.organisation_id,
                  p.deadline
        "#,
        today,
        since
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

impl SeatRow {
    /// The participant as deciding and acting check it.
    pub fn state(&self) -> SeatState {
        SeatState {
            id: self.id,
            step: self.step,
            organisation_id: self.organisation_id,
            organisation_name: self.organisation_name.clone(),
            is_mandatory: self.is_mandatory,
            is_final: self.is_final,
            decision: self.decision.clone(),
            open_mandatory_actions: self
                .actions
                .iter()
                .filter(|action| action.is_mandatory && action.done_at.is_none())
                .map(|action| action.description.clone())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taking_a_participants_dates_leaves_the_others_in_their_columns() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).expect("date");
        let mut updates = SeatUpdates::default();
        for (id, d) in [(7, 1), (8, 2), (9, 3)] {
            updates.ids.push(id);
            updates.expected_start.push(day(d));
            updates.expected_start_lag.push(None);
            updates.expected_end.push(day(d + 10));
            updates
                .expected_end_lag
                .push(Some(i32::try_from(d).expect("small")));
            updates.deadline.push(Some(day(d + 8)));
            updates.is_overdue.push(d == 2);
        }
        assert_eq!(
            updates.take(8),
            Some(SeatDatesRow {
                expected_start: Some(day(2)),
                expected_start_lag: None,
                expected_end: Some(day(12)),
                expected_end_lag: Some(2),
                deadline: Some(day(10)),
                is_overdue: true,
            })
        );
        assert_eq!(updates.take(8), None);
        assert_eq!(updates.ids, [7, 9]);
        assert_eq!(updates.expected_end, [day(11), day(13)]);
        assert_eq!(updates.deadline, [Some(day(9)), Some(day(11))]);
        assert_eq!(updates.is_overdue, [false, false]);
    }
}
