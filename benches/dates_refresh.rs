//! Time to refresh the dates of 100 000 running approvals: `make bench-dates`. Fills a fresh
//! database with launched approvals on the seeded route (launches spread over three weeks,
//! about half of step 1 decided), then times the background refresh: the first run, which
//! computes and writes every participant, the runs of the next day and a week later, and a
//! forced full recomputation.
//! `KEEP_BENCH_DB=1` leaves the database for a look at the query plans.

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use essk_approvals::{dates_refresh, db, seed};

const APPROVALS: i64 = 100_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The day's refresh logs how its time divides between dates and notices.
    tracing_subscriber::fmt()
        .with_env_filter("essk_approvals::dates_refresh=info")
        .with_target(false)
        .with_ansi(false)
        .init();
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let server = server
        .rsplit_once('/')
        .map_or(server.as_str(), |(s, _)| s)
        .to_owned();
    let name = format!("essk_bench_dates_{}", std::process::id());
    let pool = db::connect_and_migrate(&format!("{server}/{name}")).await?;
    seed::seed_demo_if_empty(&pool).await?;

    let started = Instant::now();
    fill(&pool).await?;
    println!(
        "{APPROVALS} запущенных согласований созданы за {:.1} с",
        started.elapsed().as_secs_f64()
    );

    let now = Utc
        .with_ymd_and_hms(2027, 3, 25, 9, 0, 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("instant"))?;
    let runs = [
        ("первый пересчёт (все с нуля)", now, false),
        ("следующий день", now + Duration::days(1), false),
        ("через неделю", now + Duration::days(8), false),
        ("полный пересчёт того же дня", now + Duration::days(8), true),
    ];
    for (label, at, full) in runs {
        if full {
            sqlx::query("UPDATE approvals SET dates_as_of = '-infinity'")
                .execute(&pool)
                .await?;
        }
        let before = notice_count(&pool).await?;
        let started = Instant::now();
        let refreshed = dates_refresh::refresh_stale(&pool, at, None).await?;
        let seconds = started.elapsed().as_secs_f64();
        let notices = notice_count(&pool).await? - before;
        println!(
            "  {label:<30} {refreshed:>6} согласований полностью, {notices:>6} уведомлений, \
             {seconds:.2} с"
        );
    }

    pool.close().await;
    if std::env::var_os("KEEP_BENCH_DB").is_some() {
        println!("База {name} оставлена для разбора.");
        return Ok(());
    }
    let admin = sqlx::PgPool::connect(&format!("{server}/postgres")).await?;
    sqlx::query(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .execute(&admin)
        .await?;
    Ok(())
}

async fn notice_count(pool: &sqlx::PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM notifications")
        .fetch_one(pool)
        .await
}

/// Launched approvals with their route copy, as launch leaves them, and some decisions.
async fn fill(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    let statements = [
        format!(
            r#"
            INSERT INTO approvals (number, route_id, route_name, is_public, initiator_org_id,
                created_by, name, subject, works_address, network_kind, status, current_step,
                created_at, launched_at, last_changed_by, last_changed_at)
            SELECT 'Б-' || g, r.id, r.name, r.is_public, u.organisation_id, u.id,
                   'Согласование ' || g, 'Предмет', 'Санкт-Петербург', 'Теплоснабжение',
                   'running', 1, t, t, u.id, t
            FROM generate_series(1, {APPROVALS}) g
            CROSS JOIN LATERAL (SELECT timestamptz '2027-03-25 10:00+03'
                                       - (g % 21) * interval '1 day' AS t) l
            CROSS JOIN (SELECT * FROM routes ORDER BY id LIMIT 1) r
            CROSS JOIN (SELECT * FROM users WHERE login = 'rso') u
            "#
        ),
        r#"
        INSERT INTO approval_steps (approval_id, position, started_at)
        SELECT a.id, rs.position, CASE WHEN rs.position = 1 THEN a.launched_at END
        FROM approvals a JOIN route_steps rs ON rs.route_id = a.route_id
        "#
        .to_owned(),
        r#"
        INSERT INTO approval_participants (approval_id, step_id, organisation_id, position,
            term_days, term_basis, is_mandatory, is_final, planned_start, planned_end)
        SELECT a.id, s.id, rp.organisation_id, rp.position, rp.term_days, rp.term_basis,
               rp.is_mandatory, rp.is_final,
               (a.launched_at AT TIME ZONE 'Europe/Moscow')::date + (rs.position - 1) * 8,
               (a.launched_at AT TIME ZONE 'Europe/Moscow')::date + rp.term_days
        FROM approvals a
        JOIN approval_steps s ON s.approval_id = a.id
        JOIN route_steps rs ON rs.route_id = a.route_id AND rs.position = s.position
        JOIN route_participants rp ON rp.step_id = rs.id
        "#
        .to_owned(),
        r#"
        INSERT INTO approval_actions (participant_id, position, description, term_days,
            is_mandatory)
        SELECT p.id, ra.position, ra.description, ra.term_days, ra.is_mandatory
        FROM approval_participants p
        JOIN approval_steps s ON s.id = p.step_id
        JOIN approvals a ON a.id = p.approval_id
        JOIN route_steps rs ON rs.route_id = a.route_id AND rs.position = s.position
        JOIN route_participants rp ON rp.step_id = rs.id AND rp.organisation_id = p.organisation_id
        JOIN route_actions ra ON ra.participant_id = rp.id
        "#
        .to_owned(),
        r#"
        UPDATE approval_participants p
        SET decision = 'approved', decided_by = a.created_by,
            decided_at = a.launched_at + (p.id % 9) * interval '1 day'
        FROM approvals a
        WHERE a.id = p.approval_id AND NOT p.is_final AND p.id % 2 = 0
          AND a.launched_at + (p.id % 9) * interval '1 day' < timestamptz '2027-03-25 10:00+03'
        "#
        .to_owned(),
        "ANALYZE".to_owned(),
    ];
    for statement in statements {
        sqlx::query(&statement).execute(pool).await?;
    }
    Ok(())
}
