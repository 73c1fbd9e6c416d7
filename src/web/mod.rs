//! The HTTP side: the router, shared state, and the page handlers by area.

pub mod access_request;
pub mod actions;
pub mod admin;
pub mod approvals;
pub mod auth;
pub mod cabinet;
pub mod case_file;
pub mod csrf;
pub mod decisions;
pub mod documents;
pub mod extract;
pub mod format;
pub mod notifications;
pub mod password;
pub mod rate_limit;
pub mod request_id;
pub mod security_headers;
pub mod session_store;
pub mod signatures;
pub mod static_files;
pub mod upload_name;

use std::sync::Arc;

use anyhow::Context;

use axum::{Router, extract::DefaultBodyLimit, middleware, routing::MethodRouter};
use sqlx::PgPool;
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

use crate::{clock::Clock, config::Config, signature::TrustStore, storage::Storage};

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: PgPool,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub storage: Storage,
    /// Trusted CA certificates, when configured.
    pub trust: Option<Arc<TrustStore>>,
}

impl AppState {
    /// Assembles the state, opening the storage and the trust store the configuration names.
    pub async fn new(db: PgPool, config: Config, clock: Clock) -> anyhow::Result<Self> {
        let storage = Storage::open(config.storage_url.as_deref(), &config.storage_dir)
            .await
            .context("document storage")?;
        let trust = match &config.trusted_ca_dir {
            Some(dir) => {
                Some(Arc::new(TrustStore::from_dir(dir).with_context(|| {
                    format!("trusted CA directory {}", dir.display())
                })?))
            }
            None => None,
        };
        Ok(Self {
            db,
            config: Arc::new(config),
            clock,
            storage,
            trust,
        })
    }
}

/// How large a request body a page accepts: axum's default limit, or a document's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodySize {
    Form,
    Upload,
    /// The access request's scanned letter, sent by anyone: 10 MB.
    Letter,
}

/// Largest access request, its letter included.
const LETTER_LIMIT: usize = 11 * 1024 * 1024;

/// One path of the service with the methods it answers. The list of pages is the router's
/// own, so whatever walks every page (the authorisation tests) cannot miss one.
pub struct Page {
    pub path: &'static str,
    /// Lower-case method names, as in `get(…)`, `post(…)`.
    pub methods: &'static [&'static str],
    pub body: BodySize,
    handler: MethodRouter<AppState>,
}

/// `page!(Form, "/path", get(show), post(save))`: the methods are read off the very handlers
/// the page is built from.
macro_rules! page {
    ($body:ident, $path:literal, $($method:ident($handler:path)),+) => {
        Page {
            path: $path,
            methods: &[$(stringify!($method)),+],
            body: BodySize::$body,
            handler: MethodRouter::new()$(.$method($handler))+,
        }
    };
}

