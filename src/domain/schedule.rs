//! Every date of a launched approval, computed from its route copy, its launch date, the
//! decisions and today (product spec §4). Pure: Moscow dates come in, dates go out, so the
//! result never depends on the server's time zone.

use chrono::NaiveDate;

use super::dates::{self, Term, TermBasis, add_days};

/// One participant as the schedule needs it.
#[derive(Clone, Debug)]
pub struct SeatInput {
    pub step: i32,
    pub days: i32,
    pub basis: TermBasis,
    pub is_mandatory: bool,
    /// The Moscow date of its decision, once decided.
    pub decided_on: Option<NaiveDate>,
    pub actions: Vec<ActionInput>,
}

/// One action of a participant.
#[derive(Clone, Copy, Debug)]
pub struct ActionInput {
    pub days: i32,
    /// The Moscow date it was done, once done.
    pub done_on: Option<NaiveDate>,
}

/// A participant's dates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatDates {
    pub planned_start: NaiveDate,
    pub planned_end: NaiveDate,
    /// Days it has once its step starts.
    pub window: i64,
    /// The date its step started.
    pub actual_start: Option<NaiveDate>,
    /// The date of its decision.
    pub actual_end: Option<NaiveDate>,
    /// The last day to decide on time, once its step has started.
    pub deadline: Option<NaiveDate>,
    pub expected_start: NaiveDate,
    pub expected_end: NaiveDate,
    /// How the expected dates move as days pass until the next event: what is stored.
    pub expected_start_rule: MovingDate,
    pub expected_end_rule: MovingDate,
    /// Started, mandatory, undecided, and today is after the deadline.
    pub overdue: bool,
    /// Decided on or before its deadline (for reports); `None` while undecided.
    pub on_time: Option<bool>,
    pub actions: Vec<ActionDates>,
}

/// An action's dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionDates {
    pub planned_end: NaiveDate,
    pub deadline: Option<NaiveDate>,
    pub expected_end: NaiveDate,
    pub expected_end_rule: MovingDate,
    pub actual_end: Option<NaiveDate>,
}

/// An expected date as days pass with no event: the later of `floor` and, while it moves,
/// today + `lag` days. A participant whose step has not started expects to start no sooner
/// than today; everything after it inherits that, shifted by the days in between. Stored as
/// it is, so the passing of a day changes no stored expected date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MovingDate {
    pub floor: NaiveDate,
    /// `None` for a date that no longer moves.
    pub lag: Option<i32>,
}

impl MovingDate {
    pub fn fixed(date: NaiveDate) -> Self {
        MovingDate {
            floor: date,
            lag: None,
        }
    }

    /// Today, but never before `floor`.
    pub fn today_from(floor: NaiveDate) -> Self {
        MovingDate {
            floor,
            lag: Some(0),
        }
    }

    /// The later of the two, whatever today is.
    pub fn later(self, other: Self) -> Self {
        MovingDate {
            floor: self.floor.max(other.floor),
            // `None` orders before any `Some`: a fixed date adds no lag.
            lag: self.lag.max(other.lag),
        }
    }

    pub fn plus(self, days: i64) -> Self {
        let days = i32::try_from(days).unwrap_or(i32::MAX);
        MovingDate {
            floor: add_days(self.floor, i64::from(days)),
            lag: self.lag.map(|lag| lag.saturating_add(days)),
        }
    }

    /// The date on `today`.
    pub fn on(self, today: NaiveDate) -> NaiveDate {
        match self.lag {
            Some(lag) => self.floor.max(add_days(today, i64::from(lag))),
            None => self.floor,
        }
    }
}

/// The dates of the whole approval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// One entry per seat, in the order given.
    pub seats: Vec<SeatDates>,
    /// «Плановая дата завершения согласования».
    pub planned_completion: NaiveDate,
}

