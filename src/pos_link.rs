//! The local API for the POS program running on the same till
//! (`[integration] listen`, loopback only, bearer token).
//!
//! The POS says who the customer is and what is in the basket; pos-recs says
//! what it recommends and which product the cashier added to the sale. The
//! server runs on the tokio runtime and never touches the till itself: it
//! checks each request, hands a [`PosCommand`] to whoever drives the
//! [`crate::till::Till`] (the window, in process), and serves the last
//! published snapshot and the event stream.
//!
//! Endpoints (JSON; errors as `{"error": "…"}`):
//! - `POST /v1/customer` `{"card"|"phone"|"email": "…", "products": […], "category": "…"}`
//! - `PUT /v1/basket` `{"products": […], "category": "…"}`
//! - `DELETE /v1/customer`
//! - `GET /v1/recommendations`: the `lookup --json` document of the screen
//! - `GET /v1/events`: Server-Sent Events `product_chosen`, `customer_cleared`

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

use crate::basket::{Basket, BasketError};
use crate::config::IntegrationConfig;
use crate::identify::{Identifier, IdentifierKind, Rules};
use crate::lookup::Wake;
use crate::secret::ApiKey;
use crate::sync::lock;

/// Largest request body accepted: a basket (500 ids at most), not an upload.
pub const MAX_BODY: usize = 256 * 1024;

/// Most connections served at once; more wait in the kernel's queue until
/// one closes, so idle clients cannot use up the till's file handles.
pub const MAX_CONNECTIONS: usize = 64;

/// How long a client has to send a request's headers, and how long an idle
/// kept-alive connection stays open.
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a client has to send a request's body.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// What the POS asked the till to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PosCommand {
    /// Show this customer, as if the cashier had typed them; a basket given
    /// along replaces the sale's basket.
    Customer {
        /// The customer, already checked.
        customer: Identifier,
        /// The basket sent along, if any.
        basket: Option<Basket>,
    },
    /// Replace the sale's basket.
    Basket(Basket),
    /// End the sale: clear for the next customer.
    Clear,
}

/// What the till tells the POS.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PosEvent {
    /// The cashier chose "Add to sale" on a product.
    ProductChosen {
        /// Product id (SKU).
        id: String,
        /// Product name.
        name: String,
        /// Price shown, when known.
        price: Option<f64>,
        /// The data source that recommended it.
        source_id: u64,
    },
    /// The sale ended; the till is ready for the next customer.
    CustomerCleared,
}

impl PosEvent {
    fn name(&self) -> &'static str {
        match self {
            Self::ProductChosen { .. } => "product_chosen",
            Self::CustomerCleared => "customer_cleared",
        }
    }
}

/// State shared with the request handlers.
struct Shared {
    token: ApiKey,
    /// The till's current rules: settings or the chain may change them.
    rules: Mutex<Rules>,
    commands: mpsc::UnboundedSender<PosCommand>,
    events: broadcast::Sender<PosEvent>,
    /// The screen's document, as last published (`None`: no customer).
    snapshot: Mutex<Option<serde_json::Value>>,
    wake: Option<Wake>,
}

/// The running link: the commands that came in, and where to publish.
pub struct PosLink {
    shared: Arc<Shared>,
    commands: mpsc::UnboundedReceiver<PosCommand>,
    server: tokio::task::JoinHandle<()>,
    address: std::net::SocketAddr,
}