/// Every page of the service.
pub fn pages() -> Vec<Page> {
    vec![
        page!(Form, "/", get(approvals::home)),
        page!(Form, "/login", get(auth::login_form), post(auth::login)),
        page!(Form, "/logout", post(auth::logout)),
        page!(
            Form,
            "/approvals",
            get(approvals::list),
            post(approvals::create)
        ),
        page!(Form, "/approvals/new", get(approvals::new_form)),
        page!(Form, "/approvals/columns", post(approvals::save_columns)),
        page!(Form, "/approvals/export", get(approvals::export)),
        page!(Form, "/approvals/repeat", get(approvals::repeat_by_number)),
        page!(
            Form,
            "/approvals/{id}/repeat",
            get(approvals::repeat_form),
            post(approvals::create_repeat)
        ),
        page!(
            Form,
            "/password/forgot",
            get(password::forgot_form),
            post(password::forgot)
        ),
        page!(
            Form,
            "/password/set/{token}",
            get(password::set_form),
            post(password::set)
        ),
        page!(Form, "/cabinet", get(cabinet::reports)),
        page!(Form, "/cabinet/staff", get(cabinet::staff)),
        page!(
            Form,
            "/cabinet/staff/{user_id}/rights",
            post(cabinet::set_rights)
        ),
        page!(Form, "/admin", get(admin::index)),
        page!(
            Form,
            "/admin/organisations",
            get(admin::organisations),
            post(admin::create_organisation)
        ),
        page!(
            Form,
            "/admin/organisations/new",
            get(admin::new_organisation)
        ),
        page!(
            Form,
            "/admin/organisations/{id}",
            get(admin::edit_organisation),
            post(admin::update_organisation)
        ),
        page!(
            Form,
            "/admin/users",
            get(admin::users::list),
            post(admin::users::create)
        ),
        page!(Form, "/admin/users/new", get(admin::users::new_form)),
        page!(
            Form,
            "/admin/users/{id}",
            get(admin::users::edit_form),
            post(admin::users::update)
        ),
        page!(Form, "/admin/users/{id}/block", post(admin::users::block)),
        page!(
            Form,
            "/admin/users/{id}/unblock",
            post(admin::users::unblock)
        ),
        page!(Form, "/admin/users/{id}/link", post(admin::users::link)),
        page!(Form, "/admin/requests", get(admin::requests::list)),
        page!(Form, "/admin/requests/{id}", get(admin::requests::show)),
        page!(
            Form,
            "/admin/requests/{id}/letter",
            get(admin::requests::letter)
        ),
        page!(
            Form,
            "/admin/requests/{id}/approve",
            post(admin::requests::approve)
        ),
        page!(
            Form,
            "/admin/requests/{id}/reject",
            post(admin::requests::reject)
        ),
        page!(Form, "/admin/routes", get(admin::routes::list)),
        page!(Form, "/admin/routes/new", get(admin::routes::new_form)),
        page!(Form, "/admin/routes/editor", post(admin::routes::submit)),
        page!(
            Form,
            "/admin/routes/{id}/edit",
            get(admin::routes::edit_form)
        ),
        page!(
            Form,
            "/admin/routes/{id}/retire",
            post(admin::routes::retire)
        ),
        page!(Form, "/notifications", get(notifications::list)),
        page!(
            Form,
            "/notifications/read",
            post(notifications::mark_all_read)
        ),
        page!(
            Form,
            "/notifications/{id}/read",
            post(notifications::mark_read)
        ),
        page!(Form, "/approvals/{id}", get(approvals::card)),
        page!(
            Form,
            "/approvals/{id}/edit",
            get(approvals::edit_form),
            post(approvals::update)
        ),
        page!(Form, "/approvals/{id}/delete", post(approvals::delete)),
        page!(
            Form,
            "/approvals/{id}/launch",
            get(approvals::launch_confirm),
            post(approvals::launch)
        ),
        page!(
            Form,
            "/approvals/{id}/participants/{participant_id}/actions",
            get(actions::table)
        ),
        page!(Form, "/approvals/{id}/inventory", get(case_file::inventory)),
        page!(
            Form,
            "/approvals/{id}/inventory.pdf",
            get(case_file::inventory_pdf)
        ),
        page!(Form, "/approvals/{id}/archive", get(case_file::archive)),
        page!(
            Form,
            "/approvals/{id}/documents/{document_id}",
            get(documents::download)
        ),
        page!(
            Form,
            "/approvals/{id}/documents/{document_id}/delete",
            post(documents::remove)
        ),
        page!(
            Form,
            "/approvals/{id}/documents/{document_id}/signatures/{signature_id}",
            get(signatures::download)
        ),
        page!(
            Form,
            "/approvals/{id}/documents/{document_id}/signatures/{signature_id}/delete",
            post(signatures::remove)
        ),
        page!(Form, "/static/{*path}", get(static_files::serve)),
        page!(
            Upload,
            "/approvals/{id}/folders/{folder_id}/documents",
            post(documents::upload_to_folder)
        ),
        page!(
            Upload,
            "/approvals/{id}/participants/{participant_id}/decision",
            get(decisions::form),
            post(decisions::submit)
        ),
        page!(
            Upload,
            "/approvals/{id}/actions/{action_id}/complete",
            post(actions::complete)
        ),
        page!(
            Upload,
            "/approvals/{id}/documents/{document_id}/signatures",
            get(signatures::info),
            post(signatures::upload)
        ),
        page!(
            Letter,
            "/access-request",
            get(access_request::form),
            post(access_request::submit)
        ),
        page!(
            Letter,
            "/access-request/form.docx",
            post(access_request::docx)
        ),
    ]
}

/// Builds the whole application: pages, sessions and the protective layers.
pub fn router(state: AppState) -> anyhow::Result<Router> {
    let upload_limit = DefaultBodyLimit::max(
        usize::try_from(state.config.max_upload_bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(1 << 20),
    );
    let store = session_store::PgSessionStore::new(state.db.clone());
    let idle = time::Duration::seconds(i64::try_from(state.config.session_idle.as_secs())?);
    let sessions = SessionManagerLayer::new(store)
        .with_name("essk_session")
        .with_secure(state.config.secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(idle));

    let app = pages()
        .into_iter()
        .fold(Router::new(), |app, page| {
            let handler = match page.body {
                BodySize::Form => page.handler,
                BodySize::Upload => page.handler.layer(upload_limit),
                BodySize::Letter => page.handler.layer(DefaultBodyLimit::max(LETTER_LIMIT)),
            };
            app.route(page.path, handler)
        })
        .fallback(static_files::not_found)
        .method_not_allowed_fallback(static_files::method_not_allowed)
        .layer(middleware::from_fn_with_state(
            rate_limit::AnonymousLimit::per_minute(state.config.anonymous_posts_per_minute),
            rate_limit::limit,
        ))
        .layer(middleware::from_fn(csrf::refuse_cross_site))
        .layer(sessions)
        .layer(middleware::from_fn(security_headers::add))
        .layer(middleware::from_fn(request_id::trace))
        .with_state(state);
    Ok(app)
}
