//! `[network]`: how the till reaches hosts that are not on this machine
//! (the settings only; the `net` module builds the clients from them).

use serde::{Deserialize, Serialize};

/// `[network] proxy`: which proxy real (non-loopback) hosts are reached through.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ProxySetting {
    /// The environment's `https_proxy` / `http_proxy` / `all_proxy`, honouring
    /// `no_proxy` (the default).
    #[default]
    System,
    /// Never use a proxy.
    None,
    /// Always this proxy (an `http://` or `https://` URL).
    Url(String),
}

impl Serialize for ProxySetting {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::System => s.serialize_str("system"),
            Self::None => s.serialize_str("none"),
            Self::Url(url) => s.serialize_str(url),
        }
    }
}

impl<'de> Deserialize<'de> for ProxySetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(match text.trim() {
            "system" => Self::System,
            "none" => Self::None,
            url => Self::Url(url.to_string()),
        })
    }
}

/// Why a configured proxy cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    /// Not a URL, nor `system` or `none`.
    #[error("not a URL ({0}); use \"system\", \"none\" or http://host:port")]
    NotAUrl(url::ParseError),
    /// A scheme reqwest cannot proxy through.
    #[error("unsupported proxy scheme {0:?}")]
    Scheme(String),
    /// No host to connect to.
    #[error("the proxy URL has no host")]
    NoHost,
}

impl ProxySetting {
    /// Checks a configured proxy URL.
    pub fn check(&self) -> Result<(), ProxyError> {
        let Self::Url(raw) = self else {
            return Ok(());
        };
        let url = url::Url::parse(raw).map_err(ProxyError::NotAUrl)?;
        match url.scheme() {
            "http" | "https" | "socks5" | "socks5h" => {}
            other => return Err(ProxyError::Scheme(other.to_string())),
        }
        if url.host().is_none() {
            return Err(ProxyError::NoHost);
        }
        Ok(())
    }
}

/// `[network]` in the config file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// Proxy for non-loopback hosts: `"system"` (default), `"none"` or a URL.
    pub proxy: ProxySetting,
}

impl NetworkConfig {
    /// True when everything is at its default (the section is then not written).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}
