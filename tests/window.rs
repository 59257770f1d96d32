//! The real window under Xvfb, driven with xdotool the way a scanner and a
//! cashier drive it: what headless kittest cannot see (frame timing, focus
//! in a real window manager-less X server, CPU use at rest).
//!
//! Needs `Xvfb` and `xdotool` (`.ci/run` installs them). Where they are
//! missing the tests fail under CI (`CI` set) and are skipped with a loud
//! note elsewhere.

#![cfg(all(unix, feature = "gui"))]

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::response::IntoResponse;
use common::yespo::{Reply, StandIn, Yespo};

/// A Yespo stand-in that answers with many products whose pictures arrive
/// slowly and are all broken (cut off, bombs, too large, missing): a busy,
/// hostile screen. It records every identifier it is asked for.
async fn recording_server() -> Yespo {
    let items: Vec<serde_json::Value> = (0..30)
        .map(|i| {
            serde_json::json!({
                "id": format!("SKU-{i}"), "name": format!("Product {i}"),
                "price": 100 + i, "isInStock": true,
                "tags_picture": format!("/pictures/{i}.png"),
            })
        })
        .collect();
    StandIn::items(serde_json::Value::Array(items))
        .pictures(Duration::from_millis(300), |asked| {
            let n: usize = asked.file().trim_end_matches(".png").parse().unwrap_or(0);
            let png =
                |body: Vec<u8>| Reply::Raw(([("content-type", "image/png")], body).into_response());
            match n % 4 {
                0 => {
                    let mut bomb = pos_recs::demo::pictures::bomb_png(64, 64);
                    bomb.truncate(bomb.len() / 2);
                    png(bomb)
                }
                1 => png(pos_recs::demo::pictures::bomb_png(30_000, 30_000)),
                2 => png(vec![0u8; 11 * 1024 * 1024]),
                _ => Reply::Status(axum::http::StatusCode::NOT_FOUND),
            }
        })
        .start()
        .await
}

/// The identifiers the stand-in was asked for, in order.
fn customers(yespo: &Yespo) -> Vec<String> {
    yespo.recoms().into_iter().map(|a| a.customer).collect()
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// An X server of our own, stopped when dropped.
struct Display {
    name: String,
    server: Child,
}

impl Drop for Display {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: Xvfb then removes its lock and socket files,
        // which a later server would otherwise trip over.
        let _ = Command::new("kill")
            .args(["-TERM", &self.server.id().to_string()])
            .status();
        let _ = self.server.wait();
    }
}

fn start_display() -> Option<Display> {
    if !(have("Xvfb") && have("xdotool")) {
        assert!(
            std::env::var_os("CI").is_none(),
            "Xvfb and xdotool are required in CI (apt-get install xvfb xdotool)"
        );
        eprintln!("SKIPPED: Xvfb or xdotool missing; these window tests did not run");
        return None;
    }
    // `-displayfd 1`: Xvfb picks a display number nobody uses and prints it
    // on stdout once it accepts connections, so there is no guessing, no
    // collision with a stale socket, and no race with start-up.
    let mut server = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1024x768x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb starts");
    let stdout = server.stdout.take().expect("Xvfb's stdout");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    let number = receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("Xvfb did not come up");
    let number = number.trim();
    assert!(
        !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()),
        "Xvfb printed no display number: {number:?}"
    );
    Some(Display {
        name: format!(":{number}"),
        server,
    })
}

/// The till's process and window.
struct Till {
    child: Child,
    window: String,
    display: String,
}

