//! Fixed vocabularies of the domain and their Russian names.

/// Kinds of network an approval's works connect to.
pub const NETWORK_KINDS: &[&str] = &[
    "Водоснабжение",
    "Водоотведение",
    "Теплоснабжение",
    "Газоснабжение",
    "Электроснабжение",
    "Сети связи",
];

/// The Russian name of an organisation kind as stored in the database.
pub fn organisation_kind_title(kind: &str) -> &'static str {
    match kind {
        "rso" => "РСО",
        "network_owner" => "Владелец инженерных коммуникаций",
        "gati" => "ГАТИ",
        "kga" => "КГА",
        "kb" => "КБ",
        "kio" => "КИО",
        "kgiop" => "КГИОП",
        "kt" => "КТ",
        "operator" => "Оператор системы",
        _ => "Организация",
    }
}
