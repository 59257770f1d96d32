//! The TOML configuration file: loading, and where each part lives:
//! `schema` (keys and defaults), `validate` (values that parse but cannot
//! work), `save` (atomic, comment-preserving, locked) and `export` (copying
//! sources between tills).
//!
//! Unknown keys are errors naming the key and its line; missing keys take
//! defaults. The API key may come from `POS_RECS_API_KEY`, which wins over
//! the file. See `shared/spec/product.md`, "Configuration file".

pub mod edit;
mod export;
mod network;
mod save;
mod schema;
mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::secret::ApiKey;

pub use export::SourcesExport;
pub use network::{NetworkConfig, ProxyError, ProxySetting};
pub use save::{can_write, write_atomically};
pub use schema::*;
pub use validate::{ConfigProblem, check_base_url, is_country_code, is_currency_code, is_loopback};

/// Why a configuration cannot be used. Messages name the file, key and line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown keys / wrong types.
    #[error("config {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// One line: position and what is wrong.
        message: String,
    },
    /// A value is syntactically fine but not usable.
    #[error("config {path}: {problem}")]
    Invalid {
        /// The file (or `<memory>`).
        path: PathBuf,
        /// Which key and why.
        problem: ConfigProblem,
    },
    /// The configuration could not be written as TOML.
    #[error("cannot write config {path} as TOML: {source}")]
    Serialise {
        /// The file.
        path: PathBuf,
        /// What the TOML writer said.
        source: toml::ser::Error,
    },
    /// Saving failed.
    #[error("cannot save config {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Where the configuration came from, for the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOrigin {
    /// Loaded from this file.
    File(PathBuf),
    /// No file: the built-in demo data source is used.
    Demo,
}

impl fmt::Display for ConfigOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(p) => write!(f, "{}", p.display()),
            Self::Demo => f.write_str("Demo data"),
        }
    }
}

/// The platform's default config file path (`…/pos-recs/config.toml`).
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "pos-recs").map(|d| d.config_dir().join("config.toml"))
}

impl Config {
    /// Parses TOML text. `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: describe_toml_error(&e, text),
        })?;
        config.validate().map_err(|problem| ConfigError::Invalid {
            path: path.to_path_buf(),
            problem,
        })?;
        Ok(config)
    }

    /// Reads and validates a file, then applies the environment override.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        warn_if_readable_by_others(path);
        let mut config = Self::parse(&text, path)?;
        config.apply_env();
        config
            .check_credentials()
            .map_err(|problem| ConfigError::Invalid {
                path: path.to_path_buf(),
                problem,
            })?;
        Ok(config)
    }

    /// `POS_RECS_API_KEY` (when set and non-empty) replaces the file's key.
    pub fn apply_env(&mut self) {
        if let Ok(key) = std::env::var(API_KEY_ENV)
            && !key.trim().is_empty()
        {
            let file_key = self.yespo.api_key.replace(ApiKey::new(key.trim()));
            self.yespo.key_in_file = Some(file_key);
        }
    }

    /// Refuses a configuration that would send every request without a
    /// key: each source would fail with 401 and the cause stay hidden.
    pub fn check_credentials(&self) -> Result<(), ConfigProblem> {
        if self.yespo.auth.via_gateway() {
            if self.yespo.api_key.is_some() {
                return Err(ConfigProblem::new(
                    "[yespo]",
                    "api_key",
                    "a till behind the gateway holds no key (the gateway adds it); remove api_key",
                ));
            }
            if self.till_token().is_none() {
                return Err(ConfigProblem::new(
                    "[yespo]",
                    "till_token",
                    format!(
                        "missing; a till behind the gateway needs its token (till_token or {TILL_TOKEN_ENV})"
                    ),
                ));
            }
            return self.check_integration_token();
        }
        let has_key = self
            .yespo
            .api_key
            .as_ref()
            .is_some_and(|k| !k.expose().trim().is_empty());
        if !has_key {
            return Err(ConfigProblem::new(
                "[yespo]",
                "api_key",
                format!("missing; set api_key in the file or {API_KEY_ENV}"),
            ));
        }
        self.check_integration_token()
    }

    fn check_integration_token(&self) -> Result<(), ConfigProblem> {
        if let Some(integration) = &self.integration
            && integration.token().is_none()
        {
            return Err(ConfigProblem::new(
                "[integration]",
                "token",
                format!("missing; set token in the file or {INTEGRATION_TOKEN_ENV}"),
            ));
        }
        Ok(())
    }

    /// The till's gateway token: the environment's when set, else the file's.
    pub fn till_token(&self) -> Option<ApiKey> {
        std::env::var(TILL_TOKEN_ENV)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .map(|t| ApiKey::new(t.trim()))
            .or_else(|| self.yespo.till_token.clone())
            .filter(|t| !t.expose().trim().is_empty())
    }

    /// The enabled sources, in configured order.
    pub fn enabled_sources(&self) -> impl Iterator<Item = &SourceConfig> {
        self.sources.iter().filter(|s| s.enabled)
    }
}

