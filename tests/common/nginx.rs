//! The chain's gateway for the tests: `deploy/gateway/` rendered by its own
//! `render.sh` and run by the real nginx on loopback, plus a TLS front (a
//! second nginx) for upstreams with a certificate of the test's choosing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The account key the tests' gateway adds.
pub const KEY: &str = "the-chains-master-key";

/// The account's credential as Yespo expects it.
pub fn basic() -> String {
    format!("Basic {}", basic_auth())
}

fn basic_auth() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("pos-recs:{KEY}"))
}

/// A till token of the runbook's form: 256 bits as 64 lowercase hex digits.
pub fn till_token(seed: &str) -> String {
    use blake2::{Blake2s256, Digest};
    Blake2s256::digest(seed.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// True when nginx can be run; under CI its absence fails the test.
pub fn have_nginx() -> bool {
    let found = Command::new("sh")
        .args(["-c", "command -v nginx"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs nginx for the gateway tests (apt-get install nginx-light)"
        );
        eprintln!("SKIPPED: nginx missing; the gateway tests did not run");
    }
    found
}

/// A running nginx, stopped with SIGTERM when dropped (a killed master
/// would leave its workers and cache processes running).
pub struct Nginx {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SAFETY: kill only sends a signal to the child we started.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

impl Nginx {
    /// The gateway's API base, as a till's `base_url`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}/api", self.port)
    }

    /// The folder the tills' reports are written into.
    pub fn reports(&self) -> PathBuf {
        self.dir.path().join("reports")
    }

    /// Every log file nginx wrote in its folder, with its text.
    pub fn logs(&self) -> Vec<(PathBuf, String)> {
        let mut logs = Vec::new();
        for entry in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "log") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                logs.push((path, text));
            }
        }
        logs
    }

    /// The access log's text, from `logs` (read once with the others).
    pub fn access_log(logs: &[(PathBuf, String)]) -> String {
        logs.iter()
            .find(|(p, _)| p.ends_with("access.log"))
            .map(|(_, t)| t.clone())
            .expect("nginx writes an access log")
    }
}

fn start(dir: tempfile::TempDir, config: &Path, port: u16) -> Nginx {
    let run = dir.path();
    let child = Command::new("nginx")
        .arg("-p")
        .arg(run)
        .arg("-c")
        .arg(config)
        .arg("-e")
        .arg(run.join("error.log"))
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nginx starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not start: {}",
            std::fs::read_to_string(run.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Nginx { child, port, dir }
}

/// How to render the gateway.
pub struct GatewayOptions<'a> {
    /// Yespo's host:port.
    pub upstream: &'a str,
    pub scheme: &'a str,
    pub upstream_name: &'a str,
    /// `UPSTREAM_CA`, or the template's default (the system bundle).
    pub ca: Option<&'a Path>,
    /// The tills' tokens; till `i` is named `till-{i}`.
    pub tokens: &'a [String],
    /// The stores: till `i` is in `stores[i % stores.len()]`.
    pub stores: &'a [&'a str],
    pub till_rps: u32,
    pub till_burst: u32,
    pub shared_sources: &'a str,
    /// Extra variables (e.g. the reports' folder).
    pub extra: &'a [(&'a str, String)],
}

impl<'a> GatewayOptions<'a> {
    pub fn new(upstream: &'a str, tokens: &'a [String]) -> Self {
        Self {
            upstream,
            scheme: "http",
            upstream_name: "yespo.test",
            ca: None,
            tokens,
            stores: &["store-a"],
            till_rps: 100,
            till_burst: 100,
            shared_sources: "1245",
            extra: &[],
        }
    }
}

