//! How an approval moves: its statuses, the active step, and who may decide when
//! (product spec §3).

use std::fmt;

/// Status of an approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Draft,
    Running,
    Approved,
    Rejected,
}

impl Status {
    /// The name stored in the database.
    pub fn as_db(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Running => "running",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }

    /// Reads the stored name.
    pub fn from_db(value: &str) -> Option<Self> {
        match value {
            "draft" => Some(Status::Draft),
            "running" => Some(Status::Running),
            "approved" => Some(Status::Approved),
            "rejected" => Some(Status::Rejected),
            _ => None,
        }
    }

    /// The name people read.
    pub fn title(self) -> &'static str {
        match self {
            Status::Draft => "Черновик",
            Status::Running => "Запущено",
            Status::Approved => "Согласовано",
            Status::Rejected => "Отклонено",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// A participant's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approved,
    Refused,
}

impl Decision {
    pub fn as_db(self) -> &'static str {
        match self {
            Decision::Approved => "approved",
            Decision::Refused => "refused",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        match value {
            "approved" => Some(Decision::Approved),
            "refused" => Some(Decision::Refused),
            _ => None,
        }
    }

    /// The decision as the decision table names it.
    pub fn title(self) -> &'static str {
        match self {
            Decision::Approved => "Согласовано",
            Decision::Refused => "Отказано",
        }
    }
}

/// What the rules need to know about one participant of a running approval.
#[derive(Clone, Debug)]
pub struct Seat {
    pub participant_id: i64,
    pub step: i32,
    pub is_mandatory: bool,
    pub is_final: bool,
    pub decision: Option<Decision>,
    /// Descriptions of the mandatory actions not yet done.
    pub open_mandatory_actions: Vec<String>,
}

/// Why a participant may not decide now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecideRefusal {
    NotRunning,
    AlreadyDecided,
    StepNotStarted,
    /// Names the mandatory actions not yet done.
    OpenMandatoryActions(Vec<String>),
}

impl DecideRefusal {
    /// The message shown to the user.
    pub fn message(&self) -> String {
        match self {
            DecideRefusal::NotRunning => "Согласование не запущено или уже завершено: \
                 решение принять нельзя."
                .to_owned(),
            DecideRefusal::AlreadyDecided => {
                "Решение по этому участнику уже принято; повторно принять его нельзя.".to_owned()
            }
            DecideRefusal::StepNotStarted => "Принятие решения пока невозможно: \
                 не завершён предыдущий шаг согласования."
                .to_owned(),
            DecideRefusal::OpenMandatoryActions(open) => {
                let names: Vec<String> = open.iter().map(|name| format!("«{name}»")).collect();
                format!(
                    "Принять решение нельзя, пока не выполнены обязательные действия: {}.",
                    names.join(", ")
                )
            }
        }
    }

    /// Why the participant's action cannot be performed now, in Russian.
    pub fn action_message(&self) -> String {
        match self {
            DecideRefusal::NotRunning => "Согласование не запущено или уже завершено: \
                 действие выполнить нельзя."
                .to_owned(),
            DecideRefusal::AlreadyDecided => {
                "Участник уже принял решение: его действия больше не выполняются.".to_owned()
            }
            DecideRefusal::StepNotStarted => "Выполнить действие пока невозможно: \
                 не завершён предыдущий шаг согласования."
                .to_owned(),
            DecideRefusal::OpenMandatoryActions(_) => self.message(),
        }
    }
}

/// Where an approval stands after its decisions so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Still running; the mandatory participants of this step are deciding.
    Running { current_step: i32 },
    /// Completed with the final status.
    Completed(Status),
}

/// The step whose mandatory participants are deciding now: the first step with an undecided
/// mandatory participant. `None` once every mandatory participant has decided.
pub fn current_step(seats: &[Seat]) -> Option<i32> {
    seats
        .iter()
        .filter(|s| s.is_mandatory && s.decision.is_none())
        .map(|s| s.step)
        .min()
}

/// Where the approval stands given its seats: the final participant's decision completes it;
/// otherwise it runs at its current step.
pub fn progress(seats: &[Seat]) -> Progress {
    if let Some(decision) = seats.iter().find(|s| s.is_final).and_then(|s| s.decision) {
        return Progress::Completed(match decision {
            Decision::Approved => Status::Approved,
            Decision::Refused => Status::Rejected,
        });
    }
    match current_step(seats) {
        Some(step) => Progress::Running { current_step: step },
        // A route without a final participant ends when every mandatory one has decided:
        // approved unless one of them refused.
        None => {
            let refused = seats
                .iter()
                .any(|s| s.is_mandatory && s.decision == Some(Decision::Refused));
            Progress::Completed(if refused {
                Status::Rejected
            } else {
                Status::Approved
            })
        }
    }
}

