//! Public keys and signature algorithms: which ones a certificate or a signer names, their
//! Russian names, and checking a signature value over an already hashed message.

use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, Pss, RsaPublicKey};
use sha2::{Sha256, Sha384, Sha512};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::asn1::{self, Tag};
use super::digest::DigestAlgorithm;
use super::gost;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_WITH_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const GOST_2012_256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.643.7.1.1.1.1");
const GOST_2012_512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.643.7.1.1.1.2");
const GOST_2012_256_WITH_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.643.7.1.1.3.2");
const GOST_2012_512_WITH_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.643.7.1.1.3.3");

/// The longest RSA modulus the `rsa` crate accepts.
const MAX_RSA_BITS: usize = 4096;

/// A public key of a kind we can verify with.
#[derive(Debug)]
pub(crate) enum PublicKey {
    Gost(gost::PublicKey),
    Rsa(RsaPublicKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

/// Why a certificate's key cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyProblem {
    /// An algorithm or curve we do not support, described for people.
    Unsupported(String),
    /// A key of a supported kind that does not decode.
    Malformed,
}

impl PublicKey {
    /// Reads the key of a certificate.
    pub fn from_spki(spki: &SubjectPublicKeyInfoOwned) -> Result<PublicKey, KeyProblem> {
        let algorithm = &spki.algorithm.oid;
        let key_bytes = spki
            .subject_public_key
            .as_bytes()
            .ok_or(KeyProblem::Malformed)?;
        if *algorithm == GOST_2012_256 || *algorithm == GOST_2012_512 {
            let expected_bits = if *algorithm == GOST_2012_256 {
                256
            } else {
                512
            };
            let parameter_set = gost_parameter_set(&spki.algorithm)?;
            let curve = gost::curve_for_parameter_set(&parameter_set)
                .filter(|curve| curve.bits() == expected_bits)
                .ok_or_else(|| {
                    KeyProblem::Unsupported(format!(
                        "ГОСТ Р 34.10-2012 с параметрами {parameter_set}"
                    ))
                })?;
            let (octets, rest) = asn1::element(key_bytes).map_err(|_| KeyProblem::Malformed)?;
            let octets = octets
                .with_tag(Tag::OCTET_STRING)
                .map_err(|_| KeyProblem::Malformed)?;
            if !rest.is_empty() {
                return Err(KeyProblem::Malformed);
            }
            gost::PublicKey::from_le_coordinates(curve, octets.content)
                .map(PublicKey::Gost)
                .ok_or(KeyProblem::Malformed)
        } else if *algorithm == RSA_ENCRYPTION || *algorithm == RSASSA_PSS {
            let numbers =
                rsa::pkcs1::RsaPublicKey::from_der(key_bytes).map_err(|_| KeyProblem::Malformed)?;
            if numbers.modulus.as_bytes().len() > MAX_RSA_BITS / 8 {
                return Err(KeyProblem::Unsupported(format!(
                    "RSA длиннее {MAX_RSA_BITS} бит"
                )));
            }
            RsaPublicKey::from_pkcs1_der(key_bytes)
                .map(PublicKey::Rsa)
                .map_err(|_| KeyProblem::Malformed)
        } else if *algorithm == EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|parameters| parameters.decode_as::<ObjectIdentifier>().ok())
                .ok_or_else(|| KeyProblem::Unsupported("ECDSA без именованной кривой".into()))?;
            if curve == P256 {
                p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                    .map(PublicKey::P256)
                    .map_err(|_| KeyProblem::Malformed)
            } else if curve == P384 {
                p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                    .map(PublicKey::P384)
                    .map_err(|_| KeyProblem::Malformed)
            } else {
                Err(KeyProblem::Unsupported(format!("ECDSA на кривой {curve}")))
            }
        } else {
            Err(KeyProblem::Unsupported(format!("ключ {algorithm}")))
        }
    }

    /// The key's algorithm and size in Russian, e.g. «RSA 2048 бит».
    pub fn describe(&self) -> String {
        match self {
            PublicKey::Gost(key) => format!("ГОСТ Р 34.10-2012, {} бит", key.curve().bits()),
            PublicKey::Rsa(key) => format!("RSA {} бит", key.n().bits()),
            PublicKey::P256(_) => "ECDSA P-256".to_owned(),
            PublicKey::P384(_) => "ECDSA P-384".to_owned(),
        }
    }
}

/// The first OID of the GOST key parameters: the parameter set (curve).
fn gost_parameter_set(
    algorithm: &AlgorithmIdentifierOwned,
) -> Result<ObjectIdentifier, KeyProblem> {
    let parameters = algorithm
        .parameters
        .as_ref()
        .ok_or_else(|| KeyProblem::Unsupported("ГОСТ Р 34.10-2012 без параметров".to_owned()))?;
    let encoded = parameters.to_der().map_err(|_| KeyProblem::Malformed)?;
    let (sequence, _) = asn1::element(&encoded).map_err(|_| KeyProblem::Malformed)?;
    let fields = sequence
        .with_tag(Tag::SEQUENCE)
        .and_then(|sequence| sequence.children())
        .map_err(|_| KeyProblem::Malformed)?;
    fields
        .first()
        .ok_or(KeyProblem::Malformed)?
        .oid()
        .map_err(|_| KeyProblem::Malformed)
}

/// How a signature value is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Gost,
    RsaPkcs1,
    RsaPss { salt_len: usize },
    Ecdsa,
}

/// A signature algorithm identifier understood: the scheme and the digest it names, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SignatureAlgorithm {
    pub scheme: Scheme,
    pub digest: Option<DigestAlgorithm>,
}

