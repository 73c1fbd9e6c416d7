//! State changes of an approval, each one transaction: the rules of `domain` applied to
//! the rows of `db`. Events of a run (decisions, actions) check in their transaction that
//! the actor may see the approval; for the others the callers have checked it.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Europe::Moscow;
use sqlx::PgPool;

use crate::{
    clock::moscow_date,
    dates_refresh,
    db::{
        self,
        approvals::ApprovalFields,
        documents::{NewDocument, Place},
        notifications::{Audience, Notice},
        signatures::NewSignature,
    },
    domain::{
        access::{Actor, ApprovalScope, Visibility},
        dates::{self, Term, TermBasis},
        lifecycle::{self, Decision, Progress, Status},
        signing::{self, SignedState},
    },
    error::{AppError, AppResult},
    signature::{Report, Verdict},
    storage::StoredBlob,
};

/// A file stored in storage and waiting for its document row.
#[derive(Debug, Clone)]
pub struct Upload {
    pub blob: StoredBlob,
    pub original_name: String,
    pub content_type: String,
    /// Signature files that came with it, already verified.
    pub signatures: Vec<SignatureUpload>,
}

/// A verified signature file waiting for its row.
#[derive(Debug, Clone)]
pub struct SignatureUpload {
    pub blob: StoredBlob,
    pub original_name: String,
    pub report: Report,
}

/// Records a document with the signatures that came with it.
async fn insert_document(
    conn: &mut sqlx::PgConnection,
    approval_id: i64,
    place: Place,
    upload: &Upload,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let doc = NewDocument {
        approval_id,
        place,
        blob: &upload.blob,
        original_name: &upload.original_name,
        content_type: &upload.content_type,
        uploaded_by: actor.user_id,
        uploaded_at: now,
    };
    let document_id = db::documents::insert(conn, &doc).await?;
    insert_signatures(conn, document_id, &upload.signatures, actor, now).await?;
    Ok(document_id)
}

