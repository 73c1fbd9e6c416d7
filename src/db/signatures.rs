//! Signatures of documents, with the verdicts found when they arrived.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::storage::StoredBlob;

/// A signature file as the pages show it.
#[derive(Debug, Clone)]
pub struct SignatureRow {
    pub id: i64,
    pub document_id: i64,
    pub sha256: String,
    pub original_name: String,
    pub size: i64,
    pub uploaded_at: DateTime<Utc>,
    pub verdict: String,
    pub report: serde_json::Value,
}

/// A verified signature file waiting for its row.
#[derive(Debug)]
pub struct NewSignature<'a> {
    pub document_id: i64,
    pub blob: &'a StoredBlob,
    pub original_name: &'a str,
    pub uploaded_by: i64,
    pub uploaded_at: DateTime<Utc>,
    pub verdict: &'a str,
    pub report: serde_json::Value,
}

pub async fn insert(conn: &mut PgConnection, new: &NewSignature<'_>) -> sqlx::Result<i64> {
    super::documents::record_blob(conn, new.blob).await?;
    let size = i64::try_from(new.blob.size).unwrap_or(i64::MAX);
    sqlx::query_scalar!(
        r#"
        INSERT INTO signatures
            (document_id, sha256, original_name, size, uploaded_by, uploaded_at, verdict, report)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        RETURNING id
        "#,
        new.document_id,
        new.blob.sha256,
        new.original_name,
        size,
        new.uploaded_by,
        new.uploaded_at,
        new.verdict,
        new.report
    )
    .fetch_one(conn)
    .await
}

/// Every signature of the approval's documents, by document then arrival.
pub async fn for_approval(
    conn: &mut PgConnection,
    approval_id: i64,
) -> sqlx::Result<Vec<SignatureRow>> {
    sqlx::query_as!(
        SignatureRow,
        r#"
        SELECT s.id, s.document_id, s.sha256, s.original_name, s.size, s.uploaded_at,
               s.verdict, s.report
        FROM signatures s JOIN documents d ON d.id = s.document_id
        WHERE d.approval_id = $1
        ORDER BY s.document_id, s.id
        "#,
        approval_id
    )
    .fetch_all(conn)
    .await
}

/// One signature, if it belongs to the approval's document.
pub async fn find(
    conn: &mut PgConnection,
    approval_id: i64,
    document_id: i64,
    signature_id: i64,
) -> sqlx::Result<Option<SignatureRow>> {
    sqlx::query_as!(
        SignatureRow,
        r#"
        SELECT s.id, s.document_id, s.sha256, s.original_name, s.size, s.uploaded_at,
               s.verdict, s.report
        FROM signatures s JOIN documents d ON d.id = s.document_id
        WHERE d.approval_id = $1 AND s.document_id = $2 AND s.id = $3
        "#,
        approval_id,
        document_id,
        signature_id
    )
    .fetch_optional(conn)
    .await
}

pub async fn delete(conn: &mut PgConnection, signature_id: i64) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM signatures WHERE id = $1", signature_id)
        .execute(conn)
        .await?;
    Ok(())
}
