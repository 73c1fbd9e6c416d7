//! Stored dates as days pass, the notices they send, and notice mail.

use std::process::{Child, Command, Stdio};

use chrono::{DateTime, Duration, TimeZone, Utc};
use essk_approvals::{dates_refresh, mail};

use crate::{
    case_file::tempdir,
    helpers::{STEP_ONE, TestApp, texts},
};

/// 10:00 Moscow time on the given day of March 2027.
fn march(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, day, 7, 0, 0)
        .single()
        .expect("instant")
}

/// Notices of a kind for the approval, by recipient login.
async fn notices(app: &TestApp, approval_id: i64, kind: &str) -> Vec<String> {
    sqlx::query_scalar!(
        r#"
        SELECT u.login FROM notifications n JOIN users u ON u.id = n.user_id
        WHERE n.approval_id = $1 AND n.kind = $2
        ORDER BY u.login
        "#,
        approval_id,
        kind
    )
    .fetch_all(&app.db)
    .await
    .expect("notices")
}

#[tokio::test]
async fn launch_tells_step_one_and_the_bell_counts_until_read() {
    let app = TestApp::spawn().await;
    let id = app.launched_approval().await;

    let mut expected: Vec<String> = STEP_ONE.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(notices(&app, id, "arrived").await, expected);
    assert!(
        notices(&app, id, "step_started").await.is_empty(),
        "ГАТИ waits"
    );

    let kga = app.login("kga").await;
    let list = kga.page("/approvals").await;
    assert_eq!(texts(&list, "a.bell .badge"), ["1"]);
    let page = kga.page("/notifications").await;
    let rows = texts(&page, "table.notifications tbody tr.unread td:nth-child(2)");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains("поступило на рассмотрение"), "{rows:?}");
    assert!(rows[0].contains("20.03.2027"), "{rows:?}");

    let other = app.login("kb").await;
    let foreign = sqlx::query_scalar!(
        "SELECT n.id FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.login = 'kga'"
    )
    .fetch_one(&app.db)
    .await
    .expect("kga's notice");
    other
        .post_form(&format!("/notifications/{foreign}/read"), &[])
        .await;
    assert_eq!(
        texts(&kga.page("/approvals").await, "a.bell .badge"),
        ["1"],
        "not kb's to read"
    );

    kga.post_form(&format!("/notifications/{foreign}/read"), &[])
        .await;
    assert!(texts(&kga.page("/approvals").await, "a.bell .badge").is_empty());
}

#[tokio::test]
async fn the_bell_counts_unread_notices_up_to_99_and_then_shows_99_plus() {
    let app = TestApp::spawn().await;
    let id = app.launched_approval().await;
    let kga = app.login("kga").await;
    let add_unread = |from: i32, to: i32| {
        sqlx::query!(
            r#"
            INSERT INTO notifications (user_id, approval_id, kind, message, dedupe_key, created_at)
            SELECT u.id, $1, 'arrived', 'Уведомление ' || n, 'bell:' || n, now()
            FROM users u, generate_series($2::int, $3::int) AS n WHERE u.login = 'kga'
            "#,
            id,
            from,
            to
        )
        .execute(&app.db)
    };
    // One arrived at launch; 98 more make 99.
    add_unread(2, 99).await.expect("notices");
    assert_eq!(
        texts(&kga.page("/approvals").await, "a.bell .badge"),
        ["99"]
    );
    add_unread(100, 100).await.expect("notices");
    assert_eq!(
        texts(&kga.page("/approvals").await, "a.bell .badge"),
        ["99+"]
    );
    add_unread(101, 250).await.expect("notices");
    assert_eq!(
        texts(&kga.page("/approvals").await, "a.bell .badge"),
        ["99+"]
    );
}

#[tokio::test]
async fn step_two_decisions_and_completion_tell_the_right_people() {
    let app = TestApp::spawn().await;
    let id = app.approval_waiting_for_gati().await;

    assert_eq!(notices(&app, id, "step_started").await, ["gati"]);
    let decided = notices(&app, id, "decided").await;
    // Each of the seven step-1 decisions reached the initiator's three users.
    assert_eq!(decided.len(), 7 * 3);
    assert!(
        decided
            .iter()
            .all(|login| ["rso", "rso-head", "rso-viewer"].contains(&login.as_str()))
    );

    let gati = app.login("gati").await;
    gati.complete_mandatory_actions(&app, id).await;
    let participant = app.participant_of(id, "gati").await;
    gati.decide(id, participant, "approve", "Ордер оформлен")
        .await;

    let mut involved: Vec<String> = ["rso", "rso-head", "rso-viewer", "gati"]
        .iter()
        .chain(STEP_ONE.iter())
        .map(|s| (*s).to_owned())
        .collect();
    involved.sort();
    assert_eq!(notices(&app, id, "completed").await, involved);
    assert!(
        !notices(&app, id, "completed")
            .await
            .contains(&"rso2".to_owned())
    );
}

