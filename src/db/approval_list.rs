//! The «Согласования» list: what a user may see, filtered, sorted and paged. The query is
//! built from parts because the filters and the sort vary; every value goes in as a bound
//! parameter, and sort columns come from a fixed list.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::domain::{access::Actor, lifecycle::Status};

/// A range of dates, either end open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// What the user asked the list to show.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// Part of the number, name, subject or address of works.
    pub text: Option<String>,
    pub status: Option<Status>,
    pub initiator_org_id: Option<i64>,
    pub created: DateRange,
    pub launched: DateRange,
    pub planned_completion: DateRange,
    pub completed: DateRange,
    /// «На рассмотрении в моей организации»: the user's organisation must decide now.
    pub mine: bool,
    /// «Просроченные»: a participant is past its deadline without a decision.
    pub overdue: bool,
}

/// A column the list sorts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortColumn {
    Review,
    Number,
    Status,
    Name,
    Initiator,
    Created,
    Launched,
    PlannedCompletion,
    Completed,
    Author,
}

impl SortColumn {
    pub const ALL: [SortColumn; 10] = [
        SortColumn::Review,
        SortColumn::Number,
        SortColumn::Status,
        SortColumn::Name,
        SortColumn::Initiator,
        SortColumn::Created,
        SortColumn::Launched,
        SortColumn::PlannedCompletion,
        SortColumn::Completed,
        SortColumn::Author,
    ];

    /// Its name in the URL.
    pub fn key(self) -> &'static str {
        match self {
            SortColumn::Review => "review",
            SortColumn::Number => "number",
            SortColumn::Status => "status",
            SortColumn::Name => "name",
            SortColumn::Initiator => "initiator",
            SortColumn::Created => "created",
            SortColumn::Launched => "launched",
            SortColumn::PlannedCompletion => "planned",
            SortColumn::Completed => "completed",
            SortColumn::Author => "author",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == key)
    }

    /// Whether the column can be empty (the dates of later stages).
    fn may_be_empty(self) -> bool {
        matches!(
            self,
            SortColumn::Launched | SortColumn::PlannedCompletion | SortColumn::Completed
        )
    }

    fn expression(self) -> &'static str {
        match self {
            SortColumn::Review => "my_turn",
            SortColumn::Number => "a.number",
            SortColumn::Status => "a.status",
            SortColumn::Name => "a.name",
            SortColumn::Initiator => "o.short_name",
            SortColumn::Created => "a.created_at",
            SortColumn::Launched => "a.launched_at",
            SortColumn::PlannedCompletion => "a.planned_completion_date",
            SortColumn::Completed => "a.completed_at",
            SortColumn::Author => "u.full_name",
        }
    }
}

/// The order of the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub column: SortColumn,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            column: SortColumn::Created,
            descending: true,
        }
    }
}

/// One row of the list.
#[derive(Debug, sqlx::FromRow)]
pub struct ListRow {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub name: String,
    pub initiator_name: String,
    pub created_at: DateTime<Utc>,
    pub launched_at: Option<DateTime<Utc>>,
    pub planned_completion_date: Option<NaiveDate>,
    pub completed_at: Option<DateTime<Utc>>,
    pub author_name: String,
    /// The user's organisation must decide now.
    pub my_turn: bool,
    /// The user's organisation must decide now and is past its deadline.
    pub my_overdue: bool,
    /// The user's organisation takes part but its step has not started.
    pub not_yet: bool,
}

/// How many rows the list counts exactly; above it the total reads «более N».
pub const COUNT_LIMIT: i64 = 200;

/// The total of a filtered list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Total {
    Exactly(i64),
    MoreThan(i64),
}

/// A participant of the user's organisation in the approval; the caller binds the
/// organisation next and closes the subquery with `OFFSET 0`, which keeps each such check a
/// probe per row rather than a hash of every participation.
const MY_SEAT: &str = "SELECT 1 FROM approval_participants p \
     JOIN approval_steps s ON s.id = p.step_id \
     WHERE p.approval_id = a.id AND p.organisation_id = ";

