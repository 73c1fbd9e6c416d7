//! The digest algorithms signatures use, and hashing a document once with all that it needs.

use const_oid::ObjectIdentifier;
use serde::Serialize;
use sha2::Digest as _;
use streebog::Digest as _;

/// A hash function a signer may have digested the document with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestAlgorithm {
    /// GOST R 34.11-2012, 256 bits.
    Streebog256,
    /// GOST R 34.11-2012, 512 bits.
    Streebog512,
    Sha256,
    Sha384,
    Sha512,
}

const STREEBOG_256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.643.7.1.1.2.2");
const STREEBOG_512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.643.7.1.1.2.3");
const SHA_256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA_384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA_512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

impl DigestAlgorithm {
    /// The algorithm a digest-algorithm OID names, if it is one of ours.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<DigestAlgorithm> {
        [
            (STREEBOG_256, DigestAlgorithm::Streebog256),
            (STREEBOG_512, DigestAlgorithm::Streebog512),
            (SHA_256, DigestAlgorithm::Sha256),
            (SHA_384, DigestAlgorithm::Sha384),
            (SHA_512, DigestAlgorithm::Sha512),
        ]
        .into_iter()
        .find_map(|(known, algorithm)| (known == *oid).then_some(algorithm))
    }

    /// The name people know it by.
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Streebog256 => "ГОСТ Р 34.11-2012 (256 бит)",
            DigestAlgorithm::Streebog512 => "ГОСТ Р 34.11-2012 (512 бит)",
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha384 => "SHA-384",
            DigestAlgorithm::Sha512 => "SHA-512",
        }
    }

    /// The digest of a whole byte string.
    pub fn digest(self, bytes: &[u8]) -> Vec<u8> {
        let mut hasher = Hasher::new(self);
        hasher.update(bytes);
        hasher.finish()
    }
}

/// One running hash.
#[derive(Clone)]
enum Hasher {
    Streebog256(streebog::Streebog256),
    Streebog512(streebog::Streebog512),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    fn new(algorithm: DigestAlgorithm) -> Hasher {
        match algorithm {
            DigestAlgorithm::Streebog256 => Hasher::Streebog256(Default::default()),
            DigestAlgorithm::Streebog512 => Hasher::Streebog512(Default::default()),
            DigestAlgorithm::Sha256 => Hasher::Sha256(Default::default()),
            DigestAlgorithm::Sha384 => Hasher::Sha384(Default::default()),
            DigestAlgorithm::Sha512 => Hasher::Sha512(Default::default()),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Streebog256(hasher) => hasher.update(bytes),
            Hasher::Streebog512(hasher) => hasher.update(bytes),
            Hasher::Sha256(hasher) => hasher.update(bytes),
            Hasher::Sha384(hasher) => hasher.update(bytes),
            Hasher::Sha512(hasher) => hasher.update(bytes),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Streebog256(hasher) => hasher.finalize().to_vec(),
            Hasher::Streebog512(hasher) => hasher.finalize().to_vec(),
            Hasher::Sha256(hasher) => hasher.finalize().to_vec(),
            Hasher::Sha384(hasher) => hasher.finalize().to_vec(),
            Hasher::Sha512(hasher) => hasher.finalize().to_vec(),
        }
    }
}

/// Hashes a document as it streams by, with every algorithm the signers need.
pub struct ContentHasher {
    hashers: Vec<(DigestAlgorithm, Hasher)>,
}

impl std::fmt::Debug for ContentHasher {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let algorithms: Vec<DigestAlgorithm> = self.hashers.iter().map(|(a, _)| *a).collect();
        formatter
            .debug_struct("ContentHasher")
            .field("algorithms", &algorithms)
            .finish()
    }
}

impl ContentHasher {
    /// A hasher for each distinct algorithm.
    pub fn new(algorithms: &[DigestAlgorithm]) -> ContentHasher {
        let mut hashers: Vec<(DigestAlgorithm, Hasher)> = Vec::new();
        for algorithm in algorithms {
            if !hashers.iter().any(|(known, _)| known == algorithm) {
                hashers.push((*algorithm, Hasher::new(*algorithm)));
            }
        }
        ContentHasher { hashers }
    }

    /// Feeds the next part of the document.
    pub fn update(&mut self, bytes: &[u8]) {
        for (_, hasher) in &mut self.hashers {
            hasher.update(bytes);
        }
    }

    /// The digests of everything fed.
    pub fn finish(self) -> ContentDigests {
        ContentDigests {
            digests: self
                .hashers
                .into_iter()
                .map(|(algorithm, hasher)| (algorithm, hasher.finish()))
                .collect(),
        }
    }
}

/// The digests of one document, by algorithm.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContentDigests {
    digests: Vec<(DigestAlgorithm, Vec<u8>)>,
}

impl ContentDigests {
    /// The document's digest by `algorithm`, if it was computed.
    pub fn get(&self, algorithm: DigestAlgorithm) -> Option<&[u8]> {
        self.digests
            .iter()
            .find(|(known, _)| *known == algorithm)
            .map(|(_, digest)| digest.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streebog_gives_the_digests_of_the_standard_example() {
        // GOST R 34.11-2012 appendix A, example 1: the 63-byte message «0123…012». The digests
        // are written in the byte order OpenSSL's GOST engine prints them in.
        let message = b"012345678901234567890123456789012345678901234567890123456789012";
        assert_eq!(
            hex::encode(DigestAlgorithm::Streebog256.digest(message)),
            "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500"
        );
        assert_eq!(
            hex::encode(DigestAlgorithm::Streebog512.digest(message)),
            concat!(
                "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa",
                "00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48"
            )
        );
    }

    #[test]
    fn streaming_in_pieces_gives_the_same_digests_as_hashing_at_once() {
        let document: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let algorithms = [
            DigestAlgorithm::Streebog256,
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Streebog256,
            DigestAlgorithm::Sha512,
        ];
        let mut hasher = ContentHasher::new(&algorithms);
        for piece in document.chunks(777) {
            hasher.update(piece);
        }
        let digests = hasher.finish();
        for algorithm in algorithms {
            assert_eq!(
                digests.get(algorithm),
                Some(algorithm.digest(&document).as_slice())
            );
        }
        assert_eq!(digests.get(DigestAlgorithm::Sha384), None);
    }

    #[test]
    fn digest_oids_are_recognised_and_others_are_not() {
        assert_eq!(
            DigestAlgorithm::from_oid(&STREEBOG_512),
            Some(DigestAlgorithm::Streebog512)
        );
        assert_eq!(
            DigestAlgorithm::from_oid(&SHA_384),
            Some(DigestAlgorithm::Sha384)
        );
        let sha1 = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
        assert_eq!(DigestAlgorithm::from_oid(&sha1), None);
    }
}
