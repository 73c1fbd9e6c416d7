//! Signing in and out, and the signed-in user of every request.

use argon2::{Argon2, PasswordHash, PasswordVerifier};
use askama::Template;
use axum::{
    extract::{FromRequestParts, State},
    http::{StatusCode, request::Parts},
    response::{Html, IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{AppState, extract::Form};
use crate::{
    db::{self, users::SignedIn},
    error::{AppError, AppResult},
};

const USER_KEY: &str = "user_id";
/// When the session signed in, in milliseconds: a password set later, even within the same
/// second, ends it.
const SIGNED_IN_KEY: &str = "signed_in_ms";
/// When the session's time was last moved on, in milliseconds.
const SEEN_KEY: &str = "seen_ms";
/// Failures in a row after which a login name has to wait before the next try.
const FREE_FAILURES: i32 = 5;

/// The signed-in user; extracting it sends anonymous visitors to the login page.
#[derive(Clone, Debug)]
pub struct CurrentUser(pub SignedIn);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::Unauthenticated)?;
        let Some(session_id) = session.id() else {
            return Err(AppError::Unauthenticated);
        };
        // The session and its user in one statement; the session's record itself is read
        // only when it is to change.
        let keys = [USER_KEY, SIGNED_IN_KEY, SEEN_KEY];
        let found = db::users::load_for_session(&state.db, &session_id.to_string(), keys).await?;
        // Gone or run out, blocked since signing in, or the password was set anew: the
        // session ends here.
        let Some(found) = found.filter(|f| {
            let signed_in_ms = f.signed_in_ms.unwrap_or(0);
            f.active
                && f.user
                    .password_changed_at
                    .is_none_or(|changed| changed.timestamp_millis() <= signed_in_ms)
        }) else {
            let _ = session.flush().await;
            return Err(AppError::Unauthenticated);
        };
        // An active session's time runs from its latest request: it is moved on (the
        // stored expiry and the cookie) every thirtieth of the idle time, not on every
        // request.
        let now_ms = chrono::Utc::now().timestamp_millis();
        let step_ms = i64::try_from(state.config.session_idle.as_millis() / 30).unwrap_or(60_000);
        if now_ms - found.seen_ms.unwrap_or(0) >= step_ms {
            session
                .insert(SEEN_KEY, now_ms)
                .await
                .map_err(AppError::from)?;
            // Ended in between (signed out in another tab): tower-sessions would start an
            // empty session in its place; end this request's instead.
            if session.id() != Some(session_id) {
                let _ = session.flush().await;
                return Err(AppError::Unauthenticated);
            }
        }
        let user = found.user;
        let now = state.clock.now();
        if user.seen_long_ago(now) {
            db::users::touch_last_seen(&state.db, user.actor.user_id, now).await?;
        }
        Ok(CurrentUser(user))
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    login: String,
    error: Option<String>,
}

