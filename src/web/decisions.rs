//! A participant's decision: the form and its submission.

use crate::web::extract::{Multipart, Path};
use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};

use super::{
    AppState,
    approvals::{Layout, Visible, load_visible},
    auth::CurrentUser,
    documents::{check_comment, read_form_checked},
};
use crate::{
    db::{self, approvals::SeatState, users::SignedIn},
    domain::lifecycle::{self, Decision, Status},
    error::{AppError, AppResult},
    workflow::{self, DecisionInput},
};

#[derive(Template)]
#[template(path = "approvals/decision.html")]
struct DecisionPage {
    layout: Layout,
    approval_id: i64,
    number: String,
    name: String,
    participant_id: i64,
    organisation: String,
    comment: String,
    errors: Vec<String>,
}

/// Loads the approval and the participant, checking sight (404), right (403) and state (409).
async fn load_decidable(
    state: &AppState,
    user: &SignedIn,
    id: i64,
    participant_id: i64,
) -> AppResult<(Visible, SeatState)> {
    let visible = load_visible(state, user, id).await?;
    let mut conn = state.db.acquire().await?;
    let participants: Vec<SeatState> = db::schedule::seats(&mut conn, &[id], state.clock.today())
        .await?
        .iter()
        .map(db::schedule::SeatRow::state)
        .collect();
    let participant = participants
        .iter()
        .find(|p| p.id == participant_id)
        .ok_or(AppError::NotFound)?
        .clone();
    check_right(user, participant.organisation_id)?;
    let status = Status::from_db(&visible.approval.status).unwrap_or(Status::Draft);
    let seats: Vec<_> = participants.iter().map(SeatState::seat).collect();
    lifecycle::may_decide(status, &seats, participant_id)
        .map_err(|refusal| AppError::Conflict(refusal.message()))?;
    Ok((visible, participant))
}

/// Checks sight (404), the participant (404) and the right (403) from the approval alone,
/// before the files of a posted decision are stored. Whether it is the participant's turn
/// (409) is checked when the decision is stored, with the rest again.
async fn check_may_post(
    state: &AppState,
    user: &SignedIn,
    id: i64,
    participant_id: i64,
) -> AppResult<()> {
    let visible = load_visible(state, user, id).await?;
    let organisation_id = visible
        .approval
        .organisation_of(participant_id)
        .ok_or(AppError::NotFound)?;
    check_right(user, organisation_id)
}

fn check_right(user: &SignedIn, organisation_id: i64) -> AppResult<()> {
    if user.actor.may_decide_for(organisation_id) {
        Ok(())
    } else {
        Err(workflow::not_allowed_to_decide())
    }
}

fn page(
    user: &SignedIn,
    visible: &Visible,
    participant: &SeatState,
    comment: String,
    errors: Vec<String>,
) -> DecisionPage {
    DecisionPage {
        layout: Layout::of(user),
        approval_id: visible.approval.id,
        number: visible.approval.number.clone(),
        name: visible.approval.name.clone(),
        participant_id: participant.id,
        organisation: participant.organisation_name.clone(),
        comment,
        errors,
    }
}

pub async fn form(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((id, participant_id)): Path<(i64, i64)>,
) -> AppResult<Html<String>> {
    let (visible, participant) = load_decidable(&state, &user, id, participant_id).await?;
    Ok(Html(
        page(&user, &visible, &participant, String::new(), Vec::new()).render()?,
    ))
}

#[tracing::instrument(name = "decisions.submit", skip_all, fields(approval.id = id))]
pub async fn submit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((id, participant_id)): Path<(i64, i64)>,
    multipart: Multipart,
) -> AppResult<Response> {
    let may_store = check_may_post(&state, &user, id, participant_id);
    let mut posted = read_form_checked(&state, multipart, may_store).await?;
    let uploads = std::mem::take(&mut posted.uploads);
    let uploads = super::signatures::pair_and_verify(&state, uploads).await?;
    let comment = posted.field("comment").trim().to_owned();
    if let Err(error) = check_comment(&comment) {
        return refused_form(&state, &user, (id, participant_id), comment, &error).await;
    }
    let decision = match posted.field("decision") {
        "approve" => Decision::Approved,
        "refuse" if comment.is_empty() => {
            let error = "При отказе укажите причину в поле «Комментарий».";
            return refused_form(&state, &user, (id, participant_id), comment, error).await;
        }
        "refuse" => Decision::Refused,
        _ => {
            let error = "Выберите решение: «Согласовать» или «Отказать».";
            return refused_form(&state, &user, (id, participant_id), comment, error).await;
        }
    };

    let input = DecisionInput {
        participant_id,
        decision,
        comment: &comment,
        uploads: &uploads,
    };
    let mail = state.config.mail_link_base();
    workflow::decide(&state.db, &user.actor, id, &input, state.clock.now(), mail).await?;
    Ok(Redirect::to(&format!("/approvals/{id}")).into_response())
}

/// The form again with what was typed and why it was not taken.
async fn refused_form(
    state: &AppState,
    user: &SignedIn,
    (id, participant_id): (i64, i64),
    comment: String,
    error: &str,
) -> AppResult<Response> {
    let (visible, participant) = load_decidable(state, user, id, participant_id).await?;
    let html = page(
        user,
        &visible,
        &participant,
        comment,
        vec![error.to_owned()],
    )
    .render()?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
}
