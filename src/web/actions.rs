//! A participant's actions table and the completion of an action.

use crate::web::extract::{Multipart, Path};
use askama::Template;
use axum::{
    extract::State,
    response::{Html, Redirect},
};

use super::{
    AppState,
    approvals::{Layout, load_visible},
    auth::CurrentUser,
    documents::{check_comment, read_form_checked},
    format,
};
use crate::{
    db::{self, approvals::ParticipantRow, users::SignedIn},
    domain::{
        dates::add_days,
        lifecycle::{self, Status},
    },
    error::{AppError, AppResult},
    workflow,
};

/// One line of the actions table, with the manual's columns.
pub struct ActionView {
    pub id: i64,
    pub done: bool,
    pub description: String,
    pub planned_end: String,
    pub expected_end: String,
    pub actual_end: String,
    pub is_mandatory: bool,
    pub executor: String,
    pub comment: String,
    pub document_count: i64,
}

#[derive(Template)]
#[template(path = "approvals/actions.html")]
struct ActionsPage {
    layout: Layout,
    approval_id: i64,
    number: String,
    organisation: String,
    actions: Vec<ActionView>,
    may_act: bool,
}

pub async fn table(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((id, participant_id)): Path<(i64, i64)>,
) -> AppResult<Html<String>> {
    let visible = load_visible(&state, &user, id).await?;

    let mut conn = state.db.acquire().await?;
    let participants = db::approvals::participants(&mut conn, id, state.clock.today()).await?;
    let participant = participants
        .iter()
        .find(|p| p.id == participant_id)
        .ok_or(AppError::NotFound)?;
    let actions = db::approvals::actions(&mut conn, participant_id, state.clock.today()).await?;
    let status = Status::from_db(&visible.approval.status).unwrap_or(Status::Draft);
    let seats: Vec<_> = participants.iter().map(ParticipantRow::seat).collect();
    let may_act = user.actor.may_decide_for(participant.organisation_id)
        && lifecycle::may_act(status, &seats, participant_id).is_ok();

    let page = ActionsPage {
        layout: Layout::of(&user),
        approval_id: id,
        number: visible.approval.number,
        organisation: participant.organisation_name.clone(),
        actions: actions
            .into_iter()
            .map(|a| {
                let planned = a.planned_end.or_else(|| {
                    participant
                        .planned_start
                        .map(|start| add_days(start, i64::from(a.term_days)))
                });
                let actual = a.done_at.map(crate::clock::moscow_date);
                ActionView {
                    id: a.id,
                    done: a.done_at.is_some(),
                    description: a.description,
                    planned_end: format::opt_date(planned),
                    expected_end: format::opt_date(actual.or(a.expected_end).or(planned)),
                    actual_end: format::opt_date(actual),
                    is_mandatory: a.is_mandatory,
                    executor: a.done_by_name.unwrap_or_default(),
                    comment: a.comment,
                    document_count: a.document_count,
                }
            })
            .collect(),
        may_act,
    };
    Ok(Html(page.render()?))
}

#[tracing::instrument(name = "actions.complete", skip_all, fields(approval.id = id, action.id = action_id))]
pub async fn complete(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((id, action_id)): Path<(i64, i64)>,
    multipart: Multipart,
) -> AppResult<Redirect> {
    let may_store = check_may_act(&state, &user, id, action_id);
    let mut posted = read_form_checked(&state, multipart, may_store).await?;
    let uploads = std::mem::take(&mut posted.uploads);
    let uploads = super::signatures::pair_and_verify(&state, uploads).await?;
    let comment = posted.field("comment").trim().to_owned();
    check_comment(&comment).map_err(AppError::BadRequest)?;
    let completion = workflow::ActionCompletion {
        action_id,
        comment: &comment,
        uploads: &uploads,
    };
    let mail = state.config.mail_link_base();
    let participant_id = workflow::complete_action(
        &state.db,
        &user.actor,
        id,
        &completion,
        state.clock.now(),
        mail,
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/approvals/{id}/participants/{participant_id}/actions"
    )))
}

/// Checks sight (404), the action (404) and the right (403) before the files of a posted
/// action are stored; the completion checks them again with the rest.
async fn check_may_act(
    state: &AppState,
    user: &SignedIn,
    id: i64,
    action_id: i64,
) -> AppResult<()> {
    let visible = load_visible(state, user, id).await?;
    let mut conn = state.db.acquire().await?;
    let action = db::approvals::find_action(&mut conn, id, action_id, state.clock.today())
        .await?
        .ok_or(AppError::NotFound)?;
    let organisation_id = visible
        .approval
        .organisation_of(action.participant_id)
        .ok_or(AppError::NotFound)?;
    if user.actor.may_decide_for(organisation_id) {
        Ok(())
    } else {
        Err(workflow::not_allowed_to_act())
    }
}
