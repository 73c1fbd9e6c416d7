//! The one source of the current time, which tests can set.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Moscow;

/// Tells the time. The system clock in production; a settable one in tests.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    fixed: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    /// The real time.
    pub fn system() -> Self {
        Self { fixed: None }
    }

    /// A clock that stands at `at` until moved with [`Clock::set`].
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Self {
            fixed: Some(Arc::new(Mutex::new(at))),
        }
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.fixed {
            Some(at) => *at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
            None => Utc::now(),
        }
    }

    /// Today's calendar date in Moscow.
    pub fn today(&self) -> NaiveDate {
        moscow_date(self.now())
    }

    /// Moves a fixed clock; a system clock ignores it.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(fixed) = &self.fixed {
            *fixed
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
        }
    }
}

/// The Moscow calendar date of an instant.
pub fn moscow_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Moscow).date_naive()
}

/// The first instant of a Moscow calendar date.
pub fn moscow_midnight(date: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    Moscow
        .from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc(), |at| at.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moscow_day_starts_at_21_utc_the_day_before() {
        let date = NaiveDate::from_ymd_opt(2027, 3, 12).expect("date");
        assert_eq!(
            moscow_midnight(date).to_rfc3339(),
            "2027-03-11T21:00:00+00:00"
        );
        assert_eq!(moscow_date(moscow_midnight(date)), date);
    }
}
