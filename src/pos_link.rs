//! The local API for the POS program running on the same till
//! (`[integration] listen`, loopback only, bearer token).
//!
//! The POS says who the customer is and what is in the basket; pos-recs says
//! what it recommends and which product the cashier added to the sale. The
//! server runs on the tokio runtime and is an adapter only: it checks each
//! request and calls the [`TillPort`] (the till service), which applies it
//! before the answer goes. So the link is linearizable: once a `POST`,
//! `PUT` or `DELETE` has answered, every later `GET /v1/recommendations`
//! reflects it. Answers and documents carry the lookup number.
//!
//! Endpoints (JSON; errors as `{"error": "…"}`):
//! - `POST /v1/customer` `{"card"|"phone"|"email": "…", "products": […], "category": "…"}`
//! - `PUT /v1/basket` `{"products": […], "category": "…"}`
//! - `DELETE /v1/customer`
//! - `GET /v1/recommendations`: the `lookup --json` document of the screen
//! - `GET /v1/events`: Server-Sent Events `product_chosen`, `customer_cleared`

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::basket::{Basket, BasketError};
use crate::config::IntegrationConfig;
use crate::identify::{IdentifierKind, IdentifyError};
use crate::secret::ApiKey;

/// Largest request body accepted: a basket (500 ids at most), not an upload.
pub const MAX_BODY: usize = 256 * 1024;

/// Most connections open at once; more wait in the kernel's queue until
/// one closes, so clients cannot use up the till's file handles.
pub const MAX_CONNECTIONS: usize = 512;

/// Most connections open at once that have not yet made a request with the
/// right token. When a new one comes and this many are waiting, the oldest
/// of them is closed: half-open connections from another local process can
/// never keep the POS out; the POS, which sends its request at once, is
/// always among the newest.
pub const MAX_UNPROVEN: usize = 256;

/// How long a client has to send a request's headers, and how long an idle
/// kept-alive connection stays open. A POS on the same machine sends them
/// within milliseconds.
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// How long a client has to send a request's body.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// What the POS link asks of the running till. The till service implements
/// it; each call is applied before it returns.
pub trait TillPort: Send + Sync + 'static {
    /// Shows this customer, read by the till's current rules, with the
    /// basket sent along (replacing the sale's) if any. The lookup number.
    fn customer(
        &self,
        kind: IdentifierKind,
        raw: &str,
        basket: Option<Basket>,
    ) -> Result<u64, IdentifyError>;
    /// Replaces the sale's basket; the lookup number of the customer on
    /// screen, if any.
    fn basket(&self, basket: Basket) -> Option<u64>;
    /// Ends the sale: clear for the next customer.
    fn clear(&self);
    /// The customer on screen finished their sale: record it, then clear
    /// as [`TillPort::clear`] does.
    fn sale(
        &self,
        sale: &crate::sale::Sale,
    ) -> Result<crate::till::SaleSummary, crate::sale::SaleError>;
    /// What the till shows now, as the `lookup --json` document (`None`:
    /// no customer). Replaced whole with each change of state.
    /// The POS voided a recorded sale.
    fn void(&self, sale_id: &str) -> Result<crate::till::VoidSummary, crate::sale::SaleError>;
    fn document(&self) -> Option<Arc<serde_json::Value>>;
    /// What the till tells the POS from now on.
    fn events(&self) -> broadcast::Receiver<PosEvent>;
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
        /// The lookup (customer) the pick belongs to.
        lookup: u64,
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
    till: Arc<dyn TillPort>,
}

