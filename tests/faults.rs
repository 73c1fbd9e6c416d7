//! Faults of the real server process: killed with SIGKILL in the middle of an upload, a
//! decision and an archive download; its database restarted while requests flow.

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use bytes::Bytes;
use essk_approvals::{clock::Clock, db, seed, storage::Storage};
use helpers::{TestApp, User, database_url_for, sample, stored_files};
use reqwest::{StatusCode, multipart};
use sqlx::PgPool;

/// The `essk` binary serving on its own port.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(database_url: &str, storage: &Path, port: u16, log: &Path) -> Server {
        let log = std::fs::File::create(log).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_essk"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("STORAGE_DIR", storage)
            .env("ANONYMOUS_POSTS_PER_MINUTE", "10000")
            .env("RUST_LOG", "info,sqlx=warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("essk starts");
        Server { child, port }
    }

    async fn ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = format!("http://127.0.0.1:{}/login", self.port);
        while Instant::now() < deadline {
            if let Ok(response) = reqwest::get(&url).await
                && response.status() == StatusCode::OK
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not come up on port {}", self.port);
    }

    /// SIGKILL: no shutdown, no cleanup.
    fn kill(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reaped");
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().expect("status").is_none()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("address")
        .port()
}

/// A slow body of `chunks` MiB; `sent` counts the chunks handed over.
fn slow_part(
    chunks: usize,
    sent: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    name: &str,
) -> multipart::Part {
    let stream = futures_util::stream::unfold(0, move |n| {
        let sent = sent.clone();
        async move {
            if n == chunks {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Some((
                Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 1 << 20])),
                n + 1,
            ))
        }
    });
    multipart::Part::stream(reqwest::Body::wrap_stream(stream)).file_name(name.to_owned())
}

/// Sends `form` to `path` and kills the server once a few MiB have gone.
async fn kill_midway(server: &mut Server, user: &User, path: &str, form: multipart::Form) {
    let request = user
        .client
        .post(format!("{}{path}", user.base))
        .multipart(form);
    let sending = tokio::spawn(async move { request.send().await });
    tokio::time::sleep(Duration::from_millis(600)).await;
    server.kill();
    let outcome = sending.await.expect("task");
    assert!(
        outcome.is_err(),
        "a request cut off by the kill is not acknowledged: {:?}",
        outcome.map(|r| r.status())
    );
}

/// Everything a user did that the database keeps.
async fn business_data(db: &PgPool) -> String {
    sqlx::query_scalar::<_, String>(
        "SELECT concat_ws('|',
             (SELECT string_agg(id || status || coalesce(launched_at::text, ''), ',' ORDER BY id)
              FROM approvals),
             (SELECT string_agg(id || coalesce(decision, '-'), ',' ORDER BY id)
              FROM approval_participants),
             (SELECT string_agg(id || sha256, ',' ORDER BY id) FROM documents),
             (SELECT count(*) FROM signatures),
             (SELECT count(*) FROM audit_events))",
    )
    .fetch_one(db)
    .await
    .expect("business data")
}