/// Whether the step has started: every earlier step's mandatory participants have decided.
pub fn step_started(seats: &[Seat], step: i32) -> bool {
    current_step(seats).is_none_or(|current| step <= current)
}

/// Checks that the participant may work on the approval now: perform its actions, and decide
/// once they are done. A mandatory participant works once its step has started; one that is
/// not mandatory may work at any time while the approval runs. A decided participant is done.
pub fn may_act(status: Status, seats: &[Seat], participant_id: i64) -> Result<(), DecideRefusal> {
    if status != Status::Running {
        return Err(DecideRefusal::NotRunning);
    }
    let Some(seat) = seats.iter().find(|s| s.participant_id == participant_id) else {
        return Err(DecideRefusal::NotRunning);
    };
    if seat.decision.is_some() {
        return Err(DecideRefusal::AlreadyDecided);
    }
    if seat.is_mandatory && !step_started(seats, seat.step) {
        return Err(DecideRefusal::StepNotStarted);
    }
    Ok(())
}

/// Checks that the participant may decide now: it may act and has no open mandatory action.
pub fn may_decide(
    status: Status,
    seats: &[Seat],
    participant_id: i64,
) -> Result<(), DecideRefusal> {
    may_act(status, seats, participant_id)?;
    let open = seats
        .iter()
        .find(|s| s.participant_id == participant_id)
        .map(|s| &s.open_mandatory_actions);
    if let Some(open) = open.filter(|open| !open.is_empty()) {
        return Err(DecideRefusal::OpenMandatoryActions(open.clone()));
    }
    Ok(())
}

/// Why a repeat approval cannot be started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RepeatRefusal {
    /// The user is not of the initiator organisation or lacks the create right.
    NotInitiator,
    /// Only a rejected approval is repeated.
    NotRejected(Status),
    /// The approval already has a repeat, with this number.
    AlreadyRepeated(String),
}

impl RepeatRefusal {
    /// The message shown to the user about approval `number`.
    pub fn message(&self, number: &str) -> String {
        match self {
            RepeatRefusal::NotInitiator => format!(
                "Повторное согласование по {number} может начать только сотрудник \
                 организации-инициатора с правом «Создавать согласования»."
            ),
            RepeatRefusal::NotRejected(status) => format!(
                "Повторное согласование начинают только по отклонённому согласованию, \
                 а {number} — «{status}»."
            ),
            RepeatRefusal::AlreadyRepeated(repeat) => format!(
                "По согласованию {number} уже начато повторное согласование {repeat}; \
                 второе начать нельзя."
            ),
        }
    }
}

