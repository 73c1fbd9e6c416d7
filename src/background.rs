//! Work the server does on its own, on a timer, beside the requests.

use std::time::Duration;

use crate::{dates_refresh, mail, web::AppState};

/// How often queued mail is looked at.
const MAIL_EVERY: Duration = Duration::from_secs(10);

/// How often storage is swept for bytes no row points at.
const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);
/// Objects younger than this are left alone: their upload may still be writing its row.
const ORPHAN_GRACE: chrono::Duration = chrono::Duration::hours(1);

/// Sweeps orphaned bytes out of storage now and then every hour; several servers may do it
/// on the same storage at once.
pub fn spawn_storage_sweep(state: AppState) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(SWEEP_EVERY);
        loop {
            ticks.tick().await;
            let cutoff = state.clock.now() - ORPHAN_GRACE;
            if let Err(error) = state.storage.remove_orphans(&state.db, cutoff).await {
                tracing::warn!(%error, "storage sweep failed; next try in an hour");
            }
        }
    });
}

/// Brings running approvals' dates and overdue marks up to date now and then at the
/// configured interval, sending the notices that come due. After downtime the first run
/// catches up on every approval whose dates are from an earlier day.
pub fn spawn_dates_refresh(state: AppState) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(state.config.dates_refresh_interval);
        loop {
            ticks.tick().await;
            let mail = state.config.mail_link_base();
            match dates_refresh::refresh_stale(&state.db, state.clock.now(), mail).await {
                Ok(0) => {}
                Ok(count) => tracing::info!(approvals = count, "dates refreshed"),
                Err(error) => tracing::warn!(%error, "dates refresh failed; will retry"),
            }
        }
    });
}

/// How often accounts are looked at for six months without use.
const ACCOUNTS_EVERY: Duration = Duration::from_secs(60 * 60);

/// Blocks accounts not used for six months, now and then every hour.
pub fn spawn_account_sweep(state: AppState) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(ACCOUNTS_EVERY);
        loop {
            ticks.tick().await;
            if let Err(error) = block_inactive(&state.db, state.clock.now()).await {
                tracing::warn!(%error, "account sweep failed; next try in an hour");
            }
        }
    });
}

/// One sweep of unused accounts, in one transaction.
pub async fn block_inactive(
    db: &sqlx::PgPool,
    now: chrono::DateTime<chrono::Utc>,
) -> sqlx::Result<usize> {
    let mut tx = db.begin().await?;
    let blocked = crate::db::accounts::block_inactive(&mut tx, now).await?;
    tx.commit().await?;
    if !blocked.is_empty() {
        tracing::info!(accounts = blocked.len(), "unused accounts blocked");
    }
    Ok(blocked.len())
}

/// Sends queued notice mail when a mail server is configured.
pub fn spawn_mailer(state: AppState) -> anyhow::Result<()> {
    let Some(smtp_url) = state.config.smtp_url.clone() else {
        return Ok(());
    };
    let mailer = mail::Mailer::new(&smtp_url, &state.config.mail_from)?;
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(MAIL_EVERY);
        loop {
            ticks.tick().await;
            if let Err(error) = mail::deliver_due(&state.db, &mailer, state.clock.now()).await {
                tracing::warn!(%error, "mail delivery failed; will retry");
            }
        }
    });
    Ok(())
}
