//! A small BER reader: re-encodes BER (indefinite lengths, constructed strings) as DER and
//! walks DER element by element, keeping each element's exact bytes.

use const_oid::ObjectIdentifier;

/// Nesting deeper than this is refused: no real signature comes near it, and it bounds recursion.
const MAX_DEPTH: usize = 40;

/// Why a byte string is not BER, said in Russian for the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Malformed(pub &'static str);

/// The identifier of an element: its class, whether it is constructed, and its number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tag {
    class: u8,
    constructed: bool,
    number: u32,
}

impl Tag {
    pub const INTEGER: Tag = Tag::universal(2, false);
    pub const OCTET_STRING: Tag = Tag::universal(4, false);
    pub const OBJECT_IDENTIFIER: Tag = Tag::universal(6, false);
    pub const SEQUENCE: Tag = Tag::universal(16, true);
    pub const SET: Tag = Tag::universal(17, true);

    const UNIVERSAL: u8 = 0x00;
    const CONTEXT: u8 = 0x80;

    const fn universal(number: u32, constructed: bool) -> Tag {
        Tag {
            class: Tag::UNIVERSAL,
            constructed,
            number,
        }
    }

    /// A context-specific tag `[number]`.
    pub const fn context(number: u32, constructed: bool) -> Tag {
        Tag {
            class: Tag::CONTEXT,
            constructed,
            number,
        }
    }

    /// Universal string types that BER may split into constructed pieces and DER may not.
    fn is_splittable_string(self) -> bool {
        self.class == Tag::UNIVERSAL && matches!(self.number, 3 | 4 | 12 | 18..=22 | 25..=30)
    }
}

/// One element of a DER encoding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Element<'a> {
    pub tag: Tag,
    /// The content octets.
    pub content: &'a [u8],
    /// The whole element: identifier, length and content.
    pub encoded: &'a [u8],
}

impl<'a> Element<'a> {
    /// The elements inside a constructed element.
    pub fn children(&self) -> Result<Vec<Element<'a>>, Malformed> {
        if !self.tag.constructed {
            return Err(Malformed("ожидалась составная структура ASN.1"));
        }
        elements(self.content)
    }

    /// The element itself when it has the expected tag.
    pub fn with_tag(self, tag: Tag) -> Result<Element<'a>, Malformed> {
        if self.tag == tag {
            Ok(self)
        } else {
            Err(Malformed("неожиданный тип поля в структуре ASN.1"))
        }
    }

    /// The value of an OBJECT IDENTIFIER element.
    pub fn oid(&self) -> Result<ObjectIdentifier, Malformed> {
        let element = self.with_tag(Tag::OBJECT_IDENTIFIER)?;
        ObjectIdentifier::from_bytes(element.content)
            .map_err(|_| Malformed("неверный идентификатор объекта (OID)"))
    }
}

/// Reads the first DER element of `input` and returns it with the bytes after it.
pub(crate) fn element(input: &[u8]) -> Result<(Element<'_>, &[u8]), Malformed> {
    let header = Header::read(input)?;
    let Some(length) = header.length else {
        return Err(Malformed("неопределённая длина там, где ожидался DER"));
    };
    let end = header
        .size
        .checked_add(length)
        .filter(|end| *end <= input.len())
        .ok_or(TRUNCATED)?;
    let element = Element {
        tag: header.tag,
        content: &input[header.size..end],
        encoded: &input[..end],
    };
    Ok((element, &input[end..]))
}

/// Reads consecutive DER elements filling `input` exactly.
pub(crate) fn elements(mut input: &[u8]) -> Result<Vec<Element<'_>>, Malformed> {
    let mut found = Vec::new();
    while !input.is_empty() {
        let (next, rest) = element(input)?;
        found.push(next);
        input = rest;
    }
    Ok(found)
}

/// Re-encodes the first BER element of `input` as DER. Returns the DER and the number of input
/// bytes the element took. DER input comes back unchanged.
pub(crate) fn ber_to_der(input: &[u8]) -> Result<(Vec<u8>, usize), Malformed> {
    let mut output = Vec::with_capacity(input.len());
    let consumed = convert(input, 0, &mut output)?;
    Ok((output, consumed))
}

const TRUNCATED: Malformed = Malformed("данные обрезаны");

/// The identifier and length octets of an element.
struct Header<'a> {
    tag: Tag,
    /// The identifier octets as they were written.
    identifier: &'a [u8],
    /// `None` for the indefinite form.
    length: Option<usize>,
    /// How many bytes the identifier and length took.
    size: usize,
}

