//! Reading a signature file: DER, BER, PEM or bare Base64 into a CMS SignedData with its
//! signers and certificates. Every failure is a short reason in Russian.

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chrono::{DateTime, Utc};
use cms::signed_data::{SignerIdentifier, SignerInfo};
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use x509_cert::time::Time;

use super::asn1::{self, Element, Malformed, Tag};
use super::certificate::{ParsedCertificate, to_utc};
use super::digest::DigestAlgorithm;

const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");

/// More signers than this in one file is refused: verifying each costs milliseconds, and no
/// real document is signed by so many in one file.
const MAX_SIGNERS: usize = 100;

/// Base64 as signature files write it: standard alphabet, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A parsed signature file.
#[derive(Clone, Debug)]
pub struct SignatureFile {
    pub(crate) signers: Vec<Signer>,
    /// Every certificate the file carries, the signers' and any others (e.g. intermediate CAs).
    pub(crate) certificates: Vec<ParsedCertificate>,
}

/// One SignerInfo, with its certificate found.
#[derive(Clone, Debug)]
pub(crate) struct Signer {
    /// Index of the signer's certificate in [`SignatureFile::certificates`].
    pub certificate: usize,
    /// The digest algorithm as the signer names it.
    pub digest_oid: ObjectIdentifier,
    /// `None` when the digest algorithm is not one we know.
    pub digest_algorithm: Option<DigestAlgorithm>,
    pub signature_algorithm: AlgorithmIdentifierOwned,
    pub signed_attributes: Option<SignedAttributes>,
    pub signature: Vec<u8>,
}

/// The signed attributes of a signer, with the bytes the signature covers.
#[derive(Clone, Debug)]
pub(crate) struct SignedAttributes {
    /// The attributes re-tagged as SET OF, exactly as they were encoded otherwise.
    pub der: Vec<u8>,
    pub message_digest: Vec<u8>,
    pub signing_time: Option<DateTime<Utc>>,
}

impl From<Malformed> for String {
    fn from(malformed: Malformed) -> String {
        malformed.0.to_owned()
    }
}

/// Reads a signature file in any of the encodings signature tools write.
pub fn parse(bytes: &[u8]) -> Result<SignatureFile, String> {
    let binary = decode_transfer_encoding(bytes)?;
    let (der, used) = asn1::ber_to_der(&binary)
        .map_err(|problem| format!("файл подписи повреждён: {}", problem.0))?;
    let trailing = &binary[used..];
    if !trailing
        .iter()
        .all(|byte| *byte == 0 || byte.is_ascii_whitespace())
    {
        return Err("после подписи в файле есть лишние данные".to_owned());
    }
    read_content_info(&der)
}

/// Turns PEM or bare Base64 into binary; binary input is passed through.
fn decode_transfer_encoding(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = bytes.iter().position(|byte| !byte.is_ascii_whitespace());
    let Some(start) = start else {
        return Err("файл подписи пуст".to_owned());
    };
    if bytes[start] == 0x30 {
        return Ok(bytes[start..].to_vec());
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err("это не файл подписи CMS (ни DER, ни Base64)".to_owned());
    };
    let base64_text = match pem_body(text) {
        Some(body) => body?,
        None => text.to_owned(),
    };
    let compact: String = base64_text
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let binary = BASE64
        .decode(compact.as_bytes())
        .map_err(|_| "это не файл подписи CMS (ни DER, ни Base64)".to_owned())?;
    if binary.first() != Some(&0x30) {
        return Err("в Base64 не подпись CMS".to_owned());
    }
    Ok(binary)
}

/// The Base64 between the first `-----BEGIN …-----` line and its END line, without headers;
/// `None` when the text is not PEM.
fn pem_body(text: &str) -> Option<Result<String, String>> {
    let begin = text.find("-----BEGIN ")?;
    let after_begin = &text[begin + "-----BEGIN ".len()..];
    let Some(label_end) = after_begin.find("-----") else {
        return Some(Err("неверный заголовок PEM".to_owned()));
    };
    let label = &after_begin[..label_end];
    let body_and_rest = &after_begin[label_end + "-----".len()..];
    let end_marker = format!("-----END {label}-----");
    let Some(body_end) = body_and_rest.find(&end_marker) else {
        return Some(Err("PEM не закончен строкой «-----END …-----»".to_owned()));
    };
    let body: String = body_and_rest[..body_end]
        .lines()
        .filter(|line| !line.contains(':'))
        .collect();
    Some(Ok(body))
}

