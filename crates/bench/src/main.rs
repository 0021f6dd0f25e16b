//! `oxcart-bench`: measures speed on this machine (used by scripts/bench; the
//! figures go to BENCHMARKS.md). Commands that write go to the configured database:
//! point OXCART_DATABASE at a scratch database.

mod bench;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use oxcart::kernel::config::Settings;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "oxcart-bench",
    about = "Measure oxcart on this machine. Settings come from the same environment as the shop (MONGODB_URI, OXCART_DATABASE, ...)."
)]
struct Cli {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, Subcommand)]
enum What {
    /// Build the search index and time queries in process.
    Search {
        /// Catalog size (seeded into the database if it has fewer products).
        #[arg(long, default_value_t = 10_000)]
        products: u64,
        /// How many queries to time.
        #[arg(long, default_value_t = 2_000)]
        queries: usize,
        /// Generate this many products in memory instead (no database).
        #[arg(long)]
        in_memory: Option<u64>,
    },
    /// Many shoppers buy the last units of one product at once (against a running shop).
    Checkout {
        /// The running shop, e.g. http://127.0.0.1:3000
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 200)]
        buyers: usize,
        #[arg(long, default_value_t = 50)]
        units: i64,
    },
    /// Guests add and update cart lines concurrently (against a running shop).
    Cart {
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        #[arg(long, default_value_t = 15)]
        seconds: u64,
    },
}

async fn database(settings: &Settings) -> Result<mongodb::Database, String> {
    let client = oxcart::kernel::db::connect(settings).await;
    let db = client.database(&settings.database);
    oxcart::kernel::db::ping(&db, std::time::Duration::from_secs(10))
        .await
        .map_err(|e| format!("cannot reach the database: {e}"))?;
    oxcart::server::startup::ensure_indexes(&db)
        .await
        .map_err(|e| format!("cannot create indexes: {e}"))?;
    Ok(db)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("oxcart-bench: {e}");
            return ExitCode::from(2);
        }
    };
    let currency = settings.currency;
    let result = match cli.what {
        What::Search {
            in_memory: Some(n),
            queries,
            ..
        } => bench::search_in_memory(currency, n, queries),
        What::Search {
            products, queries, ..
        } => match database(&settings).await {
            Ok(db) => bench::search(&db, currency, products, queries).await,
            Err(e) => Err(e),
        },
        What::Checkout { url, buyers, units } => match database(&settings).await {
            Ok(db) => {
                bench::checkout(&db, currency, url.trim_end_matches('/'), buyers, units).await
            }
            Err(e) => Err(e),
        },
        What::Cart {
            url,
            connections,
            seconds,
        } => match database(&settings).await {
            Ok(db) => {
                bench::cart(
                    &db,
                    currency,
                    url.trim_end_matches('/'),
                    connections,
                    seconds,
                )
                .await
            }
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("oxcart-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
