//! The «Согласования» list: filters, sorting and paging, all in the URL so that a filtered
//! list can be bookmarked and shared.

use crate::web::extract::{Form, Query};
use askama::Template;
use axum::{
    extract::State,
    response::{Html, Redirect},
};
use chrono::NaiveDate;
use serde::Deserialize;

use super::Layout;
use crate::{
    db::{
        self,
        approval_list::{DateRange, ListFilter, Sort, SortColumn, Total, Viewer},
    },
    domain::lifecycle::Status,
    error::AppResult,
    web::{AppState, auth::CurrentUser, format},
};

/// Page sizes on offer; the first is not the default.
pub const PAGE_SIZES: [i64; 4] = [25, 50, 100, 200];
const DEFAULT_PAGE_SIZE: i64 = 50;

pub async fn home() -> Redirect {
    Redirect::to("/approvals")
}

/// The list's URL parameters, as typed: every one is checked, and one that does not read
/// is reported and ignored.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub q: String,
    pub status: String,
    pub initiator: String,
    pub created_from: String,
    pub created_to: String,
    pub launched_from: String,
    pub launched_to: String,
    pub planned_from: String,
    pub planned_to: String,
    pub completed_from: String,
    pub completed_to: String,
    pub mine: String,
    pub overdue: String,
    pub sort: String,
    pub dir: String,
    pub page: String,
    pub per_page: String,
}

/// The list's parameters, read.
#[derive(Clone, Debug)]
pub struct ListRequest {
    pub filter: ListFilter,
    pub sort: Sort,
    pub page: i64,
    pub per_page: i64,
    pub problems: Vec<String>,
}

impl ListQuery {
    pub fn read(&self) -> ListRequest {
        let mut problems = Vec::new();
        let text = self.q.trim();
        let status = match self.status.as_str() {
            "" => None,
            value => {
                let status = Status::from_db(value);
                if status.is_none() {
                    problems.push("Неизвестный статус в фильтре не учтён.".to_owned());
                }
                status
            }
        };
        let initiator = match self.initiator.trim() {
            "" => None,
            value => {
                let id = value.parse().ok();
                if id.is_none() {
                    problems.push("Инициатор в фильтре не распознан и не учтён.".to_owned());
                }
                id
            }
        };
        let mut range = |from: &str, to: &str, label: &str| {
            let range = DateRange {
                from: read_date(from, label, "с", &mut problems),
                to: read_date(to, label, "по", &mut problems),
            };
            if let (Some(from), Some(to)) = (range.from, range.to)
                && from > to
            {
                problems.push(format!(
                    "«{label}»: дата «с» позже даты «по», и ни одно согласование под это \
                     условие не попадёт."
                ));
            }
            range
        };
        let created = range(&self.created_from, &self.created_to, "Дата создания");
        let launched = range(
            &self.launched_from,
            &self.launched_to,
            "Дата запуска согласования",
        );
        let planned_completion = range(
            &self.planned_from,
            &self.planned_to,
            "Плановая дата завершения согласования",
        );
        let completed = range(
            &self.completed_from,
            &self.completed_to,
            "Дата завершения согласования",
        );
        let sort = Sort {
            column: SortColumn::from_key(&self.sort).unwrap_or(Sort::default().column),
            descending: match self.dir.as_str() {
                "asc" => false,
                "desc" => true,
                _ => SortColumn::from_key(&self.sort).is_none(),
            },
        };
        let per_page = self
            .per_page
            .parse()
            .ok()
            .filter(|n| PAGE_SIZES.contains(n))
            .unwrap_or(DEFAULT_PAGE_SIZE);
        ListRequest {
            filter: ListFilter {
                text: (!text.is_empty()).then(|| text.chars().take(200).collect()),
                status,
                initiator_org_id: initiator,
                created,
                launched,
                planned_completion,
                completed,
                mine: !self.mine.is_empty(),
                overdue: !self.overdue.is_empty(),
            },
            sort,
            page: self.page.parse().unwrap_or(1).max(1),
            per_page,
            problems,
        }
    }

    /// The parameters that are set, in a fixed order.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("q", &self.q),
            ("status", &self.status),
            ("initiator", &self.initiator),
            ("created_from", &self.created_from),
            ("created_to", &self.created_to),
            ("launched_from", &self.launched_from),
            ("launched_to", &self.launched_to),
            ("planned_from", &self.planned_from),
            ("planned_to", &self.planned_to),
            ("completed_from", &self.completed_from),
            ("completed_to", &self.completed_to),
            ("mine", &self.mine),
            ("overdue", &self.overdue),
            ("sort", &self.sort),
            ("dir", &self.dir),
            ("page", &self.page),
            ("per_page", &self.per_page),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| (key, value.clone()))
        .collect()
    }

    /// The URL of the list with these parameters, `change` applied; empty ones are left out.
    pub fn url(&self, change: impl FnOnce(&mut ListQuery)) -> String {
        let mut query = self.clone();
        change(&mut query);
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in query.pairs() {
            out.append_pair(key, &value);
        }
        let encoded = out.finish();
        if encoded.is_empty() {
            "/approvals".to_owned()
        } else {
            format!("/approvals?{encoded}")
        }
    }

    /// Whether any filter is set (the «Фильтры» panel then opens by itself).
    fn filtered(&self) -> bool {
        self.pairs().iter().any(|(key, value)| {
            !matches!(*key, "sort" | "dir" | "page" | "per_page") && !value.trim().is_empty()
        })
    }
}

