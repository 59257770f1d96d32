//! The Windows till, under Wine: the `.exe` cross-built by
//! `scripts/windows.sh` (Debian's Rust and MinGW), its CLI against a
//! stand-in Yespo on loopback, `serve` driven by a Linux HTTP client the
//! way a POS drives it (killed and started again, nothing lost), and the
//! MSI installed and uninstalled with Wine's msiexec.
//!
//! Runs when `POS_RECS_WINDOWS_EXE` names the built `.exe` (and
//! `POS_RECS_WINDOWS_MSI` the package, `WINEPREFIX` a prepared prefix):
//! `scripts/test.sh` builds them first when the toolchain can be had;
//! otherwise these tests say SKIPPED (and fail when
//! `POS_RECS_REQUIRE_WINDOWS` is set).

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use pos_recs::demo::{DemoOptions, DemoServer, Fault};
use serde_json::{Value, json};

const TOKEN: &str = "windows-pos-token";

/// The built `.exe`, or `None` (with a loud note) when it was not built.
fn exe() -> Option<PathBuf> {
    match std::env::var_os("POS_RECS_WINDOWS_EXE") {
        Some(path) => Some(PathBuf::from(path)),
        None => {
            assert!(
                std::env::var_os("POS_RECS_REQUIRE_WINDOWS").is_none(),
                "the Windows build is required here: scripts/windows.sh makes it"
            );
            eprintln!("SKIPPED: no Windows build (POS_RECS_WINDOWS_EXE); run scripts/windows.sh");
            None
        }
    }
}

/// A Linux path as the Windows program sees it under Wine (drive Z:).
fn win_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// Wine's launcher (`WINE`, as scripts/windows.sh found it).
fn wine64() -> std::ffi::OsString {
    std::env::var_os("WINE").unwrap_or_else(|| "wine64".into())
}

/// `wine64 EXE ARGS…` with the prepared prefix, quiet.
fn wine(exe: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(wine64());
    command
        .arg(exe)
        .args(args)
        .env("WINEDEBUG", "-all")
        .env_remove("DISPLAY")
        .env_remove("POS_RECS_API_KEY")
        .env_remove("RUST_LOG");
    command
}

/// How long one Wine command may take before the test fails (the first
/// one in a fresh prefix starts Wine's own services too).
const WINE_DEADLINE: Duration = Duration::from_secs(120);

