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
    pub actual_end: Option<NaiveDate>,
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
    let mut previous_ends: Vec<NaiveDate> = Vec::new();
    for step in steps {
        let expected_start = previous_ends.iter().copied().fold(today, NaiveDate::max);
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
        previous_ends = mandatory.iter().map(|d| d.expected_end).collect();
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
    expected_start_if_waiting: NaiveDate,
) -> SeatDates {
    let days = i64::from(seat.days);
    let window = match seat.basis {
        TermBasis::StepStart => days,
        TermBasis::Launch => (days - (planned.start - launch).num_days()).max(1),
    };
    let deadline = actual_start.map(|start| planned.end.max(add_days(start, window)));
    let expected_start = actual_start.unwrap_or(expected_start_if_waiting);
    let expected_end = seat
        .decided_on
        .or(deadline)
        .unwrap_or_else(|| add_days(expected_start, window));
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
            ActionDates {
                planned_end,
                deadline,
                expected_end: action
                    .done_on
                    .or(deadline)
                    .unwrap_or_else(|| add_days(expected_start, term)),
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
        expected_start,
        expected_end,
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
}
