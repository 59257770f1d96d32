//! An embedded Yespo-compatible server on loopback, serving the demo feed.
//!
//! Used by `cargo run` with no configuration, by `pos-recs demo-server`, by
//! the integration tests and by the benchmarks. It implements
//! `GET /api/v2/contacts/recoms/{id}`, the v1 contact-token flow with strict
//! single-use tokens, and product pictures, with knobs for latency and
//! faults ([`DemoOptions`]).

pub mod data;
pub mod orders;
pub mod pictures;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::oneshot;

use crate::config::Config;
use crate::sync::lock;
pub use data::DemoFeed;

/// A misbehaviour the demo server can be told to show for one data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status and a short JSON error body.
    Status(u16),
    /// Answer 502 with an HTML error page.
    Html,
    /// Never answer.
    Hang,
    /// Answer 200 with JSON cut off in the middle.
    Malformed,
    /// Answer 200 with a body of this many MiB.
    Huge(usize),
    /// Answer 429 (`Retry-After: 0`) once, then normally.
    RateLimitOnce,
    /// Answer 200 with an empty list.
    Empty,
}

impl FromStr for Fault {
    type Err = String;

    /// `500`, `html`, `hang`, `malformed`, `huge` / `huge:20`, `429once`, `empty`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "html" => Self::Html,
            "hang" => Self::Hang,
            "malformed" => Self::Malformed,
            "huge" => Self::Huge(20),
            "429once" => Self::RateLimitOnce,
            "empty" => Self::Empty,
            other => {
                if let Some(mib) = other.strip_prefix("huge:") {
                    Self::Huge(mib.parse().map_err(|_| format!("bad size in {other:?}"))?)
                } else {
                    match other.parse::<u16>() {
                        Ok(code) if (100..600).contains(&code) => Self::Status(code),
                        _ => {
                            return Err(format!(
                                "unknown fault {other:?} (try 500, html, hang, malformed, huge, 429once, empty)"
                            ));
                        }
                    }
                }
            }
        })
    }
}

/// Latency and fault knobs. The default is a fast, well-behaved server.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    /// Delay before every recommendations answer.
    pub latency: Duration,
    /// Per-source delay, replacing `latency` for that source.
    pub source_latency: HashMap<u64, Duration>,
    /// Per-source misbehaviour.
    pub faults: HashMap<u64, Fault>,
    /// Delay before every picture.
    pub image_latency: Duration,
    /// When set, requests must carry this API key (HTTP Basic password).
    pub required_key: Option<String>,
    /// v1: delay before every token answer.
    pub token_latency: Duration,
    /// v1: the token endpoint answers with this status instead of a token.
    pub token_status: Option<u16>,
    /// v1: the next this many recommendation requests get 401 even with a valid token.
    pub revoke_tokens: usize,
    /// v1: how long an unused token stays valid (default 10 minutes).
    pub token_ttl: Option<Duration>,
}

/// How long an unused v1 token lives when no `token_ttl` is set.
const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(600);

/// Counters the tests and benchmarks read.
#[derive(Debug, Default)]
pub struct DemoStats {
    /// Recommendation requests received (v1 and v2).
    pub requests: AtomicUsize,
    /// Recommendation requests being answered right now.
    pub in_flight: AtomicUsize,
    /// Highest `in_flight` seen: proof of concurrency.
    pub max_in_flight: AtomicUsize,
    /// v1 tokens issued.
    pub tokens_issued: AtomicUsize,
    /// v1 requests that presented a spent or unknown token.
    pub tokens_rejected: AtomicUsize,
    /// Picture requests.
    pub images: AtomicUsize,
    /// The latest recommendation requests' query pairs (at most
    /// [`KEPT_QUERIES`]), oldest first: what the till sent, for the tests.
    pub queries: Mutex<std::collections::VecDeque<Vec<(String, String)>>>,
}

/// How many recommendation requests' queries [`DemoStats::queries`] keeps.
pub const KEPT_QUERIES: usize = 1000;