/// Runs a Wine command to its end, within [`WINE_DEADLINE`].
///
/// Its output goes to files, not pipes: the Wine services a command starts
/// (wineserver, services.exe, explorer) inherit its stdout and stderr and
/// outlive it, so waiting for a pipe to close can wait for as long as any
/// other Wine program in the prefix runs. The process itself is waited on.
async fn run(command: Command) -> Output {
    let mut command = command;
    tokio::task::spawn_blocking(move || {
        let stdout = tempfile::tempfile().unwrap();
        let stderr = tempfile::tempfile().unwrap();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(stdout.try_clone().unwrap())
            .stderr(stderr.try_clone().unwrap())
            .spawn()
            .expect("wine64 runs");
        let deadline = Instant::now() + WINE_DEADLINE;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{command:?} did not end within {WINE_DEADLINE:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let read = |mut file: std::fs::File| {
            use std::io::{Read, Seek};
            let mut bytes = Vec::new();
            file.seek(std::io::SeekFrom::Start(0)).unwrap();
            file.read_to_end(&mut bytes).unwrap();
            bytes
        };
        Output {
            status,
            stdout: read(stdout),
            stderr: read(stderr),
        }
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A config for the demo shop at `shop`, its history in `dir`.
fn write_config(
    dir: &Path,
    shop: &DemoServer,
    edit: impl FnOnce(&mut pos_recs::config::Config),
) -> PathBuf {
    let mut config = shop.config();
    config.history.path = Some(PathBuf::from(win_path(&dir.join("history.sqlite3"))));
    edit(&mut config);
    let path = dir.join("config.toml");
    config.save(&path).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_windows_cli_answers_under_wine() {
    let Some(exe) = exe() else { return };
    let version = run(wine(&exe, &["--version"])).await;
    assert!(version.status.success(), "{}", text(&version.stderr));
    assert!(
        text(&version.stdout).starts_with(&format!("pos-recs {}", env!("CARGO_PKG_VERSION"))),
        "{}",
        text(&version.stdout)
    );

    let shop = DemoServer::start(DemoOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // v2 with the key: every source answers.
    let config = write_config(dir.path(), &shop, |_| {});
    let config_arg = win_path(&config);
    let check = run(wine(&exe, &["check", "--config", &config_arg])).await;
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}{}",
        text(&check.stdout),
        text(&check.stderr)
    );
    // The same file readable by every user of the machine (Wine gives
    // the Unix "others" bits to Everyone in the file's ACL): `check` reads
    // the ACL, says so, and names the command that makes it private.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
        let open = run(wine(&exe, &["check", "--config", &config_arg])).await;
        let said = text(&open.stdout);
        assert_ne!(open.status.code(), Some(0), "{said}");
        assert!(
            said.contains("every user of this machine can read") && said.contains("api_key"),
            "{said}"
        );
        assert!(said.contains("icacls"), "{said}");
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
        let private = run(wine(&exe, &["check", "--config", &config_arg])).await;
        assert_eq!(private.status.code(), Some(0), "{}", text(&private.stdout));
    }
    let lookup = run(wine(
        &exe,
        &[
            "lookup",
            "--config",
            &config_arg,
            "--phone",
            "067 123 4567",
            "--json",
        ],
    ))
    .await;
    assert_eq!(lookup.status.code(), Some(0), "{}", text(&lookup.stderr));
    let document: Value = serde_json::from_slice(&lookup.stdout).unwrap();
    // The CLI's JSON is for the operator: the identifier as normalised.
    assert_eq!(document["identifier"]["value"], "380671234567");
    let sources = document["sources"].as_array().unwrap();
    assert!(
        sources
            .iter()
            .any(|s| s["status"] == "ok" && !s["products"].as_array().unwrap().is_empty())
    );

    // v1 token mode, with one source failing: the others answer.
    let failing = DemoServer::start(DemoOptions {
        faults: [(1246, Fault::Status(500))].into(),
        ..DemoOptions::default()
    })
    .await
    .unwrap();
    let v1 = tempfile::tempdir().unwrap();
    let config = write_config(v1.path(), &failing, |c| {
        c.yespo.auth = pos_recs::config::AuthMode::ContactToken;
    });
    let lookup = run(wine(
        &exe,
        &[
            "lookup",
            "--config",
            &win_path(&config),
            "--card",
            "2000123456789",
            "--json",
        ],
    ))
    .await;
    assert_eq!(lookup.status.code(), Some(0), "{}", text(&lookup.stderr));
    let document: Value = serde_json::from_slice(&lookup.stdout).unwrap();
    let status_of = |id: u64| {
        document["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| s["status"].clone())
            .unwrap()
    };
    assert_eq!(status_of(1246), "error");
    assert_eq!(status_of(1245), "ok");
    assert!(
        failing
            .stats()
            .tokens_issued
            .load(std::sync::atomic::Ordering::SeqCst)
            > 0
    );

    // A bad config: one line, exit 2.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[yespo\nbase_url = 1\n").unwrap();
    let out = run(wine(&exe, &["check", "--config", &win_path(&bad)])).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr).trim().lines().count(),
        1,
        "{}",
        text(&out.stderr)
    );
}

/// `pos-recs.exe serve` under Wine, its stderr read for the address.
struct WineServe {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl WineServe {
    fn start(exe: &Path, config: &Path) -> Self {
        let mut command = wine(exe, &["serve", "--config", &win_path(config)]);
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut log = Vec::new();
        let base = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("serve did not start under Wine: {log:#?}"));
            if let Some(at) = line.find("http://") {
                break line[at..].trim().to_string();
            }
            log.push(line);
        };
        Self {
            child,
            base,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// SIGKILL: under Wine the Linux process is the Windows process.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_under_wine_takes_a_pos_and_keeps_its_sales_across_a_kill() {
    let Some(exe) = exe() else { return };
    let shop = DemoServer::start(DemoOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &shop, |c| {
        c.integration = Some(pos_recs::config::IntegrationConfig {
            listen: "127.0.0.1:0".into(),
            token: Some(pos_recs::secret::ApiKey::new(TOKEN)),
        });
    });
    let serve = WineServe::start(&exe, &config);
    use reqwest::Method;
    let (status, a) = serve
        .send(
            Method::POST,
            "/customer",
            Some(json!({"phone": "067 123 4567"})),
        )
        .await;
    assert_eq!(status, 200, "{a}");
    let (status, b) = serve
        .send(
            Method::POST,
            "/customer",
            Some(json!({"phone": "050 111 2233"})),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    let (status, document) = serve.send(Method::GET, "/recommendations", None).await;
    assert_eq!(status, 200);
    assert_eq!(document["lookup"], b["lookup"], "GET at once is B's");
    assert_eq!(document["identifier"]["value"], "380*****2233");
    let (status, _) = serve.send(Method::DELETE, "/customer", None).await;
    assert_eq!(status, 200);
    let (status, _) = serve.send(Method::GET, "/recommendations", None).await;
    assert_eq!(status, 404);
    serve
        .send(
            Method::POST,
            "/customer",
            Some(json!({"phone": "063 222 3344"})),
        )
        .await;
    let sale = json!({"lines": [{"product": "SKU-1001", "quantity": 1, "price": 499.0}],
                      "total": 499.0, "sale_id": "W-1"});
    let (status, answer) = serve.send(Method::POST, "/sale", Some(sale.clone())).await;
    assert_eq!(status, 200, "{answer}");
    serve.kill();

    // Started again: the sale is on disk, and its repeat is known.
    let stats = run(wine(
        &exe,
        &["stats", "--config", &win_path(&config), "--csv"],
    ))
    .await;
    assert!(stats.status.success(), "{}", text(&stats.stderr));
    let serve = WineServe::start(&exe, &config);
    serve
        .send(
            Method::POST,
            "/customer",
            Some(json!({"phone": "063 222 3344"})),
        )
        .await;
    let (status, again) = serve.send(Method::POST, "/sale", Some(sale)).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["repeated"], true, "{again}");
    serve.kill();
    let db = rusqlite::Connection::open(dir.path().join("history.sqlite3")).unwrap();
    let sales: i64 = db
        .query_row("SELECT COUNT(*) FROM sales", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sales, 1);
}

/// The MSI installs under Wine's msiexec: the program, its Start-menu
/// entry and the example config; uninstalling keeps the config the IT
/// department wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_msi_installs_runs_and_uninstalls_keeping_the_config() {
    let Some(_) = exe() else { return };
    let msi =
        PathBuf::from(std::env::var_os("POS_RECS_WINDOWS_MSI").expect("the MSI beside the exe"));
    let prefix = PathBuf::from(std::env::var_os("WINEPREFIX").expect("a Wine prefix"));
    let drive = prefix.join("drive_c");
    let msiexec = |args: &[&str]| {
        let mut command = Command::new(wine64());
        command
            .arg("msiexec")
            .args(args)
            .env("WINEDEBUG", "-all")
            .env_remove("DISPLAY");
        command
    };
    let installed = run(msiexec(&["/i", &win_path(&msi), "/qn"])).await;
    assert!(installed.status.success(), "{}", text(&installed.stderr));
    let program = drive.join("Program Files/pos-recs/pos-recs.exe");
    assert!(program.exists(), "not installed: {}", program.display());
    let data = drive.join("ProgramData/pos-recs");
    assert!(data.join("config.toml.example").exists());
    // The Start-menu entry (Wine puts a machine's in the user's menu).
    let shortcut = |drive: &Path| {
        walk(drive).into_iter().find(|p| {
            let p = p.to_string_lossy();
            p.contains("Start Menu") && p.ends_with("pos-recs.lnk")
        })
    };
    assert!(shortcut(&drive).is_some(), "no Start-menu entry");
    // The installed program runs.
    let version = run(wine(&program, &["--version"])).await;
    assert!(version.status.success());
    // IT writes the machine-wide config; uninstalling keeps it.
    std::fs::write(data.join("config.toml"), "[yespo]\napi_key = \"k\"\n").unwrap();
    let removed = run(msiexec(&["/x", &win_path(&msi), "/qn"])).await;
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    assert!(!program.exists(), "still installed");
    assert!(shortcut(&drive).is_none(), "the Start-menu entry stayed");
    assert!(
        data.join("config.toml").exists(),
        "the config went with the program"
    );
    // The prefix is shared: the next till there starts without it.
    std::fs::remove_file(data.join("config.toml")).unwrap();
}

/// How many events of `kind` the demo till under Wine recorded (0 while
/// its history does not exist yet).
fn demo_events(prefix: &Path, kind: &str) -> i64 {
    walk(&prefix.join("drive_c/users"))
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with("history-demo.sqlite3"))
        .and_then(|h| rusqlite::Connection::open(h).ok())
        .and_then(|db| {
            db.query_row("SELECT COUNT(*) FROM events WHERE kind = ?1", [kind], |r| {
                r.get(0)
            })
            .ok()
        })
        .unwrap_or(0)
}

fn walk(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(root) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// The window under Wine and Xvfb: it opens on a Wine desktop, a phone
/// typed with xdotool brings the demo's cards, and the cards the cashier
/// could see are in the till's history (recorded only once drawn).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_windows_window_opens_under_wine_and_shows_cards() {
    let Some(exe) = exe() else { return };
    let have = |tool: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("Xvfb") || !have("xdotool") {
        eprintln!("SKIPPED: Xvfb or xdotool missing; the Windows window test did not run");
        return;
    }
    let prefix = PathBuf::from(std::env::var_os("WINEPREFIX").expect("a Wine prefix"));
    // A copy of its own (with the stand-in DLL), so only it is stopped at the end.
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("pos-recs-window-test.exe");
    std::fs::copy(&exe, &own).unwrap();
    let dll = exe.with_file_name("bcryptprimitives.dll");
    std::fs::copy(&dll, dir.path().join("bcryptprimitives.dll")).unwrap();
    for history in walk(&prefix.join("drive_c/users")) {
        if history.to_string_lossy().contains("history-demo.sqlite3") {
            let _ = std::fs::remove_file(history);
        }
    }
    let display = format!(":{}", 40 + std::process::id() % 40);
    /// Stops a child when the test ends, however it ends.
    struct Stop(Child, Option<PathBuf>);
    impl Drop for Stop {
        fn drop(&mut self) {
            // The Windows program runs in its own process beside explorer.
            if let Some(exe) = &self.1 {
                let _ = Command::new("pkill")
                    .args(["-f", &exe.to_string_lossy()])
                    .status();
            }
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _xvfb = Stop(
        Command::new("Xvfb")
            .args([display.as_str(), "-screen", "0", "1280x860x24"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
        None,
    );
    let xdotool = |args: &[&str]| {
        Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &display)
            .output()
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !xdotool(&["getmouselocation"]).status.success() {
        assert!(Instant::now() < deadline, "Xvfb did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let desktop = Command::new(wine64())
        .args(["explorer", "/desktop=pos-recs-test,1280x860"])
        .arg(&own)
        .env("DISPLAY", &display)
        .env("WINEDEBUG", "-all")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _desktop = Stop(desktop, Some(own.clone()));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found = xdotool(&["search", "--name", "^pos-recs$"]);
        if found.status.success() && !found.stdout.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the window did not open under Wine"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The first frame, then the phone as a cashier types it.
    std::thread::sleep(Duration::from_secs(3));
    xdotool(&["mousemove", "640", "53", "click", "1"]);
    xdotool(&["type", "--delay", "30", "0671234567"]);
    xdotool(&["key", "Return"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let shown = loop {
        let shown = demo_events(&prefix, "shown");
        if shown > 0 {
            break shown;
        }
        assert!(Instant::now() < deadline, "no card was shown under Wine");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(shown >= 4, "{shown} cards shown");

    // A second launch with a customer (a POS button) hands them to the
    // running window over the user's named pipe, and exits at once.
    let lookups = || demo_events(&prefix, "lookup");
    let before = lookups();
    let mut second = wine(&own, &["--phone", "050 111 2233"]);
    second.env("DISPLAY", &display);
    let handed = run(second).await;
    assert!(handed.status.success(), "{}", text(&handed.stderr));
    let deadline = Instant::now() + Duration::from_secs(30);
    while lookups() <= before {
        assert!(
            Instant::now() < deadline,
            "the running window did not take the second launch's customer"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let windows = xdotool(&["search", "--name", "^pos-recs$"]);
    assert_eq!(
        text(&windows.stdout).lines().count(),
        1,
        "a second window opened"
    );
}
