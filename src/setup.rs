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

/// Finds the config file, in this order: `--config` (which must exist), the
/// user's own (`~/.config/pos-recs/config.toml`), the machine-wide
/// machine-wide one ([`crate::platform::machine_config`]), and the built-in
/// demo when there is none.
pub fn locate(explicit: Option<PathBuf>) -> Located {
    locate_in(
        explicit,
        config::default_path(),
        crate::platform::machine_config(),
    )
}

/// [`locate`] with the user's and the machine's paths given (for tests).
pub fn locate_in(explicit: Option<PathBuf>, user: Option<PathBuf>, system: PathBuf) -> Located {
    if let Some(path) = explicit {
        return Located::File(path);
    }
    match user {
        Some(path) if path.exists() => Located::File(path),
        _ if system.exists() => Located::File(system),
        other => Located::Demo(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_users_file_wins_then_the_machines_then_the_demo() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("user.toml");
        let system = dir.path().join("system.toml");
        let found = |explicit: Option<PathBuf>| match locate_in(
            explicit,
            Some(user.clone()),
            system.clone(),
        ) {
            Located::File(p) => Some(p),
            Located::Demo(_) => None,
        };
        assert_eq!(found(None), None, "nothing: the demo");
        std::fs::write(&system, "").unwrap();
        assert_eq!(found(None), Some(system.clone()));
        std::fs::write(&user, "").unwrap();
        assert_eq!(found(None), Some(user.clone()));
        let explicit = dir.path().join("other.toml");
        assert_eq!(found(Some(explicit.clone())), Some(explicit));
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
