//! The Yespo recommendations HTTP client. No UI in here.
//!
//! One [`Client`] per configuration: it holds a shared `reqwest::Client`
//! (connection reuse across sources and lookups), the base URL, the API key
//! and the field mapping, and answers "what does data source N recommend
//! for this customer" with typed products or a [`SourceError`].

pub mod error;
pub mod model;
pub mod token;

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use reqwest::StatusCode;
use tokio::time::Instant;

use crate::basket::Basket;
use crate::config::{AuthMode, CardField, Config, ConfigError, check_base_url};
use crate::identify::{Identifier, IdentifierKind};
use crate::secret::ApiKey;
pub use error::SourceError;
pub use model::{FieldMap, Parsed, Product, tag_text};

/// Largest wait we accept from a `Retry-After` header before giving up.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// Talks to one Yespo account.
#[derive(Clone)]
pub struct Client {
    /// Made at the first request, not when the window starts.
    http: crate::net::LazyClient,
    base: String,
    api_key: Option<ApiKey>,
    /// The till's token for a chain's gateway (`auth = "gateway"`).
    till_token: Option<ApiKey>,
    auth: AuthMode,
    card_field: CardField,
    max_body: usize,
    timeout_ms: u64,
    fields: FieldMap,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("api_key", &self.api_key)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client for a validated configuration. Refuses plain http to
    /// non-loopback hosts before any connection is made.
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        let url = check_base_url(&config.yespo.base_url).map_err(|e| ConfigError::Invalid {
            path: "<config>".into(),
            problem: crate::config::ConfigProblem::new("[yespo]", "base_url", e.to_string()),
        })?;
        Ok(Self {
            http: http_client(&config.network, config.yespo.timeout_ms),
            base: url.as_str().trim_end_matches('/').to_string(),
            api_key: config.yespo.api_key.clone(),
            till_token: config.till_token(),
            auth: config.yespo.auth,
            card_field: config.yespo.card_identifies_as,
            max_body: config.yespo.max_response_bytes,
            timeout_ms: config.yespo.timeout_ms,
            fields: FieldMap {
                image_fields: config.display.image_field.0.clone(),
                old_price_fields: config.display.old_price_field.0.clone(),
            },
        })
    }

    /// The HTTP client, made on first use.
    pub(crate) async fn http(&self) -> Result<&reqwest::Client, SourceError> {
        self.http
            .get()
            .await
            .map_err(|e| SourceError::Network(format!("cannot start the HTTP client: {e}")))
    }

    /// Asks one data source what to recommend for a customer, whatever the
    /// account's API flow (v2 with the key, v1 with contact tokens).
    pub async fn ask(
        &self,
        source_id: u64,
        ident: &Identifier,
        basket: Option<&Basket>,
        deadline: Instant,
    ) -> Result<Parsed, SourceError> {
        let basket = basket.map(Basket::query).unwrap_or_default();
        if self.auth.token_flow() {
            self.recommendations_v1(source_id, ident, &basket, deadline)
                .await
        } else {
            self.recommendations(source_id, ident, &basket, deadline)
                .await
        }
    }

    /// The contact parameter name and value for an identifier.
    fn identity_param<'a>(&self, ident: &'a Identifier) -> (&'static str, &'a str) {
        let name = match ident.kind() {
            IdentifierKind::Card => self.card_field.param(),
            IdentifierKind::Phone => "phone",
            IdentifierKind::Email => "email",
        };
        (name, ident.value())
    }

    /// Asks one data source (v2 API) what to recommend, retrying once on
    /// 429 or 503 when the wait fits before `deadline`.
    pub async fn recommendations(
        &self,
        source_id: u64,
        ident: &Identifier,
        basket: &[(&str, &str)],
        deadline: Instant,
    ) -> Result<Parsed, SourceError> {
        let url = format!("{}/v2/contacts/recoms/{source_id}", self.base);
        let (param, value) = self.identity_param(ident);
        let http = self.http().await?;
        let send = || {
            let req = http.get(&url).query(&[(param, value)]).query(basket);
            self.with_credential(req)
                .header(reqwest::header::ACCEPT, "application/json")
        };
        let mut retried = false;
        loop {
            let response = send()
                .send()
                .await
                .map_err(|e| SourceError::from_reqwest(e, self.timeout_ms))?;
            match self.retry_wait(&response, retried, deadline) {
                Some(wait) => {
                    tracing::debug!(source_id, status = %response.status(), ?wait, "retrying once");
                    drop(response);
                    tokio::time::sleep(wait).await;
                    retried = true;
                }
                None => return self.read_items(source_id, response).await,
            }
        }
    }

    /// Adds this till's credential: behind a gateway its own bearer token
    /// and nothing else secret; otherwise the account's key (HTTP Basic).
    pub(crate) fn with_credential(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if self.auth.via_gateway() {
            return match &self.till_token {
                Some(token) => req.bearer_auth(token.expose()),
                None => req,
            };
        }
        match &self.api_key {
            Some(key) => req.basic_auth("pos-recs", Some(key.expose())),
            None => req,
        }
    }

    /// A 401 from a gateway means this till's token is not on its list.
    pub(crate) fn gateway_refusal(&self, error: SourceError) -> SourceError {
        match error {
            SourceError::Unauthorized if self.auth.via_gateway() => SourceError::NotRegistered,
            other => other,
        }
    }

    /// How long to wait before the one retry, or `None` to take the answer as it is.
    pub(crate) fn retry_wait(
        &self,
        response: &reqwest::Response,
        retried: bool,
        deadline: Instant,
    ) -> Option<Duration> {
        let status = response.status();
        let retryable = matches!(status.as_u16(), 429 | 503);
        if retried || !retryable {
            return None;
        }
        let wait = retry_after(response)
            .unwrap_or_else(|| jitter(Duration::from_millis(100), Duration::from_millis(300)));
        if wait > MAX_RETRY_AFTER {
            return None;
        }
        // Only retry when the wait leaves time for an answer.
        (Instant::now() + wait + Duration::from_millis(50) < deadline).then_some(wait)
    }

    /// Maps the status and reads a size-capped body into products.
    pub(crate) async fn read_items(
        &self,
        source_id: u64,
        response: reqwest::Response,
    ) -> Result<Parsed, SourceError> {
        status_error(response.status(), source_id).map_err(|e| self.gateway_refusal(e))?;
        let body = read_capped(response, self.max_body, self.timeout_ms).await?;
        model::parse_items(&body, &self.fields)
    }

    /// The shared HTTP client and base URL, for the token flow.
    pub(crate) async fn parts(&self) -> Result<(&reqwest::Client, &str), SourceError> {
        Ok((self.http().await?, &self.base))
    }
}

