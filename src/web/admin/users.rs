//! The administrator's user pages: the list, the record, block and unblock, and the
//! one-time link that lets a user set a password.

use askama::Template;
use axum::{
    extract::State,
    response::{Html, IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{Admin, form_status, organisation_choices};
use crate::{
    db::{
        self,
        accounts::{Taken, UserFields, UserRecord},
        users::SignedIn,
    },
    domain::{
        access::Rights,
        accounts::{RIGHT_NAMES, Snils, format_snils, looks_like_email, normalise_email},
    },
    error::{AppError, AppResult},
    web::{
        AppState,
        approvals::Layout,
        extract::{Form, Path, Query},
        format,
    },
};

pub struct UserRow {
    pub id: i64,
    pub login: String,
    pub full_name: String,
    pub position: String,
    pub organisation: String,
    pub email: String,
    pub snils: String,
    pub rights: String,
    pub blocked: String,
    pub last_seen: String,
}

impl UserRow {
    /// A row with the СНИЛС whole: the administrator's and the head's lists.
    pub fn of(u: UserRecord) -> Self {
        let mut rights = u.rights.names().join(", ");
        if u.is_head {
            rights = if rights.is_empty() {
                "Руководитель".to_owned()
            } else {
                format!("Руководитель; {rights}")
            };
        }
        if u.is_admin {
            rights = "Администратор".to_owned();
        }
        UserRow {
            id: u.id,
            login: u.login,
            full_name: u.full_name,
            position: u.position,
            organisation: u.organisation_name,
            email: u.email.unwrap_or_default(),
            snils: u.snils.as_deref().map(format_snils).unwrap_or_default(),
            rights,
            blocked: match (u.blocked_at, u.blocked_reason.as_deref()) {
                (None, _) => String::new(),
                (Some(at), Some("inactive")) => {
                    format!("с {} (не использовалась 6 месяцев)", format::day_of(at))
                }
                (Some(at), _) => format!("с {}", format::day_of(at)),
            },
            last_seen: u.last_seen_at.map(format::date_time).unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
pub struct UsersQuery {
    #[serde(default)]
    organisation: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
}

pub async fn list(
    State(state): State<AppState>,
    Admin(user): Admin,
    Query(query): Query<UsersQuery>,
) -> AppResult<Html<String>> {
    let organisation = query.organisation.parse::<i64>().ok();
    let users = db::accounts::users(&state.db, organisation)
        .await?
        .into_iter()
        .map(UserRow::of)
        .collect();
    Ok(Html(
        UsersPage {
            layout: Layout::of(&user),
            users,
        }
        .render()?,
    ))
}

#[derive(Deserialize, Default)]
pub struct UserForm {
    #[serde(default)]
    organisation_id: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    snils: String,
    #[serde(default)]
    working_hours: String,
    #[serde(flatten)]
    rights: RightsForm,
    #[serde(default)]
    is_head: Option<String>,
}

/// The four rights as check boxes of a form: a box sent is a right held.
#[derive(Deserialize, Default)]
pub struct RightsForm {
    #[serde(default)]
    can_create: Option<String>,
    #[serde(default)]
    can_participate: Option<String>,
    #[serde(default)]
    can_view: Option<String>,
    #[serde(default)]
    can_view_public: Option<String>,
}

impl RightsForm {
    pub fn rights(&self) -> Rights {
        Rights {
            create: self.can_create.is_some(),
            participate: self.can_participate.is_some(),
            view: self.can_view.is_some(),
            view_public: self.can_view_public.is_some(),
        }
    }

    fn of(rights: Rights) -> Self {
        let on = |b: bool| b.then(|| "on".to_owned());
        RightsForm {
            can_create: on(rights.create),
            can_participate: on(rights.participate),
            can_view: on(rights.view),
            can_view_public: on(rights.view_public),
        }
    }
}

impl UserForm {
    fn rights(&self) -> Rights {
        self.rights.rights()
    }

    fn of(u: &UserRecord) -> Self {
        let on = |b: bool| b.then(|| "on".to_owned());
        UserForm {
            organisation_id: u.organisation_id.to_string(),
            login: u.login.clone(),
            full_name: u.full_name.clone(),
            position: u.position.clone(),
            email: u.email.clone().unwrap_or_default(),
            phone: u.phone.clone(),
            snils: u.snils.as_deref().map(format_snils).unwrap_or_default(),
            working_hours: u.working_hours.clone(),
            rights: RightsForm::of(u.rights),
            is_head: on(u.is_head),
        }
    }
}

pub struct RightBox {
    pub name: &'static str,
    pub field: &'static str,
    pub checked: bool,
}

/// The four rights as check boxes, named exactly.
pub fn right_boxes(rights: Rights) -> Vec<RightBox> {
    let held = [
        rights.create,
        rights.participate,
        rights.view,
        rights.view_public,
    ];
    [
        "can_create",
        "can_participate",
        "can_view",
        "can_view_public",
    ]
    .into_iter()
    .zip(RIGHT_NAMES)
    .zip(held)
    .map(|((field, name), checked)| RightBox {
        name,
        field,
        checked,
    })
    .collect()
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    layout: Layout,
    record: Option<UserRow>,
    blocked: bool,
    form: UserForm,
    rights: Vec<RightBox>,
    organisations: Vec<(i64, String)>,
    errors: Vec<String>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    #[serde(default)]
    done: String,
}

async fn user_page(
    state: &AppState,
    user: &SignedIn,
    record: Option<UserRecord>,
    form: UserForm,
    errors: Vec<String>,
    notice: Option<String>,
) -> AppResult<Response> {
    let organisations = organisation_choices(state).await?;
    let status = form_status(&errors);
    let page = UserPage {
        layout: Layout::of(user),
        blocked: record.as_ref().is_some_and(|r| r.blocked_at.is_some()),
        record: record.map(UserRow::of),
        rights: right_boxes(form.rights()),
        form,
        organisations,
        errors,
        notice,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn new_form(State(state): State<AppState>, Admin(user): Admin) -> AppResult<Response> {
    user_page(&state, &user, None, UserForm::default(), Vec::new(), None).await
}

pub async fn edit_form(
    State(state): State<AppState>,
    Admin(user): Admin,
    Path(id): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> AppResult<Response> {
    let record = db::accounts::user(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let notice = match query.done.as_str() {
        "saved" => Some("Изменения сохранены.".to_owned()),
        "created" => Some(
            "Пользователь создан. Ссылка для установки пароля отправлена на его e-mail.".to_owned(),
        ),
        "link" => Some("Ссылка для установки пароля отправлена на e-mail пользователя.".to_owned()),
        "blocked" => Some("Учётная запись заблокирована.".to_owned()),
        "unblocked" => Some("Учётная запись разблокирована.".to_owned()),
        _ => None,
    };
    let form = UserForm::of(&record);
    user_page(&state, &user, Some(record), form, Vec::new(), notice).await
}

fn is_login_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')
}

/// Reads the form into fields, with every problem it has.
fn read_form(form: &UserForm) -> Result<UserFields, Vec<String>> {
    let mut errors = Vec::new();
    let organisation_id = form.organisation_id.parse::<i64>().unwrap_or_else(|_| {
        errors.push("Выберите организацию.".to_owned());
        0
    });
    if form.login.trim().is_empty() {
        errors.push("Укажите логин.".to_owned());
    } else if form.login.trim().chars().any(char::is_whitespace) {
        errors.push("Логин не должен содержать пробелов.".to_owned());
    } else if !form.login.trim().chars().all(is_login_char) {
        // Look-alikes (a Cyrillic «а», full-width or invisible characters) would let two
        // logins read the same.
        errors.push(
            "Логин может состоять только из латинских букв, цифр и знаков «.», «_», «-», «@»."
                .to_owned(),
        );
    }
    if form.full_name.trim().is_empty() {
        errors.push("Укажите ФИО.".to_owned());
    }
    let email = normalise_email(&form.email);
    if email.is_empty() {
        errors.push("Укажите e-mail: на него придёт ссылка для установки пароля.".to_owned());
    } else if !looks_like_email(&email) {
        errors.push("E-mail указан неверно.".to_owned());
    }
    let snils = if form.snils.trim().is_empty() {
        String::new()
    } else {
        match Snils::parse(&form.snils) {
            Ok(snils) => snils.digits().to_owned(),
            Err(e) => {
                errors.push(e.message().to_owned());
                String::new()
            }
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(UserFields {
        organisation_id,
        login: form.login.trim().to_owned(),
        full_name: form.full_name.clone(),
        position: form.position.clone(),
        email,
        phone: form.phone.clone(),
        snils,
        working_hours: form.working_hours.clone(),
        rights: form.rights(),
        is_head: form.is_head.is_some(),
    })
}

/// When another request took the login or e-mail between the check and the save.
const RACED: &str = "Логин или e-mail только что занят другой учётной записью.";

fn taken_message(taken: Taken) -> String {
    match taken {
        Taken::Login => "Такой логин уже занят.".to_owned(),
        Taken::Email => "Этот e-mail уже указан у другого пользователя.".to_owned(),
    }
}

pub async fn create(
    State(state): State<AppState>,
    Admin(user): Admin,
    Form(form): Form<UserForm>,
) -> AppResult<Response> {
    let fields = match read_form(&form) {
        Ok(fields) => fields,
        Err(errors) => return user_page(&state, &user, None, form, errors, None).await,
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !db::accounts::organisation_exists(&mut tx, fields.organisation_id).await? {
        let errors = vec!["Выберите организацию.".to_owned()];
        return user_page(&state, &user, None, form, errors, None).await;
    }
    if let Some(taken) = db::accounts::taken(&mut tx, &fields.login, &fields.email, None).await? {
        return user_page(&state, &user, None, form, vec![taken_message(taken)], None).await;
    }
    let id = match db::accounts::create_user(&mut tx, &fields, now).await {
        Err(e) if db::is_unique_violation(&e) => {
            let errors = vec![RACED.to_owned()];
            return user_page(&state, &user, None, form, errors, None).await;
        }
        other => other?,
    };
    send_link(
        &state,
        &mut tx,
        id,
        &fields.full_name,
        &fields.email,
        &fields.login,
        "new_account",
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user.id = id, "user created");
    Ok(Redirect::to(&format!("/admin/users/{id}?done=created")).into_response())
}

pub async fn update(
    State(state): State<AppState>,
    Admin(user): Admin,
    Path(id): Path<i64>,
    Form(form): Form<UserForm>,
) -> AppResult<Response> {
    let record = db::accounts::user(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let fields = match read_form(&form) {
        Ok(fields) => fields,
        Err(errors) => return user_page(&state, &user, Some(record), form, errors, None).await,
    };
    let mut tx = state.db.begin().await?;
    if !db::accounts::organisation_exists(&mut tx, fields.organisation_id).await? {
        let errors = vec!["Выберите организацию.".to_owned()];
        return user_page(&state, &user, Some(record), form, errors, None).await;
    }
    if let Some(taken) =
        db::accounts::taken(&mut tx, &fields.login, &fields.email, Some(id)).await?
    {
        return user_page(
            &state,
            &user,
            Some(record),
            form,
            vec![taken_message(taken)],
            None,
        )
        .await;
    }
    match db::accounts::update_user(&mut tx, id, &fields).await {
        Err(e) if db::is_unique_violation(&e) => {
            let errors = vec![RACED.to_owned()];
            return user_page(&state, &user, Some(record), form, errors, None).await;
        }
        Ok(false) => return Err(AppError::NotFound),
        other => other?,
    };
    // Moved to another organisation: the notices about the old one's approvals go.
    if record.organisation_id != fields.organisation_id {
        db::notifications::forget_for_user(&mut tx, id).await?;
    }
    tx.commit().await?;
    tracing::info!(user.id = id, "user updated");
    Ok(Redirect::to(&format!("/admin/users/{id}?done=saved")).into_response())
}

pub async fn block(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
) -> AppResult<Redirect> {
    if id == admin.actor.user_id {
        return Err(AppError::Conflict(
            "Свою учётную запись заблокировать нельзя.".into(),
        ));
    }
    let mut tx = state.db.begin().await?;
    if !db::accounts::block(&mut tx, id, state.clock.now()).await? {
        db::accounts::user(&state.db, id)
            .await?
            .ok_or(AppError::NotFound)?;
        return Err(AppError::Conflict(
            "Учётная запись уже заблокирована.".into(),
        ));
    }
    tx.commit().await?;
    tracing::info!(user.id = id, "user blocked");
    Ok(Redirect::to(&format!("/admin/users/{id}?done=blocked")))
}

pub async fn unblock(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
) -> AppResult<Redirect> {
    let mut tx = state.db.begin().await?;
    if !db::accounts::unblock(&mut tx, id, state.clock.now()).await? {
        db::accounts::user(&state.db, id)
            .await?
            .ok_or(AppError::NotFound)?;
        return Err(AppError::Conflict(
            "Учётная запись не заблокирована.".into(),
        ));
    }
    tx.commit().await?;
    tracing::info!(user.id = id, "user unblocked");
    Ok(Redirect::to(&format!("/admin/users/{id}?done=unblocked")))
}

/// Sends the user a fresh link to set a password.
pub async fn link(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
) -> AppResult<Redirect> {
    let record = db::accounts::user(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(email) = record.email.filter(|e| !e.is_empty()) else {
        return Err(AppError::Conflict(
            "У пользователя не указан e-mail: ссылку отправить некуда.".into(),
        ));
    };
    let mut tx = state.db.begin().await?;
    send_link(
        &state,
        &mut tx,
        id,
        &record.full_name,
        &email,
        &record.login,
        "reset",
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/users/{id}?done=link")))
}

/// Creates a one-time link for the user and queues the mail that carries it.
pub async fn send_link(
    state: &AppState,
    conn: &mut sqlx::PgConnection,
    user_id: i64,
    full_name: &str,
    email: &str,
    login: &str,
    purpose: &str,
) -> AppResult<()> {
    let now = state.clock.now();
    let token = db::accounts::create_link(conn, user_id, purpose, now).await?;
    let url = format!(
        "{}/password/set/{token}",
        state.config.public_url.trim_end_matches('/')
    );
    let (subject, why) = if purpose == "new_account" {
        (
            "ЕССК: доступ предоставлен",
            "Для вас создана учётная запись в ЕССК (согласования).",
        )
    } else {
        (
            "ЕССК: установка пароля",
            "Для вашей учётной записи в ЕССК запрошена установка нового пароля.",
        )
    };
    let body = format!(
        "Здравствуйте, {full_name}!\n\n{why}\nЛогин: {login}\n\nЧтобы задать пароль, откройте \
         ссылку (она действует 72 часа и только один раз):\n{url}\n\nЕсли вы не ожидали этого \
         письма, просто не открывайте ссылку."
    );
    db::accounts::queue_mail(conn, email, subject, &body, true, now).await?;
    Ok(())
}
