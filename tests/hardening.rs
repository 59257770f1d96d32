//! Regression tests for the outside review's findings: proxies, secrets in
//! messages, hostile pictures and answers. Everything runs against our own
//! loopback servers.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use common::yespo::{Kind, Reply, StandIn, Yespo};
use common::{demo, only_sources};
use pos_recs::demo::{DemoOptions, DemoServer};
use pos_recs::images::{DiskCache, ImageLoader, ImageStatus};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::run_cli as run;

/// A proxy that records the head of every request it receives and answers 502.
struct RecordingProxy {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl RecordingProxy {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let record = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let record = record.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let n = conn.read(&mut buf).await.unwrap_or(0);
                    record
                        .lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                    let _ = conn
                        .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
                        .await;
                });
            }
        });
        Self { url, seen }
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

async fn demo_config_file(server_ids: &[u64]) -> (DemoServer, tempfile::TempDir, String) {
    let (server, mut config) = demo(DemoOptions::default()).await;
    only_sources(&mut config, server_ids);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    config.save(&path).unwrap();
    (server, dir, path.to_string_lossy().into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_never_goes_through_the_environments_proxy() {
    let proxy = RecordingProxy::start().await;
    let (_server, _dir, path) = demo_config_file(&[1244, 1245]).await;
    let env: Vec<(&str, &str)> = ["http_proxy", "HTTP_PROXY", "https_proxy", "ALL_PROXY"]
        .into_iter()
        .map(|k| (k, proxy.url.as_str()))
        .collect();
    let out = common::lookup(&path, &["--phone", "067 123 4567"], &env).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        proxy.requests().is_empty(),
        "the proxy saw: {:?}",
        proxy.requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_proxy_carries_real_hosts_through_a_tunnel_without_secrets() {
    let proxy = RecordingProxy::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[yespo]\nbase_url = \"https://shop.example/api\"\napi_key = \"very-secret-key-42\"\ntimeout_ms = 3000\n\
             [network]\nproxy = \"{}\"\n[[sources]]\nid = 1\n",
            proxy.url
        ),
    )
    .unwrap();
    let out = common::lookup(path.to_str().unwrap(), &["--phone", "067 123 4567"], &[]).await;
    assert_eq!(out.status.code(), Some(3), "the tunnel was refused");
    let seen = proxy.requests();
    assert!(!seen.is_empty(), "the configured proxy was not used");
    for request in &seen {
        assert!(request.starts_with("CONNECT shop.example:443"), "{request}");
        for secret in ["very-secret-key", "Authorization", "380671234567", "phone"] {
            assert!(!request.contains(secret), "{secret} leaked: {request}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_proxy_setting_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[yespo]\napi_key = \"k\"\n[network]\nproxy = \"gopher://x\"\n[[sources]]\nid = 1\n",
    )
    .unwrap();
    let out = run(&["check", "--config", path.to_str().unwrap()], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[network] proxy"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_api_key_is_a_configuration_error_not_a_401_per_source() {
    let (server, _config) = demo(DemoOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[yespo]\nbase_url = \"{}\"\n[[sources]]\nid = 1244\n",
            server.base_url()
        ),
    )
    .unwrap();
    let out = common::lookup(path.to_str().unwrap(), &["--phone", "0671234567"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("api_key") && err.contains("POS_RECS_API_KEY"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(server.stats().requests.load(Ordering::SeqCst), 0);
    // The environment's key is enough.
    let out = common::lookup(
        path.to_str().unwrap(),
        &["--phone", "0671234567"],
        &[("POS_RECS_API_KEY", "from-env")],
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_numeric_key_is_not_printed_back_in_the_type_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[yespo]\napi_key = 918273645546372819\n").unwrap();
    let out = run(&["check", "--config", path.to_str().unwrap()], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("918273645546372819"), "{err}");
    assert!(err.contains("api_key") && err.contains("line 2"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tag_cannot_drive_the_terminal() {
    let yespo = StandIn::items(serde_json::json!([{
        "id": "A", "name": "Cap\u{1b}[2J",
        "tags_colour": "red\u{1b}]0;pwned\u{7}\u{1b}[2J",
        "descr": "x\u{1b}[31m"
    }]))
    .start()
    .await;
    let addr = yespo.addr;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        format!(
            "[yespo]\nbase_url = \"http://{addr}/api\"\napi_key = \"k\"\n[[sources]]\nid = 5\nshow_tags = [\"colour\"]\n"
        ),
    )
    .unwrap();
    for json in [false, true] {
        let mut args = vec![
            "lookup",
            "--config",
            path.to_str().unwrap(),
            "--email",
            "a@b.co",
        ];
        if json {
            args.push("--json");
        }
        let out = run(&args, &[]).await;
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        assert!(text.contains("red"), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_name_each_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["check", "--config", dir.path().to_str().unwrap()], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.matches("Is a directory").count(),
        1,
        "each cause once: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unused_v1_tokens_expire_on_the_demo_server() {
    let (server, mut config) = demo(DemoOptions {
        token_ttl: Some(Duration::from_millis(200)),
        ..DemoOptions::default()
    })
    .await;
    config.yespo.auth = pos_recs::config::AuthMode::ContactToken;
    let engine = pos_recs::lookup::LookupEngine::new(&config).unwrap();
    for _ in 0..5 {
        engine.run(&common::customer()).await;
    }
    let sources = engine.sources().len();
    assert!(server.live_tokens() >= sources, "rotated tokens are kept");
    tokio::time::sleep(Duration::from_millis(300)).await;
    engine.run(&common::customer()).await;
    assert!(
        server.live_tokens() <= 2 * sources,
        "{} tokens after expiry",
        server.live_tokens()
    );
}

/// The stand-in Yespo's pictures, answered as the test chooses (given the
/// request's number, from 0).
struct PictureServer {
    /// Where its pictures are: `http://127.0.0.1:PORT/pictures`.
    base: String,
    yespo: Yespo,
}

impl PictureServer {
    /// Picture requests that reached it.
    fn hits(&self) -> usize {
        let asked = self.yespo.asked();
        asked.iter().filter(|a| a.kind == Kind::Picture).count()
    }
}

type Answer = Arc<dyn Fn(usize) -> Response + Send + Sync>;

async fn picture_server(answer: Answer) -> PictureServer {
    let count = AtomicUsize::new(0);
    let yespo = StandIn::items(serde_json::json!([]))
        .pictures(Duration::ZERO, move |_| {
            Reply::Raw(answer(count.fetch_add(1, Ordering::SeqCst)))
        })
        .start()
        .await;
    let base = format!("http://{}/pictures", yespo.addr);
    PictureServer { base, yespo }
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn png_response(extra: &[(header::HeaderName, &'static str)]) -> Response {
    let mut r = (StatusCode::OK, png()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, "image/png".parse().unwrap());
    for (k, v) in extra {
        r.headers_mut().insert(k.clone(), v.parse().unwrap());
    }
    r
}

async fn settled(loader: &ImageLoader, url: &str) -> ImageStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match loader.get(url) {
            ImageStatus::Loading => {
                assert!(Instant::now() < deadline, "picture never settled");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            done => return done,
        }
    }
}

fn loader(disk: Option<DiskCache>) -> ImageLoader {
    ImageLoader::new(tokio::runtime::Handle::current(), None, 64 << 20, disk)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_picture_that_failed_once_comes_back_for_the_next_customer() {
    let server = picture_server(Arc::new(|n| {
        if n == 0 {
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        } else {
            png_response(&[])
        }
    }))
    .await;
    let loader = loader(None);
    let url = format!("{}/a.png", server.base);
    assert!(matches!(
        settled(&loader, &url).await,
        ImageStatus::Failed(_)
    ));
    // The same customer's frames do not hammer the server…
    assert!(matches!(loader.get(&url), ImageStatus::Failed(_)));
    assert_eq!(server.hits(), 1);
    // …but the next customer's lookup asks again.
    loader.new_customer();
    assert!(matches!(
        settled(&loader, &url).await,
        ImageStatus::Ready(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_error_page_is_never_cached_as_a_picture() {
    let server = picture_server(Arc::new(|n| {
        if n == 0 {
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html")],
                "<html>CDN error</html>",
            )
                .into_response()
        } else {
            png_response(&[])
        }
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let disk = DiskCache::new(dir.path().to_path_buf(), 1 << 20);
    let url = format!("{}/b.png", server.base);
    let first = loader(Some(disk.clone()));
    assert!(matches!(
        settled(&first, &url).await,
        ImageStatus::Failed(_)
    ));
    assert!(disk.get(&url).is_none(), "the HTML page was stored");
    // A restarted till asks the network again and gets the picture.
    let second = loader(Some(disk.clone()));
    assert!(matches!(
        settled(&second, &url).await,
        ImageStatus::Ready(_)
    ));
    assert!(disk.get(&url).is_some(), "a good picture is stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_store_pictures_stay_off_the_disk_and_huge_max_age_is_harmless() {
    let server = picture_server(Arc::new(|_| png_response(&[]))).await;
    let no_store = picture_server(Arc::new(|_| {
        png_response(&[(header::CACHE_CONTROL, "no-store")])
    }))
    .await;
    let forever = picture_server(Arc::new(|_| {
        png_response(&[(header::CACHE_CONTROL, "max-age=18446744073709551615")])
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let disk = DiskCache::new(dir.path().to_path_buf(), 1 << 20);
    let loader = loader(Some(disk.clone()));
    for (base, stored) in [
        (&server.base, true),
        (&no_store.base, false),
        (&forever.base, true),
    ] {
        let url = format!("{base}/c.png");
        assert!(matches!(
            settled(&loader, &url).await,
            ImageStatus::Ready(_)
        ));
        assert_eq!(disk.get(&url).is_some(), stored, "{base}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn picture_redirects_are_limited_and_never_downgrade_to_plain_http() {
    let downgrade = picture_server(Arc::new(|_| {
        (
            StatusCode::FOUND,
            [(header::LOCATION, "http://pictures.example/x.png")],
        )
            .into_response()
    }))
    .await;
    let looping = picture_server(Arc::new(|_| {
        (
            StatusCode::FOUND,
            [(header::LOCATION, "/pictures/again.png")],
        )
            .into_response()
    }))
    .await;
    let loader = loader(None);
    match settled(&loader, &format!("{}/d.png", downgrade.base)).await {
        ImageStatus::Failed(why) => assert!(why.to_string().contains("redirect"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        settled(&loader, &format!("{}/e.png", looping.base)).await,
        ImageStatus::Failed(_)
    ));
    assert!(looping.hits() > 1, "the redirect was not followed at all");
    assert!(
        looping.hits() <= pos_recs::net::MAX_PICTURE_REDIRECTS + 1,
        "{} hops",
        looping.hits()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_retry_after_is_refused_without_a_panic() {
    let yespo = StandIn::answering(|_| {
        Reply::Raw((StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1e20")], "").into_response())
    })
    .start()
    .await;
    let addr = yespo.addr;
    let (_server, mut config) = demo(DemoOptions::default()).await;
    config.yespo.base_url = format!("http://{addr}/api");
    only_sources(&mut config, &[1244]);
    let engine = pos_recs::lookup::LookupEngine::new(&config).unwrap();
    let results = engine.run(&common::customer()).await;
    assert_eq!(
        results[0].outcome,
        Err(pos_recs::yespo::SourceError::RateLimited),
        "a panic would show as an internal error"
    );
}
