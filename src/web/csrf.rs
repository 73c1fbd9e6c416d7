//! Refuses state-changing requests sent from other sites.
//!
//! Browsers label every request with `Sec-Fetch-Site` and, on POST, with `Origin`; a form
//! posted from another site carries a foreign origin. A request that changes state must come
//! from this very origin, so a forged cross-site form never reaches a handler.

use axum::{
    extract::Request,
    http::{HeaderMap, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::error::AppError;

pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || is_same_origin(request.headers()) {
        return next.run(request).await;
    }
    tracing::warn!(http.method = %request.method(), "cross-site request refused");
    AppError::Forbidden(
        "Запрос отклонён: он отправлен не со страницы этого сервиса. \
         Обновите страницу и повторите действие."
            .into(),
    )
    .into_response()
}

/// Whether the request comes from a page of this same origin: what the browser says of it
/// (`Sec-Fetch-Site`, `Origin`) must say so, and neither may say otherwise. The scheme of
/// `Origin` is not compared: behind a proxy that ends TLS the service itself sees http.
pub fn is_same_origin(headers: &HeaderMap) -> bool {
    let site = headers
        .get("sec-fetch-site")
        .map(|site| site.as_bytes() == b"same-origin");
    let origin = headers
        .get(header::ORIGIN)
        .map(|origin| origin_is_host(origin.to_str().ok(), headers.get(header::HOST)));
    match (site, origin) {
        (None, None) => false,
        (site, origin) => site.unwrap_or(true) && origin.unwrap_or(true),
    }
}

fn origin_is_host(origin: Option<&str>, host: Option<&axum::http::HeaderValue>) -> bool {
    let (Some(origin), Some(Ok(host))) = (origin, host.map(|host| host.to_str())) else {
        return false;
    };
    origin.split_once("://").is_some_and(|(scheme, authority)| {
        matches!(scheme, "http" | "https") && authority.eq_ignore_ascii_case(host)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("valid header"));
        }
        map
    }

    #[test]
    fn a_same_origin_form_post_passes() {
        assert!(is_same_origin(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        assert!(is_same_origin(&headers(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080")
        ])));
    }

    #[test]
    fn foreign_or_missing_origins_are_refused() {
        assert!(!is_same_origin(&headers(&[(
            "sec-fetch-site",
            "cross-site"
        )])));
        assert!(!is_same_origin(&headers(&[(
            "sec-fetch-site",
            "same-site"
        )])));
        assert!(!is_same_origin(&headers(&[
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(!is_same_origin(&headers(&[
            ("origin", "null"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(!is_same_origin(&headers(&[("host", "127.0.0.1:8080")])));
    }

    #[test]
    fn a_foreign_origin_is_refused_whatever_sec_fetch_site_says() {
        assert!(!is_same_origin(&headers(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(!is_same_origin(&headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(is_same_origin(&headers(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080")
        ])));
    }
}