/// A date typed as `2027-03-12` (the date field) or `12.03.2027`.
fn read_date(value: &str, label: &str, end: &str, problems: &mut Vec<String>) -> Option<NaiveDate> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(value, "%d.%m.%Y"))
        .ok();
    if date.is_none() {
        problems.push(format!(
            "«{label}» {end}: «{value}» — не дата (нужно ДД.ММ.ГГГГ); условие не учтено."
        ));
    }
    date
}

struct Row {
    id: i64,
    number: String,
    /// The shown columns after «Номер», in order.
    cells: Vec<String>,
    my_turn: bool,
    my_overdue: bool,
    not_yet: bool,
}

/// A column heading that sorts the list.
struct Heading {
    title: &'static str,
    url: String,
    /// `ascending` or `descending` when the list is sorted by it.
    sorted: &'static str,
}

/// The column titles of the manual, in order, with their sort columns.
pub(super) const COLUMNS: [(SortColumn, &str); 10] = [
    (SortColumn::Review, "Сейчас на рассмотрении"),
    (SortColumn::Number, "Номер"),
    (SortColumn::Status, "Статус"),
    (SortColumn::Name, "Наименование"),
    (SortColumn::Initiator, "Инициатор"),
    (SortColumn::Created, "Дата создания"),
    (SortColumn::Launched, "Дата запуска согласования"),
    (
        SortColumn::PlannedCompletion,
        "Плановая дата завершения согласования",
    ),
    (SortColumn::Completed, "Дата завершения согласования"),
    (SortColumn::Author, "Автор изменений"),
];

struct Choice {
    value: String,
    title: String,
}

/// A column in the gear's choice.
struct ColumnChoice {
    key: &'static str,
    title: &'static str,
    shown: bool,
    /// «Номер» links to the card and is always shown.
    fixed: bool,
}

/// Which of `COLUMNS` the user sees: all until a choice is stored; «Номер» always.
pub fn shown_columns(chosen: Option<&[String]>) -> Vec<SortColumn> {
    COLUMNS
        .iter()
        .map(|&(column, _)| column)
        .filter(|column| {
            *column == SortColumn::Number
                || chosen.is_none_or(|keys| keys.iter().any(|k| k == column.key()))
        })
        .collect()
}

/// The text of one plain column of a row.
pub(super) fn cell(row: &db::approval_list::ListRow, column: SortColumn) -> String {
    match column {
        SortColumn::Review | SortColumn::Number => String::new(),
        SortColumn::Status => Status::from_db(&row.status)
            .map_or("", Status::title)
            .to_owned(),
        SortColumn::Name => row.name.clone(),
        SortColumn::Initiator => row.initiator_name.clone(),
        SortColumn::Created => format::day_of(row.created_at),
        SortColumn::Launched => format::opt_day_of(row.launched_at),
        SortColumn::PlannedCompletion => format::opt_date(row.planned_completion_date),
        SortColumn::Completed => format::opt_day_of(row.completed_at),
        SortColumn::Author => row.author_name.clone(),
    }
}

