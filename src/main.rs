//! Server entry point: parse the command line, load settings, run.

use std::process::ExitCode;

mod cli;

use clap::Parser;
use cli::{Cli, Command};
use oxcart::accounts::cli::{create_or_promote, read_password, AdminOutcome, PasswordSource};
use oxcart::kernel::config::Settings;
use oxcart::server::{self, Application};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("oxcart: {e}");
            return ExitCode::from(2);
        }
    };
    server::logging::init(settings.log_format);

    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::CheckConfig => {
            println!("settings are valid: {}", settings.summary());
            ExitCode::SUCCESS
        }
        Command::Seed { products, if_empty } => seed(settings, products, if_empty).await,
        Command::CreateAdmin { email, name } => {
            create_admin(settings, &email, name.as_deref()).await
        }
    }
}

async fn serve(settings: Settings) -> ExitCode {
    tracing::info!("starting oxcart: {}", settings.summary());
    let addr = settings.site_addr;
    let public_url = settings.public_url.clone();
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("cannot start on {addr}: {e}");
            eprintln!("oxcart: cannot start on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("listening on http://{addr} (public URL {public_url})");
    match app.run_until(server::shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped cleanly");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Connects and prepares the database for a one-off command.
async fn database(settings: &Settings) -> Result<mongodb::Database, String> {
    let client = oxcart::kernel::db::connect(settings).await;
    let db = client.database(&settings.database);
    oxcart::kernel::db::ping(&db, std::time::Duration::from_secs(10))
        .await
        .map_err(|e| format!("cannot reach the database: {e}"))?;
    server::startup::ensure_indexes(&db).await.map_err(|e| {
        format!(
            "cannot create indexes: {}",
            oxcart::kernel::db::short_reason(&e)
        )
    })?;
    Ok(db)
}

async fn seed(settings: Settings, products: u64, if_empty: bool) -> ExitCode {
    let db = match database(&settings).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("oxcart seed: {e}");
            return ExitCode::FAILURE;
        }
    };
    if products > 1_000_000 {
        eprintln!("oxcart seed: --products must be at most 1000000");
        return ExitCode::from(2);
    }
    let show = std::io::IsTerminal::is_terminal(&std::io::stderr());
    match oxcart::catalog::seed::run(&db, products, settings.currency, if_empty, show).await {
        Ok(0) if if_empty => {
            println!("the catalog already has products; nothing seeded");
            ExitCode::SUCCESS
        }
        Ok(n) => {
            println!("seeded {n} products");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("oxcart seed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn create_admin(settings: Settings, email: &str, name: Option<&str>) -> ExitCode {
    let db = match database(&settings).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("oxcart create-admin: {e}");
            return ExitCode::FAILURE;
        }
    };
    let source = match std::env::var("OXCART_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => PasswordSource::Env(p),
        _ => PasswordSource::Prompt,
    };
    match create_or_promote(&db, email, name, || read_password(source)).await {
        Ok(AdminOutcome::Created) => {
            println!("created admin account {email}");
            ExitCode::SUCCESS
        }
        Ok(AdminOutcome::Promoted) => {
            println!("{email} is now an admin (password unchanged)");
            ExitCode::SUCCESS
        }
        Ok(AdminOutcome::AlreadyAdmin) => {
            println!("{email} is already an admin");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("oxcart create-admin: {e}");
            ExitCode::from(2)
        }
    }
}
