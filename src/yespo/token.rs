//! v1 contact-token flow (`auth = "contact_token"`, or `"gateway_token"`
//! through a chain's gateway, which then is the server tokens come from).
//!
//! A token is single-use: every answer carries the next one in its
//! `ES-TOKEN` header. A concurrent fan-out therefore cannot share one token,
//! so each source task requests its own (all in parallel — the extra cost is
//! one token round-trip), uses the rotated token for its one retry, and on
//! 401 asks for a fresh token once.

use reqwest::StatusCode;
use serde::Deserialize;
use tokio::time::Instant;

use super::{Client, Parsed, SourceError, status_error};
use crate::identify::{Identifier, IdentifierKind};

/// Request/response header carrying the contact token.
pub const TOKEN_HEADER: &str = "ES-TOKEN";

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    token: Option<String>,
}

/// The token endpoint's JSON body for an identifier. Cards go as
/// `externalCustomerId`: the token endpoint has no `contactId` field.
fn token_body(ident: &Identifier) -> serde_json::Value {
    let field = match ident.kind() {
        IdentifierKind::Card => "externalCustomerId",
        IdentifierKind::Phone => "phone",
        IdentifierKind::Email => "email",
    };
    serde_json::json!({ field: ident.value() })
}

impl Client {
    /// Requests a fresh single-use contact token. An empty token means the
    /// contact is unknown: [`SourceError::CustomerNotFound`].
    pub async fn contact_token(&self, ident: &Identifier) -> Result<String, SourceError> {
        let (http, base) = self.parts().await?;
        let req = http
            .post(format!("{base}/v1/auth/contact/token"))
            .json(&token_body(ident));
        let response = self
            .with_credential(req)
            .send()
            .await
            .map_err(|e| SourceError::from_reqwest(e, self.timeout_ms))?;
        // A failing token endpoint is reported like any source failure (id 0 = the token endpoint).
        status_error(response.status(), 0).map_err(|e| match self.gateway_refusal(e) {
            SourceError::Http { status, .. } => {
                SourceError::Network(format!("token request failed (HTTP {status})"))
            }
            SourceError::NotFound(_) => {
                SourceError::Network("token endpoint not found (HTTP 404)".into())
            }
            other => other,
        })?;
        let body = super::read_capped(response, 64 * 1024, self.timeout_ms).await?;
        let answer: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|_| SourceError::Decode("token answer is not the expected JSON".into()))?;
        match answer.token.map(|t| t.trim().to_string()) {
            Some(t) if !t.is_empty() => Ok(t),
            _ => Err(SourceError::CustomerNotFound),
        }
    }

    /// Asks one data source through the v1 token flow.
    pub async fn recommendations_v1(
        &self,
        source_id: u64,
        ident: &Identifier,
        basket: &[(&str, &str)],
        deadline: Instant,
    ) -> Result<Parsed, SourceError> {
        let (http, base) = self.parts().await?;
        let url = format!("{base}/v1/recoms/{source_id}");
        let mut token = self.contact_token(ident).await?;
        let mut refreshed = false;
        let mut retried = false;
        loop {
            let mut request = http.get(&url).query(basket);
            // Behind a gateway the till's bearer token lets it through; the
            // account's key is never sent with a contact token.
            if self.auth.via_gateway() {
                request = self.with_credential(request);
            }
            let response = request
                .header(TOKEN_HEADER, &token)
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(|e| SourceError::from_reqwest(e, self.timeout_ms))?;
            // The token just sent is spent; the answer names the next one.
            let rotated = response
                .headers()
                .get(TOKEN_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .filter(|t| !t.is_empty());
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                tracing::debug!(source_id, "token refused; requesting a fresh one");
                refreshed = true;
                token = self.contact_token(ident).await?;
                continue;
            }
            // Same retry policy as v2 (429/503 once, Retry-After honoured when it fits).
            if let Some(wait) = self.retry_wait(&response, retried, deadline) {
                retried = true;
                drop(response);
                tokio::time::sleep(wait).await;
                token = match rotated {
                    Some(next) => next,
                    None => self.contact_token(ident).await?,
                };
                continue;
            }
            return self.read_items(source_id, response).await;
        }
    }
}
