//! A verification report as the command line shows it: plain Russian text, or one JSON
//! object.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::Report;

/// The report in Russian, one signer after another.
pub fn plain_text(report: &Report) -> String {
    let mut lines = vec![format!("Итог: {}", report.verdict.title())];
    if let Some(reason) = &report.reason {
        lines.push(format!("Причина: {reason}"));
    }
    for (number, signer) in report.signers.iter().enumerate() {
        lines.push(String::new());
        lines.push(format!(
            "Подписант {}: {}",
            number + 1,
            signer.verdict.title()
        ));
        lines.push(format!("  Владелец сертификата: {}", signer.subject));
        let optional = [
            ("Организация", &signer.organisation),
            ("Должность", &signer.title),
            ("СНИЛС", &signer.snils),
            ("ИНН", &signer.inn),
            ("ИНН ЮЛ", &signer.inn_le),
            ("ОГРН", &signer.ogrn),
            ("ОГРНИП", &signer.ogrnip),
            ("Эл. почта", &signer.email),
        ];
        for (label, value) in optional {
            if let Some(value) = value {
                lines.push(format!("  {label}: {value}"));
            }
        }
        lines.push(format!("  Издатель: {}", signer.issuer));
        lines.push(format!("  Серийный номер: {}", signer.serial));
        lines.push(format!(
            "  Действует: с {} по {}",
            moment(signer.not_before),
            moment(signer.not_after)
        ));
        let signed_at = signer
            .signing_time
            .map_or_else(|| "не указано".to_owned(), moment);
        lines.push(format!("  Время подписания: {signed_at}"));
        lines.push(format!("  Алгоритм: {}", signer.algorithm));
        lines.push(format!("  Цепочка: {}", signer.chain.title()));
    }
    lines.join("\n")
}

/// The report as the CLI's `--json` prints it: the file verdict and, per signer, the verdict
/// and certificate details, dates in RFC 3339.
pub fn cli_json(report: &Report) -> Value {
    let signers: Vec<Value> = report
        .signers
        .iter()
        .map(|signer| {
            json!({
                "verdict": signer.verdict.as_str(),
                "subject": signer.subject,
                "organisation": signer.organisation,
                "title": signer.title,
                "snils": signer.snils,
                "inn": signer.inn,
                "ogrn": signer.ogrn,
                "email": signer.email,
                "issuer": signer.issuer,
                "serial": signer.serial,
                "not_before": rfc3339(signer.not_before),
                "not_after": rfc3339(signer.not_after),
                "signing_time": signer.signing_time.map(rfc3339),
                "algorithm": signer.algorithm,
            })
        })
        .collect();
    json!({ "verdict": report.verdict.as_str(), "signers": signers })
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A moment for people: UTC, to the second.
fn moment(at: DateTime<Utc>) -> String {
    at.format("%d.%m.%Y %H:%M:%S UTC").to_string()
}
