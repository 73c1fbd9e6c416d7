//! The «Согласования» list: marks, filters in the URL, sorting, paging.

use chrono::Duration;
use essk_approvals::{dates_refresh, db::approval_list::FEW_SEATS};
use reqwest::StatusCode;

use crate::helpers::{TestApp, User, texts};

/// The numbers the list shows at `url`, in order.
async fn numbers(user: &User, url: &str) -> Vec<String> {
    let page = user.page(url).await;
    texts(&page, "table.approvals tbody td.number a")
}

async fn number_of(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar!("SELECT number FROM approvals WHERE id = $1", id)
        .fetch_one(&app.db)
        .await
        .expect("number")
}

/// Sets stored columns of an approval directly, to give the list varied rows.
async fn set(app: &TestApp, id: i64, column: &str, value: &str) {
    sqlx::query(&format!(
        "UPDATE approvals SET {column} = $2::text::{} WHERE id = $1",
        match column {
            "created_at" | "launched_at" | "completed_at" => "timestamptz",
            "planned_completion_date" => "date",
            _ => "text",
        }
    ))
    .bind(id)
    .bind(value)
    .execute(&app.db)
    .await
    .expect("update");
}

/// `count` copies of approval `of`, numbered `<prefix>-0001`…, each a minute older.
async fn copies(app: &TestApp, of: i64, prefix: &str, count: i32) {
    sqlx::query!(
        r#"
        INSERT INTO approvals (number, route_id, route_name, is_public, initiator_org_id,
            created_by, name, subject, works_address, network_kind, created_at,
            last_changed_by, last_changed_at)
        SELECT $2 || '-' || lpad(g::text, 4, '0'), route_id, route_name, is_public,
               initiator_org_id, created_by, name, subject, works_address, network_kind,
               created_at - g * interval '1 minute', last_changed_by, last_changed_at
        FROM approvals, generate_series(1, $3) g WHERE id = $1
        "#,
        of,
        prefix,
        count
    )
    .execute(&app.db)
    .await
    .expect("copies");
}

/// Three drafts of `rso` with distinct names, subjects, addresses and creation dates.
async fn three_drafts(app: &TestApp, rso: &User) -> [i64; 3] {
    let route = app.route_id().await;
    let a = rso.create_draft(route, "Котельная на Лиговском").await;
    let b = rso.create_draft(route, "Школа № 5").await;
    let c = rso.create_draft(route, "Поликлиника").await;
    set(app, a, "works_address", "Лиговский пр., д. 10").await;
    set(app, b, "subject", "Ремонт теплотрассы 100%_готов").await;
    set(app, a, "created_at", "2027-01-10 12:00+03").await;
    set(app, b, "created_at", "2027-02-10 00:30+03").await;
    set(app, c, "created_at", "2027-03-10 23:50+03").await;
    [a, b, c]
}

