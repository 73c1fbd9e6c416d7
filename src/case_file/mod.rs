//! The case file of an approval: its documents with their signatures, the inventory
//! («опись») and the archive laid out from them.

pub mod archive;
pub mod inventory_pdf;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::{
    db::{self, approvals::ApprovalRow, documents::DocumentRow, signatures::SignatureRow},
    signature::Report,
    web::format,
};

/// A document of the case with the signature files that came for it.
#[derive(Debug, Clone)]
pub struct CaseDocument {
    pub document: DocumentRow,
    pub signatures: Vec<SignatureRow>,
}

impl CaseDocument {
    /// The full names of everyone who signed it, in order, each once.
    pub fn signers(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for signature in &self.signatures {
            let Ok(report) = serde_json::from_value::<Report>(signature.report.clone()) else {
                continue;
            };
            for signer in report.signers {
                if !names.contains(&signer.subject) {
                    names.push(signer.subject);
                }
            }
        }
        names
    }
}

/// Every document of an approval, in the order of the «Состав дела» tab: the initiator's by
/// folder, then decision and action results; each section in order of upload.
pub async fn documents(
    conn: &mut PgConnection,
    approval_id: i64,
) -> sqlx::Result<Vec<CaseDocument>> {
    let documents = db::documents::for_approval(conn, approval_id).await?;
    let mut signatures = db::signatures::for_approval(conn, approval_id).await?;
    Ok(documents
        .into_iter()
        .map(|document| {
            let (own, rest) = signatures
                .drain(..)
                .partition(|s: &SignatureRow| s.document_id == document.id);
            signatures = rest;
            CaseDocument {
                document,
                signatures: own,
            }
        })
        .collect())
}

/// The inventory of a case file as both of its forms (HTML and PDF) show it.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub number: String,
    pub name: String,
    pub initiator: String,
    /// When it was formed, `ДД.ММ.ГГГГ ЧЧ:ММ` Moscow time.
    pub formed: String,
    pub rows: Vec<InventoryRow>,
}

/// One document of the inventory.
#[derive(Debug, Clone)]
pub struct InventoryRow {
    pub position: usize,
    pub name: String,
    pub section: String,
    pub size: String,
    /// Signers' full names, comma-separated; «не подписан» when there are none.
    pub signers: String,
    /// Upload date, `ДД.ММ.ГГГГ`.
    pub date: String,
}

impl Inventory {
    pub fn new(approval: &ApprovalRow, documents: &[CaseDocument], now: DateTime<Utc>) -> Self {
        let rows = documents
            .iter()
            .enumerate()
            .map(|(index, case)| {
                let signers = case.signers();
                InventoryRow {
                    position: index + 1,
                    name: case.document.original_name.clone(),
                    section: case.document.section.clone(),
                    size: format::size(case.document.size),
                    signers: if signers.is_empty() {
                        "не подписан".to_owned()
                    } else {
                        signers.join(", ")
                    },
                    date: format::day_of(case.document.uploaded_at),
                }
            })
            .collect();
        Self {
            number: approval.number.clone(),
            name: approval.name.clone(),
            initiator: approval.initiator_name.clone(),
            formed: format::date_time(now),
            rows,
        }
    }
}
