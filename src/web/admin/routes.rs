//! The route editor. The whole route is one form: buttons add or remove steps,
//! participants, actions and folders by posting the form back, so nothing typed is lost and
//! no script is needed. «Сохранить» checks the rules and saves a new version.

use std::collections::BTreeMap;

use askama::Template;
use axum::{
    extract::State,
    response::{Html, IntoResponse, Redirect, Response},
};

use super::{Admin, form_status, organisation_choices};
use crate::{
    db::{self, routes::SaveError, users::SignedIn},
    domain::{
        dates::TermBasis,
        route_rules::{self, ActionDraft, FolderDraft, ParticipantDraft, RouteDraft, StepDraft},
    },
    error::{AppError, AppResult},
    web::{
        AppState,
        approvals::Layout,
        extract::{Form, Path},
        format,
    },
};

pub struct VersionRow {
    pub id: i64,
    pub name: String,
    pub version: i32,
    pub is_public: bool,
    pub state: String,
    pub current: bool,
    pub approvals: i64,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin/routes.html")]
struct RoutesPage {
    layout: Layout,
    versions: Vec<VersionRow>,
}

pub async fn list(State(state): State<AppState>, Admin(user): Admin) -> AppResult<Html<String>> {
    let versions = db::routes::versions(&state.db)
        .await?
        .into_iter()
        .map(|v| VersionRow {
            id: v.id,
            name: v.name,
            version: v.version,
            is_public: v.is_public,
            state: v.retired_at.map_or_else(
                || "Действует".to_owned(),
                |at| format!("Выведен {}", format::day_of(at)),
            ),
            current: v.retired_at.is_none(),
            approvals: v.approvals,
            created: format::day_of(v.created_at),
        })
        .collect();
    Ok(Html(
        RoutesPage {
            layout: Layout::of(&user),
            versions,
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "admin/route_editor.html")]
struct EditorPage {
    layout: Layout,
    base: Option<i64>,
    route: RouteDraft,
    organisations: Vec<(i64, String)>,
    errors: Vec<String>,
}

async fn editor(
    state: &AppState,
    user: &SignedIn,
    base: Option<i64>,
    route: RouteDraft,
    errors: Vec<String>,
) -> AppResult<Response> {
    let organisations = organisation_choices(state).await?;
    let status = form_status(&errors);
    let page = EditorPage {
        layout: Layout::of(user),
        base,
        route,
        organisations,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn new_form(State(state): State<AppState>, Admin(user): Admin) -> AppResult<Response> {
    let route = RouteDraft {
        steps: vec![StepDraft {
            participants: vec![ParticipantDraft {
                is_final: true,
                ..ParticipantDraft::default()
            }],
        }],
        ..RouteDraft::default()
    };
    editor(&state, &user, None, route, Vec::new()).await
}

pub async fn edit_form(
    State(state): State<AppState>,
    Admin(user): Admin,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (route, retired) = db::routes::load_draft(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if retired {
        return Err(AppError::Conflict(
            "Эта версия маршрута выведена из употребления; изменяют действующую версию.".into(),
        ));
    }
    editor(&state, &user, Some(id), route, Vec::new()).await
}

/// Posts of the editor: a button's change to the form, or «Сохранить».
pub async fn submit(
    State(state): State<AppState>,
    Admin(user): Admin,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let fields: BTreeMap<String, String> = fields.into_iter().collect();
    let base = fields.get("base").and_then(|b| b.parse::<i64>().ok());
    let mut route = read_route(&fields);
    let op = fields.get("op").map_or("", String::as_str);
    if op != "save" {
        apply(&mut route, op);
        return editor(&state, &user, base, route, Vec::new()).await;
    }
    let mut problems = route_rules::problems(&route);
    // The list offers only known ways to count a term; another value is not read as one.
    let unknown_basis = fields
        .iter()
        .any(|(key, value)| key.ends_with(".basis") && TermBasis::from_db(value).is_none());
    if unknown_basis {
        problems.push(
            "Отсчёт срока участника не распознан: выберите его из списка — от запуска \
             согласования или от начала шага."
                .to_owned(),
        );
    }
    if !problems.is_empty() {
        return editor(&state, &user, base, route, problems).await;
    }
    let mut tx = state.db.begin().await?;
    let known: Vec<i64> = db::accounts::organisations(&state.db)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let unknown = route
        .steps
        .iter()
        .flat_map(|s| &s.participants)
        .any(|p| p.organisation_id.is_some_and(|id| !known.contains(&id)));
    if unknown {
        let errors = vec!["Одна из выбранных организаций не найдена.".to_owned()];
        return editor(&state, &user, base, route, errors).await;
    }
    match db::routes::save_version(&mut tx, &route, base, state.clock.now()).await {
        Ok(id) => {
            tx.commit().await?;
            tracing::info!(route.id = id, "route version saved");
            Ok(Redirect::to("/admin/routes").into_response())
        }
        Err(SaveError::NotCurrent) => {
            let errors = vec![
                "Пока вы редактировали, эту версию маршрута изменили или вывели из употребления. \
                 Откройте действующую версию и внесите изменения в неё."
                    .to_owned(),
            ];
            editor(&state, &user, base, route, errors).await
        }
        Err(SaveError::Db(e)) => Err(e.into()),
    }
}

pub async fn retire(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
) -> AppResult<Redirect> {
    if !db::routes::retire(&state.db, id, state.clock.now()).await? {
        db::routes::load_draft(&state.db, id)
            .await?
            .ok_or(AppError::NotFound)?;
        return Err(AppError::Conflict(
            "Эта версия маршрута уже выведена из употребления.".into(),
        ));
    }
    tracing::info!(route.id = id, "route retired");
    Ok(Redirect::to("/admin/routes"))
}

/// Reads the route from the editor's fields: `s0`, `s0.p1`, `s0.p1.a0`, `f2` mark that a
/// row exists; the row's values follow its key.
fn read_route(fields: &BTreeMap<String, String>) -> RouteDraft {
    let text = |key: &str| fields.get(key).cloned().unwrap_or_default();
    let flag = |key: &str| fields.contains_key(key);
    let days = |key: &str| fields.get(key).and_then(|v| v.trim().parse::<i32>().ok());
    let rows = |prefix: &str, letter: char| -> Vec<String> {
        (0..)
            .map(|i| format!("{prefix}{letter}{i}"))
            .take_while(|key| fields.contains_key(key))
            .collect()
    };
    let steps = rows("", 's')
        .into_iter()
        .map(|s| StepDraft {
            participants: rows(&format!("{s}."), 'p')
                .into_iter()
                .map(|p| ParticipantDraft {
                    organisation_id: fields.get(&format!("{p}.org")).and_then(|v| v.parse().ok()),
                    term_days: days(&format!("{p}.days")),
                    basis: TermBasis::from_db(&text(&format!("{p}.basis")))
                        .unwrap_or(TermBasis::Launch),
                    is_mandatory: flag(&format!("{p}.mandatory")),
                    is_final: flag(&format!("{p}.final")),
                    actions: rows(&format!("{p}."), 'a')
                        .into_iter()
                        .map(|a| ActionDraft {
                            description: text(&format!("{a}.text")),
                            term_days: days(&format!("{a}.days")),
                            is_mandatory: flag(&format!("{a}.mandatory")),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let folders = rows("", 'f')
        .into_iter()
        .map(|f| FolderDraft {
            name: text(&format!("{f}.name")),
            is_required: flag(&format!("{f}.required")),
        })
        .collect();
    RouteDraft {
        name: text("name"),
        is_public: flag("is_public"),
        steps,
        folders,
    }
}

/// Applies an editor button: `add_step`, `add_folder`, `add_participant:s1`,
/// `add_action:s1.p0`, `remove:s1.p0.a2` and the like. Unknown keys change nothing.
fn apply(route: &mut RouteDraft, op: &str) {
    let (verb, key) = op.split_once(':').unwrap_or((op, ""));
    let path: Vec<usize> = key
        .split('.')
        .filter_map(|part| part.get(1..).and_then(|n| n.parse().ok()))
        .collect();
    let kinds: String = key
        .split('.')
        .filter_map(|part| part.chars().next())
        .collect();
    match (verb, kinds.as_str(), path.as_slice()) {
        ("add_step", "", []) => route.steps.push(StepDraft {
            participants: vec![ParticipantDraft::default()],
        }),
        ("add_folder", "", []) => route.folders.push(FolderDraft {
            name: String::new(),
            is_required: true,
        }),
        ("add_participant", "s", [s]) => {
            if let Some(step) = route.steps.get_mut(*s) {
                step.participants.push(ParticipantDraft::default());
            }
        }
        ("add_action", "sp", [s, p]) => {
            if let Some(seat) = route
                .steps
                .get_mut(*s)
                .and_then(|step| step.participants.get_mut(*p))
            {
                seat.actions.push(ActionDraft {
                    description: String::new(),
                    term_days: None,
                    is_mandatory: true,
                });
            }
        }
        ("remove", "s", [s]) if *s < route.steps.len() => {
            route.steps.remove(*s);
        }
        ("remove", "sp", [s, p]) => {
            if let Some(step) = route
                .steps
                .get_mut(*s)
                .filter(|st| *p < st.participants.len())
            {
                step.participants.remove(*p);
            }
        }
        ("remove", "spa", [s, p, a]) => {
            if let Some(seat) = route
                .steps
                .get_mut(*s)
                .and_then(|step| step.participants.get_mut(*p))
                .filter(|seat| *a < seat.actions.len())
            {
                seat.actions.remove(*a);
            }
        }
        ("remove", "f", [f]) if *f < route.folders.len() => {
            route.folders.remove(*f);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_form_reads_back_into_the_route_it_shows() {
        let route = read_route(&fields(&[
            ("name", "Маршрут"),
            ("is_public", "on"),
            ("s0", "1"),
            ("s0.p0", "1"),
            ("s0.p0.org", "3"),
            ("s0.p0.days", "8"),
            ("s0.p0.basis", "launch"),
            ("s0.p0.mandatory", "on"),
            ("s0.p0.a0", "1"),
            ("s0.p0.a0.text", "Выдать разрешение"),
            ("s0.p0.a0.days", "4"),
            ("s1", "1"),
            ("s1.p0", "1"),
            ("s1.p0.org", "5"),
            ("s1.p0.days", "3"),
            ("s1.p0.basis", "step_start"),
            ("s1.p0.mandatory", "on"),
            ("s1.p0.final", "on"),
            ("f0", "1"),
            ("f0.name", "Заявление"),
            ("f0.required", "on"),
            // A row whose marker is missing is not read.
            ("s0.p2.org", "9"),
        ]));
        assert_eq!(route.name, "Маршрут");
        assert!(route.is_public);
        assert_eq!(route.steps.len(), 2);
        assert_eq!(route.steps[0].participants.len(), 1);
        let seat = &route.steps[0].participants[0];
        assert_eq!(
            (
                seat.organisation_id,
                seat.term_days,
                seat.is_mandatory,
                seat.is_final
            ),
            (Some(3), Some(8), true, false)
        );
        assert_eq!(seat.actions[0].description, "Выдать разрешение");
        assert!(!seat.actions[0].is_mandatory);
        assert_eq!(route.steps[1].participants[0].basis, TermBasis::StepStart);
        assert!(route.steps[1].participants[0].is_final);
        assert!(route.folders[0].is_required);
        assert!(route_rules::problems(&route).is_empty());
    }

    #[test]
    fn buttons_add_and_remove_rows_and_unknown_ones_change_nothing() {
        let mut route = RouteDraft::default();
        apply(&mut route, "add_step");
        apply(&mut route, "add_step");
        apply(&mut route, "add_participant:s1");
        apply(&mut route, "add_action:s1.p1");
        apply(&mut route, "add_folder");
        assert_eq!(route.steps[1].participants.len(), 2);
        assert_eq!(route.steps[1].participants[1].actions.len(), 1);
        assert_eq!(route.folders.len(), 1);
        let before = route.clone();
        for op in [
            "remove:s9",
            "remove:s1.p7",
            "add_action:s5.p0",
            "drop",
            "remove:x1",
        ] {
            apply(&mut route, op);
            assert_eq!(route, before, "{op}");
        }
        apply(&mut route, "remove:s1.p1.a0");
        assert!(route.steps[1].participants[1].actions.is_empty());
        apply(&mut route, "remove:s0");
        assert_eq!(route.steps.len(), 1);
        apply(&mut route, "remove:f0");
        assert!(route.folders.is_empty());
    }
}
