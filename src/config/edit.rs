//! The rules of editing a configuration in the settings, kept here so that
//! they are tested without the window: which host may receive the stored
//! key, and how typed values are tidied before they are checked.

use super::schema::{Config, FieldList};
use crate::secret::ApiKey;

/// True when two base URLs reach the same scheme, host and port: the key
/// stored for one may go to the other.
pub fn same_origin(a: &str, b: &str) -> bool {
    match (url::Url::parse(a.trim()), url::Url::parse(b.trim())) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// Comma-separated names as a list: trimmed, empty ones dropped.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// What happened to the account key when the settings were checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOutcome {
    /// The manager typed a new key: it is the one saved.
    Typed,
    /// No key typed and the same host: the stored key stays.
    Kept,
    /// No key typed and another host: the stored key is dropped, and a key
    /// must be typed for the new host.
    NeedsKeyForNewHost,
}

/// The draft as it is checked and saved: typed text tidied (spaces, the
/// currency's case), the field lists read from their comma-separated text,
/// and the key rule applied. Whoever knows the PIN must not send the stored
/// key to a host of their choosing (Test connection included): when the
/// base URL's origin changed, the key goes unless a new one was typed.
pub fn tidied(
    draft: &Config,
    image_fields: &str,
    old_price_fields: &str,
    typed_key: &str,
    key_base_url: &str,
) -> (Config, KeyOutcome) {
    let mut config = draft.clone();
    config.yespo.base_url = config.yespo.base_url.trim().to_string();
    config.yespo.default_country_code = config.yespo.default_country_code.trim().to_string();
    config.display.currency = config.display.currency.trim().to_ascii_uppercase();
    config.display.image_field = FieldList(split_list(image_fields));
    config.display.old_price_field = FieldList(split_list(old_price_fields));
    let outcome = if !typed_key.trim().is_empty() {
        config.yespo.api_key = Some(ApiKey::new(typed_key.trim()));
        // A key typed by the manager is meant for the file.
        config.yespo.key_in_file = None;
        KeyOutcome::Typed
    } else if same_origin(&config.yespo.base_url, key_base_url) {
        KeyOutcome::Kept
    } else {
        config.yespo.api_key = None;
        config.yespo.key_in_file = None;
        KeyOutcome::NeedsKeyForNewHost
    };
    (config, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert!(same_origin(
            "https://yespo.io/api",
            "https://yespo.io/other/"
        ));
        assert!(same_origin(
            " https://yespo.io:443/api ",
            "https://yespo.io/api"
        ));
        assert!(!same_origin("https://yespo.io/api", "http://yespo.io/api"));
        assert!(!same_origin(
            "https://yespo.io/api",
            "https://yespo.io.evil.example/api"
        ));
        assert!(!same_origin(
            "https://yespo.io/api",
            "https://yespo.io:8443/api"
        ));
        assert!(!same_origin("not a url", "not a url"));
    }

    fn draft(base: &str) -> Config {
        let mut config = Config::default();
        config.yespo.base_url = base.into();
        config.yespo.api_key = Some(ApiKey::new("stored"));
        config
    }

    #[test]
    fn the_stored_key_never_goes_to_another_host() {
        let (config, outcome) = tidied(
            &draft("https://attacker.example/api"),
            "",
            "",
            "",
            "https://yespo.io/api",
        );
        assert_eq!(outcome, KeyOutcome::NeedsKeyForNewHost);
        assert!(config.yespo.api_key.is_none());
        let (config, outcome) = tidied(
            &draft("https://yespo.io/api/v2"),
            "",
            "",
            "",
            "https://yespo.io/api",
        );
        assert_eq!(outcome, KeyOutcome::Kept);
        assert_eq!(config.yespo.api_key.unwrap().expose(), "stored");
        let (config, outcome) = tidied(
            &draft("https://other.example/api"),
            "",
            "",
            "  typed  ",
            "https://yespo.io/api",
        );
        assert_eq!(outcome, KeyOutcome::Typed);
        assert_eq!(config.yespo.api_key.unwrap().expose(), "typed");
    }

    #[test]
    fn typed_text_is_tidied() {
        let mut d = draft(" https://yespo.io/api ");
        d.display.currency = " uah ".into();
        d.yespo.default_country_code = " 380 ".into();
        let (config, _) = tidied(
            &d,
            "picture, ,image_url,",
            "old_price",
            "",
            "https://yespo.io/api",
        );
        assert_eq!(config.yespo.base_url, "https://yespo.io/api");
        assert_eq!(config.display.currency, "UAH");
        assert_eq!(config.yespo.default_country_code, "380");
        assert_eq!(config.display.image_field.0, ["picture", "image_url"]);
        assert_eq!(config.display.old_price_field.0, ["old_price"]);
    }
}
