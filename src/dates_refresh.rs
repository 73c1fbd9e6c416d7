//! Keeps the stored dates of running approvals current and sends the notices that follow
//! from them: arrival for a decision, deadline tomorrow, overdue. Called inside each event's
//! transaction, and by the background task as days pass.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};

use crate::{
    clock::moscow_date,
    db::{
        self,
        notifications::Notice,
        schedule::{ActionUpdates, DeadlineRow, SeatRow, SeatUpdates},
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
    let seats = db::schedule::seats(conn, approval_ids, moscow_date(now)).await?;
    refresh_read(conn, approval_ids, &seats, now, mail).await
}

/// [`refresh`] from participants already read in this transaction ([`db::schedule::seats`]
/// of the same approvals) and brought up to what the transaction has changed since.
pub async fn refresh_read(
    conn: &mut PgConnection,
    approval_ids: &[i64],
    seats: &[SeatRow],
    now: DateTime<Utc>,
    mail: Option<&str>,
) -> sqlx::Result<()> {
    plan(approval_ids, seats, now).write(conn, now, mail).await
}

/// What a refresh writes: the dates that changed, the notices due, and the approvals to mark
/// as computed for today.
#[derive(Debug)]
pub struct Refresh {
    pub seats: SeatUpdates,
    actions: ActionUpdates,
    notices: Vec<(Notice<'static>, i64)>,
    stale: Vec<i64>,
    today: NaiveDate,
}

/// Computes the refresh of [`refresh_read`] without writing it, so that an event that
/// writes a participant's row anyway can write its new dates in the same statement
/// ([`SeatUpdates::take`]).
pub fn plan(approval_ids: &[i64], seats: &[SeatRow], now: DateTime<Utc>) -> Refresh {
    let today = moscow_date(now);
    let mut seat_updates = SeatUpdates::default();
    let mut action_updates = ActionUpdates::default();
    let mut notices = Vec::new();
    for approval in seats.chunk_by(|a, b| a.approval_id == b.approval_id) {
        let Some(launched_at) = approval[0].launched_at else {
            continue;
        };
        let inputs: Vec<SeatInput> = approval.iter().map(seat_input).collect();
        let computed = schedule::compute(moscow_date(launched_at), today, &inputs);
        for (row, dates) in approval.iter().zip(&computed.seats) {
            collect_seat(row, dates, &mut seat_updates);
            notices.extend(notices_for(row, dates, today));
            for (action, action_dates) in row.actions.iter().zip(&dates.actions) {
                let rule = action_dates.expected_end_rule;
                let new = (
                    Some(action_dates.planned_end),
                    Some(rule.floor),
                    rule.lag,
                    action_dates.deadline,
                );
                let stored = (
                    action.planned_end,
                    action.expected_end,
                    action.expected_end_lag,
                    action.deadline,
                );
                if new != stored {
                    action_updates.ids.push(action.id);
                    action_updates.planned_end.push(action_dates.planned_end);
                    action_updates.expected_end.push(rule.floor);
                    action_updates.expected_end_lag.push(rule.lag);
                    action_updates.deadline.push(action_dates.deadline);
                }
            }
        }
    }
    // Running approvals not yet computed for today; others (drafts, completed) are marked
    // too, as before, so that none is asked about again.
    let current: HashSet<i64> = seats
        .iter()
        .filter(|seat| seat.dates_current)
        .map(|seat| seat.approval_id)
        .collect();
    let stale = approval_ids
        .iter()
        .copied()
        .filter(|id| !current.contains(id))
        .collect();
    Refresh {
        seats: seat_updates,
        actions: action_updates,
        notices,
        stale,
        today,
    }
}

impl Refresh {
    /// Stores the dates, sends the notices and marks the approvals computed for today.
    pub async fn write(
        self,
        conn: &mut PgConnection,
        now: DateTime<Utc>,
        mail: Option<&str>,
    ) -> sqlx::Result<()> {
        db::schedule::write_seats(conn, &self.seats).await?;
        db::schedule::write_actions(conn, &self.actions).await?;
        db::notifications::notify_participants(conn, &self.notices, mail, now).await?;
        if !self.stale.is_empty() {
            db::schedule::mark_current(conn, &self.stale, self.today).await?;
        }
        Ok(())
    }
}

fn seat_input(row: &SeatRow) -> SeatInput {
    SeatInput {
        step: row.step,
        days: row.term_days,
        basis: TermBasis::from_db(&row.term_basis).unwrap_or(TermBasis::Launch),
        is_mandatory: row.is_mandatory,
        decided_on: row.decided_at.map(moscow_date),
        actions: row
            .actions
            .iter()
            .map(|a| ActionInput {
                days: a.term_days,
                done_on: a.done_at.map(moscow_date),
            })
            .collect(),
    }
}

fn collect_seat(row: &SeatRow, dates: &SeatDates, updates: &mut SeatUpdates) {
    let (start, end) = (dates.expected_start_rule, dates.expected_end_rule);
    let stored = (
        row.expected_start,
        row.expected_start_lag,
        row.expected_end,
        row.expected_end_lag,
        row.deadline,
        row.is_overdue,
    );
    let new = (
        Some(start.floor),
        start.lag,
        Some(end.floor),
        end.lag,
        dates.deadline,
        dates.overdue,
    );
    if stored != new {
        updates.ids.push(row.id);
        updates.expected_start.push(start.floor);
        updates.expected_start_lag.push(start.lag);
        updates.expected_end.push(end.floor);
        updates.expected_end_lag.push(end.lag);
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
    let about = Subject {
        approval_id: row.approval_id,
        approval_number: &row.approval_number,
        participant_id: row.id,
        organisation_id: row.organisation_id,
        deadline: dates.deadline,
    };
    if undecided && row.deadline.is_none() && dates.deadline.is_some() {
        notices.push(about.arrival(row.step));
    }
    if undecided && row.is_mandatory && dates.deadline == Some(add_days(today, 1)) {
        notices.push(about.due_tomorrow());
    }
    if dates.overdue && !row.is_overdue {
        notices.push(about.overdue());
    }
    notices
}

/// The participant a notice is about.
struct Subject<'a> {
    approval_id: i64,
    approval_number: &'a str,
    participant_id: i64,
    organisation_id: i64,
    deadline: Option<chrono::NaiveDate>,
}

impl Subject<'_> {
    fn notice(&self, kind: &'static str, message: String) -> (Notice<'static>, i64) {
        let notice = Notice {
            approval_id: self.approval_id,
            kind,
            key: format!("{kind}:{}", self.participant_id),
            message,
        };
        (notice, self.organisation_id)
    }

    fn arrival(&self, step: i32) -> (Notice<'static>, i64) {
        let (number, deadline) = (self.approval_number, format::opt_date(self.deadline));
        if step == 1 {
            let message = format!(
                "Согласование {number} поступило на рассмотрение: решение нужно принять до \
                 {deadline}"
            );
            self.notice("arrived", message)
        } else {
            let message = format!(
                "Начался шаг {step} согласования {number}: решение нужно принять до {deadline}"
            );
            self.notice("step_started", message)
        }
    }

    fn due_tomorrow(&self) -> (Notice<'static>, i64) {
        let message = format!(
            "Завтра, {}, истекает срок решения по согласованию {}",
            format::opt_date(self.deadline),
            self.approval_number
        );
        self.notice("deadline_tomorrow", message)
    }

    fn overdue(&self) -> (Notice<'static>, i64) {
        let message = format!(
            "Просрочено решение по согласованию {}: срок истёк {}",
            self.approval_number,
            format::opt_date(self.deadline)
        );
        self.notice("overdue", message)
    }
}

impl<'a> From<&'a DeadlineRow> for Subject<'a> {
    fn from(row: &'a DeadlineRow) -> Self {
        Subject {
            approval_id: row.approval_id,
            approval_number: &row.approval_number,
            participant_id: row.id,
            organisation_id: row.organisation_id,
            deadline: row.deadline,
        }
    }
}

