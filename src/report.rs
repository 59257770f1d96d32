//! Turning lookup results into what the CLI prints: the JSON document of
//! the `lookup --json` contract, a readable text form, and `check`'s table.

use serde::Serialize;

use crate::identify::Identifier;
use crate::lookup::SourceResult;
use crate::money::format_price;
use crate::session::{SectionState, Session};
use crate::yespo::{Product, SourceError, tag_text};

/// The `lookup --json` document.
#[derive(Debug, Serialize)]
pub struct LookupReport<'a> {
    /// The lookup's number on the till (the screen's document only): a POS
    /// tells by it which customer a document or a pick belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lookup: Option<u64>,
    /// The customer, unmasked: this is the lookup's own output, not a log.
    pub identifier: IdentifierJson<'a>,
    /// `holdout` for a customer in the comparison group, who is shown no
    /// recommendations (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<&'static str>,
    /// Whether the till reaches the account: `online`, `degraded` (some
    /// sources cannot be reached) or `offline` (the screen's document only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<&'static str>,
    /// Every enabled source, in configured order.
    pub sources: Vec<SourceJson<'a>>,
}

/// `{"kind": "phone", "value": "380671234567"}`.
#[derive(Debug, Serialize)]
pub struct IdentifierJson<'a> {
    /// `card`, `phone` or `email`.
    pub kind: &'static str,
    /// The normalised value.
    pub value: &'a str,
}

/// One source in the JSON document.
#[derive(Debug, Serialize)]
pub struct SourceJson<'a> {
    /// Data source id.
    pub id: u64,
    /// Configured title.
    pub title: String,
    /// `ok`, `error`, `timeout`, `skipped` (needs a basket) or `pending`.
    pub status: &'static str,
    /// Milliseconds from lookup start to this answer.
    pub elapsed_ms: u64,
    /// Why there are no products (absent when `ok`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Products, cut to `max_cards`.
    pub products: &'a [Product],
    /// When the products are the source's last good answer, shown because
    /// it cannot be reached now: when that answer was fetched (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale_since: Option<String>,
}

/// The `group` field: present for the comparison group only.
pub fn held_out(group: crate::experiment::Group) -> Option<&'static str> {
    (group == crate::experiment::Group::Holdout).then_some(group.as_str())
}

impl<'a> LookupReport<'a> {
    /// Builds the document from a finished lookup.
    pub fn new(ident: &'a Identifier, results: &'a [SourceResult]) -> Self {
        Self {
            lookup: None,
            group: None,
            network: None,
            identifier: IdentifierJson {
                kind: ident.kind().as_str(),
                value: ident.value(),
            },
            sources: results
                .iter()
                .map(|r| SourceJson {
                    id: r.source.id,
                    title: r.source.display_title(),
                    status: r.status(),
                    elapsed_ms: r.elapsed.as_millis() as u64,
                    error: r.outcome.as_ref().err().map(ToString::to_string),
                    products: r.outcome.as_deref().unwrap_or(&[]),
                    stale_since: r.stale.as_ref().map(|s| crate::sync::rfc3339(s.since)),
                })
                .collect(),
        }
    }
}

impl<'a> LookupReport<'a> {
    /// The document for what a screen shows now: the same shape as
    /// `lookup --json`, with sources not answered yet as `pending`, and the
    /// customer masked (it leaves the till's process).
    pub fn from_session(
        session: &'a Session,
        masked: &'a str,
        network: crate::till::NetState,
    ) -> Self {
        Self {
            lookup: Some(session.generation),
            network: Some(network.as_str()),
            identifier: IdentifierJson {
                kind: session.customer.kind().as_str(),
                value: masked,
            },
            group: held_out(session.group),
            sources: session
                .sections
                .iter()
                .map(|section| {
                    let (status, elapsed, error, products, stale): (_, _, _, &[Product], _) =
                        match &section.state {
                            SectionState::Pending { since } => {
                                ("pending", since.elapsed(), None, &[], None)
                            }
                            SectionState::Loaded {
                                products,
                                elapsed,
                                stale_since,
                            } => ("ok", *elapsed, None, products, *stale_since),
                            SectionState::Failed { error, elapsed } => {
                                (error.status(), *elapsed, Some(error.to_string()), &[], None)
                            }
                        };
                    SourceJson {
                        id: section.source.id,
                        title: section.source.display_title(),
                        status,
                        elapsed_ms: elapsed.as_millis() as u64,
                        error,
                        products,
                        stale_since: stale.map(crate::sync::rfc3339),
                    }
                })
                .collect(),
        }
    }
}

/// True when at least one source answered (exit status 0 rather than 3).
pub fn any_answered(results: &[SourceResult]) -> bool {
    results.iter().any(|r| r.outcome.is_ok())
}

/// A readable rendering for a terminal (identifier masked).
pub fn text(ident: &Identifier, results: &[SourceResult], currency: &str) -> String {
    let mut out = format!("Customer: {ident}\n");
    for r in results {
        let head = format!(
            "\n{} (#{}, {})",
            r.source.display_title(),
            r.source.id,
            r.source.kind.label()
        );
        let ms = r.elapsed.as_millis();
        match &r.outcome {
            Ok(products) if products.is_empty() => {
                out.push_str(&format!(
                    "{head} — no recommendations for this customer, {ms} ms\n"
                ));
            }
            Ok(products) => {
                out.push_str(&format!("{head} — {} products, {ms} ms\n", products.len()));
                for p in products {
                    out.push_str(&product_line(p, &r.source.show_tags, currency));
                }
            }
            Err(e) => out.push_str(&format!(
                "{head} — {}: {e} ({ms} ms)\n",
                r.status().to_uppercase()
            )),
        }
    }
    out
}

fn product_line(p: &Product, show_tags: &[String], currency: &str) -> String {
    let price = p
        .price
        .map_or_else(|| "no price".to_string(), |v| format_price(v, currency));
    let old = p
        .discounted_from()
        .map(|v| format!(" (was {})", format_price(v, currency)))
        .unwrap_or_default();
    let stock = match p.in_stock {
        Some(true) => "in stock",
        Some(false) => "OUT OF STOCK",
        None => "stock unknown",
    };
    let tags: Vec<String> = show_tags
        .iter()
        .filter_map(|t| p.tags.get(t).map(|v| format!("{t}={}", tag_text(v))))
        .collect();
    format!(
        "  {:<10} {}  {price}{old}  {stock}  {}\n",
        p.id,
        p.name,
        tags.join(" ")
    )
}

/// `check`'s table: one row per source with status, latency and products or reason.
pub fn check_table(results: &[SourceResult]) -> String {
    let mut out = format!(
        "{:<8} {:<32} {:<8} {:>8}  {}\n",
        "SOURCE", "TITLE", "STATUS", "MS", "RESULT"
    );
    for r in results {
        let detail = match &r.outcome {
            Ok(p) => format!("{} products", p.len()),
            Err(SourceError::CustomerNotFound) => {
                "the account answers (the test customer is unknown, as expected)".into()
            }
            Err(e) => e.to_string(),
        };
        let status = if r.account_answered() {
            "OK".to_string()
        } else {
            r.status().to_uppercase()
        };
        let title: String = r.source.display_title().chars().take(32).collect();
        out.push_str(&format!(
            "{:<8} {:<32} {:<8} {:>8}  {detail}\n",
            r.source.id,
            title,
            status,
            r.elapsed.as_millis()
        ));
    }
    out
}
