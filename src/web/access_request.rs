//! The request for access (appendix 2 of the manual), filed online without signing in: the
//! organisation's details, a row per employee and the scan of the official letter. The same
//! form downloads as a filled `.docx` for the paper route.

use askama::Template;
use axum::{
    extract::State,
    response::{Html, IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    AppState,
    admin::{KINDS, form_status, organisation_problems},
    documents::{PostedForm, attachment, read_form, read_text_fields},
    extract::{Multipart, Query},
};
use crate::{
    db::{
        self,
        access_requests::{Letter, RequestFields},
        accounts::OrganisationFields,
    },
    domain::{
        access::Rights,
        access_request::{EmployeeInput, check_employees},
        accounts::{RIGHT_NAMES, looks_like_email, normalise_email},
    },
    error::{AppError, AppResult},
};

/// Employee rows a new form shows; «Добавить сотрудника» adds one, up to the most.
const FIRST_ROWS: usize = 3;
const MOST_ROWS: usize = 50;

/// Organisation kinds that may ask for access: all but the operator of the system, whose
/// staff are made by hand.
pub const REQUEST_KINDS: &[(&str, &str)] = KINDS.split_at(KINDS.len() - 1).0;

/// The form as filled in, kept as typed.
#[derive(Debug, Default)]
struct Filled {
    organisation: OrganisationFields,
    contact_name: String,
    contact_email: String,
    purpose: String,
    employees: Vec<EmployeeInput>,
}

impl Filled {
    fn read(form: &PostedForm) -> Self {
        let rows = form
            .field("rows")
            .parse::<usize>()
            .unwrap_or(FIRST_ROWS)
            .clamp(1, MOST_ROWS);
        let employees = (0..rows)
            .map(|i| {
                let f = |name: &str| form.field(&format!("e{i}.{name}")).to_owned();
                let chosen = (0..RIGHT_NAMES.len())
                    .map(|r| f(&format!("r{r}")))
                    .filter(|v| !v.is_empty())
                    .collect::<Vec<_>>();
                EmployeeInput {
                    full_name: f("full_name"),
                    job_title: f("job_title"),
                    // A value that is not a right's exact name grants nothing.
                    rights: Rights::from_names(chosen.iter().map(String::as_str))
                        .unwrap_or_default(),
                    snils: f("snils"),
                    email: f("email"),
                    phone: f("phone"),
                    working_hours: f("hours"),
                }
            })
            .collect();
        Filled {
            organisation: OrganisationFields {
                name: form.field("org_name").to_owned(),
                short_name: form.field("org_short_name").to_owned(),
                kind: form.field("org_kind").to_owned(),
                inn: form.field("org_inn").to_owned(),
                ogrn: form.field("org_ogrn").to_owned(),
            },
            contact_name: form.field("contact_name").to_owned(),
            contact_email: form.field("contact_email").to_owned(),
            purpose: form.field("purpose").to_owned(),
            employees,
        }
    }
}

pub struct RightChoice {
    pub field: String,
    pub name: &'static str,
    pub checked: bool,
}

pub struct EmployeeRow {
    pub index: usize,
    pub input: EmployeeInput,
    pub rights: Vec<RightChoice>,
}

#[derive(Template)]
#[template(path = "access_request.html")]
struct RequestPage {
    filled: Filled,
    rows: Vec<EmployeeRow>,
    kinds: &'static [(&'static str, &'static str)],
    errors: Vec<String>,
    filed: Option<i64>,
}

fn page(filled: Filled, errors: Vec<String>, filed: Option<i64>) -> AppResult<Response> {
    let rows = filled
        .employees
        .iter()
        .enumerate()
        .map(|(index, input)| {
            let held = [
                input.rights.create,
                input.rights.participate,
                input.rights.view,
                input.rights.view_public,
            ];
            EmployeeRow {
                index,
                input: input.clone(),
                rights: RIGHT_NAMES
                    .iter()
                    .zip(held)
                    .enumerate()
                    .map(|(r, (name, checked))| RightChoice {
                        field: format!("e{index}.r{r}"),
                        name,
                        checked,
                    })
                    .collect(),
            }
        })
        .collect();
    let status = form_status(&errors);
    let view = RequestPage {
        filled,
        rows,
        kinds: REQUEST_KINDS,
        errors,
        filed,
    };
    Ok((status, Html(view.render()?)).into_response())
}

#[derive(Deserialize)]
pub struct FormQuery {
    #[serde(default)]
    filed: String,
}

pub async fn form(Query(query): Query<FormQuery>) -> AppResult<Response> {
    let filled = Filled {
        employees: vec![EmployeeInput::default(); FIRST_ROWS],
        ..Filled::default()
    };
    page(filled, Vec::new(), query.filed.parse::<i64>().ok())
}

/// «Отправить заявку», or «Добавить сотрудника» which only adds a row.
pub async fn submit(State(state): State<AppState>, multipart: Multipart) -> AppResult<Response> {
    let form = read_form(&state, multipart).await?;
    let mut filled = Filled::read(&form);
    if form.field("op") == "add_row" {
        if filled.employees.len() < MOST_ROWS {
            filled.employees.push(EmployeeInput::default());
        }
        let note = if form.uploads.is_empty() {
            Vec::new()
        } else {
            vec!["Строка добавлена. Письмо прикрепите снова перед отправкой.".to_owned()]
        };
        return page(filled, note, None);
    }

    let mut errors = organisation_problems(&filled.organisation);
    let kind = filled.organisation.kind.as_str();
    if kind == "operator" {
        errors.push("Доступ оператора системы оформляет администратор, не заявка.".to_owned());
    }
    if filled.contact_name.trim().is_empty() {
        errors.push("Укажите контактное лицо.".to_owned());
    }
    let contact_email = normalise_email(&filled.contact_email);
    if !looks_like_email(&contact_email) {
        errors.push("Укажите e-mail контактного лица: на него придёт ответ.".to_owned());
    }
    if filled.purpose.trim().is_empty() {
        errors.push("Укажите цель получения доступа.".to_owned());
    }
    let employees = match check_employees(&filled.employees) {
        Ok(employees) => employees,
        Err(problems) => {
            errors.extend(problems);
            Vec::new()
        }
    };
    let letter = match form.uploads.as_slice() {
        [letter] => Some(letter),
        [] => {
            errors.push("Прикрепите скан официального письма организации.".to_owned());
            None
        }
        _ => {
            errors.push("Прикрепите одно письмо одним файлом.".to_owned());
            None
        }
    };
    let (Some(letter), true) = (letter, errors.is_empty()) else {
        if !form.uploads.is_empty() {
            errors.push("Письмо прикрепите снова перед отправкой.".to_owned());
        }
        return page(filled, errors, None);
    };

    let fields = RequestFields {
        organisation: filled.organisation.clone(),
        contact_name: filled.contact_name.clone(),
        contact_email,
        purpose: filled.purpose.clone(),
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let id = db::access_requests::insert(
        &mut tx,
        &fields,
        &employees,
        &Letter {
            blob: &letter.blob,
            name: &letter.original_name,
        },
        now,
    )
    .await?;
    db::access_requests::notify_admins(&mut tx, id, &fields.organisation.short_name, now).await?;
    tx.commit().await?;
    tracing::info!(request.id = id, "access request filed");
    // To a page of its own, so reloading it files nothing again.
    Ok(Redirect::to(&format!("/access-request?filed={id}")).into_response())
}

/// The request form filled with what was typed, as `.docx`, for the paper route.
pub async fn docx(State(state): State<AppState>, multipart: Multipart) -> AppResult<Response> {
    let form = read_text_fields(&state, multipart).await?;
    let filled = Filled::read(&form);
    let bytes = tokio::task::spawn_blocking(move || build_docx(&filled))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let headers = attachment(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Заявка на доступ к ЕССК.docx",
    )?;
    Ok((headers, bytes).into_response())
}

fn build_docx(filled: &Filled) -> AppResult<Vec<u8>> {
    use docx_rs::{Docx, Paragraph, Run, Table, TableCell, TableRow};
    let text = |s: &str| Paragraph::new().add_run(Run::new().add_text(s));
    let bold = |s: &str| Paragraph::new().add_run(Run::new().add_text(s).bold());
    let cell = |s: &str| TableCell::new().add_paragraph(text(s));
    let head = |s: &str| TableCell::new().add_paragraph(bold(s));
    let o = &filled.organisation;
    let kind = REQUEST_KINDS
        .iter()
        .find(|(k, _)| *k == o.kind)
        .map_or("", |(_, title)| title);
    let mut rows = vec![TableRow::new(
        [
            "№",
            "ФИО",
            "Должность",
            "Права",
            "СНИЛС",
            "Рабочий e-mail",
            "Телефон",
            "Время работы",
        ]
        .into_iter()
        .map(head)
        .collect(),
    )];
    let filled_rows = filled.employees.iter().filter(|e| !e.is_blank());
    for (n, e) in (1..).zip(filled_rows) {
        rows.push(TableRow::new(vec![
            cell(&n.to_string()),
            cell(&e.full_name),
            cell(&e.job_title),
            cell(&e.rights.names().join("; ")),
            cell(&e.snils),
            cell(&e.email),
            cell(&e.phone),
            cell(&e.working_hours),
        ]));
    }
    let document = Docx::new()
        .add_paragraph(bold(
            "Заявка на предоставление доступа к ЕССК (согласования)",
        ))
        .add_paragraph(text(&format!(
            "Полное наименование организации: {}",
            o.name
        )))
        .add_paragraph(text(&format!("Краткое наименование: {}", o.short_name)))
        .add_paragraph(text(&format!("Вид организации: {kind}")))
        .add_paragraph(text(&format!("ИНН: {}", o.inn)))
        .add_paragraph(text(&format!("ОГРН: {}", o.ogrn)))
        .add_paragraph(text(&format!(
            "Контактное лицо: {}, {}",
            filled.contact_name, filled.contact_email
        )))
        .add_paragraph(text(&format!("Цель получения доступа: {}", filled.purpose)))
        .add_paragraph(bold("Сотрудники"))
        .add_table(Table::new(rows))
        .add_paragraph(text(
            "К заявке прилагается официальное письмо организации за подписью руководителя.",
        ));
    let mut out = std::io::Cursor::new(Vec::new());
    document
        .pack(&mut out)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("docx: {e}")))?;
    Ok(out.into_inner())
}