/// Computes every date of an approval launched on `launch`, as of `today`.
pub fn compute(launch: NaiveDate, today: NaiveDate, seats: &[SeatInput]) -> Schedule {
    let terms: Vec<Term> = seats
        .iter()
        .map(|s| Term {
            step: s.step,
            days: s.days,
            basis: s.basis,
            is_mandatory: s.is_mandatory,
        })
        .collect();
    let plan = dates::plan(launch, &terms);

    let mut steps: Vec<i32> = seats.iter().map(|s| s.step).collect();
    steps.sort_unstable();
    steps.dedup();

    let mut result: Vec<Option<SeatDates>> = vec![None; seats.len()];
    // When the current step actually started, and the dates the next step waits for.
    let mut step_actual_start = Some(launch);
    let mut previous_ends: Vec<MovingDate> = Vec::new();
    for step in steps {
        let expected_start = previous_ends
            .iter()
            .copied()
            .fold(MovingDate::today_from(launch), MovingDate::later);
        let members: Vec<usize> = (0..seats.len())
            .filter(|&i| seats[i].step == step)
            .collect();
        for &i in &members {
            let seat = &seats[i];
            let planned = plan.participants[i];
            result[i] = Some(seat_dates(
                seat,
                launch,
                today,
                planned,
                step_actual_start,
                expected_start,
            ));
        }
        let mandatory: Vec<&SeatDates> = members
            .iter()
            .filter(|&&i| seats[i].is_mandatory)
            .filter_map(|&i| result[i].as_ref())
            .collect();
        previous_ends = mandatory.iter().map(|d| d.expected_end_rule).collect();
        step_actual_start = match step_actual_start {
            Some(start) if mandatory.iter().all(|d| d.actual_end.is_some()) => Some(
                mandatory
                    .iter()
                    .filter_map(|d| d.actual_end)
                    .fold(start, NaiveDate::max),
            ),
            _ => None,
        };
    }

    Schedule {
        seats: result
            .into_iter()
            .map(|d| d.unwrap_or_else(|| unreachable_seat(launch)))
            .collect(),
        planned_completion: plan.completion,
    }
}

/// Every seat belongs to one of the steps iterated over; this only keeps types total.
fn unreachable_seat(launch: NaiveDate) -> SeatDates {
    SeatDates {
        planned_start: launch,
        planned_end: launch,
        window: 0,
        actual_start: None,
        actual_end: None,
        deadline: None,
        expected_start: launch,
        expected_end: launch,
        expected_start_rule: MovingDate::fixed(launch),
        expected_end_rule: MovingDate::fixed(launch),
        overdue: false,
        on_time: None,
        actions: Vec::new(),
    }
}