#[tokio::test]
async fn days_passing_mark_overdue_once_even_with_two_refreshes_at_once() {
    let app = TestApp::spawn().await;
    let id = app.launched_approval().await;
    let kga = app.participant_of(id, "kga").await;

    app.clock.set(march(19));
    let refreshed = dates_refresh::refresh_stale(&app.db, app.clock.now(), None).await;
    assert_eq!(refreshed.expect("refresh"), 1);
    assert_eq!(notices(&app, id, "deadline_tomorrow").await.len(), 7);
    assert!(notices(&app, id, "overdue").await.is_empty());

    // The server was off from 19.03 to 22.03: the next run catches up.
    app.clock.set(march(22));
    let (a, b) = tokio::join!(
        dates_refresh::refresh_stale(&app.db, app.clock.now(), None),
        dates_refresh::refresh_stale(&app.db, app.clock.now(), None)
    );
    assert_eq!(
        a.expect("refresh") + b.expect("refresh"),
        1,
        "one of them took it"
    );
    let again = dates_refresh::refresh_stale(&app.db, app.clock.now(), None).await;
    assert_eq!(again.expect("refresh"), 0, "nothing is stale any more");
    assert_eq!(
        notices(&app, id, "overdue").await.len(),
        7,
        "once per participant"
    );
    assert_eq!(notices(&app, id, "deadline_tomorrow").await.len(), 7);

    let row = sqlx::query!(
        "SELECT is_overdue, deadline, expected_end FROM approval_participants WHERE id = $1",
        kga
    )
    .fetch_one(&app.db)
    .await
    .expect("participant");
    assert!(row.is_overdue);
    assert_eq!(
        row.deadline.map(|d| d.to_string()).as_deref(),
        Some("2027-03-20")
    );
    let gati = app.participant_of(id, "gati").await;
    let expected = sqlx::query_scalar!(
        r#"
        SELECT GREATEST(expected_end, date '2027-03-22' + expected_end_lag)
        FROM approval_participants WHERE id = $1
        "#,
        gati
    )
    .fetch_one(&app.db)
    .await
    .expect("ГАТИ");
    assert_eq!(
        expected.map(|d| d.to_string()).as_deref(),
        Some("2027-03-26"),
        "ГАТИ's stored rule gives 22.03 + 4 on 22.03"
    );

    let card = app
        .login("rso")
        .await
        .page(&format!("/approvals/{id}"))
        .await;
    let marks = texts(&card, "table.decisions span.mark.overdue");
    assert_eq!(marks.len(), 7);
    let gati_row = texts(
        &card,
        &format!("tr[data-participant='{gati}'] td:nth-child(8)"),
    );
    assert_eq!(
        gati_row,
        ["26.03.2027"],
        "the table shows the stored expected end"
    );
}

/// The stored dates of every participant and action of the approval.
async fn stored_dates(app: &TestApp, id: i64) -> Vec<String> {
    sqlx::query_scalar!(
        r#"
        SELECT concat_ws(' ', p.id, p.expected_start, p.expected_start_lag, p.expected_end,
                         p.expected_end_lag, p.deadline, p.is_overdue,
                         string_agg(concat_ws('/', t.planned_end, t.expected_end,
                                              t.expected_end_lag, t.deadline),
                                    ',' ORDER BY t.id)) AS "line!"
        FROM approval_participants p LEFT JOIN approval_actions t ON t.participant_id = p.id
        WHERE p.approval_id = $1
        GROUP BY p.id ORDER BY p.id
        "#,
        id
    )
    .fetch_all(&app.db)
    .await
    .expect("dates")
}