fn push_row_select(q: &mut QueryBuilder<'_, Postgres>, actor: &Actor) {
    q.push(
        "SELECT a.id, a.number, a.status, a.name, o.short_name AS initiator_name, \
         a.created_at, a.launched_at, a.planned_completion_date, a.completed_at, \
         u.full_name AS author_name, ",
    );
    q.push("(a.status = 'running' AND EXISTS (")
        .push(MY_SEAT)
        .push_bind(actor.organisation_id)
        .push(
            " AND p.decision IS NULL \
             AND (NOT p.is_mandatory OR s.position <= a.current_step) OFFSET 0)) AS my_turn, ",
        );
    q.push("(a.status = 'running' AND EXISTS (")
        .push(MY_SEAT)
        .push_bind(actor.organisation_id)
        .push(" AND p.decision IS NULL AND p.is_overdue OFFSET 0)) AS my_overdue, ");
    q.push("(a.status = 'running' AND EXISTS (")
        .push(MY_SEAT)
        .push_bind(actor.organisation_id)
        .push(
            " AND p.decision IS NULL AND p.is_mandatory \
             AND s.position > a.current_step OFFSET 0)) AS not_yet ",
        );
    q.push(
        "FROM approvals a \
         JOIN organisations o ON o.id = a.initiator_org_id \
         JOIN users u ON u.id = a.last_changed_by ",
    );
}

/// How many seats the viewer's organisation holds, which decides how the list checks
/// participation: not at all, from the few approvals themselves, or by a probe per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Participation {
    None,
    /// Few enough that reading those approvals by id beats probing every row: an
    /// organisation in 1 % of 100 000 approvals would otherwise have the page scan 5 000
    /// rows and the total 50 000. Reading by id costs some 4 µs a seat, a probe some 1 µs
    /// a row; at 5 000 seats in 100 000 the two took 16 and 13 ms.
    Few,
    Many,
}

/// Up to this many seats the organisation's participation counts as few.
pub const FEW_SEATS: i64 = 4000;

impl Participation {
    fn of_seats(seats: i64) -> Self {
        match seats {
            0 => Participation::None,
            n if n <= FEW_SEATS => Participation::Few,
            _ => Participation::Many,
        }
    }
}

/// The user the list is for: the actor's rights, and what the visibility check needs to
/// know beyond them. Read once per request and shared by the page and its total.
#[derive(Clone, Copy, Debug)]
pub struct Viewer<'a> {
    pub actor: &'a Actor,
    participation: Participation,
}

impl<'a> Viewer<'a> {
    pub async fn of(pool: &PgPool, actor: &'a Actor) -> sqlx::Result<Viewer<'a>> {
        let seats = sqlx::query_scalar!(
            r#"SELECT count(*) AS "seats!" FROM (SELECT 1 FROM approval_participants
               WHERE organisation_id = $1 LIMIT $2) s"#,
            actor.organisation_id,
            FEW_SEATS + 1
        )
        .fetch_one(pool)
        .await?;
        Ok(Viewer {
            actor,
            participation: Participation::of_seats(seats),
        })
    }
}

/// `WHERE` with what the actor may see (spec §1) and the filter; filters only narrow it.
fn push_where(q: &mut QueryBuilder<'_, Postgres>, viewer: Viewer<'_>, filter: &ListFilter) {
    let actor = viewer.actor;
    let r = actor.rights;
    q.push("WHERE (");
    if actor.is_admin {
        q.push("true");
    } else {
        q.push("false");
        if r.create || r.view || actor.is_head {
            q.push(" OR a.initiator_org_id = ")
                .push_bind(actor.organisation_id);
        }
        if r.participate || r.view || actor.is_head {
            match viewer.participation {
                Participation::None => {}
                Participation::Few => {
                    // The ids as an array let the index on ids find the rows, alongside
                    // the index on the initiator.
                    q.push(
                        " OR (a.status <> 'draft' AND a.id = ANY (ARRAY (SELECT approval_id \
                         FROM approval_participants WHERE organisation_id = ",
                    )
                    .push_bind(actor.organisation_id)
                    .push(")))");
                }
                Participation::Many => {
                    // `OFFSET 0` keeps the check a probe per row: hashing every approval
                    // the organisation takes part in would cost more than reading a page.
                    q.push(
                        " OR (a.status <> 'draft' AND EXISTS (SELECT 1 FROM approval_participants p \
                         WHERE p.approval_id = a.id AND p.organisation_id = ",
                    )
                    .push_bind(actor.organisation_id)
                    .push(" OFFSET 0))");
                }
            }
        }
        if r.view_public {
            q.push(" OR (a.status <> 'draft' AND a.is_public)");
        }
    }
    q.push(")");

    if let Some(text) = &filter.text {
        // `search_text` holds the four fields lower-cased (migration 0013); the pattern is
        // lower-cased by the same function, so the match is ILIKE's, cheaper.
        let pattern = format!("%{}%", escape_like(text));
        q.push(" AND a.search_text LIKE lower(")
            .push_bind(pattern)
            .push(")");
    }
    if let Some(status) = filter.status {
        q.push(" AND a.status = ").push_bind(status.as_db());
    }
    if let Some(initiator) = filter.initiator_org_id {
        q.push(" AND a.initiator_org_id = ").push_bind(initiator);
    }
    push_instant_range(q, "a.created_at", filter.created);
    push_instant_range(q, "a.launched_at", filter.launched);
    push_instant_range(q, "a.completed_at", filter.completed);
    if let Some(from) = filter.planned_completion.from {
        q.push(" AND a.planned_completion_date >= ").push_bind(from);
    }
    if let Some(to) = filter.planned_completion.to {
        q.push(" AND a.planned_completion_date <= ").push_bind(to);
    }
    if filter.mine {
        q.push(" AND a.status = 'running' AND EXISTS (")
            .push(MY_SEAT)
            .push_bind(actor.organisation_id)
            .push(
                " AND p.decision IS NULL \
                 AND (NOT p.is_mandatory OR s.position <= a.current_step) OFFSET 0)",
            );
    }
    if filter.overdue {
        q.push(
            " AND a.status = 'running' AND EXISTS (SELECT 1 FROM approval_participants p \
             WHERE p.approval_id = a.id AND p.decision IS NULL AND p.is_overdue OFFSET 0)",
        );
    }
}

