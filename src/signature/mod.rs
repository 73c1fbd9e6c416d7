//! Verifying detached CMS / CAdES-BES signatures of documents (product spec §6), with no I/O
//! but reading a trust store's directory.
//!
//! A signature file is parsed once ([`parse`]), the document is hashed once with every digest
//! algorithm its signers need ([`SignatureFile::digest_algorithms`], [`ContentHasher`]), and
//! then each signer is verified ([`SignatureFile::verify`]). Supported: GOST R 34.10-2012 (256
//! and 512 bits) with GOST R 34.11-2012, RSA PKCS#1 v1.5 and RSA-PSS, ECDSA P-256 and P-384
//! with SHA-256/384/512.

mod algorithm;
mod asn1;
mod certificate;
mod digest;
mod gost;
mod parse;
mod render;
mod trust;
mod verify;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use digest::{ContentDigests, ContentHasher, DigestAlgorithm};
pub use parse::{SignatureFile, parse};
pub use render::{cli_json, plain_text};
pub use trust::TrustStore;

/// The outcome of checking a signer, or a whole signature file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The signed digest matches the file, the signature value is valid, and the certificate
    /// was valid when the file was signed.
    Valid,
    /// The signature was made over another file.
    DigestMismatch,
    /// The signature value does not verify with the certificate's key.
    BadSignature,
    /// The certificate was not yet or no longer valid at the signing time.
    CertNotValidAtSigningTime,
    /// A digest or signature algorithm, or a curve, that we do not verify.
    UnsupportedAlgorithm,
    /// The file is not a signature we can read (only ever the verdict of a whole file).
    Unreadable,
}

impl Verdict {
    const ALL: [Verdict; 6] = [
        Verdict::Valid,
        Verdict::DigestMismatch,
        Verdict::BadSignature,
        Verdict::CertNotValidAtSigningTime,
        Verdict::UnsupportedAlgorithm,
        Verdict::Unreadable,
    ];

    /// The stable name used in the database and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::DigestMismatch => "digest_mismatch",
            Verdict::BadSignature => "bad_signature",
            Verdict::CertNotValidAtSigningTime => "cert_not_valid_at_signing_time",
            Verdict::UnsupportedAlgorithm => "unsupported_algorithm",
            Verdict::Unreadable => "unreadable",
        }
    }

    /// The verdict a stable name stands for.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(name: &str) -> Option<Verdict> {
        Verdict::ALL
            .into_iter()
            .find(|verdict| verdict.as_str() == name)
    }

    /// The verdict in plain Russian for the signature card.
    pub fn title(self) -> &'static str {
        match self {
            Verdict::Valid => "Подпись действительна",
            Verdict::DigestMismatch => "Подпись не соответствует файлу",
            Verdict::BadSignature => "Подпись недействительна: значение подписи не сходится",
            Verdict::CertNotValidAtSigningTime => "Сертификат не действовал в момент подписания",
            Verdict::UnsupportedAlgorithm => "Алгоритм подписи не поддерживается",
            Verdict::Unreadable => "Файл подписи не читается",
        }
    }
}

/// Whether the signer's certificate chains up to a trusted CA. Shown beside the verdict; it
/// does not change it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum ChainStatus {
    /// No trust store is configured.
    NotChecked,
    /// The chain reaches a certificate of the trust store.
    Trusted,
    /// It does not, for the reason given in Russian.
    Untrusted(String),
}

impl ChainStatus {
    /// The chain status in plain Russian for the signature card.
    pub fn title(&self) -> String {
        match self {
            ChainStatus::NotChecked => {
                "Цепочка сертификатов не проверялась: доверенные корневые сертификаты не настроены"
                    .to_owned()
            }
            ChainStatus::Trusted => "Сертификат выдан доверенным УЦ".to_owned(),
            ChainStatus::Untrusted(reason) => format!("Сертификат не подтверждён: {reason}"),
        }
    }
}

/// One signer of a signature file: the verdict and who signed, as the certificate says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignerReport {
    pub verdict: Verdict,
    /// Full name: the certificate's common name, else surname and given names.
    pub subject: String,
    pub organisation: Option<String>,
    pub title: Option<String>,
    /// СНИЛС (1.2.643.100.3).
    pub snils: Option<String>,
    /// ИНН of a person (1.2.643.3.131.1.1).
    pub inn: Option<String>,
    /// ИНН of a legal entity (1.2.643.100.4).
    pub inn_le: Option<String>,
    /// ОГРН (1.2.643.100.1).
    pub ogrn: Option<String>,
    /// ОГРНИП (1.2.643.100.5).
    pub ogrnip: Option<String>,
    pub email: Option<String>,
    /// The issuing CA's common name, else its full distinguished name.
    pub issuer: String,
    /// The certificate's serial number in uppercase hexadecimal.
    pub serial: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// The signingTime attribute, when the signer included one.
    pub signing_time: Option<DateTime<Utc>>,
    /// The algorithm in Russian, e.g. «ГОСТ Р 34.10-2012, 256 бит».
    pub algorithm: String,
    pub chain: ChainStatus,
}

/// The result of verifying a signature file against a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// `Valid` only when every signer is; else `Unreadable` or the first signer's failure.
    pub verdict: Verdict,
    /// Why the file is unreadable, in Russian.
    pub reason: Option<String>,
    pub signers: Vec<SignerReport>,
}

impl Report {
    /// The report for a file that could not be read.
    pub fn unreadable(reason: String) -> Report {
        Report {
            verdict: Verdict::Unreadable,
            reason: Some(reason),
            signers: Vec::new(),
        }
    }
}

/// Parses, hashes and verifies in one call, for small inputs, the CLI and tests. An
/// unreadable signature gives a report with verdict `Unreadable` and no signers.
pub fn verify_bytes(
    content: &[u8],
    signature: &[u8],
    upload_time: DateTime<Utc>,
    trust: Option<&TrustStore>,
) -> Report {
    match parse(signature) {
        Ok(file) => {
            let mut hasher = ContentHasher::new(&file.digest_algorithms());
            hasher.update(content);
            file.verify(&hasher.finish(), upload_time, trust)
        }
        Err(reason) => Report::unreadable(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verdict_round_trips_through_its_name() {
        for verdict in Verdict::ALL {
            assert_eq!(Verdict::from_str(verdict.as_str()), Some(verdict));
            let json = serde_json::to_string(&verdict).expect("serialisable");
            assert_eq!(json, format!("\"{}\"", verdict.as_str()));
        }
        assert_eq!(Verdict::from_str("Valid"), None);
    }

    #[test]
    fn a_report_survives_the_json_it_is_stored_as() {
        let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/samples");
        let content = std::fs::read(format!("{samples}/documents/Заявление.pdf")).expect("sample");
        let signature =
            std::fs::read(format!("{samples}/signatures/Заявление.pdf.sig")).expect("sample");
        let report = verify_bytes(&content, &signature, Utc::now(), None);
        assert_eq!(report.signers.len(), 1);
        let stored = serde_json::to_value(&report).expect("serialisable");
        let read: Report = serde_json::from_value(stored).expect("deserialisable");
        assert_eq!(read, report);
    }

    #[test]
    fn random_bytes_are_unreadable_rather_than_a_panic() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for length in [0usize, 1, 2, 3, 10, 100, 1000] {
            let bytes: Vec<u8> = (0..length)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state >> 24) as u8
                })
                .collect();
            let report = verify_bytes(b"document", &bytes, Utc::now(), None);
            assert_eq!(report.verdict, Verdict::Unreadable);
            assert!(report.reason.is_some());
            assert!(report.signers.is_empty());
        }
    }
}
