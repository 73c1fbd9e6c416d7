//! The trust store: CA certificates from a directory, and whether a signer's certificate
//! chains up to one of them.

use std::path::Path;

use super::ChainStatus;
use super::algorithm::{PublicKey, SignatureAlgorithm, verify_hashed};
use super::certificate::ParsedCertificate;

/// The longest chain followed from the signer to a trusted CA.
const MAX_CHAIN_LENGTH: usize = 8;

/// Trusted CA certificates.
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    certificates: Vec<ParsedCertificate>,
}

impl TrustStore {
    /// Reads every certificate in the files of `dir` (PEM, several per file allowed, or DER).
    /// Files that hold no certificate are skipped; an unreadable directory is an error.
    pub fn from_dir(dir: &Path) -> std::io::Result<TrustStore> {
        let mut store = TrustStore::default();
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|entry| entry.file_name());
        for entry in entries {
            if !entry.file_type()?.is_file() {
                continue;
            }
            let bytes = std::fs::read(entry.path())?;
            let found = store.add(&bytes);
            if found == 0 {
                tracing::warn!(file = %entry.path().display(), "trust_store.no_certificate");
            }
        }
        Ok(store)
    }

    /// Adds the certificates in one PEM or DER file; returns how many were found.
    pub fn add(&mut self, bytes: &[u8]) -> usize {
        let before = self.certificates.len();
        if let Ok(certificate) = ParsedCertificate::from_der(bytes) {
            self.certificates.push(certificate);
        } else if let Ok(text) = std::str::from_utf8(bytes) {
            for block in pem_certificates(text) {
                if let Ok(certificate) = ParsedCertificate::from_der(&block) {
                    self.certificates.push(certificate);
                }
            }
        }
        self.certificates.len() - before
    }

    /// How many trusted certificates the store holds.
    pub fn len(&self) -> usize {
        self.certificates.len()
    }

    /// Whether the store holds no certificate.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
    }

    /// Follows issuers from `leaf` through `intermediates` (the other certificates of the
    /// signature file) until one is trusted.
    pub(crate) fn chain_status(
        &self,
        leaf: &ParsedCertificate,
        intermediates: &[ParsedCertificate],
    ) -> ChainStatus {
        let mut current = leaf;
        for _ in 0..MAX_CHAIN_LENGTH {
            if self
                .certificates
                .iter()
                .any(|trusted| trusted.der == current.der)
            {
                return ChainStatus::Trusted;
            }
            let issuer_name = &current.certificate.tbs_certificate.issuer;
            let named_issuers: Vec<&ParsedCertificate> = self
                .certificates
                .iter()
                .filter(|trusted| trusted.certificate.tbs_certificate.subject == *issuer_name)
                .collect();
            if named_issuers
                .iter()
                .any(|issuer| issued_by(current, issuer))
            {
                return ChainStatus::Trusted;
            }
            let next = intermediates.iter().find(|candidate| {
                candidate.der != current.der
                    && candidate.certificate.tbs_certificate.subject == *issuer_name
                    && issued_by(current, candidate)
            });
            match next {
                Some(intermediate) => current = intermediate,
                None if named_issuers.is_empty() => {
                    return ChainStatus::Untrusted(format!(
                        "издатель «{}» не найден среди доверенных УЦ",
                        current.issuer()
                    ));
                }
                None => {
                    return ChainStatus::Untrusted(format!(
                        "подпись УЦ «{}» под сертификатом не подтверждается",
                        current.issuer()
                    ));
                }
            }
        }
        ChainStatus::Untrusted("слишком длинная цепочка сертификатов".to_owned())
    }
}

/// Whether `issuer`'s key verifies the signature on `certificate`.
fn issued_by(certificate: &ParsedCertificate, issuer: &ParsedCertificate) -> bool {
    let spki = &issuer.certificate.tbs_certificate.subject_public_key_info;
    let Ok(key) = PublicKey::from_spki(spki) else {
        return false;
    };
    let Some(algorithm) =
        SignatureAlgorithm::from_identifier(&certificate.certificate.signature_algorithm)
    else {
        return false;
    };
    let Some(digest) = algorithm.digest else {
        return false;
    };
    let Some(signature) = certificate.certificate.signature.as_bytes() else {
        return false;
    };
    let hashed = digest.digest(&certificate.tbs);
    verify_hashed(&key, algorithm.scheme, digest, &hashed, signature).unwrap_or(false)
}

/// The DER of every `CERTIFICATE` block of a PEM text.
fn pem_certificates(text: &str) -> Vec<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let body_start = start + BEGIN.len();
        let Some(length) = rest[body_start..].find(END) else {
            break;
        };
        let body: String = rest[body_start..body_start + length]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        if let Ok(der) = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, body) {
            blocks.push(der);
        }
        rest = &rest[body_start + length + END.len()..];
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_certificate_block_of_a_pem_text_is_found() {
        let text = "junk\n-----BEGIN CERTIFICATE-----\nMAMC\nAQc=\n-----END CERTIFICATE-----\n\
                    -----BEGIN CERTIFICATE-----\r\nMAA=\r\n-----END CERTIFICATE-----\r\n\
                    -----BEGIN CERTIFICATE-----\nMAA=\n";
        assert_eq!(
            pem_certificates(text),
            vec![vec![0x30, 0x03, 0x02, 0x01, 0x07], vec![0x30, 0x00]]
        );
    }

    #[test]
    fn a_file_without_certificates_adds_nothing() {
        let mut store = TrustStore::default();
        assert_eq!(store.add(b"not a certificate"), 0);
        assert_eq!(store.add(&[0x30, 0x00]), 0);
        assert!(store.is_empty());
    }
}
