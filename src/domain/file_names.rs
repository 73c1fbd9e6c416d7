//! Names of case-file entries in an archive: safe on Windows and unique within a folder.

use std::collections::HashSet;

/// Longest entry name component, in characters; Windows allows 255 UTF-16 units.
const MAX_COMPONENT_CHARS: usize = 120;

/// Names Windows reserves for devices, with or without an extension.
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Makes one path component safe on Windows, macOS and Linux: characters Windows refuses
/// (`<>:"/\|?*` and control characters) become `_`, trailing dots and spaces go, a reserved
/// device name gets a `_` prefix, `.` and `..` and an empty name become `fallback`, and an
/// overlong name is cut while its extension is kept.
pub fn safe_component(name: &str, fallback: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let trimmed = replaced
        .trim_start_matches(' ')
        .trim_end_matches(['.', ' ']);
    if trimmed.is_empty() {
        return fallback.to_owned();
    }
    let shortened = shorten(trimmed);
    let stem = shortened.split('.').next().unwrap_or_default();
    if RESERVED
        .iter()
        .any(|r| r.eq_ignore_ascii_case(stem.trim_end()))
    {
        format!("_{shortened}")
    } else {
        shortened
    }
}

/// Cuts a name to `MAX_COMPONENT_CHARS`, keeping a short extension.
fn shorten(name: &str) -> String {
    if name.chars().count() <= MAX_COMPONENT_CHARS {
        return name.to_owned();
    }
    let (stem, extension) = split_extension(name);
    let keep = MAX_COMPONENT_CHARS.saturating_sub(extension.chars().count());
    let stem: String = stem.chars().take(keep).collect();
    format!("{}{extension}", stem.trim_end_matches(['.', ' ']))
}

/// Splits `Акт.pdf` into `Акт` and `.pdf`; a name without a short extension has none.
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(dot) if dot > 0 && name[dot..].chars().count() <= 10 => name.split_at(dot),
        _ => (name, ""),
    }
}

/// Hands out names unique within one folder, ignoring letter case as Windows does: the
/// second `ПЗ.pdf` becomes `ПЗ (2).pdf`, the third `ПЗ (3).pdf`.
#[derive(Debug, Default)]
pub struct UniqueNames {
    taken: HashSet<String>,
}

impl UniqueNames {
    /// A name not handed out before in this folder, made from `wanted`.
    pub fn claim(&mut self, wanted: &str) -> String {
        if self.taken.insert(wanted.to_lowercase()) {
            return wanted.to_owned();
        }
        let (stem, extension) = split_extension(wanted);
        (2..)
            .map(|n| format!("{stem} ({n}){extension}"))
            .find(|candidate| self.taken.insert(candidate.to_lowercase()))
            .unwrap_or_else(|| wanted.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_windows_refuses_become_underscores() {
        assert_eq!(
            safe_component(r#"Акт <1>: "итог" a/b\c|d?e*.pdf"#, "x"),
            "Акт _1__ _итог_ a_b_c_d_e_.pdf"
        );
        assert_eq!(safe_component("Акт\u{7}\n.pdf", "x"), "Акт__.pdf");
    }

    #[test]
    fn trailing_dots_and_spaces_and_dot_names_go() {
        assert_eq!(safe_component("План. . ", "x"), "План");
        assert_eq!(safe_component("  План.pdf", "x"), "План.pdf");
        assert_eq!(safe_component("..", "документ"), "документ");
        assert_eq!(safe_component(".", "документ"), "документ");
        assert_eq!(safe_component("", "документ"), "документ");
        assert_eq!(safe_component("../../etc/passwd", "x"), ".._.._etc_passwd");
    }

    #[test]
    fn reserved_device_names_get_a_prefix_in_any_case() {
        assert_eq!(safe_component("CON", "x"), "_CON");
        assert_eq!(safe_component("con.txt", "x"), "_con.txt");
        assert_eq!(safe_component("Lpt1.tar.gz", "x"), "_Lpt1.tar.gz");
        assert_eq!(safe_component("CONTRACT.pdf", "x"), "CONTRACT.pdf");
        assert_eq!(safe_component("COM10", "x"), "COM10");
    }

    #[test]
    fn an_overlong_name_is_cut_but_keeps_its_extension() {
        let long = format!("{}.pdf", "я".repeat(300));
        let safe = safe_component(&long, "x");
        assert_eq!(safe.chars().count(), MAX_COMPONENT_CHARS);
        assert!(safe.ends_with("я.pdf"));
    }

    #[test]
    fn repeated_names_in_a_folder_are_numbered_before_the_extension() {
        let mut names = UniqueNames::default();
        assert_eq!(names.claim("ПЗ.pdf"), "ПЗ.pdf");
        assert_eq!(names.claim("ПЗ.pdf"), "ПЗ (2).pdf");
        assert_eq!(names.claim("пз.PDF"), "пз (3).PDF");
        assert_eq!(names.claim("ПЗ (2).pdf"), "ПЗ (2) (2).pdf");
        assert_eq!(names.claim("README"), "README");
        assert_eq!(names.claim("README"), "README (2)");
    }
}
