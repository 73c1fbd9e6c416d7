//! The administrator's pages: organisations, users, routes and access requests. Every
//! handler takes [`Admin`], which answers 403 to anyone else.

pub mod requests;
pub mod routes;
pub mod users;

use askama::Template;
use axum::{
    extract::{FromRequestParts, State},
    http::{StatusCode, request::Parts},
    response::{Html, IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    AppState,
    approvals::Layout,
    auth::CurrentUser,
    extract::{Form, Path},
};
use crate::{
    db::{self, accounts::OrganisationFields, users::SignedIn},
    error::{AppError, AppResult},
};

/// The signed-in administrator.
pub struct Admin(pub SignedIn);

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        if !user.actor.is_admin {
            return Err(AppError::Forbidden(
                "Раздел доступен только администратору системы.".into(),
            ));
        }
        Ok(Admin(user))
    }
}

/// A form page's status: 422 when it comes back with problems.
pub fn form_status(errors: &[String]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// Organisations to choose from: id and short name.
pub async fn organisation_choices(state: &AppState) -> AppResult<Vec<(i64, String)>> {
    let organisations = db::accounts::organisations(&state.db).await?;
    Ok(choice_labels(&organisations))
}

/// Each organisation by its short name; names two organisations share (letter case and
/// outer spaces aside) are told apart by ИНН, or by number when there is none.
fn choice_labels(organisations: &[db::accounts::Organisation]) -> Vec<(i64, String)> {
    let key = |name: &str| name.trim().to_lowercase();
    organisations
        .iter()
        .map(|o| {
            let shared = organisations
                .iter()
                .any(|other| other.id != o.id && key(&other.short_name) == key(&o.short_name));
            let label = match (&o.inn, shared) {
                (_, false) => o.short_name.clone(),
                (Some(inn), true) => format!("{} (ИНН {inn})", o.short_name.trim()),
                (None, true) => format!("{} (№ {})", o.short_name.trim(), o.id),
            };
            (o.id, label)
        })
        .collect()
}

/// Organisation kinds as stored and as named; the operator of the system comes last.
pub const KINDS: [(&str, &str); 9] = [
    ("rso", "РСО"),
    ("network_owner", "Владелец инженерных коммуникаций"),
    ("gati", "ГАТИ"),
    ("kga", "КГА"),
    ("kb", "КБ"),
    ("kio", "КИО"),
    ("kgiop", "КГИОП"),
    ("kt", "КТ"),
    ("operator", "Оператор системы"),
];

pub fn kind_title(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("—", |(_, title)| title)
}

#[derive(Template)]
#[template(path = "admin/index.html")]
struct IndexPage {
    layout: Layout,
    pending_requests: i64,
}

pub async fn index(State(state): State<AppState>, Admin(user): Admin) -> AppResult<Html<String>> {
    let pending_requests = db::access_requests::pending_count(&state.db).await?;
    Ok(Html(
        IndexPage {
            layout: Layout::of(&user),
            pending_requests,
        }
        .render()?,
    ))
}

pub struct OrganisationRow {
    pub id: i64,
    pub name: String,
    pub short_name: String,
    pub kind: &'static str,
    pub inn: String,
    pub ogrn: String,
    pub users: i64,
}

#[derive(Template)]
#[template(path = "admin/organisations.html")]
struct OrganisationsPage {
    layout: Layout,
    organisations: Vec<OrganisationRow>,
}

pub async fn organisations(
    State(state): State<AppState>,
    Admin(user): Admin,
) -> AppResult<Html<String>> {
    let organisations = db::accounts::organisations(&state.db)
        .await?
        .into_iter()
        .map(|o| OrganisationRow {
            id: o.id,
            name: o.name,
            short_name: o.short_name,
            kind: kind_title(&o.kind),
            inn: o.inn.unwrap_or_default(),
            ogrn: o.ogrn.unwrap_or_default(),
            users: o.users,
        })
        .collect();
    Ok(Html(
        OrganisationsPage {
            layout: Layout::of(&user),
            organisations,
        }
        .render()?,
    ))
}

#[derive(Deserialize, Default)]
pub struct OrganisationForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    short_name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    inn: String,
    #[serde(default)]
    ogrn: String,
}

#[derive(Template)]
#[template(path = "admin/organisation.html")]
struct OrganisationPage {
    layout: Layout,
    id: Option<i64>,
    form: OrganisationForm,
    kinds: &'static [(&'static str, &'static str)],
    errors: Vec<String>,
}