impl SignatureAlgorithm {
    /// Reads a signature algorithm identifier; `None` for one we do not support.
    pub fn from_identifier(identifier: &AlgorithmIdentifierOwned) -> Option<SignatureAlgorithm> {
        let oid = identifier.oid;
        let (scheme, digest) = if oid == GOST_2012_256 || oid == GOST_2012_512 {
            (Scheme::Gost, None)
        } else if oid == GOST_2012_256_WITH_DIGEST {
            (Scheme::Gost, Some(DigestAlgorithm::Streebog256))
        } else if oid == GOST_2012_512_WITH_DIGEST {
            (Scheme::Gost, Some(DigestAlgorithm::Streebog512))
        } else if oid == RSA_ENCRYPTION {
            (Scheme::RsaPkcs1, None)
        } else if oid == SHA256_WITH_RSA {
            (Scheme::RsaPkcs1, Some(DigestAlgorithm::Sha256))
        } else if oid == SHA384_WITH_RSA {
            (Scheme::RsaPkcs1, Some(DigestAlgorithm::Sha384))
        } else if oid == SHA512_WITH_RSA {
            (Scheme::RsaPkcs1, Some(DigestAlgorithm::Sha512))
        } else if oid == RSASSA_PSS {
            let (digest, salt_len) = pss_parameters(identifier)?;
            (Scheme::RsaPss { salt_len }, Some(digest))
        } else if oid == EC_PUBLIC_KEY {
            (Scheme::Ecdsa, None)
        } else if oid == ECDSA_WITH_SHA256 {
            (Scheme::Ecdsa, Some(DigestAlgorithm::Sha256))
        } else if oid == ECDSA_WITH_SHA384 {
            (Scheme::Ecdsa, Some(DigestAlgorithm::Sha384))
        } else if oid == ECDSA_WITH_SHA512 {
            (Scheme::Ecdsa, Some(DigestAlgorithm::Sha512))
        } else {
            return None;
        };
        Some(SignatureAlgorithm { scheme, digest })
    }
}

/// The digest and salt length of RSASSA-PSS parameters, when MGF1 uses the same digest.
fn pss_parameters(identifier: &AlgorithmIdentifierOwned) -> Option<(DigestAlgorithm, usize)> {
    let encoded = identifier.parameters.as_ref()?.to_der().ok()?;
    let parameters = rsa::pkcs1::RsaPssParams::from_der(&encoded).ok()?;
    let digest = DigestAlgorithm::from_oid(&parameters.hash.oid)?;
    let mask_digest = parameters.mask_gen.parameters.map(|hash| hash.oid)?;
    let same_mask_digest = parameters.mask_gen.oid == MGF1 && mask_digest == parameters.hash.oid;
    same_mask_digest.then_some((digest, usize::from(parameters.salt_len)))
}

/// The signature's algorithm in Russian for the card, e.g. «RSA 2048 бит, SHA-256».
pub(crate) fn describe(key: &PublicKey, scheme: Scheme, digest: DigestAlgorithm) -> String {
    match (key, scheme) {
        (PublicKey::Gost(_), _) => key.describe(),
        (PublicKey::Rsa(rsa), Scheme::RsaPss { .. }) => {
            format!("RSA-PSS {} бит, {}", rsa.n().bits(), digest.name())
        }
        _ => format!("{}, {}", key.describe(), digest.name()),
    }
}

/// The combination of key, scheme and digest is not one we verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unsupported;

/// Checks `signature` over a message whose `digest`-algorithm hash is `hashed`.
pub(crate) fn verify_hashed(
    key: &PublicKey,
    scheme: Scheme,
    digest: DigestAlgorithm,
    hashed: &[u8],
    signature: &[u8],
) -> Result<bool, Unsupported> {
    let is_gost_digest = matches!(
        digest,
        DigestAlgorithm::Streebog256 | DigestAlgorithm::Streebog512
    );
    match (key, scheme) {
        (PublicKey::Gost(key), Scheme::Gost) if is_gost_digest => Ok(key.verify(hashed, signature)),
        (PublicKey::Rsa(key), Scheme::RsaPkcs1) if !is_gost_digest => {
            let padding = match digest {
                DigestAlgorithm::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
                DigestAlgorithm::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
                _ => Pkcs1v15Sign::new::<Sha256>(),
            };
            Ok(key.verify(padding, hashed, signature).is_ok())
        }
        (PublicKey::Rsa(key), Scheme::RsaPss { salt_len }) if !is_gost_digest => {
            let padding = match digest {
                DigestAlgorithm::Sha384 => Pss::new_with_salt::<Sha384>(salt_len),
                DigestAlgorithm::Sha512 => Pss::new_with_salt::<Sha512>(salt_len),
                _ => Pss::new_with_salt::<Sha256>(salt_len),
            };
            Ok(key.verify(padding, hashed, signature).is_ok())
        }
        (PublicKey::P256(key), Scheme::Ecdsa) if !is_gost_digest => {
            let Ok(signature) = p256::ecdsa::Signature::from_der(signature) else {
                return Ok(false);
            };
            Ok(key.verify_prehash(hashed, &signature).is_ok())
        }
        (PublicKey::P384(key), Scheme::Ecdsa) if !is_gost_digest => {
            let Ok(signature) = p384::ecdsa::Signature::from_der(signature) else {
                return Ok(false);
            };
            Ok(key.verify_prehash(hashed, &signature).is_ok())
        }
        _ => Err(Unsupported),
    }
}
