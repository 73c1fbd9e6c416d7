//! Keeps the stored dates of running approvals current and sends the notices that follow
//! from them: arrival for a decision, deadline tomorrow, overdue. Called inside each event's
//! transaction, and by the background task as days pass.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::{
    clock::moscow_date,
    db::{
        self,
        notifications::Notice,
        schedule::{ActionRow, ActionUpdates, SeatRow, SeatUpdates},
    },
    domain::{
        dates::{TermBasis, add_days},
        schedule::{self, ActionInput, SeatDates, SeatInput},
    },
    web::format,
};

/// Approvals refreshed per transaction by the background task.
pub const BATCH: i64 = 2000;

/// Recomputes and stores the dates of the given approvals as of `now`, and sends the notices
/// whose moment has come. `mail` is the service's address when mail is configured.
pub async fn refresh(
    conn: &mut PgConnection,
    approval_ids: &[i64],
    now: DateTime<Utc>,
    mail: Option<&str>,
) -> sqlx::Result<()> {
    let today = moscow_date(now);
    let seats = db::schedule::seats(conn, approval_ids).await?;
    let actions = db::schedule::actions(conn, approval_ids).await?;
    let mut actions_of: HashMap<i64, Vec<&ActionRow>> = HashMap::new();
    for action in &actions {
        actions_of
            .entry(action.participant_id)
            .or_default()
            .push(action);
    }

    let mut seat_updates = SeatUpdates::default();
    let mut action_updates = ActionUpdates::default();
    let mut notices = Vec::new();
    for approval in seats.chunk_by(|a, b| a.approval_id == b.approval_id) {
        let Some(launched_at) = approval[0].launched_at else {
            continue;
        };
        let inputs: Vec<SeatInput> = approval
            .iter()
            .map(|row| seat_input(row, actions_of.get(&row.id).map_or(&[][..], Vec::as_slice)))
            .collect();
        let computed = schedule::compute(moscow_date(launched_at), today, &inputs);
        for (row, dates) in approval.iter().zip(&computed.seats) {
            collect_seat(row, dates, &mut seat_updates);
            notices.extend(notices_for(row, dates, today));
            let own = actions_of.get(&row.id).map_or(&[][..], Vec::as_slice);
            for (action, action_dates) in own.iter().zip(&dates.actions) {
                let new = (
                    Some(action_dates.planned_end),
                    Some(action_dates.expected_end),
                    action_dates.deadline,
                );
                if new != (action.planned_end, action.expected_end, action.deadline) {
                    action_updates.ids.push(action.id);
                    action_updates.planned_end.push(action_dates.planned_end);
                    action_updates.expected_end.push(action_dates.expected_end);
                    action_updates.deadline.push(action_dates.deadline);
                }
            }
        }
    }

    db::schedule::write_seats(conn, &seat_updates).await?;
    db::schedule::write_actions(conn, &action_updates).await?;
    db::notifications::notify_participants(conn, &notices, mail, now).await?;
    db::schedule::mark_current(conn, approval_ids, today).await?;
    Ok(())
}

fn seat_input(row: &SeatRow, actions: &[&ActionRow]) -> SeatInput {
    SeatInput {
        step: row.step,
        days: row.term_days,
        basis: TermBasis::from_db(&row.term_basis).unwrap_or(TermBasis::Launch),
        is_mandatory: row.is_mandatory,
        decided_on: row.decided_at.map(moscow_date),
        actions: actions
            .iter()
            .map(|a| ActionInput {
                days: a.term_days,
                done_on: a.done_at.map(moscow_date),
            })
            .collect(),
    }
}

fn collect_seat(row: &SeatRow, dates: &SeatDates, updates: &mut SeatUpdates) {
    let stored = (
        row.expected_start,
        row.expected_end,
        row.deadline,
        row.is_overdue,
    );
    let new = (
        Some(dates.expected_start),
        Some(dates.expected_end),
        dates.deadline,
        dates.overdue,
    );
    if stored != new {
        updates.ids.push(row.id);
        updates.expected_start.push(dates.expected_start);
        updates.expected_end.push(dates.expected_end);
        updates.deadline.push(dates.deadline);
        updates.is_overdue.push(dates.overdue);
    }
}

/// The notices a participant's new dates call for, each with the organisation it goes to.
/// Arrival and overdue are sent when the stored state changes; «deadline tomorrow» on the
/// day before the deadline. Each has its own key, so a repeat is never a second notice.
fn notices_for(
    row: &SeatRow,
    dates: &SeatDates,
    today: chrono::NaiveDate,
) -> Vec<(Notice<'static>, i64)> {
    let mut notices = Vec::new();
    let undecided = row.decided_at.is_none();
    let notice = |kind: &'static str, message: String| {
        (
            Notice {
                approval_id: row.approval_id,
                kind,
                key: format!("{kind}:{}", row.id),
                message,
            },
            row.organisation_id,
        )
    };
    if undecided && row.deadline.is_none() && dates.deadline.is_some() {
        let message = if row.step == 1 {
            format!(
                "Согласование {} поступило на рассмотрение: решение нужно принять до {}",
                row.approval_number,
                format::opt_date(dates.deadline)
            )
        } else {
            format!(
                "Начался шаг {} согласования {}: решение нужно принять до {}",
                row.step,
                row.approval_number,
                format::opt_date(dates.deadline)
            )
        };
        let kind = if row.step == 1 {
            "arrived"
        } else {
            "step_started"
        };
        notices.push(notice(kind, message));
    }
    if undecided && row.is_mandatory && dates.deadline == Some(add_days(today, 1)) {
        notices.push(notice(
            "deadline_tomorrow",
            format!(
                "Завтра, {}, истекает срок решения по согласованию {}",
                format::opt_date(dates.deadline),
                row.approval_number
            ),
        ));
    }
    if dates.overdue && !row.is_overdue {
        notices.push(notice(
            "overdue",
            format!(
                "Просрочено решение по согласованию {}: срок истёк {}",
                row.approval_number,
                format::opt_date(dates.deadline)
            ),
        ));
    }
    notices
}

/// Refreshes every running approval whose dates are older than today: first, in one
/// statement, those whose dates the new day cannot change; then the others, `BATCH` at a
/// time, each batch in its own transaction. Servers running this at once share the work:
/// each takes the approvals the others have not locked. Returns how many were refreshed.
pub async fn refresh_stale(
    pool: &PgPool,
    now: DateTime<Utc>,
    mail: Option<&str>,
) -> sqlx::Result<usize> {
    let today = moscow_date(now);
    let mut conn = pool.acquire().await?;
    let unchanged = db::schedule::fast_forward(&mut conn, today).await?;
    drop(conn);
    let mut refreshed = usize::try_from(unchanged).unwrap_or(usize::MAX);
    loop {
        let mut tx = pool.begin().await?;
        let ids = db::schedule::lock_stale(&mut tx, today, BATCH).await?;
        if ids.is_empty() {
            tx.commit().await?;
            return Ok(refreshed);
        }
        refresh(&mut tx, &ids, now, mail).await?;
        tx.commit().await?;
        refreshed += ids.len();
    }
}
