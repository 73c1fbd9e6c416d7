//! Approvals, their route copy (steps, participants, actions, folders) and the list.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;

use super::schedule::SeatDatesRow;
use crate::domain::{
    access::{Actor, ApprovalScope},
    lifecycle::{Decision, Seat},
};

/// The header of an approval card.
#[derive(Debug, Clone)]
pub struct ApprovalRow {
    pub id: i64,
    pub number: String,
    pub route_id: i64,
    pub route_name: String,
    pub is_public: bool,
    pub initiator_org_id: i64,
    pub initiator_name: String,
    pub name: String,
    pub subject: String,
    pub works_address: String,
    pub cadastral_number: String,
    pub network_kind: String,
    pub description: String,
    pub status: String,
    pub current_step: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub launched_at: Option<DateTime<Utc>>,
    pub planned_completion_date: Option<NaiveDate>,
    pub completed_at: Option<DateTime<Utc>>,
    pub primary_approval_id: Option<i64>,
    pub primary_number: Option<String>,
    pub repeat_id: Option<i64>,
    pub repeat_number: Option<String>,
    /// The repeat's status, publicity and participants, to tell who may see it.
    pub repeat_status: Option<String>,
    pub repeat_is_public: Option<bool>,
    pub repeat_org_ids: Vec<i64>,
    pub author_name: String,
    /// The participants of the approval's route, by id ...
    pub participant_ids: Vec<i64>,
    /// ... and the organisation of each, side by side.
    pub participant_org_ids: Vec<i64>,
}

impl ApprovalRow {
    /// Who may see the approval's repeat, when it has one.
    pub fn repeat_scope(&self) -> Option<ApprovalScope<'_>> {
        Some(ApprovalScope {
            initiator_org_id: self.initiator_org_id,
            is_draft: self.repeat_status.as_deref()? == "draft",
            is_public: self.repeat_is_public?,
            participant_org_ids: &self.repeat_org_ids,
        })
    }

    /// The organisation of one of the approval's participants.
    pub fn organisation_of(&self, participant_id: i64) -> Option<i64> {
        let at = self
            .participant_ids
            .iter()
            .position(|&id| id == participant_id)?;
        self.participant_org_ids.get(at).copied()
    }
}

/// The editable fields of an approval.
#[derive(Debug, Clone, Default)]
pub struct ApprovalFields {
    pub name: String,
    pub subject: String,
    pub works_address: String,
    pub cadastral_number: String,
    pub network_kind: String,
    pub description: String,
}

/// One participant of an approval with what the decision table shows.
#[derive(Debug, Clone)]
pub struct ParticipantRow {
    pub id: i64,
    pub step: i32,
    pub step_started_at: Option<DateTime<Utc>>,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub term_days: i32,
    pub term_basis: String,
    pub is_mandatory: bool,
    pub is_final: bool,
    pub planned_start: Option<NaiveDate>,
    pub planned_end: Option<NaiveDate>,
    pub expected_start: Option<NaiveDate>,
    pub expected_end: Option<NaiveDate>,
    pub is_overdue: bool,
    pub decision: Option<String>,
    pub decision_comment: String,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub action_count: i64,
    /// Descriptions of the mandatory actions not yet done, in route order.
    pub open_mandatory_actions: Vec<String>,
    pub document_count: i64,
}

impl ParticipantRow {
    /// The participant as the lifecycle rules see it.
    pub fn seat(&self) -> Seat {
        SeatState::from(self).seat()
    }
}

impl From<&ParticipantRow> for SeatState {
    fn from(p: &ParticipantRow) -> Self {
        SeatState {
            id: p.id,
            step: p.step,
            organisation_id: p.organisation_id,
            organisation_name: p.organisation_name.clone(),
            is_mandatory: p.is_mandatory,
            is_final: p.is_final,
            decision: p.decision.clone(),
            open_mandatory_actions: p.open_mandatory_actions.clone(),
        }
    }
}

