//! Load on a running server through its real pages, as users would send them.
//!
//! `load lifecycle BASE SECONDS WORKERS` — each worker runs whole approvals one after another:
//! create, upload the four required documents with their signatures, launch, then every
//! participant opens its decision (КИО and ГАТИ first complete their mandatory action) and
//! approves. Prints lifecycles/s, decisions/s and the decisions' latency percentiles.
//!
//! `load decisions BASE APPROVALS WORKERS` — each worker first launches APPROVALS approvals
//! and completes КИО's action, untimed; then the workers post the decisions, eight for each
//! approval (and ГАТИ's action before its decision), all at once. Prints decisions/s and
//! their latency percentiles.
//!
//! `load soak BASE SECONDS WORKERS SERVER_PID` — lifecycles beside readers that open the
//! list (plain and filtered), cards, the inventory and the archive as every kind of user,
//! and add documents to drafts; prints the rate, every kind of request's percentiles, the
//! count of 5xx answers and the server's resident memory every 30 s.
//!
//! `scripts/bench-load.sh` starts the server and the database and runs both.

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::{Client, StatusCode, multipart};

const PASSWORD: &str = "demo1234";
/// The seeded route's participants in the order of its decision table.
const PARTICIPANTS: [&str; 8] = [
    "owner1", "owner2", "kga", "kb", "kio", "kgiop", "kt", "gati",
];
const READERS: [&str; 8] = [
    "rso",
    "rso-viewer",
    "rso-head",
    "kga",
    "kt",
    "gati",
    "public-viewer",
    "admin",
];

type Result<T> = std::result::Result<T, String>;

/// Latencies by kind of request, and the count of server errors.
#[derive(Default)]
struct Stats {
    latencies: Mutex<BTreeMap<&'static str, Vec<Duration>>>,
    server_errors: AtomicU64,
    failures: Mutex<Vec<String>>,
}

impl Stats {
    fn note(&self, kind: &'static str, took: Duration, status: StatusCode) {
        if status.is_server_error() {
            self.server_errors.fetch_add(1, Ordering::Relaxed);
        }
        self.latencies
            .lock()
            .expect("stats")
            .entry(kind)
            .or_default()
            .push(took);
    }

    /// How many requests of `kind` were answered.
    fn count(&self, kind: &str) -> usize {
        self.latencies
            .lock()
            .expect("stats")
            .get(kind)
            .map_or(0, Vec::len)
    }

    fn fail(&self, what: String) {
        let mut failures = self.failures.lock().expect("stats");
        if failures.len() < 20 {
            failures.push(what);
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank].as_secs_f64() * 1000.0
}

struct Session {
    client: Client,
    base: String,
}

impl Session {
    async fn login(base: &str, login: &str) -> Result<Session> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ORIGIN,
            base.parse().map_err(|_| "origin".to_owned())?,
        );
        let client = Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .pool_max_idle_per_host(4)
            .build()
            .map_err(|e| e.to_string())?;
        let response = client
            .post(format!("{base}/login"))
            .form(&[("login", login), ("password", PASSWORD)])
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if response.status() != StatusCode::SEE_OTHER {
            return Err(format!("{login} did not sign in: {}", response.status()));
        }
        Ok(Session {
            client,
            base: base.to_owned(),
        })
    }

    /// Sends a request, notes its latency under `kind`, returns status, location and body.
    async fn send(
        &self,
        stats: &Stats,
        kind: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, String, String)> {
        let started = Instant::now();
        let response = request.send().await.map_err(|e| format!("{kind}: {e}"))?;
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.text().await.map_err(|e| format!("{kind}: {e}"))?;
        stats.note(kind, started.elapsed(), status);
        Ok((status, location, body))
    }

    async fn get(&self, stats: &Stats, kind: &'static str, path: &str) -> Result<String> {
        let (status, _, body) = self
            .send(stats, kind, self.client.get(format!("{}{path}", self.base)))
            .await?;
        if status != StatusCode::OK {
            return Err(format!("GET {path}: {status}"));
        }
        Ok(body)
    }

    async fn post(
        &self,
        stats: &Stats,
        kind: &'static str,
        path: &str,
        request: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<String> {
        let builder = request(self.client.post(format!("{}{path}", self.base)));
        let (status, location, body) = self.send(stats, kind, builder).await?;
        if status != StatusCode::SEE_OTHER {
            let message: String = body
                .split("<p")
                .nth(1)
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            return Err(format!("POST {path}: {status} {message}"));
        }
        Ok(location)
    }
}

