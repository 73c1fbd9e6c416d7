//! Where document bytes live: a directory, each file once under its SHA-256.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::{fs, io::AsyncWriteExt};

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
    Io(#[from] std::io::Error),
}

/// A local directory of content-addressed files.
#[derive(Clone, Debug)]
pub struct Storage {
    root: PathBuf,
}

impl Storage {
    /// Opens (and creates if needed) the storage directory.
    pub async fn open(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        fs::create_dir_all(root.join("tmp")).await?;
        Ok(Self { root })
    }

    /// Streams bytes into storage, hashing on the way; refuses more than `limit` bytes.
    /// Nothing is left behind when it fails.
    pub async fn put<S, E>(&self, mut chunks: S, limit: u64) -> Result<StoredBlob, PutError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let temp = self.root.join("tmp").join(uuid::Uuid::new_v4().to_string());
        let result = self.write_temp(&temp, &mut chunks, limit).await;
        let blob = match result {
            Ok(blob) => blob,
            Err(err) => {
                let _ = fs::remove_file(&temp).await;
                return Err(err);
            }
        };
        let target = self.path_of(&blob.sha256);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).await?;
        }
        if fs::try_exists(&target).await? {
            fs::remove_file(&temp).await?;
        } else {
            fs::rename(&temp, &target).await?;
        }
        Ok(blob)
    }

    async fn write_temp<S, E>(
        &self,
        temp: &Path,
        chunks: &mut S,
        limit: u64,
    ) -> Result<StoredBlob, PutError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut file = fs::File::create(temp).await?;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| PutError::Source(e.to_string()))?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(PutError::TooLarge { limit });
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        file.sync_all().await?;
        Ok(StoredBlob {
            sha256: hex::encode(hasher.finalize()),
            size,
        })
    }

    /// Opens stored bytes for reading.
    pub async fn open_blob(&self, sha256: &str) -> std::io::Result<fs::File> {
        fs::File::open(self.path_of(sha256)).await
    }

    fn path_of(&self, sha256: &str) -> PathBuf {
        let (a, rest) = sha256.split_at(2.min(sha256.len()));
        let (b, _) = rest.split_at(2.min(rest.len()));
        self.root.join(a).join(b).join(sha256)
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

    #[tokio::test]
    async fn equal_content_is_stored_once_under_its_sha256() {
        let dir = std::env::temp_dir().join(format!("essk-storage-{}", uuid::Uuid::new_v4()));
        let storage = Storage::open(&dir).await.expect("storage opens");
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
        let mut read = String::new();
        let mut file = storage.open_blob(&a.sha256).await.expect("opens");
        tokio::io::AsyncReadExt::read_to_string(&mut file, &mut read)
            .await
            .expect("reads");
        assert_eq!(read, "hello world");
        let _ = fs::remove_dir_all(dir).await;
    }

    #[tokio::test]
    async fn an_oversized_upload_is_refused_and_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("essk-storage-{}", uuid::Uuid::new_v4()));
        let storage = Storage::open(&dir).await.expect("storage opens");
        let err = storage
            .put(chunks(&[b"12345", b"67890"]), 8)
            .await
            .expect_err("too large");
        assert!(matches!(err, PutError::TooLarge { limit: 8 }));
        let mut leftovers = fs::read_dir(dir.join("tmp")).await.expect("tmp exists");
        assert!(leftovers.next_entry().await.expect("readable").is_none());
        let _ = fs::remove_dir_all(dir).await;
    }
}
