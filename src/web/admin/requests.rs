//! The administrator's review of access requests: approving creates the organisation if new
//! and the accounts, and mails each employee a one-time link; rejecting mails the reason to
//! the requester's contact.

use askama::Template;
use axum::{
    body::Body,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{Admin, kind_title, users::send_link};
use crate::{
    db::{self, access_requests::ApproveError},
    domain::accounts::format_snils,
    error::{AppError, AppResult},
    web::{
        AppState,
        approvals::Layout,
        documents::attachment,
        extract::{Form, Path},
        format,
    },
};

pub struct RequestRow {
    pub id: i64,
    pub status: &'static str,
    pub pending: bool,
    pub organisation: String,
    pub kind: &'static str,
    pub inn: String,
    pub ogrn: String,
    pub contact: String,
    pub purpose: String,
    pub letter_name: String,
    pub letter_size: String,
    pub employees: i64,
    pub filed: String,
    pub decided: String,
    pub rejection_reason: String,
}

fn row(r: db::access_requests::Request) -> RequestRow {
    RequestRow {
        id: r.id,
        status: match r.status.as_str() {
            "pending" => "На рассмотрении",
            "approved" => "Одобрена",
            _ => "Отклонена",
        },
        pending: r.status == "pending",
        organisation: format!("{} ({})", r.org_short_name, r.org_name),
        kind: kind_title(&r.org_kind),
        inn: r.org_inn,
        ogrn: r.org_ogrn,
        contact: format!("{}, {}", r.contact_name, r.contact_email),
        purpose: r.purpose,
        letter_name: r.letter_name,
        letter_size: format::size(r.letter_size),
        employees: r.employees,
        filed: format::date_time(r.created_at),
        decided: r.decided_at.map(format::date_time).unwrap_or_default(),
        rejection_reason: r.rejection_reason.unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "admin/requests.html")]
struct ListPage {
    layout: Layout,
    requests: Vec<RequestRow>,
}

pub async fn list(State(state): State<AppState>, Admin(user): Admin) -> AppResult<Html<String>> {
    let requests = db::access_requests::list(&state.db)
        .await?
        .into_iter()
        .map(row)
        .collect();
    Ok(Html(
        ListPage {
            layout: Layout::of(&user),
            requests,
        }
        .render()?,
    ))
}

pub struct EmployeeView {
    pub full_name: String,
    pub job_title: String,
    pub rights: String,
    pub snils: String,
    pub email: String,
    pub phone: String,
    pub working_hours: String,
    /// An account has this address already, so approving would be refused.
    pub taken: bool,
}

#[derive(Template)]
#[template(path = "admin/request.html")]
struct RequestPage {
    layout: Layout,
    request: RequestRow,
    employees: Vec<EmployeeView>,
    /// Some employee's address belongs to an account already.
    any_taken: bool,
    /// The organisation already registered with the request's ИНН.
    existing: Option<String>,
    error: Option<String>,
}

async fn request_page(
    state: &AppState,
    user: &db::users::SignedIn,
    id: i64,
    error: Option<String>,
) -> AppResult<Response> {
    let request = db::access_requests::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = db::access_requests::employees(&state.db, id).await?;
    let taken = if request.status == "pending" {
        let emails: Vec<String> = rows.iter().map(|e| e.email.clone()).collect();
        db::access_requests::emails_in_use(&state.db, &emails).await?
    } else {
        Vec::new()
    };
    let employees: Vec<EmployeeView> = rows
        .into_iter()
        .map(|e| EmployeeView {
            taken: taken.contains(&e.email.to_lowercase()),
            full_name: e.full_name,
            job_title: e.job_title,
            rights: e.rights.names().join(", "),
            snils: format_snils(&e.snils),
            email: e.email,
            phone: e.phone,
            working_hours: e.working_hours,
        })
        .collect();
    let existing = db::access_requests::organisation_by_inn(&state.db, &request.org_inn).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = RequestPage {
        layout: Layout::of(user),
        request: row(request),
        any_taken: employees.iter().any(|e| e.taken),
        employees,
        existing,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    Admin(user): Admin,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    request_page(&state, &user, id, None).await
}

pub async fn letter(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let request = db::access_requests::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let stream = state.storage.get(&request.letter_sha256).await?;
    let headers = attachment("application/octet-stream", &request.letter_name)?;
    Ok((headers, Body::from_stream(stream)).into_response())
}

#[derive(Deserialize)]
pub struct ApproveForm {
    /// «Добавить сотрудников в существующую организацию» was ticked.
    #[serde(default)]
    join: Option<String>,
}

pub async fn approve(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
    Form(form): Form<ApproveForm>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let join = form.join.is_some();
    let mut tx = state.db.begin().await?;
    let accounts =
        match db::access_requests::approve(&mut tx, id, admin.actor.user_id, join, now).await {
            Ok(accounts) => accounts,
            Err(ApproveError::NotPending) => {
                db::access_requests::find(&state.db, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                return Err(AppError::Conflict("Заявка уже рассмотрена.".into()));
            }
            Err(ApproveError::EmailTaken(email)) => {
                let message = format!(
                    "Заявку нельзя одобрить: e-mail {email} уже занят другой учётной записью. \
                 Отклоните заявку с этой причиной."
                );
                return request_page(&state, &admin, id, Some(message)).await;
            }
            Err(ApproveError::ExistingOrganisation(name)) => {
                let message = format!(
                    "Организация с этим ИНН уже зарегистрирована: «{name}». Чтобы добавить \
                 сотрудников в неё, отметьте подтверждение; иначе отклоните заявку."
                );
                return request_page(&state, &admin, id, Some(message)).await;
            }
            // An administrator's own form made the same ИНН, login or e-mail meanwhile.
            Err(ApproveError::Db(e)) if db::is_unique_violation(&e) => {
                let message = "Заявку не удалось одобрить: в это же время появилась организация \
                 с тем же ИНН или учётная запись с тем же логином или e-mail. Ничего не создано; \
                 проверьте заявку и повторите."
                    .to_owned();
                return request_page(&state, &admin, id, Some(message)).await;
            }
            Err(ApproveError::Db(e)) => return Err(e.into()),
        };
    for account in &accounts {
        send_link(
            &state,
            &mut tx,
            account.user_id,
            &account.full_name,
            &account.email,
            &account.login,
            "new_account",
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(
        request.id = id,
        accounts = accounts.len(),
        "access request approved"
    );
    Ok(Redirect::to(&format!("/admin/requests/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

pub async fn reject(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
    Form(form): Form<RejectForm>,
) -> AppResult<Response> {
    let reason = form.reason.trim();
    if reason.is_empty() {
        let message = "Укажите причину отказа: её получит заявитель.".to_owned();
        return request_page(&state, &admin, id, Some(message)).await;
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some((name, email)) =
        db::access_requests::reject(&mut tx, id, admin.actor.user_id, reason, now).await?
    else {
        db::access_requests::find(&state.db, id)
            .await?
            .ok_or(AppError::NotFound)?;
        return Err(AppError::Conflict("Заявка уже рассмотрена.".into()));
    };
    let body = format!(
        "Здравствуйте, {name}!\n\nЗаявка № {id} на доступ к ЕССК отклонена.\nПричина: \
         {reason}\n\nИсправьте заявку и подайте её снова."
    );
    db::accounts::queue_mail(
        &mut tx,
        &email,
        "ЕССК: заявка на доступ отклонена",
        &body,
        false,
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(request.id = id, "access request rejected");
    Ok(Redirect::to(&format!("/admin/requests/{id}")).into_response())
}