/// ContentInfo ::= SEQUENCE { contentType, [0] EXPLICIT content }.
fn read_content_info(der: &[u8]) -> Result<SignatureFile, String> {
    let (content_info, _) = asn1::element(der)?;
    let fields = content_info.with_tag(Tag::SEQUENCE)?.children()?;
    let [content_type, content] = fields.as_slice() else {
        return Err("это не подпись CMS".to_owned());
    };
    let content_type = content_type.oid()?;
    if content_type != SIGNED_DATA {
        return Err(format!(
            "это не подпись CMS SignedData (тип {content_type})"
        ));
    }
    let inner = content.with_tag(Tag::context(0, true))?.children()?;
    let [signed_data] = inner.as_slice() else {
        return Err("это не подпись CMS".to_owned());
    };
    read_signed_data(signed_data)
}

/// SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo,
/// [0] certificates OPTIONAL, [1] crls OPTIONAL, signerInfos }.
fn read_signed_data(signed_data: &Element<'_>) -> Result<SignatureFile, String> {
    let fields = signed_data.with_tag(Tag::SEQUENCE)?.children()?;
    let Some((signer_infos, fields)) = fields.split_last() else {
        return Err("пустая структура SignedData".to_owned());
    };
    if fields.len() < 3 {
        return Err("неполная структура SignedData".to_owned());
    }
    fields[0].with_tag(Tag::INTEGER)?;
    fields[1].with_tag(Tag::SET)?;
    fields[2].with_tag(Tag::SEQUENCE)?;
    let mut certificates = Vec::new();
    for optional in &fields[3..] {
        if optional.tag == Tag::context(0, true) {
            certificates = read_certificates(optional)?;
        } else if optional.tag != Tag::context(1, true) {
            return Err("неожиданное поле в структуре SignedData".to_owned());
        }
    }

    let signer_infos = signer_infos.with_tag(Tag::SET)?.children()?;
    if signer_infos.is_empty() {
        return Err("в подписи нет ни одного подписанта".to_owned());
    }
    if signer_infos.len() > MAX_SIGNERS {
        return Err(format!("в подписи больше {MAX_SIGNERS} подписантов"));
    }
    let signers = signer_infos
        .iter()
        .map(|signer_info| read_signer(signer_info, &certificates))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(SignatureFile {
        signers,
        certificates,
    })
}

/// The X.509 certificates of the CertificateSet; other certificate kinds are skipped.
fn read_certificates(set: &Element<'_>) -> Result<Vec<ParsedCertificate>, String> {
    let mut certificates = Vec::new();
    for choice in set.children()? {
        if choice.tag == Tag::SEQUENCE {
            certificates.push(ParsedCertificate::from_der(choice.encoded)?);
        }
    }
    Ok(certificates)
}

fn read_signer(
    element: &Element<'_>,
    certificates: &[ParsedCertificate],
) -> Result<Signer, String> {
    let signer_info = SignerInfo::from_der(element.encoded)
        .map_err(|_| "не удалось прочитать сведения о подписанте (SignerInfo)".to_owned())?;
    let certificate = find_certificate(&signer_info.sid, certificates)
        .ok_or_else(|| "в подписи нет сертификата подписанта".to_owned())?;
    let signed_attributes = match &signer_info.signed_attrs {
        Some(attributes) => Some(read_signed_attributes(element, attributes)?),
        None => None,
    };
    Ok(Signer {
        certificate,
        digest_oid: signer_info.digest_alg.oid,
        digest_algorithm: DigestAlgorithm::from_oid(&signer_info.digest_alg.oid),
        signature_algorithm: signer_info.signature_algorithm.clone(),
        signed_attributes,
        signature: signer_info.signature.as_bytes().to_vec(),
    })
}

/// The index of the certificate the signer identifier points at.
fn find_certificate(sid: &SignerIdentifier, certificates: &[ParsedCertificate]) -> Option<usize> {
    certificates.iter().position(|candidate| match sid {
        SignerIdentifier::IssuerAndSerialNumber(wanted) => {
            let tbs = &candidate.certificate.tbs_certificate;
            tbs.serial_number == wanted.serial_number && tbs.issuer == wanted.issuer
        }
        SignerIdentifier::SubjectKeyIdentifier(wanted) => {
            candidate.subject_key_identifier().as_deref() == Some(wanted.0.as_bytes())
        }
    })
}

