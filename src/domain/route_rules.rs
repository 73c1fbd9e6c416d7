//! A route as the administrator edits it, and the rules it must keep to be saved (product
//! spec §2).

use chrono::NaiveDate;

use super::dates::{self, Term, TermBasis};

/// A whole route in the editor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteDraft {
    pub name: String,
    pub is_public: bool,
    pub steps: Vec<StepDraft>,
    pub folders: Vec<FolderDraft>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepDraft {
    pub participants: Vec<ParticipantDraft>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParticipantDraft {
    pub organisation_id: Option<i64>,
    pub term_days: Option<i32>,
    pub basis: TermBasis,
    pub is_mandatory: bool,
    pub is_final: bool,
    pub actions: Vec<ActionDraft>,
}

impl ParticipantDraft {
    /// Whether the participant is this organisation (the editor's selection).
    pub fn is_organisation(&self, id: i64) -> bool {
        self.organisation_id == Some(id)
    }

    pub fn counts_from_step_start(&self) -> bool {
        self.basis == TermBasis::StepStart
    }
}

impl Default for ParticipantDraft {
    fn default() -> Self {
        ParticipantDraft {
            organisation_id: None,
            term_days: None,
            basis: TermBasis::Launch,
            is_mandatory: true,
            is_final: false,
            actions: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionDraft {
    pub description: String,
    pub term_days: Option<i32>,
    pub is_mandatory: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderDraft {
    pub name: String,
    pub is_required: bool,
}

/// The longest term a participant or an action may have: a year of calendar days.
pub const MAX_TERM_DAYS: i32 = 365;

const TERM_RANGE: &str = "срок — целое число дней от 1 до 365.";

fn term_in_range(days: Option<i32>) -> bool {
    days.is_some_and(|d| (1..=MAX_TERM_DAYS).contains(&d))
}

/// Every rule the draft breaks, in the editor's words; empty when it can be saved.
pub fn problems(route: &RouteDraft) -> Vec<String> {
    let mut found = Vec::new();
    if route.name.trim().is_empty() {
        found.push("Укажите название маршрута.".to_owned());
    }
    if route.steps.is_empty() {
        found.push("В маршруте должен быть хотя бы один этап.".to_owned());
    }
    for (s, step) in route.steps.iter().enumerate() {
        let step_no = s + 1;
        if step.participants.is_empty() {
            found.push(format!("На этапе {step_no} нет ни одного участника."));
        }
        for (p, participant) in step.participants.iter().enumerate() {
            let seat = format!("Этап {step_no}, участник {}", p + 1);
            if participant.organisation_id.is_none() {
                found.push(format!("{seat}: выберите организацию."));
            }
            if !term_in_range(participant.term_days) {
                found.push(format!("{seat}: {TERM_RANGE}"));
            }
            for (a, action) in participant.actions.iter().enumerate() {
                let which = format!("{seat}, действие {}", a + 1);
                if action.description.trim().is_empty() {
                    found.push(format!("{which}: опишите действие."));
                }
                if !term_in_range(action.term_days) {
                    found.push(format!("{which}: {TERM_RANGE}"));
                }
            }
        }
        let mut organisations: Vec<i64> = step
            .participants
            .iter()
            .filter_map(|p| p.organisation_id)
            .collect();
        organisations.sort_unstable();
        if organisations.windows(2).any(|w| w[0] == w[1]) {
            found.push(format!(
                "На этапе {step_no} одна организация указана дважды."
            ));
        }
    }
    found.extend(final_problems(route));
    found.extend(window_problems(route));
    for (f, folder) in route.folders.iter().enumerate() {
        if folder.name.trim().is_empty() {
            found.push(format!("Папка {}: укажите название.", f + 1));
        }
    }
    found
}

/// Exactly one final participant, alone in the last step and mandatory.
fn final_problems(route: &RouteDraft) -> Vec<String> {
    let finals: Vec<(usize, &ParticipantDraft)> = route
        .steps
        .iter()
        .enumerate()
        .flat_map(|(s, step)| step.participants.iter().map(move |p| (s, p)))
        .filter(|(_, p)| p.is_final)
        .collect();
    let mut found = Vec::new();
    match finals.as_slice() {
        [] if !route.steps.is_empty() => {
            found.push("Отметьте итоговое согласование: оно должно быть ровно одно.".to_owned());
        }
        [] => {}
        [(step, participant)] => {
            let last = route.steps.len() - 1;
            if *step != last || route.steps[last].participants.len() != 1 {
                found.push(
                    "Итоговое согласование должно стоять одно на последнем этапе.".to_owned(),
                );
            }
            if !participant.is_mandatory {
                found.push("Итоговое согласование должно быть обязательным.".to_owned());
            }
        }
        _ => found.push(format!(
            "Итоговое согласование должно быть ровно одно, отмечено {}.",
            finals.len()
        )),
    }
    found
}

/// A term counted from the launch in a later step must end after its step is planned to
/// start, or the participant would have no day to decide.
fn window_problems(route: &RouteDraft) -> Vec<String> {
    let mut terms = Vec::new();
    let mut places = Vec::new();
    for (s, step) in route.steps.iter().enumerate() {
        for (p, participant) in step.participants.iter().enumerate() {
            let Some(days) = participant.term_days.filter(|d| *d > 0) else {
                return Vec::new();
            };
            terms.push(Term {
                step: i32::try_from(s + 1).unwrap_or(i32::MAX),
                days,
                basis: participant.basis,
                is_mandatory: participant.is_mandatory,
            });
            places.push((s, p));
        }
    }
    let launch = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
    let plan = dates::plan(launch, &terms);
    terms
        .iter()
        .zip(&plan.participants)
        .zip(&places)
        .filter(|((term, planned), _)| {
            term.basis == TermBasis::Launch && term.step > 1 && planned.end <= planned.start
        })
        .map(|((term, planned), (s, p))| {
            let offset = (planned.start - launch).num_days();
            format!(
                "Этап {}, участник {}: срок от запуска {} дн. должен быть больше {} дн. — \
                 столько проходит до планового начала этапа.",
                s + 1,
                p + 1,
                term.days,
                offset
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(org: i64, days: i32, basis: TermBasis) -> ParticipantDraft {
        ParticipantDraft {
            organisation_id: Some(org),
            term_days: Some(days),
            basis,
            ..ParticipantDraft::default()
        }
    }

    fn final_seat(org: i64, days: i32, basis: TermBasis) -> ParticipantDraft {
        ParticipantDraft {
            is_final: true,
            ..seat(org, days, basis)
        }
    }

    /// The seeded route's shape: seven from launch for 8 days, then ГАТИ for 12.
    fn seeded() -> RouteDraft {
        RouteDraft {
            name: "Технологическое присоединение".to_owned(),
            is_public: true,
            steps: vec![
                StepDraft {
                    participants: (1..=7).map(|o| seat(o, 8, TermBasis::Launch)).collect(),
                },
                StepDraft {
                    participants: vec![final_seat(8, 12, TermBasis::Launch)],
                },
            ],
            folders: vec![FolderDraft {
                name: "Заявление".to_owned(),
                is_required: true,
            }],
        }
    }

    #[test]
    fn the_seeded_route_keeps_every_rule() {
        assert_eq!(problems(&seeded()), Vec::<String>::new());
    }

    #[test]
    fn the_final_participant_is_one_alone_in_the_last_step() {
        let mut none = seeded();
        none.steps[1].participants[0].is_final = false;
        assert_eq!(
            problems(&none),
            ["Отметьте итоговое согласование: оно должно быть ровно одно."]
        );

        let mut two = seeded();
        two.steps[0].participants[0].is_final = true;
        assert_eq!(
            problems(&two),
            ["Итоговое согласование должно быть ровно одно, отмечено 2."]
        );

        let mut crowded = seeded();
        crowded.steps[1]
            .participants
            .push(seat(9, 12, TermBasis::Launch));
        assert_eq!(
            problems(&crowded),
            ["Итоговое согласование должно стоять одно на последнем этапе."]
        );

        let mut early = seeded();
        early.steps[1].participants[0].is_final = false;
        early.steps[0].participants[0].is_final = true;
        assert_eq!(
            problems(&early),
            ["Итоговое согласование должно стоять одно на последнем этапе."]
        );

        let mut optional = seeded();
        optional.steps[1].participants[0].is_mandatory = false;
        assert_eq!(
            problems(&optional),
            ["Итоговое согласование должно быть обязательным."]
        );
    }

    #[test]
    fn every_step_has_a_participant_and_every_term_is_positive() {
        let mut empty_step = seeded();
        empty_step.steps.insert(1, StepDraft::default());
        assert_eq!(
            problems(&empty_step),
            ["На этапе 2 нет ни одного участника."]
        );

        let mut zero = seeded();
        zero.steps[0].participants[2].term_days = Some(0);
        zero.steps[0].participants[3].term_days = None;
        zero.steps[0].participants[4].term_days = Some(i32::MAX);
        zero.steps[0].participants[0].actions.push(ActionDraft {
            description: " ".to_owned(),
            term_days: Some(-1),
            is_mandatory: true,
        });
        assert_eq!(
            problems(&zero),
            [
                "Этап 1, участник 1, действие 1: опишите действие.",
                "Этап 1, участник 1, действие 1: срок — целое число дней от 1 до 365.",
                "Этап 1, участник 3: срок — целое число дней от 1 до 365.",
                "Этап 1, участник 4: срок — целое число дней от 1 до 365.",
                "Этап 1, участник 5: срок — целое число дней от 1 до 365.",
            ]
        );

        let nothing = RouteDraft::default();
        assert_eq!(
            problems(&nothing),
            [
                "Укажите название маршрута.",
                "В маршруте должен быть хотя бы один этап."
            ]
        );
    }

    #[test]
    fn a_launch_term_in_a_later_step_must_outlast_the_steps_before_it() {
        // Step 2 is planned to start 8 days after launch: 8 days from launch leave no day.
        let mut short = seeded();
        short.steps[1].participants[0].term_days = Some(8);
        assert_eq!(
            problems(&short),
            [
                "Этап 2, участник 1: срок от запуска 8 дн. должен быть больше 8 дн. — \
                 столько проходит до планового начала этапа."
            ]
        );
        let mut enough = seeded();
        enough.steps[1].participants[0].term_days = Some(9);
        assert!(problems(&enough).is_empty());
        // Counted from the step's start, any positive term leaves days.
        let mut from_step = seeded();
        from_step.steps[1].participants[0] = final_seat(8, 1, TermBasis::StepStart);
        assert!(problems(&from_step).is_empty());
        // An optional participant does not hold step 2 back.
        let mut optional = seeded();
        optional.steps[0].participants[0].term_days = Some(30);
        optional.steps[0].participants[0].is_mandatory = false;
        assert!(problems(&optional).is_empty());
    }

    #[test]
    fn one_organisation_appears_once_per_step_and_folders_are_named() {
        let mut twice = seeded();
        twice.steps[0].participants[1].organisation_id = Some(1);
        twice.folders.push(FolderDraft {
            name: String::new(),
            is_required: false,
        });
        assert_eq!(
            problems(&twice),
            [
                "На этапе 1 одна организация указана дважды.",
                "Папка 2: укажите название."
            ]
        );
    }
}