impl Drop for Till {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Till {
    /// A till whose config has `display` as its `[display]` section and
    /// `pin_hash` as its manager PIN's hash.
    fn start_with(
        display_name: &Display,
        base_url: &str,
        dir: &std::path::Path,
        display: &str,
        pin_hash: &str,
    ) -> Till {
        let config = dir.join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[yespo]\nbase_url = \"{base_url}\"\napi_key = \"k\"\n[display]\n{display}\n\
                 [[sources]]\nid = 1\nmax_cards = 30\n[[sources]]\nid = 2\nmax_cards = 30\n\
                 [[sources]]\nid = 3\nmax_cards = 30\n[[sources]]\nid = 4\nmax_cards = 30\n\
                 [manager]\npin_hash = \"{pin_hash}\"\n"
            ),
        )
        .unwrap();
        let display = display_name;
        let child = Command::new(env!("CARGO_BIN_EXE_pos-recs"))
            .args(["--config", config.to_str().unwrap()])
            .env("DISPLAY", &display.name)
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_RUNTIME_DIR", dir)
            .env("XDG_CACHE_HOME", dir.join("cache"))
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("till.log")).unwrap())
            .spawn()
            .expect("the till starts");
        let log = dir.join("till.log");
        let mut child = child;
        let deadline = Instant::now() + Duration::from_secs(90);
        let window = loop {
            let out = Command::new("xdotool")
                .args(["search", "--name", "^pos-recs$"])
                .env("DISPLAY", &display.name)
                .output()
                .unwrap();
            let id = String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .map(str::to_string);
            if let Some(id) = id {
                break id;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "the till exited ({status}) before its window appeared; its log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the window never appeared on {}; the till's log:\n{}",
                display.name,
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        };
        let till = Till {
            child,
            window,
            display: display.name.clone(),
        };
        // The window takes the focus once it is mapped (no window manager here).
        let deadline = Instant::now() + Duration::from_secs(30);
        while !till.try_xdotool(&["windowfocus", "--sync", &till.window.clone()]) {
            assert!(Instant::now() < deadline, "the window never took the focus");
            std::thread::sleep(Duration::from_millis(200));
        }
        till.xdotool(&["windowsize", &till.window.clone(), "1024", "768"]);
        // Let the first frames settle.
        std::thread::sleep(Duration::from_secs(2));
        till
    }

    fn try_xdotool(&self, args: &[&str]) -> bool {
        Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn xdotool(&self, args: &[&str]) {
        assert!(self.try_xdotool(args), "xdotool {args:?}");
    }

    fn type_text(&self, text: &str, delay_ms: u64) {
        self.xdotool(&["type", "--delay", &delay_ms.to_string(), text]);
    }

    fn key(&self, key: &str) {
        self.xdotool(&["key", key]);
    }

    /// CPU time (user + system) of the process so far, in clock ticks.
    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the command name (which is in parentheses).
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    }
}

