//! The audit trail of approvals.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// One audit record as the card's history tab shows it.
#[derive(Debug)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub user_name: Option<String>,
    pub kind: String,
    pub details: String,
}

/// Writes one audit record inside the caller's transaction.
pub async fn record(
    conn: &mut PgConnection,
    approval_id: i64,
    user_id: i64,
    at: DateTime<Utc>,
    kind: &str,
    details: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO audit_events (approval_id, approval_number, user_id, at, kind, details)
        SELECT id, number, $2, $3, $4, $5 FROM approvals WHERE id = $1
        "#,
        approval_id,
        user_id,
        at,
        kind,
        details
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks who changed the approval last and writes the audit record of the change, in one
/// statement inside the caller's transaction.
pub async fn record_change(
    conn: &mut PgConnection,
    approval_id: i64,
    user_id: i64,
    at: DateTime<Utc>,
    kind: &str,
    details: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        WITH touched AS (
            UPDATE approvals SET last_changed_by = $2, last_changed_at = $3
            WHERE id = $1
            RETURNING id, number
        )
        INSERT INTO audit_events (approval_id, approval_number, user_id, at, kind, details)
        SELECT id, number, $2, $3, $4, $5 FROM touched
        "#,
        approval_id,
        user_id,
        at,
        kind,
        details
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The approval's history, oldest first.
pub async fn for_approval(pool: &PgPool, approval_id: i64) -> sqlx::Result<Vec<AuditEntry>> {
    sqlx::query_as!(
        AuditEntry,
        r#"
        SELECT e.at, u.full_name AS "user_name?", e.kind, e.details
        FROM audit_events e
        LEFT JOIN users u ON u.id = e.user_id
        WHERE e.approval_id = $1
        ORDER BY e.at, e.id
        "#,
        approval_id
    )
    .fetch_all(pool)
    .await
}