#[tokio::test]
async fn the_quick_daily_path_stores_what_a_full_recomputation_would() {
    let app = TestApp::spawn().await;
    let quiet = app.launched_approval().await;
    let late = app.launched_approval().await;
    for login in STEP_ONE {
        let user = app.login(login).await;
        user.complete_mandatory_actions(&app, quiet).await;
        let participant = app.participant_of(quiet, login).await;
        user.decide(quiet, participant, "approve", "Замечаний нет")
            .await;
    }
    let kga = app.login("kga").await;
    let participant = app.participant_of(late, "kga").await;
    kga.decide(late, participant, "approve", "Замечаний нет")
        .await;

    for day in [14, 19, 20, 21, 23, 27, 31] {
        app.clock.set(march(day));
        dates_refresh::refresh_stale(&app.db, app.clock.now(), None)
            .await
            .expect("refresh");
        let quick = (
            stored_dates(&app, quiet).await,
            stored_dates(&app, late).await,
        );
        sqlx::query!("UPDATE approvals SET dates_as_of = '-infinity'")
            .execute(&app.db)
            .await
            .expect("reset");
        dates_refresh::refresh_stale(&app.db, app.clock.now(), None)
            .await
            .expect("refresh");
        let full = (
            stored_dates(&app, quiet).await,
            stored_dates(&app, late).await,
        );
        assert_eq!(quick, full, "{day}.03");
    }
}

/// An aiosmtpd server writing what it receives into a maildir, stopped when dropped.
struct SmtpServer {
    child: Child,
    maildir: std::path::PathBuf,
}

impl SmtpServer {
    async fn start(port: u16) -> SmtpServer {
        let maildir = tempdir().join("maildir");
        let mut child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return SmtpServer { child, maildir };
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start (pip install aiosmtpd; .ci/run does)");
    }

    /// Every message received, as raw text.
    fn messages(&self) -> Vec<String> {
        let mut found = Vec::new();
        for folder in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.join(folder)) else {
                continue;
            };
            for entry in entries.flatten() {
                found.push(std::fs::read_to_string(entry.path()).expect("message"));
            }
        }
        found
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn notice_mail_waits_while_the_server_is_down_and_goes_once_it_is_back() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let url = smtp_url.clone();
    let app = TestApp::spawn_with(move |config| config.smtp_url = Some(url)).await;
    sqlx::query!("UPDATE users SET email = CASE WHEN login = 'kga' THEN 'kga@example.ru' END")
        .execute(&app.db)
        .await
        .expect("e-mail");
    let id = app.launched_approval().await;
    let mailer = mail::Mailer::new(&smtp_url, "ЕССК <noreply@essk.test>").expect("mailer");

    let sent = mail::deliver_due(&app.db, &mailer, app.clock.now()).await;
    assert_eq!(sent.expect("delivery runs"), 0, "nobody listens yet");
    let waiting = sqlx::query!("SELECT attempts, sent_at, recipient FROM mail_outbox")
        .fetch_all(&app.db)
        .await
        .expect("outbox");
    assert_eq!(
        waiting.len(),
        1,
        "one mail, for the one user with an e-mail"
    );
    assert_eq!(waiting[0].attempts, 1);
    assert!(waiting[0].sent_at.is_none());
    assert_eq!(waiting[0].recipient, "kga@example.ru");

    let server = SmtpServer::start(port).await;
    let too_soon = mail::deliver_due(&app.db, &mailer, app.clock.now()).await;
    assert_eq!(
        too_soon.expect("delivery runs"),
        0,
        "it waits for its backoff"
    );
    let later = app.clock.now() + Duration::minutes(5);
    assert_eq!(
        mail::deliver_due(&app.db, &mailer, later)
            .await
            .expect("sent"),
        1
    );
    assert_eq!(
        mail::deliver_due(&app.db, &mailer, later)
            .await
            .expect("ran"),
        0
    );

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert!(message.contains("To: kga@example.ru"), "{message}");
    assert!(
        message.contains("Subject: =?utf-8?"),
        "an encoded Russian subject: {message}"
    );
    let body = decode_body(message);
    assert!(body.contains("поступило на рассмотрение"), "{body}");
    assert!(
        body.contains(&format!("http://essk.test/approvals/{id}")),
        "{body}"
    );
}

/// The text body of a received message, decoded from quoted-printable or Base64.
fn decode_body(message: &str) -> String {
    let script = r#"
import email, sys
message = email.message_from_string(sys.stdin.read())
print(message.get_payload(decode=True).decode("utf-8"))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), message.as_bytes())
        .expect("written");
    let output = child.wait_with_output().expect("decoded");
    String::from_utf8_lossy(&output.stdout).into_owned()
}
