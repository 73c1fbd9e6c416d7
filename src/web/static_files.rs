//! The stylesheet and scripts, built into the binary.

use axum::{
    extract::Path,
    http::header,
    response::{IntoResponse, Response},
};

use crate::error::AppError;

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/style.css"),
    ),
    (
        "inventory.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/inventory.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/app.js"),
    ),
    (
        "cryptopro.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/cryptopro.js"),
    ),
];

pub async fn serve(Path(path): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == path) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *body,
        )
            .into_response(),
        None => AppError::NotFound.into_response(),
    }
}

pub async fn not_found() -> Response {
    AppError::NotFound.into_response()
}

/// A method the page does not answer, such as opening a button's address directly.
pub async fn method_not_allowed() -> Response {
    AppError::MethodNotAllowed.into_response()
}
