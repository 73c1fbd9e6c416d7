//! Request extractors whose refusals are the application's own Russian pages rather than
//! axum's plain-text answers.

use axum::{
    body::Body,
    extract::{
        FromRequest, FromRequestParts, Request,
        multipart::MultipartRejection,
        rejection::{FormRejection, PathRejection, QueryRejection},
    },
    http::request::Parts,
};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// Largest URL-encoded form read, as axum's own default.
const FORM_LIMIT: usize = 2 * 1024 * 1024;

/// PostgreSQL keeps no NUL character in text, and other control characters (a bell, an
/// escape) have no place in what a person types: text carrying one is refused with a message
/// before it reaches a query. Tabs and line breaks are kept.
pub fn refuse_control(text: &str) -> Result<(), AppError> {
    if text.chars().any(is_refused_control) {
        return Err(control_refused());
    }
    Ok(())
}

fn is_refused_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

fn control_refused() -> AppError {
    AppError::BadRequest(
        "В тексте есть недопустимый символ: нулевой или другой управляющий. Уберите его и \
         отправьте снова."
            .into(),
    )
}

fn not_utf8() -> AppError {
    AppError::BadRequest(
        "В тексте есть знаки не в кодировке UTF-8, и сохранить его как есть нельзя. \
         Отправьте форму со страницы сервиса."
            .into(),
    )
}

/// Text received as bytes: refused with a message unless it is UTF-8 (what the service's
/// pages send), rather than stored with «�» in place of what was typed.
pub fn utf8_text(bytes: Vec<u8>) -> Result<String, AppError> {
    String::from_utf8(bytes).map_err(|_| not_utf8())
}

/// Checks every name and value of URL-encoded bytes: UTF-8 (what the service's pages send)
/// and free of control characters, as [`refuse_control`]. Splitting at `=` too is safe: no
/// byte of a multi-byte character is an ASCII one.
fn check_urlencoded(bytes: &[u8]) -> Result<(), AppError> {
    for part in bytes.split(|&b| b == b'&' || b == b'=') {
        let text = percent_encoding::percent_decode(part)
            .decode_utf8()
            .map_err(|_| not_utf8())?;
        refuse_control(&text)?;
    }
    Ok(())
}

/// Whether URL-encoded bytes decode to a NUL character.
fn encodes_nul(bytes: &[u8]) -> bool {
    bytes.contains(&0) || bytes.windows(3).any(|w| w == b"%00")
}

/// A path parameter; one that does not parse, or carries a NUL, names nothing that exists,
/// so it answers 404.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        if encodes_nul(parts.uri.path().as_bytes()) {
            return Err(AppError::NotFound);
        }
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Path(value))
    }
}

/// Query parameters.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        check_urlencoded(parts.uri.query().unwrap_or_default().as_bytes())?;
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Query(value))
    }
}

/// An URL-encoded form.
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| AppError::BadRequest("Форма слишком велика.".into()))?;
        check_urlencoded(&bytes)?;
        let request = Request::from_parts(parts, Body::from(bytes));
        let axum::Form(value) = axum::Form::<T>::from_request(request, state).await?;
        Ok(Form(value))
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_in_any_spelling_is_found() {
        assert!(encodes_nul(b"q=%00"));
        assert!(encodes_nul(b"name=a\0b"));
        assert!(!encodes_nul(b"q=%2500&n=100"));
        assert!(refuse_control("ab\0").is_err());
        assert!(refuse_control("обычный текст").is_ok());
    }

    #[test]
    fn only_utf8_text_is_taken() {
        let says_not_utf8 = |bytes: &[u8]| matches!(check_urlencoded(bytes), Err(AppError::BadRequest(m)) if m.contains("UTF-8"));
        assert!(check_urlencoded(b"name=%D0%AF&q=a+b%3Dc&empty=&flag").is_ok());
        assert!(check_urlencoded("name=Я=1".as_bytes()).is_ok());
        assert!(says_not_utf8(b"name=%E9%E9"));
        assert!(says_not_utf8(b"%FF=1"));
        assert!(says_not_utf8(b"name=\xd0"));
        assert!(says_not_utf8(&[b'a', b'=', 0xd0]));
        assert_eq!(
            utf8_text("Я".as_bytes().to_vec()).ok().as_deref(),
            Some("Я")
        );
        assert!(utf8_text(vec![0xe9, 0xe9]).is_err());
    }

    #[test]
    fn control_characters_are_refused_but_tabs_and_line_breaks_kept() {
        for text in [
            "звонок\u{7}",
            "\u{1b}[31mкрасный",
            "удаление\u{7f}",
            "\u{85}",
        ] {
            assert!(refuse_control(text).is_err(), "{text:?}");
        }
        assert!(refuse_control("строка 1\r\nстрока 2\tи табуляция").is_ok());
        for encoded in [&b"q=%00"[..], b"name=a\0b", b"q=%1B%5B31m", b"%07=1"] {
            assert!(check_urlencoded(encoded).is_err(), "{encoded:?}");
        }
        assert!(check_urlencoded(b"comment=%D0%B0%09%0D%0A%D0%B1&q=%2500").is_ok());
    }
}
