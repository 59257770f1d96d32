//! The manager's settings as service operations with typed results,
//! usable without a window: "Save" (check the new configuration, keep the
//! chain's sources out of the store's file, write it, switch the till to
//! it), "Test connection", and the sources file's export and import.

use std::path::{Path, PathBuf};

use super::TillService;
use crate::config::{Config, ConfigOrigin};

/// Why the settings were not saved.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The till has nowhere to write its configuration.
    #[error("there is no place to save the settings")]
    NoPlace,
    /// The till could not work with it: nothing was written.
    #[error("{0}")]
    Unusable(crate::config::ConfigError),
    /// The file could not be written.
    #[error("{0}")]
    Write(crate::config::ConfigError),
    /// A sources file could not be written.
    #[error("{0}")]
    Export(String),
    /// A sources file could not be read.
    #[error("{0}")]
    Import(String),
    /// A file was read but holds no sources (the parser's words).
    #[error("{0}")]
    NotSources(String),
}

/// "Test connection": asks each enabled source of `config` once, with the
/// made-up test customer (nobody's data), and says how each answered.
pub async fn test_account(
    config: &Config,
) -> Result<Vec<crate::lookup::SourceResult>, SettingsError> {
    let engine = crate::lookup::LookupEngine::new(config).map_err(SettingsError::Unusable)?;
    Ok(engine.test_account().await)
}

/// Writes `sources` to the sources file at `path` (blocking): how many.
pub fn export_sources(
    sources: Vec<crate::config::SourceConfig>,
    path: &Path,
) -> Result<usize, SettingsError> {
    let export = crate::config::SourcesExport { sources };
    let text = export
        .to_toml()
        .map_err(|e| SettingsError::Export(e.to_string()))?;
    crate::config::write_atomically(path, text.as_bytes())
        .map_err(|e| SettingsError::Export(e.to_string()))?;
    Ok(export.sources.len())
}

/// Reads the sources file at `path` (blocking).
pub fn import_sources(path: &Path) -> Result<Vec<crate::config::SourceConfig>, SettingsError> {
    let text = std::fs::read_to_string(path).map_err(|e| SettingsError::Import(e.to_string()))?;
    crate::config::SourcesExport::parse(&text, path)
        .map(|export| export.sources)
        .map_err(|e| SettingsError::NotSources(e.to_string()))
}

/// What "Save" needs to do its work off the window's thread.
#[derive(Debug, Clone)]
pub struct SaveJob {
    path: PathBuf,
    managed_by_chain: bool,
}

impl SaveJob {
    /// Checks `new` and writes it (blocking: run it off the frame). The
    /// chain's sources live in the chain's file: the store's own list stays
    /// as it is on disk, for when the chain cannot be reached.
    pub fn write(&self, new: &Config) -> Result<(), SettingsError> {
        crate::lookup::LookupEngine::new(new).map_err(SettingsError::Unusable)?;
        let to_write = if self.managed_by_chain {
            with_sources_on_disk(new, &self.path)
        } else {
            new.clone()
        };
        to_write
            .save_preserving(&self.path)
            .map_err(SettingsError::Write)
    }

    /// Where it writes.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl TillService {
    /// What saving the settings will need, or why there is nowhere to save.
    pub fn save_job(&self) -> Result<SaveJob, SettingsError> {
        let path = self
            .place()
            .config_path
            .clone()
            .ok_or(SettingsError::NoPlace)?;
        Ok(SaveJob {
            path,
            managed_by_chain: self.central_status().is_some(),
        })
    }

    /// The file at `path` holds `new` now: the till switches to it.
    pub fn apply_saved(&self, new: Config, path: &Path) -> Result<(), SettingsError> {
        if new.manager.pin_hash != self.config().manager.pin_hash {
            tracing::warn!(config = %path.display(), "manager PIN changed");
        }
        self.reconfigure(new).map_err(SettingsError::Unusable)?;
        self.place().origin = ConfigOrigin::File(path.to_path_buf());
        Ok(())
    }
}

/// `config` with the `[[sources]]` the file at `path` has now (all of
/// `config` when the file cannot be read).
fn with_sources_on_disk(config: &Config, path: &Path) -> Config {
    let own = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| Config::parse(&text, path).ok());
    match own {
        Some(own) => Config {
            sources: own.sources,
            ..config.clone()
        },
        None => config.clone(),
    }
}
