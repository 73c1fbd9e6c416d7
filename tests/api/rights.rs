//! Who may see and do what (spec §1): 404 for what one may not see, 403 for what one's rights
//! do not allow, 409 for what the state does not allow — and nothing changes on any of them.

use reqwest::StatusCode;

use crate::helpers::{TestApp, User, texts};

/// Everything about an approval that a refused request must leave untouched.
async fn snapshot(app: &TestApp, id: i64) -> String {
    let row = sqlx::query!(
        r#"
        SELECT a.status, a.name, a.last_changed_at::text AS "changed!",
               (SELECT count(*) FROM documents d WHERE d.approval_id = a.id) AS "documents!",
               (SELECT count(*) FROM approval_participants p
                WHERE p.approval_id = a.id AND p.decision IS NOT NULL) AS "decisions!",
               (SELECT count(*) FROM approval_actions x JOIN approval_participants p
                    ON p.id = x.participant_id
                WHERE p.approval_id = a.id AND x.done_at IS NOT NULL) AS "actions!",
               (SELECT count(*) FROM audit_events e WHERE e.approval_id = a.id) AS "audit!"
        FROM approvals a WHERE a.id = $1
        "#,
        id
    )
    .fetch_optional(&app.db)
    .await
    .expect("snapshot");
    format!("{row:?}")
}

/// Tries every state-changing request on the approval; returns the statuses.
async fn try_everything(app: &TestApp, user: &User, id: i64) -> Vec<(String, StatusCode)> {
    let folder = app.folders(id).await[0].0;
    let participant = app.participant_of(id, "kga").await;
    let document = sqlx::query_scalar!(
        "SELECT id FROM documents WHERE approval_id = $1 LIMIT 1",
        id
    )
    .fetch_one(&app.db)
    .await
    .expect("a document");
    let action = sqlx::query_scalar!(
        r#"SELECT a.id FROM approval_actions a JOIN approval_participants p ON p.id = a.participant_id
           WHERE p.approval_id = $1 LIMIT 1"#,
        id
    )
    .fetch_one(&app.db)
    .await
    .expect("an action");
    let edit = [
        ("name", "Чужое"),
        ("subject", "Чужое"),
        ("works_address", "Чужой адрес"),
        ("network_kind", "Водоснабжение"),
    ];
    let mut results = Vec::new();
    let mut note = |what: &str, status: StatusCode| results.push((what.to_owned(), status));
    note("card", user.get(&format!("/approvals/{id}")).await.status());
    note(
        "download",
        user.get(&format!("/approvals/{id}/documents/{document}"))
            .await
            .status(),
    );
    note(
        "edit form",
        user.get(&format!("/approvals/{id}/edit")).await.status(),
    );
    note(
        "edit",
        user.post_form(&format!("/approvals/{id}/edit"), &edit)
            .await
            .status(),
    );
    note(
        "upload",
        user.upload(id, folder, "x.pdf", b"%PDF-1.4").await.status(),
    );
    note(
        "remove document",
        user.post_form(&format!("/approvals/{id}/documents/{document}/delete"), &[])
            .await
            .status(),
    );
    note(
        "launch",
        user.post_form(&format!("/approvals/{id}/launch"), &[])
            .await
            .status(),
    );
    note(
        "decide",
        user.decide(id, participant, "approve", "чужое решение")
            .await
            .status(),
    );
    let form = reqwest::multipart::Form::new().text("comment", "чужое");
    note(
        "action",
        user.post_multipart(&format!("/approvals/{id}/actions/{action}/complete"), form)
            .await
            .status(),
    );
    note(
        "delete",
        user.post_form(&format!("/approvals/{id}/delete"), &[])
            .await
            .status(),
    );
    results
}

#[tokio::test]
async fn a_user_of_another_organisation_gets_404_for_everything_on_a_foreign_draft() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    let before = snapshot(&app, id).await;

    for login in ["rso2", "owner1", "kga", "gati", "public-viewer"] {
        let stranger = app.login(login).await;
        for (what, status) in try_everything(&app, &stranger, id).await {
            assert_eq!(status, StatusCode::NOT_FOUND, "{login}: {what}");
        }
    }
    assert_eq!(snapshot(&app, id).await, before);
}

