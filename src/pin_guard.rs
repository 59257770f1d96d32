//! Brute-force guard for the manager PIN: after [`FREE_TRIES`] wrong PINs in
//! a row the prompt makes the next try wait 30 s, doubling with every further
//! wrong PIN up to 15 minutes. The count and the wait are kept in a small
//! file beside the config, so restarting the till does not reset them.
//!
//! A keyboard emulator can try all 10,000 four-digit PINs in minutes without
//! this; with it, the 5 free tries per wait cap it at a few dozen an hour.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::sync::unix_secs;

/// Wrong PINs allowed before the first wait.
pub const FREE_TRIES: u32 = 5;
/// The first wait.
pub const FIRST_WAIT: Duration = Duration::from_secs(30);
/// The longest wait.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// The guard's state and where it is kept.
#[derive(Debug, Clone)]
pub struct PinGuard {
    path: Option<PathBuf>,
    failures: u32,
    /// Unix seconds until which no PIN is checked.
    locked_until: u64,
}

impl PinGuard {
    /// The guard kept in `path` (a fresh one when the file is missing or unreadable).
    pub fn load(path: Option<PathBuf>) -> Self {
        let text = path
            .as_deref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        let mut numbers = text.split_whitespace().map(|n| n.parse::<u64>().ok());
        let failures = numbers.next().flatten().unwrap_or(0);
        let locked_until = numbers.next().flatten().unwrap_or(0);
        Self {
            path,
            failures: u32::try_from(failures).unwrap_or(u32::MAX),
            locked_until,
        }
    }

    /// The guard file for a config file: beside it, so each till's config
    /// has its own; in the user's data folder when the config's folder
    /// cannot be written (the machine-wide `/etc/pos-recs/config.toml`), so
    /// a restart never resets the count there either.
    pub fn path_for(config: &Path) -> PathBuf {
        let beside = config.with_file_name("pin-guard.state");
        if crate::config::can_write(&beside) {
            return beside;
        }
        directories::ProjectDirs::from("", "", "pos-recs")
            .map_or(beside, |dirs| dirs.data_dir().join("pin-guard.state"))
    }

    /// How long until a PIN may be tried again, if a wait is running.
    pub fn wait_left(&self) -> Option<Duration> {
        let now = unix_secs();
        (self.locked_until > now).then(|| Duration::from_secs(self.locked_until - now))
    }

    /// Wrong PINs in a row so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Counts a wrong PIN, starts the wait when due, and keeps the state on disk.
    pub fn record_failure(&mut self) {
        self.failures = self.failures.saturating_add(1);
        if let Some(wait) = wait_after(self.failures) {
            self.locked_until = unix_secs().saturating_add(wait.as_secs());
        }
        tracing::warn!(
            failures = self.failures,
            "wrong manager PIN entered (the PIN itself is not logged)"
        );
        self.save();
    }

    /// The right PIN: the count starts again.
    pub fn record_success(&mut self) {
        if self.failures > 0 || self.locked_until > 0 {
            self.failures = 0;
            self.locked_until = 0;
            self.save();
        }
    }

    fn save(&self) {
        let Some(path) = &self.path else {
            return;
        };
        let text = format!("{} {}\n", self.failures, self.locked_until);
        if let Err(e) = crate::config::write_atomically(path, text.as_bytes()) {
            tracing::warn!("cannot keep the PIN guard in {}: {e}", path.display());
        }
    }
}

/// The wait after `failures` wrong PINs in a row, if any.
pub fn wait_after(failures: u32) -> Option<Duration> {
    let over = failures.checked_sub(FREE_TRIES)?;
    let factor = 1u64 << over.min(10);
    let secs = FIRST_WAIT.as_secs().saturating_mul(factor);
    Some(Duration::from_secs(secs).min(MAX_WAIT))
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_guard_lives_beside_a_writable_config_and_elsewhere_for_a_machine_wide_one() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        assert_eq!(
            PinGuard::path_for(&config),
            dir.path().join("pin-guard.state")
        );
        let system = PinGuard::path_for(Path::new("/proc/pos-recs/config.toml"));
        assert!(!system.starts_with("/proc"), "{}", system.display());
        assert!(system.ends_with("pin-guard.state"));
    }

    use super::*;

    #[test]
    fn waits_start_after_five_and_double_up_to_fifteen_minutes() {
        assert_eq!(wait_after(4), None);
        assert_eq!(wait_after(5), Some(Duration::from_secs(30)));
        assert_eq!(wait_after(6), Some(Duration::from_secs(60)));
        assert_eq!(wait_after(7), Some(Duration::from_secs(120)));
        assert_eq!(wait_after(9), Some(Duration::from_secs(480)));
        assert_eq!(wait_after(10), Some(MAX_WAIT));
        assert_eq!(wait_after(u32::MAX), Some(MAX_WAIT));
    }

    #[test]
    fn the_wait_survives_a_restart_and_a_right_pin_resets_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = PinGuard::path_for(&dir.path().join("config.toml"));
        let mut guard = PinGuard::load(Some(path.clone()));
        for _ in 0..4 {
            guard.record_failure();
        }
        assert!(guard.wait_left().is_none(), "four free tries");
        guard.record_failure();
        let wait = guard.wait_left().expect("locked after five");
        assert!(
            wait > Duration::from_secs(25) && wait <= FIRST_WAIT,
            "{wait:?}"
        );
        // The till restarts: the wait is still there.
        let restarted = PinGuard::load(Some(path.clone()));
        assert_eq!(restarted.failures(), 5);
        assert!(restarted.wait_left().is_some());
        let mut restarted = restarted;
        restarted.record_success();
        assert!(PinGuard::load(Some(path)).wait_left().is_none());
    }

    #[test]
    fn a_garbled_guard_file_starts_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g");
        std::fs::write(&path, "lots of nonsense").unwrap();
        let guard = PinGuard::load(Some(path));
        assert_eq!(guard.failures(), 0);
        assert!(guard.wait_left().is_none());
    }
}
