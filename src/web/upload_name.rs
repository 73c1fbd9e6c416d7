//! The file name a browser sent with an uploaded part, read from its `Content-Disposition`:
//! `filename*` (RFC 5987) first, then `filename`, decoded without mojibake.

use percent_encoding::percent_decode;

/// The part's file name, or `None` when the part is not a file (no `filename` parameter).
/// The name is returned as sent, folders included; `documents::base_name` reduces it.
pub fn file_name(content_disposition: &[u8]) -> Option<String> {
    let params = parameters(content_disposition);
    if let Some((_, value)) = params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("filename*"))
        && let Some(name) = extended_value(value)
    {
        return Some(name);
    }
    let (_, value) = params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("filename"))?;
    Some(browser_escapes(&decode_bytes(value)))
}

/// `key=value` parameters after the disposition type, values unquoted and unescaped.
fn parameters(header: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut params = Vec::new();
    let mut rest = header;
    // Skip the disposition type (`form-data`).
    match rest.iter().position(|&b| b == b';') {
        Some(semicolon) => rest = &rest[semicolon + 1..],
        None => return params,
    }
    loop {
        rest = trim_start(rest);
        if rest.is_empty() {
            return params;
        }
        let key_end = rest
            .iter()
            .position(|&b| b == b'=' || b == b';')
            .unwrap_or(rest.len());
        let key = String::from_utf8_lossy(&rest[..key_end]).trim().to_owned();
        rest = &rest[key_end..];
        if rest.first() != Some(&b'=') {
            rest = rest.get(1..).unwrap_or_default();
            continue;
        }
        rest = trim_start(&rest[1..]);
        let value = if rest.first() == Some(&b'"') {
            let mut value = Vec::new();
            let mut i = 1;
            while i < rest.len() && rest[i] != b'"' {
                // A quoted pair, as curl writes `"` and `\`; any other backslash is literal,
                // as in the Windows paths old browsers send.
                if rest[i] == b'\\' && matches!(rest.get(i + 1), Some(b'"' | b'\\')) {
                    i += 1;
                }
                value.push(rest[i]);
                i += 1;
            }
            rest = rest.get(i + 1..).unwrap_or_default();
            value
        } else {
            let end = rest.iter().position(|&b| b == b';').unwrap_or(rest.len());
            let value = rest[..end].trim_ascii_end().to_vec();
            rest = &rest[end..];
            value
        };
        params.push((key, value));
        rest = match rest.iter().position(|&b| b == b';') {
            Some(semicolon) => &rest[semicolon + 1..],
            None => &[],
        };
    }
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii_start()
}

/// `UTF-8''%D0%90%D0%BA%D1%82.pdf` → `Акт.pdf`; ISO-8859-1 and Windows-1251 too.
fn extended_value(value: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(value).ok()?;
    let mut pieces = text.splitn(3, '\'');
    let charset = pieces.next()?;
    let _language = pieces.next()?;
    let encoded = pieces.next()?;
    let bytes: Vec<u8> = percent_decode(encoded.as_bytes()).collect();
    let encoding = encoding_rs::Encoding::for_label(charset.trim().as_bytes())?;
    let (decoded, _, had_errors) = encoding.decode(&bytes);
    (!had_errors).then(|| decoded.into_owned())
}

/// Raw bytes of a `filename`: UTF-8 as browsers send it; bytes that are not UTF-8 are read
/// as Windows-1251, the older Russian clients' encoding, rather than shown as mojibake.
fn decode_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1251.decode(bytes).0.into_owned(),
    }
}

/// Browsers write `"`, CR and LF in a file name as `%22`, `%0D` and `%0A` (HTML's
/// multipart/form-data rules) and leave every other `%` alone; this undoes exactly that.
fn browser_escapes(name: &str) -> String {
    name.replace("%22", "\"")
        .replace("%0D", "\r")
        .replace("%0A", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(header: &str) -> Option<String> {
        file_name(header.as_bytes())
    }

    #[test]
    fn a_plain_utf8_name_is_taken_as_sent() {
        assert_eq!(
            name(r#"form-data; name="files"; filename="Акт №1; 100%.pdf""#).as_deref(),
            Some("Акт №1; 100%.pdf")
        );
    }

    #[test]
    fn the_extended_name_wins_over_the_plain_one() {
        assert_eq!(
            name("form-data; name=\"f\"; filename=\"Akt.pdf\"; filename*=UTF-8''%D0%90%D0%BA%D1%82.pdf")
                .as_deref(),
            Some("Акт.pdf")
        );
        assert_eq!(
            name("form-data; name=\"f\"; filename*=utf-8'ru'%D0%90%20%22x%22.pdf").as_deref(),
            Some("А \"x\".pdf")
        );
    }

    #[test]
    fn browser_escapes_and_quoted_pairs_are_undone() {
        assert_eq!(
            name(r#"form-data; name="f"; filename="Акт %22итог%22.pdf""#).as_deref(),
            Some("Акт \"итог\".pdf")
        );
        assert_eq!(
            name(r#"form-data; name="f"; filename="a\"b\\c.pdf""#).as_deref(),
            Some(r#"a"b\c.pdf"#)
        );
    }

    #[test]
    fn backslashes_of_a_windows_path_stay_literal() {
        assert_eq!(
            name(r#"form-data; name="f"; filename="C:\Users\Иван\Акт.pdf""#).as_deref(),
            Some(r"C:\Users\Иван\Акт.pdf")
        );
    }

    #[test]
    fn windows_1251_bytes_are_not_mojibake() {
        let mut header = b"form-data; name=\"f\"; filename=\"".to_vec();
        header.extend_from_slice(&[0xC0, 0xEA, 0xF2, b'.', b'p', b'd', b'f', b'"']);
        assert_eq!(file_name(&header).as_deref(), Some("Акт.pdf"));
    }

    #[test]
    fn a_part_without_a_file_name_is_not_a_file() {
        assert_eq!(name(r#"form-data; name="comment""#), None);
        assert_eq!(name("form-data"), None);
        assert_eq!(
            name(r#"form-data; name="f"; filename="""#).as_deref(),
            Some("")
        );
        assert_eq!(
            name(r#"form-data; name="f"; filename*=bogus; filename="x.pdf""#).as_deref(),
            Some("x.pdf")
        );
    }
}
