//! The heads' reports (product spec §8) over the approvals of one organisation: those it
//! initiated and those it takes part in.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Approvals created in the period, by status.
pub async fn by_status(
    pool: &PgPool,
    organisation_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Vec<(String, i64)>> {
    let rows = sqlx::query!(
        r#"
        SELECT a.status, count(*) AS "count!"
        FROM approvals a
        WHERE a.created_at >= $2 AND a.created_at < $3
          AND (a.initiator_org_id = $1 OR (a.status <> 'draft' AND EXISTS (
                SELECT 1 FROM approval_participants p
                WHERE p.approval_id = a.id AND p.organisation_id = $1)))
        GROUP BY a.status
        "#,
        organisation_id,
        from,
        to
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.status, r.count)).collect())
}

/// Running approvals of the organisation with a participant past its deadline now.
pub async fn overdue_now(pool: &PgPool, organisation_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"
        SELECT count(*) AS "count!" FROM approvals a
        WHERE a.status = 'running'
          AND (a.initiator_org_id = $1 OR EXISTS (
                SELECT 1 FROM approval_participants p
                WHERE p.approval_id = a.id AND p.organisation_id = $1))
          AND EXISTS (SELECT 1 FROM approval_participants p
                      WHERE p.approval_id = a.id AND p.decision IS NULL AND p.is_overdue)
        "#,
        organisation_id
    )
    .fetch_one(pool)
    .await
}

/// Decision times of one participant organisation.
#[derive(Debug)]
pub struct DecisionTimes {
    pub organisation: String,
    pub decisions: i64,
    /// Days from the start of the step to the decision.
    pub average_days: f64,
    pub p90_days: f64,
    /// Decided by the deadline, of those with a deadline.
    pub on_time_share: f64,
}

/// Per participant organisation, the decisions made in the period on the organisation's
/// approvals.
pub async fn decision_times(
    pool: &PgPool,
    organisation_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Vec<DecisionTimes>> {
    let rows = sqlx::query!(
        r#"
        SELECT o.short_name,
               count(*) AS "decisions!",
               avg(d.days) AS "average!",
               percentile_cont(0.9) WITHIN GROUP (ORDER BY d.days) AS "p90!",
               coalesce(avg(CASE WHEN d.on_time THEN 1.0 ELSE 0.0 END), 0)::float8 AS "on_time!"
        FROM approval_participants p
        JOIN approvals a ON a.id = p.approval_id
        JOIN approval_steps s ON s.id = p.step_id
        JOIN organisations o ON o.id = p.organisation_id
        CROSS JOIN LATERAL (SELECT
            extract(epoch FROM p.decided_at - coalesce(s.started_at, a.launched_at))::float8
                / 86400 AS days,
            p.deadline IS NULL
                OR (p.decided_at AT TIME ZONE 'Europe/Moscow')::date <= p.deadline AS on_time) d
        WHERE p.decided_at >= $2 AND p.decided_at < $3
          AND (a.initiator_org_id = $1 OR EXISTS (
                SELECT 1 FROM approval_participants mine
                WHERE mine.approval_id = a.id AND mine.organisation_id = $1))
        GROUP BY o.short_name
        ORDER BY o.short_name
        "#,
        organisation_id,
        from,
        to
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DecisionTimes {
            organisation: r.short_name,
            decisions: r.decisions,
            average_days: r.average,
            p90_days: r.p90,
            on_time_share: r.on_time,
        })
        .collect())
}
