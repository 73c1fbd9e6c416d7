//! Forms that anyone may send without signing in — signing in, requesting access, asking
//! for and using a password link — are limited per network address, so that one client can
//! neither guess passwords across many logins nor flood the administrator's queue.

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{Method, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

/// The network address the request came from, when the server knows it.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>();
        Ok(ClientAddr(peer.map(|ConnectInfo(addr)| addr.ip())))
    }
}

impl ClientAddr {
    /// The address as the sign-in bookkeeping keeps it.
    pub fn key(self) -> String {
        self.0.map(|ip| ip.to_string()).unwrap_or_default()
    }
}

/// Addresses remembered before the ones that have been quiet are forgotten.
const REMEMBERED: usize = 10_000;

#[derive(Clone, Debug)]
pub struct AnonymousLimit(Arc<DefaultKeyedRateLimiter<IpAddr>>);

impl AnonymousLimit {
    pub fn per_minute(posts: u32) -> Self {
        let posts = NonZeroU32::new(posts).unwrap_or(NonZeroU32::MIN);
        Self(Arc::new(RateLimiter::keyed(Quota::per_minute(posts))))
    }
}

/// The pages whose POST is open to anyone.
pub fn is_anonymous_form(path: &str) -> bool {
    matches!(
        path,
        "/login" | "/access-request" | "/access-request/form.docx" | "/password/forgot"
    ) || path.starts_with("/password/set/")
}

pub async fn limit(State(limit): State<AnonymousLimit>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST || !is_anonymous_form(request.uri().path()) {
        return next.run(request).await;
    }
    let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() else {
        return next.run(request).await;
    };
    let limiter = &limit.0;
    if limiter.len() > REMEMBERED {
        limiter.retain_recent();
    }
    if limiter.check_key(&peer.ip()).is_ok() {
        return next.run(request).await;
    }
    tracing::warn!(peer = %peer.ip(), path = request.uri().path(), "anonymous form limit reached");
    AppError::TooManyRequests(
        "Слишком много запросов с вашего адреса. Подождите минуту и повторите.".into(),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_forms_open_to_anyone_are_limited() {
        for path in [
            "/login",
            "/access-request",
            "/password/forgot",
            "/password/set/abc",
        ] {
            assert!(is_anonymous_form(path), "{path}");
        }
        for path in [
            "/approvals",
            "/logout",
            "/admin/users",
            "/password/settings",
        ] {
            assert!(!is_anonymous_form(path), "{path}");
        }
    }

    #[test]
    fn an_address_gets_its_burst_and_then_waits_while_another_does_not() {
        let limit = AnonymousLimit::per_minute(3);
        let one: IpAddr = "192.0.2.1".parse().expect("address");
        let other: IpAddr = "192.0.2.2".parse().expect("address");
        for _ in 0..3 {
            assert!(limit.0.check_key(&one).is_ok());
        }
        assert!(limit.0.check_key(&one).is_err());
        assert!(limit.0.check_key(&other).is_ok());
    }
}
