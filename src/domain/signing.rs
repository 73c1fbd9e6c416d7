//! When a document counts as signed (product spec §6).

/// The signature state of one document, from the verdicts of its signature files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignedState {
    /// No signature file at all.
    Unsigned,
    /// At least one signature file, and every signer of every file is valid.
    Signed,
    /// Some signature file is not valid; its stored verdict.
    Invalid(String),
}

/// Judges a document by the stored file verdicts of its signatures.
pub fn signed_state<'a>(verdicts: impl IntoIterator<Item = &'a str>) -> SignedState {
    let mut any = false;
    for verdict in verdicts {
        if verdict != "valid" {
            return SignedState::Invalid(verdict.to_owned());
        }
        any = true;
    }
    if any {
        SignedState::Signed
    } else {
        SignedState::Unsigned
    }
}

/// Splits uploaded file names into documents and the signature files that go with them: a
/// file named `<document name>.sig` / `.p7s` / `.sgn` (possibly with more between, like
/// `План.pdf.rsa.sig`) signs the document of that name in the same upload. Returns, for
/// each name, the index of the document it signs, or `None` for a document.
pub fn pair_signature_files(names: &[&str]) -> Vec<Option<usize>> {
    let is_signature = |name: &str| {
        let lower = name.to_lowercase();
        [".sig", ".p7s", ".sgn"]
            .iter()
            .any(|ext| lower.ends_with(ext))
    };
    names
        .iter()
        .map(|name| {
            if !is_signature(name) {
                return None;
            }
            names
                .iter()
                .enumerate()
                .filter(|(_, doc)| !is_signature(doc))
                .filter(|(_, doc)| {
                    name.len() > doc.len() + 1
                        && name.starts_with(*doc)
                        && name.as_bytes()[doc.len()] == b'.'
                })
                .max_by_key(|(_, doc)| doc.len())
                .map(|(index, _)| index)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_signed_only_when_every_signature_is_valid() {
        assert_eq!(signed_state([]), SignedState::Unsigned);
        assert_eq!(signed_state(["valid", "valid"]), SignedState::Signed);
        assert_eq!(
            signed_state(["valid", "digest_mismatch"]),
            SignedState::Invalid("digest_mismatch".into())
        );
    }

    #[test]
    fn signature_files_pair_with_the_document_they_are_named_after() {
        let names = [
            "План.pdf",
            "План.pdf.sig",
            "План.pdf.rsa.sig",
            "Схема.png",
            "Схема.png.P7S",
            "Чужая.pdf.sig",
            "Акт.pdf",
        ];
        assert_eq!(
            pair_signature_files(&names),
            [None, Some(0), Some(0), None, Some(3), None, None]
        );
    }
}
