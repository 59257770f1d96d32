//! The demo shop's `POST /api/v1/orders`: takes Yespo's offline orders as
//! the real API describes them, and keeps every order it accepted, so the
//! tests (and a curious developer) can count what arrived. Faults come on a
//! schedule, one per request, and chosen orders can be refused.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::sync::lock;

/// Most orders kept (the oldest go first).
const KEPT: usize = 100_000;

/// What one orders request meets instead of being taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderFault {
    /// This status, with `Retry-After` seconds when given.
    Status(u16, Option<u64>),
    /// No answer for this long (longer than the till waits).
    Hang(Duration),
}

/// Every order the stand-in took, and how it misbehaves.
#[derive(Debug, Default)]
pub struct OrderBook {
    /// Faults for the next requests, first first.
    pub schedule: Mutex<VecDeque<OrderFault>>,
    /// `externalOrderId`s refused with 400, named in `failedOrders`.
    pub refused: Mutex<HashSet<String>>,
    /// Refuse those without naming them (a 400 with no `failedOrders`).
    pub refuse_unnamed: std::sync::atomic::AtomicBool,
    /// Orders taken, as received, oldest first.
    pub accepted: Mutex<VecDeque<Value>>,
    /// Requests received.
    pub requests: AtomicUsize,
    /// The largest number of orders in one request.
    pub largest_batch: AtomicUsize,
}

impl OrderBook {
    /// The orders taken, as received.
    pub fn accepted(&self) -> Vec<Value> {
        lock(&self.accepted).iter().cloned().collect()
    }

    /// How many times an order with this id and status was taken.
    pub fn count(&self, external_id: &str, status: &str) -> usize {
        lock(&self.accepted)
            .iter()
            .filter(|o| o["externalOrderId"] == external_id && o["status"] == status)
            .count()
    }
}

fn json(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// `POST /api/v1/orders`, with the credential already checked.
pub async fn take(book: &OrderBook, headers: &HeaderMap, body: Bytes) -> Response {
    book.requests.fetch_add(1, Ordering::SeqCst);
    let fault = lock(&book.schedule).pop_front();
    match fault {
        Some(OrderFault::Hang(wait)) => {
            tokio::time::sleep(wait).await;
            return json(StatusCode::GATEWAY_TIMEOUT, serde_json::json!({}));
        }
        Some(OrderFault::Status(status, retry_after)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = json(status, serde_json::json!({"error": "scheduled fault"}));
            if let Some(secs) = retry_after
                && let Ok(value) = secs.to_string().parse()
            {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        None => {}
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let parsed: Option<Vec<Value>> = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("orders").and_then(Value::as_array).cloned());
    let Some(orders) = parsed.filter(|o| is_json && !o.is_empty() && o.len() <= 1000) else {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "expected {\"orders\": [1 to 1000 orders]}"}),
        );
    };
    book.largest_batch.fetch_max(orders.len(), Ordering::SeqCst);
    let refused: Vec<String> = {
        let refused = lock(&book.refused);
        orders
            .iter()
            .filter_map(|o| o["externalOrderId"].as_str())
            .filter(|id| refused.contains(*id))
            .map(str::to_string)
            .collect()
    };
    if !refused.is_empty() {
        let named = !book.refuse_unnamed.load(Ordering::SeqCst);
        let body = if named {
            serde_json::json!({"failedOrders": refused
                .iter()
                .map(|id| serde_json::json!({"externalOrderId": id, "message": "invalid order"}))
                .collect::<Vec<_>>()})
        } else {
            serde_json::json!({"error": "invalid orders in the request"})
        };
        return json(StatusCode::BAD_REQUEST, body);
    }
    let mut kept = lock(&book.accepted);
    for order in orders {
        if kept.len() >= KEPT {
            kept.pop_front();
        }
        kept.push_back(order);
    }
    json(
        StatusCode::OK,
        serde_json::json!({"status": "ok", "failedOrders": []}),
    )
}
