//! The till service as the POS link sees it.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::shared::Inner;
use crate::basket::Basket;
use crate::identify::{IdentifierKind, IdentifyError};
use crate::pos_link::{PosEvent, TillPort};
use crate::sale::{Sale, SaleError};
use crate::sync::lock;
use crate::till::{SaleSummary, VoidSummary};

/// The service's side of the POS link: every call is applied, and the
/// document republished, before it returns.
pub(super) struct Port(pub(super) Arc<Inner>);

impl TillPort for Port {
    fn customer(
        &self,
        kind: IdentifierKind,
        raw: &str,
        basket: Option<Basket>,
    ) -> Result<u64, IdentifyError> {
        self.0.pos_customer(kind, raw, basket)
    }

    fn basket(&self, basket: Basket) -> Option<u64> {
        self.0.set_basket(basket)
    }

    fn clear(&self) {
        self.0.clear();
        self.0.tell(super::News::SaleEnded);
    }

    fn sale(&self, sale: &Sale) -> Result<SaleSummary, SaleError> {
        let summary = self.0.finish_sale(sale)?;
        self.0.tell(super::News::SaleEnded);
        Ok(summary)
    }

    fn void(&self, sale_id: &str) -> Result<VoidSummary, SaleError> {
        self.0.void_sale(sale_id)
    }

    fn document(&self) -> Option<Arc<serde_json::Value>> {
        // Without a window, the POS that fetched the cards draws them: they
        // count as shown (once per customer), so "per 100 shown" means the
        // same at a headless till as at a till with its own screen.
        if lock(&self.0.front_wake).is_none() {
            self.0.till().all_cards_seen();
        }
        let document = lock(&self.0.document).clone()?;
        match self.0.orders_waiting() {
            // Orders waiting for Yespo, when the till sends them.
            Some(waiting) => {
                let mut document = (*document).clone();
                document["orders_waiting"] = waiting.into();
                Some(Arc::new(document))
            }
            None => Some(document),
        }
    }

    fn events(&self) -> broadcast::Receiver<PosEvent> {
        self.0.pos_events.subscribe()
    }
}
