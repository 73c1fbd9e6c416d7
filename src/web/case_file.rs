//! The case file's inventory (print page and PDF) and its archive.

use crate::web::extract::Path;
use askama::Template;
use axum::{
    body::Body,
    extract::State,
    response::{Html, IntoResponse, Response},
};
use tokio_stream::wrappers::ReceiverStream;

use super::{
    AppState,
    approvals::{Visible, load_visible},
    auth::CurrentUser,
    documents::attachment,
};
use crate::{
    case_file::{self, CaseDocument, Inventory, archive, inventory_pdf},
    db::users::SignedIn,
    domain::access::Visibility,
    error::{AppError, AppResult},
};

#[derive(Template)]
#[template(path = "approvals/inventory.html")]
struct InventoryPage {
    approval_id: i64,
    inventory: Inventory,
}

/// What the inventory and the archive are made from.
struct CaseFile {
    visible: Visible,
    documents: Vec<CaseDocument>,
    inventory: Inventory,
}

/// The approval, its documents and their inventory, for users who may download them.
async fn load(state: &AppState, user: &SignedIn, id: i64) -> AppResult<CaseFile> {
    let visible = load_visible(state, user, id).await?;
    if visible.visibility != Visibility::Full {
        return Err(AppError::Forbidden(
            "Опись и архив публичного согласования доступны только его участникам.".into(),
        ));
    }
    let mut conn = state.db.acquire().await?;
    let documents = case_file::documents(&mut conn, id).await?;
    let inventory = Inventory::new(&visible.approval, &documents, state.clock.now());
    Ok(CaseFile {
        visible,
        documents,
        inventory,
    })
}

/// «Сформировать опись»: the print-ready inventory page.
#[tracing::instrument(name = "case_file.inventory", skip_all, fields(approval.id = id))]
pub async fn inventory(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let case = load(&state, &user, id).await?;

    let page = InventoryPage {
        approval_id: id,
        inventory: case.inventory,
    };
    Ok(Html(page.render()?))
}

/// The inventory as a PDF download.
#[tracing::instrument(name = "case_file.inventory_pdf", skip_all, fields(approval.id = id))]
pub async fn inventory_pdf(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let case = load(&state, &user, id).await?;

    let pdf = render_pdf(case.inventory).await?;
    let name = format!("Опись {}.pdf", case.visible.approval.number);
    Ok((attachment("application/pdf", &name)?, pdf).into_response())
}

/// The archive icon: the whole case file as one ZIP, streamed while it is built.
#[tracing::instrument(name = "case_file.archive", skip_all, fields(approval.id = id))]
pub async fn archive(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let case = load(&state, &user, id).await?;

    let pdf = render_pdf(case.inventory).await?;
    let entries = archive::plan(&case.documents);
    let chunks = archive::stream(state.storage.clone(), pdf, entries);
    let name = format!("Дело {}.zip", case.visible.approval.number);
    let body = Body::from_stream(ReceiverStream::new(chunks));
    Ok((attachment("application/zip", &name)?, body).into_response())
}

/// Lays out the PDF away from the request threads: it measures and wraps every cell.
async fn render_pdf(inventory: Inventory) -> AppResult<Vec<u8>> {
    tokio::task::spawn_blocking(move || inventory_pdf::render(&inventory))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(AppError::Internal)
}
