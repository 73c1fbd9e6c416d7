//! The user's notices: the list behind the bell and marking them read.

use crate::web::extract::Path;
use askama::Template;
use axum::{extract::State, response::Html, response::Redirect};

use super::{AppState, approvals::Layout, auth::CurrentUser, format};
use crate::{
    db,
    error::{AppError, AppResult},
};

/// Notices the list shows at most.
const SHOWN: i64 = 200;

pub struct NotificationView {
    pub id: i64,
    pub message: String,
    pub at: String,
    pub unread: bool,
    pub approval_link: Option<(i64, String)>,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    notifications: Vec<NotificationView>,
}

#[tracing::instrument(name = "notifications.list", skip_all)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Html<String>> {
    let rows = db::notifications::latest(&state.db, user.actor.user_id, SHOWN).await?;

    let page = NotificationsPage {
        layout: Layout::of(&user),
        notifications: rows
            .into_iter()
            .map(|n| NotificationView {
                id: n.id,
                message: n.message,
                at: format::date_time(n.created_at),
                unread: n.read_at.is_none(),
                approval_link: n.approval_id.zip(n.approval_number),
            })
            .collect(),
    };
    Ok(Html(page.render()?))
}

/// Marks one notice read; only the user's own are touched.
#[tracing::instrument(name = "notifications.read", skip_all)]
pub async fn mark_read(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Redirect> {
    let now = state.clock.now();
    let marked = db::notifications::mark_read(&state.db, user.actor.user_id, Some(id), now).await?;
    if marked == 0 && !db::notifications::belongs_to(&state.db, user.actor.user_id, id).await? {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/notifications"))
}

#[tracing::instrument(name = "notifications.read_all", skip_all)]
pub async fn mark_all_read(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Redirect> {
    let now = state.clock.now();
    db::notifications::mark_read(&state.db, user.actor.user_id, None, now).await?;
    Ok(Redirect::to("/notifications"))
}
