//! Setting a password by a one-time link, and asking for such a link when the password is
//! forgotten. No password is ever sent by mail.

use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};
use serde::Deserialize;

use super::{
    AppState,
    admin::users::send_link,
    auth::hash_password,
    extract::{Form, Path},
};
use crate::{
    db,
    domain::accounts::{looks_like_email, normalise_email, password_problem},
    error::{AppError, AppResult},
};

#[derive(Template)]
#[template(path = "password_set.html")]
struct SetPage {
    token: String,
    login: String,
    error: Option<String>,
    done: bool,
}

fn expired() -> AppResult<Response> {
    Err(AppError::Conflict(
        "Ссылка недействительна: она уже использована или истёк её срок (72 часа). Запросите \
         новую на странице «Забыли пароль?»."
            .into(),
    ))
}

pub async fn set_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let Some((_, login)) = db::accounts::link_user(&state.db, &token, state.clock.now()).await?
    else {
        return expired();
    };
    let page = SetPage {
        token,
        login,
        error: None,
        done: false,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub struct SetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirmation: String,
}

pub async fn set(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<SetForm>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let Some((_, login)) = db::accounts::link_user(&state.db, &token, now).await? else {
        return expired();
    };
    if let Some(problem) = password_problem(&form.password, &login, &form.confirmation) {
        let page = SetPage {
            token,
            login,
            error: Some(problem.to_owned()),
            done: false,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    let password = form.password;
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let mut tx = state.db.begin().await?;
    if !db::accounts::use_link(&mut tx, &token, &hash, now).await? {
        return expired();
    }
    tx.commit().await?;
    tracing::info!("password set by link");
    let page = SetPage {
        token: String::new(),
        login,
        error: None,
        done: true,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "password_forgot.html")]
struct ForgotPage {
    email: String,
    error: Option<String>,
    sent: bool,
}

pub async fn forgot_form() -> AppResult<Html<String>> {
    let page = ForgotPage {
        email: String::new(),
        error: None,
        sent: false,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Sends a link when an active user has the address; the page reads the same either way,
/// so it does not tell which addresses are known.
pub async fn forgot(
    State(state): State<AppState>,
    Form(form): Form<ForgotForm>,
) -> AppResult<Response> {
    let email = normalise_email(&form.email);
    if !looks_like_email(&email) {
        let page = ForgotPage {
            email: form.email,
            error: Some("Укажите e-mail, указанный в вашей учётной записи.".to_owned()),
            sent: false,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    if let Some((user_id, full_name)) =
        db::accounts::active_user_by_email(&state.db, &email).await?
    {
        let record = db::accounts::user(&state.db, user_id).await?;
        let recent =
            db::accounts::reset_sent_recently(&state.db, user_id, state.clock.now()).await?;
        if let Some(record) = record.filter(|_| !recent) {
            let mut tx = state.db.begin().await?;
            send_link(
                &state,
                &mut tx,
                user_id,
                &full_name,
                &email,
                &record.login,
                "reset",
            )
            .await?;
            tx.commit().await?;
        }
    }
    let page = ForgotPage {
        email,
        error: None,
        sent: true,
    };
    Ok(Html(page.render()?).into_response())
}
