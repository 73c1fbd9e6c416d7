//! Where document bytes live: a local directory or S3-compatible object storage, each file
//! once under its SHA-256.
//!
//! An upload streams into a temporary object while it is hashed, then moves to
//! `blobs/<aa>/<bb>/<sha256>`. The database row that points at the bytes is written after
//! that; bytes whose row never came (the server stopped in between) are removed later by
//! [`Storage::remove_orphans`].

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt, TryStreamExt, stream::BoxStream};
use object_store::{
    ObjectStore, ObjectStoreExt, WriteMultipart,
    aws::{AmazonS3Builder, AmazonS3ConfigKey},
    local::LocalFileSystem,
    path::Path as ObjectPath,
};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

/// Parts of a multipart upload; S3 wants at least 5 MiB for every part but the last.
const PART_SIZE: usize = 5 * 1024 * 1024;
/// Parts sent at once by one upload; bounds the memory an upload holds.
const PARTS_IN_FLIGHT: usize = 2;
/// Objects checked against the database per query while removing orphans.
const ORPHAN_BATCH: usize = 1000;

/// Bytes stored under their hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBlob {
    pub sha256: String,
    pub size: u64,
}

/// Why storing failed.
#[derive(Debug, thiserror::Error)]
pub enum PutError {
    #[error("file larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("upload interrupted: {0}")]
    Source(String),
    #[error(transparent)]
    Store(#[from] object_store::Error),
}

/// Content-addressed bytes in an object store.
#[derive(Clone, Debug)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// The directory, for local storage: an upload cut off midway leaves its staging file
    /// there (`tmp/<id>#<part>`), which the object store's listing does not show.
    local_root: Option<PathBuf>,
}

impl Storage {
    /// A directory on this machine (created if missing).
    pub async fn local(root: &Path) -> anyhow::Result<Self> {
        tokio::fs::create_dir_all(root).await?;
        let store = LocalFileSystem::new_with_prefix(root)?.with_automatic_cleanup(true);
        Ok(Self {
            store: Arc::new(store),
            local_root: Some(root.to_path_buf()),
        })
    }

    /// S3-compatible storage at `s3://bucket[/prefix]`; endpoint, region and keys come from
    /// the usual `AWS_*` variables (`AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`, …), then `options`.
    pub fn s3(url: &str, options: &[(AmazonS3ConfigKey, String)]) -> anyhow::Result<Self> {
        let parsed = url::Url::parse(url)?;
        let mut builder = AmazonS3Builder::from_env().with_url(url);
        for (key, value) in options {
            builder = builder.with_config(*key, value);
        }
        let store = builder.build()?;
        let prefix = parsed.path().trim_matches('/');
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(store)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
        };
        Ok(Self {
            store,
            local_root: None,
        })
    }

    /// Storage as configured: S3 when `storage_url` is given, else the directory.
    pub async fn open(storage_url: Option<&str>, storage_dir: &Path) -> anyhow::Result<Self> {
        match storage_url {
            Some(url) => Self::s3(url, &[]),
            None => Self::local(storage_dir).await,
        }
    }

    /// Streams bytes into storage, hashing on the way; refuses more than `limit` bytes.
    /// Nothing is left behind when it fails.
    pub async fn put<S, E>(&self, mut chunks: S, limit: u64) -> Result<StoredBlob, PutError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let temp = ObjectPath::from(format!("tmp/{}", uuid::Uuid::new_v4()));
        let upload = self.store.put_multipart(&temp).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let streamed: Result<(), PutError> = async {
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk.map_err(|e| PutError::Source(e.to_string()))?;
                size += chunk.len() as u64;
                if size > limit {
                    return Err(PutError::TooLarge { limit });
                }
                hasher.update(&chunk);
                writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                writer.put(chunk);
            }
            Ok(())
        }
        .await;
        if let Err(error) = streamed {
            let _ = writer.abort().await;
            let _ = self.store.delete(&temp).await;
            return Err(error);
        }
        writer.finish().await?;

        let blob = StoredBlob {
            sha256: hex::encode(hasher.finalize()),
            size,
        };
        // Moving over an existing copy refreshes its modification time, so the orphan
        // sweep never takes bytes a new row is about to point at.
        if let Err(error) = self.store.rename(&temp, &blob_path(&blob.sha256)).await {
            let _ = self.store.delete(&temp).await;
            return Err(error.into());
        }
        Ok(blob)
    }

    /// The stored bytes as a stream of chunks.
    pub async fn get(
        &self,
        sha256: &str,
    ) -> std::io::Result<BoxStream<'static, std::io::Result<Bytes>>> {
        let result = self.store.get(&blob_path(sha256)).await.map_err(io_error)?;
        Ok(result.into_stream().map_err(io_error).boxed())
    }

    /// The stored bytes as an async reader.
    pub async fn reader(&self, sha256: &str) -> std::io::Result<impl tokio::io::AsyncRead> {
        Ok(tokio_util::io::StreamReader::new(self.get(sha256).await?))
    }

    /// Reads stored bytes whole; for signature files, which are small.
    pub async fn read_all(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        let result = self.store.get(&blob_path(sha256)).await.map_err(io_error)?;
        Ok(result.bytes().await.map_err(io_error)?.to_vec())
    }

    /// Removes what no database row points at and that was last written before `cutoff`:
    /// temporary objects of uploads that never finished, and blobs whose row was never
    /// written. Returns how many objects went. Safe to run from several servers at once.
    pub async fn remove_orphans(
        &self,
        db: &PgPool,
        cutoff: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let mut removed = 0;
        if let Some(root) = &self.local_root {
            // The directory itself: the store's listing hides the staging files.
            removed += remove_stale_files(&root.join("tmp"), cutoff).await?;
        } else {
            let mut stale_temps = self.store.list(Some(&ObjectPath::from("tmp")));
            while let Some(meta) = stale_temps.try_next().await? {
                if meta.last_modified < cutoff {
                    removed += self.delete_quietly(&meta.location).await;
                }
            }
        }

        let mut candidates = Vec::new();
        let mut blobs = self.store.list(Some(&ObjectPath::from("blobs")));
        while let Some(meta) = blobs.try_next().await? {
            if meta.last_modified < cutoff
                && let Some(name) = meta.location.filename()
            {
                candidates.push(name.to_owned());
            }
        }
        for batch in candidates.chunks(ORPHAN_BATCH) {
            let known: Vec<String> =
                sqlx::query_scalar!("SELECT sha256 FROM blobs WHERE sha256 = ANY($1)", batch)
                    .fetch_all(db)
                    .await?;
            for sha256 in batch.iter().filter(|sha| !known.contains(sha)) {
                removed += self.delete_quietly(&blob_path(sha256)).await;
            }
        }
        if removed > 0 {
            tracing::info!(storage.removed = removed, "orphaned objects removed");
        }
        Ok(removed)
    }

    /// Deletes one object; another server may have taken it already.
    async fn delete_quietly(&self, location: &ObjectPath) -> usize {
        match self.store.delete(location).await {
            Ok(()) => 1,
            Err(object_store::Error::NotFound { .. }) => 0,
            Err(error) => {
                tracing::warn!(storage.object = %location, %error, "orphan not removed");
                0
            }
        }
    }
}

