//! Rules for accounts: СНИЛС, passwords, the names of the rights, e-mail addresses.

use super::access::Rights;

/// A СНИЛС read from what a person typed: eleven digits, spaces and dashes allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snils(String);

/// Why a СНИЛС is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnilsError {
    NotElevenDigits,
    WrongCheckDigits,
}

impl SnilsError {
    pub fn message(self) -> &'static str {
        match self {
            SnilsError::NotElevenDigits => "СНИЛС должен состоять из 11 цифр.",
            SnilsError::WrongCheckDigits => {
                "СНИЛС введён с ошибкой: контрольное число не совпадает."
            }
        }
    }
}

/// The highest number issued before check digits were introduced: 001-001-998 and below
/// carry check digits that are not computed.
const UNCHECKED_UP_TO: u32 = 1_001_998;

impl Snils {
    pub fn parse(text: &str) -> Result<Self, SnilsError> {
        if text
            .chars()
            .any(|c| !(c.is_ascii_digit() || c == ' ' || c == '-'))
        {
            return Err(SnilsError::NotElevenDigits);
        }
        let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
        if digits.len() != 11 {
            return Err(SnilsError::NotElevenDigits);
        }
        let number = digits[..9].iter().fold(0, |n, d| n * 10 + d);
        let check = digits[9] * 10 + digits[10];
        if number > UNCHECKED_UP_TO && check != check_digits(&digits[..9]) {
            return Err(SnilsError::WrongCheckDigits);
        }
        Ok(Snils(
            digits
                .iter()
                .map(|d| char::from_digit(*d, 10).unwrap_or('0'))
                .collect(),
        ))
    }

    /// The usual written form, `112-233-445 95`.
    pub fn formatted(&self) -> String {
        let d = &self.0;
        format!("{}-{}-{} {}", &d[0..3], &d[3..6], &d[6..9], &d[9..11])
    }

    /// Digits only, as stored.
    pub fn digits(&self) -> &str {
        &self.0
    }
}

/// Each of the nine digits times its place counted from the right, the sum reduced modulo
/// 101, with 100 written as 00.
fn check_digits(number: &[u32]) -> u32 {
    let sum: u32 = number
        .iter()
        .zip((1..=9).rev())
        .map(|(digit, weight)| digit * weight)
        .sum();
    match sum % 101 {
        100 => 0,
        rest => rest,
    }
}

/// A stored СНИЛС as people other than administrators and the user's head see it: only the
/// check digits.
pub fn mask_snils(stored: &str) -> String {
    let digits: String = stored.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 11 {
        format!("***-***-*** {}", &digits[9..])
    } else if digits.is_empty() {
        String::new()
    } else {
        "***".to_owned()
    }
}

/// A stored СНИЛС written out whole.
pub fn format_snils(stored: &str) -> String {
    Snils::parse(stored).map_or_else(|_| stored.to_owned(), |s| s.formatted())
}

/// Fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Why a new password is refused, in the words the form shows.
pub fn password_problem(password: &str, login: &str, confirmation: &str) -> Option<&'static str> {
    if password != confirmation {
        return Some("Пароль и его повтор не совпадают.");
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Some("Пароль должен быть не короче 10 символов.");
    }
    let lower = password.to_lowercase();
    let login = login.trim().to_lowercase();
    if !login.is_empty() && lower.contains(&login) {
        return Some("Пароль не должен содержать логин.");
    }
    // zxcvbn knows the common passwords, words, dates and keyboard runs.
    let strength = zxcvbn::zxcvbn(password, &[login.as_str()]);
    if strength.score() < zxcvbn::Score::Three {
        return Some(
            "Пароль слишком простой или широко распространён: возьмите несколько слов или \
             добавьте цифры и знаки.",
        );
    }
    None
}

/// The four rights as the UI names them, exactly.
pub const RIGHT_NAMES: [&str; 4] = [
    "Создавать согласования",
    "Участвовать в согласованиях",
    "Просматривать согласования",
    "Просматривать публичные согласования",
];

impl Rights {
    /// The rights whose names are given; an unknown name is returned as the error.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Rights, String> {
        let mut rights = Rights::default();
        for name in names {
            match RIGHT_NAMES.iter().position(|known| *known == name.trim()) {
                Some(0) => rights.create = true,
                Some(1) => rights.participate = true,
                Some(2) => rights.view = true,
                Some(3) => rights.view_public = true,
                _ => return Err(name.to_owned()),
            }
        }
        Ok(rights)
    }

    /// The names of the rights held, in the UI's order.
    pub fn names(self) -> Vec<&'static str> {
        [self.create, self.participate, self.view, self.view_public]
            .into_iter()
            .zip(RIGHT_NAMES)
            .filter_map(|(held, name)| held.then_some(name))
            .collect()
    }

    pub fn any(self) -> bool {
        self.create || self.participate || self.view || self.view_public
    }
}

/// Whether the text reads as one e-mail address: something, `@`, a domain with a dot, no
/// spaces. Delivery is what proves it.
pub fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c == ',' || c == ';')
        && !domain.contains('@')
}

