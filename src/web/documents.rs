//! Uploading, downloading and removing documents.

use crate::web::extract::{Multipart, Path};
use std::collections::HashMap;

use axum::{
    body::Body,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use futures_util::TryStreamExt;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{
    AppState,
    approvals::{Visible, load_visible},
    auth::CurrentUser,
};
use crate::{
    db,
    domain::access::Visibility,
    error::{AppError, AppResult},
    storage::PutError,
    web::format,
    workflow::{self, Upload},
};

/// Longest file name kept, in characters, as most file systems allow.
const MAX_FILE_NAME: usize = 255;

/// Text fields longer than this are refused rather than held in memory.
const MAX_TEXT_FIELD: usize = 64 * 1024;

/// All the text fields of one form together, in bytes.
const MAX_TEXT_TOTAL: usize = 1024 * 1024;

/// Files sent in one form, signatures included.
const MAX_FILES: usize = 100;

/// Longest comment to a decision or an action, in characters, as the forms allow.
const MAX_COMMENT: usize = 4000;

/// Refuses a comment to a decision or an action longer than the form allows.
pub fn check_comment(comment: &str) -> Result<(), String> {
    if comment.chars().count() > MAX_COMMENT {
        return Err(format!(
            "Поле «Комментарий» длиннее {MAX_COMMENT} символов. Сократите его и отправьте снова."
        ));
    }
    Ok(())
}

/// A multipart form read to its end: text fields in memory, files in storage.
#[derive(Debug, Default)]
pub struct PostedForm {
    pub fields: HashMap<String, String>,
    pub uploads: Vec<Upload>,
}

impl PostedForm {
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// No check before storing files.
type Unchecked = std::future::Ready<AppResult<()>>;

/// Reads a multipart form, streaming every file part into storage.
pub async fn read_form(state: &AppState, multipart: Multipart) -> AppResult<PostedForm> {
    read_parts(state, multipart, true, None::<Unchecked>).await
}

/// Reads a multipart form as [`read_form`] does, storing its files only once `may_store`
/// has allowed it: nothing of someone who may not post the form is stored. The check runs
/// when the first file arrives, so a form of text alone goes straight on to the
/// transaction, which checks everything again.
pub async fn read_form_checked(
    state: &AppState,
    multipart: Multipart,
    may_store: impl Future<Output = AppResult<()>>,
) -> AppResult<PostedForm> {
    read_parts(state, multipart, true, Some(may_store)).await
}

/// Reads the text fields of a multipart form; file parts are read past and stored nowhere.
pub async fn read_text_fields(state: &AppState, multipart: Multipart) -> AppResult<PostedForm> {
    read_parts(state, multipart, false, None::<Unchecked>).await
}

async fn read_parts(
    state: &AppState,
    Multipart(mut multipart): Multipart,
    store_files: bool,
    mut may_store: Option<impl Future<Output = AppResult<()>>>,
) -> AppResult<PostedForm> {
    let limit = state.config.max_upload_bytes;
    let mut form = PostedForm::default();
    let mut text_bytes = 0;
    while let Some(field) = multipart.next_field().await.map_err(too_large_or_bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        let sent_name = field
            .headers()
            .get(header::CONTENT_DISPOSITION)
            .and_then(|value| super::upload_name::file_name(value.as_bytes()));
        let Some(file_name) = sent_name else {
            let bytes = field.bytes().await.map_err(too_large_or_bad)?;
            let text = super::extract::utf8_text(bytes.to_vec())?;
            text_bytes += text.len();
            if text.len() > MAX_TEXT_FIELD || text_bytes > MAX_TEXT_TOTAL {
                return Err(AppError::BadRequest(
                    "Слишком длинный текст в форме.".into(),
                ));
            }
            super::extract::refuse_control(&text)?;
            form.fields.insert(name, text);
            continue;
        };
        super::extract::refuse_control(&file_name)?;
        if file_name.is_empty() || !store_files {
            continue; // a file input left empty, or files not wanted
        }
        if let Some(check) = may_store.take() {
            check.await?;
        }
        if form.uploads.len() == MAX_FILES {
            return Err(AppError::BadRequest(format!(
                "За один раз можно отправить не больше {MAX_FILES} файлов, подписи считая. \
                 Отправьте остальные следующим разом."
            )));
        }
        let original_name = base_name(&file_name);
        if original_name.chars().count() > MAX_FILE_NAME {
            return Err(AppError::BadRequest(format!(
                "Имя файла длиннее {MAX_FILE_NAME} символов. Переименуйте файл и загрузите его снова."
            )));
        }
        let content_type = field
            .content_type()
            .filter(|t| t.bytes().all(|b| b.is_ascii_graphic() || b == b' '))
            .unwrap_or("application/octet-stream")
            .to_owned();
        let stream = field.map_err(|e| e.to_string());
        let blob = state
            .storage
            .put(Box::pin(stream), limit)
            .await
            .map_err(|e| match e {
                PutError::TooLarge { limit } => too_large_message(limit),
                PutError::Source(reason) if reason.contains("limit") => too_large_message(limit),
                PutError::Source(reason) => {
                    tracing::info!(%reason, "upload cut off");
                    AppError::BadRequest(
                        "Загрузка файла прервана: форма пришла неполной. Отправьте её ещё раз."
                            .into(),
                    )
                }
                PutError::Store(err) => AppError::Internal(err.into()),
            })?;
        if blob.size == 0 {
            return Err(AppError::BadRequest(format!(
                "Файл «{original_name}» пуст. Выберите файл с содержимым."
            )));
        }
        form.uploads.push(Upload {
            blob,
            original_name,
            content_type,
            signatures: Vec::new(),
        });
    }
    Ok(form)
}

fn too_large_message(limit: u64) -> AppError {
    AppError::TooLarge(format!(
        "Файл больше допустимого размера {}. Уменьшите файл или разделите его на части.",
        format::size(i64::try_from(limit).unwrap_or(i64::MAX))
    ))
}

fn too_large_or_bad(err: axum::extract::multipart::MultipartError) -> AppError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(
            "Загружаемые файлы больше допустимого размера. Уменьшите их или загрузите по одному."
                .into(),
        )
    } else {
        tracing::info!(error = %err.body_text(), "multipart form not read");
        AppError::BadRequest(
            "Форма с файлами не прочитана: она пришла неполной или повреждённой. \
             Отправьте её со страницы сервиса ещё раз."
                .into(),
        )
    }
}