/// A participant as far as deciding and acting need it: a lighter [`ParticipantRow`].
#[derive(Debug, Clone)]
pub struct SeatState {
    pub id: i64,
    pub step: i32,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub is_mandatory: bool,
    pub is_final: bool,
    pub decision: Option<String>,
    /// Descriptions of the mandatory actions not yet done, in route order.
    pub open_mandatory_actions: Vec<String>,
}

impl SeatState {
    /// The participant as the lifecycle rules see it.
    pub fn seat(&self) -> Seat {
        Seat {
            participant_id: self.id,
            step: self.step,
            is_mandatory: self.is_mandatory,
            is_final: self.is_final,
            decision: self.decision.as_deref().and_then(Decision::from_db),
            open_mandatory_actions: self.open_mandatory_actions.clone(),
        }
    }
}

/// A document folder of the initiator with how many documents it holds.
#[derive(Debug, Clone)]
pub struct FolderRow {
    pub id: i64,
    pub name: String,
    pub is_required: bool,
    pub document_count: i64,
}

/// Creates a draft with the next number of the year and copies the route into it.
pub async fn insert_draft(
    conn: &mut PgConnection,
    actor: &Actor,
    route: (i64, &str, bool),
    fields: &ApprovalFields,
    year: i32,
    now: DateTime<Utc>,
) -> sqlx::Result<(i64, String)> {
    let seq = sqlx::query_scalar!(
        r#"
        INSERT INTO approval_counters (year, last_value) VALUES ($1, 1)
        ON CONFLICT (year) DO UPDATE SET last_value = approval_counters.last_value + 1
        RETURNING last_value
        "#,
        year
    )
    .fetch_one(&mut *conn)
    .await?;
    let number = format!("{year}-{seq:06}");
    let (route_id, route_name, is_public) = route;
    let id = sqlx::query_scalar!(
        r#"
        INSERT INTO approvals
            (number, route_id, route_name, is_public, initiator_org_id, created_by,
             name, subject, works_address, cadastral_number, network_kind, description,
             created_at, last_changed_by, last_changed_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $6, $13)
        RETURNING id
        "#,
        number,
        route_id,
        route_name,
        is_public,
        actor.organisation_id,
        actor.user_id,
        fields.name,
        fields.subject,
        fields.works_address,
        fields.cadastral_number,
        fields.network_kind,
        fields.description,
        now
    )
    .fetch_one(&mut *conn)
    .await?;
    super::routes::copy_into_approval(conn, route_id, id).await?;
    Ok((id, number))
}