/// Keys whose values are secrets: a message about them never repeats the value.
const SECRET_KEYS: [&str; 4] = ["api_key", "pin_hash", "token", "till_token"];

/// Turns toml's multi-line report into one line: `line L, column C: message`.
/// toml quotes the offending value ("invalid type: integer `123…`"); for a
/// secret key the message names the key and says what is expected instead.
fn describe_toml_error(err: &toml::de::Error, text: &str) -> String {
    let message = err.message().trim().replace('\n', " ");
    match err.span() {
        Some(span) => {
            let start = text.floor_char_boundary(span.start.min(text.len()));
            let before = &text[..start];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let key = text
                .lines()
                .nth(line - 1)
                .and_then(|l| l.split_once('='))
                .map(|(k, _)| k.trim().trim_matches('"'))
                .filter(|k| SECRET_KEYS.contains(k));
            match key {
                Some(key) => format!(
                    "line {line}, column {column}: {key} must be a quoted string (its value is not shown)"
                ),
                None => format!("line {line}, column {column}: {message}"),
            }
        }
        None => message,
    }
}

/// The secrets written in the file at `path` (`api_key`, `till_token`, the
/// POS link's `token`, `pin_hash`) when every user may read it; empty when
/// the file is private or holds none.
pub fn secrets_readable_by_others(path: &Path) -> Vec<&'static str> {
    if !crate::platform::readable_by_others(path) {
        return Vec::new();
    }
    let Some(table) = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
    else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for section in table.values().filter_map(toml::Value::as_table) {
        for key in SECRET_KEYS {
            if section.contains_key(key) && !found.contains(&key) {
                found.push(key);
            }
        }
    }
    found
}

