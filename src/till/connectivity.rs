//! Whether the account is reachable, from what the till's requests really
//! met: online, degraded or offline, and when to probe while offline.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::{HEALTH_PROBE_FIRST, HEALTH_PROBE_MAX};

/// How the till reaches the account, derived from what its requests met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetState {
    /// Nothing asked yet.
    Unknown,
    /// Every source answered last time it was asked.
    Online,
    /// Some sources answer, some cannot be reached (timeouts, server errors).
    Degraded,
    /// No source can be reached: shared sources show their last good
    /// answers, personal ones say "offline".
    Offline,
}

impl NetState {
    /// `online`, `degraded` or `offline`, as in the POS document (a till
    /// that has asked nothing yet has met no failure: `online`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown | Self::Online => "online",
            Self::Degraded => "degraded",
            Self::Offline => "offline",
        }
    }
}

/// When the account last answered or failed for network reasons, and
/// whether each source could be reached the last time it was asked.
#[derive(Debug, Default, Clone)]
pub struct Connectivity {
    /// Last answer of any kind from the account.
    pub last_success: Option<Instant>,
    /// Last network failure and its message.
    pub last_failure: Option<(Instant, String)>,
    /// Per source: reached (true) or not (false) when last asked.
    reached: HashMap<u64, bool>,
    /// The state shown: taken from `reached` only when no lookup is
    /// half-answered, so one source's early failure never reads as
    /// "offline" while the others are still answering.
    shown: Option<NetState>,
    /// When the last health probe was sent.
    last_probe: Option<Instant>,
    /// Wait before the next probe (backs off while the outage lasts).
    probe_interval: Option<Duration>,
}

impl Connectivity {
    /// Online, degraded or offline, from the latest outcome of each
    /// source, as of the last settled lookup.
    pub fn state(&self) -> NetState {
        self.shown.unwrap_or(NetState::Unknown)
    }

    /// Takes the sources' latest outcomes as the state shown. True when it changed.
    pub(super) fn settle(&mut self) -> bool {
        let live = Some(self.live());
        let changed = live != self.shown;
        self.shown = live;
        changed
    }

    pub(super) fn live(&self) -> NetState {
        let reached = self.reached.values().filter(|r| **r).count();
        match (reached, self.reached.len()) {
            (_, 0) => NetState::Unknown,
            (0, _) => NetState::Offline,
            (r, n) if r < n => NetState::Degraded,
            _ => NetState::Online,
        }
    }

    /// True when no source can be reached.
    pub fn is_offline(&self) -> bool {
        self.state() == NetState::Offline
    }

    /// Why the till is offline or degraded, when it is.
    pub fn offline_reason(&self) -> Option<&str> {
        match self.state() {
            NetState::Offline | NetState::Degraded => {
                self.last_failure.as_ref().map(|(_, m)| m.as_str())
            }
            _ => None,
        }
    }

    /// Takes one answer of source `source_id` into account. Any HTTP
    /// answer, an error status or "customer not found" included, proves
    /// the account is reachable; what the till answered by itself
    /// (waiting for a basket, "offline") proves nothing.
    pub(super) fn record(
        &mut self,
        source_id: u64,
        outcome: Result<(), &crate::yespo::SourceError>,
    ) {
        use crate::yespo::SourceError;
        match outcome {
            Err(SourceError::NeedsBasket | SourceError::Offline) => {}
            Err(e) if e.is_offline() => {
                self.last_failure = Some((Instant::now(), e.to_string()));
                self.reached.insert(source_id, false);
            }
            _ => {
                self.last_success = Some(Instant::now());
                self.reached.insert(source_id, true);
                self.probe_interval = None;
                self.last_probe = None;
            }
        }
    }

    /// Forgets which sources could not be reached: the account answered
    /// again, and they are asked again (until then they count as neither).
    pub(super) fn forget_failures(&mut self) {
        self.reached.retain(|_, reached| *reached);
    }

    /// Forgets sources no longer configured.
    pub(super) fn keep_only(&mut self, ids: &HashSet<u64>) {
        self.reached.retain(|id, _| ids.contains(id));
        self.settle();
    }

    /// A cashier is waiting on an offline till: the next probe is due
    /// [`HEALTH_PROBE_FIRST`] after the last one, whatever the back-off.
    pub(super) fn hurry(&mut self) {
        self.probe_interval = None;
    }

    /// The wait before the next health probe.
    pub(super) fn interval(&self) -> Duration {
        self.probe_interval.unwrap_or(HEALTH_PROBE_FIRST)
    }

    /// True when a health probe is due now.
    pub(super) fn probe_due(&self) -> bool {
        // Counted from the last probe, or from the failure that made us offline.
        let failed_at = self.last_failure.as_ref().map(|(t, _)| *t);
        let since = self.last_probe.or(failed_at);
        since.is_none_or(|t| t.elapsed() >= self.interval())
    }

    /// Notes a probe sent now and backs the next one off (with jitter, which
    /// spreads tills that went offline together).
    pub(super) fn probe_sent(&mut self) {
        self.last_probe = Some(Instant::now());
        let next = (self.interval() * 2).min(HEALTH_PROBE_MAX)
            + crate::yespo::jitter(Duration::ZERO, Duration::from_millis(500));
        self.probe_interval = Some(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yespo::SourceError;

    #[test]
    fn the_state_comes_from_each_source_s_latest_outcome_once_settled() {
        let mut net = Connectivity::default();
        assert_eq!(net.state(), NetState::Unknown);
        net.record(1, Err(&SourceError::Timeout(500)));
        assert_eq!(net.state(), NetState::Unknown, "not settled yet");
        net.record(2, Ok(()));
        net.settle();
        assert_eq!(net.state(), NetState::Degraded);
        net.record(
            2,
            Err(&SourceError::Http {
                status: 502,
                source_id: 2,
            }),
        );
        net.settle();
        assert_eq!(net.state(), NetState::Offline);
        // What the till answered by itself, and a basket not scanned, prove nothing.
        net.record(2, Err(&SourceError::Offline));
        net.record(1, Err(&SourceError::NeedsBasket));
        net.settle();
        assert_eq!(net.state(), NetState::Offline);
        // A 404 is an answer: the account is there.
        net.record(1, Err(&SourceError::NotFound(1)));
        net.settle();
        assert_eq!(net.state(), NetState::Degraded);
        net.record(2, Ok(()));
        net.settle();
        assert_eq!(net.state(), NetState::Online);
        assert_eq!(net.offline_reason(), None);
    }
}
