//! The ceiling for the list benchmark (`make bench-list`): a bare axum server that runs only
//! the list's queries (the viewer's scope, the page and its total) for one user and answers
//! with the row count — no session, no template.
//! `list_ceiling <database url> <address> <login>`.

use std::sync::Arc;

use axum::{Router, extract::State, routing::get};
use essk_approvals::{
    db::{
        self,
        approval_list::{ListFilter, Sort, Viewer},
    },
    domain::{access::Actor, lifecycle::Status},
};
use sqlx::PgPool;

struct Ceiling {
    pool: PgPool,
    actor: Actor,
}

async fn run(ceiling: &Ceiling, filter: &ListFilter) -> String {
    let Ok(viewer) = Viewer::of(&ceiling.pool, &ceiling.actor).await else {
        return "no viewer".to_owned();
    };
    // Side by side, as the page runs them.
    let (rows, total) = tokio::join!(
        db::approval_list::page(&ceiling.pool, viewer, filter, Sort::default(), 51, 0),
        db::approval_list::total(&ceiling.pool, viewer, filter),
    );
    let rows = rows.map_or(0, |rows| rows.len());
    format!("{rows} {total:?}")
}

/// The filtered page of the benchmark: running approvals whose text has «дом».
pub fn filtered() -> ListFilter {
    ListFilter {
        text: Some("дом".to_owned()),
        status: Some(Status::Running),
        ..ListFilter::default()
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(addr), Some(login)) = (args.next(), args.next(), args.next()) else {
        anyhow::bail!("usage: list_ceiling <database url> <address> <login>");
    };
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(10)
        .connect(&url)
        .await?;
    let user_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE login = $1")
        .bind(&login)
        .fetch_one(&pool)
        .await?;
    let user = db::accounts::user(&pool, user_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user {login}"))?;
    let actor = Actor {
        user_id: user.id,
        organisation_id: user.organisation_id,
        full_name: user.full_name,
        rights: user.rights,
        is_head: user.is_head,
        is_admin: user.is_admin,
    };
    let ceiling = Arc::new(Ceiling { pool, actor });
    let app =
        Router::new()
            .route(
                "/first",
                get(|State(c): State<Arc<Ceiling>>| async move {
                    run(&c, &ListFilter::default()).await
                }),
            )
            .route(
                "/filtered",
                get(|State(c): State<Arc<Ceiling>>| async move { run(&c, &filtered()).await }),
            )
            .with_state(ceiling);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
