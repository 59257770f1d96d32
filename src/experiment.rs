//! The comparison group (`[experiment]`): a stable, random share of the
//! customers is shown no recommendations, so the manager can compare what
//! customers spend with and without them.
//!
//! A customer's group comes from a keyed hash of the normalised identifier:
//! the same customer lands in the same group at every lookup, and, with the
//! chain's key, at every till. Neither the identifier nor the hash is kept.

use std::path::{Path, PathBuf};

use blake2::{Blake2s256, Digest};

use crate::identify::Identifier;

pub use crate::config::MAX_HOLDOUT_PERCENT;

/// Which group a customer is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// Shown recommendations.
    Shown,
    /// The comparison group: shown none, no source asked.
    Holdout,
}

impl Group {
    /// `shown` or `holdout`, as in the POS document, the JSON and the history.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shown => "shown",
            Self::Holdout => "holdout",
        }
    }
}

/// Why the experiment's key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// `[experiment] key` is not 32 to 128 hex digits.
    #[error("must be 32 to 128 hexadecimal digits")]
    BadKey,
    /// No randomness for a new key.
    #[error("cannot make a key: {0}")]
    Random(String),
    /// The kept key could not be read or written.
    #[error("experiment key file {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// Reads a key given as hex.
pub fn parse_key(hex: &str) -> Result<Vec<u8>, ExperimentError> {
    crate::config::parse_hex_key(hex).map_err(|_| ExperimentError::BadKey)
}

/// The running experiment: how many customers are kept out, and the key
/// that decides who.
#[derive(Clone, PartialEq, Eq)]
pub struct Experiment {
    percent: u8,
    key: Vec<u8>,
}

impl std::fmt::Debug for Experiment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of logs.
        f.debug_struct("Experiment")
            .field("percent", &self.percent)
            .finish_non_exhaustive()
    }
}

impl Experiment {
    /// An experiment keeping `percent` (at most 50) of customers out, with `key`.
    pub fn new(percent: u8, key: Vec<u8>) -> Self {
        Self {
            percent: percent.min(MAX_HOLDOUT_PERCENT),
            key,
        }
    }

    /// Off: every customer is shown recommendations.
    pub fn off() -> Self {
        Self::new(0, Vec::new())
    }

    /// The experiment a configuration asks for. With a percentage but no
    /// key, the key is the one kept in `kept` (made there on first use;
    /// with no file to keep it in, a new one for this run).
    pub fn from_config(
        config: &crate::config::ExperimentConfig,
        kept: Option<&Path>,
    ) -> Result<Self, ExperimentError> {
        if config.holdout_percent == 0 {
            return Ok(Self::off());
        }
        let key = match &config.key {
            Some(hex) => parse_key(hex.expose())?,
            None => match kept {
                Some(path) => kept_key(path)?,
                None => new_key()?,
            },
        };
        Ok(Self::new(config.holdout_percent, key))
    }

    /// The share kept out, in percent.
    pub fn percent(&self) -> u8 {
        self.percent
    }

    /// True when some customers are kept out.
    pub fn is_on(&self) -> bool {
        self.percent > 0
    }

    /// The customer's group: stable for one key, random across customers.
    pub fn group_of(&self, customer: &Identifier) -> Group {
        if !self.is_on() {
            return Group::Shown;
        }
        let bucket = self.bucket(customer);
        if bucket < u64::from(self.percent) * 100 {
            Group::Holdout
        } else {
            Group::Shown
        }
    }

    /// 0..10,000 from the keyed hash of the normalised identifier.
    fn bucket(&self, customer: &Identifier) -> u64 {
        let digest = Blake2s256::new()
            .chain_update((self.key.len() as u32).to_le_bytes())
            .chain_update(&self.key)
            .chain_update(customer.kind().as_str())
            .chain_update([0])
            .chain_update(customer.value())
            .finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_le_bytes(first) % 10_000
    }

    /// Names this experiment's period: the same share with the same key is
    /// the same period; a change of either starts a new one, whose figures
    /// are never mixed with the old. Reveals nothing of the key.
    pub fn period(&self) -> String {
        if !self.is_on() {
            return "off".to_string();
        }
        let digest = Blake2s256::new()
            .chain_update(b"pos-recs period")
            .chain_update(&self.key)
            .finalize();
        let tag = crate::sync::hex(&digest[..4]);
        format!("{}%-{tag}", self.percent)
    }
}

