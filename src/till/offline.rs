//! The till while the account cannot be reached: the health probe that
//! notices the network is back, and the customer on screen asked again
//! when it is.

use std::sync::Arc;

use super::{PROBE_GENERATION, Till};
use crate::identify;
use crate::session::SectionState;

impl Till {
    /// The account is back: the sections of the customer on screen that
    /// were "offline" are asked again, and those showing kept cards are
    /// refreshed in the background (the kept cards stay until the fresh
    /// answer replaces them, so nothing vanishes under the cashier's hands).
    pub(super) fn reask_offline_sections(&mut self) -> bool {
        let Some(session) = &self.customer.session else {
            return false;
        };
        let (mut failed, mut kept) = (Vec::new(), Vec::new());
        for (i, section) in session.sections.iter().enumerate() {
            match &section.state {
                SectionState::Failed { error, .. } if error.is_offline() => failed.push(i),
                SectionState::Loaded {
                    stale_since: Some(_),
                    ..
                } => kept.push(i),
                _ => {}
            }
        }
        if failed.is_empty() && kept.is_empty() {
            return false;
        }
        tracing::info!(
            sections = failed.len() + kept.len(),
            "the account is back: asking again"
        );
        if !failed.is_empty() {
            self.reask(&failed);
        }
        if !kept.is_empty() {
            let generation = self.next_generation();
            if let Some(session) = &mut self.customer.session {
                Arc::make_mut(session).refresh(&kept, generation);
                let customer = session.customer.clone();
                self.spawn(generation, &customer, &kept);
            }
        }
        true
    }

    /// While offline, asks the first source for the made-up customer every
    /// few seconds (backing off), so the till notices by itself when the
    /// network is back.
    pub(super) fn probe_when_offline(&mut self) {
        if !self.connectivity.is_offline() || self.asking.engine.sources().is_empty() {
            return;
        }
        let busy = self
            .customer
            .session
            .as_ref()
            .is_some_and(|s| !s.is_settled());
        if busy || !self.connectivity.probe_due() {
            return;
        }
        self.connectivity.probe_sent();
        let _enter = self.asking.runtime.enter();
        let handle = self.asking.engine.spawn_probe(
            PROBE_GENERATION,
            &identify::account_probe(),
            0,
            self.asking.events_tx.clone(),
            self.asking.wake.clone(),
        );
        self.asking.handles.push(handle);
    }
}