#[tokio::test]
async fn a_user_of_an_uninvolved_organisation_gets_404_on_a_launched_approval() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    let before = snapshot(&app, id).await;

    let stranger = app.login("rso2").await;
    for (what, status) in try_everything(&app, &stranger, id).await {
        assert_eq!(status, StatusCode::NOT_FOUND, "{what}");
    }
    let list = stranger.page("/approvals").await;
    assert!(texts(&list, "table.approvals tbody td a").is_empty());
    assert_eq!(snapshot(&app, id).await, before);
}

#[tokio::test]
async fn a_view_only_colleague_sees_the_draft_but_may_change_nothing() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    let before = snapshot(&app, id).await;

    let viewer = app.login("rso-viewer").await;
    let results = try_everything(&app, &viewer, id).await;

    for (what, status) in results {
        let expected = match what.as_str() {
            "card" | "download" => StatusCode::OK,
            "decide" | "action" => StatusCode::FORBIDDEN,
            _ => StatusCode::FORBIDDEN,
        };
        assert_eq!(status, expected, "{what}");
    }
    assert_eq!(snapshot(&app, id).await, before);
}

#[tokio::test]
async fn a_participant_may_decide_only_for_its_own_organisation() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    let before = snapshot(&app, id).await;

    let owner1 = app.login("owner1").await;
    let results = try_everything(&app, &owner1, id).await;

    for (what, status) in results {
        let expected = match what.as_str() {
            "card" | "download" => StatusCode::OK,
            "edit form" | "edit" | "upload" | "remove document" | "launch" | "delete"
            | "decide" | "action" => StatusCode::FORBIDDEN,
            _ => unreachable!("{what}"),
        };
        assert_eq!(status, expected, "{what}");
    }
    assert_eq!(snapshot(&app, id).await, before);
}

#[tokio::test]
async fn the_initiator_may_not_change_a_launched_approval() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    let before = snapshot(&app, id).await;

    for (what, status) in try_everything(&app, &rso, id).await {
        let expected = match what.as_str() {
            "card" | "download" => StatusCode::OK,
            "decide" | "action" => StatusCode::FORBIDDEN,
            _ => StatusCode::CONFLICT,
        };
        assert_eq!(status, expected, "{what}");
    }
    assert_eq!(snapshot(&app, id).await, before);
}

#[tokio::test]
async fn a_public_viewer_sees_a_launched_public_approval_without_downloads() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;
    let before = snapshot(&app, id).await;

    let viewer = app.login("public-viewer").await;
    let case = viewer.page(&format!("/approvals/{id}?tab=case")).await;
    assert!(
        !texts(&case, "table.case-file tbody td").is_empty(),
        "documents listed"
    );
    assert!(
        texts(&case, "table.case-file tbody td.doc-name a").is_empty(),
        "no download links"
    );
    for (what, status) in try_everything(&app, &viewer, id).await {
        let expected = match what.as_str() {
            "card" => StatusCode::OK,
            _ => StatusCode::FORBIDDEN,
        };
        assert_eq!(status, expected, "{what}");
    }
    assert_eq!(snapshot(&app, id).await, before);
}

#[tokio::test]
async fn the_head_sees_own_drafts_and_the_administrator_sees_everything() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;

    let head = app.login("rso-head").await;
    assert_eq!(
        head.get(&format!("/approvals/{id}")).await.status(),
        StatusCode::OK
    );
    let admin = app.login("admin").await;
    assert_eq!(
        admin.get(&format!("/approvals/{id}")).await.status(),
        StatusCode::OK
    );
    let list = admin.page("/approvals").await;
    assert_eq!(texts(&list, "table.approvals tbody td a").len(), 1);
}

#[tokio::test]
async fn an_approval_that_does_not_exist_answers_404() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    assert_eq!(
        admin.get("/approvals/999999").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin.get("/approvals/not-a-number").await.status(),
        StatusCode::NOT_FOUND
    );
}
