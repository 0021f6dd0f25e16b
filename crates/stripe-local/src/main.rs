//! A local Stripe-compatible server for development and tests (test mode only).
//! `scripts/run` and `scripts/test` start it when no real Stripe key is configured.

use clap::Parser;
use oxcart_stripe_local::{serve, LocalStripeConfig};

#[derive(Debug, Parser)]
#[command(
    name = "oxcart-stripe-local",
    about = "A local stand-in for the Stripe API: Checkout Sessions, refunds, a hosted test payment page and signed webhooks."
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:12111")]
    addr: std::net::SocketAddr,
    /// Where to deliver webhook events (the shop's webhook endpoint).
    #[arg(long, default_value = "http://127.0.0.1:3000/stripe/webhook")]
    webhook_url: String,
    /// The address browsers use to reach this server (default: http://<addr>).
    #[arg(long)]
    public_url: Option<String>,
    /// Secret key the shop must present.
    #[arg(
        long,
        env = "STRIPE_SECRET_KEY",
        default_value = "sk_test_oxcart_local",
        hide_env_values = true
    )]
    secret_key: String,
    /// Webhook signing secret shared with the shop.
    #[arg(
        long,
        env = "STRIPE_WEBHOOK_SECRET",
        default_value = "whsec_oxcart_local",
        hide_env_values = true
    )]
    webhook_secret: String,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_target(false)
        .init();
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    let public_url = args.public_url.unwrap_or_else(|| {
        format!(
            "http://{}",
            listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default()
        )
    });
    tracing::info!(
        "local Stripe (test mode) on {public_url}, webhooks to {}",
        args.webhook_url
    );
    serve(
        listener,
        LocalStripeConfig {
            secret_key: args.secret_key,
            webhook_secret: args.webhook_secret,
            webhook_url: args.webhook_url,
            public_url,
        },
    )
    .await
}
