//! How dates, times and sizes are written on the pages: Moscow time, `ДД.ММ.ГГГГ`, `ЧЧ:ММ`.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Moscow;

/// `ДД.ММ.ГГГГ` of a calendar date.
pub fn date(value: NaiveDate) -> String {
    value.format("%d.%m.%Y").to_string()
}

/// `ДД.ММ.ГГГГ` of an optional date, or an empty string.
pub fn opt_date(value: Option<NaiveDate>) -> String {
    value.map(date).unwrap_or_default()
}

/// `ДД.ММ.ГГГГ` of an instant, in Moscow.
pub fn day_of(value: DateTime<Utc>) -> String {
    value.with_timezone(&Moscow).format("%d.%m.%Y").to_string()
}

/// `ДД.ММ.ГГГГ` of an optional instant, in Moscow.
pub fn opt_day_of(value: Option<DateTime<Utc>>) -> String {
    value.map(day_of).unwrap_or_default()
}

/// `ДД.ММ.ГГГГ ЧЧ:ММ` of an instant, in Moscow.
pub fn date_time(value: DateTime<Utc>) -> String {
    value
        .with_timezone(&Moscow)
        .format("%d.%m.%Y %H:%M")
        .to_string()
}

/// A size in bytes as people read it.
pub fn size(bytes: i64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} Б")
    } else if b < KB * KB {
        format!("{:.1} КБ", b / KB).replace('.', ",")
    } else if b < KB * KB * KB {
        format!("{:.1} МБ", b / KB / KB).replace('.', ",")
    } else {
        format!("{:.1} ГБ", b / KB / KB / KB).replace('.', ",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn instants_are_written_in_moscow_time() {
        let late_utc = Utc
            .with_ymd_and_hms(2027, 3, 11, 22, 30, 0)
            .single()
            .expect("valid");
        assert_eq!(day_of(late_utc), "12.03.2027");
        assert_eq!(date_time(late_utc), "12.03.2027 01:30");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size(512), "512 Б");
        assert_eq!(size(1536), "1,5 КБ");
        assert_eq!(size(5 * 1024 * 1024), "5,0 МБ");
    }
}