/// Runs `render.sh OUT` with `options`; returns its output.
pub fn render(options: &GatewayOptions, run: &Path, port: u16, out: &Path) -> std::process::Output {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut render = Command::new("bash");
    render
        .arg(format!("{root}/deploy/gateway/render.sh"))
        .arg(out)
        .env("RUN_DIR", run)
        .env("LISTEN", format!("127.0.0.1:{port}"))
        .env("TOKENS_MAP", run.join("tokens.map"))
        .env("UPSTREAM", options.upstream)
        .env("UPSTREAM_SCHEME", options.scheme)
        .env("UPSTREAM_NAME", options.upstream_name)
        .env("BASIC_AUTH", basic_auth())
        .env("ACCOUNT_RPS", "150")
        .env("ACCOUNT_BURST", "2000")
        .env("TILL_RPS", options.till_rps.to_string())
        .env("TILL_BURST", options.till_burst.to_string())
        .env("SHARED_SOURCES", options.shared_sources)
        .env("SHARED_TTL", "60s")
        .env("PICTURES_TTL", "7d")
        .env("REPORTS_DIR", run.join("reports"))
        .env_remove("UPSTREAM_CA");
    if let Some(ca) = options.ca {
        render.env("UPSTREAM_CA", ca);
    }
    for (name, value) in options.extra {
        render.env(name, value);
    }
    render.output().unwrap()
}

/// The gateway rendered from `deploy/gateway/` and started.
pub fn start_gateway(options: &GatewayOptions) -> Nginx {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path();
    for sub in ["tmp", "cache", "reports"] {
        std::fs::create_dir_all(run.join(sub)).unwrap();
    }
    // nginx's workers run as `nobody` under root: they must reach the
    // folder and write the reports.
    {
        use std::os::unix::fs::PermissionsExt;
        let open = |path: &Path, mode| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        open(run, 0o755);
        open(&run.join("reports"), 0o777);
    }
    let tokens: String = options
        .tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let store = options.stores[i % options.stores.len()];
            format!("\"Bearer {t}\" {store}/till-{i};\n")
        })
        .collect();
    std::fs::write(run.join("tokens.map"), tokens).unwrap();
    let port = crate::common::free_port();
    let config = run.join("nginx.conf");
    let rendered = render(options, run, port, &config);
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    start(dir, &config, port)
}

/// A TLS front for `upstream` with a self-signed certificate for `name`
/// (made with openssl); returns it and the certificate's PEM file, which
/// as a gateway's `UPSTREAM_CA` makes the certificate trusted.
pub fn start_tls_front(upstream: &str, name: &str) -> (Nginx, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path();
    std::fs::create_dir_all(run.join("tmp")).unwrap();
    let cert = run.join("cert.pem");
    let key = run.join("key.pem");
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .arg("ec_paramgen_curve:prime256v1")
        .args(["-nodes", "-days", "2", "-subj"])
        .arg(format!("/CN={name}"))
        .arg("-addext")
        .arg(format!("subjectAltName=DNS:{name}"))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs (apt-get install openssl)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let port = crate::common::free_port();
    let config = format!(
        "pid {run}/nginx.pid;\nerror_log {run}/error.log warn;\nevents {{}}\nhttp {{\n\
         client_body_temp_path {run}/tmp/body; proxy_temp_path {run}/tmp/proxy;\n\
         fastcgi_temp_path {run}/tmp/fastcgi; uwsgi_temp_path {run}/tmp/uwsgi; scgi_temp_path {run}/tmp/scgi;\n\
         access_log off;\n\
         server {{ listen 127.0.0.1:{port} ssl; ssl_certificate {cert}; ssl_certificate_key {key};\n\
         location / {{ proxy_pass http://{upstream}; }} }}\n}}\n",
        run = run.display(),
        cert = cert.display(),
        key = key.display(),
    );
    let path = run.join("front.conf");
    std::fs::write(&path, config).unwrap();
    let front = start(dir, &path, port);
    let ca = front.dir.path().join("cert.pem");
    (front, ca)
}

/// One raw HTTP/1.1 request, written as given (dot segments and all, which
/// an HTTP client would tidy away); the answer's status.
pub fn raw_status(port: u16, method: &str, target: &str, token: Option<&str>) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let body = if method == "POST" || method == "PUT" {
        "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    } else {
        "\r\n"
    };
    write!(
        stream,
        "{method} {target} HTTP/1.1\r\nHost: gateway.test\r\n{auth}Connection: close\r\n{body}"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer to {method} {target}: {answer:?}"))
}
