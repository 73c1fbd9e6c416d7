//! Work the server does on its own, on a timer, beside the requests.

use std::time::Duration;

use crate::web::AppState;

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
