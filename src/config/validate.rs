//! Values that parse but cannot work, each reported with the key it
//! belongs to, so the settings form can put the message beside its field.

use std::fmt;

use super::schema::{Config, MAX_CARDS_RANGE, MAX_SOURCES, TIMEOUT_MS_RANGE};

/// One problem with a configuration: which key, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The section, as in the file: `[yespo]`, `[[sources]] #2 (id 7)`.
    pub section: String,
    /// The key's name, e.g. `base_url` (what the settings form's fields are keyed by).
    pub key: &'static str,
    /// What is wrong, one line.
    pub message: String,
}

impl ConfigProblem {
    /// A problem with `key` in `section`.
    pub fn new(section: impl Into<String>, key: &'static str, message: impl Into<String>) -> Self {
        Self {
            section: section.into(),
            key,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.section, self.key, self.message)
    }
}

impl Config {
    /// Every value that parses but cannot work, in file order.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        let mut add = |section: &str, key: &'static str, message: String| {
            problems.push(ConfigProblem::new(section, key, message));
        };
        if let Err(e) = check_base_url(&self.yespo.base_url) {
            add("[yespo]", "base_url", e.to_string());
        }
        if !is_country_code(&self.yespo.default_country_code) {
            add(
                "[yespo]",
                "default_country_code",
                "must be 1-3 digits, e.g. \"380\"".into(),
            );
        }
        if !TIMEOUT_MS_RANGE.contains(&self.yespo.timeout_ms) {
            add(
                "[yespo]",
                "timeout_ms",
                format!(
                    "must be between {} and {}",
                    TIMEOUT_MS_RANGE.start(),
                    TIMEOUT_MS_RANGE.end()
                ),
            );
        }
        if self.yespo.max_response_bytes < 1024 {
            add(
                "[yespo]",
                "max_response_bytes",
                "must be at least 1024".into(),
            );
        }
        if !is_currency_code(&self.display.currency) {
            add(
                "[display]",
                "currency",
                "must be a 3-letter ISO code, e.g. \"UAH\"".into(),
            );
        }
        if !(0.75..=2.0).contains(&self.display.text_scale) {
            add(
                "[display]",
                "text_scale",
                "must be between 0.75 and 2.0".into(),
            );
        }
        if !(1..=3650).contains(&self.history.retention_days) {
            add(
                "[history]",
                "retention_days",
                "must be between 1 and 3650".into(),
            );
        }
        if !(super::DEFAULT_RECEIPT_DAYS..=3650).contains(&self.history.receipt_days) {
            add(
                "[history]",
                "receipt_days",
                format!(
                    "must be between {} and 3650 (a repeated sale_id must be recognised at least a month)",
                    super::DEFAULT_RECEIPT_DAYS
                ),
            );
        }
        if let Some(store) = &self.orders.store_id
            && (store.trim().is_empty()
                || store.chars().count() > 64
                || store.chars().any(char::is_control))
        {
            add(
                "[orders]",
                "store_id",
                "must be 1 to 64 printable characters".into(),
            );
        }
        if self.orders.send && !self.history.enabled {
            add(
                "[orders]",
                "send",
                "needs [history] enabled: orders wait in the history's outbox until Yespo takes them".into(),
            );
        }
        if self.experiment.holdout_percent > super::MAX_HOLDOUT_PERCENT {
            add(
                "[experiment]",
                "holdout_percent",
                format!("must be between 0 and {}", super::MAX_HOLDOUT_PERCENT),
            );
        }
        if let Some(key) = &self.experiment.key
            && let Err(e) = super::parse_hex_key(key.expose())
        {
            add("[experiment]", "key", e.to_string());
        }
        if let Err(e) = self.network.proxy.check() {
            add("[network]", "proxy", e.to_string());
        }
        if let Some(integration) = &self.integration
            && let Err(e) = integration.address()
        {
            add("[integration]", "listen", e.to_string());
        }
        if let Some(fleet) = &self.fleet {
            if let Err(e) = check_base_url(&fleet.url()) {
                add("[fleet]", "config_url", e.to_string());
            }
            if fleet.store.trim().is_empty() {
                add("[fleet]", "store", "must name this till's store".into());
            }
            if fleet.poll_seconds == 0 {
                add("[fleet]", "poll_seconds", "must be at least 1".into());
            }
            if let Some(till) = &fleet.till {
                let name_rule =
                    "letters, digits, '-' and '_' only (1 to 64), as in the gateway's token map";
                if !super::schema::is_report_name(till) {
                    add("[fleet]", "till", format!("{till:?}: {name_rule}"));
                }
                if !super::schema::is_report_name(fleet.store.trim()) {
                    add(
                        "[fleet]",
                        "store",
                        format!("a till that sends reports needs a store name of {name_rule}"),
                    );
                }
                if !self.history.enabled {
                    add(
                        "[fleet]",
                        "till",
                        "reports are made from the history: [history] enabled must be true".into(),
                    );
                }
                if !self.yespo.auth.via_gateway() {
                    add(
                        "[fleet]",
                        "till",
                        "reports go through the chain's gateway: set [yespo] auth = \"gateway\" and the till's token".into(),
                    );
                }
                match fleet.report_base(&self.yespo.base_url) {
                    None => add(
                        "[fleet]",
                        "report_url",
                        "cannot be made from [yespo] base_url; set it".into(),
                    ),
                    Some(url) => {
                        if let Err(e) = check_base_url(&url) {
                            add("[fleet]", "report_url", e.to_string());
                        }
                    }
                }
            }
        }
        if self.sources.len() > MAX_SOURCES {
            // Every lookup asks all of them at once: a store file of
            // thousands would flood the account and the till.
            add(
                "[[sources]]",
                "id",
                format!(
                    "{} sources; at most {MAX_SOURCES} fit a till's screen",
                    self.sources.len()
                ),
            );
        }
        let mut seen = std::collections::HashSet::new();
        for (i, s) in self.sources.iter().enumerate() {
            let section = format!("[[sources]] #{} (id {})", i + 1, s.id);
            if !seen.insert(s.id) {
                add(&section, "id", format!("{} appears twice", s.id));
            }
            if !MAX_CARDS_RANGE.contains(&s.max_cards) {
                add(
                    &section,
                    "max_cards",
                    format!(
                        "must be {}-{}",
                        MAX_CARDS_RANGE.start(),
                        MAX_CARDS_RANGE.end()
                    ),
                );
            }
        }
        problems
    }

    /// The first problem, naming its key (the CLI prints it as one line).
    pub fn validate(&self) -> Result<(), ConfigProblem> {
        match self.problems().into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }
}

