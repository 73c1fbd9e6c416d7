//! The `essk` binary: serve the web application, load the demo data, or verify a signature.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use essk_approvals::signature::{self, ContentHasher, TrustStore, Verdict};
use essk_approvals::{AppState, background, clock::Clock, config::Config, db, router, seed};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "essk", about = "Согласования ЕССК")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database, load the demo data into an empty one, and serve.
    Serve,
    /// Load the demo organisations, users and route into an empty database.
    SeedDemo,
    /// Verify a detached signature of a file; needs no database. Exits 0 when valid, else 1.
    VerifySignature(VerifySignatureArgs),
}

#[derive(Args)]
struct VerifySignatureArgs {
    /// The signed document.
    #[arg(long)]
    file: PathBuf,
    /// The signature file (DER, PEM or Base64).
    #[arg(long)]
    signature: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// A directory of trusted CA certificates; without it the chain is not checked.
    #[arg(long)]
    trusted_ca_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    if let Command::VerifySignature(args) = &cli.command {
        // Logs go to stderr so that stdout carries only the report.
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
        return Ok(verify_signature(args));
    }
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let config = Config::from_env()?;
    tracing::info!(?config, "starting");
    let pool = db::connect_and_migrate(&config.database_url)
        .await
        .context("database not reachable or not migratable")?;

    match cli.command {
        Command::VerifySignature(_) => {}
        Command::SeedDemo => {
            let seeded = seed::seed_demo_if_empty(&pool).await?;
            println!(
                "{}",
                if seeded {
                    "Демо-данные загружены."
                } else {
                    "База не пуста: демо-данные не загружались."
                }
            );
        }
        Command::Serve => {
            seed::seed_demo_if_empty(&pool).await?;
            let bind_addr = config.bind_addr;
            let state = AppState::new(pool, config, Clock::system()).await?;
            background::spawn_storage_sweep(state.clone());
            background::spawn_dates_refresh(state.clone());
            background::spawn_account_sweep(state.clone());
            background::spawn_mailer(state.clone())?;
            let app = router(state)?;
            let listener = tokio::net::TcpListener::bind(bind_addr).await?;
            tracing::info!(%bind_addr, "serving on http://{bind_addr}");
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown_signal())
                .await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Verifies `--signature` against `--file` as of now and prints the report: 0 when the file's
/// verdict is valid, 1 when not, 2 when the files cannot be read.
fn verify_signature(args: &VerifySignatureArgs) -> ExitCode {
    let usage_error = |message: String| {
        eprintln!("essk verify-signature: {message}");
        ExitCode::from(2)
    };
    let signature_bytes = match std::fs::read(&args.signature) {
        Ok(bytes) => bytes,
        Err(error) => return usage_error(format!("{}: {error}", args.signature.display())),
    };
    let trust = match &args.trusted_ca_dir {
        Some(dir) => match TrustStore::from_dir(dir) {
            Ok(store) => Some(store),
            Err(error) => return usage_error(format!("{}: {error}", dir.display())),
        },
        None => None,
    };
    let upload_time = Clock::system().now();
    let report = match signature::parse(&signature_bytes) {
        Ok(parsed) => {
            let digests =
                match hash_file(&args.file, ContentHasher::new(&parsed.digest_algorithms())) {
                    Ok(digests) => digests,
                    Err(error) => return usage_error(format!("{}: {error}", args.file.display())),
                };
            parsed.verify(&digests, upload_time, trust.as_ref())
        }
        Err(reason) => signature::Report::unreadable(reason),
    };

    if args.json {
        println!("{}", signature::cli_json(&report));
        if let Some(reason) = &report.reason {
            eprintln!("{reason}");
        }
    } else {
        println!("{}", signature::plain_text(&report));
    }
    if report.verdict == Verdict::Valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Streams a file through the hasher, so a large document never sits whole in memory.
fn hash_file(path: &Path, mut hasher: ContentHasher) -> std::io::Result<signature::ContentDigests> {
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            return Ok(hasher.finish());
        }
        hasher.update(&buffer[..read]);
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
