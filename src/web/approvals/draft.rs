//! The creation and edit card of a draft, its deletion and its launch.

use crate::web::extract::{Form, Path, Query};
use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{Layout, Visible, load_visible};
use crate::{
    db::{
        self,
        approvals::{ApprovalFields, ApprovalRow, FolderRow, ParticipantRow},
        documents::DocumentRow,
        routes::RouteChoice,
        signatures::SignatureRow,
        users::SignedIn,
    },
    domain::{
        dates::TermBasis,
        names::NETWORK_KINDS,
        signing::{self, SignedState},
    },
    error::{AppError, AppResult},
    signature::Verdict,
    web::{AppState, auth::CurrentUser, format},
    workflow,
};

/// The fields of the creation and edit card, as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApprovalForm {
    pub(super) route_id: String,
    pub(super) name: String,
    pub(super) subject: String,
    pub(super) works_address: String,
    pub(super) cadastral_number: String,
    pub(super) network_kind: String,
    pub(super) description: String,
    /// The token of the page the form was shown on (see `form_submissions`).
    #[serde(default)]
    pub(super) submission: String,
}

impl ApprovalForm {
    fn from_fields(fields: &ApprovalFields) -> Self {
        Self {
            route_id: String::new(),
            name: fields.name.clone(),
            subject: fields.subject.clone(),
            works_address: fields.works_address.clone(),
            cadastral_number: fields.cadastral_number.clone(),
            network_kind: fields.network_kind.clone(),
            description: fields.description.clone(),
            submission: String::new(),
        }
    }

    /// The form's fields among the pairs of a posted form that has others too.
    pub(super) fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut form = Self::default();
        for (key, value) in pairs {
            let field = match key.as_str() {
                "route_id" => &mut form.route_id,
                "name" => &mut form.name,
                "subject" => &mut form.subject,
                "works_address" => &mut form.works_address,
                "cadastral_number" => &mut form.cadastral_number,
                "network_kind" => &mut form.network_kind,
                "description" => &mut form.description,
                "submission" => &mut form.submission,
                _ => continue,
            };
            value.clone_into(field);
        }
        form
    }

    /// The route picked, if one is.
    pub(super) fn route_id(&self) -> Option<i64> {
        self.route_id.parse().ok()
    }

    /// Checks the fields; every problem is reported at once, in Russian.
    pub(super) fn validate(&self) -> Result<ApprovalFields, Vec<String>> {
        let mut errors = Vec::new();
        let required = [
            (&self.name, "Наименование"),
            (&self.subject, "Предмет согласования"),
            (&self.works_address, "Адрес производства работ"),
        ];
        for (value, label) in required {
            if value.trim().is_empty() {
                errors.push(format!("Заполните поле «{label}»."));
            }
        }
        let long = [
            (&self.name, "Наименование", 500),
            (&self.subject, "Предмет согласования", 2000),
            (&self.works_address, "Адрес производства работ", 1000),
            (&self.description, "Краткое описание", 4000),
        ];
        for (value, label, max) in long {
            if value.chars().count() > max {
                errors.push(format!("Поле «{label}» длиннее {max} символов."));
            }
        }
        if !NETWORK_KINDS.contains(&self.network_kind.as_str()) {
            errors.push("Выберите вид сети из списка.".to_owned());
        }
        let cadastral = self.cadastral_number.trim();
        if !cadastral.is_empty() && !is_cadastral_number(cadastral) {
            errors.push(
                "Кадастровый номер записывается как 78:12:0001234:56 (цифры через двоеточие)."
                    .to_owned(),
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ApprovalFields {
            name: self.name.trim().to_owned(),
            subject: self.subject.trim().to_owned(),
            works_address: self.works_address.trim().to_owned(),
            cadastral_number: cadastral.to_owned(),
            network_kind: self.network_kind.clone(),
            description: self.description.trim().to_owned(),
        })
    }
}