/// The running link; dropping it stops the server.
pub struct PosLink {
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
    Address(crate::config::ListenError),
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
    /// Opens the port and starts serving `till` on `runtime`.
    pub fn start(
        config: &IntegrationConfig,
        till: Arc<dyn TillPort>,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Self, LinkError> {
        let address = config.address().map_err(LinkError::Address)?;
        let token = config.token().ok_or(LinkError::NoToken)?;
        let _enter = runtime.enter();
        let listener = listen(address).map_err(|source| LinkError::Bind { address, source })?;
        let address = listener.local_addr().unwrap_or(address);
        let app = router(Arc::new(Shared { token, till }));
        let server = runtime.spawn(serve(listener, app));
        tracing::info!(%address, "POS link listening");
        Ok(Self { server, address })
    }

    /// Where the link listens (the port is known even when 0 was asked).
    pub fn address(&self) -> std::net::SocketAddr {
        self.address
    }
}

/// Connections the kernel queues before the till accepts them: a flood's
/// connections must not fill the queue so that the POS's is dropped (and
/// retried by its kernel only a second later).
const BACKLOG: u32 = 1024;

/// A listener on `address` with a queue of [`BACKLOG`].
fn listen(address: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    crate::platform::listener(address, BACKLOG)
}

/// Accepts connections up to [`MAX_CONNECTIONS`] at once, each with the
/// header and idle timeout (hyper's, which needs a timer to apply at all);
/// the oldest of more than [`MAX_UNPROVEN`] connections without an
/// authorised request is closed to make room.
async fn serve(listener: tokio::net::TcpListener, app: Router) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let unproven = Arc::new(Unproven::default());
    let mut next_id: u64 = 0;
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
        next_id += 1;
        let connection = Arc::new(Connection {
            id: next_id,
            unproven: unproven.clone(),
            closed: tokio::sync::Notify::new(),
        });
        unproven.add(&connection);
        let service = hyper_util::service::TowerToHyperService::new(
            app.clone().layer(axum::Extension(connection.clone())),
        );
        tokio::spawn(async move {
            let serving = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            // A client that goes away is no error of the till's; one evicted
            // is dropped here, which closes its socket.
            tokio::select! {
                _ = serving => {}
                () = connection.closed.notified() => {}
            }
            connection.proven();
            drop(slot);
        });
    }
}

/// One accepted connection, as the eviction knows it.
struct Connection {
    id: u64,
    unproven: Arc<Unproven>,
    /// Told when the connection is evicted.
    closed: tokio::sync::Notify,
}

impl Connection {
    /// It made an authorised request (or ended): never evicted.
    fn proven(&self) {
        self.unproven.remove(self.id);
    }
}

/// The connections without an authorised request yet, oldest first.
#[derive(Default)]
struct Unproven(std::sync::Mutex<std::collections::VecDeque<Arc<Connection>>>);

impl Unproven {
    fn add(&self, connection: &Arc<Connection>) {
        let evicted = {
            let mut waiting = self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            waiting.push_back(connection.clone());
            if waiting.len() > MAX_UNPROVEN {
                waiting.pop_front()
            } else {
                None
            }
        };
        if let Some(oldest) = evicted {
            // notify_one keeps the permit should the task not wait yet.
            oldest.closed.notify_one();
        }
    }

