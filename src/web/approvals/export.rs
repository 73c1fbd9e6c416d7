//! The filtered list, every page of it, as an Excel workbook: the user's visible columns,
//! dates as Excel dates.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use super::list::{COLUMNS, ListQuery, cell, shown_columns};
use crate::{
    clock::moscow_date,
    db::{
        self,
        approval_list::{ListRow, SortColumn, Viewer},
    },
    error::{AppError, AppResult},
    web::{AppState, auth::CurrentUser, documents::attachment, extract::Query},
};

/// «Сейчас на рассмотрении» in words, for a sheet that has no icons.
fn review_text(row: &ListRow) -> String {
    let mut marks = Vec::new();
    if row.my_turn {
        marks.push("Требуется решение");
    }
    if row.my_overdue {
        marks.push("Просрочено");
    }
    if row.not_yet {
        marks.push("Решение пока невозможно");
    }
    marks.join(", ")
}

/// The date a column holds, for the date columns.
fn date_of(row: &ListRow, column: SortColumn) -> Option<Option<NaiveDate>> {
    match column {
        SortColumn::Created => Some(Some(moscow_date(row.created_at))),
        SortColumn::Launched => Some(row.launched_at.map(moscow_date)),
        SortColumn::PlannedCompletion => Some(row.planned_completion_date),
        SortColumn::Completed => Some(row.completed_at.map(moscow_date)),
        _ => None,
    }
}

fn excel_date(date: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    let year = u16::try_from(date.year()).unwrap_or(1900);
    let month = u8::try_from(date.month()).unwrap_or(1);
    let day = u8::try_from(date.day()).unwrap_or(1);
    ExcelDateTime::from_ymd(year, month, day)
}

/// The workbook of `rows` with `columns`, one header row on top.
pub fn workbook(columns: &[SortColumn], rows: &[ListRow]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Согласования")?;
    let header = Format::new().set_bold().set_text_wrap();
    let date = Format::new().set_num_format("dd.mm.yyyy");
    for (col, column) in (0u16..).zip(columns) {
        let title = COLUMNS
            .iter()
            .find(|(c, _)| c == column)
            .map_or("", |(_, title)| title);
        sheet.write_string_with_format(0, col, title, &header)?;
        let width = if date_of_column(*column) { 14.0 } else { 24.0 };
        sheet.set_column_width(col, width)?;
    }
    for (row_index, row) in (1u32..).zip(rows) {
        for (col, &column) in (0u16..).zip(columns) {
            match (column, date_of(row, column)) {
                (_, Some(Some(day))) => {
                    sheet.write_date_with_format(row_index, col, &excel_date(day)?, &date)?;
                }
                (_, Some(None)) => {}
                (SortColumn::Review, None) => {
                    sheet.write_string(row_index, col, review_text(row))?;
                }
                (SortColumn::Number, None) => {
                    sheet.write_string(row_index, col, &row.number)?;
                }
                (other, None) => {
                    sheet.write_string(row_index, col, cell(row, other))?;
                }
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    workbook.save_to_buffer()
}

fn date_of_column(column: SortColumn) -> bool {
    matches!(
        column,
        SortColumn::Created
            | SortColumn::Launched
            | SortColumn::PlannedCompletion
            | SortColumn::Completed
    )
}

/// «Выгрузить в Excel»: the list as filtered and sorted, all pages.
#[tracing::instrument(name = "approvals.export", skip_all, fields(user.id = user.actor.user_id))]
pub async fn export(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<ListQuery>,
) -> AppResult<Response> {
    let request = query.read();
    let viewer = Viewer::of(&state.db, &user.actor).await?;
    let rows = db::approval_list::all(&state.db, viewer, &request.filter, request.sort).await?;
    let chosen = db::users::list_columns(&state.db, user.actor.user_id).await?;
    let columns = shown_columns(chosen.as_deref());
    let bytes = tokio::task::spawn_blocking(move || workbook(&columns, &rows))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    let headers = attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Согласования.xlsx",
    )?;
    Ok((headers, bytes).into_response())
}