fn organisation_page(
    user: &SignedIn,
    id: Option<i64>,
    form: OrganisationForm,
    errors: Vec<String>,
) -> AppResult<Response> {
    let status = form_status(&errors);
    let page = OrganisationPage {
        layout: Layout::of(user),
        id,
        form,
        kinds: &KINDS,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn new_organisation(Admin(user): Admin) -> AppResult<Response> {
    organisation_page(&user, None, OrganisationForm::default(), Vec::new())
}

pub async fn edit_organisation(
    State(state): State<AppState>,
    Admin(user): Admin,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let o = db::accounts::organisation(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = OrganisationForm {
        name: o.name,
        short_name: o.short_name,
        kind: o.kind,
        inn: o.inn.unwrap_or_default(),
        ogrn: o.ogrn.unwrap_or_default(),
    };
    organisation_page(&user, Some(id), form, Vec::new())
}

/// The problems of an organisation's fields; ИНН of 10 or 12 digits, ОГРН of 13 or 15.
pub fn organisation_problems(f: &OrganisationFields) -> Vec<String> {
    let mut errors = Vec::new();
    if f.name.trim().is_empty() {
        errors.push("Укажите полное наименование организации.".to_owned());
    }
    if f.short_name.trim().is_empty() {
        errors.push("Укажите краткое наименование организации.".to_owned());
    }
    if !KINDS.iter().any(|(k, _)| *k == f.kind) {
        errors.push("Выберите вид организации.".to_owned());
    }
    let digits = |s: &str, lengths: &[usize]| {
        let s = s.trim();
        s.chars().all(|c| c.is_ascii_digit()) && lengths.contains(&s.len())
    };
    if !digits(&f.inn, &[10, 12]) {
        errors.push("ИНН — 10 цифр для организации или 12 для предпринимателя.".to_owned());
    }
    if !f.ogrn.trim().is_empty() && !digits(&f.ogrn, &[13, 15]) {
        errors.push("ОГРН — 13 цифр (или 15 для ОГРНИП).".to_owned());
    }
    errors
}

pub async fn save_organisation_form(
    state: &AppState,
    user: &SignedIn,
    id: Option<i64>,
    form: OrganisationForm,
) -> AppResult<Response> {
    let fields = OrganisationFields {
        name: form.name.clone(),
        short_name: form.short_name.clone(),
        kind: form.kind.clone(),
        inn: form.inn.clone(),
        ogrn: form.ogrn.clone(),
    };
    let mut errors = organisation_problems(&fields);
    let mut tx = state.db.begin().await?;
    if errors.is_empty()
        && db::accounts::organisation_with_inn(&mut tx, &fields.inn, id)
            .await?
            .is_some()
    {
        errors.push("Организация с таким ИНН уже есть.".to_owned());
    }
    if !errors.is_empty() {
        return organisation_page(user, id, form, errors);
    }
    let saved = match db::accounts::save_organisation(&mut tx, id, &fields).await {
        Err(e) if db::is_unique_violation(&e) => {
            let errors = vec!["Организация с таким ИНН уже есть.".to_owned()];
            return organisation_page(user, id, form, errors);
        }
        other => other?.ok_or(AppError::NotFound)?,
    };
    tx.commit().await?;
    tracing::info!(organisation.id = saved, "organisation saved");
    Ok(Redirect::to("/admin/organisations").into_response())
}

pub async fn create_organisation(
    State(state): State<AppState>,
    Admin(user): Admin,
    Form(form): Form<OrganisationForm>,
) -> AppResult<Response> {
    save_organisation_form(&state, &user, None, form).await
}

pub async fn update_organisation(
    State(state): State<AppState>,
    Admin(user): Admin,
    Path(id): Path<i64>,
    Form(form): Form<OrganisationForm>,
) -> AppResult<Response> {
    save_organisation_form(&state, &user, Some(id), form).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn organisation(id: i64, short_name: &str, inn: Option<&str>) -> db::accounts::Organisation {
        db::accounts::Organisation {
            id,
            name: short_name.to_owned(),
            short_name: short_name.to_owned(),
            kind: "rso".to_owned(),
            inn: inn.map(str::to_owned),
            ogrn: None,
            users: 0,
        }
    }

    #[test]
    fn organisations_sharing_a_name_are_told_apart() {
        let labels = choice_labels(&[
            organisation(1, "ООО «НВС»", Some("7801234567")),
            organisation(2, "ГАТИ", None),
            organisation(3, "ооо «нвс» ", None),
        ]);
        assert_eq!(
            labels,
            [
                (1, "ООО «НВС» (ИНН 7801234567)".to_owned()),
                (2, "ГАТИ".to_owned()),
                (3, "ооо «нвс» (№ 3)".to_owned()),
            ]
        );
    }
}