#[derive(Template)]
#[template(path = "approvals/list.html")]
struct ListPage {
    layout: Layout,
    query: ListQuery,
    filtered: bool,
    show_review: bool,
    columns: Vec<ColumnChoice>,
    /// Where the gear's form returns to.
    here: String,
    /// The export of this filtered list.
    export_url: String,
    problems: Vec<String>,
    headings: Vec<Heading>,
    statuses: Vec<Choice>,
    initiators: Vec<Choice>,
    page_sizes: Vec<i64>,
    per_page: i64,
    /// The parameters the page-size form keeps.
    query_pairs: Vec<(&'static str, String)>,
    rows: Vec<Row>,
    total: String,
    page: i64,
    previous_url: Option<String>,
    next_url: Option<String>,
    may_create: bool,
}

#[tracing::instrument(name = "approvals.list", skip_all, fields(user.id = user.actor.user_id))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<ListQuery>,
) -> AppResult<Html<String>> {
    let request = query.read();
    let ListRequest {
        filter,
        sort,
        page,
        per_page,
        ..
    } = &request;
    // The queries that do not wait for one another run side by side, each on its own
    // connection.
    let (viewer, chosen, initiators) = tokio::try_join!(
        Viewer::of(&state.db, &user.actor),
        db::users::list_columns(&state.db, user.actor.user_id),
        db::approval_list::initiators(&state.db),
    )?;
    let (rows, total) = tokio::try_join!(
        db::approval_list::page(
            &state.db,
            viewer,
            filter,
            *sort,
            per_page + 1,
            (page - 1).saturating_mul(*per_page),
        ),
        db::approval_list::total(&state.db, viewer, filter),
    )?;
    let has_next = i64::try_from(rows.len()).unwrap_or(i64::MAX) > *per_page;

    let shown = shown_columns(chosen.as_deref());
    let headings = COLUMNS
        .iter()
        .filter(|(column, _)| shown.contains(column))
        .map(|&(column, title)| {
            let current = sort.column == column;
            let descending_next = !(current && sort.descending);
            Heading {
                title,
                url: query.url(|q| {
                    column.key().clone_into(&mut q.sort);
                    q.dir = if descending_next { "desc" } else { "asc" }.to_owned();
                    q.page.clear();
                }),
                sorted: match (current, sort.descending) {
                    (false, _) => "",
                    (true, true) => "descending",
                    (true, false) => "ascending",
                },
            }
        })
        .collect();
    let columns = COLUMNS
        .iter()
        .map(|&(column, title)| ColumnChoice {
            key: column.key(),
            title,
            shown: shown.contains(&column),
            fixed: column == SortColumn::Number,
        })
        .collect();
    let plain: Vec<SortColumn> = shown
        .iter()
        .copied()
        .filter(|c| !matches!(c, SortColumn::Review | SortColumn::Number))
        .collect();
    let statuses = [
        Status::Draft,
        Status::Running,
        Status::Approved,
        Status::Rejected,
    ]
    .into_iter()
    .map(|s| Choice {
        value: s.as_db().to_owned(),
        title: s.title().to_owned(),
    })
    .collect();
    let initiators = initiators
        .into_iter()
        .map(|(id, name)| Choice {
            value: id.to_string(),
            title: name,
        })
        .collect();
    let rows = rows
        .into_iter()
        .take(usize::try_from(*per_page).unwrap_or(usize::MAX))
        .map(|r| Row {
            cells: plain.iter().map(|&column| cell(&r, column)).collect(),
            id: r.id,
            number: r.number,
            my_turn: r.my_turn,
            my_overdue: r.my_overdue,
            not_yet: r.not_yet,
        })
        .collect();
    let page_url = |n: i64| query.url(|q| q.page = n.to_string());
    let page_view = ListPage {
        layout: Layout::of(&user),
        filtered: query.filtered(),
        show_review: shown.contains(&SortColumn::Review),
        columns,
        here: query.url(|_| {}),
        export_url: query
            .url(|q| q.page.clear())
            .replacen("/approvals", "/approvals/export", 1),
        problems: request.problems.clone(),
        headings,
        statuses,
        initiators,
        page_sizes: PAGE_SIZES.to_vec(),
        per_page: *per_page,
        query_pairs: query
            .pairs()
            .into_iter()
            .filter(|(key, _)| !matches!(*key, "page" | "per_page"))
            .collect(),
        rows,
        total: match total {
            Total::Exactly(n) => n.to_string(),
            Total::MoreThan(n) => format!("более {n}"),
        },
        page: *page,
        previous_url: (*page > 1).then(|| page_url(page - 1)),
        next_url: has_next.then(|| page_url(page + 1)),
        may_create: user.actor.rights.create,
        query,
    };
    Ok(Html(page_view.render()?))
}

/// The gear's form: the columns to show, kept for the user.
pub async fn save_columns(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Redirect> {
    let ticked: Vec<&str> = pairs
        .iter()
        .filter(|(key, _)| key == "column")
        .map(|(_, value)| value.as_str())
        .collect();
    let keys: Vec<String> = COLUMNS
        .iter()
        .map(|&(column, _)| column)
        .filter(|column| *column == SortColumn::Number || ticked.contains(&column.key()))
        .map(|column| column.key().to_owned())
        .collect();
    db::users::set_list_columns(&state.db, user.actor.user_id, &keys).await?;
    let back = pairs
        .iter()
        .find(|(key, _)| key == "back")
        .map(|(_, value)| value.as_str())
        .filter(|url| *url == "/approvals" || url.starts_with("/approvals?"))
        .filter(|url| url.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("/approvals");
    Ok(Redirect::to(back))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inverted_range_is_told_and_kept_as_asked() {
        let query = ListQuery {
            created_from: "10.12.2026".into(),
            created_to: "2026-01-01".into(),
            launched_from: "01.01.2026".into(),
            launched_to: "01.01.2026".into(),
            ..ListQuery::default()
        };
        let request = query.read();
        assert_eq!(
            request.problems,
            [
                "«Дата создания»: дата «с» позже даты «по», и ни одно согласование под это \
              условие не попадёт."
            ]
        );
        assert!(request.filter.created.from > request.filter.created.to);
        assert!(request.filter.launched.from.is_some());
    }
}