/// Loads the card header of an approval.
pub async fn find(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<ApprovalRow>> {
    sqlx::query_as!(
        ApprovalRow,
        r#"
        SELECT a.id, a.number, a.route_id, a.route_name, a.is_public, a.initiator_org_id,
               o.short_name AS initiator_name, a.name, a.subject, a.works_address,
               a.cadastral_number, a.network_kind, a.description, a.status, a.current_step,
               a.created_at, a.launched_at, a.planned_completion_date, a.completed_at,
               a.primary_approval_id, p.number AS "primary_number?",
               r.id AS "repeat_id?", r.number AS "repeat_number?",
               r.status AS "repeat_status?", r.is_public AS "repeat_is_public?",
               ARRAY(SELECT rp.organisation_id FROM approval_participants rp
                     WHERE rp.approval_id = r.id) AS "repeat_org_ids!",
               u.full_name AS author_name,
               ARRAY(SELECT ap.id FROM approval_participants ap
                     WHERE ap.approval_id = a.id ORDER BY ap.id) AS "participant_ids!",
               ARRAY(SELECT ap.organisation_id FROM approval_participants ap
                     WHERE ap.approval_id = a.id ORDER BY ap.id) AS "participant_org_ids!"
        FROM approvals a
        JOIN organisations o ON o.id = a.initiator_org_id
        JOIN users u ON u.id = a.last_changed_by
        LEFT JOIN approvals p ON p.id = a.primary_approval_id
        LEFT JOIN approvals r ON r.primary_approval_id = a.id
        WHERE a.id = $1
        "#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Where a locked approval stands, and who it belongs to.
#[derive(Debug, Clone)]
pub struct Locked {
    pub status: String,
    pub number: String,
    pub current_step: Option<i32>,
    pub initiator_org_id: i64,
    pub is_public: bool,
}

/// Locks the approval row for the rest of the transaction and returns where it stands; every
/// state change takes this lock first, so changes to one approval apply one at a time.
pub async fn lock(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<Locked>> {
    sqlx::query_as!(
        Locked,
        r#"
        SELECT status, number, current_step, initiator_org_id, is_public
        FROM approvals WHERE id = $1 FOR UPDATE
        "#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Every participant, by step and position, with its expected dates as of `today`.
pub async fn participants(
    conn: &mut PgConnection,
    id: i64,
    today: NaiveDate,
) -> sqlx::Result<Vec<ParticipantRow>> {
    sqlx::query_as!(
        ParticipantRow,
        r#"
        SELECT p.id, s.position AS step, s.started_at AS step_started_at, p.organisation_id,
               o.short_name AS organisation_name, p.term_days, p.term_basis,
               p.is_mandatory, p.is_final, p.planned_start, p.planned_end,
               GREATEST(p.expected_start, $2::date + p.expected_start_lag) AS expected_start,
               GREATEST(p.expected_end, $2::date + p.expected_end_lag) AS expected_end,
               p.is_overdue,
               p.decision, p.decision_comment, u.full_name AS "decided_by_name?", p.decided_at,
               (SELECT count(*) FROM approval_actions a WHERE a.participant_id = p.id)
                   AS "action_count!",
               ARRAY(SELECT a.description FROM approval_actions a
                     WHERE a.participant_id = p.id AND a.is_mandatory AND a.done_at IS NULL
                     ORDER BY a.position, a.id) AS "open_mandatory_actions!",
               (SELECT count(*) FROM documents d WHERE d.participant_id = p.id)
                   AS "document_count!"
        FROM approval_participants p
        JOIN approval_steps s ON s.id = p.step_id AND s.approval_id = $1
        JOIN organisations o ON o.id = p.organisation_id
        LEFT JOIN users u ON u.id = p.decided_by
        WHERE p.approval_id = $1
        ORDER BY s.position, p.position, p.id
        "#,
        id,
        today
    )
    .fetch_all(conn)
    .await
}

/// The initiator's folders with their document counts.
pub async fn folders(conn: &mut PgConnection, id: i64) -> sqlx::Result<Vec<FolderRow>> {
    sqlx::query_as!(
        FolderRow,
        r#"
        SELECT f.id, f.name, f.is_required,
               (SELECT count(*) FROM documents d WHERE d.folder_id = f.id) AS "document_count!"
        FROM approval_folders f
        WHERE f.approval_id = $1
        ORDER BY f.position, f.id
        "#,
        id
    )
    .fetch_all(conn)
    .await
}

/// Rewrites a draft's fields and marks who changed it.
pub async fn update_fields(
    conn: &mut PgConnection,
    id: i64,
    fields: &ApprovalFields,
    user_id: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        UPDATE approvals
        SET name = $2, subject = $3, works_address = $4, cadastral_number = $5,
            network_kind = $6, description = $7, last_changed_by = $8, last_changed_at = $9
        WHERE id = $1
        "#,
        id,
        fields.name,
        fields.subject,
        fields.works_address,
        fields.cadastral_number,
        fields.network_kind,
        fields.description,
        user_id,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut PgConnection, id: i64) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM approvals WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the launch: status, time, planned completion.
pub async fn mark_launched(
    conn: &mut PgConnection,
    id: i64,
    now: DateTime<Utc>,
    planned_completion: NaiveDate,
    user_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        UPDATE approvals
        SET status = 'running', launched_at = $2, planned_completion_date = $3,
            last_changed_by = $4, last_changed_at = $2
        WHERE id = $1
        "#,
        id,
        now,
        planned_completion,
        user_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores the participants' planned dates: `ids[i]` gets `starts[i]` and `ends[i]`.
pub async fn set_planned(
    conn: &mut PgConnection,
    ids: &[i64],
    starts: &[NaiveDate],
    ends: &[NaiveDate],
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        UPDATE approval_participants p SET planned_start = u.start, planned_end = u.finish
        FROM UNNEST($1::bigint[], $2::date[], $3::date[]) AS u(id, start, finish)
        WHERE p.id = u.id
        "#,
        ids,
        starts,
        ends
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a decision unless one exists, with the participant's dates as they follow from
/// it (one write of the row); returns whether this call recorded it.
pub async fn record_decision(
    conn: &mut PgConnection,
    participant_id: i64,
    decision: Decision,
    comment: &str,
    user_id: i64,
    now: DateTime<Utc>,
    dates: &SeatDatesRow,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"
        UPDATE approval_participants
        SET decision = $2, decision_comment = $3, decided_by = $4, decided_at = $5,
            expected_start = $6, expected_start_lag = $7, expected_end = $8,
            expected_end_lag = $9, deadline = $10, is_overdue = $11
        WHERE id = $1 AND decision IS NULL
        "#,
        participant_id,
        decision.as_db(),
        comment,
        user_id,
        now,
        dates.expected_start,
        dates.expected_start_lag,
        dates.expected_end,
        dates.expected_end_lag,
        dates.deadline,
        dates.is_overdue
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Starts every step up to `current_step` that has not started yet.
pub async fn start_steps_through(
    conn: &mut PgConnection,
    approval_id: i64,
    current_step: i32,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        UPDATE approval_steps SET started_at = $3
        WHERE approval_id = $1 AND position <= $2 AND started_at IS NULL
        "#,
        approval_id,
        current_step,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores where a running approval stands: its current step, or its final status.
pub async fn set_progress(
    conn: &mut PgConnection,
    approval_id: i64,
    status: &str,
    current_step: Option<i32>,
    completed_at: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        UPDATE approvals SET status = $2, current_step = $3, completed_at = $4 WHERE id = $1
        "#,
        approval_id,
        status,
        current_step,
        completed_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// An action of a participant with what the actions table shows.
#[derive(Debug, Clone)]
pub struct ActionRow {
    pub id: i64,
    pub participant_id: i64,
    pub description: String,
    pub term_days: i32,
    pub is_mandatory: bool,
    pub planned_end: Option<NaiveDate>,
    pub expected_end: Option<NaiveDate>,
    pub done_by_name: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub comment: String,
    pub document_count: i64,
}

/// The participant's actions in route order, with expected ends as of `today`.
pub async fn actions(
    conn: &mut PgConnection,
    participant_id: i64,
    today: NaiveDate,
) -> sqlx::Result<Vec<ActionRow>> {
    sqlx::query_as!(
        ActionRow,
        r#"
        SELECT a.id, a.participant_id, a.description, a.term_days, a.is_mandatory,
               a.planned_end, GREATEST(a.expected_end, $2::date + a.expected_end_lag)
                   AS expected_end,
               u.full_name AS "done_by_name?", a.done_at, a.comment,
               (SELECT count(*) FROM documents d WHERE d.action_id = a.id) AS "document_count!"
        FROM approval_actions a
        LEFT JOIN users u ON u.id = a.done_by
        WHERE a.participant_id = $1
        ORDER BY a.position, a.id
        "#,
        participant_id,
        today
    )
    .fetch_all(conn)
    .await
}

/// Marks an action done unless it is; returns whether this call did.
pub async fn complete_action(
    conn: &mut PgConnection,
    action_id: i64,
    comment: &str,
    user_id: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"
        UPDATE approval_actions SET done_by = $2, done_at = $3, comment = $4
        WHERE id = $1 AND done_at IS NULL
        "#,
        action_id,
        user_id,
        now,
        comment
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One action, if it belongs to the approval, with its expected end as of `today`.
pub async fn find_action(
    conn: &mut PgConnection,
    approval_id: i64,
    action_id: i64,
    today: NaiveDate,
) -> sqlx::Result<Option<ActionRow>> {
    sqlx::query_as!(
        ActionRow,
        r#"
        SELECT a.id, a.participant_id, a.description, a.term_days, a.is_mandatory,
               a.planned_end, GREATEST(a.expected_end, $3::date + a.expected_end_lag)
                   AS expected_end,
               u.full_name AS "done_by_name?", a.done_at, a.comment,
               (SELECT count(*) FROM documents d WHERE d.action_id = a.id) AS "document_count!"
        FROM approval_actions a
        JOIN approval_participants p ON p.id = a.participant_id
        LEFT JOIN users u ON u.id = a.done_by
        WHERE a.id = $2 AND p.approval_id = $1
        "#,
        approval_id,
        action_id,
        today
    )
    .fetch_optional(conn)
    .await
}

/// An approval as the start of its repeat needs it.
#[derive(Debug, Clone)]
pub struct RepeatSource {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub initiator_org_id: i64,
    pub route_id: i64,
    /// The number of its repeat, if it has one.
    pub repeat_number: Option<String>,
}

impl From<&ApprovalRow> for RepeatSource {
    fn from(a: &ApprovalRow) -> Self {
        RepeatSource {
            id: a.id,
            number: a.number.clone(),
            status: a.status.clone(),
            initiator_org_id: a.initiator_org_id,
            route_id: a.route_id,
            repeat_number: a.repeat_number.clone(),
        }
    }
}

/// The approval as the start of its repeat needs it.
pub async fn repeat_source(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<RepeatSource>> {
    sqlx::query_as!(
        RepeatSource,
        r#"
        SELECT a.id, a.number, a.status, a.initiator_org_id, a.route_id,
               (SELECT r.number FROM approvals r WHERE r.primary_approval_id = a.id)
                   AS repeat_number
        FROM approvals a WHERE a.id = $1
        "#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Names the approval that `id` repeats.
pub async fn set_primary(conn: &mut PgConnection, id: i64, primary_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE approvals SET primary_approval_id = $2 WHERE id = $1",
        id,
        primary_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The id of the approval with this number.
pub async fn id_by_number(conn: &mut PgConnection, number: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!("SELECT id FROM approvals WHERE number = $1", number)
        .fetch_optional(conn)
        .await
}

/// Claims a form's token for the user; `false` when a post of the same form did already.
pub async fn claim_submission(
    conn: &mut PgConnection,
    user_id: i64,
    token: uuid::Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let claimed = sqlx::query!(
        r#"
        INSERT INTO form_submissions (user_id, token, created_at) VALUES ($1, $2, $3)
        ON CONFLICT (user_id, token) DO NOTHING
        "#,
        user_id,
        token,
        now
    )
    .execute(conn)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

pub async fn record_submission(
    conn: &mut PgConnection,
    user_id: i64,
    token: uuid::Uuid,
    approval_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE form_submissions SET approval_id = $3 WHERE user_id = $1 AND token = $2",
        user_id,
        token,
        approval_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The approval a form's earlier post made.
pub async fn submitted(
    pool: &sqlx::PgPool,
    user_id: i64,
    token: uuid::Uuid,
) -> sqlx::Result<Option<i64>> {
    let row = sqlx::query_scalar!(
        "SELECT approval_id FROM form_submissions WHERE user_id = $1 AND token = $2",
        user_id,
        token
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.flatten())
}