impl DemoStats {
    /// Keeps a request's query pairs.
    fn asked(&self, query: &[(String, String)]) {
        let mut kept = self
            .queries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.len() >= KEPT_QUERIES {
            kept.pop_front();
        }
        kept.push_back(query.to_vec());
    }
}

struct AppState {
    feed: DemoFeed,
    base: String,
    options: Mutex<DemoOptions>,
    stats: Arc<DemoStats>,
    /// Unused v1 tokens and when they were issued.
    tokens: Mutex<HashMap<String, std::time::Instant>>,
    rate_limited: Mutex<HashSet<u64>>,
    pictures: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    orders: Arc<orders::OrderBook>,
}

/// A running demo server; stops when dropped.
pub struct DemoServer {
    addr: SocketAddr,
    state: Arc<AppState>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl DemoServer {
    /// Starts on `127.0.0.1` with a free port.
    pub async fn start(options: DemoOptions) -> std::io::Result<Self> {
        Self::start_on(0, options).await
    }

    /// Starts on `127.0.0.1:port` (0 = any free port).
    pub async fn start_on(port: u16, options: DemoOptions) -> std::io::Result<Self> {
        Self::start_with_orders(port, options, Arc::default()).await
    }

    /// Like [`DemoServer::start_on`], keeping the orders it takes in
    /// `orders` (shared with a server this one replaces).
    pub async fn start_with_orders(
        port: u16,
        options: DemoOptions,
        orders: Arc<orders::OrderBook>,
    ) -> std::io::Result<Self> {
        let feed = DemoFeed::embedded().map_err(std::io::Error::other)?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(AppState {
            feed,
            base: format!("http://{addr}/api"),
            options: Mutex::new(options),
            stats: Arc::default(),
            tokens: Mutex::default(),
            rate_limited: Mutex::default(),
            pictures: Mutex::default(),
            orders,
        });
        let app = Router::new()
            .route("/api/v2/contacts/recoms/{id}", get(v2_recoms))
            .route("/api/v1/auth/contact/token", post(v1_token))
            .route("/api/v1/recoms/{id}", get(v1_recoms))
            .route("/api/images/{file}", get(picture))
            .route("/api/v1/orders", post(post_orders))
            .with_state(state.clone());
        let (tx, rx) = oneshot::channel();
        tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = server.await {
                tracing::error!("demo server stopped: {e}");
            }
        });
        Ok(Self {
            addr,
            state,
            shutdown: Some(tx),
        })
    }

    /// The socket address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base URL to configure, e.g. `http://127.0.0.1:43210/api`.
    pub fn base_url(&self) -> String {
        self.state.base.clone()
    }

    /// A configuration using this server and every demo source.
    pub fn config(&self) -> Config {
        self.state.feed.config(&self.base_url())
    }

    /// Request counters.
    pub fn stats(&self) -> Arc<DemoStats> {
        self.state.stats.clone()
    }

    /// Unused v1 tokens the server still remembers.
    pub fn live_tokens(&self) -> usize {
        lock(&self.state.tokens).len()
    }

    /// Changes the knobs while running (e.g. to simulate a network coming back).
    pub fn set_options(&self, options: DemoOptions) {
        *lock(&self.state.options) = options;
    }

    /// The offline orders it took, and its orders faults.
    pub fn orders(&self) -> Arc<orders::OrderBook> {
        self.state.orders.clone()
    }
}