fn seat_dates(
    seat: &SeatInput,
    launch: NaiveDate,
    today: NaiveDate,
    planned: dates::Planned,
    actual_start: Option<NaiveDate>,
    expected_start_if_waiting: MovingDate,
) -> SeatDates {
    let days = i64::from(seat.days);
    let window = match seat.basis {
        TermBasis::StepStart => days,
        TermBasis::Launch => (days - (planned.start - launch).num_days()).max(1),
    };
    let deadline = actual_start.map(|start| planned.end.max(add_days(start, window)));
    let expected_start = actual_start.map_or(expected_start_if_waiting, MovingDate::fixed);
    let expected_end = seat
        .decided_on
        .or(deadline)
        .map_or_else(|| expected_start.plus(window), MovingDate::fixed);
    let overdue = seat.is_mandatory
        && seat.decided_on.is_none()
        && deadline.is_some_and(|deadline| today > deadline);
    let on_time = seat
        .decided_on
        .map(|decided| deadline.is_none_or(|deadline| decided <= deadline));
    let actions = seat
        .actions
        .iter()
        .map(|action| {
            let term = i64::from(action.days);
            let planned_end = add_days(planned.start, term);
            let deadline = actual_start.map(|start| planned_end.max(add_days(start, term)));
            let expected_end = action
                .done_on
                .or(deadline)
                .map_or_else(|| expected_start.plus(term), MovingDate::fixed);
            ActionDates {
                planned_end,
                deadline,
                expected_end: expected_end.on(today),
                expected_end_rule: expected_end,
                actual_end: action.done_on,
            }
        })
        .collect();
    SeatDates {
        planned_start: planned.start,
        planned_end: planned.end,
        window,
        actual_start,
        actual_end: seat.decided_on,
        deadline,
        expected_start: expected_start.on(today),
        expected_end: expected_end.on(today),
        expected_start_rule: expected_start,
        expected_end_rule: expected_end,
        overdue,
        on_time,
        actions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::moscow_date;
    use chrono::{TimeZone, Utc};

    fn date(d: u32, m: u32, y: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    /// The seeded route: seven step-1 participants of 8 days from launch (КИО with a
    /// mandatory action of 5 days), then ГАТИ, 12 days from launch, with one of 3 days.
    fn seeded(step_one: [Option<NaiveDate>; 7], gati: Option<NaiveDate>) -> Vec<SeatInput> {
        let mut seats: Vec<SeatInput> = step_one
            .iter()
            .map(|decided_on| SeatInput {
                step: 1,
                days: 8,
                basis: TermBasis::Launch,
                is_mandatory: true,
                decided_on: *decided_on,
                actions: Vec::new(),
            })
            .collect();
        seats[4].actions.push(ActionInput {
            days: 5,
            done_on: None,
        });
        seats.push(SeatInput {
            step: 2,
            days: 12,
            basis: TermBasis::Launch,
            is_mandatory: true,
            decided_on: gati,
            actions: vec![ActionInput {
                days: 3,
                done_on: None,
            }],
        });
        seats
    }

    fn all_on(day: NaiveDate) -> [Option<NaiveDate>; 7] {
        [Some(day); 7]
    }

    #[test]
    fn the_seeded_route_plans_as_the_spec_example() {
        let launch = date(12, 3, 2027);
        let s = compute(launch, launch, &seeded([None; 7], None));
        let kga = &s.seats[2];
        assert_eq!(
            (kga.planned_start, kga.planned_end),
            (launch, date(20, 3, 2027))
        );
        assert_eq!(kga.window, 8);
        assert_eq!(kga.deadline, Some(date(20, 3, 2027)));
        let gati = &s.seats[7];
        assert_eq!(
            (gati.planned_start, gati.planned_end),
            (date(20, 3, 2027), date(24, 3, 2027))
        );
        assert_eq!(gati.window, 4);
        assert_eq!(gati.actual_start, None);
        assert_eq!(gati.deadline, None);
        assert_eq!(s.planned_completion, date(24, 3, 2027));
    }

    #[test]
    fn the_launch_date_is_the_moscow_date_of_the_launch_instant() {
        // 00:30 MSK on 12.03 is still 11.03 in UTC; 23:50 MSK on 12.03 is 20:50 UTC.
        let early = Utc
            .with_ymd_and_hms(2027, 3, 11, 21, 30, 0)
            .single()
            .expect("instant");
        let late = Utc
            .with_ymd_and_hms(2027, 3, 12, 20, 50, 0)
            .single()
            .expect("instant");
        assert_eq!(moscow_date(early), date(12, 3, 2027));
        assert_eq!(moscow_date(late), date(12, 3, 2027));
        // 01:30 MSK on 12.03.2025 is 22:30 UTC on 11.03.2025.
        let launch = Utc
            .with_ymd_and_hms(2025, 3, 11, 22, 30, 0)
            .single()
            .expect("instant");
        let s = compute(
            moscow_date(launch),
            moscow_date(launch),
            &seeded([None; 7], None),
        );
        assert_eq!(s.seats[0].planned_end, date(20, 3, 2025));
        assert_eq!(s.seats[7].planned_end, date(24, 3, 2025));
    }

    #[test]
    fn a_decision_on_the_last_day_is_on_time_and_the_next_moscow_day_is_overdue() {
        let launch = date(12, 3, 2027);
        // 23:59:59 MSK on 20.03 and one second later.
        let last_second = Utc
            .with_ymd_and_hms(2027, 3, 20, 20, 59, 59)
            .single()
            .expect("t");
        let next_day = last_second + chrono::Duration::seconds(1);
        let mut on_last = [None; 7];
        on_last[2] = Some(moscow_date(last_second));
        let s = compute(launch, moscow_date(last_second), &seeded(on_last, None));
        assert_eq!(s.seats[2].on_time, Some(true));
        assert!(!s.seats[0].overdue, "undecided, but still its last day");

        let later = compute(launch, moscow_date(next_day), &seeded([None; 7], None));
        assert!(later.seats[0].overdue);
        let mut late = [None; 7];
        late[2] = Some(moscow_date(next_day));
        let s = compute(launch, moscow_date(next_day), &seeded(late, None));
        assert_eq!(s.seats[2].on_time, Some(false));
        assert!(!s.seats[2].overdue, "decided, so no longer overdue");
    }

    #[test]
    fn gati_keeps_its_four_days_whenever_step_one_ends() {
        let launch = date(12, 3, 2027);
        // (day of step 1's last decision, ГАТИ's start, deadline, first overdue day)
        let cases = [
            (5, date(17, 3, 2027), date(24, 3, 2027), date(25, 3, 2027)),
            (10, date(22, 3, 2027), date(26, 3, 2027), date(27, 3, 2027)),
            (14, date(26, 3, 2027), date(30, 3, 2027), date(31, 3, 2027)),
        ];
        for (day, start, deadline, overdue_from) in cases {
            let decided = add_days(launch, day);
            let s = compute(launch, decided, &seeded(all_on(decided), None));
            let gati = &s.seats[7];
            assert_eq!(gati.actual_start, Some(start), "day {day}");
            assert_eq!(gati.deadline, Some(deadline), "day {day}");
            assert_eq!(gati.expected_end, deadline, "day {day}");
            let before = compute(
                launch,
                add_days(overdue_from, -1),
                &seeded(all_on(decided), None),
            );
            assert!(!before.seats[7].overdue, "day {day}");
            let after = compute(launch, overdue_from, &seeded(all_on(decided), None));
            assert!(after.seats[7].overdue, "day {day}");
        }
    }

    #[test]
    fn until_step_one_ends_gatis_expected_dates_move_with_today() {
        let launch = date(12, 3, 2027);
        let mut late = all_on(date(15, 3, 2027));
        late[2] = None; // КГА has not decided: overdue from 21.03
        let on_22 = compute(launch, date(22, 3, 2027), &seeded(late, None));
        assert!(on_22.seats[2].overdue);
        assert_eq!(
            on_22.seats[2].expected_end,
            date(20, 3, 2027),
            "its deadline"
        );
        let gati = &on_22.seats[7];
        assert_eq!(gati.actual_start, None);
        assert_eq!(gati.expected_start, date(22, 3, 2027));
        assert_eq!(gati.expected_end, date(26, 3, 2027));
        let on_25 = compute(launch, date(25, 3, 2027), &seeded(late, None));
        assert_eq!(on_25.seats[7].expected_start, date(25, 3, 2027));
        assert_eq!(on_25.seats[7].expected_end, date(29, 3, 2027));
        // Before the deadline, ГАТИ waits for КГА's expected end, not for today.
        let on_14 = compute(launch, date(14, 3, 2027), &seeded(late, None));
        assert_eq!(on_14.seats[7].expected_start, date(20, 3, 2027));
        assert_eq!(on_14.seats[7].expected_end, date(24, 3, 2027));
    }

    #[test]
    fn an_optional_participant_is_never_overdue_and_never_holds_the_step() {
        let launch = date(1, 6, 2027);
        let seats = vec![
            SeatInput {
                step: 1,
                days: 3,
                basis: TermBasis::Launch,
                is_mandatory: true,
                decided_on: Some(date(2, 6, 2027)),
                actions: Vec::new(),
            },
            SeatInput {
                step: 1,
                days: 3,
                basis: TermBasis::Launch,
                is_mandatory: false,
                decided_on: None,
                actions: Vec::new(),
            },
            SeatInput {
                step: 2,
                days: 2,
                basis: TermBasis::StepStart,
                is_mandatory: true,
                decided_on: None,
                actions: Vec::new(),
            },
        ];
        let s = compute(launch, date(30, 6, 2027), &seats);
        assert!(!s.seats[1].overdue);
        assert_eq!(s.seats[2].actual_start, Some(date(2, 6, 2027)));
        assert_eq!(
            s.seats[2].deadline,
            Some(date(6, 6, 2027)),
            "its planned end"
        );
        assert!(s.seats[2].overdue);
    }

    #[test]
    fn actions_count_from_their_participants_start() {
        let launch = date(12, 3, 2027);
        let mut seats = seeded(all_on(date(26, 3, 2027)), None);
        seats[4].actions[0].done_on = Some(date(14, 3, 2027));
        let s = compute(launch, date(26, 3, 2027), &seats);
        let kio_action = s.seats[4].actions[0];
        assert_eq!(kio_action.planned_end, date(17, 3, 2027));
        assert_eq!(kio_action.deadline, Some(date(17, 3, 2027)));
        assert_eq!(kio_action.expected_end, date(14, 3, 2027));
        let gati_action = s.seats[7].actions[0];
        assert_eq!(gati_action.planned_end, date(23, 3, 2027));
        assert_eq!(gati_action.deadline, Some(date(29, 3, 2027)));
        assert_eq!(gati_action.expected_end, date(29, 3, 2027));

        let waiting = compute(launch, date(22, 3, 2027), &seeded([None; 7], None));
        assert_eq!(waiting.seats[7].actions[0].deadline, None);
        assert_eq!(waiting.seats[7].expected_start, date(22, 3, 2027));
        assert_eq!(waiting.seats[7].actions[0].expected_end, date(25, 3, 2027));
    }

    #[test]
    fn a_moving_date_is_the_later_of_its_floor_and_today_plus_its_lag() {
        let floor = date(20, 3, 2027);
        let waiting = MovingDate::today_from(floor);
        assert_eq!(waiting.on(date(14, 3, 2027)), floor);
        assert_eq!(waiting.on(date(22, 3, 2027)), date(22, 3, 2027));
        let four_later = waiting.plus(4);
        assert_eq!(four_later.on(date(14, 3, 2027)), date(24, 3, 2027));
        assert_eq!(four_later.on(date(22, 3, 2027)), date(26, 3, 2027));
        let fixed = MovingDate::fixed(date(1, 4, 2027));
        assert_eq!(fixed.plus(2).on(date(10, 4, 2027)), date(3, 4, 2027));
        let later = fixed.later(four_later);
        assert_eq!(later.on(date(22, 3, 2027)), date(1, 4, 2027));
        assert_eq!(later.on(date(30, 3, 2027)), date(3, 4, 2027));
    }

    /// A route of three steps, so that a waiting step waits for another waiting step.
    fn three_steps(decided: [Option<NaiveDate>; 4]) -> Vec<SeatInput> {
        let seat = |step, days, basis, is_mandatory, decided_on| SeatInput {
            step,
            days,
            basis,
            is_mandatory,
            decided_on,
            actions: vec![ActionInput {
                days: 2,
                done_on: None,
            }],
        };
        vec![
            seat(1, 5, TermBasis::Launch, true, decided[0]),
            seat(1, 3, TermBasis::Launch, false, decided[1]),
            seat(2, 4, TermBasis::StepStart, true, decided[2]),
            seat(3, 15, TermBasis::Launch, true, decided[3]),
        ]
    }

    #[test]
    fn the_stored_rules_give_on_every_later_day_what_recomputing_that_day_gives() {
        let launch = date(12, 3, 2027);
        let d = |k| Some(add_days(launch, k));
        let routes: Vec<Vec<SeatInput>> = vec![
            seeded([None; 7], None),
            seeded([d(2), None, d(3), d(1), d(4), d(2), d(5)], None),
            seeded(all_on(add_days(launch, 6)), None),
            three_steps([None; 4]),
            three_steps([d(2), None, None, None]),
            three_steps([None, None, d(1), None]),
            three_steps([d(7), d(1), None, d(3)]),
        ];
        for (n, seats) in routes.iter().enumerate() {
            let last_event = seats
                .iter()
                .filter_map(|s| s.decided_on)
                .max()
                .unwrap_or(launch);
            for from in 0..25 {
                let computed_on = add_days(launch, from);
                if computed_on < last_event {
                    continue;
                }
                let stored = compute(launch, computed_on, seats);
                for later in 0..25 {
                    let today = add_days(computed_on, later);
                    let fresh = compute(launch, today, seats);
                    for (i, (kept, now)) in stored.seats.iter().zip(&fresh.seats).enumerate() {
                        let at = format!("route {n}, seat {i}, from day {from}, {later} later");
                        assert_eq!(
                            kept.expected_start_rule.on(today),
                            now.expected_start,
                            "{at}"
                        );
                        assert_eq!(kept.expected_end_rule.on(today), now.expected_end, "{at}");
                        assert_eq!(kept.deadline, now.deadline, "{at}");
                        for (a, b) in kept.actions.iter().zip(&now.actions) {
                            assert_eq!(a.expected_end_rule.on(today), b.expected_end, "{at}");
                        }
                    }
                }
            }
        }
    }
}