/// A cadastral number: four groups of digits separated by colons (`78:12:0001234:56`).
fn is_cadastral_number(value: &str) -> bool {
    let groups: Vec<&str> = value.split(':').collect();
    groups.len() == 4
        && groups
            .iter()
            .all(|g| !g.is_empty() && g.len() <= 10 && g.bytes().all(|b| b.is_ascii_digit()))
}

#[derive(Template)]
#[template(path = "approvals/new.html")]
pub(super) struct NewPage<'a> {
    pub(super) layout: Layout,
    /// The number typed into «Номер первичной заявки», to start a repeat.
    pub(super) primary_number: String,
    pub(super) form: ApprovalForm,
    pub(super) routes: Vec<RouteChoice>,
    pub(super) network_kinds: &'a [&'a str],
    pub(super) errors: Vec<String>,
}

pub(super) fn require_create_right(user: &SignedIn) -> AppResult<()> {
    if user.actor.rights.create {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Создавать согласования может только пользователь с правом «Создавать согласования»."
                .into(),
        ))
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Html<String>> {
    require_create_right(&user)?;
    let routes = db::routes::active(&state.db).await?;
    let page = NewPage {
        layout: Layout::of(&user),
        primary_number: String::new(),
        form: ApprovalForm {
            submission: uuid::Uuid::new_v4().to_string(),
            ..ApprovalForm::default()
        },
        routes,
        network_kinds: NETWORK_KINDS,
        errors: Vec::new(),
    };
    Ok(Html(page.render()?))
}

#[tracing::instrument(name = "approvals.create", skip_all, fields(user.id = user.actor.user_id))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Form(form): Form<ApprovalForm>,
) -> AppResult<Response> {
    require_create_right(&user)?;

    let route_id = form.route_id.parse::<i64>().ok();
    let validated = form.validate();
    let (Some(route_id), Ok(fields)) = (route_id, &validated) else {
        let mut errors = validated.err().unwrap_or_default();
        if route_id.is_none() {
            errors.insert(0, "Выберите маршрут согласования.".to_owned());
        }
        let routes = db::routes::active(&state.db).await?;
        let page = NewPage {
            layout: Layout::of(&user),
            primary_number: String::new(),
            form,
            routes,
            network_kinds: NETWORK_KINDS,
            errors,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    };

    let submission = form.submission.parse::<uuid::Uuid>().ok();
    let id = workflow::create_draft(
        &state.db,
        &user.actor,
        route_id,
        fields,
        submission,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/approvals/{id}/edit")).into_response())
}

/// A document line in a folder of the edit card.
pub struct FolderDocument {
    pub id: i64,
    pub name: String,
    pub size: String,
    pub signature: SignatureMark,
}

/// How a document's signatures read in a list.
pub struct SignatureMark {
    pub signed: bool,
    pub text: String,
}

impl SignatureMark {
    /// Sums up the stored verdicts of one document's signature files.
    pub fn of(document_id: i64, signatures: &[SignatureRow]) -> Self {
        let own: Vec<&SignatureRow> = signatures
            .iter()
            .filter(|s| s.document_id == document_id)
            .collect();
        let state = signing::signed_state(own.iter().map(|s| s.verdict.as_str()));
        let text = match &state {
            SignedState::Unsigned => "Не подписан".to_owned(),
            SignedState::Signed => format!("Подписан ({})", own.len()),
            SignedState::Invalid(verdict) => Verdict::from_str(verdict)
                .map_or("Подпись недействительна", Verdict::title)
                .to_owned(),
        };
        Self {
            signed: state == SignedState::Signed,
            text,
        }
    }
}

pub struct FolderView {
    pub id: i64,
    pub name: String,
    pub is_required: bool,
    pub documents: Vec<FolderDocument>,
    /// The token of this folder's upload form (see `form_submissions`): each form has its
    /// own, so a form posted twice adds its files once, and another folder's form of the
    /// same page still adds its own.
    pub submission: String,
}

/// A participant line of the read-only route table.
pub struct RouteLine {
    pub step: i32,
    pub organisation: String,
    pub term: String,
    pub is_mandatory: bool,
    pub is_final: bool,
    pub actions: i64,
}

#[derive(Template)]
#[template(path = "approvals/edit.html")]
struct EditPage<'a> {
    layout: Layout,
    id: i64,
    number: String,
    route_name: String,
    /// The approval this draft repeats: id and number.
    primary: Option<(i64, String)>,
    form: ApprovalForm,
    network_kinds: &'a [&'a str],
    errors: Vec<String>,
    folders: Vec<FolderView>,
    route: Vec<RouteLine>,
    max_upload: String,
}

