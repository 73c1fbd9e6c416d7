//! Certificates inside a signature or a trust store: decoding them, and the signer's details
//! as Russian qualified certificates carry them (СНИЛС, ИНН, ОГРН in the subject name).

use chrono::{DateTime, Utc};
use const_oid::ObjectIdentifier;
use der::{Any, Decode, Tagged};
use x509_cert::Certificate;
use x509_cert::name::Name;
use x509_cert::time::Time;

use super::asn1::{self, Malformed, Tag};

const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const SURNAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.4");
const GIVEN_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.42");
const ORGANISATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const TITLE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.12");
const EMAIL: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.1");
const SNILS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.643.100.3");
const INN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.643.3.131.1.1");
const INN_LE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.643.100.4");
const OGRN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.643.100.1");
const OGRNIP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.643.100.5");
const SUBJECT_KEY_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");

/// Short names for the distinguished-name attributes shown in a full name.
const SHORT_NAMES: [(ObjectIdentifier, &str); 18] = [
    (COMMON_NAME, "CN"),
    (SURNAME, "SN"),
    (GIVEN_NAME, "G"),
    (TITLE, "T"),
    (ORGANISATION, "O"),
    (ObjectIdentifier::new_unwrap("2.5.4.11"), "OU"),
    (ObjectIdentifier::new_unwrap("2.5.4.6"), "C"),
    (ObjectIdentifier::new_unwrap("2.5.4.8"), "S"),
    (ObjectIdentifier::new_unwrap("2.5.4.7"), "L"),
    (ObjectIdentifier::new_unwrap("2.5.4.9"), "STREET"),
    (ObjectIdentifier::new_unwrap("2.5.4.5"), "SERIALNUMBER"),
    (EMAIL, "E"),
    (SNILS, "СНИЛС"),
    (INN, "ИНН"),
    (INN_LE, "ИНН ЮЛ"),
    (OGRN, "ОГРН"),
    (OGRNIP, "ОГРНИП"),
    (
        ObjectIdentifier::new_unwrap("0.9.2342.19200300.100.1.25"),
        "DC",
    ),
];

/// A certificate with the exact bytes it came in, which its issuer's signature covers.
#[derive(Clone, Debug)]
pub(crate) struct ParsedCertificate {
    pub certificate: Certificate,
    /// The whole certificate, DER.
    pub der: Vec<u8>,
    /// The `tbsCertificate` part, DER, as signed by the issuer.
    pub tbs: Vec<u8>,
}

impl ParsedCertificate {
    /// Decodes one DER certificate.
    pub fn from_der(der: &[u8]) -> Result<ParsedCertificate, Malformed> {
        let certificate =
            Certificate::from_der(der).map_err(|_| Malformed("не удалось прочитать сертификат"))?;
        let (outer, _) = asn1::element(der)?;
        let fields = outer.with_tag(Tag::SEQUENCE)?.children()?;
        let tbs = fields
            .first()
            .ok_or(Malformed("не удалось прочитать сертификат"))?
            .encoded
            .to_vec();
        Ok(ParsedCertificate {
            certificate,
            der: der.to_vec(),
            tbs,
        })
    }

    /// The key identifier from the subjectKeyIdentifier extension.
    pub fn subject_key_identifier(&self) -> Option<Vec<u8>> {
        let extensions = self.certificate.tbs_certificate.extensions.as_ref()?;
        let extension = extensions
            .iter()
            .find(|extension| extension.extn_id == SUBJECT_KEY_IDENTIFIER)?;
        let (identifier, _) = asn1::element(extension.extn_value.as_bytes()).ok()?;
        Some(
            identifier
                .with_tag(Tag::OCTET_STRING)
                .ok()?
                .content
                .to_vec(),
        )
    }

    /// Subject details of the certificate holder.
    pub fn holder(&self) -> Holder {
        Holder::from_name(&self.certificate.tbs_certificate.subject)
    }

    /// The issuer's common name, else its full distinguished name.
    pub fn issuer(&self) -> String {
        let issuer = &self.certificate.tbs_certificate.issuer;
        attribute(issuer, &COMMON_NAME).unwrap_or_else(|| full_name(issuer))
    }

    /// The serial number in uppercase hexadecimal, without leading zero bytes.
    pub fn serial(&self) -> String {
        let bytes = self.certificate.tbs_certificate.serial_number.as_bytes();
        let significant = bytes
            .iter()
            .position(|byte| *byte != 0)
            .map_or(&bytes[bytes.len().saturating_sub(1)..], |first| {
                &bytes[first..]
            });
        hex::encode_upper(significant)
    }

    /// Start of the validity period.
    pub fn not_before(&self) -> DateTime<Utc> {
        to_utc(self.certificate.tbs_certificate.validity.not_before)
    }

    /// End of the validity period.
    pub fn not_after(&self) -> DateTime<Utc> {
        to_utc(self.certificate.tbs_certificate.validity.not_after)
    }
}

