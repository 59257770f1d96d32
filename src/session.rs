//! What the screen shows for the current customer, independent of drawing:
//! one state per source section, updated from lookup events, with answers
//! of older lookups refused.

use std::time::{Duration, Instant, SystemTime};

use crate::config::SourceConfig;
use crate::identify::Identifier;
use crate::lookup::LookupEvent;
use crate::yespo::{Product, SourceError};

/// The state of one source section.
#[derive(Debug, Clone)]
pub enum SectionState {
    /// Asked, no answer yet.
    Pending {
        /// When the request started (a spinner appears only after a moment).
        since: Instant,
    },
    /// Answered with products (possibly none).
    Loaded {
        /// The products, cut to `max_cards`.
        products: Vec<Product>,
        /// How long the answer took.
        elapsed: Duration,
        /// Set when these are the source's last good answer from this
        /// time, shown because the source cannot be reached now.
        stale_since: Option<SystemTime>,
    },
    /// Failed; the section shows why and offers Retry.
    Failed {
        /// Why.
        error: SourceError,
        /// How long until it failed.
        elapsed: Duration,
    },
}

/// One section: a configured source and its state.
#[derive(Debug, Clone)]
pub struct Section {
    /// The configured source.
    pub source: SourceConfig,
    /// Its state in this lookup.
    pub state: SectionState,
    /// The request generation whose answer this section waits for: a
    /// section asked again (Retry, a basket change) refuses older answers.
    pub generation: u64,
}

/// One customer's lookup as the screen shows it.
#[derive(Debug, Clone)]
pub struct Session {
    /// Lookup generation; events of other generations are refused.
    pub generation: u64,
    /// The customer (shown masked).
    pub customer: Identifier,
    /// When the lookup started.
    pub started: Instant,
    /// Time until the last section settled, once all have.
    pub finished_after: Option<Duration>,
    /// One section per enabled source, in configured order (none for a
    /// customer in the comparison group).
    pub sections: Vec<Section>,
    /// The customer's group: a held-out customer is shown nothing.
    pub group: crate::experiment::Group,
}

impl Session {
    /// A new lookup: every section pending.
    pub fn new(generation: u64, customer: Identifier, sources: &[SourceConfig]) -> Self {
        let started = Instant::now();
        Self {
            generation,
            customer,
            started,
            finished_after: None,
            sections: sources
                .iter()
                .map(|s| Section {
                    source: s.clone(),
                    state: SectionState::Pending { since: started },
                    generation,
                })
                .collect(),
            group: crate::experiment::Group::Shown,
        }
    }

    /// A customer in the comparison group: no source asked, nothing to show.
    pub fn held_out(generation: u64, customer: Identifier) -> Self {
        Self {
            finished_after: Some(Duration::ZERO),
            group: crate::experiment::Group::Holdout,
            ..Self::new(generation, customer, &[])
        }
    }

    /// Applies an answer. Returns `false` (and changes nothing) when it
    /// belongs to another request than the one the section waits for: one
    /// customer's cards never appear under the next customer, and an answer
    /// for an older basket never replaces a newer one.
    pub fn apply(&mut self, event: LookupEvent) -> bool {
        let r = event.result;
        let Some(section) = self.sections.get_mut(r.index) else {
            return false;
        };
        if section.generation != event.generation || section.source.id != r.source.id {
            return false;
        }
        // Kept cards being refreshed in the background stay until a fresh
        // answer replaces them: a failure (or another kept answer) leaves
        // them as they are.
        let showing_kept = matches!(
            section.state,
            SectionState::Loaded {
                stale_since: Some(_),
                ..
            }
        );
        if showing_kept && (r.outcome.is_err() || r.stale.is_some()) {
            return false;
        }
        section.state = match r.outcome {
            Ok(products) => SectionState::Loaded {
                products,
                elapsed: r.elapsed,
                stale_since: r.stale.map(|stale| stale.since),
            },
            Err(error) => SectionState::Failed {
                error,
                elapsed: r.elapsed,
            },
        };
        if self.finished_after.is_none() && self.is_settled() {
            self.finished_after = Some(self.started.elapsed());
        }
        true
    }

    /// Marks sections pending again, waiting for the answers of request
    /// `generation` (a Retry, or a basket change for the sources using it).
    pub fn reask(&mut self, indices: &[usize], generation: u64) {
        for &index in indices {
            if let Some(section) = self.sections.get_mut(index) {
                section.state = SectionState::Pending {
                    since: Instant::now(),
                };
                section.generation = generation;
            }
        }
        self.finished_after = None;
    }

    /// Asks sections again in the background for request `generation`:
    /// what they show stays until the answer replaces it (kept cards once
    /// the network is back).
    pub fn refresh(&mut self, indices: &[usize], generation: u64) {
        for &index in indices {
            if let Some(section) = self.sections.get_mut(index) {
                section.generation = generation;
            }
        }
    }

    /// True when no section is pending.
    pub fn is_settled(&self) -> bool {
        self.sections
            .iter()
            .all(|s| !matches!(s.state, SectionState::Pending { .. }))
    }

    /// Total products on screen.
    pub fn product_count(&self) -> usize {
        self.sections
            .iter()
            .map(|s| match &s.state {
                SectionState::Loaded { products, .. } => products.len(),
                _ => 0,
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identify::identify;
    use crate::lookup::SourceResult;

    fn sources() -> Vec<SourceConfig> {
        vec![
            SourceConfig {
                id: 1,
                ..Default::default()
            },
            SourceConfig {
                id: 2,
                ..Default::default()
            },
        ]
    }

    fn event(
        generation: u64,
        index: usize,
        id: u64,
        outcome: Result<Vec<Product>, SourceError>,
    ) -> LookupEvent {
        LookupEvent {
            generation,
            result: SourceResult {
                index,
                source: SourceConfig {
                    id,
                    ..Default::default()
                },
                elapsed: Duration::from_millis(5),
                outcome,
                warnings: vec![],
                stale: None,
            },
        }
    }

    #[test]
    fn answers_of_an_older_lookup_are_refused() {
        let who = identify("0671234567", None, "380").unwrap();
        let mut s = Session::new(2, who, &sources());
        assert!(!s.apply(event(1, 0, 1, Ok(vec![]))));
        assert!(matches!(s.sections[0].state, SectionState::Pending { .. }));
        assert!(s.apply(event(2, 0, 1, Ok(vec![]))));
        assert!(matches!(s.sections[0].state, SectionState::Loaded { .. }));
    }

    #[test]
    fn settles_when_every_section_answered() {
        let who = identify("0671234567", None, "380").unwrap();
        let mut s = Session::new(1, who, &sources());
        s.apply(event(1, 1, 2, Err(SourceError::Timeout(10))));
        assert!(!s.is_settled() && s.finished_after.is_none());
        s.apply(event(1, 0, 1, Ok(vec![])));
        assert!(s.is_settled() && s.finished_after.is_some());
        s.reask(&[1], 2);
        assert!(!s.is_settled());
        assert!(
            !s.apply(event(1, 1, 2, Ok(vec![]))),
            "an answer to the first request is refused once the section was asked again"
        );
        assert!(s.apply(event(2, 1, 2, Ok(vec![]))));
        assert!(
            !s.apply(event(1, 5, 9, Ok(vec![]))),
            "unknown index refused"
        );
    }
}