/// `POST /api/v1/orders`: Yespo's offline orders (see [`orders`]).
async fn post_orders(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let required = lock(&state.options).required_key.clone();
    if !authorised(&headers, required.as_deref()) {
        return json_error(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    orders::take(&state.orders, &headers, body).await
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Counts a request as in flight for as long as it lives.
struct InFlight(Arc<DemoStats>);

impl InFlight {
    fn new(stats: &Arc<DemoStats>) -> Self {
        stats.requests.fetch_add(1, Ordering::SeqCst);
        let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(stats.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// Checks HTTP Basic auth when a key is required.
fn authorised(headers: &HeaderMap, required: Option<&str>) -> bool {
    let Some(required) = required else {
        return true;
    };
    use base64::Engine;
    let decode = |b64: &str| {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .ok()?;
        String::from_utf8(bytes).ok()
    };
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(decode)
        .and_then(|creds| creds.split_once(':').map(|(_, key)| key == required))
        .unwrap_or(false)
}

/// The identifier value from a v2 query, whatever field carries it.
fn customer_of(query: &[(String, String)]) -> Option<&String> {
    ["phone", "email", "externalCustomerId", "contactId", "webId"]
        .iter()
        .find_map(|k| {
            query
                .iter()
                .find(|(name, v)| name == k && !v.is_empty())
                .map(|(_, v)| v)
        })
}

/// The basket a request carried: every `products=` and the `category=`.
fn basket_of(query: &[(String, String)]) -> data::DemoBasket {
    data::DemoBasket {
        products: query
            .iter()
            .filter(|(k, _)| k == "products")
            .map(|(_, v)| v.clone())
            .collect(),
        category: query
            .iter()
            .find(|(k, _)| k == "category")
            .map(|(_, v)| v.clone()),
    }
}

async fn v2_recoms(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let _in_flight = InFlight::new(&state.stats);
    state.stats.asked(&query);
    let required = lock(&state.options).required_key.clone();
    if !authorised(&headers, required.as_deref()) {
        return json_error(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let Ok(id) = id.parse::<u64>() else {
        return json_error(StatusCode::BAD_REQUEST, "dataSourceId must be a number");
    };
    let Some(who) = customer_of(&query).cloned() else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "at least one contact identifier is required",
        );
    };
    answer(&state, id, &who, &basket_of(&query)).await
}

/// The shared part of v1 and v2: latency, faults, then the feed.
async fn answer(state: &AppState, id: u64, who: &str, basket: &data::DemoBasket) -> Response {
    let (delay, fault) = {
        let o = lock(&state.options);
        (
            o.source_latency.get(&id).copied().unwrap_or(o.latency),
            o.faults.get(&id).copied(),
        )
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match fault {
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return json_error(status, "injected fault");
        }
        Some(Fault::Html) => {
            let page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";
            return (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], page).into_response();
        }
        Some(Fault::Hang) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Some(Fault::Malformed) => {
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "[{\"id\": \"SKU-1\", \"name\": \"Cut off",
            )
                .into_response();
        }
        Some(Fault::Huge(mib)) => {
            let item = r#"{"id":"X","name":"Padding item","price":1,"isInStock":1},"#;
            let mut body = String::with_capacity(mib * 1024 * 1024 + 64);
            body.push('[');
            while body.len() < mib * 1024 * 1024 {
                body.push_str(item);
            }
            body.push_str(r#"{"id":"Y","name":"Last"}]"#);
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response();
        }
        Some(Fault::RateLimitOnce) if lock(&state.rate_limited).insert(id) => {
            let mut r = json_error(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("0"));
            return r;
        }
        Some(Fault::Empty) => return axum::Json(Value::Array(vec![])).into_response(),
        Some(Fault::RateLimitOnce) | None => {}
    }
    match state.feed.recommend(id, who, &state.base, basket) {
        Some(items) => axum::Json(Value::Array(items)).into_response(),
        None => json_error(StatusCode::NOT_FOUND, "Data source not found"),
    }
}

/// Issues a single-use token that remembers whose it is (after `|`).
fn new_token(state: &AppState, who: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let n = state.stats.tokens_issued.fetch_add(1, Ordering::SeqCst);
    let salt = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let token = format!("demo-{n}-{salt:016x}|{who}");
    let ttl = lock(&state.options).token_ttl.unwrap_or(DEFAULT_TOKEN_TTL);
    let mut tokens = lock(&state.tokens);
    // Every v1 answer rotates a token that is often never used: expire them,
    // or a long-running demo server grows without bound.
    tokens.retain(|_, issued| issued.elapsed() < ttl);
    tokens.insert(token.clone(), std::time::Instant::now());
    token
}

async fn v1_token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (required, token_status, delay) = {
        let o = lock(&state.options);
        (o.required_key.clone(), o.token_status, o.token_latency)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if !authorised(&headers, required.as_deref()) {
        return json_error(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    if let Some(code) = token_status {
        return json_error(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "injected fault",
        );
    }
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) else {
        return json_error(StatusCode::BAD_REQUEST, "JSON object expected");
    };
    let who = [
        "email",
        "phone",
        "externalCustomerId",
        "userPseudoId",
        "cookie",
    ]
    .iter()
    .find_map(|k| {
        fields
            .get(*k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    });
    match who {
        None => json_error(StatusCode::BAD_REQUEST, "at least one field is required"),
        // Unknown contacts get an empty token, as the real API may do.
        Some(w) if data::is_unknown_customer(w) => {
            axum::Json(serde_json::json!({ "token": "" })).into_response()
        }
        Some(w) => {
            let token = new_token(&state, w);
            axum::Json(serde_json::json!({ "token": token })).into_response()
        }
    }
}

async fn v1_recoms(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let _in_flight = InFlight::new(&state.stats);
    state.stats.asked(&query);
    let presented = headers
        .get("ES-TOKEN")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    // Strictly single-use: a token is spent the moment it is presented.
    let ttl = lock(&state.options).token_ttl.unwrap_or(DEFAULT_TOKEN_TTL);
    let valid = lock(&state.tokens)
        .remove(&presented)
        .is_some_and(|issued| issued.elapsed() < ttl);
    let revoke = {
        let mut o = lock(&state.options);
        let r = o.revoke_tokens > 0;
        o.revoke_tokens = o.revoke_tokens.saturating_sub(1);
        r
    };
    if !valid || revoke {
        state
            .stats
            .tokens_rejected
            .fetch_add(usize::from(!valid), Ordering::SeqCst);
        return json_error(StatusCode::UNAUTHORIZED, "token invalid or already used");
    }
    let who = presented
        .split_once('|')
        .map(|(_, w)| w.to_string())
        .unwrap_or_default();
    let Ok(id) = id.parse::<u64>() else {
        return json_error(StatusCode::BAD_REQUEST, "dataSourceId must be a number");
    };
    let mut response = answer(&state, id, &who, &basket_of(&query)).await;
    let next = new_token(&state, &who);
    if let Ok(v) = HeaderValue::from_str(&next) {
        response.headers_mut().insert("ES-TOKEN", v);
    }
    response
}

async fn picture(State(state): State<Arc<AppState>>, Path(file): Path<String>) -> Response {
    state.stats.images.fetch_add(1, Ordering::SeqCst);
    let delay = lock(&state.options).image_latency;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some(png) = lock(&state.pictures).get(&file).cloned() {
        return png_response(png);
    }
    // Deliberately bad pictures, linked from the feed, that must never crash a till.
    match file.as_str() {
        "corrupt.png" => {
            let mut png = pictures::product_png(&serde_json::json!({})).unwrap_or_default();
            png.truncate(png.len() / 3);
            return png_response(Arc::new(png));
        }
        "bomb.png" => return png_response(Arc::new(pictures::bomb_png(30_000, 30_000))),
        _ => {}
    }
    // "missing.png" is linked on purpose and answers 404, like a real shop's dead link.
    let Some(item) = state
        .feed
        .item_with_picture(&file)
        .filter(|_| file != "missing.png")
        .cloned()
    else {
        return json_error(StatusCode::NOT_FOUND, "no such picture");
    };
    // Drawing takes a few milliseconds: keep it off the async workers.
    let drawn = tokio::task::spawn_blocking(move || pictures::product_png(&item)).await;
    match drawn {
        Ok(Ok(png)) => {
            let png = Arc::new(png);
            lock(&state.pictures).insert(file, png.clone());
            png_response(png)
        }
        _ => json_error(StatusCode::INTERNAL_SERVER_ERROR, "picture failed"),
    }
}

fn png_response(png: Arc<Vec<u8>>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        png.as_ref().clone(),
    )
        .into_response()
}
