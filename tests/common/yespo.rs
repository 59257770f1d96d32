//! One stand-in Yespo for the tests: the v2 and v1 recommendation paths,
//! the v1 token rule, pictures, and a record of every request that reached
//! it, whatever its path. What it answers is the test's: one closure per
//! stand-in, given the request, returns items, a status, a raw response or
//! a hang.
//!
//! ```ignore
//! let yespo = StandIn::answering(|asked| match asked.source {
//!     Some(1246) => Reply::items(json!([{"id": "A", "name": "Cap"}])),
//!     _ => Reply::Status(StatusCode::NOT_FOUND),
//! })
//! .delay(ms(150))
//! .start()
//! .await;
//! config.yespo.base_url = yespo.base();
//! ```

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

/// The query parameters that carry the customer, in the API's names.
pub const CUSTOMER_PARAMS: [&str; 4] = ["externalCustomerId", "phone", "email", "contactId"];

/// What a request to the stand-in was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `GET /api/v2/contacts/recoms/{id}`.
    RecomsV2,
    /// `GET /api/v1/recoms/{id}` with a good token.
    RecomsV1,
    /// `POST /api/v1/auth/contact/token`, answered.
    Token,
    /// A v1 request or token request that was refused (401).
    Refused,
    /// `GET /pictures/{file}`.
    Picture,
    /// Any other path: an account's path the till had no business asking.
    Other,
}

/// One request that reached the stand-in.
#[derive(Debug, Clone)]
pub struct Asked {
    /// What it was.
    pub kind: Kind,
    /// Its path and query, as sent.
    pub uri: String,
    /// The data source asked (recommendation requests).
    pub source: Option<u64>,
    /// The query's pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    /// Its headers.
    pub headers: HeaderMap,
    /// Who it is about: the customer parameter of a v2 request or a token
    /// request's body, the token's customer for v1.
    pub customer: String,
}

impl Asked {
    /// Every value of the query parameter `name`.
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The header `name` as text ("" when absent).
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    /// The last segment of its path: a picture's file name.
    pub fn file(&self) -> &str {
        let path = self.uri.split('?').next().unwrap_or_default();
        path.rsplit('/').next().unwrap_or_default()
    }

    /// A recommendation request (v2 or v1).
    pub fn is_recoms(&self) -> bool {
        matches!(self.kind, Kind::RecomsV2 | Kind::RecomsV1)
    }
}

/// What the stand-in answers a recommendation or picture request with.
pub enum Reply {
    /// 200 with this JSON body.
    Json(Value),
    /// This status, with an empty body.
    Status(StatusCode),
    /// This response as it is (HTML, a huge body, odd headers).
    Raw(Response),
    /// Never answers (the connection stays open).
    Hang,
}

impl Reply {
    /// 200 with these items.
    pub fn items(items: Value) -> Self {
        Self::Json(items)
    }
}

type Answer = Arc<dyn Fn(&Asked) -> Reply + Send + Sync>;

/// How the stand-in answers; [`StandIn::start`] serves it.
pub struct StandIn {
    answer: Answer,
    pictures: Answer,
    delay: Duration,
    picture_delay: Duration,
    basic: Option<String>,
}

impl StandIn {
    /// Answers every recommendation request with `answer`'s reply.
    pub fn answering(answer: impl Fn(&Asked) -> Reply + Send + Sync + 'static) -> Self {
        Self {
            answer: Arc::new(answer),
            pictures: Arc::new(|_| Reply::Status(StatusCode::NOT_FOUND)),
            delay: Duration::ZERO,
            picture_delay: Duration::ZERO,
            basic: None,
        }
    }

    /// Answers every recommendation request with these items.
    pub fn items(items: Value) -> Self {
        Self::answering(move |_| Reply::items(items.clone()))
    }

    /// Answers recommendation requests after `delay`.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Answers `GET /pictures/{file}` with `answer` (given the request:
    /// [`Asked::file`] names the picture), after `delay`.
    pub fn pictures(
        mut self,
        delay: Duration,
        answer: impl Fn(&Asked) -> Reply + Send + Sync + 'static,
    ) -> Self {
        self.pictures = Arc::new(answer);
        self.picture_delay = delay;
        self
    }

    /// Gives v1 tokens only to this `Authorization` header (the key's
    /// holder); without it, to anyone.
    pub fn v1_key(mut self, authorization: &str) -> Self {
        self.basic = Some(authorization.to_string());
        self
    }