/// The client for Yespo (or the chain's gateway): the proxy policy, a
/// connect timeout within the lookup's, and no redirects, which could
/// take the key to plain http or elsewhere.
fn http_client(network: &crate::net::NetworkConfig, timeout_ms: u64) -> crate::net::LazyClient {
    let network = network.clone();
    crate::net::LazyClient::new(move || {
        crate::net::client_builder(&network)
            .user_agent(concat!("pos-recs/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_millis(timeout_ms.min(3000)))
            .pool_idle_timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
    })
}

/// Maps an HTTP status to the error a cashier should read (`Ok` for 2xx).
pub(crate) fn status_error(status: StatusCode, source_id: u64) -> Result<(), SourceError> {
    if status.is_success() {
        return Ok(());
    }
    Err(match status.as_u16() {
        400 => SourceError::BadRequest(source_id),
        401 => SourceError::Unauthorized,
        403 => SourceError::Forbidden,
        404 => SourceError::NotFound(source_id),
        429 => SourceError::RateLimited,
        code => SourceError::Http {
            status: code,
            source_id,
        },
    })
}

/// Reads the body, refusing more than `cap` bytes (checked before and while reading).
pub(crate) async fn read_capped(
    response: reqwest::Response,
    cap: usize,
    timeout_ms: u64,
) -> Result<Vec<u8>, SourceError> {
    read_body(response, cap).await.map_err(|e| match e {
        BodyError::TooLarge => SourceError::TooLarge(cap),
        BodyError::Transfer(e) => SourceError::from_reqwest(e, timeout_ms),
    })
}

/// Why a body could not be read in full.
pub(crate) enum BodyError {
    /// Over the cap (announced or while reading).
    TooLarge,
    /// The transfer broke.
    Transfer(reqwest::Error),
}

/// Reads a body of at most `cap` bytes, refusing early when the announced
/// length is over it and stopping as soon as the received bytes are.
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transfer)? {
        if body.len() + chunk.len() > cap {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `Retry-After` in seconds, when present and numeric.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    parse_retry_after(value)
}

/// A `Retry-After` value in seconds. `1e20` or `inf` would panic in
/// `Duration::from_secs_f64`; the checked conversion refuses them instead.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    Duration::try_from_secs_f64(secs).ok()
}

/// A random duration in `[low, high)`: spreads retries of many tills apart.
pub fn jitter(low: Duration, high: Duration) -> Duration {
    let span = high.saturating_sub(low).as_millis().max(1) as u64;
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    low + Duration::from_millis(random % span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_values_that_do_not_fit_are_refused_without_panicking() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        for hostile in ["1e20", "inf", "NaN", "-1", "1e400", "soon"] {
            assert_eq!(parse_retry_after(hostile), None, "{hostile}");
        }
    }
}
