//! Approval routes and their copy into a new approval.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::{
    dates::TermBasis,
    route_rules::{ActionDraft, FolderDraft, ParticipantDraft, RouteDraft, StepDraft},
};

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

/// A route version as the administrator's list shows it.
#[derive(Debug)]
pub struct RouteVersion {
    pub id: i64,
    pub family_id: i64,
    pub version: i32,
    pub name: String,
    pub is_public: bool,
    pub retired_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Approvals created on this version.
    pub approvals: i64,
}

/// Every version of every route, the newest of each route first.
pub async fn versions(pool: &PgPool) -> sqlx::Result<Vec<RouteVersion>> {
    sqlx::query_as!(
        RouteVersion,
        r#"
        SELECT r.id, r.family_id, r.version, r.name, r.is_public, r.retired_at, r.created_at,
               (SELECT count(*) FROM approvals a WHERE a.route_id = r.id) AS "approvals!"
        FROM routes r
        ORDER BY r.family_id, r.version DESC
        "#
    )
    .fetch_all(pool)
    .await
}

/// The route version with its steps, participants, actions and folders, as the editor
/// holds it, and whether it is retired.
pub async fn load_draft(pool: &PgPool, route_id: i64) -> sqlx::Result<Option<(RouteDraft, bool)>> {
    let Some(route) = sqlx::query!(
        "SELECT name, is_public, retired_at IS NOT NULL AS \"retired!\" FROM routes WHERE id = $1",
        route_id
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let seats = sqlx::query!(
        r#"
        SELECT p.id, s.position AS step, p.organisation_id, p.term_days, p.term_basis,
               p.is_mandatory, p.is_final
        FROM route_participants p JOIN route_steps s ON s.id = p.step_id
        WHERE s.route_id = $1
        ORDER BY s.position, p.position, p.id
        "#,
        route_id
    )
    .fetch_all(pool)
    .await?;
    let steps_count = sqlx::query_scalar!(
        r#"SELECT coalesce(max(position), 0) AS "n!" FROM route_steps WHERE route_id = $1"#,
        route_id
    )
    .fetch_one(pool)
    .await?;
    let actions = sqlx::query!(
        r#"
        SELECT a.participant_id, a.description, a.term_days, a.is_mandatory
        FROM route_actions a
        JOIN route_participants p ON p.id = a.participant_id
        JOIN route_steps s ON s.id = p.step_id
        WHERE s.route_id = $1
        ORDER BY a.participant_id, a.position, a.id
        "#,
        route_id
    )
    .fetch_all(pool)
    .await?;
    let folders = sqlx::query!(
        "SELECT name, is_required FROM route_folders WHERE route_id = $1 ORDER BY position, id",
        route_id
    )
    .fetch_all(pool)
    .await?;

    let mut steps = vec![StepDraft::default(); usize::try_from(steps_count).unwrap_or_default()];
    for seat in seats {
        let Some(step) = usize::try_from(seat.step - 1)
            .ok()
            .and_then(|i| steps.get_mut(i))
        else {
            continue;
        };
        step.participants.push(ParticipantDraft {
            organisation_id: Some(seat.organisation_id),
            term_days: Some(seat.term_days),
            basis: TermBasis::from_db(&seat.term_basis).unwrap_or(TermBasis::Launch),
            is_mandatory: seat.is_mandatory,
            is_final: seat.is_final,
            actions: actions
                .iter()
                .filter(|a| a.participant_id == seat.id)
                .map(|a| ActionDraft {
                    description: a.description.clone(),
                    term_days: Some(a.term_days),
                    is_mandatory: a.is_mandatory,
                })
                .collect(),
        });
    }
    let draft = RouteDraft {
        name: route.name,
        is_public: route.is_public,
        steps,
        folders: folders
            .into_iter()
            .map(|f| FolderDraft {
                name: f.name,
                is_required: f.is_required,
            })
            .collect(),
    };
    Ok(Some((draft, route.retired)))
}

/// Why a version could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The version being edited was replaced or retired meanwhile.
    #[error("the route version is no longer current")]
    NotCurrent,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Saves a route that keeps the rules as a new version: of the route `replaces` belongs
/// to, retiring that version, or as a new route. Approvals keep the copies they made.
pub async fn save_version(
    conn: &mut PgConnection,
    route: &RouteDraft,
    replaces: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, SaveError> {
    let route_id = match replaces {
        Some(old) => {
            let family = sqlx::query_scalar!(
                "SELECT family_id FROM routes WHERE id = $1 AND retired_at IS NULL FOR UPDATE",
                old
            )
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(SaveError::NotCurrent)?;
            sqlx::query!("UPDATE routes SET retired_at = $2 WHERE id = $1", old, now)
                .execute(&mut *conn)
                .await?;
            sqlx::query_scalar!(
                r#"
                INSERT INTO routes (name, is_public, family_id, version, created_at)
                SELECT $1, $2, $3, max(version) + 1, $4 FROM routes WHERE family_id = $3
                RETURNING id
                "#,
                route.name.trim(),
                route.is_public,
                family,
                now
            )
            .fetch_one(&mut *conn)
            .await?
        }
        None => {
            sqlx::query_scalar!(
                r#"
                WITH new AS (SELECT nextval(pg_get_serial_sequence('routes', 'id')) AS id)
                INSERT INTO routes (id, name, is_public, family_id, created_at)
                SELECT id, $1, $2, id, $3 FROM new
                RETURNING id AS "id!"
                "#,
                route.name.trim(),
                route.is_public,
                now
            )
            .fetch_one(&mut *conn)
            .await?
        }
    };
    for (step_position, step) in (1..).zip(&route.steps) {
        let step_id = sqlx::query_scalar!(
            "INSERT INTO route_steps (route_id, position) VALUES ($1, $2) RETURNING id",
            route_id,
            step_position
        )
        .fetch_one(&mut *conn)
        .await?;
        for (position, seat) in (1..).zip(&step.participants) {
            let participant_id = sqlx::query_scalar!(
                r#"
                INSERT INTO route_participants (step_id, organisation_id, position, term_days,
                    term_basis, is_mandatory, is_final)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                RETURNING id
                "#,
                step_id,
                seat.organisation_id.unwrap_or_default(),
                position,
                seat.term_days.unwrap_or(1),
                seat.basis.as_db(),
                seat.is_mandatory,
                seat.is_final
            )
            .fetch_one(&mut *conn)
            .await?;
            for (action_position, action) in (1..).zip(&seat.actions) {
                sqlx::query!(
                    r#"
                    INSERT INTO route_actions (participant_id, position, description,
                        term_days, is_mandatory)
                    VALUES ($1, $2, $3, $4, $5)
                    "#,
                    participant_id,
                    action_position,
                    action.description.trim(),
                    action.term_days.unwrap_or(1),
                    action.is_mandatory
                )
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    for (position, folder) in (1..).zip(&route.folders) {
        sqlx::query!(
            "INSERT INTO route_folders (route_id, position, name, is_required) \
             VALUES ($1, $2, $3, $4)",
            route_id,
            position,
            folder.name.trim(),
            folder.is_required
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(route_id)
}

/// Takes a route version out of the «Создать» choice; approvals on it go on unchanged.
/// Returns whether it was current.
pub async fn retire(pool: &PgPool, route_id: i64, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        "UPDATE routes SET retired_at = $2 WHERE id = $1 AND retired_at IS NULL",
        route_id,
        now
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}
