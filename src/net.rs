//! How pos-recs opens HTTP connections: the one place that decides about
//! proxies and redirects, for the API client and the picture loader alike.
//!
//! Loopback traffic (the demo shop, a gateway on the same machine) never goes
//! through a proxy: a proxy would see the `Authorization` header and the
//! customer's phone in clear text, and a store's proxy usually cannot reach
//! the till's own loopback anyway. Other hosts use the proxy chosen in
//! `[network] proxy`.

use std::time::Duration;

/// Most redirects a picture download follows.
pub const MAX_PICTURE_REDIRECTS: usize = 5;

pub use crate::config::{NetworkConfig, ProxyError, ProxySetting};

/// The proxy for a request to `url`, or `None` to connect directly.
fn proxy_for(setting: &ProxySetting, url: &url::Url, env: &EnvProxies) -> Option<String> {
    if crate::config::is_loopback(url) {
        return None;
    }
    match setting {
        ProxySetting::None => None,
        ProxySetting::Url(proxy) => Some(proxy.clone()),
        ProxySetting::System => env.for_scheme(url.scheme()),
    }
}

/// Proxy URLs read from the environment once, when a client is built.
#[derive(Debug, Clone, Default)]
struct EnvProxies {
    http: Option<String>,
    https: Option<String>,
}

impl EnvProxies {
    fn read() -> Self {
        let var = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
        };
        let all = var(&["ALL_PROXY", "all_proxy"]);
        Self {
            // Lower case first for http: the upper-case form can be set by a
            // CGI request's `Proxy:` header.
            http: var(&["http_proxy", "HTTP_PROXY"]).or_else(|| all.clone()),
            https: var(&["https_proxy", "HTTPS_PROXY"]).or(all),
        }
    }

    fn for_scheme(&self, scheme: &str) -> Option<String> {
        match scheme {
            "https" => self.https.clone(),
            "http" => self.http.clone(),
            _ => None,
        }
    }
}

/// A client builder with the project's proxy policy applied: loopback
/// always direct, other hosts as `[network] proxy` says.
pub fn client_builder(network: &NetworkConfig) -> reqwest::ClientBuilder {
    let setting = network.proxy.clone();
    let env = EnvProxies::read();
    let proxy = reqwest::Proxy::custom(move |url| proxy_for(&setting, url, &env));
    // `no_proxy` from the environment only narrows the system setting.
    let proxy = match network.proxy {
        ProxySetting::System => proxy.no_proxy(reqwest::NoProxy::from_env()),
        _ => proxy,
    };
    reqwest::Client::builder().no_proxy().proxy(proxy)
}

/// A client for the chain's own servers (the store file, the reports):
/// the proxy policy, `timeout` for each request, and no redirects, so the
/// till's token never follows one to another host.
pub fn chain_client(
    network: &NetworkConfig,
    timeout: std::time::Duration,
) -> Result<reqwest::Client, reqwest::Error> {
    client_builder(network)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// How a [`LazyClient`] is made.
type MakeClient = dyn Fn() -> reqwest::ClientBuilder + Send + Sync;

/// An HTTP client made at its first use, on a blocking worker: building a
/// TLS client loads the system's root certificates (5 to 25 ms measured),
/// which must not hold up the window's first frame. Cheap to clone; the
/// clones share one client.
#[derive(Clone)]
pub struct LazyClient {
    client: std::sync::Arc<tokio::sync::OnceCell<Result<reqwest::Client, String>>>,
    make: std::sync::Arc<MakeClient>,
}

impl LazyClient {
    /// A client that `make` configures when it is first needed.
    pub fn new(make: impl Fn() -> reqwest::ClientBuilder + Send + Sync + 'static) -> Self {
        Self {
            client: std::sync::Arc::default(),
            make: std::sync::Arc::new(make),
        }
    }

    /// The client, made now if this is the first call; why not, if it
    /// cannot be made.
    pub async fn get(&self) -> Result<&reqwest::Client, String> {
        let make = self.make.clone();
        self.client
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || make().build().map_err(|e| e.to_string()))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()))
            })
            .await
            .as_ref()
            .map_err(String::clone)
    }
}

/// Redirects for pictures: a few hops at most, and never to plain http on
/// a non-loopback host (no credential goes with pictures, but a downgrade
/// lets anyone on the way swap the picture).
pub fn picture_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= MAX_PICTURE_REDIRECTS {
            return attempt.error("too many redirects");
        }
        let url = attempt.url();
        if url.scheme() == "https" || (url.scheme() == "http" && crate::config::is_loopback(url)) {
            attempt.follow()
        } else {
            attempt.error("redirect to plain http refused")
        }
    })
}

/// Connect timeout used when nothing more specific is known.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn loopback_never_goes_through_a_proxy() {
        let env = EnvProxies {
            http: Some("http://proxy:3128".into()),
            https: Some("http://proxy:3128".into()),
        };
        for setting in [
            ProxySetting::System,
            ProxySetting::Url("http://proxy:3128".into()),
        ] {
            for target in [
                "http://127.0.0.1:9/api",
                "http://localhost/api",
                "http://[::1]:8080/x",
            ] {
                assert_eq!(proxy_for(&setting, &url(target), &env), None, "{target}");
            }
        }
        assert_eq!(
            proxy_for(&ProxySetting::System, &url("https://yespo.io/api"), &env),
            Some("http://proxy:3128".into())
        );
        assert_eq!(
            proxy_for(&ProxySetting::None, &url("https://yespo.io/api"), &env),
            None
        );
    }

    #[test]
    fn the_setting_reads_and_writes_as_text() {
        #[derive(serde::Deserialize, serde::Serialize)]
        struct T {
            proxy: ProxySetting,
        }
        for (text, want) in [
            ("system", ProxySetting::System),
            ("none", ProxySetting::None),
            ("http://p:1", ProxySetting::Url("http://p:1".into())),
        ] {
            let t: T = toml::from_str(&format!("proxy = {text:?}")).unwrap();
            assert_eq!(t.proxy, want);
            assert!(toml::to_string(&t).unwrap().contains(text));
        }
        assert!(ProxySetting::Url("nonsense".into()).check().is_err());
        assert!(ProxySetting::Url("ftp://p:1".into()).check().is_err());
        assert!(ProxySetting::Url("http://p:3128".into()).check().is_ok());
    }
}
