//! Sends the outbox's orders to Yespo (`POST {base}/v1/orders`), in the
//! order queued, in batches of up to [`MAX_BATCH`], on a task of its own
//! with its own connection to the file: a sale never waits for it.
//!
//! - Accepted (2xx): the rows go; any the answer names in `failedOrders`
//!   are parked with Yespo's words.
//! - 400: the orders it names are parked and the rest sent again at once;
//!   when it names none, the batch is halved until the refused order is
//!   found, so one bad order never holds up the others.
//! - 401/403: sending pauses (5 minutes, or until the settings change),
//!   and the status says why.
//! - 429, 5xx, a timeout or no connection: tried again within seconds,
//!   backing off exponentially with jitter up to 5 minutes; a `Retry-After`
//!   is honoured.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

use super::orders::MAX_BATCH;
use super::{Destination, Item, Summary};
use crate::config::Config;
use crate::secret::ApiKey;

/// First wait after a failure that may pass.
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
/// Longest wait between tries (Yespo's own plugins wait about this long).
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// A request that takes longer than this is given up (and tried again):
/// four times a lookup's timeout, 5 to 30 seconds.
fn request_timeout(config: &Config) -> Duration {
    Duration::from_millis(config.yespo.timeout_ms.saturating_mul(4))
        .clamp(Duration::from_secs(5), Duration::from_secs(30))
}
/// How long sending pauses when Yespo refuses the credential.
const PAUSE_ON_REFUSAL: Duration = Duration::from_secs(300);
/// How often the outbox is looked at with nothing to wake it (a parked
/// order retried with `pos-recs outbox --retry` from another process).
const IDLE_LOOK: Duration = Duration::from_secs(10);
/// How much of Yespo's answer is kept with a parked order.
const ANSWER_KEPT: usize = 500;

/// How sending stands, for the status line, the POS document and `outbox`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderStatus {
    /// What is in the outbox.
    pub outbox: Summary,
    /// Why the last send failed, while it keeps failing.
    pub problem: Option<String>,
    /// Orders Yespo accepted since start.
    pub sent: u64,
}

/// Where and how orders go.
#[derive(Clone)]
struct Target {
    url: String,
    timeout: Duration,
    via_gateway: bool,
    credential: Option<ApiKey>,
    network: crate::net::NetworkConfig,
}

impl Target {
    fn from_config(config: &Config) -> Self {
        let via_gateway = config.yespo.auth.via_gateway();
        Self {
            url: format!("{}/v1/orders", config.yespo.base_url.trim_end_matches('/')),
            timeout: request_timeout(config),
            via_gateway,
            credential: if via_gateway {
                config.till_token()
            } else {
                config.yespo.api_key.clone()
            },
            network: config.network.clone(),
        }
    }
}

/// The sending task. Dropping it stops it; the outbox stays on disk.
pub struct OrderSender {
    task: tokio::task::JoinHandle<()>,
    status: Arc<Mutex<SenderStatus>>,
    doorbell: Arc<tokio::sync::Notify>,
    /// The outbox's connection, once the worker opened it.
    db: Arc<Mutex<Option<Db>>>,
}

/// The history file's connection, shared with blocking workers.
type Db = Arc<Mutex<Connection>>;

impl Drop for OrderSender {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for OrderSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderSender")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl OrderSender {
    /// Starts sending the outbox of the history at `history_file`.
    pub fn start(config: &Config, history_file: PathBuf, runtime: &tokio::runtime::Handle) -> Self {
        let status: Arc<Mutex<SenderStatus>> = Arc::default();
        let doorbell = Arc::new(tokio::sync::Notify::new());
        let db: Arc<Mutex<Option<Db>>> = Arc::default();
        let worker = Worker {
            file: history_file,
            target: Target::from_config(config),
            status: status.clone(),
            doorbell: doorbell.clone(),
            shared_db: db.clone(),
        };
        let task = runtime.spawn(worker.run());
        Self {
            task,
            status,
            doorbell,
            db,
        }
    }

    /// Orders waiting now, read from the outbox itself (for the POS
    /// document: exact the moment a sale is answered). Blocks briefly.
    pub fn waiting_now(&self) -> u64 {
        let db = self.db.lock().ok().and_then(|d| d.clone());
        match db {
            Some(db) => {
                let conn = db.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                super::summary(&conn, Destination::YespoOrders).map_or(0, |s| s.waiting)
            }
            None => self.status().outbox.waiting,
        }
    }

