//! What can go wrong when asking one data source, in words a cashier can read.
//!
//! Messages never contain the identifier, the API key or the request URL
//! (which carries the identifier in its query).

/// Why one data source gave no products.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// HTTP 401: the API key (or contact token) was refused.
    #[error("API key rejected (HTTP 401)")]
    Unauthorized,
    /// HTTP 401 from a chain's gateway: the till token was refused.
    #[error("this till is not registered with the gateway (HTTP 401)")]
    NotRegistered,
    /// HTTP 403: the account's plan does not include this.
    #[error("access denied: recommendations are not enabled for this account (HTTP 403)")]
    Forbidden,
    /// HTTP 404: no such data source in the account.
    #[error("data source {0} not found (HTTP 404)")]
    NotFound(u64),
    /// HTTP 400: the request was refused as malformed.
    #[error("request refused as invalid by data source {0} (HTTP 400)")]
    BadRequest(u64),
    /// HTTP 429 even after the one allowed retry.
    #[error("too many requests: Yespo rate limit reached (HTTP 429)")]
    RateLimited,
    /// Any other HTTP error status.
    #[error("HTTP {status} from data source {source_id}")]
    Http {
        /// The status code.
        status: u16,
        /// The data source asked.
        source_id: u64,
    },
    /// No complete answer within the configured time.
    #[error("no answer within {0} ms")]
    Timeout(u64),
    /// The answer was not a usable JSON list of products.
    #[error("unreadable answer: {0}")]
    Decode(String),
    /// The answer was larger than the configured cap.
    #[error("answer too large (over {0} bytes)")]
    TooLarge(usize),
    /// The server could not be reached or the connection broke.
    #[error("network error: {0}")]
    Network(String),
    /// v1 token mode: the contact is unknown to Yespo.
    #[error("customer not found")]
    CustomerNotFound,
    /// The source builds on the basket, and the basket is empty: not asked.
    #[error("scan the basket's items to see these")]
    NeedsBasket,
    /// The account cannot be reached now, and no kept answer stands in (a
    /// personal source's never does): the till says so in one sentence
    /// from the first lookup of an outage on; the cause is in the log.
    #[error(
        "offline: the recommendation server cannot be reached; these come back with the network"
    )]
    Offline,
    /// The task answering this source crashed (a bug); other sources are unaffected.
    #[error("internal error while asking this source")]
    Internal,
}

impl SourceError {
    /// The status word of a source that failed this way, as in the CLI's
    /// JSON: `timeout`, `skipped` (waiting for a basket) or `error`.
    pub fn status(&self) -> &'static str {
        match self {
            Self::Timeout(_) => "timeout",
            Self::NeedsBasket => "skipped",
            _ => "error",
        }
    }

    /// True when the failure says the account could not be reached (no
    /// connection, DNS, TLS, no answer in time, a server error or a
    /// gateway without its upstream), rather than something about the
    /// answer: the screen shows "offline", and a shared source's last good
    /// answer may stand in.
    pub fn is_offline(&self) -> bool {
        match self {
            Self::Network(_) | Self::Timeout(_) | Self::Offline => true,
            Self::Http { status, .. } => (500..600).contains(status),
            _ => false,
        }
    }

    /// Describes a reqwest error without the URL (its query holds personal data).
    pub fn from_reqwest(err: reqwest::Error, timeout_ms: u64) -> Self {
        if err.is_timeout() {
            return Self::Timeout(timeout_ms);
        }
        let connect = err.is_connect();
        let err = err.without_url();
        let mut detail = String::new();
        let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(&err);
        while let Some(c) = cause {
            detail = c.to_string();
            cause = c.source();
        }
        let head = if connect {
            "cannot connect to the server"
        } else {
            "connection failed"
        };
        if detail.is_empty() {
            Self::Network(head.into())
        } else {
            Self::Network(format!("{head} ({detail})"))
        }
    }
}
