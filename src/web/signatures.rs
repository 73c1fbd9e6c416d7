//! Signature files of documents: attaching, the signer details, downloading, removing.

use askama::Template;
use axum::{
    body::Body,
    extract::State,
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Redirect, Response},
};

use super::{
    AppState,
    approvals::{Layout, load_visible},
    auth::CurrentUser,
    documents::{content_disposition, read_form},
    format,
};
use crate::web::extract::{Multipart, Path};
use crate::{
    db,
    domain::{access::Visibility, signing::pair_signature_files},
    error::{AppError, AppResult},
    signature::{Report, SignerReport, Verdict},
    verification,
    workflow::{self, SignatureUpload, Upload},
};

/// Pairs the signature files of an upload with their documents (by name, see
/// [`pair_signature_files`]) and verifies each; the rest stay documents.
pub async fn pair_and_verify(state: &AppState, uploads: Vec<Upload>) -> AppResult<Vec<Upload>> {
    let names: Vec<&str> = uploads.iter().map(|u| u.original_name.as_str()).collect();
    let pairing = pair_signature_files(&names);
    let mut documents: Vec<Option<Upload>> = Vec::with_capacity(uploads.len());
    let mut signatures = Vec::new();
    for (upload, signs) in uploads.into_iter().zip(pairing) {
        match signs {
            Some(index) => {
                signatures.push((index, upload));
                documents.push(None);
            }
            None => documents.push(Some(upload)),
        }
    }
    for (index, signature) in signatures {
        let Some(Some(document)) = documents.get_mut(index) else {
            continue;
        };
        let verified = verify(state, &document.blob.sha256, signature).await?;
        document.signatures.push(verified);
    }
    Ok(documents.into_iter().flatten().collect())
}

async fn verify(
    state: &AppState,
    document_sha256: &str,
    signature: Upload,
) -> AppResult<SignatureUpload> {
    let report = verification::verify_stored(
        &state.storage,
        document_sha256,
        &signature.blob.sha256,
        state.clock.now(),
        state.trust.as_deref(),
    )
    .await?;
    Ok(SignatureUpload {
        blob: signature.blob,
        original_name: signature.original_name,
        report,
    })
}

