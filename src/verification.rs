//! Verifying stored signature files against the stored documents they sign.

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;

use crate::{
    signature::{self, ContentHasher, Report, TrustStore},
    storage::Storage,
};

/// Verifies a stored signature file against a stored document, reading the document once.
pub async fn verify_stored(
    storage: &Storage,
    document_sha256: &str,
    signature_sha256: &str,
    upload_time: DateTime<Utc>,
    trust: Option<&TrustStore>,
) -> std::io::Result<Report> {
    let signature_bytes = storage.read_all(signature_sha256).await?;
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
    let mut document = storage.get(document_sha256).await?;
    while let Some(chunk) = document.try_next().await? {
        hasher.update(&chunk);
    }
    Ok(parsed.verify(&hasher.finish(), upload_time, trust))
}
