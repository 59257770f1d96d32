//! The sale at the till: recorded exactly once or refused, its Yespo
//! order queued in the same transaction, a void taking it back.

use std::collections::HashSet;
use std::time::Duration;

use super::Till;
use crate::experiment::Group;
use crate::sale::{Sale, SaleError, SaleRecord};
use crate::session::SectionState;

/// How long a sale may wait for the disk (another program holding the
/// history's write lock, a slow disk) before the POS hears "not recorded,
/// send it again". Longer than the history's busy timeout.
const SALE_WRITE_WAIT: Duration = Duration::from_secs(4);

/// What [`Till::void_sale`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoidSummary {
    /// The sale was voided before: nothing changed now.
    pub repeated: bool,
}

/// What [`Till::finish_sale`] recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleSummary {
    /// The lookup the sale belonged to.
    pub lookup: u64,
    /// The customer's group.
    pub group: Group,
    /// Lines in the sale.
    pub lines: usize,
    /// Of them, lines some source had recommended.
    pub recommended_lines: usize,
    /// The sale's `sale_id` was seen before: this is the first answer
    /// again, and nothing was recorded or cleared.
    pub repeated: bool,
}

impl SaleSummary {
    /// The first answer to a sale sent again.
    fn repeat_of(first: &crate::history::Receipt) -> Self {
        Self {
            lookup: first.lookup,
            group: if first.group == Group::Holdout.as_str() {
                Group::Holdout
            } else {
                Group::Shown
            },
            lines: first.lines,
            recommended_lines: first.recommended_lines,
            repeated: true,
        }
    }

    /// What the history keeps of this answer: the `sale_id`'s digest and
    /// the body's.
    fn receipt(&self, digest: String, body: String) -> crate::history::Receipt {
        crate::history::Receipt {
            digest,
            body,
            lookup: self.lookup,
            group: self.group.as_str(),
            lines: self.lines,
            recommended_lines: self.recommended_lines,
        }
    }
}

impl Till {
    /// The customer on screen finished their sale: it is recorded, exactly
    /// once, with what the recommendations sold, and the till is cleared for
    /// the next customer. A `sale_id` recorded before with the same body is
    /// answered as then ([`SaleSummary::repeated`]), even with another
    /// customer on screen; with another body it is refused. Refused, nothing
    /// recorded and the customer kept on screen, when the sale is malformed,
    /// in another currency, no customer is on screen, or it could not be
    /// put on disk.
    pub fn finish_sale(&mut self, sale: &Sale) -> Result<SaleSummary, SaleError> {
        sale.validate_for(&self.config.display.currency)?;
        let record = self.customer.session.as_ref().map(|session| {
            let bought = self.customer.recommended.attribute(sale);
            let recommended_lines: HashSet<&str> =
                bought.iter().map(|b| b.product_id.as_str()).collect();
            let summary = SaleSummary {
                lookup: session.generation,
                group: session.group,
                lines: sale.lines.len(),
                recommended_lines: recommended_lines.len(),
                repeated: false,
            };
            let record = SaleRecord {
                group: session.group,
                period: self.records.experiment.period(),
                total: sale.value(),
                items: sale.items(),
                lines: sale.lines.clone(),
                bought,
            };
            (summary, record)
        });
        let (summary, record) = record.unzip();
        let receipt = sale.sale_id.as_deref().map(|id| {
            // Without a customer only a repeat can be answered: this
            // receipt is looked up, never written.
            let answer = summary.clone().unwrap_or(SaleSummary {
                lookup: 0,
                group: Group::Shown,
                lines: 0,
                recommended_lines: 0,
                repeated: false,
            });
            answer.receipt(
                self.receipt_digest(id),
                sale.body_digest(&self.records.receipt_key),
            )
        });
        let write = crate::history::SaleWrite {
            receipt,
            order: self.order_draft(sale),
            record,
        };
        use crate::history::SaleOutcome;
        // On disk before the POS hears "recorded": the chain's report is
        // made from the file, and a till killed now loses nothing.
        match self.records.history.record_sale(write, SALE_WRITE_WAIT) {
            SaleOutcome::Recorded | SaleOutcome::Off => {}
            SaleOutcome::Repeated(first) => return Ok(SaleSummary::repeat_of(&first)),
            SaleOutcome::Conflict => {
                return Err(SaleError::Conflict(
                    sale.sale_id.clone().unwrap_or_default(),
                ));
            }
            SaleOutcome::NoCustomer => return Err(SaleError::NoCustomer),
            SaleOutcome::Failed(why) => {
                tracing::warn!("a sale was not recorded: {why}");
                return Err(SaleError::NotDurable(why));
            }
        }
        let Some(summary) = summary else {
            return Err(SaleError::NoCustomer);
        };
        self.clear();
        Ok(summary)
    }

