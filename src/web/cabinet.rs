//! The heads' cabinet: reports over a chosen period for the own organisation, and the staff
//! list where the head grants or revokes the four approval rights of its own staff.

use askama::Template;
use axum::{
    extract::{FromRequestParts, State},
    http::request::Parts,
    response::{Html, Redirect},
};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{
    AppState,
    admin::users::{RightBox, RightsForm, UserRow, right_boxes},
    approvals::Layout,
    auth::CurrentUser,
    extract::{Form, Path, Query},
};
use crate::{
    clock::moscow_midnight,
    db::{self, users::SignedIn},
    domain::{dates::add_days, lifecycle::Status},
    error::{AppError, AppResult},
};

/// The signed-in head of an organisation.
pub struct Head(pub SignedIn);

impl FromRequestParts<AppState> for Head {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        if !user.actor.is_head {
            return Err(AppError::Forbidden(
                "Кабинет доступен только руководителю организации.".into(),
            ));
        }
        Ok(Head(user))
    }
}

#[derive(Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

pub struct TimesRow {
    pub organisation: String,
    pub decisions: i64,
    pub average: String,
    pub p90: String,
    pub on_time: String,
}

#[derive(Template)]
#[template(path = "cabinet.html")]
struct CabinetPage {
    layout: Layout,
    from: String,
    to: String,
    errors: Vec<String>,
    statuses: Vec<(&'static str, i64)>,
    status_chart: String,
    overdue_now: i64,
    times: Vec<TimesRow>,
    times_chart: String,
}

/// A date typed as `2027-03-12` or `12.03.2027`, within the years the service can hold.
fn read_day(text: &str) -> Option<NaiveDate> {
    use chrono::Datelike;
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d.%m.%Y"))
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()))
}

pub async fn reports(
    State(state): State<AppState>,
    Head(user): Head,
    Query(query): Query<PeriodQuery>,
) -> AppResult<Html<String>> {
    let today = state.clock.today();
    let mut errors = Vec::new();
    let mut day = |text: &str, default: NaiveDate, what: &str| {
        if text.trim().is_empty() {
            return default;
        }
        read_day(text).unwrap_or_else(|| {
            errors.push(format!(
                "Дата «{what}» не распознана или лежит вне 2000–2100 годов; взята {}.",
                default.format("%d.%m.%Y")
            ));
            default
        })
    };
    let from = day(&query.from, add_days(today, -90), "с");
    let to = day(&query.to, today, "по");
    let (from, to) = if from > to { (to, from) } else { (from, to) };
    let (start, end) = (moscow_midnight(from), moscow_midnight(add_days(to, 1)));
    let org = user.actor.organisation_id;

    let (counts, overdue_now, times) = tokio::try_join!(
        db::reports::by_status(&state.db, org, start, end),
        db::reports::overdue_now(&state.db, org),
        db::reports::decision_times(&state.db, org, start, end),
    )?;
    let statuses: Vec<(&'static str, i64)> = [
        Status::Draft,
        Status::Running,
        Status::Approved,
        Status::Rejected,
    ]
    .into_iter()
    .map(|s| {
        let count = counts
            .iter()
            .find(|(status, _)| status == s.as_db())
            .map_or(0, |(_, n)| *n);
        (s.title(), count)
    })
    .collect();
    let status_chart = bar_chart(
        "Согласования по статусам",
        &statuses
            .iter()
            .map(|(title, n)| ((*title).to_owned(), *n as f64, n.to_string()))
            .collect::<Vec<_>>(),
    );
    let times_chart = bar_chart(
        "Среднее время решения, дней",
        &times
            .iter()
            .map(|t| {
                (
                    t.organisation.clone(),
                    t.average_days,
                    format!("{:.1}", t.average_days),
                )
            })
            .collect::<Vec<_>>(),
    );
    let times = times
        .into_iter()
        .map(|t| TimesRow {
            organisation: t.organisation,
            decisions: t.decisions,
            average: format!("{:.1}", t.average_days),
            p90: format!("{:.1}", t.p90_days),
            on_time: format!("{:.0} %", t.on_time_share * 100.0),
        })
        .collect();
    let page = CabinetPage {
        layout: Layout::of(&user),
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        errors,
        statuses,
        status_chart,
        overdue_now,
        times,
        times_chart,
    };
    Ok(Html(page.render()?))
}

/// A horizontal bar chart as SVG: one bar per (label, value, shown value). Labels are
/// escaped here because the picture is inserted as markup.
fn bar_chart(title: &str, bars: &[(String, f64, String)]) -> String {
    const ROW: usize = 26;
    const LABEL: usize = 180;
    const WIDTH: usize = 560;
    let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max);
    let height = ROW * bars.len().max(1) + 10;
    let mut svg = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" \
         viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" \
         aria-label=\"{}\">",
        escape(title)
    );
    for (i, (label, value, shown)) in bars.iter().enumerate() {
        let y = i * ROW + 5;
        let span = (WIDTH - LABEL - 60) as f64;
        let length = if max > 0.0 { value / max * span } else { 0.0 };
        svg.push_str(&format!(
            "<text x=\"{x}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"12\">{label}</text>\
             <rect x=\"{bx}\" y=\"{y}\" width=\"{length:.1}\" height=\"18\" fill=\"#2d6cdf\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\" font-size=\"12\">{shown}</text>",
            x = LABEL - 6,
            ty = y + 13,
            label = escape(label),
            bx = LABEL,
            vx = LABEL as f64 + length + 4.0,
            shown = escape(shown),
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub struct StaffRow {
    pub user: UserRow,
    pub rights: Vec<RightBox>,
}

#[derive(Template)]
#[template(path = "cabinet_staff.html")]
struct StaffPage {
    layout: Layout,
    staff: Vec<StaffRow>,
}

pub async fn staff(State(state): State<AppState>, Head(user): Head) -> AppResult<Html<String>> {
    let staff = db::accounts::users(&state.db, Some(user.actor.organisation_id))
        .await?
        .into_iter()
        .filter(|u| !u.is_admin) // managed on the administrators' pages only
        .map(|u| StaffRow {
            rights: right_boxes(u.rights),
            user: UserRow::of(u),
        })
        .collect();
    Ok(Html(
        StaffPage {
            layout: Layout::of(&user),
            staff,
        }
        .render()?,
    ))
}

/// Sets a staff member's four rights; a user of another organisation is not found.
pub async fn set_rights(
    State(state): State<AppState>,
    Head(user): Head,
    Path(user_id): Path<i64>,
    Form(form): Form<RightsForm>,
) -> AppResult<Redirect> {
    let rights = form.rights();
    let mut tx = state.db.begin().await?;
    if !db::accounts::set_rights(&mut tx, user.actor.organisation_id, user_id, rights).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    tracing::info!(user.id = user_id, "rights changed by the head");
    Ok(Redirect::to("/cabinet/staff"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_scales_bars_to_the_largest_and_escapes_labels() {
        let svg = bar_chart(
            "t",
            &[
                ("<b>А</b>".to_owned(), 2.0, "2".to_owned()),
                ("Б".to_owned(), 4.0, "4".to_owned()),
            ],
        );
        assert!(svg.contains("&lt;b&gt;А&lt;/b&gt;"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("width=\"160.0\""), "half of 320: {svg}");
        assert!(svg.contains("width=\"320.0\""));
        let empty = bar_chart("t", &[("А".to_owned(), 0.0, "0".to_owned())]);
        assert!(empty.contains("width=\"0.0\""));
    }
}