/// An ASN.1 time as a chrono instant.
pub(crate) fn to_utc(time: Time) -> DateTime<Utc> {
    let since_epoch = time.to_unix_duration();
    let seconds = i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX);
    DateTime::from_timestamp(seconds, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Who a certificate names, as the card shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Holder {
    /// Full name: the common name, else surname and given names.
    pub name: String,
    pub organisation: Option<String>,
    pub title: Option<String>,
    pub snils: Option<String>,
    pub inn: Option<String>,
    pub inn_le: Option<String>,
    pub ogrn: Option<String>,
    pub ogrnip: Option<String>,
    pub email: Option<String>,
}

impl Holder {
    fn from_name(name: &Name) -> Holder {
        let display_name = attribute(name, &COMMON_NAME)
            .or_else(|| {
                let parts: Vec<String> = [SURNAME, GIVEN_NAME]
                    .iter()
                    .filter_map(|oid| attribute(name, oid))
                    .collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            })
            .unwrap_or_else(|| full_name(name));
        Holder {
            name: display_name,
            organisation: attribute(name, &ORGANISATION),
            title: attribute(name, &TITLE),
            snils: attribute(name, &SNILS),
            inn: attribute(name, &INN),
            inn_le: attribute(name, &INN_LE),
            ogrn: attribute(name, &OGRN),
            ogrnip: attribute(name, &OGRNIP),
            email: attribute(name, &EMAIL),
        }
    }
}

/// The first value of an attribute in a name, decoded and trimmed; `None` when absent or empty.
fn attribute(name: &Name, oid: &ObjectIdentifier) -> Option<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|pair| pair.oid == *oid)
        .find_map(|pair| decode_string(&pair.value))
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// The whole name as «CN=…, O=…», in the order the certificate lists it.
fn full_name(name: &Name) -> String {
    let parts: Vec<String> = name
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .map(|pair| {
            let label = SHORT_NAMES
                .iter()
                .find(|(oid, _)| *oid == pair.oid)
                .map_or_else(|| pair.oid.to_string(), |(_, short)| (*short).to_owned());
            let value = decode_string(&pair.value)
                .unwrap_or_else(|| format!("#{}", hex::encode(pair.value.value())));
            format!("{label}={}", value.trim())
        })
        .collect();
    parts.join(", ")
}

/// Decodes any of the ASN.1 string types names use: UTF8String, NumericString, PrintableString,
/// IA5String, VisibleString, TeletexString (read as Latin-1) and BMPString. (The `der` crate
/// refuses a name with a UniversalString before it gets here.)
fn decode_string(value: &Any) -> Option<String> {
    let bytes = value.value();
    match u8::from(value.tag()) {
        0x0c | 0x12 | 0x13 | 0x16 | 0x1a => Some(String::from_utf8_lossy(bytes).into_owned()),
        0x14 => Some(bytes.iter().map(|byte| char::from(*byte)).collect()),
        0x1e => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut der = vec![tag];
        match content.len() {
            short @ 0..=0x7f => der.push(short as u8),
            long @ 0x80..=0xff => der.extend_from_slice(&[0x81, long as u8]),
            long => der.extend_from_slice(&[0x82, (long >> 8) as u8, long as u8]),
        }
        der.extend_from_slice(content);
        der
    }

    /// DER of one AttributeTypeAndValue inside its own RDN SET.
    fn rdn(oid: &str, tag: u8, value: &[u8]) -> Vec<u8> {
        let oid = ObjectIdentifier::new(oid).expect("a valid OID");
        let pair = [tlv(0x06, oid.as_bytes()), tlv(tag, value)].concat();
        tlv(0x31, &tlv(0x30, &pair))
    }

    fn name(rdns: &[Vec<u8>]) -> Name {
        Name::from_der(&tlv(0x30, &rdns.concat())).expect("a valid name")
    }

    fn bmp(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(u16::to_be_bytes).collect()
    }

    #[test]
    fn russian_identifiers_are_read_from_numeric_and_utf8_strings() {
        let name = name(&[
            rdn("2.5.4.3", 0x0c, "Иванов Пётр".as_bytes()),
            rdn("1.2.643.100.3", 0x12, b"11223344595"),
            rdn("1.2.643.3.131.1.1", 0x0c, b"781234567890"),
            rdn("1.2.643.100.4", 0x12, b"7812345678"),
            rdn("1.2.643.100.1", 0x12, b"1027800000001"),
            rdn("1.2.643.100.5", 0x12, b"304780000000012"),
            rdn("1.2.840.113549.1.9.1", 0x16, b"ivanov@example.ru"),
            rdn("2.5.4.12", 0x1e, &bmp("Инженер")),
            rdn("2.5.4.10", 0x0c, "ГУП «Сети»".as_bytes()),
        ]);
        let holder = Holder::from_name(&name);
        assert_eq!(
            holder,
            Holder {
                name: "Иванов Пётр".to_owned(),
                organisation: Some("ГУП «Сети»".to_owned()),
                title: Some("Инженер".to_owned()),
                snils: Some("11223344595".to_owned()),
                inn: Some("781234567890".to_owned()),
                inn_le: Some("7812345678".to_owned()),
                ogrn: Some("1027800000001".to_owned()),
                ogrnip: Some("304780000000012".to_owned()),
                email: Some("ivanov@example.ru".to_owned()),
            }
        );
    }

    #[test]
    fn without_a_common_name_the_full_name_is_surname_and_given_names() {
        let name = name(&[
            rdn("2.5.4.4", 0x0c, "Петрова".as_bytes()),
            rdn("2.5.4.42", 0x0c, "Анна Ивановна".as_bytes()),
        ]);
        assert_eq!(Holder::from_name(&name).name, "Петрова Анна Ивановна");
    }

    #[test]
    fn without_any_personal_name_the_whole_distinguished_name_is_shown() {
        let name = name(&[
            rdn("2.5.4.6", 0x13, b"RU"),
            rdn("2.5.4.10", 0x14, b"Caf\xe9"),
            rdn("1.2.3.4", 0x04, &[0xab, 0xcd]),
        ]);
        assert_eq!(Holder::from_name(&name).name, "C=RU, O=Café, 1.2.3.4=#abcd");
    }

    #[test]
    fn blank_attributes_count_as_absent() {
        let name = name(&[rdn("2.5.4.3", 0x0c, b"X"), rdn("2.5.4.10", 0x0c, b"   ")]);
        assert_eq!(Holder::from_name(&name).organisation, None);
    }
}