#[tokio::test]
async fn a_server_killed_midway_loses_nothing_acknowledged_and_leaves_nothing_half_written() {
    let name = format!("essk_test_faults_{}", uuid::Uuid::new_v4().simple());
    let url = database_url_for(&name);
    let pool = db::connect_and_migrate(&url).await.expect("database");
    seed::seed_demo_if_empty(&pool).await.expect("demo data");
    let storage = std::env::temp_dir().join(&name);
    let port = free_port();
    let log = std::env::temp_dir().join(format!("{name}.log"));
    let mut server = Server::start(&url, &storage, port, &log);
    server.ready().await;
    let app = TestApp {
        base: format!("http://127.0.0.1:{port}"),
        db: pool.clone(),
        clock: Clock::system(),
        storage_dir: storage.clone(),
    };

    // Acknowledged work: a launched approval with its signed documents, one decision.
    let launched = app.launched_approval().await;
    let kga = app.login("kga").await;
    let seat = app.participant_of(launched, "kga").await;
    assert_eq!(
        kga.decide(launched, seat, "approve", "Согласовано")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let rso = app.login("rso").await;
    let draft = rso.create_draft(app.route_id().await, "Черновик").await;
    let folder = app.folders(draft).await[0].0;
    let acknowledged = business_data(&pool).await;

    // 1. An upload of 40 MiB, cut off after a few.
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let form = multipart::Form::new().part("files", slow_part(40, sent.clone(), "Большой.pdf"));
    kill_midway(
        &mut server,
        &rso,
        &format!("/approvals/{draft}/folders/{folder}/documents"),
        form,
    )
    .await;
    assert!(
        sent.load(std::sync::atomic::Ordering::SeqCst) > 2,
        "some bytes went"
    );
    server = Server::start(&url, &storage, port, &log);
    server.ready().await;
    assert_eq!(
        business_data(&pool).await,
        acknowledged,
        "after the cut upload"
    );

    // 2. A decision with a 40 MiB result file, cut off.
    let kt = app.login("kt").await;
    let kt_seat = app.participant_of(launched, "kt").await;
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let form = multipart::Form::new()
        .text("decision", "approve")
        .text("comment", "Согласовано")
        .part("files", slow_part(40, sent, "Решение.pdf"));
    kill_midway(
        &mut server,
        &kt,
        &format!("/approvals/{launched}/participants/{kt_seat}/decision"),
        form,
    )
    .await;
    server = Server::start(&url, &storage, port, &log);
    server.ready().await;
    assert_eq!(
        business_data(&pool).await,
        acknowledged,
        "after the cut decision"
    );

    // 3. The archive, cut off after its first bytes.
    let rso = app.login("rso").await;
    let mut download = rso.get(&format!("/approvals/{launched}/archive")).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert!(download.chunk().await.expect("first bytes").is_some());
    server.kill();
    drop(download);
    server = Server::start(&url, &storage, port, &log);
    server.ready().await;
    assert_eq!(
        business_data(&pool).await,
        acknowledged,
        "after the cut download"
    );

    // Nothing acknowledged is lost: the documents read back as uploaded, the work goes on.
    let rso = app.login("rso").await;
    let document: i64 = sqlx::query_scalar("SELECT min(id) FROM documents WHERE approval_id = $1")
        .bind(launched)
        .fetch_one(&pool)
        .await
        .expect("document");
    let bytes = rso
        .get(&format!("/approvals/{launched}/documents/{document}"))
        .await
        .bytes()
        .await
        .expect("bytes");
    let original = std::fs::read(sample("documents/Заявление.pdf")).expect("sample");
    assert_eq!(bytes.as_ref(), original.as_slice());
    let archive = rso.get(&format!("/approvals/{launched}/archive")).await;
    assert_eq!(archive.status(), StatusCode::OK);
    let zip = archive.bytes().await.expect("archive");
    let entries = zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec()))
        .expect("a whole archive")
        .len();
    assert!(entries >= 4, "{entries} entries");
    let kt = app.login("kt").await;
    assert_eq!(
        kt.decide(launched, kt_seat, "approve", "Согласовано")
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "the decision cut off can be made again"
    );

    // The cleanup takes the cut-off bytes and nothing else: every stored file is a blob row.
    let store = Storage::open(None, &storage).await.expect("storage");
    let removed = store
        .remove_orphans(&pool, chrono::Utc::now() + chrono::Duration::hours(2))
        .await
        .expect("sweep");
    assert!(
        removed >= 1,
        "the cut uploads left bytes to sweep ({removed})"
    );
    let known: Vec<String> = sqlx::query_scalar("SELECT sha256 FROM blobs ORDER BY sha256")
        .fetch_all(&pool)
        .await
        .expect("blobs");
    let files: Vec<String> = stored_files(&storage)
        .into_iter()
        .map(|f| f.rsplit('/').next().unwrap_or_default().to_owned())
        .collect();
    let mut files_sorted = files.clone();
    files_sorted.sort();
    assert_eq!(files_sorted, known, "no orphan and no missing file");
    let dangling: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM documents d LEFT JOIN blobs b ON b.sha256 = d.sha256
         WHERE b.sha256 IS NULL",
    )
    .fetch_one(&pool)
    .await
    .expect("dangling");
    assert_eq!(dangling, 0, "no document row without its bytes");
    let _ = std::fs::remove_dir_all(&storage);
}

