//! The application's one error type and the page it renders.

use askama::Template;
use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};

use crate::web::request_id;

/// Outcomes a handler can end with other than its page.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No signed-in user: the browser is sent to the login page.
    #[error("not signed in")]
    Unauthenticated,
    /// The thing does not exist or the user may not see it.
    #[error("not found")]
    NotFound,
    /// The user's rights do not allow the action.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The approval's state does not allow the action.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request itself is wrong, with a message for the user.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Too many requests from one address; the message says how long to wait.
    #[error("too many requests: {0}")]
    TooManyRequests(String),
    /// A page asked for with a method it does not answer.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// An upload larger than allowed.
    #[error("payload too large: {0}")]
    TooLarge(String),
    /// The database cannot be reached right now; the reason is for the log.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: logged once here and shown as a plain error page.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        if database_unreachable(&err) {
            AppError::Unavailable(err.to_string())
        } else {
            AppError::Internal(err.into())
        }
    }
}

/// Whether the error says the database is away (stopped, restarting, unreachable) rather
/// than that the query was wrong: the request can simply be tried again later.
pub fn database_unreachable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // SQLSTATE class 08: connection exception; class 57: the server is shutting down
        // or starting (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now).
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(err: tower_sessions::session::Error) -> Self {
        match err {
            // The sessions live in the database: a store that fails means it is away.
            tower_sessions::session::Error::Store(store) => {
                AppError::Unavailable(format!("session store: {store}"))
            }
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> Self {
        AppError::Internal(err.into())
    }
}

impl From<std::io::Error> for AppError {
    fn from(err: std::io::Error) -> Self {
        AppError::Internal(err.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    request_id: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            AppError::Unauthenticated => return Redirect::to("/login").into_response(),
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Не найдено",
                "Такой страницы нет или у вас нет доступа к ней.".to_owned(),
            ),
            AppError::Forbidden(message) => (
                StatusCode::FORBIDDEN,
                "Действие недоступно",
                message.clone(),
            ),
            AppError::Conflict(message) => {
                (StatusCode::CONFLICT, "Действие невозможно", message.clone())
            }
            AppError::BadRequest(message) => {
                (StatusCode::BAD_REQUEST, "Ошибка в запросе", message.clone())
            }
            AppError::TooManyRequests(message) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Слишком много запросов",
                message.clone(),
            ),
            AppError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "Страница так не открывается",
                "Вернитесь назад и воспользуйтесь кнопкой на странице.".to_owned(),
            ),
            AppError::TooLarge(message) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Файл слишком большой",
                message.clone(),
            ),
            AppError::Unavailable(err) => {
                tracing::error!(error = %err, "database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Сервис временно недоступен",
                    "База данных не отвечает. Повторите попытку через минуту.".to_owned(),
                )
            }
            AppError::Internal(err) => {
                tracing::error!(error = ?err, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Внутренняя ошибка",
                    "Что-то пошло не так. Сообщите в поддержку номер запроса.".to_owned(),
                )
            }
        };
        let page = ErrorPage {
            title,
            message: &message,
            request_id: request_id::current(),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, message).into_response(),
        }
    }
}
