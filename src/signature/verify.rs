//! Verifying each signer of a parsed signature file against the document's digests: the
//! checks in the order the product specifies, the first failure being the verdict.

use chrono::{DateTime, Utc};

use super::algorithm::{self, KeyProblem, PublicKey, SignatureAlgorithm, Unsupported};
use super::certificate::ParsedCertificate;
use super::digest::{ContentDigests, DigestAlgorithm};
use super::parse::{SignatureFile, Signer};
use super::trust::TrustStore;
use super::{ChainStatus, Report, SignerReport, Verdict};

impl SignatureFile {
    /// Digest algorithms the signers need, so a large document is read once.
    pub fn digest_algorithms(&self) -> Vec<DigestAlgorithm> {
        let mut algorithms = Vec::new();
        for algorithm in self.signers.iter().filter_map(|s| s.digest_algorithm) {
            if !algorithms.contains(&algorithm) {
                algorithms.push(algorithm);
            }
        }
        algorithms
    }

    /// How many signers the file has.
    pub fn signer_count(&self) -> usize {
        self.signers.len()
    }

    /// Verifies every signer against the document's `digests` (which must include every
    /// algorithm of [`SignatureFile::digest_algorithms`]). The certificate validity is judged
    /// at the signing time, or at `upload_time` when the signing time is absent or later.
    pub fn verify(
        &self,
        digests: &ContentDigests,
        upload_time: DateTime<Utc>,
        trust: Option<&TrustStore>,
    ) -> Report {
        if let Some(missing) = self
            .digest_algorithms()
            .into_iter()
            .find(|algorithm| digests.get(*algorithm).is_none())
        {
            return Report::unreadable(format!(
                "не вычислен хеш документа по алгоритму {}",
                missing.name()
            ));
        }
        let signers: Vec<SignerReport> = self
            .signers
            .iter()
            .map(|signer| self.verify_signer(signer, digests, upload_time, trust))
            .collect();
        let verdict = signers
            .iter()
            .map(|signer| signer.verdict)
            .find(|verdict| *verdict != Verdict::Valid)
            .unwrap_or(Verdict::Valid);
        Report {
            verdict,
            reason: None,
            signers,
        }
    }

    fn verify_signer(
        &self,
        signer: &Signer,
        digests: &ContentDigests,
        upload_time: DateTime<Utc>,
        trust: Option<&TrustStore>,
    ) -> SignerReport {
        let certificate = &self.certificates[signer.certificate];
        let key = PublicKey::from_spki(
            &certificate
                .certificate
                .tbs_certificate
                .subject_public_key_info,
        );
        let signing_time = signer
            .signed_attributes
            .as_ref()
            .and_then(|attributes| attributes.signing_time);
        let checked_at = signing_time
            .filter(|signed| *signed <= upload_time)
            .unwrap_or(upload_time);
        let chain = match trust {
            Some(store) => store.chain_status(certificate, &self.certificates),
            None => ChainStatus::NotChecked,
        };
        let holder = certificate.holder();
        SignerReport {
            verdict: signer_verdict(signer, certificate, key.as_ref(), digests, checked_at),
            subject: holder.name,
            organisation: holder.organisation,
            title: holder.title,
            snils: holder.snils,
            inn: holder.inn,
            inn_le: holder.inn_le,
            ogrn: holder.ogrn,
            ogrnip: holder.ogrnip,
            email: holder.email,
            issuer: certificate.issuer(),
            serial: certificate.serial(),
            not_before: certificate.not_before(),
            not_after: certificate.not_after(),
            signing_time,
            algorithm: algorithm_name(signer, key.as_ref()),
            chain,
        }
    }
}

/// The checks of one signer in order: the signed digest matches the document, the signature
/// value is valid, the certificate is valid at `checked_at`. An algorithm we cannot check is
/// the verdict at the step that needs it.
fn signer_verdict(
    signer: &Signer,
    certificate: &ParsedCertificate,
    key: Result<&PublicKey, &KeyProblem>,
    digests: &ContentDigests,
    checked_at: DateTime<Utc>,
) -> Verdict {
    let Some(digest) = signer.digest_algorithm else {
        return Verdict::UnsupportedAlgorithm;
    };
    let Some(document_digest) = digests.get(digest) else {
        return Verdict::UnsupportedAlgorithm;
    };
    let hashed = match &signer.signed_attributes {
        Some(attributes) if attributes.message_digest != document_digest => {
            return Verdict::DigestMismatch;
        }
        Some(attributes) => digest.digest(&attributes.der),
        None => document_digest.to_vec(),
    };

    let Some(algorithm) = SignatureAlgorithm::from_identifier(&signer.signature_algorithm) else {
        return Verdict::UnsupportedAlgorithm;
    };
    if algorithm.digest.is_some_and(|named| named != digest) {
        return Verdict::UnsupportedAlgorithm;
    }
    let key = match key {
        Ok(key) => key,
        Err(KeyProblem::Unsupported(_)) => return Verdict::UnsupportedAlgorithm,
        Err(KeyProblem::Malformed) => return Verdict::BadSignature,
    };
    match algorithm::verify_hashed(key, algorithm.scheme, digest, &hashed, &signer.signature) {
        Ok(true) => {}
        Ok(false) => return Verdict::BadSignature,
        Err(Unsupported) => return Verdict::UnsupportedAlgorithm,
    }

    if checked_at < certificate.not_before() || checked_at > certificate.not_after() {
        return Verdict::CertNotValidAtSigningTime;
    }
    Verdict::Valid
}

/// The signer's algorithm in Russian; for an unsupported one, what it is.
fn algorithm_name(signer: &Signer, key: Result<&PublicKey, &KeyProblem>) -> String {
    let scheme = SignatureAlgorithm::from_identifier(&signer.signature_algorithm);
    match (key, scheme, signer.digest_algorithm) {
        (Ok(key), Some(algorithm), Some(digest)) => {
            algorithm::describe(key, algorithm.scheme, digest)
        }
        (Err(KeyProblem::Unsupported(what)), _, _) => format!("не поддерживается: {what}"),
        (Err(KeyProblem::Malformed), _, _) => "открытый ключ сертификата повреждён".to_owned(),
        (Ok(key), _, None) => format!(
            "{}, хеш {} не поддерживается",
            key.describe(),
            signer.digest_oid
        ),
        _ => format!(
            "не поддерживается: алгоритм подписи {}",
            signer.signature_algorithm.oid
        ),
    }
}