/// A PostgreSQL cluster of the test's own, in a temporary directory.
struct Cluster {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
}

impl Cluster {
    fn bin() -> PathBuf {
        let mut found = None;
        for entry in std::fs::read_dir("/usr/lib/postgresql").expect("PostgreSQL installed") {
            let bin = entry.expect("entry").path().join("bin");
            if bin.join("initdb").exists() {
                found = Some(bin);
            }
        }
        found.expect("initdb")
    }

    /// Runs a server program as the cluster's owner: `postgres` when the test runs as root.
    fn run(&self, program: &str, args: &[&str]) {
        let as_root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0"));
        let program = self.bin.join(program);
        let status = if as_root {
            Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&self.dir)
                .status()
                .expect("chown");
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&program)
                .args(args)
                .stdout(Stdio::null())
                .status()
        } else {
            Command::new(&program)
                .args(args)
                .stdout(Stdio::null())
                .status()
        }
        .expect("PostgreSQL program runs");
        assert!(status.success(), "{} {args:?}", program.display());
    }

    fn create() -> Cluster {
        let dir = std::env::temp_dir().join(format!("essk-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("cluster dir");
        let cluster = Cluster {
            dir,
            port: free_port(),
            bin: Self::bin(),
        };
        let data = cluster.dir.join("data");
        let data = data.to_str().expect("path");
        cluster.run(
            "initdb",
            &[
                "-D",
                data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        );
        cluster.start();
        cluster
    }

    fn pg_ctl(&self, action: &str) {
        let data = self.dir.join("data");
        let log = self.dir.join("server.log");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("path"),
                "-l",
                log.to_str().expect("path"),
                "-o",
                &options,
                "-m",
                "fast",
                "-w",
                action,
            ],
        );
    }

    fn start(&self) {
        self.pg_ctl("start");
    }

    fn stop(&self) {
        self.pg_ctl("stop");
    }

    fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn the_server_rides_out_a_database_restart_with_503_pages_meanwhile() {
    let cluster = Cluster::create();
    let url = cluster.url("essk");
    let pool = db::connect_and_migrate(&url).await.expect("database");
    seed::seed_demo_if_empty(&pool).await.expect("demo data");
    pool.close().await;
    let storage = cluster.dir.join("storage");
    let port = free_port();
    let mut server = Server::start(&url, &storage, port, &cluster.dir.join("essk.log"));
    server.ready().await;
    let pool = db::connect_and_migrate(&url).await.expect("database");
    let app = TestApp {
        base: format!("http://127.0.0.1:{port}"),
        db: pool.clone(),
        clock: Clock::system(),
        storage_dir: storage.clone(),
    };
    let rso = app.login("rso").await;
    pool.close().await;

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flow = {
        let stop = stop.clone();
        let client = rso.client.clone();
        let base = rso.base.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let started = Instant::now();
                let response = client
                    .get(format!("{base}/approvals"))
                    .timeout(Duration::from_secs(20))
                    .send()
                    .await
                    .expect("the server answers");
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                seen.push((status, started.elapsed(), body));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            seen
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    cluster.stop();
    tokio::time::sleep(Duration::from_secs(8)).await;
    cluster.start();
    // The pool reconnects on its own; give it a moment, then keep watching.
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = flow.await.expect("flow");
    assert!(server.alive(), "the server was never restarted");
    let unavailable: Vec<_> = seen
        .iter()
        .filter(|(status, ..)| *status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(!unavailable.is_empty(), "the restart was seen");
    for (status, took, body) in &seen {
        assert!(
            *status == StatusCode::OK || *status == StatusCode::SERVICE_UNAVAILABLE,
            "{status}: {body}"
        );
        assert!(*took < Duration::from_secs(10), "answered in {took:?}");
    }
    for (_, _, body) in &unavailable {
        assert!(body.contains("Сервис временно недоступен"), "{body}");
    }
    let (last, ..) = seen.last().expect("requests");
    assert_eq!(*last, StatusCode::OK, "back without a restart");
    let back = rso.get("/approvals").await;
    assert_eq!(back.status(), StatusCode::OK, "the session survived too");
}
