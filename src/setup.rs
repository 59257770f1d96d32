//! Choosing the configuration at start: an explicit `--config` file, the
//! platform default file, or — when there is none — the built-in demo.

use std::path::PathBuf;

use crate::config::{self, Config, ConfigError, ConfigOrigin};
use crate::demo::{DemoOptions, DemoServer};

/// Where the configuration will come from, before anything is started.
#[derive(Debug)]
pub enum Located {
    /// A file that exists (or was named explicitly and must exist).
    File(PathBuf),
    /// No file: use the demo. Carries the default path that was looked at, if any.
    Demo(Option<PathBuf>),
}

/// Finds the config file: `explicit` must exist; otherwise the platform
/// default is used when present, and the demo when not.
pub fn locate(explicit: Option<PathBuf>) -> Located {
    if let Some(path) = explicit {
        return Located::File(path);
    }
    match config::default_path() {
        Some(path) if path.exists() => Located::File(path),
        other => Located::Demo(other),
    }
}

/// A ready configuration, plus the demo server when one had to be started
/// (it stops when this is dropped).
pub struct Ready {
    /// The configuration to use.
    pub config: Config,
    /// Where it came from.
    pub origin: ConfigOrigin,
    /// The running demo server, in demo mode.
    pub demo: Option<DemoServer>,
    /// Started with `--setup`: a till without a manager PIN may get its first one.
    pub setup_mode: bool,
}

/// Why the app cannot start with the given configuration.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The config file is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The demo server could not start.
    #[error("cannot start the demo server: {0}")]
    Demo(std::io::Error),
}

/// Loads the file or starts the demo server. Must run inside a tokio runtime.
pub async fn prepare(located: Located) -> Result<Ready, SetupError> {
    match located {
        Located::File(path) => {
            let config = Config::load(&path)?;
            Ok(Ready {
                config,
                origin: ConfigOrigin::File(path),
                demo: None,
                setup_mode: false,
            })
        }
        Located::Demo(_) => {
            let server = DemoServer::start(DemoOptions::default())
                .await
                .map_err(SetupError::Demo)?;
            Ok(Ready {
                config: server.config(),
                origin: ConfigOrigin::Demo,
                demo: Some(server),
                setup_mode: false,
            })
        }
    }
}
