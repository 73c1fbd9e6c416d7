//! Approval routes and their copy into a new approval.

use sqlx::{PgConnection, PgPool};

/// A route offered in the «Создать» form.
#[derive(Debug)]
pub struct RouteChoice {
    pub id: i64,
    pub name: String,
}

/// Routes that new approvals may use.
pub async fn active(pool: &PgPool) -> sqlx::Result<Vec<RouteChoice>> {
    sqlx::query_as!(
        RouteChoice,
        "SELECT id, name FROM routes WHERE retired_at IS NULL ORDER BY name, id"
    )
    .fetch_all(pool)
    .await
}

/// Name and public flag of an active route.
pub async fn find_active(
    conn: &mut PgConnection,
    route_id: i64,
) -> sqlx::Result<Option<(String, bool)>> {
    let row = sqlx::query!(
        "SELECT name, is_public FROM routes WHERE id = $1 AND retired_at IS NULL",
        route_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.name, r.is_public)))
}

/// Copies the route's steps, participants, actions and folders into the approval, so that
/// later edits of the route never reach it.
pub async fn copy_into_approval(
    conn: &mut PgConnection,
    route_id: i64,
    approval_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO approval_steps (approval_id, position)
        SELECT $2, position FROM route_steps WHERE route_id = $1
        "#,
        route_id,
        approval_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"
        INSERT INTO approval_participants
            (approval_id, step_id, organisation_id, route_participant_id, position,
             term_days, term_basis, is_mandatory, is_final)
        SELECT $2, s.id, p.organisation_id, p.id, p.position,
               p.term_days, p.term_basis, p.is_mandatory, p.is_final
        FROM route_participants p
        JOIN route_steps rs ON rs.id = p.step_id
        JOIN approval_steps s ON s.approval_id = $2 AND s.position = rs.position
        WHERE rs.route_id = $1
        "#,
        route_id,
        approval_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"
        INSERT INTO approval_actions (participant_id, position, description, term_days, is_mandatory)
        SELECT ap.id, a.position, a.description, a.term_days, a.is_mandatory
        FROM route_actions a
        JOIN approval_participants ap
            ON ap.approval_id = $1 AND ap.route_participant_id = a.participant_id
        "#,
        approval_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"
        INSERT INTO approval_folders (approval_id, position, name, is_required)
        SELECT $2, position, name, is_required FROM route_folders WHERE route_id = $1
        "#,
        route_id,
        approval_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