/// A country calling code: 1-3 digits, not starting with 0.
pub fn is_country_code(code: &str) -> bool {
    (1..=3).contains(&code.len())
        && code.chars().all(|c| c.is_ascii_digit())
        && !code.starts_with('0')
}

/// An ISO 4217-shaped currency code: three letters.
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic())
}

/// Why a base URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    /// Not a URL at all.
    #[error("not a URL ({0})")]
    NotAUrl(url::ParseError),
    /// Plain http to a host that is not this machine: the key would travel in clear.
    #[error("plain http is only allowed for loopback hosts; use https")]
    PlainHttp,
    /// Neither https nor http.
    #[error("unsupported scheme {0:?}; use https")]
    Scheme(String),
    /// No host to ask.
    #[error("it has no host")]
    NoHost,
    /// `user:password@` in the URL.
    #[error("credentials in the URL are not allowed; use api_key")]
    Credentials,
}

/// Refuses URLs that cannot work or would send the key in clear text.
pub fn check_base_url(raw: &str) -> Result<url::Url, BaseUrlError> {
    let url = url::Url::parse(raw.trim()).map_err(BaseUrlError::NotAUrl)?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(BaseUrlError::PlainHttp),
        other => return Err(BaseUrlError::Scheme(other.to_string())),
    }
    if url.host().is_none() {
        return Err(BaseUrlError::NoHost);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(BaseUrlError::Credentials);
    }
    Ok(url)
}