/// A Moscow-date range over an instant column: from the first moment of `from` to before
/// the first moment of the day after `to`.
fn push_instant_range(q: &mut QueryBuilder<'_, Postgres>, column: &str, range: DateRange) {
    if let Some(from) = range.from {
        q.push(format!(" AND {column} >= "))
            .push_bind(crate::clock::moscow_midnight(from));
    }
    if let Some(to) = range.to {
        q.push(format!(" AND {column} < "))
            .push_bind(crate::clock::moscow_midnight(
                crate::domain::dates::add_days(to, 1),
            ));
    }
}

/// `text` with the `LIKE` wildcards taken literally.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// One page of the approvals the viewer may see, filtered and sorted.
pub async fn page(
    pool: &PgPool,
    viewer: Viewer<'_>,
    filter: &ListFilter,
    sort: Sort,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<ListRow>> {
    let mut q = QueryBuilder::new("");
    push_row_select(&mut q, viewer.actor);
    push_where(&mut q, viewer, filter);
    let direction = if sort.descending { "DESC" } else { "ASC" };
    // Empty dates sort last either way; the id keeps equal rows in a stable order. Columns
    // that are never empty keep the default, which their indexes share.
    let nulls = if sort.column.may_be_empty() {
        " NULLS LAST"
    } else {
        ""
    };
    q.push(format!(
        " ORDER BY {} {direction}{nulls}, a.id {direction}",
        sort.column.expression()
    ));
    q.push(" LIMIT ").push_bind(limit);
    q.push(" OFFSET ").push_bind(offset);
    q.build_query_as().fetch_all(pool).await
}

/// Every row of the filtered list, for the export.
pub async fn all(
    pool: &PgPool,
    viewer: Viewer<'_>,
    filter: &ListFilter,
    sort: Sort,
) -> sqlx::Result<Vec<ListRow>> {
    page(pool, viewer, filter, sort, i64::MAX, 0).await
}

/// How many rows the filtered list has, counted up to `COUNT_LIMIT`.
pub async fn total(pool: &PgPool, viewer: Viewer<'_>, filter: &ListFilter) -> sqlx::Result<Total> {
    let mut q = QueryBuilder::new("SELECT count(*) FROM (SELECT 1 FROM approvals a ");
    push_where(&mut q, viewer, filter);
    q.push(" LIMIT ")
        .push_bind(COUNT_LIMIT + 1)
        .push(") counted");
    let (count,): (i64,) = q.build_query_as().fetch_one(pool).await?;
    Ok(if count > COUNT_LIMIT {
        Total::MoreThan(COUNT_LIMIT)
    } else {
        Total::Exactly(count)
    })
}

/// The organisations that initiate approvals (the utilities), for the «Инициатор» filter.
pub async fn initiators(pool: &PgPool) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        "SELECT id, short_name FROM organisations WHERE kind = 'rso' ORDER BY short_name, id"
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.short_name)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_searched_for_literally() {
        assert_eq!(escape_like("100%_a\\b"), "100\\%\\_a\\\\b");
        assert_eq!(escape_like("Невский"), "Невский");
    }

    #[test]
    fn participation_is_few_up_to_the_limit() {
        assert_eq!(Participation::of_seats(0), Participation::None);
        assert_eq!(Participation::of_seats(1), Participation::Few);
        assert_eq!(Participation::of_seats(FEW_SEATS), Participation::Few);
        assert_eq!(Participation::of_seats(FEW_SEATS + 1), Participation::Many);
    }

    #[test]
    fn every_sort_column_has_a_key_that_reads_back() {
        for column in SortColumn::ALL {
            assert_eq!(SortColumn::from_key(column.key()), Some(column));
        }
        assert_eq!(SortColumn::from_key("a.id; DROP TABLE approvals"), None);
    }
}