/// Checks that a repeat of an approval in `status` may be started by a user who may (or may
/// not) manage it, when `existing_repeat` names its repeat if it has one (spec §3 item 7).
pub fn may_repeat(
    may_manage: bool,
    status: Status,
    existing_repeat: Option<&str>,
) -> Result<(), RepeatRefusal> {
    if !may_manage {
        return Err(RepeatRefusal::NotInitiator);
    }
    if status != Status::Rejected {
        return Err(RepeatRefusal::NotRejected(status));
    }
    if let Some(repeat) = existing_repeat {
        return Err(RepeatRefusal::AlreadyRepeated(repeat.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(id: i64, step: i32, is_mandatory: bool, is_final: bool) -> Seat {
        Seat {
            participant_id: id,
            step,
            is_mandatory,
            is_final,
            decision: None,
            open_mandatory_actions: Vec::new(),
        }
    }

    /// The seeded route in small: two step-1 participants (one optional) and a final one.
    fn route() -> Vec<Seat> {
        vec![
            seat(1, 1, true, false),
            seat(2, 1, false, false),
            seat(3, 2, true, true),
        ]
    }

    fn decide(seats: &mut [Seat], id: i64, decision: Decision) {
        let seat = seats.iter_mut().find(|s| s.participant_id == id);
        seat.expect("participant exists").decision = Some(decision);
    }

    #[test]
    fn the_final_participant_waits_until_step_one_mandatory_participants_decide() {
        let mut seats = route();
        assert_eq!(
            may_decide(Status::Running, &seats, 3),
            Err(DecideRefusal::StepNotStarted)
        );
        assert_eq!(progress(&seats), Progress::Running { current_step: 1 });
        decide(&mut seats, 1, Decision::Refused);
        assert_eq!(progress(&seats), Progress::Running { current_step: 2 });
        assert_eq!(may_decide(Status::Running, &seats, 3), Ok(()));
    }

    #[test]
    fn a_refused_action_is_explained_as_an_action_and_a_refused_decision_as_a_decision() {
        let seats = route();
        let refusal = may_act(Status::Running, &seats, 3).expect_err("step 2 waits");
        assert!(
            refusal
                .action_message()
                .starts_with("Выполнить действие пока невозможно")
        );
        assert!(
            refusal
                .message()
                .starts_with("Принятие решения пока невозможно")
        );
        for refusal in [DecideRefusal::NotRunning, DecideRefusal::AlreadyDecided] {
            assert!(
                refusal.action_message().to_lowercase().contains("действ"),
                "{refusal:?}"
            );
            assert!(
                refusal.message().to_lowercase().contains("решени"),
                "{refusal:?}"
            );
        }
    }

    #[test]
    fn an_optional_participant_neither_holds_the_step_nor_waits_for_it() {
        let mut seats = route();
        decide(&mut seats, 1, Decision::Approved);
        assert!(step_started(&seats, 2));
        assert_eq!(may_decide(Status::Running, &seats, 2), Ok(()));
        let mut late = vec![
            seat(1, 1, true, false),
            seat(2, 2, false, false),
            seat(3, 3, true, true),
        ];
        assert_eq!(may_decide(Status::Running, &late, 2), Ok(()));
        decide(&mut late, 1, Decision::Approved);
        assert_eq!(progress(&late), Progress::Running { current_step: 3 });
    }

    #[test]
    fn a_refusal_before_the_final_step_does_not_stop_the_approval() {
        let mut seats = route();
        decide(&mut seats, 1, Decision::Refused);
        decide(&mut seats, 3, Decision::Approved);
        assert_eq!(progress(&seats), Progress::Completed(Status::Approved));
    }

    #[test]
    fn the_final_decision_sets_the_final_status() {
        let mut seats = route();
        decide(&mut seats, 1, Decision::Approved);
        decide(&mut seats, 3, Decision::Refused);
        assert_eq!(progress(&seats), Progress::Completed(Status::Rejected));
    }

    #[test]
    fn nobody_decides_twice_or_outside_a_running_approval() {
        let mut seats = route();
        decide(&mut seats, 1, Decision::Approved);
        assert_eq!(
            may_decide(Status::Running, &seats, 1),
            Err(DecideRefusal::AlreadyDecided)
        );
        assert_eq!(
            may_decide(Status::Draft, &seats, 2),
            Err(DecideRefusal::NotRunning)
        );
        assert_eq!(
            may_decide(Status::Approved, &seats, 3),
            Err(DecideRefusal::NotRunning)
        );
        assert_eq!(
            may_decide(Status::Running, &seats, 99),
            Err(DecideRefusal::NotRunning)
        );
    }

    #[test]
    fn open_mandatory_actions_hold_the_decision_but_not_the_work() {
        let mut seats = route();
        seats[0].open_mandatory_actions = vec!["Проверить трассу".to_owned()];
        let refusal = may_decide(Status::Running, &seats, 1).expect_err("held");
        assert_eq!(
            refusal.message(),
            "Принять решение нельзя, пока не выполнены обязательные действия: «Проверить трассу»."
        );
        assert_eq!(may_act(Status::Running, &seats, 1), Ok(()));
    }

    #[test]
    fn statuses_round_trip_through_their_stored_names() {
        for status in [
            Status::Draft,
            Status::Running,
            Status::Approved,
            Status::Rejected,
        ] {
            assert_eq!(Status::from_db(status.as_db()), Some(status));
        }
        assert_eq!(Status::from_db("other"), None);
    }

    #[test]
    fn only_the_initiator_repeats_a_rejected_approval_and_only_once() {
        assert_eq!(may_repeat(true, Status::Rejected, None), Ok(()));
        assert_eq!(
            may_repeat(false, Status::Rejected, None),
            Err(RepeatRefusal::NotInitiator)
        );
        for status in [Status::Draft, Status::Running, Status::Approved] {
            assert_eq!(
                may_repeat(true, status, None),
                Err(RepeatRefusal::NotRejected(status))
            );
        }
        let twice = may_repeat(true, Status::Rejected, Some("2027-000002"));
        assert_eq!(
            twice.clone().map_err(|r| r.message("2027-000001")),
            Err(
                "По согласованию 2027-000001 уже начато повторное согласование 2027-000002; \
                 второе начать нельзя."
                    .to_owned()
            )
        );
        assert!(
            may_repeat(true, Status::Approved, None)
                .expect_err("approved")
                .message("2027-000001")
                .contains("«Согласовано»")
        );
    }
}