    /// Serves on a free loopback port, on the current Tokio runtime.
    pub async fn start(self) -> Yespo {
        let shared = Shared {
            stand_in: Arc::new(self),
            asked: Arc::default(),
            tokens: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/api/v2/contacts/recoms/{id}", get(recoms_v2))
            .route("/api/v1/recoms/{id}", get(recoms_v1))
            .route("/api/v1/auth/contact/token", post(token))
            .route("/pictures/{file}", get(picture))
            .fallback(other)
            .with_state(shared.clone());
        let addr = super::serve_router(app).await;
        Yespo {
            addr,
            asked: shared.asked,
        }
    }
}

/// A running stand-in.
pub struct Yespo {
    /// Where it listens.
    pub addr: SocketAddr,
    asked: Arc<Mutex<Vec<Asked>>>,
}

impl Yespo {
    /// The API root to configure: `http://127.0.0.1:PORT/api`.
    pub fn base(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// Every request that reached it so far, in the order they arrived.
    pub fn asked(&self) -> Vec<Asked> {
        self.asked.lock().unwrap().clone()
    }

    /// The recommendation requests so far.
    pub fn recoms(&self) -> Vec<Asked> {
        self.asked().into_iter().filter(Asked::is_recoms).collect()
    }

    /// Forgets what reached it so far.
    pub fn forget(&self) {
        self.asked.lock().unwrap().clear();
    }
}

/// A v1 token the stand-in gave out.
struct Token {
    value: String,
    customer: String,
    spent: bool,
}

#[derive(Clone)]
struct Shared {
    stand_in: Arc<StandIn>,
    asked: Arc<Mutex<Vec<Asked>>>,
    tokens: Arc<Mutex<Vec<Token>>>,
}

impl Shared {
    fn record(&self, asked: &Asked) {
        self.asked.lock().unwrap().push(asked.clone());
    }
}

fn decode(query: Option<String>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn customer_in(query: &[(String, String)]) -> String {
    CUSTOMER_PARAMS
        .iter()
        .find_map(|name| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
        .unwrap_or_default()
}

async fn reply(answer: Reply) -> Response {
    match answer {
        Reply::Json(body) => axum::Json(body).into_response(),
        Reply::Status(status) => status.into_response(),
        Reply::Raw(response) => response,
        Reply::Hang => std::future::pending().await,
    }
}

async fn recoms_v2(
    State(shared): State<Shared>,
    Path(id): Path<u64>,
    RawQuery(query): RawQuery,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let query = decode(query);
    let asked = Asked {
        kind: Kind::RecomsV2,
        uri: uri.to_string(),
        source: Some(id),
        customer: customer_in(&query),
        query,
        headers,
    };
    shared.record(&asked);
    tokio::time::sleep(shared.stand_in.delay).await;
    reply((shared.stand_in.answer)(&asked)).await
}

/// The v1 rule: a token is good once, for the customer it was asked for;
/// each answer carries the next one in `es-token`.
async fn recoms_v1(
    State(shared): State<Shared>,
    Path(id): Path<u64>,
    RawQuery(query): RawQuery,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let presented = headers
        .get("es-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let customer = {
        let mut tokens = shared.tokens.lock().unwrap();
        tokens
            .iter_mut()
            .find(|t| t.value == presented && !t.spent)
            .map(|token| {
                token.spent = true;
                token.customer.clone()
            })
    };
    let mut asked = Asked {
        kind: Kind::RecomsV1,
        uri: uri.to_string(),
        source: Some(id),
        query: decode(query),
        headers,
        customer: customer.clone().unwrap_or_default(),
    };
    let Some(customer) = customer else {
        asked.kind = Kind::Refused;
        shared.record(&asked);
        return StatusCode::UNAUTHORIZED.into_response();
    };
    shared.record(&asked);
    let next = format!("{presented}-next");
    shared.tokens.lock().unwrap().push(Token {
        value: next.clone(),
        customer,
        spent: false,
    });
    tokio::time::sleep(shared.stand_in.delay).await;
    let mut response = reply((shared.stand_in.answer)(&asked)).await;
    if let Ok(value) = next.parse() {
        response.headers_mut().insert("es-token", value);
    }
    response
}

async fn token(
    State(shared): State<Shared>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let customer = CUSTOMER_PARAMS
        .iter()
        .find_map(|name| body[*name].as_str().map(str::to_string))
        .unwrap_or_default();
    let mut asked = Asked {
        kind: Kind::Token,
        uri: uri.to_string(),
        source: None,
        query: Vec::new(),
        headers,
        customer: customer.clone(),
    };
    let allowed = match &shared.stand_in.basic {
        Some(basic) => asked.header("authorization") == *basic,
        None => true,
    };
    if !allowed {
        asked.kind = Kind::Refused;
        shared.record(&asked);
        return StatusCode::UNAUTHORIZED.into_response();
    }
    // Recorded and numbered under one lock: two requests at once are never
    // given the same token.
    let value = {
        let mut tokens = shared.tokens.lock().unwrap();
        let value = format!("tok-{}-{customer}", tokens.len() + 1);
        tokens.push(Token {
            value: value.clone(),
            customer,
            spent: false,
        });
        shared.record(&asked);
        value
    };
    axum::Json(serde_json::json!({ "token": value })).into_response()
}

async fn picture(State(shared): State<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    let asked = Asked {
        kind: Kind::Picture,
        uri: uri.to_string(),
        source: None,
        query: Vec::new(),
        headers,
        customer: String::new(),
    };
    shared.record(&asked);
    tokio::time::sleep(shared.stand_in.picture_delay).await;
    reply((shared.stand_in.pictures)(&asked)).await
}

async fn other(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> StatusCode {
    shared.record(&Asked {
        kind: Kind::Other,
        uri: format!("{method} {uri}"),
        source: None,
        query: Vec::new(),
        headers,
        customer: String::new(),
    });
    StatusCode::NOT_FOUND
}
