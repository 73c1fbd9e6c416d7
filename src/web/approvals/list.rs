//! The «Согласования» list.

use crate::web::extract::Query;
use askama::Template;
use axum::{
    extract::State,
    response::{Html, Redirect},
};
use serde::Deserialize;

use super::Layout;
use crate::{
    db,
    domain::lifecycle::Status,
    error::AppResult,
    web::{AppState, auth::CurrentUser, format},
};

const PAGE_SIZE: i64 = 50;

pub async fn home() -> Redirect {
    Redirect::to("/approvals")
}

#[derive(Deserialize)]
pub struct ListQuery {
    page: Option<i64>,
}

struct Row {
    id: i64,
    number: String,
    status: &'static str,
    name: String,
    initiator: String,
    created: String,
    launched: String,
    planned_completion: String,
    completed: String,
    author: String,
    my_turn: bool,
    not_yet: bool,
}

#[derive(Template)]
#[template(path = "approvals/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    total: i64,
    page: i64,
    pages: i64,
    may_create: bool,
}

#[tracing::instrument(name = "approvals.list", skip_all, fields(user.id = user.actor.user_id))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<ListQuery>,
) -> AppResult<Html<String>> {
    let page = query.page.unwrap_or(1).max(1);

    let (rows, total) =
        db::approvals::list_visible(&state.db, &user.actor, PAGE_SIZE, (page - 1) * PAGE_SIZE)
            .await?;

    let rows = rows
        .into_iter()
        .map(|r| Row {
            id: r.id,
            number: r.number,
            status: Status::from_db(&r.status).map_or("", Status::title),
            name: r.name,
            initiator: r.initiator_name,
            created: format::day_of(r.created_at),
            launched: format::opt_day_of(r.launched_at),
            planned_completion: format::opt_date(r.planned_completion_date),
            completed: format::opt_day_of(r.completed_at),
            author: r.author_name,
            my_turn: r.my_turn,
            not_yet: r.not_yet,
        })
        .collect();
    let page_view = ListPage {
        layout: Layout::of(&user),
        rows,
        total,
        page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        may_create: user.actor.rights.create,
    };
    Ok(Html(page_view.render()?))
}
