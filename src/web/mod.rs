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
pub mod request_id;
pub mod security_headers;
pub mod session_store;
pub mod signatures;
pub mod static_files;
pub mod upload_name;

use std::sync::Arc;

use anyhow::Context;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    middleware,
    routing::{get, post},
};
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

    let uploads = Router::new()
        .route(
            "/approvals/{id}/folders/{folder_id}/documents",
            post(documents::upload_to_folder),
        )
        .route(
            "/approvals/{id}/participants/{participant_id}/decision",
            get(decisions::form).post(decisions::submit),
        )
        .route(
            "/approvals/{id}/actions/{action_id}/complete",
            post(actions::complete),
        )
        .route(
            "/approvals/{id}/documents/{document_id}/signatures",
            get(signatures::info).post(signatures::upload),
        )
        .route(
            "/access-request",
            get(access_request::form).post(access_request::submit),
        )
        .route("/access-request/form.docx", post(access_request::docx))
        .layer(upload_limit);

    let app = Router::new()
        .route("/", get(approvals::home))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/approvals", get(approvals::list).post(approvals::create))
        .route("/approvals/new", get(approvals::new_form))
        .route("/approvals/columns", post(approvals::save_columns))
        .route("/approvals/export", get(approvals::export))
        .route("/approvals/repeat", get(approvals::repeat_by_number))
        .route(
            "/approvals/{id}/repeat",
            get(approvals::repeat_form).post(approvals::create_repeat),
        )
        .route(
            "/password/forgot",
            get(password::forgot_form).post(password::forgot),
        )
        .route(
            "/password/set/{token}",
            get(password::set_form).post(password::set),
        )
        .route("/cabinet", get(cabinet::reports))
        .route("/cabinet/staff", get(cabinet::staff))
        .route("/cabinet/staff/{user_id}/rights", post(cabinet::set_rights))
        .route("/admin", get(admin::index))
        .route(
            "/admin/organisations",
            get(admin::organisations).post(admin::create_organisation),
        )
        .route("/admin/organisations/new", get(admin::new_organisation))
        .route(
            "/admin/organisations/{id}",
            get(admin::edit_organisation).post(admin::update_organisation),
        )
        .route(
            "/admin/users",
            get(admin::users::list).post(admin::users::create),
        )
        .route("/admin/users/new", get(admin::users::new_form))
        .route(
            "/admin/users/{id}",
            get(admin::users::edit_form).post(admin::users::update),
        )
        .route("/admin/users/{id}/block", post(admin::users::block))
        .route("/admin/users/{id}/unblock", post(admin::users::unblock))
        .route("/admin/users/{id}/link", post(admin::users::link))
        .route("/admin/requests", get(admin::requests::list))
        .route("/admin/requests/{id}", get(admin::requests::show))
        .route("/admin/requests/{id}/letter", get(admin::requests::letter))
        .route(
            "/admin/requests/{id}/approve",
            post(admin::requests::approve),
        )
        .route("/admin/requests/{id}/reject", post(admin::requests::reject))
        .route("/admin/routes", get(admin::routes::list))
        .route("/admin/routes/new", get(admin::routes::new_form))
        .route("/admin/routes/editor", post(admin::routes::submit))
        .route("/admin/routes/{id}/edit", get(admin::routes::edit_form))
        .route("/admin/routes/{id}/retire", post(admin::routes::retire))
        .route("/notifications", get(notifications::list))
        .route("/notifications/read", post(notifications::mark_all_read))
        .route("/notifications/{id}/read", post(notifications::mark_read))
        .route("/approvals/{id}", get(approvals::card))
        .route(
            "/approvals/{id}/edit",
            get(approvals::edit_form).post(approvals::update),
        )
        .route("/approvals/{id}/delete", post(approvals::delete))
        .route(
            "/approvals/{id}/launch",
            get(approvals::launch_confirm).post(approvals::launch),
        )
        .route(
            "/approvals/{id}/participants/{participant_id}/actions",
            get(actions::table),
        )
        .route("/approvals/{id}/inventory", get(case_file::inventory))
        .route(
            "/approvals/{id}/inventory.pdf",
            get(case_file::inventory_pdf),
        )
        .route("/approvals/{id}/archive", get(case_file::archive))
        .route(
            "/approvals/{id}/documents/{document_id}",
            get(documents::download),
        )
        .route(
            "/approvals/{id}/documents/{document_id}/delete",
            post(documents::remove),
        )
        .route(
            "/approvals/{id}/documents/{document_id}/signatures/{signature_id}",
            get(signatures::download),
        )
        .route(
            "/approvals/{id}/documents/{document_id}/signatures/{signature_id}/delete",
            post(signatures::remove),
        )
        .merge(uploads)
        .route("/static/{*path}", get(static_files::serve))
        .fallback(static_files::not_found)
        .layer(middleware::from_fn(csrf::refuse_cross_site))
        .layer(sessions)
        .layer(middleware::from_fn(security_headers::add))
        .layer(middleware::from_fn(request_id::trace))
        .with_state(state);
    Ok(app)
}