#[tokio::test]
async fn search_and_date_filters_narrow_the_list_and_live_in_the_url() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let [a, b, c] = three_drafts(&app, &rso).await;
    let (na, nb, nc) = (
        number_of(&app, a).await,
        number_of(&app, b).await,
        number_of(&app, c).await,
    );

    assert_eq!(
        numbers(&rso, "/approvals").await,
        [nc.as_str(), nb.as_str(), na.as_str()]
    );
    assert_eq!(
        numbers(&rso, &format!("/approvals?q={nb}")).await,
        [nb.as_str()]
    );
    assert_eq!(
        numbers(&rso, "/approvals?q=%D1%88%D0%BA%D0%BE%D0%BB%D0%B0").await,
        [nb.as_str()],
        "name, any case"
    );
    assert_eq!(
        numbers(&rso, "/approvals?q=Лиговский пр").await,
        [na.as_str()],
        "address"
    );
    assert_eq!(
        numbers(&rso, "/approvals?q=100%25_").await,
        [nb.as_str()],
        "subject, wildcards literal"
    );
    assert!(numbers(&rso, "/approvals?q=100%25x").await.is_empty());

    // Moscow dates: 00:30 on 10.02 and 23:50 on 10.03 belong to those days.
    assert_eq!(
        numbers(
            &rso,
            "/approvals?created_from=2027-02-10&created_to=2027-02-10"
        )
        .await,
        [nb.as_str()]
    );
    assert_eq!(
        numbers(&rso, "/approvals?created_from=10.03.2027").await,
        [nc.as_str()]
    );
    assert_eq!(
        numbers(&rso, "/approvals?created_to=2027-02-09").await,
        [na.as_str()]
    );

    let inverted = rso
        .page("/approvals?created_from=2027-03-12&created_to=2027-02-01")
        .await;
    assert_eq!(
        texts(&inverted, "div.error li"),
        [
            "«Дата создания»: дата «с» позже даты «по», и ни одно согласование под это условие \
          не попадёт."
        ]
    );

    let page = rso.page("/approvals?created_from=завтра&q=Школа").await;
    assert_eq!(
        texts(&page, "div.error li"),
        ["«Дата создания» с: «завтра» — не дата (нужно ДД.ММ.ГГГГ); условие не учтено."]
    );
    assert_eq!(
        texts(&page, "table.approvals tbody td.number a"),
        [nb.as_str()],
        "the rest of the filter still applies"
    );
    assert_eq!(
        page.select(&scraper::Selector::parse("details.filters[open] input[name=q]").expect("s"))
            .next()
            .and_then(|i| i.value().attr("value")),
        Some("Школа"),
        "the form shows the filter it applied"
    );
}

#[tokio::test]
async fn status_initiator_and_the_review_filters() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let draft = rso.create_draft(app.route_id().await, "Черновик").await;
    let running = app.ready_draft(&rso).await;
    rso.post_form(&format!("/approvals/{running}/launch"), &[])
        .await;
    let rso2 = app.login("rso2").await;
    let foreign = rso2.create_draft(app.route_id().await, "Чужой").await;
    let (nd, nr, nf) = (
        number_of(&app, draft).await,
        number_of(&app, running).await,
        number_of(&app, foreign).await,
    );

    assert_eq!(
        numbers(&rso, "/approvals?status=running").await,
        [nr.as_str()]
    );
    assert_eq!(
        numbers(&rso, "/approvals?status=draft").await,
        [nd.as_str()]
    );
    let admin = app.login("admin").await;
    let rso_org = sqlx::query_scalar!("SELECT organisation_id FROM users WHERE login = 'rso2'")
        .fetch_one(&app.db)
        .await
        .expect("org");
    assert_eq!(
        numbers(&admin, &format!("/approvals?initiator={rso_org}")).await,
        [nf.as_str()]
    );
    assert!(
        numbers(&rso, &format!("/approvals?initiator={rso_org}"))
            .await
            .is_empty(),
        "a filter never widens what the user sees"
    );

    let kga = app.login("kga").await;
    assert_eq!(numbers(&kga, "/approvals").await, [nr.as_str()]);
    assert_eq!(
        numbers(&kga, "/approvals?status=draft").await,
        Vec::<String>::new()
    );
    assert_eq!(numbers(&kga, "/approvals?mine=1").await, [nr.as_str()]);
    let gati = app.login("gati").await;
    assert!(
        numbers(&gati, "/approvals?mine=1").await.is_empty(),
        "ГАТИ's step has not started"
    );
    assert!(numbers(&kga, "/approvals?overdue=1").await.is_empty());

    // Past step 1's deadline (20.03) the undecided participants are overdue.
    app.clock.set(app.clock.now() + Duration::days(9));
    dates_refresh::refresh_stale(&app.db, app.clock.now(), None)
        .await
        .expect("refresh");
    assert_eq!(numbers(&kga, "/approvals?overdue=1").await, [nr.as_str()]);
    assert_eq!(
        numbers(&rso, "/approvals?overdue=1").await,
        [nr.as_str()],
        "the initiator sees its late approval"
    );
    let page = kga.page("/approvals").await;
    assert_eq!(texts(&page, "td.marks span.mark.decide").len(), 1);
    assert_eq!(texts(&page, "td.marks span.mark.overdue").len(), 1);
    let page = gati.page("/approvals").await;
    assert_eq!(texts(&page, "td.marks span.mark.not-yet").len(), 1);
    assert_eq!(
        texts(&page, "td.marks span.mark.overdue").len(),
        0,
        "ГАТИ is not late"
    );

    let page = rso.page("/approvals?status=lost&initiator=x").await;
    assert_eq!(
        texts(&page, "div.error li"),
        [
            "Неизвестный статус в фильтре не учтён.",
            "Инициатор в фильтре не распознан и не учтён."
        ]
    );
    assert_eq!(texts(&page, "table.approvals tbody td.number a").len(), 2);
}