    /// The Yespo order of `sale` by the customer on screen, when the till
    /// sends orders (a held-out customer's too: Yespo needs every sale).
    fn order_draft(&self, sale: &Sale) -> Option<crate::history::OrderDraft> {
        let settings = crate::outbox::orders::OrderSettings::from_config(&self.config)?;
        let session = self.customer.session.as_ref()?;
        let card = |product: &str| {
            session
                .sections
                .iter()
                .find_map(|section| match &section.state {
                    SectionState::Loaded { products, .. } => products
                        .iter()
                        .find(|p| p.id == product)
                        .map(|p| crate::outbox::orders::CardFacts {
                            name: p.name.clone(),
                            price: p.price,
                            url: Some(p.url.clone()),
                            image_url: p.image_url.clone(),
                        }),
                    _ => None,
                })
        };
        let mut order = crate::outbox::orders::order_for_sale(
            sale,
            &session.customer,
            &card,
            &settings,
            sale.sale_id.as_deref().unwrap_or_default(),
            crate::sync::unix_secs() as i64,
        );
        if sale.sale_id.is_none()
            && let Some(fields) = order.as_object_mut()
        {
            // Made in the sale's transaction, from its row.
            fields.remove("externalOrderId");
        }
        Some(crate::history::OrderDraft {
            order,
            id_prefix: self.order_id_prefix(),
        })
    }

    /// This till's part of the order ids it makes itself: from its own
    /// receipt key, so two tills of one account never make the same id.
    fn order_id_prefix(&self) -> String {
        use blake2::{Blake2s256, Digest};
        let digest = Blake2s256::new()
            .chain_update(b"pos-recs order id")
            .chain_update(&self.records.receipt_key)
            .finalize();
        format!("pos-recs-{}", crate::sync::hex(&digest[..6]))
    }

    /// The POS voided a recorded sale: it leaves the figures, and Yespo's
    /// order is sent again as `CANCELLED`. A repeat is answered the same.
    pub fn void_sale(&mut self, sale_id: &str) -> Result<VoidSummary, SaleError> {
        let sale_id = sale_id.trim();
        if sale_id.is_empty()
            || sale_id.chars().count() > 128
            || sale_id.chars().any(char::is_control)
        {
            return Err(SaleError::Invalid(
                "sale_id: 1 to 128 printable characters".into(),
            ));
        }
        let void = crate::history::VoidWrite {
            digest: self.receipt_digest(sale_id),
            sale_id: sale_id.to_string(),
            orders: crate::outbox::orders::OrderSettings::from_config(&self.config),
            chain_report: crate::chain::upload::ReportSettings::from_config(&self.config).is_some(),
        };
        use crate::history::VoidOutcome;
        match self.records.history.void_sale(void, SALE_WRITE_WAIT) {
            VoidOutcome::Voided => Ok(VoidSummary { repeated: false }),
            VoidOutcome::AlreadyVoided => Ok(VoidSummary { repeated: true }),
            VoidOutcome::Unknown | VoidOutcome::Off => Err(SaleError::UnknownSale(sale_id.into())),
            VoidOutcome::Failed(why) => {
                tracing::warn!("a void was not recorded: {why}");
                Err(SaleError::NotDurable(why))
            }
        }
    }

    /// The keyed digest a `sale_id` is remembered by.
    fn receipt_digest(&self, sale_id: &str) -> String {
        use blake2::{Blake2s256, Digest};
        let digest = Blake2s256::new()
            .chain_update(b"pos-recs receipt")
            .chain_update((self.records.receipt_key.len() as u32).to_le_bytes())
            .chain_update(&self.records.receipt_key)
            .chain_update(sale_id.as_bytes())
            .finalize();
        crate::sync::hex(&digest[..16])
    }

    /// Keys the digests sales are remembered by with `key` (the history's
    /// own, so a repeat after a restart is recognised).
    pub fn set_receipt_key(&mut self, key: Vec<u8>) {
        self.records.receipt_key = key;
    }
}