/// Brings every running approval up to `now`'s Moscow date. Those never computed are
/// recomputed in full, `BATCH` at a time. For the others only the passing of days can have
/// changed anything (events recompute their approval at once), and once a day that part is
/// done set-based for all of them in one transaction: overdue marks, «deadline tomorrow» and
/// overdue notices; expected dates are stored as rules of today and need no rewrite.
/// Servers running this at once share the batches, and the first to claim the day does the
/// rest. Returns the number of approvals recomputed in full, plus one when this call did the
/// day's refresh.
pub async fn refresh_stale(
    pool: &PgPool,
    now: DateTime<Utc>,
    mail: Option<&str>,
) -> sqlx::Result<usize> {
    let today = moscow_date(now);
    let mut refreshed = 0;
    loop {
        // The batch's id lists run to thousands: these statements are planned for their
        // values.
        let mut tx = pool.begin().await?;
        let ids = db::schedule::lock_never_computed(&mut tx, BATCH).await?;
        if ids.is_empty() {
            tx.commit().await?;
            break;
        }
        refresh(&mut tx, &ids, now, mail).await?;
        tx.commit().await?;
        refreshed += ids.len();
    }

    let mut tx = pool.begin().await?;
    if !db::schedule::claim_day(&mut tx, today, now).await? {
        tx.commit().await?;
        return Ok(refreshed);
    }
    let started = std::time::Instant::now();
    let since = db::schedule::last_day_before(&mut tx, today).await?;
    let overdue = db::schedule::mark_overdue(&mut tx, today, since).await?;
    let tomorrow = db::schedule::due_tomorrow(&mut tx, today).await?;
    let marked = started.elapsed();
    let notices: Vec<(Notice<'static>, i64)> = overdue
        .iter()
        .map(|row| Subject::from(row).overdue())
        .chain(tomorrow.iter().map(|row| Subject::from(row).due_tomorrow()))
        .collect();
    let sent = db::notifications::notify_participants(&mut tx, &notices, mail, now).await?;
    tx.commit().await?;
    tracing::info!(
        %today,
        overdue = overdue.len(),
        due_tomorrow = tomorrow.len(),
        notices = sent,
        dates_ms = marked.as_millis(),
        notices_ms = (started.elapsed() - marked).as_millis(),
        "day's dates refreshed"
    );
    Ok(refreshed + 1)
}
