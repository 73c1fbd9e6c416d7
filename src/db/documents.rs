//! Documents of a case file and the blobs that hold their bytes.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::storage::StoredBlob;

/// Where a document belongs in the case file.
#[derive(Clone, Copy, Debug)]
pub enum Place {
    /// An initiator folder.
    Folder(i64),
    /// A participant's decision.
    Decision(i64),
    /// An action's result.
    Action(i64),
}

/// A new document's description.
#[derive(Debug)]
pub struct NewDocument<'a> {
    pub approval_id: i64,
    pub place: Place,
    pub blob: &'a StoredBlob,
    pub original_name: &'a str,
    pub content_type: &'a str,
    pub uploaded_by: i64,
    pub uploaded_at: DateTime<Utc>,
}

/// A document as the case file lists it.
#[derive(Debug, Clone)]
pub struct DocumentRow {
    pub id: i64,
    pub approval_id: i64,
    pub folder_id: Option<i64>,
    pub participant_id: Option<i64>,
    pub action_id: Option<i64>,
    /// «Раздел»: the folder name, or the participant whose decision or action it belongs to.
    pub section: String,
    pub sha256: String,
    pub original_name: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_by_name: String,
    pub uploaded_at: DateTime<Utc>,
}

/// Records stored bytes, once however many rows point at them.
pub async fn record_blob(conn: &mut PgConnection, blob: &StoredBlob) -> sqlx::Result<()> {
    let size = i64::try_from(blob.size).unwrap_or(i64::MAX);
    sqlx::query!(
        "INSERT INTO blobs (sha256, size) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING",
        blob.sha256,
        size
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records a stored blob and a document pointing at it.
pub async fn insert(conn: &mut PgConnection, doc: &NewDocument<'_>) -> sqlx::Result<i64> {
    record_blob(conn, doc.blob).await?;
    let size = i64::try_from(doc.blob.size).unwrap_or(i64::MAX);
    let (folder_id, participant_id, action_id) = match doc.place {
        Place::Folder(id) => (Some(id), None, None),
        Place::Decision(id) => (None, Some(id), None),
        Place::Action(id) => (None, None, Some(id)),
    };
    sqlx::query_scalar!(
        r#"
        INSERT INTO documents
            (approval_id, folder_id, participant_id, action_id, sha256, original_name,
             content_type, size, uploaded_by, uploaded_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        RETURNING id
        "#,
        doc.approval_id,
        folder_id,
        participant_id,
        action_id,
        doc.blob.sha256,
        doc.original_name,
        doc.content_type,
        size,
        doc.uploaded_by,
        doc.uploaded_at
    )
    .fetch_one(conn)
    .await
}

/// Every document of an approval: the initiator's by folder, then decision and action
/// results by participant; each in order of upload.
pub async fn for_approval(
    conn: &mut PgConnection,
    approval_id: i64,
) -> sqlx::Result<Vec<DocumentRow>> {
    sqlx::query_as!(
        DocumentRow,
        r#"
        SELECT d.id, d.approval_id, d.folder_id, d.participant_id, d.action_id,
               COALESCE(f.name, 'Решение: ' || po.short_name,
                        'Действие: ' || ao.short_name || ' — ' || a.description) AS "section!",
               d.sha256, d.original_name, d.content_type, d.size,
               u.full_name AS uploaded_by_name, d.uploaded_at
        FROM documents d
        JOIN users u ON u.id = d.uploaded_by
        LEFT JOIN approval_folders f ON f.id = d.folder_id
        LEFT JOIN approval_participants p ON p.id = d.participant_id
        LEFT JOIN organisations po ON po.id = p.organisation_id
        LEFT JOIN approval_actions a ON a.id = d.action_id
        LEFT JOIN approval_participants ap ON ap.id = a.participant_id
        LEFT JOIN organisations ao ON ao.id = ap.organisation_id
        LEFT JOIN approval_steps ps ON ps.id = COALESCE(p.step_id, ap.step_id)
        WHERE d.approval_id = $1
        ORDER BY (d.folder_id IS NULL), f.position, ps.position,
                 COALESCE(p.position, ap.position), a.position, d.id
        "#,
        approval_id
    )
    .fetch_all(conn)
    .await
}

/// A document's stored file.
#[derive(Debug, Clone)]
pub struct DocumentFile {
    pub id: i64,
    pub folder_id: Option<i64>,
    pub sha256: String,
    pub original_name: String,
    pub content_type: String,
    pub size: i64,
}

/// One document of the approval, if it belongs to it.
pub async fn find(
    conn: &mut PgConnection,
    approval_id: i64,
    document_id: i64,
) -> sqlx::Result<Option<DocumentFile>> {
    sqlx::query_as!(
        DocumentFile,
        r#"
        SELECT id, folder_id, sha256, original_name, content_type, size
        FROM documents WHERE id = $2 AND approval_id = $1
        "#,
        approval_id,
        document_id
    )
    .fetch_optional(conn)
    .await
}

/// Removes a document row; the blob stays for other documents that share it.
pub async fn delete(conn: &mut PgConnection, document_id: i64) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM documents WHERE id = $1", document_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The ИНН of the organisation whose user uploaded the document.
pub async fn uploader_inn(
    conn: &mut PgConnection,
    document_id: i64,
) -> sqlx::Result<Option<String>> {
    let inn = sqlx::query_scalar!(
        r#"
        SELECT o.inn FROM documents d
        JOIN users u ON u.id = d.uploaded_by
        JOIN organisations o ON o.id = u.organisation_id
        WHERE d.id = $1
        "#,
        document_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(inn.flatten())
}

/// Copies an initiator document of approval `from` into approval `to`'s folder of the same
/// name (or, failing that, of the same position, or its first), with its signatures. The
/// copy shares the stored bytes, which never change, and is otherwise a row of its own.
/// Returns the new document's id, or `None` when `document_id` is not a folder document of
/// `from` or `to` has no folders.
pub async fn copy_to(
    conn: &mut PgConnection,
    from: i64,
    document_id: i64,
    to: i64,
    copied_by: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<i64>> {
    let copy = sqlx::query_scalar!(
        r#"
        INSERT INTO documents
            (approval_id, folder_id, sha256, original_name, content_type, size, uploaded_by,
             uploaded_at)
        SELECT $3, target.id, d.sha256, d.original_name, d.content_type, d.size, $4, $5
        FROM documents d
        JOIN approval_folders f ON f.id = d.folder_id
        JOIN LATERAL (
            SELECT nf.id FROM approval_folders nf WHERE nf.approval_id = $3
            ORDER BY nf.name = f.name DESC, nf.position = f.position DESC, nf.position
            LIMIT 1
        ) target ON true
        WHERE d.id = $2 AND d.approval_id = $1
        RETURNING id
        "#,
        from,
        document_id,
        to,
        copied_by,
        now
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(copy) = copy else {
        return Ok(None);
    };
    sqlx::query!(
        r#"
        INSERT INTO signatures
            (document_id, sha256, original_name, size, uploaded_by, uploaded_at, verdict, report)
        SELECT $2, sha256, original_name, size, $3, $4, verdict, report
        FROM signatures WHERE document_id = $1
        ORDER BY id
        "#,
        document_id,
        copy,
        copied_by,
        now
    )
    .execute(conn)
    .await?;
    Ok(Some(copy))
}