/// Where a till keeps its own key: beside the history it is for.
pub fn key_file_beside(history_file: &Path) -> PathBuf {
    history_file.with_extension("experiment-key")
}

/// A new random 256-bit key.
pub fn new_key() -> Result<Vec<u8>, ExperimentError> {
    let mut key = vec![0u8; 32];
    getrandom::fill(&mut key).map_err(|e| ExperimentError::Random(e.to_string()))?;
    Ok(key)
}

/// The key kept at `path`, made and written (readable by this user only)
/// when there is none yet.
pub fn kept_key(path: &Path) -> Result<Vec<u8>, ExperimentError> {
    let file_error = |source| ExperimentError::File {
        path: path.to_path_buf(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => return parse_key(&text),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(file_error(e)),
        Err(_) => {}
    }
    let key = new_key()?;
    let hex = crate::sync::hex(&key);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(file_error)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    match crate::platform::create_private(&mut options).open(path) {
        Ok(mut file) => {
            std::io::Write::write_all(&mut file, hex.as_bytes()).map_err(file_error)?;
            Ok(key)
        }
        // Another till process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            parse_key(&std::fs::read_to_string(path).map_err(file_error)?)
        }
        Err(e) => Err(file_error(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identify::{IdentifierKind, identify};

    fn phone(n: u32) -> Identifier {
        identify(&format!("067{n:07}"), Some(IdentifierKind::Phone), "380").unwrap()
    }

    #[test]
    fn a_fixed_key_gives_a_customer_the_same_group_every_time() {
        let a = Experiment::new(30, vec![7; 32]);
        let b = Experiment::new(30, vec![7; 32]);
        for n in 0..200 {
            assert_eq!(a.group_of(&phone(n)), b.group_of(&phone(n)));
        }
        // Another key sorts customers differently.
        let c = Experiment::new(30, vec![8; 32]);
        assert!((0..200).any(|n| a.group_of(&phone(n)) != c.group_of(&phone(n))));
    }

    #[test]
    fn the_share_kept_out_is_within_two_points_over_ten_thousand_customers() {
        for percent in [5u8, 10, 25, 50] {
            let experiment = Experiment::new(percent, new_key().unwrap());
            let held = (0..10_000)
                .filter(|&n| experiment.group_of(&phone(n)) == Group::Holdout)
                .count();
            let share = held as f64 / 100.0;
            assert!(
                (share - f64::from(percent)).abs() <= 2.0,
                "{percent} % asked, {share} % kept out"
            );
        }
    }

    #[test]
    fn off_keeps_nobody_out_and_the_share_is_capped() {
        let off = Experiment::off();
        assert!((0..1000).all(|n| off.group_of(&phone(n)) == Group::Shown));
        assert_eq!(Experiment::new(90, vec![1; 32]).percent(), 50);
    }

    #[test]
    fn a_new_percentage_or_key_is_a_new_period() {
        let a = Experiment::new(10, vec![1; 32]);
        assert_eq!(a.period(), Experiment::new(10, vec![1; 32]).period());
        assert_ne!(a.period(), Experiment::new(20, vec![1; 32]).period());
        assert_ne!(a.period(), Experiment::new(10, vec![2; 32]).period());
        assert!(
            !a.period().contains("0101"),
            "the key shows in {}",
            a.period()
        );
    }

    #[test]
    fn a_key_is_made_once_kept_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("experiment-key");
        let first = kept_key(&path).unwrap();
        assert_eq!(first.len(), 32);
        assert_eq!(kept_key(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "mode {mode:o}");
        }
        std::fs::write(&path, "not hex").unwrap();
        assert!(matches!(kept_key(&path), Err(ExperimentError::BadKey)));
    }

    #[test]
    fn keys_must_be_hex_of_a_sensible_length() {
        assert!(parse_key(&"ab".repeat(16)).is_ok());
        assert!(parse_key("abcd").is_err());
        assert!(parse_key(&"zz".repeat(16)).is_err());
        assert!(parse_key(&"a".repeat(33)).is_err());
    }
}