    fn remove(&self, id: u64) {
        let mut waiting = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(at) = waiting.iter().position(|c| c.id == id) {
            waiting.remove(at);
        }
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
    if let Some(connection) = request.extensions().get::<Arc<Connection>>() {
        connection.proven();
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
        .route("/v1/sale", axum::routing::post(post_sale))
        .route("/v1/void", axum::routing::post(post_void))
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

/// Runs a call on the till off the async workers: it may wait for the
/// window to finish drawing a frame.
async fn on_till<T: Send + 'static>(
    shared: &Arc<Shared>,
    call: impl FnOnce(&dyn TillPort) -> T + Send + 'static,
) -> Result<T, Response> {
    let till = shared.till.clone();
    tokio::task::spawn_blocking(move || call(till.as_ref()))
        .await
        .map_err(|_| {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the till could not take it",
            )
        })
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
    let basket = match (&request.products, &request.category) {
        (None, None) => None,
        (products, category) => {
            match Basket::new(products.as_deref().unwrap_or_default(), category.as_deref()) {
                Ok(b) => Some(b),
                Err(e) => return basket_error(&e),
            }
        }
    };
    let (kind, raw) = (*kind, (*raw).clone());
    // Applied before the answer: a GET after this answer shows this customer.
    let shown = on_till(&shared, move |till| {
        till.customer(kind, &raw, basket)
            .map(|lookup| (lookup, till.document()))
    })
    .await;
    match shown {
        Err(response) => response,
        Ok(Err(e)) => error(StatusCode::BAD_REQUEST, e.to_string()),
        Ok(Ok((lookup, document))) => {
            let masked = document
                .as_ref()
                .and_then(|d| d["identifier"]["value"].as_str().map(str::to_string));
            axum::Json(serde_json::json!({ "status": "ok", "customer": masked, "lookup": lookup }))
                .into_response()
        }
    }
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
    match on_till(&shared, move |till| till.basket(basket)).await {
        Err(response) => response,
        Ok(lookup) => {
            axum::Json(serde_json::json!({ "status": "ok", "products": items, "lookup": lookup }))
                .into_response()
        }
    }
}

async fn delete_customer(State(shared): State<Arc<Shared>>) -> Response {
    match on_till(&shared, |till| till.clear()).await {
        Err(response) => response,
        Ok(()) => axum::Json(serde_json::json!({ "status": "ok" })).into_response(),
    }
}

/// What a POS is asked to wait before sending a sale the disk did not take.
const SALE_RETRY_AFTER_SECS: &str = "2";

/// The answer to a sale or void the till refused: what the POS should do
/// is in the status (README, "The sale's guarantees").
fn sale_refused(e: crate::sale::SaleError) -> Response {
    use crate::sale::SaleError;
    match e {
        SaleError::NoCustomer => error(
            StatusCode::CONFLICT,
            "no customer is on screen: send POST /v1/customer first; the sale was not recorded",
        ),
        SaleError::Conflict(_) => error(StatusCode::CONFLICT, e.to_string()),
        SaleError::WrongCurrency { .. } => error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        SaleError::UnknownSale(_) => error(StatusCode::NOT_FOUND, e.to_string()),
        SaleError::NotDurable(_) => {
            let mut response = error(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from_static(SALE_RETRY_AFTER_SECS),
            );
            response
        }
        SaleError::Invalid(_) => error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

/// `POST /v1/sale`: the customer on screen finished their sale.
async fn post_sale(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let sale: crate::sale::Sale = match read_json(body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let sale_id = sale.sale_id.clone();
    match on_till(&shared, move |till| till.sale(&sale)).await {
        Err(response) => response,
        Ok(Err(e)) => sale_refused(e),
        Ok(Ok(summary)) => axum::Json(serde_json::json!({
            "status": "ok",
            "lookup": summary.lookup,
            "group": summary.group.as_str(),
            "lines": summary.lines,
            "recommended_lines": summary.recommended_lines,
            "sale_id": sale_id,
            "repeated": summary.repeated,
        }))
        .into_response(),
    }
}

/// `POST /v1/void`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VoidRequest {
    sale_id: String,
}

/// `POST /v1/void`: a recorded sale is cancelled (refunded, voided).
async fn post_void(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let request: VoidRequest = match read_json(body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let sale_id = request.sale_id.clone();
    match on_till(&shared, move |till| till.void(&request.sale_id)).await {
        Err(response) => response,
        Ok(Err(e)) => sale_refused(e),
        Ok(Ok(summary)) => axum::Json(serde_json::json!({
            "status": "ok",
            "sale_id": sale_id,
            "repeated": summary.repeated,
        }))
        .into_response(),
    }
}

async fn get_recommendations(State(shared): State<Arc<Shared>>) -> Response {
    match shared.till.document() {
        Some(document) => axum::Json(document.as_ref()).into_response(),
        None => error(StatusCode::NOT_FOUND, "no customer on the till"),
    }
}

async fn get_events(State(shared): State<Arc<Shared>>) -> Response {
    let receiver = shared.till.events();
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