/// True for `localhost` and loopback IP addresses.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_sources_than_a_screen_shows_are_refused() {
        let mut config = Config::default();
        config.sources = (1..=MAX_SOURCES as u64)
            .map(|id| crate::config::SourceConfig {
                id,
                ..Default::default()
            })
            .collect();
        assert!(config.problems().is_empty(), "{:?}", config.problems());
        config.sources.push(crate::config::SourceConfig {
            id: 9999,
            ..Default::default()
        });
        let problems = config.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].to_string().contains("at most 50"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn a_till_that_reports_needs_the_gateway_and_names_fit_for_a_path() {
        let mut config = Config::default();
        config.yespo.base_url = "https://gateway.chain.example/api".into();
        config.yespo.auth = crate::config::AuthMode::Gateway;
        config.yespo.till_token = Some(crate::secret::ApiKey::new("ab".repeat(32)));
        let fleet = crate::config::FleetConfig {
            config_url: "https://gateway.chain.example/stores/{store}.toml".into(),
            store: "kyiv-01".into(),
            poll_seconds: 300,
            till: Some("kyiv-01-till-3".into()),
            report_url: None,
        };
        assert_eq!(
            fleet.report_base(&config.yespo.base_url).as_deref(),
            Some("https://gateway.chain.example/reports/")
        );
        config.fleet = Some(fleet.clone());
        assert!(config.problems().is_empty(), "{:?}", config.problems());

        let problems = |config: &Config| -> Vec<String> {
            config.problems().iter().map(|p| p.to_string()).collect()
        };
        let mut bad = config.clone();
        bad.fleet = Some(crate::config::FleetConfig {
            till: Some("../till-1".into()),
            store: "kyiv 01".into(),
            ..fleet.clone()
        });
        let found = problems(&bad);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].starts_with("[fleet] till: \"../till-1\""),
            "{found:?}"
        );
        assert!(found[1].starts_with("[fleet] store:"), "{found:?}");

        let mut direct = config.clone();
        direct.yespo.auth = crate::config::AuthMode::ApiKey;
        assert!(
            problems(&direct)
                .iter()
                .any(|p| p.contains("reports go through the chain's gateway")),
            "{:?}",
            problems(&direct)
        );

        let mut plain = config.clone();
        plain.fleet = Some(crate::config::FleetConfig {
            report_url: Some("http://collector.example/reports".into()),
            ..fleet
        });
        assert!(
            problems(&plain)
                .iter()
                .any(|p| p.starts_with("[fleet] report_url: plain http")),
            "{:?}",
            problems(&plain)
        );
    }

    #[test]
    fn every_problem_names_its_key() {
        let mut config = Config::default();
        config.yespo.base_url = "http://shop.example/api".into();
        config.yespo.default_country_code = "0".into();
        config.display.currency = "hryvnia".into();
        config.sources = vec![
            crate::config::SourceConfig {
                id: 7,
                ..Default::default()
            },
            crate::config::SourceConfig {
                id: 7,
                max_cards: 0,
                ..Default::default()
            },
        ];
        let keys: Vec<&str> = config.problems().iter().map(|p| p.key).collect();
        assert_eq!(
            keys,
            [
                "base_url",
                "default_country_code",
                "currency",
                "id",
                "max_cards"
            ]
        );
        let first = config.validate().unwrap_err();
        assert!(
            first
                .to_string()
                .starts_with("[yespo] base_url: plain http"),
            "{first}"
        );
        assert!(Config::default().problems().is_empty());
    }
}
