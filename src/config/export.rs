//! Sources exported from one till and imported on another.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::schema::{Config, SourceConfig};
use super::{ConfigError, describe_toml_error};

/// The `[[sources]]` part of a configuration, for copying one shop's setup
/// to other tills. Holds no secrets (no key, no PIN).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourcesExport {
    /// The sources, in order.
    pub sources: Vec<SourceConfig>,
}

impl SourcesExport {
    /// TOML text of the sources.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string_pretty(self)
    }

    /// Parses and checks exported sources (unknown keys and duplicate ids refused).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let export: SourcesExport = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: describe_toml_error(&e, text),
        })?;
        let probe = Config {
            sources: export.sources.clone(),
            ..Config::default()
        };
        probe.validate().map_err(|problem| ConfigError::Invalid {
            path: path.to_path_buf(),
            problem,
        })?;
        Ok(export)
    }
}