/// An e-mail address compared as the service compares them: trimmed, lower case.
pub fn normalise_email(text: &str) -> String {
    text.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snils_with_the_right_check_digits_is_accepted_in_any_usual_form() {
        // 1·9 + 1·8 + 2·7 + 2·6 + 3·5 + 3·4 + 4·3 + 4·2 + 5·1 = 95.
        for text in ["112-233-445 95", "11223344595", " 112 233 445 95 "] {
            let snils = Snils::parse(text).expect(text);
            assert_eq!(snils.formatted(), "112-233-445 95");
            assert_eq!(snils.digits(), "11223344595");
        }
    }

    #[test]
    fn a_snils_with_wrong_check_digits_or_length_is_refused() {
        assert_eq!(
            Snils::parse("112-233-445 96"),
            Err(SnilsError::WrongCheckDigits)
        );
        assert_eq!(
            Snils::parse("112-233-445"),
            Err(SnilsError::NotElevenDigits)
        );
        assert_eq!(
            Snils::parse("112-233-445 955"),
            Err(SnilsError::NotElevenDigits)
        );
        assert_eq!(
            Snils::parse("112-233-44a 95"),
            Err(SnilsError::NotElevenDigits)
        );
    }

    #[test]
    fn sums_of_100_and_101_give_00_and_larger_ones_are_taken_modulo_101() {
        // 9·9 + 1·8 + 1·7 + 0 … + 4·1 = 100 → 00.
        assert_eq!(check_digits(&[9, 1, 1, 0, 0, 0, 0, 0, 4]), 0);
        assert!(Snils::parse("911-000-004 00").is_ok());
        // 101 → 00.
        assert_eq!(check_digits(&[9, 1, 1, 0, 0, 0, 0, 0, 5]), 0);
        // 9·(9+8+…+1) = 405 → 405 mod 101 = 1 → 01.
        assert_eq!(check_digits(&[9; 9]), 1);
        assert!(Snils::parse("999-999-999 01").is_ok());
        assert!(Snils::parse("999-999-999 00").is_err());
        // 201 leaves 100, written 00.
        assert_eq!(check_digits(&[9, 9, 6, 1, 0, 0, 0, 0, 0]), 0);
    }

    #[test]
    fn numbers_up_to_001_001_998_carry_unchecked_digits() {
        assert!(Snils::parse("001-001-998 00").is_ok());
        assert!(Snils::parse("001-001-998 77").is_ok());
        assert!(Snils::parse("000-000-001 42").is_ok());
        // The first checked number: 001-001-999 → 1·7 + 1·4 + 9·3 + 9·2 + 9·1 = 65.
        assert!(Snils::parse("001-001-999 65").is_ok());
        assert_eq!(
            Snils::parse("001-001-999 00"),
            Err(SnilsError::WrongCheckDigits)
        );
    }

    #[test]
    fn a_masked_snils_shows_only_its_check_digits() {
        assert_eq!(mask_snils("11223344595"), "***-***-*** 95");
        assert_eq!(mask_snils("112-233-445 95"), "***-***-*** 95");
        assert_eq!(mask_snils(""), "");
        assert_eq!(format_snils("11223344595"), "112-233-445 95");
    }

    #[test]
    fn passwords_must_be_long_free_of_the_login_and_uncommon() {
        let ok = "Ладожский мост 1917";
        assert_eq!(password_problem(ok, "ivanov", ok), None);
        assert_eq!(
            password_problem(ok, "ivanov", "другой"),
            Some("Пароль и его повтор не совпадают.")
        );
        assert!(password_problem("Кор0тк!й", "x", "Кор0тк!й").is_some());
        let with_login = "ivanov-2027-Невский";
        assert_eq!(
            password_problem(with_login, "Ivanov", with_login),
            Some("Пароль не должен содержать логин.")
        );
        for common in ["password123", "qwertyuiop", "1234567890", "iloveyou12"] {
            let problem = password_problem(common, "someone", common).expect(common);
            assert!(problem.starts_with("Пароль слишком простой"), "{common}");
        }
    }

    #[test]
    fn rights_are_named_exactly_and_read_back() {
        let rights = Rights::from_names(["Создавать согласования", "Просматривать согласования"])
            .expect("known");
        assert!(rights.create && rights.view && !rights.participate && !rights.view_public);
        assert_eq!(
            rights.names(),
            ["Создавать согласования", "Просматривать согласования"]
        );
        assert_eq!(
            Rights::from_names(["Создавать"]),
            Err("Создавать".to_owned())
        );
        assert!(!Rights::default().any());
    }

    #[test]
    fn e_mail_addresses_are_checked_for_shape_only() {
        assert!(looks_like_email("ivanov@gka.spb.ru"));
        for bad in [
            "ivanov",
            "@gka.ru",
            "a@b",
            "a b@c.ru",
            "a@b.ru,c@d.ru",
            "a@.ru",
        ] {
            assert!(!looks_like_email(bad), "{bad}");
        }
        assert_eq!(normalise_email(" Ivanov@GKA.ru "), "ivanov@gka.ru");
    }
}