impl<'a> Header<'a> {
    fn read(input: &'a [u8]) -> Result<Header<'a>, Malformed> {
        let first = *input.first().ok_or(TRUNCATED)?;
        let mut position = 1;
        let mut number = u32::from(first & 0x1f);
        if number == 0x1f {
            number = 0;
            loop {
                let byte = *input.get(position).ok_or(TRUNCATED)?;
                position += 1;
                if number > 0x00ff_ffff {
                    return Err(Malformed("слишком большой номер тега"));
                }
                number = (number << 7) | u32::from(byte & 0x7f);
                if byte & 0x80 == 0 {
                    break;
                }
            }
        }
        let tag = Tag {
            class: first & 0xc0,
            constructed: first & 0x20 != 0,
            number,
        };
        let identifier = &input[..position];

        let first_length = *input.get(position).ok_or(TRUNCATED)?;
        position += 1;
        let length = match first_length {
            short @ 0..=0x7f => Some(usize::from(short)),
            0x80 if tag.constructed => None,
            0x80 => return Err(Malformed("неопределённая длина у простого поля")),
            0xff => return Err(Malformed("неверная длина поля")),
            long => {
                let count = usize::from(long & 0x7f);
                if count > 4 {
                    return Err(Malformed("слишком длинное поле"));
                }
                let bytes = input.get(position..position + count).ok_or(TRUNCATED)?;
                position += count;
                let value = bytes
                    .iter()
                    .fold(0usize, |value, byte| (value << 8) | usize::from(*byte));
                Some(value)
            }
        };
        Ok(Header {
            tag,
            identifier,
            length,
            size: position,
        })
    }
}

/// Converts one element at the start of `input`, appending its DER to `output`; returns the
/// number of bytes it took in `input`.
fn convert(input: &[u8], depth: usize, output: &mut Vec<u8>) -> Result<usize, Malformed> {
    if depth > MAX_DEPTH {
        return Err(Malformed("слишком глубокая вложенность структуры ASN.1"));
    }
    let header = Header::read(input)?;
    let body = &input[header.size..];

    if !header.tag.constructed {
        let length = header.length.ok_or(TRUNCATED)?;
        let content = body.get(..length).ok_or(TRUNCATED)?;
        output.extend_from_slice(header.identifier);
        write_length(content.len(), output);
        output.extend_from_slice(content);
        return Ok(header.size + length);
    }

    let (children, used) = convert_children(body, header.length, depth)?;
    if header.tag.is_splittable_string() {
        let content = join_string_pieces(header.tag, &children)?;
        output.push(header.identifier[0] & !0x20);
        output.extend_from_slice(&header.identifier[1..]);
        write_length(content.len(), output);
        output.extend_from_slice(&content);
    } else {
        let content: Vec<u8> = children.concat();
        output.extend_from_slice(header.identifier);
        write_length(content.len(), output);
        output.extend_from_slice(&content);
    }
    Ok(header.size + used)
}

/// Converts the elements inside a constructed element: up to `length` bytes, or up to the
/// end-of-contents marker for the indefinite form. Returns each child's DER and the bytes used,
/// the marker included.
fn convert_children(
    body: &[u8],
    length: Option<usize>,
    depth: usize,
) -> Result<(Vec<Vec<u8>>, usize), Malformed> {
    let mut children = Vec::new();
    let mut position = 0;
    match length {
        Some(length) => {
            let content = body.get(..length).ok_or(TRUNCATED)?;
            while position < content.len() {
                let mut child = Vec::new();
                position += convert(&content[position..], depth + 1, &mut child)?;
                children.push(child);
            }
        }
        None => loop {
            let rest = body.get(position..).ok_or(TRUNCATED)?;
            if rest.starts_with(&[0, 0]) {
                position += 2;
                break;
            }
            if rest.is_empty() {
                return Err(TRUNCATED);
            }
            let mut child = Vec::new();
            position += convert(rest, depth + 1, &mut child)?;
            children.push(child);
        },
    }
    Ok((children, position))
}

/// Joins the DER pieces of a constructed string into the content of one primitive string.
fn join_string_pieces(tag: Tag, pieces: &[Vec<u8>]) -> Result<Vec<u8>, Malformed> {
    let piece_tag = Tag {
        constructed: false,
        ..tag
    };
    let mut content = Vec::new();
    let mut unused_bits = 0;
    for (index, piece) in pieces.iter().enumerate() {
        let (piece, _) = element(piece)?;
        let piece = piece.with_tag(piece_tag)?;
        if tag.number == 3 {
            let (&unused, bits) = piece
                .content
                .split_first()
                .ok_or(Malformed("пустой фрагмент BIT STRING"))?;
            if unused != 0 && index + 1 != pieces.len() {
                return Err(Malformed("неверный фрагмент BIT STRING"));
            }
            unused_bits = unused;
            content.extend_from_slice(bits);
        } else {
            content.extend_from_slice(piece.content);
        }
    }
    if tag.number == 3 {
        content.insert(0, unused_bits);
    }
    Ok(content)
}

/// Appends a DER length: the short form below 128, else the shortest long form.
fn write_length(length: usize, output: &mut Vec<u8>) {
    if length < 0x80 {
        output.push(length as u8);
        return;
    }
    let bytes = length.to_be_bytes();
    let skip = bytes.iter().take_while(|byte| **byte == 0).count();
    output.push(0x80 | (bytes.len() - skip) as u8);
    output.extend_from_slice(&bytes[skip..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_input_comes_back_unchanged() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa];
        let (converted, used) = ber_to_der(&der).expect("valid DER");
        assert_eq!(converted, der);
        assert_eq!(used, der.len());
    }

    #[test]
    fn indefinite_lengths_become_definite() {
        let ber = [
            0x30, 0x80, 0x02, 0x01, 0x05, 0xa0, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        let (converted, used) = ber_to_der(&ber).expect("valid BER");
        assert_eq!(
            converted,
            [0x30, 0x07, 0x02, 0x01, 0x05, 0xa0, 0x02, 0x05, 0x00]
        );
        assert_eq!(used, ber.len());
    }

    #[test]
    fn a_constructed_octet_string_becomes_one_primitive_string() {
        let ber = [
            0x24, 0x80, 0x04, 0x02, 0x01, 0x02, 0x04, 0x01, 0x03, 0x00, 0x00,
        ];
        let (converted, _) = ber_to_der(&ber).expect("valid BER");
        assert_eq!(converted, [0x04, 0x03, 0x01, 0x02, 0x03]);
    }

    #[test]
    fn a_constructed_bit_string_keeps_the_unused_bits_of_its_last_piece() {
        let ber = [
            0x23, 0x09, 0x03, 0x02, 0x00, 0xaa, 0x03, 0x03, 0x04, 0xbb, 0xc0,
        ];
        let (converted, _) = ber_to_der(&ber).expect("valid BER");
        assert_eq!(converted, [0x03, 0x04, 0x04, 0xaa, 0xbb, 0xc0]);
    }

    #[test]
    fn a_long_form_length_is_shortened() {
        let ber = [0x04, 0x82, 0x00, 0x01, 0x7f];
        let (converted, _) = ber_to_der(&ber).expect("valid BER");
        assert_eq!(converted, [0x04, 0x01, 0x7f]);
    }

    #[test]
    fn long_contents_get_a_long_form_length() {
        let mut der = vec![0x04, 0x82, 0x01, 0x00];
        der.extend(std::iter::repeat_n(7u8, 256));
        let (converted, _) = ber_to_der(&der).expect("valid DER");
        assert_eq!(converted, der);
    }

    #[test]
    fn truncated_input_is_refused() {
        assert_eq!(ber_to_der(&[0x30, 0x05, 0x02, 0x01]), Err(TRUNCATED));
        assert_eq!(ber_to_der(&[0x30, 0x80, 0x02, 0x01, 0x05]), Err(TRUNCATED));
        assert_eq!(ber_to_der(&[]), Err(TRUNCATED));
        assert_eq!(ber_to_der(&[0x30]), Err(TRUNCATED));
    }

    #[test]
    fn a_huge_declared_length_is_refused_without_allocating_it() {
        assert_eq!(
            ber_to_der(&[0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00]),
            Err(TRUNCATED)
        );
        assert!(ber_to_der(&[0x04, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9]).is_err());
    }

    #[test]
    fn deep_nesting_is_refused_rather_than_overflowing_the_stack() {
        let depth = 10_000;
        let mut ber = Vec::new();
        for _ in 0..depth {
            ber.extend_from_slice(&[0x30, 0x80]);
        }
        for _ in 0..depth {
            ber.extend_from_slice(&[0x00, 0x00]);
        }
        assert!(ber_to_der(&ber).is_err());
    }

    #[test]
    fn an_indefinite_length_on_a_primitive_element_is_refused() {
        assert!(ber_to_der(&[0x04, 0x80, 0x01, 0x00, 0x00]).is_err());
    }

    #[test]
    fn high_tag_numbers_are_kept() {
        let der = [0xbf, 0x81, 0x00, 0x03, 0x02, 0x01, 0x01];
        let (converted, _) = ber_to_der(&der).expect("valid DER");
        assert_eq!(converted, der);
        let (element, rest) = element(&der).expect("valid DER");
        assert_eq!(element.tag, Tag::context(128, true));
        assert!(rest.is_empty());
    }

    #[test]
    fn children_of_a_sequence_are_read_in_order_with_their_bytes() {
        let der = [0x30, 0x08, 0x02, 0x01, 0x05, 0x06, 0x03, 0x2a, 0x86, 0x48];
        let (sequence, _) = element(&der).expect("valid DER");
        let children = sequence.children().expect("a sequence");
        assert_eq!(children.len(), 2);
        assert_eq!(children[0].tag, Tag::INTEGER);
        assert_eq!(children[0].encoded, [0x02, 0x01, 0x05]);
        assert_eq!(children[1].oid().expect("an OID").to_string(), "1.2.840");
    }
}
