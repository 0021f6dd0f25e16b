//! The command line: `oxcart serve` (default) and operator tasks.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "oxcart",
    version,
    about = "oxcart: a self-hosted online shop",
    long_about = "oxcart: a self-hosted online shop.\n\n\
Settings come from built-in defaults, then an optional TOML file (OXCART_CONFIG, or ./oxcart.toml), \
then environment variables such as MONGODB_URI, OXCART_DATABASE, OXCART_SITE_ADDR, OXCART_PUBLIC_URL, \
STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET. See README.md for the full list."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the shop's web server (the default when no command is given).
    Serve,
    /// Check the settings and print them (secrets hidden), without starting anything.
    CheckConfig,
    /// Fill the catalog with a deterministic demo catalog (categories and products).
    Seed {
        /// How many products to create.
        #[arg(long, default_value_t = 500)]
        products: u64,
        /// Do nothing if the catalog already has products.
        #[arg(long)]
        if_empty: bool,
        /// Skip drawing product pictures (faster; for load tests with many products).
        #[arg(long)]
        no_pictures: bool,
    },
    /// Import or export products with their variants as CSV (Shopify's columns).
    Products {
        #[command(subcommand)]
        action: ProductsCommand,
    },
    /// Write brotli and gzip copies of the built bundle (CSS, JS, WASM) next to
    /// it, so the shop serves them precompressed (the build scripts run it).
    CompressAssets {
        /// The bundle directory (the site root's `pkg`).
        #[arg(default_value = "target/site/pkg")]
        dir: std::path::PathBuf,
    },
    /// Create an admin account, or make an existing account an admin.
    /// The password is read from OXCART_ADMIN_PASSWORD, or asked for at a prompt.
    CreateAdmin {
        /// The admin's e-mail address.
        #[arg(long)]
        email: String,
        /// The admin's display name (for a new account; asked for when not given,
        /// or taken from OXCART_ADMIN_NAME).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProductsCommand {
    /// Import a CSV file: every row is checked first; nothing is written if any
    /// row is invalid (the errors are printed with their line numbers).
    Import {
        /// The CSV file (UTF-8).
        file: std::path::PathBuf,
    },
    /// Export every product, one row per variant.
    Export {
        /// Where to write (standard output when left out).
        #[arg(long, short)]
        out: Option<std::path::PathBuf>,
    },
}
