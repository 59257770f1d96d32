//! The command line: every subcommand and flag, defined once. The man page
//! and the shell completions are generated from these definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use pos_recs::basket::Basket;
use pos_recs::demo::Fault;
use pos_recs::identify::IdentifierKind;

/// Product recommendations for the checkout desk, from Yespo data sources.
#[derive(Parser)]
#[command(
    name = "pos-recs",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("POS_RECS_COMMIT"), ")"),
    about
)]
pub struct Cli {
    /// Config file (default: the platform config dir's pos-recs/config.toml;
    /// without one, the built-in demo data is used).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Open the window for setting up this till: allows setting the first
    /// manager PIN when the config has none.
    #[arg(long)]
    pub setup: bool,
    /// Open the till on this customer (a running till takes it over instead).
    #[command(flatten)]
    pub customer: Who,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Look up one customer and print what every enabled source recommends.
    Lookup(LookupArgs),
    /// Validate the config and ask each enabled source once (a "test connection").
    Check,
    /// Run the demo Yespo-compatible server alone.
    DemoServer(DemoArgs),
    /// Tell the running till about a customer or the basket, or clear it
    /// (for POS programs that can only start a program).
    Send(SendArgs),
    /// The till without a window: the POS link, the chain's poller and the
    /// history, for POS programs that draw the cards themselves (a web
    /// POS, a call centre's order screen). Needs `[integration] listen`;
    /// runs without DISPLAY, logs to stderr, stops cleanly on SIGTERM.
    Serve,
    /// Orders waiting for Yespo and those it refused (customers masked);
    /// `--retry ID` sends a refused one again, `--drop ID` gives it up.
    Outbox(OutboxArgs),
    /// What works: per source, lookups, answer times, cards shown, opened,
    /// shown to the customer and added to the sale.
    Stats(StatsArgs),
    /// Start the till when the desktop session starts (XDG autostart), or stop doing so.
    Autostart {
        /// `on` or `off`.
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// Write the man page, shell completions and icons into a folder (for packaging).
    #[command(hide = true)]
    Assets {
        /// Where to write `pos-recs.1` and the completions.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

#[derive(Args)]
pub struct StatsArgs {
    /// The last this many days.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    /// Print CSV (for spreadsheets, and for merging a chain's tills).
    #[arg(long)]
    pub csv: bool,
    /// Read the chain's reports in DIR (the gateway's REPORTS_DIR, or a
    /// copy of it) instead of this till's history.
    #[arg(long, value_name = "DIR")]
    pub chain: Option<PathBuf>,
    /// Group the chain's table per store, per till or per source (default:
    /// per store and source).
    #[arg(long, requires = "chain", value_enum)]
    pub by: Option<pos_recs::chain::read::By>,
}

#[derive(Args)]
pub struct BasketArgs {
    /// Product ids in the basket: SKU[,SKU…] (may be repeated).
    #[arg(long, value_name = "SKU[,SKU…]")]
    pub products: Vec<String>,
    /// Category key of the basket.
    #[arg(long, value_name = "KEY")]
    pub category: Option<String>,
}

impl BasketArgs {
    /// The basket given, if any; an empty or unreadable list is bad input.
    pub fn basket(&self) -> anyhow::Result<Option<Basket>> {
        if self.products.is_empty() && self.category.is_none() {
            return Ok(None);
        }
        let basket = if self.products.is_empty() {
            Basket::new::<&str>(&[], self.category.as_deref())
        } else {
            Basket::from_cli(&self.products, self.category.as_deref())
        };
        Ok(Some(basket.map_err(|e| {
            anyhow::anyhow!("--products/--category: {e}")
        })?))
    }
}

#[derive(Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub who: Who,
    #[command(flatten)]
    pub basket: BasketArgs,
    /// Clear the till for the next customer.
    #[arg(long, conflicts_with_all = ["card", "phone", "email", "products", "category"])]
    pub clear: bool,
    /// Report the finished sale of the customer on screen, from a JSON file
    /// as `POST /v1/sale` takes it; it ends the sale.
    #[arg(long, value_name = "FILE.json", conflicts_with_all = ["card", "phone", "email", "products", "category", "clear"])]
    pub sale: Option<PathBuf>,
    /// Cancel a recorded sale by its sale_id (as `POST /v1/void`): it
    /// leaves the figures, and Yespo's order is cancelled.
    #[arg(long, value_name = "SALE_ID", conflicts_with_all = ["card", "phone", "email", "products", "category", "clear", "sale"])]
    pub void: Option<String>,
}

/// `pos-recs outbox`: what waits to be sent, and what Yespo refused.
#[derive(Args)]
pub struct OutboxArgs {
    /// Send a parked item again.
    #[arg(long, value_name = "ID", conflicts_with = "drop")]
    pub retry: Option<i64>,
    /// Give a parked item up (it is deleted).
    #[arg(long, value_name = "ID")]
    pub drop: Option<i64>,
}

#[derive(Args)]
// `lookup` needs a customer; the till and `send` may go without one.
#[command(group = clap::ArgGroup::new("customer").args(["card", "phone", "email"]).required(true))]
pub struct LookupArgs {
    #[command(flatten)]
    pub who: Who,
    #[command(flatten)]
    pub basket: BasketArgs,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The customer: at most one of card, phone or email.
#[derive(Args)]
#[group(required = false, multiple = false)]
pub struct Who {
    /// Discount card number.
    #[arg(long, value_name = "N")]
    pub card: Option<String>,
    /// Phone number, any common format.
    #[arg(long, value_name = "P")]
    pub phone: Option<String>,
    /// Email address.
    #[arg(long, value_name = "E")]
    pub email: Option<String>,
}

impl Who {
    /// The identifier given, with the kind the flag forces.
    pub fn given(&self) -> Option<(IdentifierKind, &str)> {
        [
            (IdentifierKind::Card, &self.card),
            (IdentifierKind::Phone, &self.phone),
            (IdentifierKind::Email, &self.email),
        ]
        .into_iter()
        .find_map(|(kind, value)| value.as_deref().map(|v| (kind, v)))
    }
}

#[derive(Args)]
pub struct DemoArgs {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Delay every recommendations answer by this many ms.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency_ms: u64,
    /// Delay one source: ID=MS (repeatable).
    #[arg(long, value_name = "ID=MS", value_parser = parse_pair::<u64>)]
    pub source_latency: Vec<(u64, u64)>,
    /// Make one source misbehave: ID=FAULT with FAULT one of 500 (any status),
    /// html, hang, malformed, huge[:MiB], 429once, empty (repeatable).
    #[arg(long, value_name = "ID=FAULT", value_parser = parse_pair::<Fault>)]
    pub fault: Vec<(u64, Fault)>,
    /// Delay every picture by this many ms.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub image_latency_ms: u64,
    /// Require this API key (HTTP Basic password).
    #[arg(long, value_name = "KEY")]
    pub require_key: Option<String>,
}

pub fn parse_pair<T: std::str::FromStr>(s: &str) -> Result<(u64, T), String>
where
    T::Err: std::fmt::Display,
{
    let (id, value) = s.split_once('=').ok_or("expected ID=VALUE")?;
    let id = id
        .trim()
        .parse()
        .map_err(|_| format!("bad source id {id:?}"))?;
    let value = value.trim().parse().map_err(|e: T::Err| e.to_string())?;
    Ok((id, value))
}