/// Loads a draft the user may manage, refusing others with the spec's answers.
async fn load_manageable_draft(state: &AppState, user: &SignedIn, id: i64) -> AppResult<Visible> {
    let visible = load_visible(state, user, id).await?;
    if !user.actor.may_manage(visible.approval.initiator_org_id) {
        return Err(AppError::Forbidden(
            "Изменять черновик могут только сотрудники организации-инициатора \
             с правом «Создавать согласования»."
                .into(),
        ));
    }
    if !visible.is_draft() {
        return Err(AppError::Conflict(
            "Согласование уже запущено: изменять его нельзя.".into(),
        ));
    }
    Ok(visible)
}

pub fn folder_views(
    folders: &[FolderRow],
    documents: &[DocumentRow],
    signatures: &[SignatureRow],
) -> Vec<FolderView> {
    folders
        .iter()
        .map(|f| FolderView {
            id: f.id,
            name: f.name.clone(),
            is_required: f.is_required,
            submission: uuid::Uuid::new_v4().to_string(),
            documents: documents
                .iter()
                .filter(|d| d.folder_id == Some(f.id))
                .map(|d| FolderDocument {
                    id: d.id,
                    name: d.original_name.clone(),
                    size: format::size(d.size),
                    signature: SignatureMark::of(d.id, signatures),
                })
                .collect(),
        })
        .collect()
}

pub fn route_lines(participants: &[ParticipantRow]) -> Vec<RouteLine> {
    participants
        .iter()
        .map(|p| RouteLine {
            step: p.step,
            organisation: p.organisation_name.clone(),
            term: format!(
                "{} дн. {}",
                p.term_days,
                TermBasis::from_db(&p.term_basis).map_or("", TermBasis::title)
            ),
            is_mandatory: p.is_mandatory,
            is_final: p.is_final,
            actions: p.action_count,
        })
        .collect()
}

/// The edit form filled with the draft's stored values.
pub fn draft_form(a: &ApprovalRow) -> ApprovalForm {
    ApprovalForm::from_fields(&ApprovalFields {
        name: a.name.clone(),
        subject: a.subject.clone(),
        works_address: a.works_address.clone(),
        cadastral_number: a.cadastral_number.clone(),
        network_kind: a.network_kind.clone(),
        description: a.description.clone(),
    })
}

