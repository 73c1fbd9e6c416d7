//! Request extractors whose refusals are the application's own Russian pages rather than
//! axum's plain-text answers.

use axum::extract::{
    FromRequest, FromRequestParts, Request,
    multipart::MultipartRejection,
    rejection::{FormRejection, PathRejection, QueryRejection},
};

use crate::error::AppError;

/// A path parameter; one that does not parse names nothing that exists, so it answers 404.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

/// Query parameters.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

/// An URL-encoded form.
#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(AppError))]
pub struct Form<T>(pub T);

/// A multipart form, read part by part.
pub struct Multipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let inner = axum::extract::Multipart::from_request(request, state).await?;
        Ok(Multipart(inner))
    }
}

impl From<PathRejection> for AppError {
    fn from(_: PathRejection) -> Self {
        AppError::NotFound
    }
}

impl From<QueryRejection> for AppError {
    fn from(_: QueryRejection) -> Self {
        AppError::BadRequest("Неверные параметры адреса страницы.".into())
    }
}

impl From<FormRejection> for AppError {
    fn from(_: FormRejection) -> Self {
        AppError::BadRequest("Форма не прочитана: отправьте её со страницы сервиса.".into())
    }
}

impl From<MultipartRejection> for AppError {
    fn from(_: MultipartRejection) -> Self {
        AppError::BadRequest(
            "Форма с файлами не прочитана: отправьте её со страницы сервиса.".into(),
        )
    }
}