impl Session {
    /// Creates a draft as the form «Создать» would; returns its id.
    async fn create_draft(&self, stats: &Stats, route: &str, name: &str) -> Result<i64> {
        let location = self
            .post(stats, "create", "/approvals", |r| {
                r.form(&[
                    ("route_id", route),
                    ("name", name),
                    ("subject", "Разрешение на производство земляных работ"),
                    ("works_address", "Санкт-Петербург, ул. Нагрузочная, д. 1"),
                    ("network_kind", "Теплоснабжение"),
                    ("description", "Проверка под нагрузкой"),
                ])
            })
            .await?;
        location
            .trim_start_matches("/approvals/")
            .trim_end_matches("/edit")
            .parse()
            .map_err(|_| format!("no id in {location}"))
    }

    /// The draft's folders in the edit page's order.
    async fn folders(&self, stats: &Stats, id: i64) -> Result<Vec<i64>> {
        let edit = self
            .get(stats, "edit form", &format!("/approvals/{id}/edit"))
            .await?;
        Ok(ids_after(&edit, &format!("/approvals/{id}/folders/")))
    }
}

/// The numbers that follow `prefix` in `html`, in order.
fn ids_after(html: &str, prefix: &str) -> Vec<i64> {
    html.match_indices(prefix)
        .filter_map(|(at, _)| {
            let rest = &html[at + prefix.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

struct Files {
    document: Vec<u8>,
    signature: Vec<u8>,
}

/// One user of each kind a lifecycle needs, signed in.
struct Crew {
    rso: Session,
    participants: Vec<Session>,
}

impl Crew {
    async fn sign_in(base: &str) -> Result<Crew> {
        let rso = Session::login(base, "rso").await?;
        let mut participants = Vec::new();
        for login in PARTICIPANTS {
            participants.push(Session::login(base, login).await?);
        }
        Ok(Crew { rso, participants })
    }

    /// One approval from creation to «Согласовано»; returns its id.
    async fn lifecycle(&self, stats: &Stats, files: &Files, route: &str, n: u64) -> Result<i64> {
        let (id, seats) = self.launched(stats, files, route, n).await?;
        self.decide_all(stats, id, &seats, &[]).await?;
        Ok(id)
    }

    /// Creates a draft, adds the required documents and launches it; returns its id and its
    /// participants' seats in the decision table's order.
    async fn launched(
        &self,
        stats: &Stats,
        files: &Files,
        route: &str,
        n: u64,
    ) -> Result<(i64, Vec<i64>)> {
        let rso = &self.rso;
        let name = format!("Нагрузка {n}");
        let id = rso.create_draft(stats, route, &name).await?;
        let folders = rso.folders(stats, id).await?;
        // The seeded route's four required folders come first; the fifth is optional.
        for folder in folders.iter().take(4) {
            let form = multipart::Form::new()
                .part(
                    "files",
                    multipart::Part::bytes(files.document.clone()).file_name("Заявление.pdf"),
                )
                .part(
                    "files",
                    multipart::Part::bytes(files.signature.clone()).file_name("Заявление.pdf.sig"),
                );
            rso.post(
                stats,
                "upload",
                &format!("/approvals/{id}/folders/{folder}/documents"),
                |r| r.multipart(form),
            )
            .await?;
        }
        rso.post(stats, "launch", &format!("/approvals/{id}/launch"), |r| r)
            .await?;
        let card = rso.get(stats, "card", &format!("/approvals/{id}")).await?;
        let seats = ids_after(&card, "data-participant=\"");
        if seats.len() != PARTICIPANTS.len() {
            return Err(format!("{} seats on the card", seats.len()));
        }
        Ok((id, seats))
    }

    /// A participant opens its actions table and completes every action it may.
    async fn complete_actions(stats: &Stats, user: &Session, id: i64, seat: i64) -> Result<()> {
        let table = user
            .get(
                stats,
                "actions table",
                &format!("/approvals/{id}/participants/{seat}/actions"),
            )
            .await?;
        for action in ids_after(&table, &format!("/approvals/{id}/actions/")) {
            let form = multipart::Form::new().text("comment", "Выполнено");
            user.post(
                stats,
                "action",
                &format!("/approvals/{id}/actions/{action}/complete"),
                |r| r.multipart(form),
            )
            .await?;
        }
        Ok(())
    }

    /// Every participant approves, in the decision table's order; КИО and ГАТИ first
    /// complete their mandatory actions, unless `actions_done` names them.
    async fn decide_all(
        &self,
        stats: &Stats,
        id: i64,
        seats: &[i64],
        actions_done: &[&str],
    ) -> Result<()> {
        for ((login, user), seat) in PARTICIPANTS.iter().zip(&self.participants).zip(seats) {
            if matches!(*login, "kio" | "gati") && !actions_done.contains(login) {
                Crew::complete_actions(stats, user, id, *seat).await?;
            }
            let form = multipart::Form::new()
                .text("decision", "approve")
                .text("comment", "Замечаний нет");
            user.post(
                stats,
                "decision",
                &format!("/approvals/{id}/participants/{seat}/decision"),
                |r| r.multipart(form),
            )
            .await?;
        }
        Ok(())
    }
}

fn files() -> Files {
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/samples");
    Files {
        document: std::fs::read(format!("{samples}/documents/Заявление.pdf")).expect("sample"),
        signature: std::fs::read(format!("{samples}/signatures/Заявление.pdf.sig"))
            .expect("sample"),
    }
}

async fn route_id(base: &str) -> Result<String> {
    let stats = Stats::default();
    let rso = Session::login(base, "rso").await?;
    let page = rso.get(&stats, "new form", "/approvals/new").await?;
    let id = ids_after(&page, "<option value=\"")
        .first()
        .copied()
        .ok_or("no route on the new-approval form")?;
    Ok(id.to_string())
}

fn print_latencies(stats: &Stats) {
    println!(
        "{:<16} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "запрос", "штук", "p50, мс", "p95, мс", "p99, мс", "max, мс"
    );
    let mut all = stats.latencies.lock().expect("stats");
    for (kind, list) in all.iter_mut() {
        list.sort();
        println!(
            "{kind:<16} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            list.len(),
            percentile(list, 0.50),
            percentile(list, 0.95),
            percentile(list, 0.99),
            percentile(list, 1.0)
        );
    }
}

async fn lifecycles(base: String, seconds: u64, workers: usize) -> Result<()> {
    let route = route_id(&base).await?;
    let stats = Arc::new(Stats::default());
    let files = Arc::new(files());
    let done = Arc::new(AtomicU64::new(0));
    let mut crews = Vec::new();
    for _ in 0..workers {
        crews.push(Crew::sign_in(&base).await?);
    }
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for (w, crew) in crews.into_iter().enumerate() {
        let (stats, files, done, route) =
            (stats.clone(), files.clone(), done.clone(), route.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while Instant::now() < until {
                n += 1;
                match crew
                    .lifecycle(&stats, &files, &route, (w as u64) << 32 | n)
                    .await
                {
                    Ok(_) => {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => stats.fail(e),
                }
            }
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let lifecycles = done.load(Ordering::Relaxed);
    let decisions = stats.count("decision");
    println!(
        "{workers} параллельно, {elapsed:.1} с: {lifecycles} согласований ({:.1}/с), {decisions} решений ({:.1}/с), ошибок 5xx: {}",
        lifecycles as f64 / elapsed,
        decisions as f64 / elapsed,
        stats.server_errors.load(Ordering::Relaxed)
    );
    print_latencies(&stats);
    report_failures(&stats)
}

/// Decisions alone: each worker first launches `per_worker` approvals and completes КИО's
/// mandatory action (not timed), then all post the eight decisions of each at once (ГАТИ's
/// action, possible only once step 1 is decided, among them).
async fn decisions(base: String, per_worker: u64, workers: usize) -> Result<()> {
    let route = route_id(&base).await?;
    let files = Arc::new(files());
    let mut crews = Vec::new();
    for _ in 0..workers {
        crews.push(Arc::new(Crew::sign_in(&base).await?));
    }
    let setup = Arc::new(Stats::default());
    let mut tasks = Vec::new();
    for (w, crew) in crews.iter().enumerate() {
        let (crew, setup, files, route) =
            (crew.clone(), setup.clone(), files.clone(), route.clone());
        tasks.push(tokio::spawn(async move {
            let mut ready = Vec::new();
            for n in 1..=per_worker {
                let (id, seats) = crew
                    .launched(&setup, &files, &route, (w as u64) << 32 | n)
                    .await?;
                // КИО's action can be done at once; ГАТИ's waits for its step.
                let kio = PARTICIPANTS.iter().position(|p| *p == "kio").unwrap_or(4);
                Crew::complete_actions(&setup, &crew.participants[kio], id, seats[kio]).await?;
                ready.push((id, seats));
            }
            Ok::<_, String>(ready)
        }));
    }
    let mut prepared = Vec::new();
    for task in tasks {
        prepared.push(task.await.map_err(|e| e.to_string())??);
    }
    report_failures(&setup)?;

    let stats = Arc::new(Stats::default());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (crew, ready) in crews.into_iter().zip(prepared) {
        let stats = stats.clone();
        tasks.push(tokio::spawn(async move {
            for (id, seats) in ready {
                if let Err(e) = crew.decide_all(&stats, id, &seats, &["kio"]).await {
                    stats.fail(e);
                }
            }
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let decisions = stats.count("decision");
    println!(
        "{workers} параллельно, только решения, {elapsed:.1} с: {decisions} решений ({:.1}/с), ошибок 5xx: {}",
        decisions as f64 / elapsed,
        stats.server_errors.load(Ordering::Relaxed)
    );
    print_latencies(&stats);
    report_failures(&stats)
}

fn report_failures(stats: &Stats) -> Result<()> {
    let failures = stats.failures.lock().expect("stats");
    if failures.is_empty() && stats.server_errors.load(Ordering::Relaxed) == 0 {
        return Ok(());
    }
    Err(format!("failures: {failures:#?}"))
}

fn resident_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

/// What a reader does once, as `user`, with the approvals made so far.
async fn read_once(user: &Session, stats: &Stats, ids: &[i64], n: usize) -> Result<()> {
    let id = ids[n % ids.len()];
    let visible = |r: Result<String>| match r {
        Ok(_) => Ok(()),
        Err(e) if e.contains("403") || e.contains("404") => Ok(()),
        Err(e) => Err(e),
    };
    match n % 6 {
        0 => visible(user.get(stats, "list", "/approvals").await),
        1 => visible(
            user.get(
                stats,
                "list filtered",
                "/approvals?q=%D0%BD%D0%B0%D0%B3&status=approved",
            )
            .await,
        ),
        2 | 3 => visible(user.get(stats, "card", &format!("/approvals/{id}")).await),
        4 => visible(
            user.get(stats, "inventory", &format!("/approvals/{id}/inventory"))
                .await,
        ),
        _ => visible(
            user.get(stats, "archive", &format!("/approvals/{id}/archive"))
                .await,
        ),
    }
}

async fn soak(base: String, seconds: u64, workers: usize, pid: u32) -> Result<()> {
    let route = route_id(&base).await?;
    let stats = Arc::new(Stats::default());
    let files = Arc::new(files());
    let ids = Arc::new(Mutex::new(Vec::<i64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    // Approvals to read from the start.
    let first = Crew::sign_in(&base).await?;
    for n in 0..4 {
        let id = first.lifecycle(&stats, &files, &route, n).await?;
        ids.lock().expect("ids").push(id);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    let lifecycle_workers = workers.div_ceil(3);
    for w in 0..lifecycle_workers {
        let crew = Crew::sign_in(&base).await?;
        let (stats, files, ids, stop, route) = (
            stats.clone(),
            files.clone(),
            ids.clone(),
            stop.clone(),
            route.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                match crew
                    .lifecycle(&stats, &files, &route, (w as u64 + 1) << 32 | n)
                    .await
                {
                    Ok(id) => ids.lock().expect("ids").push(id),
                    Err(e) => stats.fail(e),
                }
            }
        }));
    }
    for w in 0..workers - lifecycle_workers {
        let mut readers = Vec::new();
        for login in READERS {
            readers.push(Session::login(&base, login).await?);
        }
        let (stats, files, ids, stop, route) = (
            stats.clone(),
            files.clone(),
            ids.clone(),
            stop.clone(),
            route.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let writer = &readers[0];
            let mut n = w;
            let mut draft: Option<(i64, i64)> = None;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let snapshot = ids.lock().expect("ids").clone();
                let outcome = if n.is_multiple_of(10) {
                    add_document(writer, &stats, &files, &route, &mut draft, n).await
                } else {
                    read_once(&readers[n % readers.len()], &stats, &snapshot, n / 7).await
                };
                if let Err(e) = outcome {
                    stats.fail(e);
                }
            }
        }));
    }
    println!("{:>6} {:>12} {:>10}", "с", "RSS, МБ", "запросов");
    let mut memory = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        let rss = resident_kib(pid);
        let requests: usize = stats
            .latencies
            .lock()
            .expect("stats")
            .values()
            .map(Vec::len)
            .sum();
        println!(
            "{:>6} {:>12.1} {:>10}",
            started.elapsed().as_secs(),
            rss as f64 / 1024.0,
            requests
        );
        memory.push(rss);
        tokio::time::sleep(Duration::from_secs(30).min(Duration::from_secs(seconds))).await;
    }
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.map_err(|e| e.to_string())?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let requests: usize = stats
        .latencies
        .lock()
        .expect("stats")
        .values()
        .map(Vec::len)
        .sum();
    println!(
        "{workers} параллельно, {elapsed:.0} с: {requests} запросов ({:.1}/с), ошибок 5xx: {}, RSS {:.1} → {:.1} МБ",
        requests as f64 / elapsed,
        stats.server_errors.load(Ordering::Relaxed),
        memory.first().copied().unwrap_or(0) as f64 / 1024.0,
        resident_kib(pid) as f64 / 1024.0
    );
    print_latencies(&stats);
    report_failures(&stats)
}

/// Adds a document to the writer's current draft, starting a new draft every 20 files.
async fn add_document(
    writer: &Session,
    stats: &Stats,
    files: &Files,
    route: &str,
    draft: &mut Option<(i64, i64)>,
    n: usize,
) -> Result<()> {
    if n.is_multiple_of(200) {
        *draft = None;
    }
    let (id, folder) = match *draft {
        Some(pair) => pair,
        None => {
            let id = writer
                .create_draft(stats, route, "Черновик под нагрузкой")
                .await?;
            let folder = *writer.folders(stats, id).await?.last().ok_or("no folder")?;
            *draft = Some((id, folder));
            (id, folder)
        }
    };
    let form = multipart::Form::new().part(
        "files",
        multipart::Part::bytes(files.document.clone()).file_name(format!("Документ {n}.pdf")),
    );
    writer
        .post(
            stats,
            "upload",
            &format!("/approvals/{id}/folders/{folder}/documents"),
            |r| r.multipart(form),
        )
        .await
        .map(|_| ())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number =
        |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let base = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:8080".to_owned());
    let outcome = match args.first().map(String::as_str) {
        Some("lifecycle") => lifecycles(base, number(2, 30), number(3, 4) as usize).await,
        Some("decisions") => decisions(base, number(2, 100), number(3, 4) as usize).await,
        Some("soak") => {
            soak(
                base,
                number(2, 600),
                number(3, 6) as usize,
                number(4, 0) as u32,
            )
            .await
        }
        _ => Err(
            "usage: load lifecycle|decisions|soak BASE SECONDS|APPROVALS WORKERS [SERVER_PID]"
                .to_owned(),
        ),
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}