/// Renders the edit card with the given form values and messages.
pub async fn render_edit(
    state: &AppState,
    user: &SignedIn,
    visible: &Visible,
    form: ApprovalForm,
    errors: Vec<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let id = visible.approval.id;
    let mut conn = state.db.acquire().await?;
    let folders = db::approvals::folders(&mut conn, id).await?;
    let documents = db::documents::for_approval(&mut conn, id).await?;
    let participants = db::approvals::participants(&mut conn, id, state.clock.today()).await?;
    let signatures = db::signatures::for_approval(&mut conn, id).await?;
    let page = EditPage {
        layout: Layout::of(user),
        id,
        number: visible.approval.number.clone(),
        route_name: visible.approval.route_name.clone(),
        primary: visible
            .approval
            .primary_approval_id
            .zip(visible.approval.primary_number.clone()),
        form,
        network_kinds: NETWORK_KINDS,
        errors,
        folders: folder_views(&folders, &documents, &signatures),
        route: route_lines(&participants),
        max_upload: format::size(i64::try_from(state.config.max_upload_bytes).unwrap_or(i64::MAX)),
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// What the edit page is told by the address it is opened at.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditQuery {
    /// Set when an upload form was posted again and added nothing.
    again: Option<String>,
}

pub async fn edit_form(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
    Query(query): Query<EditQuery>,
) -> AppResult<Response> {
    let visible = load_manageable_draft(&state, &user, id).await?;
    let form = draft_form(&visible.approval);
    let messages = if query.again.is_some() {
        vec![
            "Эта форма уже была отправлена, и её файлы уже в папке. Чтобы добавить другие \
             файлы, выберите их и отправьте снова."
                .to_owned(),
        ]
    } else {
        Vec::new()
    };
    render_edit(&state, &user, &visible, form, messages, StatusCode::OK).await
}

#[tracing::instrument(name = "approvals.update", skip_all, fields(approval.id = id))]
pub async fn update(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<ApprovalForm>,
) -> AppResult<Response> {
    let visible = load_manageable_draft(&state, &user, id).await?;

    let fields = match form.validate() {
        Ok(fields) => fields,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render_edit(&state, &user, &visible, form, errors, status).await;
        }
    };

    let initiator = visible.approval.initiator_org_id;
    workflow::update_draft(
        &state.db,
        &user.actor,
        id,
        initiator,
        &fields,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/approvals/{id}")).into_response())
}

#[tracing::instrument(name = "approvals.delete", skip_all, fields(approval.id = id))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Redirect> {
    let visible = load_manageable_draft(&state, &user, id).await?;

    let initiator = visible.approval.initiator_org_id;
    workflow::delete_draft(&state.db, &user.actor, id, initiator, state.clock.now()).await?;
    Ok(Redirect::to("/approvals"))
}

#[derive(Template)]
#[template(path = "approvals/launch.html")]
struct LaunchPage {
    layout: Layout,
    id: i64,
    number: String,
    name: String,
    obstacles: Vec<String>,
}

pub async fn launch_confirm(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let visible = load_manageable_draft(&state, &user, id).await?;

    let mut conn = state.db.acquire().await?;
    let obstacles = workflow::launch_obstacles(&mut conn, id).await?;
    let page = LaunchPage {
        layout: Layout::of(&user),
        id,
        number: visible.approval.number,
        name: visible.approval.name,
        obstacles,
    };
    Ok(Html(page.render()?))
}

#[tracing::instrument(name = "approvals.launch", skip_all, fields(approval.id = id))]
pub async fn launch(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Redirect> {
    let visible = load_manageable_draft(&state, &user, id).await?;

    let initiator = visible.approval.initiator_org_id;
    let mail = state.config.mail_link_base();
    workflow::launch(
        &state.db,
        &user.actor,
        id,
        initiator,
        state.clock.now(),
        mail,
    )
    .await?;
    Ok(Redirect::to(&format!("/approvals/{id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> ApprovalForm {
        ApprovalForm {
            route_id: "1".into(),
            name: " Подключение дома ".into(),
            subject: "Разрешение на земляные работы".into(),
            works_address: "Санкт-Петербург, Невский пр., 1".into(),
            cadastral_number: "78:12:0001234:56".into(),
            network_kind: "Теплоснабжение".into(),
            description: String::new(),
            submission: String::new(),
        }
    }

    #[test]
    fn a_filled_form_validates_and_is_trimmed() {
        let fields = filled().validate().expect("valid");
        assert_eq!(fields.name, "Подключение дома");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let form = ApprovalForm {
            name: "  ".into(),
            cadastral_number: "78-12".into(),
            network_kind: "Другое".into(),
            ..filled()
        };
        let errors = form.validate().expect_err("invalid");
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("Наименование"));
    }

    #[test]
    fn cadastral_numbers_are_four_groups_of_digits() {
        assert!(is_cadastral_number("78:12:0001234:56"));
        assert!(!is_cadastral_number("78:12:0001234"));
        assert!(!is_cadastral_number("78:12:00a1234:56"));
        assert!(!is_cadastral_number("78::0001234:56"));
    }
}