    /// A new order was queued: counted at once (the sender may be waiting
    /// out a failure), and sent without waiting for the next look.
    pub fn wake(&self) {
        if let Ok(mut status) = self.status.lock() {
            status.outbox.waiting += 1;
            status
                .outbox
                .oldest
                .get_or_insert(crate::sync::unix_secs() as i64);
        }
        self.doorbell.notify_one();
    }

    /// How sending stands.
    pub fn status(&self) -> SenderStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

struct Worker {
    file: PathBuf,
    target: Target,
    status: Arc<Mutex<SenderStatus>>,
    doorbell: Arc<tokio::sync::Notify>,
    shared_db: Arc<Mutex<Option<Db>>>,
}

/// What one request met.
enum Answer {
    /// Taken; these keys were refused (with why).
    Accepted(Vec<(String, String)>),
    /// 400: these keys were named as refused, or none.
    Refused(Vec<(String, String)>, String),
    /// 401 or 403.
    Unauthorised(u16),
    /// Worth trying again later, after at least this long when the far side said.
    Later(String, Option<Duration>),
}

/// Runs `work` with the outbox's connection, off the async workers.
async fn with_db<T: Send + 'static>(
    db: &Db,
    work: impl FnOnce(&mut Connection) -> Result<T, super::OutboxError> + Send + 'static,
) -> Result<T, String> {
    let db = db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        work(&mut conn).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

impl Worker {
    async fn run(self) {
        let http = match crate::net::chain_client(&self.target.network, self.target.timeout) {
            Ok(http) => http,
            Err(e) => {
                self.set_problem(Some(format!("no HTTP client for the orders ({e})")));
                return;
            }
        };
        let file = self.file.clone();
        let conn = match tokio::task::spawn_blocking(move || crate::history::open(&file)).await {
            Ok(Ok(conn)) => Arc::new(Mutex::new(conn)),
            Ok(Err(e)) => {
                self.set_problem(Some(format!("the outbox cannot be opened ({e})")));
                return;
            }
            Err(_) => return,
        };
        if let Ok(mut shared) = self.shared_db.lock() {
            *shared = Some(conn.clone());
        }
        let mut backoff = FIRST_BACKOFF;
        loop {
            self.refresh(&conn).await;
            let batch = with_db(&conn, |db| {
                super::waiting(db, Destination::YespoOrders, MAX_BATCH)
            })
            .await
            .unwrap_or_default();
            if batch.is_empty() {
                self.set_problem(None);
                self.sleep(IDLE_LOOK).await;
                continue;
            }
            let wait = match self.send_all(&http, &conn, batch).await {
                Ok(()) => {
                    backoff = FIRST_BACKOFF;
                    self.set_problem(None);
                    continue;
                }
                Err(Answer::Unauthorised(status)) => {
                    self.set_problem(Some(format!(
                        "Yespo refused the till's credential for orders (HTTP {status}): {}; orders wait",
                        if self.target.via_gateway {
                            "is this till registered with the gateway?"
                        } else {
                            "check the API key"
                        }
                    )));
                    PAUSE_ON_REFUSAL
                }
                Err(Answer::Later(why, at_least)) => {
                    self.set_problem(Some(why));
                    // Jitter spreads tills that failed together; a
                    // Retry-After is a floor.
                    let at_least = at_least.unwrap_or_default();
                    let wait = crate::yespo::jitter(backoff, backoff + backoff / 2)
                        .min(MAX_BACKOFF)
                        .max(at_least);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    wait
                }
                Err(_) => FIRST_BACKOFF,
            };
            self.refresh(&conn).await;
            // After a failure a new sale must not hurry the retry.
            tokio::time::sleep(wait).await;
        }
    }

    /// Waits `wait`, or less when an order is queued.
    async fn sleep(&self, wait: Duration) {
        let _ = tokio::time::timeout(wait, self.doorbell.notified()).await;
    }

    /// Sends `batch`, halving a part Yespo refuses without naming an
    /// order, until every order is taken or parked. Stops at a failure
    /// that is worth trying again, with the rest still waiting.
    async fn send_all(
        &self,
        http: &reqwest::Client,
        conn: &Db,
        batch: Vec<Item>,
    ) -> Result<(), Answer> {
        let mut parts: Vec<Vec<Item>> = vec![batch];
        while let Some(part) = parts.pop() {
            let ids: Vec<i64> = part.iter().map(|i| i.id).collect();
            let tried = ids.clone();
            let _ = with_db(conn, move |db| super::tried(db, &tried)).await;
            match self.post(http, &part).await {
                Answer::Accepted(refused) => {
                    let (parked, taken) = split_named(&part, &refused);
                    self.settle(conn, parked, taken).await;
                }
                Answer::Refused(named, _) if !named.is_empty() => {
                    let (parked, rest) = split_named(&part, &named);
                    let sent_on = rest.len();
                    self.settle(conn, parked, Vec::new()).await;
                    if sent_on > 0 {
                        // The rest goes again at once (it is still waiting).
                        let rest: Vec<Item> = part
                            .into_iter()
                            .filter(|i| !named.iter().any(|(k, _)| *k == i.key))
                            .collect();
                        parts.push(rest);
                    }
                }
                Answer::Refused(_, answer) if part.len() == 1 => {
                    let parked = vec![(part[0].id, answer)];
                    self.settle(conn, parked, Vec::new()).await;
                }
                Answer::Refused(..) => {
                    let mut first = part;
                    let second = first.split_off(first.len() / 2);
                    // The first half goes first: the order queued is kept.
                    parts.push(second);
                    parts.push(first);
                }
                other => return Err(other),
            }
        }
        Ok(())
    }

    /// Parks and deletes what one answer decided.
    async fn settle(&self, conn: &Db, parked: Vec<(i64, String)>, taken: Vec<i64>) {
        let accepted = taken.len() as u64;
        for (id, _) in &parked {
            tracing::warn!(
                item = id,
                "Yespo refused an order: parked (see pos-recs outbox)"
            );
        }
        let done = with_db(conn, move |db| {
            for (id, answer) in &parked {
                super::park(db, *id, answer)?;
            }
            super::accepted(db, &taken)
        })
        .await;
        match done {
            Ok(()) => {
                if let Ok(mut status) = self.status.lock() {
                    status.sent += accepted;
                }
            }
            Err(e) => tracing::warn!("the outbox cannot be updated: {e}"),
        }
    }

    async fn post(&self, http: &reqwest::Client, part: &[Item]) -> Answer {
        let orders: Vec<serde_json::Value> = part
            .iter()
            .filter_map(|i| serde_json::from_str(&i.payload).ok())
            .collect();
        let body = serde_json::json!({ "orders": orders });
        let mut request = http
            .post(&self.target.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            // How many orders, for the gateway's access log (no personal data).
            .header("X-Pos-Recs-Orders", part.len().to_string())
            .body(body.to_string());
        request = match (&self.target.credential, self.target.via_gateway) {
            (Some(token), true) => request.bearer_auth(token.expose()),
            (Some(key), false) => request.basic_auth("pos-recs", Some(key.expose())),
            (None, _) => request,
        };
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) if e.is_timeout() => {
                return Answer::Later("Yespo did not answer in time".into(), None);
            }
            Err(e) => {
                return Answer::Later(
                    format!("Yespo cannot be reached ({})", e.without_url()),
                    None,
                );
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|secs| Duration::from_secs(secs.min(3600)));
        let text = read_limited(response).await;
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let named = super::orders::failed_orders(&answer);
        match status.as_u16() {
            200..=299 => Answer::Accepted(named),
            400 | 413 | 422 => Answer::Refused(named, format!("HTTP {status}: {}", shorten(&text))),
            401 | 403 => Answer::Unauthorised(status.as_u16()),
            429 => Answer::Later(
                "Yespo asks the till to slow down (HTTP 429)".into(),
                retry_after,
            ),
            code => Answer::Later(format!("Yespo answered HTTP {code}"), retry_after),
        }
    }

    async fn refresh(&self, conn: &Db) {
        if let Ok(summary) = with_db(conn, |db| super::summary(db, Destination::YespoOrders)).await
            && let Ok(mut status) = self.status.lock()
        {
            status.outbox = summary;
        }
    }

    fn set_problem(&self, problem: Option<String>) {
        if let Ok(mut status) = self.status.lock() {
            if let Some(p) = &problem
                && status.problem != problem
            {
                tracing::warn!("orders are not sent to Yespo: {p}; they wait in the outbox");
            }
            status.problem = problem;
        }
    }
}

/// The body, at most 64 KiB of it.
async fn read_limited(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() > 64 * 1024 {
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// At most [`ANSWER_KEPT`] characters, control characters removed.
fn shorten(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(ANSWER_KEPT)
        .collect()
}

/// The items `named` refuses, with why, and the ids of the others.
fn split_named(part: &[Item], named: &[(String, String)]) -> (Vec<(i64, String)>, Vec<i64>) {
    let mut parked = Vec::new();
    let mut taken = Vec::new();
    for item in part {
        match named.iter().find(|(key, _)| *key == item.key) {
            Some((_, why)) => parked.push((
                item.id,
                if why.is_empty() {
                    "refused by Yespo".to_string()
                } else {
                    shorten(why)
                },
            )),
            None => taken.push(item.id),
        }
    }
    (parked, taken)
}