impl Drop for PosLink {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Why the link could not start.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// `listen` is not a loopback address.
    #[error("[integration] listen: {0}")]
    Address(String),
    /// No token in the file or the environment.
    #[error("[integration] token: missing; set token or POS_RECS_INTEGRATION_TOKEN")]
    NoToken,
    /// The port could not be opened.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// Where.
        address: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

impl PosLink {
    /// Opens the port and starts serving on `runtime`. `wake` is called when
    /// a command arrives.
    pub fn start(
        config: &IntegrationConfig,
        rules: Rules,
        runtime: &tokio::runtime::Handle,
        wake: Option<Wake>,
    ) -> Result<Self, LinkError> {
        let address = config.address().map_err(LinkError::Address)?;
        let token = config.token().ok_or(LinkError::NoToken)?;
        let listener = std::net::TcpListener::bind(address)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|source| LinkError::Bind { address, source })?;
        let address = listener.local_addr().unwrap_or(address);
        let (commands_tx, commands) = mpsc::unbounded_channel();
        let (events, _) = broadcast::channel(64);
        let shared = Arc::new(Shared {
            token,
            rules: Mutex::new(rules),
            commands: commands_tx,
            events,
            snapshot: Mutex::new(None),
            wake,
        });
        let app = router(shared.clone());
        let server = runtime.spawn(async move {
            match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => serve(listener, app).await,
                Err(e) => tracing::warn!("the POS link could not start: {e}"),
            }
        });
        tracing::info!(%address, "POS link listening");
        Ok(Self {
            shared,
            commands,
            server,
            address,
        })
    }

    /// Where the link listens (the port is known even when 0 was asked).
    pub fn address(&self) -> std::net::SocketAddr {
        self.address
    }

    /// The next command that arrived, if any.
    pub fn next_command(&mut self) -> Option<PosCommand> {
        self.commands.try_recv().ok()
    }

    /// Reads customers by the till's new rules from now on (a changed
    /// country code or card field), exactly as the window does.
    pub fn set_rules(&self, rules: Rules) {
        *lock(&self.shared.rules) = rules;
    }

    /// Publishes what the screen shows now (`None`: no customer).
    pub fn publish(&self, document: Option<serde_json::Value>) {
        *lock(&self.shared.snapshot) = document;
    }

    /// Tells the POS listeners something happened.
    pub fn notify(&self, event: PosEvent) {
        // No listener is fine: the POS may not be subscribed.
        let _ = self.shared.events.send(event);
    }
}

/// Accepts connections up to [`MAX_CONNECTIONS`] at once, each with the
/// header and idle timeout (hyper's, which needs a timer to apply at all).
async fn serve(listener: tokio::net::TcpListener, app: Router) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file handles, most likely: wait rather than spin.
                tracing::warn!("the POS link cannot accept a connection: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            // A client that goes away is no error of the till's.
            let _ = connection.await;
            drop(slot);
        });
    }
}

/// The token is checked before any body is read; then the body is read
/// whole, within [`MAX_BODY`] and [`BODY_TIMEOUT`], for the handlers.
async fn guard(
    State(shared): State<Arc<Shared>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if !authorised(&shared, request.headers()) {
        return error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
    }
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY)).await;
    let body = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body too large (at most {MAX_BODY} bytes)"),
            );
        }
        Err(_) => {
            return error(
                StatusCode::REQUEST_TIMEOUT,
                "the request body came too slowly",
            );
        }
    };
    next.run(axum::extract::Request::from_parts(
        parts,
        axum::body::Body::from(body),
    ))
    .await
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/v1/customer",
            axum::routing::post(post_customer).delete(delete_customer),
        )
        .route("/v1/basket", axum::routing::put(put_basket))
        .route("/v1/recommendations", get(get_recommendations))
        .route("/v1/events", get(get_events))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .route_layer(axum::middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared)
}

/// An API error: a status and a sentence, sent as `{"error": "…"}`.
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.1 });
        (self.0, axum::Json(body)).into_response()
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    ApiError(status, message.into()).into_response()
}

/// Checks `Authorization: Bearer <token>` in constant time.
fn authorised(shared: &Shared, headers: &HeaderMap) -> bool {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .as_bytes();
    let expected = shared.token.expose().as_bytes();
    let mut difference = presented.len() ^ expected.len();
    for (i, byte) in expected.iter().enumerate() {
        difference |= usize::from(byte ^ presented.get(i).copied().unwrap_or(0));
    }
    difference == 0
}

