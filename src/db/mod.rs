//! SQL, one file per aggregate. Functions take the pool or an open transaction explicitly.

pub mod access_requests;
pub mod accounts;
pub mod approval_list;
pub mod approvals;
pub mod audit;
pub mod documents;
pub mod notifications;
pub mod reports;
pub mod routes;
pub mod schedule;
pub mod signatures;
pub mod users;

use std::str::FromStr;

use sqlx::{
    PgPool, Postgres, Transaction,
    migrate::MigrateDatabase,
    postgres::{PgConnectOptions, PgPoolOptions},
};

/// Connects to the database, creating it when missing, and brings its schema up to date.
pub async fn connect_and_migrate(database_url: &str) -> anyhow::Result<PgPool> {
    if !sqlx::Postgres::database_exists(database_url).await? {
        sqlx::Postgres::create_database(database_url).await?;
    }
    // Short queries throughout: compiling them (JIT) costs more than it saves.
    let options = PgConnectOptions::from_str(database_url)?.options([("jit", "off")]);
    // A pooled connection is not pinged before each use (a round trip on every acquire): one
    // broken by a database restart fails its next statement, which answers 503, and is
    // replaced.
    let pool = PgPoolOptions::new()
        .max_connections(20)
        .test_before_acquire(false)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}

/// Begins a transaction of the approval workflow. Its statements look rows up by key or
/// by a short list of ids, and PostgreSQL would plan many of them anew for each call's
/// values, which costs more than running them: in this transaction they reuse the plan
/// made once per connection. Sent with `BEGIN`, in the same round trip.
pub async fn begin(pool: &PgPool) -> sqlx::Result<Transaction<'static, Postgres>> {
    pool.begin_with("BEGIN; SET LOCAL plan_cache_mode = force_generic_plan")
        .await
}

/// Whether the error is a unique constraint refusing a second row (two requests at once).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "23505")
}