pub async fn login_form() -> AppResult<Html<String>> {
    let page = LoginPage {
        login: String::new(),
        error: None,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
}

#[tracing::instrument(name = "login", skip_all, fields(login = %form.login))]
pub async fn login(
    State(state): State<AppState>,
    session: Session,
    client: super::rate_limit::ClientAddr,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let login = form.login.trim().to_owned();
    let now = state.clock.now();
    let client = client.key();

    if let Some(wait) = claim_attempt(&state, &login, &client, now).await? {
        let message = format!("Слишком много неудачных попыток входа. Повторите через {wait} с.");
        return refuse(&login, message, StatusCode::TOO_MANY_REQUESTS);
    }

    let candidate = db::users::find_for_login(&state.db, &login).await?;
    let hash = candidate.as_ref().map(|c| c.password_hash.clone());
    let password = form.password;
    let verified =
        tokio::task::spawn_blocking(move || password_matches(hash.as_deref(), &password))
            .await
            .map_err(|e| AppError::Internal(e.into()))?;

    let user = match candidate {
        Some(user) if verified => user,
        _ => {
            // Counted as failed when claimed.
            tracing::info!("login failed");
            return refuse(
                &login,
                "Неверный логин или пароль.".into(),
                StatusCode::UNAUTHORIZED,
            );
        }
    };
    if user.blocked {
        return refuse(
            &login,
            "Учётная запись заблокирована. Обратитесь к администратору.".into(),
            StatusCode::FORBIDDEN,
        );
    }

    db::users::clear_login_failures(&state.db, &login).await?;
    session.cycle_id().await.map_err(AppError::from)?;
    session
        .insert(USER_KEY, user.id)
        .await
        .map_err(AppError::from)?;
    session
        .insert(SIGNED_IN_KEY, now.timestamp_millis())
        .await
        .map_err(AppError::from)?;
    session
        .insert(SEEN_KEY, chrono::Utc::now().timestamp_millis())
        .await
        .map_err(AppError::from)?;
    db::users::touch_last_seen(&state.db, user.id, now).await?;
    tracing::info!(user.id = user.id, "signed in");
    Ok(Redirect::to("/approvals").into_response())
}

/// Claims a try of the login name at this address: the seconds it must still wait, when it
/// has failed there too often (2, 4, 8… up to 5 minutes after the fifth failure in a row),
/// or else the try is counted as failed until its password proves right. Tries sent at
/// once are claimed one after another, so a burst cannot pass the count. Another address is
/// not held up, so failures cannot be used to keep a user out.
async fn claim_attempt(
    state: &AppState,
    login: &str,
    client: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Option<i64>> {
    let mut tx = state.db.begin().await?;
    let (failures, last) = db::users::lock_login_attempts(&mut tx, login, client, now).await?;
    let wait = wait_after(failures, (now - last).num_seconds());
    if wait.is_none() {
        db::users::count_login_attempt(&mut tx, login, client, now).await?;
    }
    tx.commit().await?;
    Ok(wait)
}

/// The seconds still to wait after `failures` failed tries in a row, the last one
/// `waited` seconds ago.
fn wait_after(failures: i32, waited: i64) -> Option<i64> {
    if failures < FREE_FAILURES {
        return None;
    }
    let exponent = u32::try_from(failures - FREE_FAILURES + 1)
        .unwrap_or(9)
        .min(9);
    let backoff = 2_i64.pow(exponent).min(300);
    (waited < backoff).then_some(backoff - waited)
}

/// Checks a password against a stored hash; without a user it still spends the same effort,
/// so timing does not tell which logins exist.
fn password_matches(hash: Option<&str>, password: &str) -> bool {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
                         3G6gS6fMeGkfwTgF8HX5CGaZ1ICkmD6pYAzXkg2xLuE";
    let stored = hash.unwrap_or(DUMMY);
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && hash.is_some()
}

fn refuse(login: &str, message: String, status: StatusCode) -> AppResult<Response> {
    let page = LoginPage {
        login: login.to_owned(),
        error: Some(message),
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn logout(session: Session) -> AppResult<Redirect> {
    session.flush().await.map_err(AppError::from)?;
    Ok(Redirect::to("/login"))
}

/// Hashes a password as argon2id with a fresh salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password("demo1234").expect("hashes");
        assert!(hash.starts_with("$argon2id$"));
        assert!(password_matches(Some(&hash), "demo1234"));
        assert!(!password_matches(Some(&hash), "demo12345"));
        assert!(!password_matches(None, "demo1234"));
    }

    #[test]
    fn five_failures_are_free_then_the_wait_doubles_up_to_five_minutes() {
        assert_eq!(wait_after(4, 0), None);
        assert_eq!(wait_after(5, 0), Some(2));
        assert_eq!(wait_after(5, 1), Some(1));
        assert_eq!(wait_after(5, 2), None);
        assert_eq!(wait_after(6, 0), Some(4));
        assert_eq!(wait_after(8, 3), Some(13));
        assert_eq!(wait_after(13, 0), Some(300));
        assert_eq!(wait_after(1000, 299), Some(1));
        assert_eq!(wait_after(1000, 300), None);
    }
}