/// The body as JSON of type `T` (the token checked and the size capped by [`guard`]).
fn read_json<T: for<'de> Deserialize<'de>>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let body = body.map_err(|e| {
        let status = e.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!("request body too large (at most {MAX_BODY} bytes)")
        } else {
            "the request body could not be read".into()
        };
        ApiError(status, message)
    })?;
    serde_json::from_slice(&body).map_err(|e| {
        // Only the kind of problem: the body may hold personal data.
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("not the expected JSON: {}", e.classify_message()),
        )
    })
}

/// Short, value-free description of a JSON error.
trait ClassifyMessage {
    fn classify_message(&self) -> &'static str;
}

impl ClassifyMessage for serde_json::Error {
    fn classify_message(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Eof => "cut off",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unknown or mistyped fields",
            serde_json::error::Category::Io => "read error",
        }
    }
}

fn wake(shared: &Shared) {
    if let Some(wake) = &shared.wake {
        wake();
    }
}

/// `POST /v1/customer`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerRequest {
    card: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    products: Option<Vec<String>>,
    category: Option<String>,
}

/// `PUT /v1/basket`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BasketRequest {
    products: Vec<String>,
    category: Option<String>,
}

fn basket_error(e: &BasketError) -> Response {
    error(StatusCode::BAD_REQUEST, e.to_string())
}

async fn post_customer(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let request: CustomerRequest = match read_json(body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let given: Vec<(IdentifierKind, &String)> = [
        (IdentifierKind::Card, request.card.as_ref()),
        (IdentifierKind::Phone, request.phone.as_ref()),
        (IdentifierKind::Email, request.email.as_ref()),
    ]
    .into_iter()
    .filter_map(|(kind, value)| value.map(|v| (kind, v)))
    .collect();
    let [(kind, raw)] = given.as_slice() else {
        return error(
            StatusCode::BAD_REQUEST,
            "give exactly one of \"card\", \"phone\" or \"email\"",
        );
    };
    let identified = lock(&shared.rules).identify(raw, Some(*kind));
    let customer = match identified {
        Ok(customer) => customer,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let basket = match (&request.products, &request.category) {
        (None, None) => None,
        (products, category) => {
            match Basket::new(products.as_deref().unwrap_or_default(), category.as_deref()) {
                Ok(b) => Some(b),
                Err(e) => return basket_error(&e),
            }
        }
    };
    let masked = customer.masked();
    if shared
        .commands
        .send(PosCommand::Customer { customer, basket })
        .is_err()
    {
        return error(StatusCode::CONFLICT, "the till is closing");
    }
    wake(&shared);
    axum::Json(serde_json::json!({ "status": "ok", "customer": masked })).into_response()
}

async fn put_basket(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let request: BasketRequest = match read_json(body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let basket = match Basket::new(&request.products, request.category.as_deref()) {
        Ok(b) => b,
        Err(e) => return basket_error(&e),
    };
    let items = basket.products.len();
    if shared.commands.send(PosCommand::Basket(basket)).is_err() {
        return error(StatusCode::CONFLICT, "the till is closing");
    }
    wake(&shared);
    axum::Json(serde_json::json!({ "status": "ok", "products": items })).into_response()
}

async fn delete_customer(State(shared): State<Arc<Shared>>) -> Response {
    if shared.commands.send(PosCommand::Clear).is_err() {
        return error(StatusCode::CONFLICT, "the till is closing");
    }
    wake(&shared);
    axum::Json(serde_json::json!({ "status": "ok" })).into_response()
}

async fn get_recommendations(State(shared): State<Arc<Shared>>) -> Response {
    match lock(&shared.snapshot).clone() {
        Some(document) => axum::Json(document).into_response(),
        None => error(StatusCode::NOT_FOUND, "no customer on the till"),
    }
}

async fn get_events(State(shared): State<Arc<Shared>>) -> Response {
    let receiver = shared.events.subscribe();
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(event) => {
                    let data = serde_json::to_string(&event).unwrap_or_default();
                    let sse = Event::default().event(event.name()).data(data);
                    return Some((Ok::<Event, Infallible>(sse), receiver));
                }
                // A slow listener missed some events: go on with the next.
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