/// Gives the organisation of `login` `count` more seats in approval `id`.
async fn extra_seats(app: &TestApp, id: i64, login: &str, count: i32) {
    sqlx::query!(
        r#"
        INSERT INTO approval_participants (approval_id, step_id, organisation_id, position,
            term_days, term_basis, is_mandatory, is_final, planned_start, planned_end)
        SELECT p.approval_id, p.step_id, p.organisation_id, 100 + g, p.term_days,
               p.term_basis, false, false, p.planned_start, p.planned_end
        FROM approval_participants p, generate_series(1, $3) g
        WHERE p.approval_id = $1
          AND p.organisation_id = (SELECT organisation_id FROM users WHERE login = $2)
        "#,
        id,
        login,
        count
    )
    .execute(&app.db)
    .await
    .expect("seats");
}

#[tokio::test]
async fn participation_is_checked_alike_for_an_organisation_with_few_or_many_seats() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let running = app.ready_draft(&rso).await;
    rso.post_form(&format!("/approvals/{running}/launch"), &[])
        .await;
    let draft = app.ready_draft(&rso).await;
    let rso2 = app.login("rso2").await;
    let foreign = rso2.create_draft(app.route_id().await, "Чужой").await;
    let nr = number_of(&app, running).await;

    let kga = app.login("kga").await;
    let expect_only_running = |page: &scraper::Html, seats: &str| {
        assert_eq!(
            texts(page, "table.approvals tbody td.number a"),
            [nr.as_str()],
            "{seats}"
        );
        assert_eq!(texts(page, "p.list-total"), ["Всего: 1"], "{seats}");
    };
    expect_only_running(&kga.page("/approvals").await, "few seats");
    // Seats in drafts, its initiator's own and another's, count but show nothing.
    let half = i32::try_from(FEW_SEATS / 2).expect("small");
    extra_seats(&app, draft, "kga", half).await;
    extra_seats(&app, foreign, "kga", half).await;
    expect_only_running(&kga.page("/approvals").await, "many seats");
    expect_only_running(
        &kga.page("/approvals?status=running").await,
        "many, filtered",
    );
}

#[tokio::test]
async fn every_column_sorts_both_ways_and_the_links_keep_the_filter() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let [a, b, c] = three_drafts(&app, &rso).await;
    let (na, nb, nc) = (
        number_of(&app, a).await,
        number_of(&app, b).await,
        number_of(&app, c).await,
    );
    set(&app, a, "planned_completion_date", "2027-05-01").await;
    set(&app, c, "planned_completion_date", "2027-04-01").await;

    let by = |key: &str, dir: &str| format!("/approvals?sort={key}&dir={dir}");
    assert_eq!(
        numbers(&rso, &by("number", "asc")).await,
        [na.as_str(), nb.as_str(), nc.as_str()]
    );
    assert_eq!(
        numbers(&rso, &by("number", "desc")).await,
        [nc.as_str(), nb.as_str(), na.as_str()]
    );
    assert_eq!(
        numbers(&rso, &by("name", "asc")).await,
        [na.as_str(), nc.as_str(), nb.as_str()],
        "Котельная, Поликлиника, Школа"
    );
    assert_eq!(
        numbers(&rso, &by("created", "asc")).await,
        [na.as_str(), nb.as_str(), nc.as_str()]
    );
    assert_eq!(
        numbers(&rso, &by("planned", "asc")).await,
        [nc.as_str(), na.as_str(), nb.as_str()],
        "an empty date last"
    );
    assert_eq!(
        numbers(&rso, &by("planned", "desc")).await,
        [na.as_str(), nc.as_str(), nb.as_str()],
        "an empty date last either way"
    );
    for key in [
        "review",
        "status",
        "initiator",
        "launched",
        "completed",
        "author",
    ] {
        for dir in ["asc", "desc"] {
            let mut shown = numbers(&rso, &by(key, dir)).await;
            shown.sort();
            assert_eq!(
                shown,
                [na.as_str(), nb.as_str(), nc.as_str()],
                "{key} {dir}"
            );
        }
    }
    let unknown = rso.get("/approvals?sort=id;drop&dir=sideways").await;
    assert_eq!(
        unknown.status(),
        StatusCode::OK,
        "an unknown sort falls back"
    );

    let page = rso.page("/approvals?q=%D0%BE&sort=name&dir=asc").await;
    let links: Vec<String> = page
        .select(&scraper::Selector::parse("table.approvals th a").expect("s"))
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect();
    assert_eq!(links.len(), 10, "every column heading sorts");
    assert!(links.iter().all(|l| l.contains("q=%D0%BE")), "{links:?}");
    assert!(
        links.contains(&"/approvals?q=%D0%BE&sort=name&dir=desc".to_owned()),
        "{links:?}"
    );
    assert_eq!(texts(&page, "th[aria-sort=ascending] a"), ["Наименование"]);
}

