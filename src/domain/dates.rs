//! Calendar dates of an approval (product spec §4). Dates are Moscow calendar dates; the
//! launch date is day 0 and a term of N days from date D ends on D + N.

use chrono::{Days, NaiveDate};

/// What a participant's term is counted from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermBasis {
    /// From the launch of the approval.
    Launch,
    /// From the start of the participant's step.
    StepStart,
}

impl TermBasis {
    pub fn as_db(self) -> &'static str {
        match self {
            TermBasis::Launch => "launch",
            TermBasis::StepStart => "step_start",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        match value {
            "launch" => Some(TermBasis::Launch),
            "step_start" => Some(TermBasis::StepStart),
            _ => None,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            TermBasis::Launch => "от запуска согласования",
            TermBasis::StepStart => "от начала шага",
        }
    }
}

/// A participant's term as the route sets it.
#[derive(Clone, Copy, Debug)]
pub struct Term {
    pub step: i32,
    pub days: i32,
    pub basis: TermBasis,
    pub is_mandatory: bool,
}

/// Planned start and end of one participant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Planned {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// The plan of a whole approval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// One entry per term, in the order given.
    pub participants: Vec<Planned>,
    /// «Плановая дата завершения согласования»: the latest planned end of all.
    pub completion: NaiveDate,
}

/// `date` + `days`, saturating at the calendar's end rather than failing.
pub fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    let shifted = if days >= 0 {
        date.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        date.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    shifted.unwrap_or(date)
}

/// Plans every participant from the launch date: step 1 starts on the launch date; step k+1
/// plans to start on the latest planned end of step k's mandatory participants.
pub fn plan(launch: NaiveDate, terms: &[Term]) -> Plan {
    let mut steps: Vec<i32> = terms.iter().map(|t| t.step).collect();
    steps.sort_unstable();
    steps.dedup();

    let mut participants = vec![None; terms.len()];
    let mut step_start = launch;
    for step in steps {
        let mut next_start = step_start;
        for (i, term) in terms.iter().enumerate().filter(|(_, t)| t.step == step) {
            let base = match term.basis {
                TermBasis::Launch => launch,
                TermBasis::StepStart => step_start,
            };
            let end = add_days(base, i64::from(term.days));
            participants[i] = Some(Planned {
                start: step_start,
                end,
            });
            if term.is_mandatory {
                next_start = next_start.max(end);
            }
        }
        step_start = next_start;
    }

    let participants: Vec<Planned> = participants
        .into_iter()
        .map(|p| {
            p.unwrap_or(Planned {
                start: launch,
                end: launch,
            })
        })
        .collect();
    let completion = participants.iter().map(|p| p.end).max().unwrap_or(launch);
    Plan {
        participants,
        completion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(d: u32, m: u32, y: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn term(step: i32, days: i32, basis: TermBasis, is_mandatory: bool) -> Term {
        Term {
            step,
            days,
            basis,
            is_mandatory,
        }
    }

    #[test]
    fn the_seeded_route_plans_as_the_spec_works_it_through() {
        let terms = [
            term(1, 8, TermBasis::Launch, true),
            term(1, 8, TermBasis::Launch, true),
            term(2, 12, TermBasis::Launch, true),
        ];
        let plan = plan(date(12, 3, 2027), &terms);
        assert_eq!(
            plan.participants[0],
            Planned {
                start: date(12, 3, 2027),
                end: date(20, 3, 2027)
            }
        );
        assert_eq!(
            plan.participants[2],
            Planned {
                start: date(20, 3, 2027),
                end: date(24, 3, 2027)
            }
        );
        assert_eq!(plan.completion, date(24, 3, 2027));
    }

    #[test]
    fn a_step_start_term_counts_from_the_planned_start_of_its_step() {
        let terms = [
            term(1, 5, TermBasis::Launch, true),
            term(2, 3, TermBasis::StepStart, true),
        ];
        let plan = plan(date(30, 12, 2026), &terms);
        assert_eq!(
            plan.participants[1],
            Planned {
                start: date(4, 1, 2027),
                end: date(7, 1, 2027)
            }
        );
    }

    #[test]
    fn optional_participants_do_not_move_the_next_step() {
        let terms = [
            term(1, 3, TermBasis::Launch, true),
            term(1, 20, TermBasis::Launch, false),
            term(2, 2, TermBasis::StepStart, true),
        ];
        let plan = plan(date(1, 6, 2027), &terms);
        assert_eq!(plan.participants[2].start, date(4, 6, 2027));
        assert_eq!(plan.completion, date(21, 6, 2027));
    }
}