/// The signed attributes: their exact bytes re-tagged as SET OF, the message digest and the
/// signing time.
fn read_signed_attributes(
    signer_info: &Element<'_>,
    attributes: &cms::signed_data::SignedAttributes,
) -> Result<SignedAttributes, String> {
    let fields = signer_info.children()?;
    let raw = fields
        .iter()
        .find(|field| field.tag == Tag::context(0, true))
        .ok_or_else(|| "не найдены подписанные атрибуты".to_owned())?;
    let mut der = raw.encoded.to_vec();
    der[0] = 0x31;

    let value_of = |oid: ObjectIdentifier| {
        attributes
            .iter()
            .find(|attribute| attribute.oid == oid)
            .map(|attribute| attribute.values.iter().next())
    };
    let message_digest = match value_of(MESSAGE_DIGEST) {
        Some(Some(value)) => value
            .decode_as::<der::asn1::OctetString>()
            .map_err(|_| "повреждён атрибут messageDigest".to_owned())?
            .into_bytes(),
        _ => return Err("в подписи нет атрибута messageDigest".to_owned()),
    };
    let signing_time = match value_of(SIGNING_TIME) {
        Some(Some(value)) => {
            let encoded = value
                .to_der()
                .map_err(|_| "повреждён атрибут signingTime")?;
            let time = Time::from_der(&encoded).map_err(|_| "повреждён атрибут signingTime")?;
            Some(to_utc(time))
        }
        Some(None) => return Err("повреждён атрибут signingTime".to_owned()),
        None => None,
    };
    Ok(SignedAttributes {
        der,
        message_digest,
        signing_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &[u8] = &[0x30, 0x03, 0x02, 0x01, 0x07];

    #[test]
    fn der_is_passed_through() {
        assert_eq!(decode_transfer_encoding(SAMPLE), Ok(SAMPLE.to_vec()));
    }

    #[test]
    fn pem_with_any_label_and_headers_is_decoded() {
        for label in ["CMS", "PKCS7", "SIGNED MESSAGE", "ЧТО УГОДНО"] {
            let pem = format!(
                "Пояснение до PEM\r\n-----BEGIN {label}-----\r\nVersion: 1\r\n\r\nMAMC\r\nAQc=\r\n-----END {label}-----\r\n"
            );
            assert_eq!(
                decode_transfer_encoding(pem.as_bytes()),
                Ok(SAMPLE.to_vec()),
                "{label}"
            );
        }
    }

    #[test]
    fn bare_base64_with_crlf_and_without_padding_is_decoded() {
        assert_eq!(
            decode_transfer_encoding(b"MAMC\r\nAQc=\r\n"),
            Ok(SAMPLE.to_vec())
        );
        assert_eq!(
            decode_transfer_encoding(b"  MAMCAQc\n"),
            Ok(SAMPLE.to_vec())
        );
        assert_eq!(
            decode_transfer_encoding(b"\xef\xbb\xbfMAMCAQc="),
            Ok(SAMPLE.to_vec())
        );
    }

    #[test]
    fn pem_without_its_end_line_is_refused() {
        let pem = b"-----BEGIN CMS-----\nMAMCAQc=\n";
        assert!(decode_transfer_encoding(pem).is_err());
    }

    #[test]
    fn text_that_is_not_base64_is_refused() {
        assert!(decode_transfer_encoding(b"hello, world").is_err());
        assert!(decode_transfer_encoding(b"").is_err());
        assert!(decode_transfer_encoding(b" \r\n").is_err());
        assert!(decode_transfer_encoding(&[0xff, 0xfe, 0x00]).is_err());
        // Valid Base64 of something that is not a DER SEQUENCE.
        assert!(decode_transfer_encoding(b"aGVsbG8=").is_err());
    }

    #[test]
    fn structures_other_than_signed_data_are_refused_with_a_reason() {
        // ContentInfo of type id-data.
        let data = [
            0x30, 0x0f, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01, 0xa0,
            0x02, 0x04, 0x00,
        ];
        let reason = parse(&data).expect_err("not SignedData");
        assert!(reason.contains("1.2.840.113549.1.7.1"), "{reason}");
        assert!(parse(SAMPLE).is_err());
    }

    #[test]
    fn signed_data_without_signers_is_refused() {
        // ContentInfo { signedData, [0] SignedData { 1, {}, { id-data }, {} } }.
        let empty = [
            0x30, 0x23, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0,
            0x16, 0x30, 0x14, 0x02, 0x01, 0x01, 0x31, 0x00, 0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86,
            0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01, 0x31, 0x00,
        ];
        assert_eq!(
            parse(&empty).expect_err("no signers"),
            "в подписи нет ни одного подписанта"
        );
    }

    #[test]
    fn trailing_garbage_is_refused_but_trailing_newlines_are_not() {
        let empty_signers = [
            0x30, 0x23, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0,
            0x16, 0x30, 0x14, 0x02, 0x01, 0x01, 0x31, 0x00, 0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86,
            0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01, 0x31, 0x00,
        ];
        let with_newline = [&empty_signers[..], b"\r\n"].concat();
        assert_eq!(
            parse(&with_newline).expect_err("no signers"),
            "в подписи нет ни одного подписанта"
        );
        let with_garbage = [&empty_signers[..], b"xyz"].concat();
        assert_eq!(
            parse(&with_garbage).expect_err("garbage"),
            "после подписи в файле есть лишние данные"
        );
    }
}
