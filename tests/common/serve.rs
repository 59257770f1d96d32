//! The real `pos-recs serve`, started as a till's service starts it, and a
//! POS's HTTP client for its local API.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A running `pos-recs serve`.
pub struct Serve {
    /// The running binary.
    pub child: Child,
    /// `http://…/v1` of its POS link.
    pub base: String,
    lines: mpsc::Receiver<String>,
    /// What it logged so far (read with [`Serve::wait_for_line`]).
    pub log: Vec<String>,
    token: String,
    http: reqwest::Client,
}

impl Serve {
    /// Starts `serve --config CONFIG` with `home` as its data and config
    /// home, the POS link's token `token`; waits until it listens.
    pub fn start(config: &Path, home: &Path, token: &str) -> Self {
        Self::start_with(config, home, token, |_| {})
    }

    /// Like [`Serve::start`], with `adjust` changing the command first.
    pub fn start_with(
        config: &Path,
        home: &Path,
        token: &str,
        adjust: impl FnOnce(&mut Command),
    ) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pos-recs"));
        command
            .args(["serve", "--config", config.to_str().unwrap()])
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("POS_RECS_TILL_TOKEN")
            .env("RUST_LOG", "info")
            .env("XDG_DATA_HOME", home)
            .env("XDG_CONFIG_HOME", home)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        adjust(&mut command);
        let mut child = command.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut serve = Self {
            child,
            base: String::new(),
            lines,
            log: Vec::new(),
            token: token.to_string(),
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
        };
        let line = serve.wait_for_line("http://");
        let at = line.find("http://").unwrap();
        serve.base = line[at..].trim().to_string();
        serve
    }

    /// Waits (at most 30 s) for a log line containing `text`.
    pub fn wait_for_line(&mut self, text: &str) -> String {
        if let Some(line) = self.log.iter().find(|l| l.contains(text)) {
            return line.clone();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!("no {text:?} in the log: {:#?}", self.log),
            }
        }
    }

    /// Everything logged until now.
    pub fn log_so_far(&mut self) -> String {
        self.log.extend(self.lines.try_iter());
        self.log.join("\n")
    }

    /// Sends `signal` and waits for the process to end.
    pub fn kill(mut self, signal: i32) {
        // SAFETY: kill only sends a signal to the child we started.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, signal);
        }
        let _ = self.child.wait();
    }

    /// One request to the POS link: status, headers and JSON body.
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (
            status,
            headers,
            response.json().await.unwrap_or(Value::Null),
        )
    }

    /// One request to the POS link: status and JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let (status, _, body) = self.request(method, path, body).await;
        (status, body)
    }

    /// `POST /v1/customer` with this phone; fails the test unless 200.
    pub async fn customer(&self, phone: &str) -> Value {
        let (status, answer) = self
            .send(
                reqwest::Method::POST,
                "/customer",
                Some(json!({ "phone": phone })),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        answer
    }

    /// A customer, then their sale of one SKU-1001 at `total`.
    pub async fn sell(&self, phone: &str, sale_id: &str, total: f64) -> Value {
        self.customer(phone).await;
        self.sale(sale_id, total).await
    }

    /// The sale of one SKU-1001 at `total` as `sale_id`; fails unless 200.
    pub async fn sale(&self, sale_id: &str, total: f64) -> Value {
        let (status, answer) = self.try_sale(&one_line_sale(sale_id, total)).await;
        assert_eq!(status, 200, "{answer}");
        answer
    }

    /// `POST /v1/sale` with `sale`: status and body.
    pub async fn try_sale(&self, sale: &Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, "/sale", Some(sale.clone()))
            .await
    }
}

/// The sale of one SKU-1001 at `total` as `sale_id`.
pub fn one_line_sale(sale_id: &str, total: f64) -> Value {
    json!({
        "lines": [{"product": "SKU-1001", "quantity": 1, "price": total}],
        "total": total,
        "sale_id": sale_id,
    })
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