/// The file's own name from what the browser sent: without any folder part (Windows or
/// POSIX), control characters, direction marks that would make `exe.jpg` read as `gpj.exe`,
/// or surrounding spaces; never empty.
pub fn base_name(sent: &str) -> String {
    let last = sent.rsplit(['/', '\\']).next().unwrap_or(sent);
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_direction_mark(*c))
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "документ".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// Unicode's bidirectional controls: embeddings, overrides, isolates and the marks.
fn is_direction_mark(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters left as they are in an RFC 5987 `filename*` value.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `Content-Disposition: attachment` with an ASCII fallback and the UTF-8 name.
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, ATTR_CHAR)
    )
}

/// The headers of a download named `name`.
pub fn attachment(
    content_type: &'static str,
    name: &str,
) -> AppResult<[(header::HeaderName, HeaderValue); 2]> {
    let disposition = HeaderValue::from_str(&content_disposition(name))
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok([
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CONTENT_DISPOSITION, disposition),
    ])
}

#[tracing::instrument(name = "documents.upload", skip_all, fields(approval.id = id))]
pub async fn upload_to_folder(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((id, folder_id)): Path<(i64, i64)>,
    multipart: Multipart,
) -> AppResult<Response> {
    let visible = load_visible(&state, &user, id).await?;
    let initiator = visible.approval.initiator_org_id;
    if !user.actor.may_manage(initiator) {
        return Err(AppError::Forbidden(
            "Добавлять документы могут только сотрудники организации-инициатора \
             с правом «Создавать согласования»."
                .into(),
        ));
    }
    if !visible.is_draft() {
        return Err(AppError::Conflict(
            "Согласование уже запущено: документы изменять нельзя.".into(),
        ));
    }

    let form = match read_form(&state, multipart).await {
        Ok(form) => form,
        Err(AppError::TooLarge(message)) => {
            let status = StatusCode::PAYLOAD_TOO_LARGE;
            return edit_with_error(&state, &user, &visible, message, status).await;
        }
        Err(AppError::BadRequest(message)) => {
            let status = StatusCode::BAD_REQUEST;
            return edit_with_error(&state, &user, &visible, message, status).await;
        }
        Err(other) => return Err(other),
    };
    if form.uploads.is_empty() {
        let message = "Выберите хотя бы один файл.".to_owned();
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return edit_with_error(&state, &user, &visible, message, status).await;
    }
    let submission = form.field("submission").parse::<uuid::Uuid>().ok();
    let uploads = super::signatures::pair_and_verify(&state, form.uploads).await?;

    let now = state.clock.now();
    let added = workflow::add_folder_documents(
        &state.db,
        &user.actor,
        id,
        initiator,
        workflow::FolderUpload {
            folder_id,
            uploads: &uploads,
            submission,
        },
        now,
    )
    .await?;
    let again = match added {
        workflow::FolderAdded::Added => "",
        workflow::FolderAdded::SentBefore => "?again=1",
    };
    Ok(Redirect::to(&format!("/approvals/{id}/edit{again}#folder-{folder_id}")).into_response())
}