#[tracing::instrument(name = "signatures.upload", skip_all, fields(approval.id = id))]
pub async fn upload(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((id, document_id)): Path<(i64, i64)>,
    multipart: Multipart,
) -> AppResult<Response> {
    let visible = load_visible(&state, &user, id).await?;
    let initiator = visible.approval.initiator_org_id;
    if !user.actor.may_manage(initiator) {
        return Err(AppError::Forbidden(
            "Подписывать документы могут только сотрудники организации-инициатора \
             с правом «Создавать согласования»."
                .into(),
        ));
    }
    if !visible.is_draft() {
        return Err(AppError::Conflict(
            "Согласование уже запущено: документы и подписи изменять нельзя.".into(),
        ));
    }
    let mut conn = state.db.acquire().await?;
    let document = db::documents::find(&mut conn, id, document_id)
        .await?
        .filter(|d| d.folder_id.is_some())
        .ok_or(AppError::NotFound)?;
    drop(conn);

    let posted = read_form(&state, multipart).await?;
    if posted.uploads.is_empty() {
        return Err(AppError::BadRequest("Выберите файл подписи.".into()));
    }
    let mut signatures = Vec::with_capacity(posted.uploads.len());
    for upload in posted.uploads {
        signatures.push(verify(&state, &document.sha256, upload).await?);
    }
    let now = state.clock.now();
    workflow::add_signatures(
        &state.db,
        &user.actor,
        id,
        initiator,
        document_id,
        &signatures,
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/approvals/{id}/edit")).into_response())
}

/// A signer as the signature page shows it.
pub struct SignerView {
    pub signer: SignerReport,
    pub verdict: &'static str,
    pub valid: bool,
    pub snils: String,
    pub validity: String,
    pub signing_time: String,
    pub chain: String,
    /// The certificate's ИНН differs from the uploader's organisation's.
    pub inn_warning: Option<String>,
}

pub struct SignatureView {
    pub id: i64,
    pub name: String,
    pub uploaded: String,
    pub verdict: &'static str,
    pub valid: bool,
    pub reason: Option<String>,
    pub signers: Vec<SignerView>,
}

#[derive(Template)]
#[template(path = "approvals/signatures.html")]
struct SignaturesPage {
    layout: Layout,
    approval_id: i64,
    number: String,
    document_id: i64,
    document_name: String,
    full: bool,
    signatures: Vec<SignatureView>,
}

pub async fn info(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((id, document_id)): Path<(i64, i64)>,
) -> AppResult<Html<String>> {
    let visible = load_visible(&state, &user, id).await?;
    let full = visible.visibility == Visibility::Full;

    let mut conn = state.db.acquire().await?;
    let document = db::documents::find(&mut conn, id, document_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let uploader_inn = db::documents::uploader_inn(&mut conn, document_id).await?;
    let signatures = db::signatures::for_approval(&mut conn, id).await?;

    let views = signatures
        .into_iter()
        .filter(|s| s.document_id == document_id)
        .map(|s| {
            let report: Report = serde_json::from_value(s.report).unwrap_or_else(|_| {
                Report::unreadable("Сохранённый отчёт о проверке не читается.".into())
            });
            SignatureView {
                id: s.id,
                name: s.original_name,
                uploaded: format::date_time(s.uploaded_at),
                verdict: report.verdict.title(),
                valid: report.verdict == Verdict::Valid,
                reason: report.reason.clone(),
                signers: report
                    .signers
                    .into_iter()
                    .map(|signer| signer_view(signer, full, uploader_inn.as_deref()))
                    .collect(),
            }
        })
        .collect();
    let page = SignaturesPage {
        layout: Layout::of(&user),
        approval_id: id,
        number: visible.approval.number,
        document_id,
        document_name: document.original_name,
        full,
        signatures: views,
    };
    Ok(Html(page.render()?))
}

fn signer_view(signer: SignerReport, full: bool, uploader_inn: Option<&str>) -> SignerView {
    let snils = match &signer.snils {
        Some(snils) if full => snils.clone(),
        Some(snils) => crate::domain::accounts::mask_snils(snils),
        None => String::new(),
    };
    let certificate_inn = signer.inn_le.as_deref().or(signer.inn.as_deref());
    let inn_warning = match (certificate_inn, uploader_inn) {
        (Some(cert), Some(org)) if cert.trim_start_matches('0') != org.trim_start_matches('0') => {
            Some(format!(
                "ИНН в сертификате ({cert}) не совпадает с ИНН организации, загрузившей документ \
                 ({org})."
            ))
        }
        _ => None,
    };
    SignerView {
        verdict: signer.verdict.title(),
        valid: signer.verdict == Verdict::Valid,
        snils,
        validity: format!(
            "с {} по {}",
            format::date_time(signer.not_before),
            format::date_time(signer.not_after)
        ),
        signing_time: signer
            .signing_time
            .map(format::date_time)
            .unwrap_or_default(),
        chain: signer.chain.title(),
        inn_warning,
        signer,
    }
}

pub async fn download(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((id, document_id, signature_id)): Path<(i64, i64, i64)>,
) -> AppResult<Response> {
    let visible = load_visible(&state, &user, id).await?;
    if visible.visibility != Visibility::Full {
        return Err(AppError::Forbidden(
            "Файлы публичного согласования доступны только его участникам.".into(),
        ));
    }

    let mut conn = state.db.acquire().await?;
    let signature = db::signatures::find(&mut conn, id, document_id, signature_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let bytes = state.storage.get(&signature.sha256).await?;
    let disposition = HeaderValue::from_str(&content_disposition(&signature.original_name))
        .map_err(|e| AppError::Internal(e.into()))?;
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/pkcs7-signature"),
        ),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CONTENT_LENGTH, HeaderValue::from(signature.size)),
    ];
    let body = Body::from_stream(bytes);
    Ok((headers, body).into_response())
}

#[tracing::instrument(name = "signatures.remove", skip_all, fields(approval.id = id))]
pub async fn remove(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((id, document_id, signature_id)): Path<(i64, i64, i64)>,
) -> AppResult<Redirect> {
    let visible = load_visible(&state, &user, id).await?;

    let initiator = visible.approval.initiator_org_id;
    let now = state.clock.now();
    workflow::remove_signature(
        &state.db,
        &user.actor,
        id,
        initiator,
        document_id,
        signature_id,
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/approvals/{id}/edit")))
}
