//! The start of a repeat approval (spec §3 item 7): from the card of a rejected approval, or
//! from «Создать» by the primary approval's number.

use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    Layout, Visible,
    draft::{ApprovalForm, NewPage, SignatureMark, draft_form, require_create_right},
    load_visible,
};
use crate::{
    db::{self, approvals::RepeatSource, routes::RouteChoice, users::SignedIn},
    domain::names::NETWORK_KINDS,
    error::{AppError, AppResult},
    web::{
        AppState,
        auth::CurrentUser,
        extract::{Form, Path, Query},
        format,
    },
    workflow::{self, RepeatRequest},
};

/// A document of the primary approval that may be copied into the repeat.
pub struct CopyChoice {
    pub id: i64,
    pub folder: String,
    pub name: String,
    pub size: String,
    pub signature: SignatureMark,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "approvals/repeat.html")]
struct RepeatPage<'a> {
    layout: Layout,
    primary_id: i64,
    primary_number: String,
    /// The primary's route when it is still in use; otherwise the user picks from `routes`.
    route_name: Option<String>,
    routes: Vec<RouteChoice>,
    form: ApprovalForm,
    network_kinds: &'a [&'a str],
    documents: Vec<CopyChoice>,
    errors: Vec<String>,
}

/// Loads the approval to repeat and checks that the user may start its repeat now.
async fn load_repeatable(state: &AppState, user: &SignedIn, id: i64) -> AppResult<Visible> {
    let visible = load_visible(state, user, id).await?;
    let source = RepeatSource::from(&visible.approval);
    match workflow::repeat_refusal(&user.actor, &source)? {
        Some(refusal) => Err(refusal),
        None => Ok(visible),
    }
}

/// Renders the repeat form; `checked` says which documents are ticked (all when `None`).
async fn render(
    state: &AppState,
    user: &SignedIn,
    visible: &Visible,
    form: ApprovalForm,
    checked: Option<&[i64]>,
    errors: Vec<String>,
) -> AppResult<String> {
    let primary = &visible.approval;
    let mut conn = state.db.acquire().await?;
    let route_name = db::routes::find_active(&mut conn, primary.route_id)
        .await?
        .map(|(name, _)| name);
    drop(conn);
    let routes = if route_name.is_some() {
        Vec::new()
    } else {
        db::routes::active(&state.db).await?
    };
    let mut conn = state.db.acquire().await?;
    let documents = db::documents::for_approval(&mut conn, primary.id).await?;
    let signatures = db::signatures::for_approval(&mut conn, primary.id).await?;
    let documents = documents
        .into_iter()
        .filter(|d| d.folder_id.is_some())
        .map(|d| CopyChoice {
            signature: SignatureMark::of(d.id, &signatures),
            checked: checked.is_none_or(|ids| ids.contains(&d.id)),
            id: d.id,
            folder: d.section,
            name: d.original_name,
            size: format::size(d.size),
        })
        .collect();
    let page = RepeatPage {
        layout: Layout::of(user),
        primary_id: primary.id,
        primary_number: primary.number.clone(),
        route_name,
        routes,
        form,
        network_kinds: NETWORK_KINDS,
        documents,
        errors,
    };
    Ok(page.render()?)
}

/// «Повторное согласование»: the new draft's fields filled from the primary approval.
pub async fn repeat_form(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let visible = load_repeatable(&state, &user, id).await?;
    let form = draft_form(&visible.approval);
    Ok(Html(
        render(&state, &user, &visible, form, None, Vec::new()).await?,
    ))
}

#[tracing::instrument(name = "approvals.repeat", skip_all, fields(approval.id = id))]
pub async fn create_repeat(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let visible = load_repeatable(&state, &user, id).await?;
    let form = ApprovalForm::from_pairs(&pairs);
    let mut document_ids = Vec::new();
    let mut errors = Vec::new();
    for (key, value) in &pairs {
        if key == "document" {
            match value.parse::<i64>() {
                Ok(document_id) => document_ids.push(document_id),
                Err(_) => errors.push("Отмеченный документ не найден.".to_owned()),
            }
        }
    }
    document_ids.sort_unstable();
    document_ids.dedup();
    let validated = form.validate();
    if let Err(problems) = &validated {
        errors.extend(problems.iter().cloned());
    }
    let fields = match validated {
        Ok(fields) if errors.is_empty() => fields,
        _ => {
            let page = render(&state, &user, &visible, form, Some(&document_ids), errors).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response());
        }
    };
    let request = RepeatRequest {
        primary_id: id,
        route_id: form.route_id(),
        fields: &fields,
        document_ids: &document_ids,
    };
    match workflow::create_repeat(&state.db, &user.actor, &request, state.clock.now()).await {
        Ok(repeat) => Ok(Redirect::to(&format!("/approvals/{repeat}/edit")).into_response()),
        Err(AppError::BadRequest(message)) => {
            let page = render(
                &state,
                &user,
                &visible,
                form,
                Some(&document_ids),
                vec![message],
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response())
        }
        Err(other) => Err(other),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RepeatByNumber {
    number: String,
}

/// «Номер первичной заявки» typed on the «Создать» page: opens that approval's repeat form
/// when the user may start it, and otherwise says why on the «Создать» page.
pub async fn repeat_by_number(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<RepeatByNumber>,
) -> AppResult<Response> {
    require_create_right(&user)?;
    let number = query.number.trim();
    let problem = if number.is_empty() {
        "Введите номер первичной заявки, например 2027-000123.".to_owned()
    } else {
        let mut conn = state.db.acquire().await?;
        let found = db::approvals::id_by_number(&mut conn, number).await?;
        drop(conn);
        let missing = || format!("Согласование с номером «{number}» не найдено.");
        match found {
            None => missing(),
            Some(id) => match load_repeatable(&state, &user, id).await {
                Ok(_) => {
                    return Ok(Redirect::to(&format!("/approvals/{id}/repeat")).into_response());
                }
                Err(AppError::NotFound) => missing(),
                Err(AppError::Forbidden(message) | AppError::Conflict(message)) => message,
                Err(other) => return Err(other),
            },
        }
    };
    let page = NewPage {
        layout: Layout::of(&user),
        primary_number: number.to_owned(),
        form: ApprovalForm::default(),
        routes: db::routes::active(&state.db).await?,
        network_kinds: NETWORK_KINDS,
        errors: vec![problem],
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}