async fn insert_signatures(
    conn: &mut sqlx::PgConnection,
    document_id: i64,
    signatures: &[SignatureUpload],
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<()> {
    for signature in signatures {
        let report =
            serde_json::to_value(&signature.report).map_err(|e| AppError::Internal(e.into()))?;
        let new = NewSignature {
            document_id,
            blob: &signature.blob,
            original_name: &signature.original_name,
            uploaded_by: actor.user_id,
            uploaded_at: now,
            verdict: signature.report.verdict.as_str(),
            report,
        };
        db::signatures::insert(conn, &new).await?;
    }
    Ok(())
}

fn status_of(stored: &str) -> AppResult<Status> {
    Status::from_db(stored)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown approval status {stored}")))
}

/// Notes a change of the approval: its «Автор изменений» becomes the actor, and the audit
/// trail gets an entry.
async fn note_change(
    conn: &mut sqlx::PgConnection,
    approval_id: i64,
    actor: &Actor,
    now: DateTime<Utc>,
    kind: &str,
    details: &str,
) -> AppResult<()> {
    db::audit::record_change(conn, approval_id, actor.user_id, now, kind, details).await?;
    Ok(())
}

/// Locks the approval and checks that it is still a draft its actor may manage.
async fn lock_draft(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    approval_id: i64,
    initiator_org_id: i64,
) -> AppResult<db::approvals::Locked> {
    if !actor.may_manage(initiator_org_id) {
        return Err(AppError::Forbidden(
            "Изменять черновик могут только сотрудники организации-инициатора \
             с правом «Создавать согласования»."
                .into(),
        ));
    }
    let locked = db::approvals::lock(conn, approval_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if status_of(&locked.status)? != Status::Draft {
        return Err(AppError::Conflict(
            "Согласование уже запущено: изменять его состав нельзя.".into(),
        ));
    }
    Ok(locked)
}

/// Inserts a draft with the next number of its year on an active route; returns its id and
/// number.
async fn insert_draft_on(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    route_id: i64,
    fields: &ApprovalFields,
    now: DateTime<Utc>,
) -> AppResult<(i64, String)> {
    let (route_name, is_public) = db::routes::find_active(conn, route_id)
        .await?
        .ok_or_else(|| AppError::BadRequest("Выбранный маршрут недоступен.".into()))?;
    let year = now.with_timezone(&Moscow).year();
    let draft = db::approvals::insert_draft(
        conn,
        actor,
        (route_id, &route_name, is_public),
        fields,
        year,
        now,
    )
    .await?;
    Ok(draft)
}

/// Creates a draft on an active route; returns its id.
/// Creates a draft. A form posted again with the same `submission` token (a double click)
/// gets the draft the first post made.
pub async fn create_draft(
    pool: &PgPool,
    actor: &Actor,
    route_id: i64,
    fields: &ApprovalFields,
    submission: Option<uuid::Uuid>,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    if !actor.rights.create {
        return Err(AppError::Forbidden(
            "Создавать согласования может только пользователь с правом «Создавать согласования»."
                .into(),
        ));
    }
    let mut tx = db::begin(pool).await?;
    if let Some(token) = submission {
        // A second post waits here for the first to commit, then finds its draft.
        if !db::approvals::claim_submission(&mut tx, actor.user_id, token, now).await? {
            drop(tx);
            if let Some(id) = db::approvals::submitted(pool, actor.user_id, token).await? {
                return Ok(id);
            }
            return Err(AppError::Conflict(
                "Эта форма уже отправлена. Откройте «Создать» заново.".into(),
            ));
        }
    }
    let (id, number) = insert_draft_on(&mut tx, actor, route_id, fields, now).await?;
    if let Some(token) = submission {
        db::approvals::record_submission(&mut tx, actor.user_id, token, id).await?;
    }
    let details = format!("Создан черновик {number}: «{}»", fields.name);
    db::audit::record(&mut tx, id, actor.user_id, now, "created", &details).await?;
    tx.commit().await?;
    tracing::info!(approval.id = id, approval.number = %number, "draft created");
    Ok(id)
}

/// What a repeat approval starts from: the fields as the user left them, the route picked
/// when the primary's route is retired, and the primary's folder documents to copy.
#[derive(Debug, Clone)]
pub struct RepeatRequest<'a> {
    pub primary_id: i64,
    pub route_id: Option<i64>,
    pub fields: &'a ApprovalFields,
    pub document_ids: &'a [i64],
}

/// Whether the actor may start a repeat of the approval now; the refusal says why.
pub fn repeat_refusal(
    actor: &Actor,
    source: &db::approvals::RepeatSource,
) -> AppResult<Option<AppError>> {
    let refusal = lifecycle::may_repeat(
        actor.may_manage(source.initiator_org_id),
        status_of(&source.status)?,
        source.repeat_number.as_deref(),
    );
    Ok(refusal.err().map(|refusal| {
        let message = refusal.message(&source.number);
        match refusal {
            lifecycle::RepeatRefusal::NotInitiator => AppError::Forbidden(message),
            _ => AppError::Conflict(message),
        }
    }))
}

/// Starts the repeat of a rejected approval (spec §3 item 7): a new draft on the primary's
/// route (or the picked one, when that is retired) that names the primary, with the fields
/// given and independent copies of the chosen documents and their signatures. Returns the
/// draft's id.
pub async fn create_repeat(
    pool: &PgPool,
    actor: &Actor,
    request: &RepeatRequest<'_>,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let mut tx = db::begin(pool).await?;
    // Lock first, then read in a statement of its own: a start that waited for the lock
    // sees the repeat the other one committed.
    db::approvals::lock(&mut tx, request.primary_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let source = db::approvals::repeat_source(&mut tx, request.primary_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(refusal) = repeat_refusal(actor, &source)? {
        return Err(refusal);
    }
    let route_id = match db::routes::find_active(&mut tx, source.route_id).await? {
        Some(_) => source.route_id,
        None => request.route_id.ok_or_else(|| {
            AppError::BadRequest(
                "Маршрут первичного согласования больше не действует: выберите другой маршрут."
                    .into(),
            )
        })?,
    };
    let (id, number) = insert_draft_on(&mut tx, actor, route_id, request.fields, now).await?;
    db::approvals::set_primary(&mut tx, id, source.id).await?;
    let mut copied = 0;
    for &document_id in request.document_ids {
        let copy =
            db::documents::copy_to(&mut tx, source.id, document_id, id, actor.user_id, now).await?;
        if copy.is_none() {
            return Err(AppError::BadRequest(
                "Среди отмеченных документов есть документ не из папок первичного согласования."
                    .into(),
            ));
        }
        copied += 1;
    }
    let details = format!(
        "Создан черновик повторного согласования {number} по {}: «{}»; скопировано \
         документов — {copied}",
        source.number, request.fields.name
    );
    db::audit::record(&mut tx, id, actor.user_id, now, "created", &details).await?;
    let details = format!("Начато повторное согласование {number}");
    db::audit::record(&mut tx, source.id, actor.user_id, now, "repeated", &details).await?;
    tx.commit().await?;
    tracing::info!(approval.id = id, approval.number = %number, primary.id = source.id,
        "repeat draft created");
    Ok(id)
}

/// Saves new field values of a draft.
pub async fn update_draft(
    pool: &PgPool,
    actor: &Actor,
    approval_id: i64,
    initiator_org_id: i64,
    fields: &ApprovalFields,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut tx = db::begin(pool).await?;
    lock_draft(&mut tx, actor, approval_id, initiator_org_id).await?;
    db::approvals::update_fields(&mut tx, approval_id, fields, actor.user_id, now).await?;
    db::audit::record(
        &mut tx,
        approval_id,
        actor.user_id,
        now,
        "edited",
        "Изменены реквизиты",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a draft with its documents.
pub async fn delete_draft(
    pool: &PgPool,
    actor: &Actor,
    approval_id: i64,
    initiator_org_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut tx = db::begin(pool).await?;
    lock_draft(&mut tx, actor, approval_id, initiator_org_id).await?;
    db::audit::record(
        &mut tx,
        approval_id,
        actor.user_id,
        now,
        "deleted",
        "Черновик удалён",
    )
    .await?;
    db::approvals::delete(&mut tx, approval_id).await?;
    tx.commit().await?;
    tracing::info!(approval.id = approval_id, "draft deleted");
    Ok(())
}

/// Adds stored files to an initiator folder of a draft.
/// Files posted into one folder of a draft by one form.
#[derive(Debug)]
pub struct FolderUpload<'a> {
    pub folder_id: i64,
    pub uploads: &'a [Upload],
    /// The token of the page the form was on; a second post with it adds nothing.
    pub submission: Option<uuid::Uuid>,
}

/// What became of a folder's upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderAdded {
    Added,
    /// The form had been posted before: its files are in already, these are not added.
    SentBefore,
}

pub async fn add_folder_documents(
    pool: &PgPool,
    actor: &Actor,
    approval_id: i64,
    initiator_org_id: i64,
    posted: FolderUpload<'_>,
    now: DateTime<Utc>,
) -> AppResult<FolderAdded> {
    let FolderUpload {
        folder_id,
        uploads,
        submission,
    } = posted;
    let mut tx = db::begin(pool).await?;
    lock_draft(&mut tx, actor, approval_id, initiator_org_id).await?;
    if let Some(token) = submission {
        // The same form posted again (a double click): its files are in already.
        if !db::approvals::claim_submission(&mut tx, actor.user_id, token, now).await? {
            return Ok(FolderAdded::SentBefore);
        }
        db::approvals::record_submission(&mut tx, actor.user_id, token, approval_id).await?;
    }
    let folders = db::approvals::folders(&mut tx, approval_id).await?;
    let folder = folders
        .iter()
        .find(|f| f.id == folder_id)
        .ok_or(AppError::NotFound)?;
    for upload in uploads {
        insert_document(
            &mut tx,
            approval_id,
            Place::Folder(folder_id),
            upload,
            actor,
            now,
        )
        .await?;
        let details = format!(
            "Документ «{}» добавлен в папку «{}»",
            upload.original_name, folder.name
        );
        note_change(&mut tx, approval_id, actor, now, "document_added", &details).await?;
    }
    tx.commit().await?;
    Ok(FolderAdded::Added)
}

/// Removes a document from a draft's folder.
pub async fn remove_folder_document(
    pool: &PgPool,
    actor: &Actor,
    approval_id: i64,
    initiator_org_id: i64,
    document_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut tx = db::begin(pool).await?;
    lock_draft(&mut tx, actor, approval_id, initiator_org_id).await?;
    let doc = db::documents::find(&mut tx, approval_id, document_id)
        .await?
        .filter(|d| d.folder_id.is_some())
        .ok_or(AppError::NotFound)?;
    db::documents::delete(&mut tx, doc.id).await?;
    let details = format!("Документ «{}» удалён", doc.original_name);
    note_change(
        &mut tx,
        approval_id,
        actor,
        now,
        "document_removed",
        &details,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Reasons a draft cannot be launched yet; empty when it can.
pub async fn launch_obstacles(
    conn: &mut sqlx::PgConnection,
    approval_id: i64,
) -> AppResult<Vec<String>> {
    let folders = db::approvals::folders(conn, approval_id).await?;
    let mut obstacles: Vec<String> = folders
        .iter()
        .filter(|f| f.is_required && f.document_count == 0)
        .map(|f| format!("В обязательной папке «{}» нет документов.", f.name))
        .collect();
    let documents = db::documents::for_approval(conn, approval_id).await?;
    let signatures = db::signatures::for_approval(conn, approval_id).await?;
    for doc in documents.iter().filter(|d| d.folder_id.is_some()) {
        let verdicts = signatures
            .iter()
            .filter(|s| s.document_id == doc.id)
            .map(|s| s.verdict.as_str());
        match signing::signed_state(verdicts) {
            SignedState::Signed => {}
            SignedState::Unsigned => obstacles.push(format!(
                "Файл «{}» в папке «{}» не подписан.",
                doc.original_name, doc.section
            )),
            SignedState::Invalid(verdict) => obstacles.push(format!(
                "Подпись файла «{}» в папке «{}» недействительна: {}.",
                doc.original_name,
                doc.section,
                Verdict::from_str(&verdict).map_or("неизвестная ошибка", Verdict::title)
            )),
        }
    }
    Ok(obstacles)
}

/// Adds verified signature files to a document in a draft's folder.
pub async fn add_signatures(
    pool: &PgPool,
    actor: &Actor,
    approval_id: i64,
    initiator_org_id: i64,
    document_id: i64,
    signatures: &[SignatureUpload],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut tx = db::begin(pool).await?;
    lock_draft(&mut tx, actor, approval_id, initiator_org_id).await?;
    let doc = db::documents::find(&mut tx, approval_id, document_id)
        .await?
        .filter(|d| d.folder_id.is_some())
        .ok_or(AppError::NotFound)?;
    insert_signatures(&mut tx, doc.id, signatures, actor, now).await?;
    for signature in signatures {
        let details = format!(
            "К файлу «{}» приложена подпись «{}»: {}",
            doc.original_name,
            signature.original_name,
            signature.report.verdict.title()
        );
        note_change(
            &mut tx,
            approval_id,
            actor,
            now,
            "signature_added",
            &details,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Removes a signature file from a document of a draft.
pub async fn remove_signature(
    pool: &PgPool,
    actor: &Actor,
    approval_id: i64,
    initiator_org_id: i64,
    document_id: i64,
    signature_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut tx = db::begin(pool).await?;
    lock_draft(&mut tx, actor, approval_id, initiator_org_id).await?;
    let signature = db::signatures::find(&mut tx, approval_id, document_id, signature_id)
        .await?
        .ok_or(AppError::NotFound)?;
    db::signatures::delete(&mut tx, signature.id).await?;
    let details = format!("Подпись «{}» удалена", signature.original_name);
    note_change(
        &mut tx,
        approval_id,
        actor,
        now,
        "signature_removed",
        &details,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Launches a draft: plans the dates, starts step 1, tells its participants.
pub async fn launch(
    pool: &PgPool,
    actor: &Actor,
    approval_id: i64,
    initiator_org_id: i64,
    now: DateTime<Utc>,
    mail: Option<&str>,
) -> AppResult<()> {
    let mut tx = db::begin(pool).await?;
    let before = lock_draft(&mut tx, actor, approval_id, initiator_org_id).await?;
    let obstacles = launch_obstacles(&mut tx, approval_id).await?;
    if !obstacles.is_empty() {
        return Err(AppError::Conflict(format!(
            "Согласование нельзя запустить. {}",
            obstacles.join(" ")
        )));
    }

    let participants = db::approvals::participants(&mut tx, approval_id, moscow_date(now)).await?;
    let terms: Vec<Term> = participants
        .iter()
        .map(|p| Term {
            step: p.step,
            days: p.term_days,
            basis: TermBasis::from_db(&p.term_basis).unwrap_or(TermBasis::Launch),
            is_mandatory: p.is_mandatory,
        })
        .collect();
    let plan = dates::plan(moscow_date(now), &terms);
    let ids: Vec<i64> = participants.iter().map(|p| p.id).collect();
    let starts: Vec<_> = plan.participants.iter().map(|p| p.start).collect();
    let ends: Vec<_> = plan.participants.iter().map(|p| p.end).collect();
    db::approvals::set_planned(&mut tx, &ids, &starts, &ends).await?;
    db::approvals::mark_launched(&mut tx, approval_id, now, plan.completion, actor.user_id).await?;
    let seats: Vec<_> = participants.iter().map(|p| p.seat()).collect();
    apply_progress(
        &mut tx,
        approval_id,
        &before,
        lifecycle::progress(&seats),
        now,
    )
    .await?;
    dates_refresh::refresh(&mut tx, &[approval_id], now, mail).await?;
    db::audit::record(
        &mut tx,
        approval_id,
        actor.user_id,
        now,
        "launched",
        "Согласование запущено",
    )
    .await?;
    tx.commit().await?;
    tracing::info!(approval.id = approval_id, "approval launched");
    Ok(())
}

/// Stores the approval's new progress, when it differs from where it stood `before`.
async fn apply_progress(
    conn: &mut sqlx::PgConnection,
    approval_id: i64,
    before: &db::approvals::Locked,
    progress: Progress,
    now: DateTime<Utc>,
) -> AppResult<()> {
    match progress {
        Progress::Running { current_step }
            if before.status == Status::Running.as_db()
                && before.current_step == Some(current_step) => {}
        Progress::Running { current_step } => {
            db::approvals::start_steps_through(conn, approval_id, current_step, now).await?;
            db::approvals::set_progress(conn, approval_id, "running", Some(current_step), None)
                .await?;
        }
        Progress::Completed(status) => {
            db::approvals::set_progress(conn, approval_id, status.as_db(), None, Some(now)).await?;
        }
    }
    Ok(())
}

/// Locks an approval for an event of its run and reads its participants as the event's
/// rules and the dates need them. An approval the actor may not see is not found.
async fn lock_running(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    approval_id: i64,
    now: DateTime<Utc>,
) -> AppResult<(db::approvals::Locked, Vec<db::schedule::SeatRow>)> {
    let locked = db::approvals::lock(conn, approval_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = db::schedule::seats(conn, &[approval_id], moscow_date(now)).await?;
    let participant_org_ids: Vec<i64> = rows.iter().map(|p| p.organisation_id).collect();
    let scope = ApprovalScope {
        initiator_org_id: locked.initiator_org_id,
        is_draft: locked.status == Status::Draft.as_db(),
        is_public: locked.is_public,
        participant_org_ids: &participant_org_ids,
    };
    if actor.visibility(&scope) == Visibility::Hidden {
        return Err(AppError::NotFound);
    }
    Ok((locked, rows))
}

/// The refusal of a decision to someone outside the participant's deciding users.
pub fn not_allowed_to_decide() -> AppError {
    AppError::Forbidden(
        "Принимать решение может только сотрудник организации-участника \
         с правом «Участвовать в согласованиях»."
            .into(),
    )
}

/// A participant's decision as posted.
#[derive(Debug)]
pub struct DecisionInput<'a> {
    pub participant_id: i64,
    pub decision: Decision,
    pub comment: &'a str,
    pub uploads: &'a [Upload],
}

/// Records a participant's decision and moves the approval on.
pub async fn decide(
    pool: &PgPool,
    actor: &Actor,
    approval_id: i64,
    input: &DecisionInput<'_>,
    now: DateTime<Utc>,
    mail: Option<&str>,
) -> AppResult<Status> {
    if input.decision == Decision::Refused && input.comment.trim().is_empty() {
        return Err(AppError::BadRequest(
            "При отказе комментарий обязателен.".into(),
        ));
    }
    let mut tx = db::begin(pool).await?;
    let (before, mut rows) = lock_running(&mut tx, actor, approval_id, now).await?;
    let participant = rows
        .iter()
        .find(|p| p.id == input.participant_id)
        .ok_or(AppError::NotFound)?
        .state();
    if !actor.may_decide_for(participant.organisation_id) {
        return Err(not_allowed_to_decide());
    }
    let seats: Vec<_> = rows.iter().map(|p| p.state().seat()).collect();
    lifecycle::may_decide(status_of(&before.status)?, &seats, participant.id)
        .map_err(|refusal| AppError::Conflict(refusal.message()))?;

    // The dates as they follow from the decision: the decider's row is written once, with
    // its decision; the others' after.
    let row = rows
        .iter_mut()
        .find(|p| p.id == participant.id)
        .ok_or(AppError::NotFound)?;
    row.decision = Some(input.decision.as_db().to_owned());
    row.decided_at = Some(now);
    let stored_dates = row.stored_dates();
    let mut refresh = dates_refresh::plan(&[approval_id], &rows, now);
    let own_dates = refresh.seats.take(participant.id).unwrap_or(stored_dates);
    let recorded = db::approvals::record_decision(
        &mut tx,
        participant.id,
        input.decision,
        input.comment.trim(),
        actor.user_id,
        now,
        &own_dates,
    )
    .await?;
    if !recorded {
        return Err(AppError::Conflict(
            lifecycle::DecideRefusal::AlreadyDecided.message(),
        ));
    }
    for upload in input.uploads {
        let place = Place::Decision(participant.id);
        insert_document(&mut tx, approval_id, place, upload, actor, now).await?;
    }

    let seats: Vec<_> = rows.iter().map(|p| p.state().seat()).collect();
    let progress = lifecycle::progress(&seats);
    apply_progress(&mut tx, approval_id, &before, progress, now).await?;
    refresh.write(&mut tx, now, mail).await?;
    let notices = decision_notices(
        approval_id,
        &before.number,
        &participant,
        input.decision,
        progress,
    );
    for (notice, audience) in &notices {
        db::notifications::notify(&mut tx, notice, *audience, mail, now).await?;
    }
    let details = format!(
        "{}: {}{}",
        participant.organisation_name,
        input.decision.title(),
        if input.comment.trim().is_empty() {
            String::new()
        } else {
            format!(" — {}", input.comment.trim())
        }
    );
    note_change(&mut tx, approval_id, actor, now, "decided", &details).await?;
    if let Progress::Completed(final_status) = progress {
        let details = format!("Согласование завершено: {}", final_status.title());
        db::audit::record(
            &mut tx,
            approval_id,
            actor.user_id,
            now,
            "completed",
            &details,
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(
        approval.id = approval_id,
        participant.id = participant.id,
        decision = input.decision.as_db(),
        "decision recorded"
    );
    Ok(match progress {
        Progress::Completed(status) => status,
        Progress::Running { .. } => Status::Running,
    })
}

/// The notices a decision sends: to the initiator, and to everyone involved when it
/// completed the approval.
fn decision_notices(
    approval_id: i64,
    number: &str,
    participant: &db::approvals::SeatState,
    decision: Decision,
    progress: Progress,
) -> Vec<(Notice<'static>, Audience)> {
    let decided = Notice {
        approval_id,
        kind: "decided",
        key: format!("decided:{}", participant.id),
        message: format!(
            "{}: решение «{}» по согласованию {number}",
            participant.organisation_name,
            decision.title()
        ),
    };
    let mut notices = vec![(decided, Audience::Initiator)];
    if let Progress::Completed(status) = progress {
        let completed = Notice {
            approval_id,
            kind: "completed",
            key: format!("completed:{approval_id}"),
            message: format!("Согласование {number} завершено: {}", status.title()),
        };
        notices.push((completed, Audience::Involved));
    }
    notices
}

/// A completed action as posted.
#[derive(Debug)]
pub struct ActionCompletion<'a> {
    pub action_id: i64,
    pub comment: &'a str,
    pub uploads: &'a [Upload],
}

/// The refusal of an action to someone outside the participant's deciding users.
pub fn not_allowed_to_act() -> AppError {
    AppError::Forbidden(
        "Выполнять действия может только сотрудник организации-участника \
         с правом «Участвовать в согласованиях»."
            .into(),
    )
}

/// Marks a participant's action done, with a comment and result documents; returns the
/// participant's id.
pub async fn complete_action(
    pool: &PgPool,
    actor: &Actor,
    approval_id: i64,
    completion: &ActionCompletion<'_>,
    now: DateTime<Utc>,
    mail: Option<&str>,
) -> AppResult<i64> {
    let ActionCompletion {
        action_id,
        comment,
        uploads,
    } = *completion;
    let mut tx = db::begin(pool).await?;
    let (before, mut rows) = lock_running(&mut tx, actor, approval_id, now).await?;
    let (participant, action) = rows
        .iter()
        .find_map(|p| {
            let action = p.actions.iter().find(|a| a.id == action_id)?;
            Some((p.state(), action.clone()))
        })
        .ok_or(AppError::NotFound)?;
    if !actor.may_decide_for(participant.organisation_id) {
        return Err(not_allowed_to_act());
    }
    let seats: Vec<_> = rows.iter().map(|p| p.state().seat()).collect();
    lifecycle::may_act(status_of(&before.status)?, &seats, participant.id)
        .map_err(|refusal| AppError::Conflict(refusal.action_message()))?;
    if action.done_at.is_some()
        || !db::approvals::complete_action(&mut tx, action_id, comment, actor.user_id, now).await?
    {
        return Err(AppError::Conflict("Действие уже выполнено.".into()));
    }
    for upload in uploads {
        insert_document(
            &mut tx,
            approval_id,
            Place::Action(action_id),
            upload,
            actor,
            now,
        )
        .await?;
    }
    let details = format!(
        "{}: выполнено действие «{}»",
        participant.organisation_name, action.description
    );
    note_change(&mut tx, approval_id, actor, now, "action_done", &details).await?;
    let done = rows
        .iter_mut()
        .flat_map(|p| p.actions.iter_mut())
        .find(|a| a.id == action_id);
    if let Some(done) = done {
        done.done_at = Some(now);
    }
    dates_refresh::refresh_read(&mut tx, &[approval_id], &rows, now, mail).await?;
    tx.commit().await?;
    Ok(participant.id)
}
