//! Verifying stored signature files against the stored documents they sign.

use chrono::{DateTime, Utc};
use tokio::io::AsyncReadExt;

use crate::{
    signature::{self, ContentHasher, Report, TrustStore},
    storage::Storage,
};

/// Reads stored bytes whole; for signature files, which are small.
async fn read_all(storage: &Storage, sha256: &str) -> std::io::Result<Vec<u8>> {
    let mut file = storage.open_blob(sha256).await?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).await?;
    Ok(bytes)
}

/// Verifies a stored signature file against a stored document, reading the document once.
pub async fn verify_stored(
    storage: &Storage,
    document_sha256: &str,
    signature_sha256: &str,
    upload_time: DateTime<Utc>,
    trust: Option<&TrustStore>,
) -> std::io::Result<Report> {
    let signature_bytes = read_all(storage, signature_sha256).await?;
    let parsed = match signature::parse(&signature_bytes) {
        Ok(parsed) => parsed,
        Err(_) => {
            return Ok(signature::verify_bytes(
                &[],
                &signature_bytes,
                upload_time,
                trust,
            ));
        }
    };
    let mut hasher = ContentHasher::new(&parsed.digest_algorithms());
    let mut document = storage.open_blob(document_sha256).await?;
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let read = document.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(parsed.verify(&hasher.finish(), upload_time, trust))
}
