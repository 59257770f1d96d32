//! Secrets with types that cannot leak through logs.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The Yespo API key. It opens the whole customer base, so `Debug` and
/// `Display` print `***`; only [`ApiKey::expose`] gives the value, for the
/// request header and the config file.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The raw key, for the HTTP request and the config file only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Masked for a settings screen: `••••1234` (last four characters, only
    /// when the key is long enough that they do not give it away).
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() >= 12 {
            let tail: String = chars[chars.len() - 4..].iter().collect();
            format!("••••{tail}")
        } else {
            "••••".into()
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_never_prints() {
        let key = ApiKey::new("abcdefgh-secret-9876");
        assert_eq!(format!("{key}"), "***");
        assert!(!format!("{key:?}").contains("secret"));
        assert_eq!(key.masked(), "••••9876");
        assert_eq!(ApiKey::new("short").masked(), "••••");
    }
}