#[tokio::test]
async fn pages_hold_the_chosen_number_of_rows_and_the_total_counts_them_all() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let route = app.route_id().await;
    let first = rso.create_draft(route, "Образец").await;
    copies(&app, first, "Т", 59).await;

    let page = rso.page("/approvals").await;
    assert_eq!(
        texts(&page, "table.approvals tbody tr").len(),
        50,
        "50 by default"
    );
    assert_eq!(texts(&page, "p.list-total"), ["Всего: 60"]);
    let next = texts(&page, "nav.pager a");
    assert_eq!(next, ["Вперёд →"]);
    let second = rso.page("/approvals?page=2").await;
    assert_eq!(texts(&second, "table.approvals tbody tr").len(), 10);
    assert_eq!(texts(&second, "nav.pager a"), ["← Назад"]);
    let small = rso.page("/approvals?per_page=25&page=3").await;
    assert_eq!(texts(&small, "table.approvals tbody tr").len(), 10);
    let odd = rso.page("/approvals?per_page=7").await;
    assert_eq!(
        texts(&odd, "table.approvals tbody tr").len(),
        50,
        "only the offered sizes"
    );
    let far = rso.page("/approvals?page=99").await;
    assert_eq!(texts(&far, "td.empty"), ["Согласований нет."]);

    for (more, shown) in [(140, "Всего: 200"), (1, "Всего: более 200")] {
        copies(&app, first, &format!("М{more}"), more).await;
        let page = rso.page("/approvals").await;
        assert_eq!(texts(&page, "p.list-total"), [shown], "counted up to 200");
    }
}