/// The API key opens the whole customer base: say so when others can read it.
fn warn_if_readable_by_others(path: &Path) {
    let secrets = secrets_readable_by_others(path);
    if !secrets.is_empty() {
        tracing::warn!(
            "config {} is readable by every user and holds {}; run: {}",
            path.display(),
            secrets.join(", "),
            crate::platform::make_private_command(path)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::save::SaveLock;
    use super::*;

    /// The example the package installs as /etc/pos-recs/config.toml.example
    /// is a configuration the till takes as it is.
    #[test]
    fn the_packaged_example_is_a_valid_configuration() {
        let text = include_str!("../../assets/config.example.toml");
        let config = Config::parse(text, Path::new("config.toml.example")).unwrap();
        assert!(config.validate().is_ok());
        assert!(!config.sources.is_empty());
    }

    const SPEC_EXAMPLE: &str = r#"
[yespo]
base_url = "https://yespo.io/api"
api_key = "secret-key-1234"
auth = "api_key"
card_identifies_as = "externalCustomerId"
default_country_code = "380"
timeout_ms = 4000

[display]
currency = "UAH"
image_field = "tags_picture"
old_price_field = "tags_oldprice"

[[sources]]
id = 1244
title = "You may also like"
kind = "upsell"
enabled = true
show_tags = ["gender", "clear_size"]
max_cards = 12
"#;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn the_spec_example_parses() {
        let c = parse(SPEC_EXAMPLE).unwrap();
        assert_eq!(c.sources[0].id, 1244);
        assert_eq!(c.sources[0].kind, SourceKind::Upsell);
        assert_eq!(c.sources[0].show_tags, ["gender", "clear_size"]);
        assert_eq!(c.display.image_field.0, ["tags_picture"]);
        assert_eq!(
            c.yespo.api_key.as_ref().map(|k| k.expose()),
            Some("secret-key-1234")
        );
    }

    #[test]
    fn missing_keys_take_defaults() {
        let c = parse("[[sources]]\nid = 7\n").unwrap();
        assert_eq!(c.yespo.timeout_ms, 4000);
        assert_eq!(c.yespo.base_url, "https://yespo.io/api");
        assert!(c.sources[0].enabled);
        assert_eq!(c.sources[0].max_cards, 12);
        assert_eq!(c.sources[0].display_title(), "Data source 7");
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = parse("[yespo]\ntimeout_ms = 100\ncolour = \"red\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        assert!(!err.contains('\n'), "one line expected: {err}");
    }

    #[test]
    fn unknown_key_in_a_source_is_named() {
        let err = parse("[[sources]]\nid = 1\n\n[[sources]]\nid = 2\ntitel = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("titel") && err.contains("line 6"), "{err}");
    }

    #[test]
    fn plain_http_only_for_loopback() {
        assert!(parse("[yespo]\nbase_url = \"http://127.0.0.1:8080/api\"\n").is_ok());
        assert!(parse("[yespo]\nbase_url = \"http://localhost/api\"\n").is_ok());
        assert!(parse("[yespo]\nbase_url = \"http://[::1]:9/api\"\n").is_ok());
        let err = parse("[yespo]\nbase_url = \"http://yespo.io/api\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("base_url") && err.contains("https"), "{err}");
        assert!(parse("[yespo]\nbase_url = \"ftp://x/api\"\n").is_err());
    }

    #[test]
    fn bad_values_are_named() {
        let err = parse("[yespo]\ntimeout_ms = 0\n").unwrap_err().to_string();
        assert!(err.contains("timeout_ms"), "{err}");
        let err = parse("[[sources]]\nid = 1\n[[sources]]\nid = 1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("twice"), "{err}");
        let err = parse("[yespo]\nauth = \"password\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn image_field_may_be_a_list() {
        let c = parse("[display]\nimage_field = [\"picture\", \"tags_picture\"]\n").unwrap();
        assert_eq!(c.display.image_field.0, ["picture", "tags_picture"]);
    }

    #[test]
    fn debug_output_never_contains_the_key() {
        let c = parse(SPEC_EXAMPLE).unwrap();
        assert!(!format!("{c:?}").contains("secret-key-1234"));
    }

    #[test]
    fn a_key_from_the_environment_is_never_written_to_the_file() {
        let mut c = parse(SPEC_EXAMPLE).unwrap();
        // What apply_env does when POS_RECS_API_KEY is set.
        let file_key = c.yespo.api_key.replace(ApiKey::new("from-the-environment"));
        c.yespo.key_in_file = Some(file_key);
        let text = c.to_toml().unwrap();
        assert!(!text.contains("from-the-environment"), "{text}");
        assert!(text.contains("secret-key-1234"), "{text}");
    }

    #[test]
    fn saving_over_a_hand_written_file_keeps_its_comments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let hand = "# Till 3, front desk\n[yespo]\n# ask Olena before changing\nbase_url = \"https://yespo.io/api\"\napi_key = \"k\"\ntimeout_ms = 4000 # seconds matter\n\n[[sources]]\nid = 1\n";
        std::fs::write(&path, hand).unwrap();
        let mut c = Config::load(&path).unwrap();
        c.yespo.timeout_ms = 2500;
        c.sources.push(SourceConfig {
            id: 2,
            title: "Two".into(),
            ..SourceConfig::default()
        });
        c.save_preserving(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        for kept in [
            "# Till 3, front desk",
            "# ask Olena before changing",
            "# seconds matter",
        ] {
            assert!(text.contains(kept), "{kept:?} lost:\n{text}");
        }
        assert!(text.contains("timeout_ms = 2500"), "{text}");
        assert_eq!(Config::parse(&text, &path).unwrap(), c);
    }

    #[test]
    fn exported_sources_hold_no_secrets_and_import_back() {
        let mut c = parse(SPEC_EXAMPLE).unwrap();
        c.manager.pin_hash = Some("$argon2id$secret".into());
        let text = SourcesExport {
            sources: c.sources.clone(),
        }
        .to_toml()
        .unwrap();
        assert!(!text.contains("secret"), "{text}");
        let back = SourcesExport::parse(&text, Path::new("x.toml")).unwrap();
        assert_eq!(back.sources, c.sources);
        assert!(
            SourcesExport::parse("[[sources]]\nid = 1\n[[sources]]\nid = 1\n", Path::new("x"))
                .is_err()
        );
        assert!(SourcesExport::parse("[yespo]\n", Path::new("x")).is_err());
    }

    #[test]
    fn save_is_atomic_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        let c = parse(SPEC_EXAMPLE).unwrap();
        c.save(&path).unwrap();
        let back = Config::parse(&std::fs::read_to_string(&path).unwrap(), &path).unwrap();
        assert_eq!(back, c);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| !e.file_name().to_string_lossy().ends_with(".lock"))
            .collect();
        assert_eq!(leftovers.len(), 1, "temp file left behind");
    }

    /// The machine-wide config is 0640 for the pos-recs group: a save
    /// (`sudo pos-recs --setup`) keeps it readable by that group, and never
    /// by everyone.
    #[cfg(unix)]
    #[test]
    fn save_keeps_a_group_readable_file_for_its_group_and_drops_world_read() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let c = parse(SPEC_EXAMPLE).unwrap();
        c.save(&path).unwrap();
        let gid = std::fs::metadata(&path).unwrap().gid();
        for (before, after) in [
            (0o640, 0o640),
            (0o644, 0o640),
            (0o600, 0o600),
            (0o604, 0o600),
        ] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(before)).unwrap();
            c.save(&path).unwrap();
            let meta = std::fs::metadata(&path).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, after, "{before:o}");
            assert_eq!(meta.gid(), gid);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_config_stays_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("shared/real.toml");
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        std::fs::write(&real, "[[sources]]\nid = 1\n").unwrap();
        let link = dir.path().join("config.toml");
        std::os::unix::fs::symlink("shared/real.toml", &link).unwrap();
        let mut c = parse(SPEC_EXAMPLE).unwrap();
        c.yespo.timeout_ms = 1234;
        c.save_preserving(&link).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink(),
            "the link was replaced by a file"
        );
        let text = std::fs::read_to_string(&real).unwrap();
        assert!(text.contains("timeout_ms = 1234"), "{text}");
    }

    #[test]
    fn a_save_waits_for_the_one_already_under_way() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        parse(SPEC_EXAMPLE).unwrap().save(&path).unwrap();
        // Another save holds the lock (reading and merging).
        let held = SaveLock::take(&path).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let target = path.clone();
        std::thread::spawn(move || {
            let mut c = parse(SPEC_EXAMPLE).unwrap();
            c.yespo.timeout_ms = 777;
            tx.send(c.save_preserving(&target).is_ok()).unwrap();
        });
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(300))
                .is_err(),
            "the second save did not wait for the lock"
        );
        drop(held);
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_secs(10)),
            Ok(true)
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("timeout_ms = 777"), "{text}");
    }
}