async fn edit_with_error(
    state: &AppState,
    user: &db::users::SignedIn,
    visible: &Visible,
    message: String,
    status: StatusCode,
) -> AppResult<Response> {
    let a = &visible.approval;
    let form = super::approvals::draft_form(a);
    super::approvals::render_edit(state, user, visible, form, vec![message], status).await
}

#[tracing::instrument(name = "documents.remove", skip_all, fields(approval.id = id))]
pub async fn remove(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((id, document_id)): Path<(i64, i64)>,
) -> AppResult<Redirect> {
    let visible = load_visible(&state, &user, id).await?;

    let initiator = visible.approval.initiator_org_id;
    let now = state.clock.now();
    workflow::remove_folder_document(&state.db, &user.actor, id, initiator, document_id, now)
        .await?;
    Ok(Redirect::to(&format!("/approvals/{id}/edit")))
}

#[tracing::instrument(name = "documents.download", skip_all, fields(approval.id = id))]
pub async fn download(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((id, document_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let visible = load_visible(&state, &user, id).await?;
    if visible.visibility != Visibility::Full {
        return Err(AppError::Forbidden(
            "Документы публичного согласования доступны только его участникам.".into(),
        ));
    }

    let mut conn = state.db.acquire().await?;
    let doc = db::documents::find(&mut conn, id, document_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let bytes = state.storage.get(&doc.sha256).await?;
    let disposition = HeaderValue::from_str(&content_disposition(&doc.original_name))
        .map_err(|e| AppError::Internal(e.into()))?;
    let content_type = HeaderValue::from_str(&doc.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CONTENT_LENGTH, HeaderValue::from(doc.size)),
    ];
    Ok((headers, Body::from_stream(bytes)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_name_drops_any_folder_part() {
        assert_eq!(base_name(r"C:\Users\Иван\Документы\Акт.pdf"), "Акт.pdf");
        assert_eq!(base_name("/home/ivan/План работ.pdf"), "План работ.pdf");
        assert_eq!(base_name("  "), "документ");
        assert_eq!(base_name("..\\"), "документ");
        assert_eq!(base_name("a\u{0}b.txt"), "ab.txt");
        assert_eq!(base_name("Фото\u{202E}gpj.exe"), "Фотоgpj.exe");
        assert_eq!(base_name("\u{2067}акт\u{2069}.pdf\u{200F}"), "акт.pdf");
    }

    #[test]
    fn the_disposition_carries_an_ascii_fallback_and_the_utf8_name() {
        assert_eq!(
            content_disposition("Заявление \"1\".pdf"),
            "attachment; filename=\"_________ _1_.pdf\"; \
             filename*=UTF-8''%D0%97%D0%B0%D1%8F%D0%B2%D0%BB%D0%B5%D0%BD%D0%B8%D0%B5%20%221%22.pdf"
        );
    }
}