#[tokio::test]
async fn the_chosen_columns_are_kept_for_the_user_across_logins() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    rso.create_draft(app.route_id().await, "Котельная").await;
    let all = rso.page("/approvals").await;
    assert_eq!(texts(&all, "table.approvals thead th").len(), 10);

    let response = rso
        .post_form(
            "/approvals/columns",
            &[
                ("column", "status"),
                ("column", "name"),
                ("column", "no-such-column"),
                ("back", "/approvals?sort=name&dir=asc"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        "/approvals?sort=name&dir=asc"
    );
    let foreign = rso
        .post_form(
            "/approvals/columns",
            &[
                ("column", "status"),
                ("column", "name"),
                ("back", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(
        foreign.headers()["location"],
        "/approvals",
        "only back to the list"
    );

    let again = app.login("rso").await;
    let page = again.page("/approvals").await;
    assert_eq!(
        texts(&page, "table.approvals thead th"),
        ["Номер", "Статус", "Наименование"],
        "«Номер» always, then the chosen ones in the manual's order"
    );
    assert_eq!(
        texts(&page, "table.approvals tbody tr:first-child td"),
        [
            number_of_first(&app).await,
            "Черновик".to_owned(),
            "Котельная".to_owned()
        ]
    );
    let other = app.login("rso-viewer").await;
    let page = other.page("/approvals").await;
    assert_eq!(
        texts(&page, "table.approvals thead th").len(),
        10,
        "a choice is per user"
    );
}

async fn number_of_first(app: &TestApp) -> String {
    sqlx::query_scalar!("SELECT number FROM approvals ORDER BY id LIMIT 1")
        .fetch_one(&app.db)
        .await
        .expect("number")
}

/// Reads a workbook with openpyxl: every row as strings, dates as `date:YYYY-MM-DD`.
pub fn read_xlsx(bytes: &[u8]) -> Vec<Vec<String>> {
    let path = std::env::temp_dir().join(format!("essk-export-{}.xlsx", uuid::Uuid::new_v4()));
    std::fs::write(&path, bytes).expect("write workbook");
    let script = r#"
import datetime, json, sys
import openpyxl
sheet = openpyxl.load_workbook(sys.argv[1]).active
rows = []
for row in sheet.iter_rows():
    cells = []
    for c in row:
        v = c.value
        if isinstance(v, datetime.datetime):
            cells.append("date:" + v.date().isoformat() + "/" + c.number_format)
        else:
            cells.append("" if v is None else str(v))
    rows.append(cells)
print(json.dumps([sheet.title] + rows, ensure_ascii=False))
"#;
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3 runs (pip install openpyxl; .ci/run does)");
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "openpyxl: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let mut all = value.as_array().expect("array").clone();
    let title = all.remove(0);
    assert_eq!(title, "Согласования");
    all.into_iter()
        .map(|row| {
            row.as_array()
                .expect("row")
                .iter()
                .map(|c| c.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn the_export_holds_every_filtered_row_with_the_visible_columns_and_real_dates() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let [a, _, c] = three_drafts(&app, &rso).await;
    set(&app, c, "planned_completion_date", "2027-04-01").await;
    let first = number_of(&app, a).await;
    copies(&app, a, "Т", 57).await;

    let response = rso.get("/approvals/export?sort=number&dir=asc").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"____________.xlsx\"; \
         filename*=UTF-8''%D0%A1%D0%BE%D0%B3%D0%BB%D0%B0%D1%81%D0%BE%D0%B2%D0%B0%D0%BD%D0%B8%D1%8F.xlsx"
    );
    let rows = read_xlsx(&response.bytes().await.expect("bytes"));
    assert_eq!(rows.len(), 61, "a header and all 60 rows, past one page");
    assert_eq!(rows[0][1], "Номер");
    assert_eq!(rows[0][9], "Автор изменений");
    assert_eq!(rows[1][1], first);
    assert_eq!(rows[1][2], "Черновик");
    assert_eq!(rows[1][3], "Котельная на Лиговском");
    assert_eq!(rows[1][4], "АО «СТК»");
    assert_eq!(rows[1][5], "date:2027-01-10/dd.mm.yyyy", "a real date");
    assert_eq!(rows[1][6], "", "not launched");
    assert_eq!(rows[1][9], "Смирнова Анна Викторовна");

    rso.post_form(
        "/approvals/columns",
        &[("column", "name"), ("column", "planned")],
    )
    .await;
    let filtered = rso.get("/approvals/export?q=%D0%9F%D0%BE%D0%BB%D0%B8%D0%BA%D0%BB%D0%B8%D0%BD%D0%B8%D0%BA%D0%B0").await;
    let rows = read_xlsx(&filtered.bytes().await.expect("bytes"));
    assert_eq!(
        rows,
        [
            vec![
                "Номер".to_owned(),
                "Наименование".to_owned(),
                "Плановая дата завершения согласования".to_owned()
            ],
            vec![
                number_of(&app, c).await,
                "Поликлиника".to_owned(),
                "date:2027-04-01/dd.mm.yyyy".to_owned()
            ],
        ]
    );

    let kga = app.login("kga").await;
    let rows = read_xlsx(
        &kga.get("/approvals/export")
            .await
            .bytes()
            .await
            .expect("bytes"),
    );
    assert_eq!(
        rows.len(),
        1,
        "only the header: drafts of others are not exported"
    );
}
