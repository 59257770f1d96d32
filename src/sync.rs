//! Small shared helpers for state behind a mutex, wall-clock time and
//! digests written as text.

/// A doorbell: called when something a front end or a loop waits for has
/// arrived (the window passes `ctx.request_repaint`). Used by lookups, the
/// chain's poller, later launches and the pictures.
pub type Wake = std::sync::Arc<dyn Fn() + Send + Sync>;

use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// Locks a mutex even if a thread panicked while holding it: the state
/// guarded here (caches, channels, counters) stays usable, and a till must
/// not go down because one picture task or request handler did.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `bytes` as lowercase hex, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `t` as an RFC 3339 UTC time to the second, e.g. `2026-12-06T10:42:00Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let at =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// `t` as the till's local wall-clock time, `HH:MM` (with `UTC` after it
/// where the local zone cannot be read).
pub fn local_clock(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let Ok(at) = jiff::Timestamp::from_second(secs) else {
        return "00:00 UTC".into();
    };
    match jiff::tz::TimeZone::try_system() {
        Ok(zone) => at.to_zoned(zone).strftime("%H:%M").to_string(),
        Err(_) => at
            .to_zoned(jiff::tz::TimeZone::UTC)
            .strftime("%H:%M UTC")
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_of_a_known_time() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_796_553_720);
        assert_eq!(super::rfc3339(t), "2026-12-06T10:42:00Z");
    }
}
