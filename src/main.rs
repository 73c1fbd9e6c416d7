//! The `essk` binary: serve the web application, or load the demo data.

use anyhow::Context;
use clap::{Parser, Subcommand};
use essk_approvals::{AppState, clock::Clock, config::Config, db, router, seed, storage::Storage};
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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let cli = Cli::parse();
    let config = Config::from_env()?;
    tracing::info!(?config, "starting");
    let pool = db::connect_and_migrate(&config.database_url)
        .await
        .context("database not reachable or not migratable")?;

    match cli.command {
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
            let storage = Storage::open(&config.storage_dir)
                .await
                .context("storage directory")?;
            let bind_addr = config.bind_addr;
            let state = AppState {
                db: pool,
                config: std::sync::Arc::new(config),
                clock: Clock::system(),
                storage,
            };
            let app = router(state)?;
            let listener = tokio::net::TcpListener::bind(bind_addr).await?;
            tracing::info!(%bind_addr, "serving on http://{bind_addr}");
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown_signal())
                .await?;
        }
    }
    Ok(())
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