/// Removes the files of `dir` last written before `cutoff`; a missing directory has none.
async fn remove_stale_files(dir: &Path, cutoff: DateTime<Utc>) -> std::io::Result<usize> {
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(error) => return Err(error),
    };
    let mut removed = 0;
    while let Some(entry) = entries.next_entry().await? {
        let Ok(meta) = entry.metadata().await else {
            continue;
        };
        let written: DateTime<Utc> = meta.modified()?.into();
        if meta.is_file() && written < cutoff {
            match tokio::fs::remove_file(entry.path()).await {
                Ok(()) => removed += 1,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
    }
    Ok(removed)
}

/// Where a blob lives: two levels of fan-out keep directories small on local disks.
fn blob_path(sha256: &str) -> ObjectPath {
    let a = sha256.get(0..2).unwrap_or("00");
    let b = sha256.get(2..4).unwrap_or("00");
    ObjectPath::from(format!("blobs/{a}/{b}/{sha256}"))
}

fn io_error(error: object_store::Error) -> std::io::Error {
    match error {
        object_store::Error::NotFound { .. } => {
            std::io::Error::new(std::io::ErrorKind::NotFound, error)
        }
        other => std::io::Error::other(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(
        parts: &[&'static [u8]],
    ) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
        futures_util::stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    fn temp_dir() -> std::path::PathBuf {
        std::env::temp_dir().join(format!("essk-storage-{}", uuid::Uuid::new_v4()))
    }

    #[tokio::test]
    async fn equal_content_is_stored_once_under_its_sha256() {
        let dir = temp_dir();
        let storage = Storage::local(&dir).await.expect("storage opens");
        let a = storage
            .put(chunks(&[b"hello ", b"world"]), 100)
            .await
            .expect("stored");
        let b = storage
            .put(chunks(&[b"hello world"]), 100)
            .await
            .expect("stored");
        assert_eq!(a, b);
        assert_eq!(
            a.sha256,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(a.size, 11);
        assert_eq!(
            storage.read_all(&a.sha256).await.expect("reads"),
            b"hello world"
        );
        assert!(dir.join("blobs/b9/4d").join(&a.sha256).is_file());
        let _ = tokio::fs::remove_dir_all(dir).await;
    }

    #[tokio::test]
    async fn an_oversized_upload_is_refused_and_leaves_nothing() {
        let dir = temp_dir();
        let storage = Storage::local(&dir).await.expect("storage opens");
        let err = storage
            .put(chunks(&[b"12345", b"67890"]), 8)
            .await
            .expect_err("too large");
        assert!(matches!(err, PutError::TooLarge { limit: 8 }));
        let left: Vec<_> = walk(&dir);
        assert!(left.is_empty(), "left behind: {left:?}");
        let _ = tokio::fs::remove_dir_all(dir).await;
    }

    #[tokio::test]
    async fn a_missing_blob_reads_as_not_found() {
        let dir = temp_dir();
        let storage = Storage::local(&dir).await.expect("storage opens");
        let err = storage.read_all(&"0".repeat(64)).await.expect_err("absent");
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        let _ = tokio::fs::remove_dir_all(dir).await;
    }

    /// Every file below `dir`.
    fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(next) = pending.pop() {
            for entry in std::fs::read_dir(next).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        files
    }
}
