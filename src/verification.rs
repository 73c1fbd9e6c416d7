//! Verifying uploaded signature files against the documents they sign, and the form in which
//! their reports are kept.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;

use crate::{
    signature::{self, ChainStatus, ContentHasher, Report, TrustStore, Verdict},
    storage::Storage,
};

/// A verification report as stored with the signature and read by the pages.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredReport {
    pub verdict: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub signers: Vec<StoredSigner>,
}

/// One signer of a stored report.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredSigner {
    pub verdict: String,
    pub subject: String,
    pub organisation: Option<String>,
    pub title: Option<String>,
    pub snils: Option<String>,
    pub inn: Option<String>,
    pub inn_le: Option<String>,
    pub ogrn: Option<String>,
    pub ogrnip: Option<String>,
    pub email: Option<String>,
    pub issuer: String,
    pub serial: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub signing_time: Option<DateTime<Utc>>,
    pub algorithm: String,
    /// `not_checked`, `trusted` or `untrusted`.
    pub chain: String,
    pub chain_reason: Option<String>,
}

impl StoredReport {
    pub fn from_report(report: &Report) -> Self {
        Self {
            verdict: report.verdict.as_str().to_owned(),
            reason: report.reason.clone(),
            signers: report
                .signers
                .iter()
                .map(|s| {
                    let (chain, chain_reason) = match &s.chain {
                        ChainStatus::NotChecked => ("not_checked", None),
                        ChainStatus::Trusted => ("trusted", None),
                        ChainStatus::Untrusted(reason) => ("untrusted", Some(reason.clone())),
                    };
                    StoredSigner {
                        verdict: s.verdict.as_str().to_owned(),
                        subject: s.subject.clone(),
                        organisation: s.organisation.clone(),
                        title: s.title.clone(),
                        snils: s.snils.clone(),
                        inn: s.inn.clone(),
                        inn_le: s.inn_le.clone(),
                        ogrn: s.ogrn.clone(),
                        ogrnip: s.ogrnip.clone(),
                        email: s.email.clone(),
                        issuer: s.issuer.clone(),
                        serial: s.serial.clone(),
                        not_before: s.not_before,
                        not_after: s.not_after,
                        signing_time: s.signing_time,
                        algorithm: s.algorithm.clone(),
                        chain: chain.to_owned(),
                        chain_reason,
                    }
                })
                .collect(),
        }
    }

    /// The plain Russian verdict of the whole file.
    pub fn verdict_title(&self) -> &'static str {
        Verdict::from_str(&self.verdict).map_or("Неизвестно", Verdict::title)
    }
}

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
