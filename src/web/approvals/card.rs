//! The approval card: header, «Согласование», «Состав дела» and «История» tabs.

use crate::web::extract::{Path, Query};
use askama::Template;
use axum::{extract::State, response::Html};
use serde::Deserialize;

use super::{Layout, Visible, load_visible};
use crate::{
    clock::moscow_date,
    db::{self, approvals::ParticipantRow},
    domain::{
        access::Visibility,
        lifecycle::{self, Seat, Status},
    },
    error::AppResult,
    web::{AppState, auth::CurrentUser, format},
};

#[derive(Deserialize)]
pub struct CardQuery {
    tab: Option<String>,
}

/// One line of a step's decision table, with every column of the manual.
pub struct ParticipantView {
    pub id: i64,
    /// The participant has to decide now.
    pub must_decide: bool,
    /// Its deadline has passed without a decision.
    pub overdue: bool,
    /// Where the viewer decides for this participant, when the viewer may.
    pub decide_url: Option<String>,
    pub status: &'static str,
    pub action_count: i64,
    pub organisation: String,
    pub planned_start: String,
    pub planned_end: String,
    pub expected_start: String,
    pub expected_end: String,
    pub actual_start: String,
    pub actual_end: String,
    pub is_mandatory: bool,
    pub is_final: bool,
    pub executor: String,
    pub comment: String,
    pub result_count: i64,
}

pub struct StepView {
    pub position: i32,
    pub participants: Vec<ParticipantView>,
}

pub struct DocumentView {
    pub id: i64,
    pub signature: super::draft::SignatureMark,
    pub section: String,
    pub name: String,
    pub size: String,
    pub author: String,
    pub uploaded: String,
}

pub struct HistoryView {
    pub at: String,
    pub user: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "approvals/card.html")]
struct CardPage {
    layout: Layout,
    tab: &'static str,
    a: db::approvals::ApprovalRow,
    status: &'static str,
    is_draft: bool,
    may_manage: bool,
    /// The approval has a repeat this user may see.
    repeat_shown: bool,
    /// «Повторное согласование» is offered: rejected, no repeat yet, and the user may manage.
    may_repeat: bool,
    full: bool,
    created: String,
    launched: String,
    planned_completion: String,
    completed: String,
    steps: Vec<StepView>,
    documents: Vec<DocumentView>,
    history: Vec<HistoryView>,
}

#[tracing::instrument(name = "approvals.card", skip_all, fields(approval.id = id))]
pub async fn card(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
    Query(query): Query<CardQuery>,
) -> AppResult<Html<String>> {
    let Visible {
        approval,
        visibility,
    } = load_visible(&state, &user, id).await?;
    let full = visibility == Visibility::Full;
    let tab = match query.tab.as_deref() {
        Some("case") => "case",
        Some("history") if full => "history",
        _ => "decisions",
    };

    let mut conn = state.db.acquire().await?;
    let participants = db::approvals::participants(&mut conn, id, state.clock.today()).await?;
    let documents = db::documents::for_approval(&mut conn, id).await?;
    let signatures = db::signatures::for_approval(&mut conn, id).await?;
    let history = if tab == "history" {
        db::audit::for_approval(&state.db, id).await?
    } else {
        Vec::new()
    };

    let status = Status::from_db(&approval.status).unwrap_or(Status::Draft);
    let steps = step_views(id, status, &participants, &user.actor);
    let page = CardPage {
        layout: Layout::of(&user),
        tab,
        status: status.title(),
        is_draft: status == Status::Draft,
        may_manage: user.actor.may_manage(approval.initiator_org_id),
        repeat_shown: approval
            .repeat_scope()
            .is_some_and(|scope| user.actor.visibility(&scope) != Visibility::Hidden),
        may_repeat: lifecycle::may_repeat(
            user.actor.may_manage(approval.initiator_org_id),
            status,
            approval.repeat_number.as_deref(),
        )
        .is_ok(),
        full,
        created: format::date_time(approval.created_at),
        launched: format::opt_day_of(approval.launched_at),
        planned_completion: format::opt_date(approval.planned_completion_date),
        completed: format::opt_day_of(approval.completed_at),
        steps,
        documents: documents
            .into_iter()
            .map(|d| DocumentView {
                signature: super::draft::SignatureMark::of(d.id, &signatures),
                id: d.id,
                section: d.section,
                name: d.original_name,
                size: format::size(d.size),
                author: d.uploaded_by_name,
                uploaded: format::date_time(d.uploaded_at),
            })
            .collect(),
        history: history
            .into_iter()
            .map(|h| HistoryView {
                at: format::date_time(h.at),
                user: h.user_name.unwrap_or_default(),
                details: h.details,
            })
            .collect(),
        a: approval,
    };
    Ok(Html(page.render()?))
}

/// The decision tables, one per step.
fn step_views(
    approval_id: i64,
    status: Status,
    participants: &[ParticipantRow],
    actor: &crate::domain::access::Actor,
) -> Vec<StepView> {
    let seats: Vec<Seat> = participants.iter().map(ParticipantRow::seat).collect();
    let mut steps: Vec<StepView> = Vec::new();
    for (p, seat) in participants.iter().zip(&seats) {
        let started = status == Status::Running
            && (!p.is_mandatory || lifecycle::step_started(&seats, p.step));
        let must_decide = started && seat.decision.is_none();
        let decide_url = (must_decide && actor.may_decide_for(p.organisation_id))
            .then(|| format!("/approvals/{approval_id}/participants/{}/decision", p.id));
        let actual_start = p.step_started_at.map(moscow_date);
        let actual_end = p.decided_at.map(moscow_date);
        let view = ParticipantView {
            id: p.id,
            must_decide,
            decide_url,
            status: match seat.decision {
                Some(decision) => decision.title(),
                None if must_decide => "На рассмотрении",
                None if status == Status::Running => "Ожидает начала шага",
                None => "",
            },
            action_count: p.action_count,
            organisation: p.organisation_name.clone(),
            planned_start: format::opt_date(p.planned_start),
            planned_end: format::opt_date(p.planned_end),
            expected_start: format::opt_date(p.expected_start.or(p.planned_start)),
            expected_end: format::opt_date(actual_end.or(p.expected_end).or(p.planned_end)),
            overdue: p.is_overdue && seat.decision.is_none(),
            actual_start: format::opt_date(actual_start),
            actual_end: format::opt_date(actual_end),
            is_mandatory: p.is_mandatory,
            is_final: p.is_final,
            executor: p.decided_by_name.clone().unwrap_or_default(),
            comment: p.decision_comment.clone(),
            result_count: p.document_count,
        };
        match steps.last_mut() {
            Some(step) if step.position == p.step => step.participants.push(view),
            _ => steps.push(StepView {
                position: p.step,
                participants: vec![view],
            }),
        }
    }
    steps
}
