//! Server entry point: parse the command line, load settings, run.

use std::process::ExitCode;

mod cli;

use clap::Parser;
use cli::{Cli, Command, ProductsCommand};
use oxcart::accounts::cli::{
    create_or_promote, read_name, read_password, AdminOutcome, PasswordSource,
};
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
        Command::Seed {
            products,
            if_empty,
            no_pictures,
        } => seed(settings, products, if_empty, !no_pictures).await,
        Command::Products { action } => products(settings, action).await,
        Command::CreateAdmin { email, name } => {
            create_admin(settings, &email, name.as_deref()).await
        }
        Command::CompressAssets { dir } => compress_assets(&dir),
    }
}

fn compress_assets(dir: &std::path::Path) -> ExitCode {
    match oxcart::server::assets::compress_dir(dir) {
        Ok(files) if files.is_empty() => {
            eprintln!("oxcart: nothing to compress in {}", dir.display());
            ExitCode::FAILURE
        }
        Ok(files) => {
            for (name, raw, br, gz) in files {
                println!("{name}: {raw} bytes, brotli {br}, gzip {gz}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("oxcart: cannot compress {}: {e}", dir.display());
            ExitCode::FAILURE
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
    let instance = format!("cli#{}", std::process::id());
    server::startup::prepare_database(&db, &instance).await?;
    Ok(db)
}

async fn seed(settings: Settings, products: u64, if_empty: bool, pictures: bool) -> ExitCode {
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
    // Demo shipping zones, a sample tax rate and a sample code, into a shop
    // without zones only.
    match oxcart::orders::rules_store::seed_demo(&db).await {
        Ok(true) => println!(
            "added demo shipping zones, a tax rate (California 7.25 %) and the code WELCOME10"
        ),
        Ok(false) => {}
        Err(e) => {
            eprintln!("oxcart seed: {e}");
            return ExitCode::FAILURE;
        }
    }
    let show = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let seeded = if pictures {
        oxcart::catalog::seed::run_with_pictures(&db, products, settings.currency, if_empty, show)
            .await
    } else {
        oxcart::catalog::seed::run(&db, products, settings.currency, if_empty, show).await
    };
    match seeded {
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
    match create_or_promote(&db, email, || read_name(name), || read_password(source)).await {
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

async fn products(settings: Settings, action: ProductsCommand) -> ExitCode {
    use indicatif::{ProgressBar, ProgressStyle};
    use oxcart::catalog::import::{self, Checked};
    let db = match database(&settings).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("oxcart products: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bar = |len: u64, what: &str| {
        if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            return ProgressBar::hidden();
        }
        let b = if len > 0 {
            ProgressBar::new(len)
        } else {
            ProgressBar::new_spinner()
        };
        b.set_style(
            ProgressStyle::with_template(&format!(
                "{what} {{bar:40}} {{pos}}/{{len}} products ({{per_sec}}, {{eta}} left)"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    };
    match action {
        ProductsCommand::Import { file } => {
            let text = match std::fs::read(&file) {
                Ok(bytes) => {
                    match String::from_utf8(bytes) {
                        Ok(t) => t,
                        Err(_) => {
                            eprintln!("oxcart products import: {} is not UTF-8 text; save it as CSV UTF-8", file.display());
                            return ExitCode::from(2);
                        }
                    }
                }
                Err(e) => {
                    eprintln!(
                        "oxcart products import: cannot read {}: {e}",
                        file.display()
                    );
                    return ExitCode::from(2);
                }
            };
            let (plan, existing) = match import::check_file(&db, &text, settings.currency).await {
                Ok(Checked::Ready(plan, existing)) => (plan, existing),
                Ok(Checked::Invalid(errors)) => {
                    eprintln!(
                        "oxcart products import: nothing was imported; {} problem(s) in {}:",
                        errors.len(),
                        file.display()
                    );
                    for e in &errors {
                        eprintln!("  {e}");
                    }
                    return ExitCode::from(1);
                }
                Err(e) => {
                    eprintln!("oxcart products import: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let progress = bar(plan.products.len() as u64, "importing");
            let result = import::apply(
                &db,
                &plan,
                &existing,
                settings.currency,
                "command line",
                |done, _| progress.set_position(done),
            )
            .await;
            progress.finish_and_clear();
            match result {
                Ok(outcome) => {
                    println!(
                        "imported {} rows: {} products created, {} updated",
                        plan.rows, outcome.created, outcome.updated
                    );
                    for e in &outcome.errors {
                        eprintln!("  not written: {e}");
                    }
                    if outcome.errors.is_empty() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    }
                }
                Err(e) => {
                    eprintln!("oxcart products import: {e} (products written so far stay; run the same import again to finish)");
                    ExitCode::FAILURE
                }
            }
        }
        ProductsCommand::Export { out } => {
            let total = oxcart::catalog::store::products(&db)
                .estimated_document_count()
                .await
                .unwrap_or(0);
            let progress = bar(total, "exporting");
            let base = settings
                .public_url
                .as_str()
                .trim_end_matches('/')
                .to_string();
            let result = match &out {
                Some(path) => match std::fs::File::create(path) {
                    Ok(f) => {
                        import::export(&db, std::io::BufWriter::new(f), &base, |n| {
                            progress.set_position(n)
                        })
                        .await
                    }
                    Err(e) => {
                        eprintln!(
                            "oxcart products export: cannot write {}: {e}",
                            path.display()
                        );
                        return ExitCode::from(2);
                    }
                },
                None => {
                    import::export(&db, std::io::stdout().lock(), &base, |n| {
                        progress.set_position(n)
                    })
                    .await
                }
            };
            progress.finish_and_clear();
            match result {
                Ok(n) => {
                    eprintln!("exported {n} products");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("oxcart products export: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
