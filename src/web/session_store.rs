//! Web sessions kept in PostgreSQL, so that instances share them and restarts keep them.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store::{Error, Result},
};

/// The `sessions` table as a tower-sessions store.
#[derive(Clone, Debug)]
pub struct PgSessionStore {
    pool: PgPool,
}

impl PgSessionStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Removes sessions whose time has run out; returns how many.
    pub async fn delete_expired(&self, now: DateTime<Utc>) -> sqlx::Result<u64> {
        let done = sqlx::query!("DELETE FROM sessions WHERE expiry_date < $1", now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

fn expiry_of(record: &Record) -> DateTime<Utc> {
    DateTime::from_timestamp(record.expiry_date.unix_timestamp(), 0).unwrap_or_default()
}

fn encode(record: &Record) -> Result<Vec<u8>> {
    serde_json::to_vec(&record.data).map_err(|e| Error::Encode(e.to_string()))
}

fn backend(err: sqlx::Error) -> Error {
    Error::Backend(err.to_string())
}

#[async_trait::async_trait]
impl SessionStore for PgSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let data = encode(record)?;
        loop {
            let inserted = sqlx::query!(
                r#"
                INSERT INTO sessions (id, data, expiry_date) VALUES ($1, $2, $3)
                ON CONFLICT (id) DO NOTHING
                "#,
                record.id.to_string(),
                data,
                expiry_of(record)
            )
            .execute(&self.pool)
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Rewrites a session that still exists. A session deleted meanwhile (signed out, or
    /// ended by a new password) stays deleted: a request that began before it ended cannot
    /// bring it back. New sessions come through [`SessionStore::create`].
    async fn save(&self, record: &Record) -> Result<()> {
        sqlx::query!(
            "UPDATE sessions SET data = $2, expiry_date = $3 WHERE id = $1",
            record.id.to_string(),
            encode(record)?,
            expiry_of(record)
        )
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> Result<Option<Record>> {
        let row = sqlx::query!(
            "SELECT data, expiry_date FROM sessions WHERE id = $1 AND expiry_date > now()",
            session_id.to_string()
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let data = serde_json::from_slice(&row.data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(row.expiry_date.timestamp())
            .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, session_id: &Id) -> Result<()> {
        sqlx::query!("DELETE FROM sessions WHERE id = $1", session_id.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