fn wait_for(what: &str, seen: &Yespo, done: impl Fn(&[String]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done(&customers(seen)) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {:?}",
            customers(seen)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One test's world: an X server, the recording shop, and the till's
/// window on it. Fields drop in order: the till before its display.
struct Scene {
    till: Till,
    /// The stand-in Yespo, and what it was asked for.
    seen: Yespo,
    dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
    display: Display,
}

impl Scene {
    /// A till whose config has `display_section` under `[display]`; `None`
    /// where Xvfb or xdotool is missing outside CI.
    fn start(display_section: &str) -> Option<Scene> {
        // A PIN nobody knows: these tests never open the manager's screens.
        Self::start_with_pin(
            display_section,
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        )
    }

    /// The same with the manager PIN whose hash is `pin_hash`.
    fn start_with_pin(display_section: &str, pin_hash: &str) -> Option<Scene> {
        let display = start_display()?;
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let seen = runtime.block_on(recording_server());
        let base = seen.base();
        let dir = tempfile::tempdir().unwrap();
        let till = Till::start_with(&display, &base, dir.path(), display_section, pin_hash);
        Some(Scene {
            till,
            seen,
            dir,
            _runtime: runtime,
            display,
        })
    }
}

/// One Xvfb for all the checks: starting a display and a debug build's
/// window is the slow part.
#[test]
fn the_real_window_takes_scans_whole_and_rests_quietly() {
    let Some(scene) = Scene::start("") else {
        return;
    };
    let Scene { till, seen, .. } = &scene;

    // A first customer fills the screen (120 cards, pictures still arriving).
    till.type_text("0671234567", 25);
    till.key("Return");
    wait_for("the first lookup", seen, |s| s.len() >= 4);
    std::thread::sleep(Duration::from_millis(300));

    // Esc, then a 13-digit card at 2 ms a key while the screen is busy.
    till.xdotool(&["key", "Escape", "type", "--delay", "2", "2000123456789"]);
    till.key("Return");
    wait_for("the card's lookup", seen, |s| s.len() >= 8);
    std::thread::sleep(Duration::from_millis(500));
    {
        let seen = customers(seen);
        let after: Vec<&String> = seen[4..].iter().collect();
        assert!(
            after.iter().all(|w| *w == "2000123456789"),
            "only the whole card may be looked up: {after:?}"
        );
    }

    // A failed submit, then a new number: only the new number is looked up.
    till.type_text("33", 25);
    till.key("Return");
    std::thread::sleep(Duration::from_millis(300));
    till.type_text("0501112233", 25);
    till.key("Return");
    wait_for("the phone's lookup", seen, |s| s.len() >= 12);
    std::thread::sleep(Duration::from_millis(500));
    {
        let seen = customers(seen);
        assert!(
            seen[8..].iter().all(|w| w == "380501112233"),
            "the leftover was glued on: {:?}",
            &seen[8..]
        );
        assert_eq!(seen.len(), 12, "{seen:?}");
    }

    // At rest: every answer in, pictures failed, nothing changing.
    std::thread::sleep(Duration::from_secs(3));
    let ticks_per_second = 100.0; // USER_HZ on Linux
    let before = till.cpu_ticks();
    std::thread::sleep(Duration::from_secs(3));
    let share = (till.cpu_ticks() - before) as f64 / ticks_per_second / 3.0;
    eprintln!(
        "CPU at rest with cards on screen: {:.1} % of a core",
        share * 100.0
    );
    // Generous ceiling; the measured figure goes to scripts/bench.sh.
    assert!(
        share < 0.10,
        "the till does not rest: {:.1} %",
        share * 100.0
    );
}

/// Windows whose title matches `pattern`.
fn windows(display: &Display, pattern: &str) -> usize {
    let out = Command::new("xdotool")
        .args(["search", "--name", pattern])
        .env("DISPLAY", &display.name)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).lines().count()
}

#[test]
fn the_customer_window_follows_show_to_customer() {
    let Some(scene) = Scene::start("customer_screen = \"window\"") else {
        return;
    };
    let Scene {
        till,
        seen,
        display,
        ..
    } = &scene;
    // Two windows from one process: the cashier's and the customer's (idle).
    let deadline = Instant::now() + Duration::from_secs(30);
    while windows(display, "customer") == 0 {
        assert!(Instant::now() < deadline, "no customer window");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(windows(display, "customer: "), 0, "idle: nothing shown yet");
    till.xdotool(&["windowfocus", "--sync", &till.window.clone()]);
    till.type_text("0671234567", 20);
    till.key("Return");
    wait_for("the lookup", seen, |s| s.len() >= 4);
    std::thread::sleep(Duration::from_millis(800));
    // Down onto the first card, F5: "Show to customer".
    till.key("Down");
    std::thread::sleep(Duration::from_millis(300));
    till.key("F5");
    let deadline = Instant::now() + Duration::from_secs(10);
    while windows(display, "customer: Product 0") == 0 {
        assert!(
            Instant::now() < deadline,
            "the customer window did not follow"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        windows(display, "^pos-recs$"),
        1,
        "the cashier's window stays"
    );
    // The keyboard stays with the cashier: Esc and the next customer's
    // email, typed at once, arrive whole, and the customer's window goes
    // back to its idle view.
    till.xdotool(&["key", "Escape", "type", "--delay", "5", "olena@example.com"]);
    till.key("Return");
    wait_for("the next customer", seen, |s| {
        s.iter().any(|w| w == "olena@example.com")
    });
    assert!(
        customers(seen)[4..]
            .iter()
            .all(|w| w == "olena@example.com"),
        "{:?}",
        customers(seen)
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while windows(display, "customer: ") > 0 {
        assert!(
            Instant::now() < deadline,
            "the customer window stayed on the old product"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A POS button runs `pos-recs --phone …` while the till is open: no second
/// window opens, the launch exits 0 at once, and the running till looks the
/// customer up.
#[test]
fn a_second_launch_hands_the_customer_to_the_running_till() {
    let Some(scene) = Scene::start("") else {
        return;
    };
    let Scene {
        seen, dir, display, ..
    } = &scene;
    let mut second = Command::new(env!("CARGO_BIN_EXE_pos-recs"))
        .args(["--config", dir.path().join("config.toml").to_str().unwrap()])
        .args(["--phone", "050 111 2233"])
        .env("DISPLAY", &display.name)
        .env("XDG_RUNTIME_DIR", dir.path())
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the second launch runs");
    // A second launch that opened its own window would still be running.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            let _ = second.wait();
            panic!("the second launch kept running (a second window?)");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "the second launch: {status}");
    wait_for("the handed-over lookup", seen, |s| s.len() >= 4);
    assert!(
        customers(seen).iter().all(|w| w == "380501112233"),
        "{:?}",
        customers(seen)
    );
    assert_eq!(windows(display, "^pos-recs$"), 1, "one till window");
}

/// The POS link of the real window under Xvfb, driven the way a POS drives
/// it: customer A, customer B, then at once the recommendations, 100 times.
/// Every answer is B's, and after DELETE the next GET is 404: the window's
/// frames never stand between a command and the answer.
#[test]
fn the_windows_pos_link_answers_every_change_at_once() {
    let port = common::free_port();
    let token = "window-pos-token";
    let section = format!("\n[integration]\nlisten = \"127.0.0.1:{port}\"\ntoken = \"{token}\"\n");
    let Some(scene) = Scene::start(&section) else {
        return;
    };
    let base = format!("http://127.0.0.1:{port}/v1");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    scene._runtime.block_on(async {
        let send = |request: reqwest::RequestBuilder| async move {
            let response = request.bearer_auth(token).send().await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                response
                    .json::<serde_json::Value>()
                    .await
                    .unwrap_or_default(),
            )
        };
        for round in 0..100 {
            let a = format!("0671001{round:03}");
            let b = format!("0502002{round:03}");
            for phone in [&a, &b] {
                let (status, body) = send(
                    http.post(format!("{base}/customer"))
                        .json(&serde_json::json!({ "phone": phone })),
                )
                .await;
                assert_eq!(status, 200, "{body}");
            }
            let (status, document) = send(http.get(format!("{base}/recommendations"))).await;
            assert_eq!(status, 200, "round {round}: {document}");
            let shown = document["identifier"]["value"].as_str().unwrap_or_default();
            assert!(
                shown.ends_with(&b[b.len() - 4..]),
                "round {round}: not B's document: {shown}"
            );
            let (status, _) = send(http.delete(format!("{base}/customer"))).await;
            assert_eq!(status, 200);
            let (status, after) = send(http.get(format!("{base}/recommendations"))).await;
            assert_eq!(status, 404, "round {round}: {after}");
        }
    });
    // The window drew the last state: no customer.
    drop(scene);
}

/// Waits until the till's log has `line`.
fn wait_for_log(dir: &std::path::Path, line: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let log = std::fs::read_to_string(dir.join("till.log")).unwrap_or_default();
        if log.contains(line) {
            return;
        }
        assert!(Instant::now() < deadline, "never logged {line:?}:\n{log}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The manager's report in the real window: the PIN typed, What works
/// chosen in the manager menu with the pointer, Export CSV pressed, and
/// the report resting quietly with its charts on screen.
#[test]
fn the_report_opens_from_the_manager_menu_and_rests_quietly() {
    let hash = pos_recs::pin::hash("246813").unwrap();
    let Some(scene) = Scene::start_with_pin("", &hash) else {
        return;
    };
    let Scene {
        till, seen, dir, ..
    } = &scene;
    // A customer, so there are figures to show.
    till.type_text("0671234567", 25);
    till.key("Return");
    wait_for("the lookup", seen, |s| s.len() >= 4);
    till.key("F2");
    std::thread::sleep(Duration::from_millis(500));
    till.type_text("246813", 25);
    till.key("Return");
    wait_for_log(dir.path(), "the manager settings were opened with the PIN");
    // The manager menu's second entry, at the window's top left.
    let window = till.window.clone();
    let click = |x: &str, y: &str| {
        till.xdotool(&["mousemove", "--window", &window, x, y, "click", "1"]);
    };
    std::thread::sleep(Duration::from_millis(500));
    click("190", "24");
    wait_for_log(dir.path(), "the manager opened What works");
    // Export CSV, at the foot of the 1024×768 window.
    let csv = dir.path().join("pos-recs-what-works.csv");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !csv.exists() {
        assert!(Instant::now() < deadline, "Export CSV wrote nothing");
        click("590", "724");
        std::thread::sleep(Duration::from_millis(700));
    }
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("source_id,lookups,"), "{text}");
    assert_eq!(text.lines().count(), 5, "a header and four sources: {text}");
    // At rest with the report on screen: the charts ask for no frames.
    till.xdotool(&["mousemove", "--window", &window, "1000", "400"]);
    std::thread::sleep(Duration::from_secs(2));
    let before = till.cpu_ticks();
    std::thread::sleep(Duration::from_secs(3));
    let share = (till.cpu_ticks() - before) as f64 / 100.0 / 3.0;
    eprintln!(
        "CPU at rest on What works: {:.1} % of a core",
        share * 100.0
    );
    assert!(
        share < 0.10,
        "the report does not rest: {:.1} %",
        share * 100.0
    );
}
