//! The command line's side of the basket and the POS link: `lookup
//! --products/--category` and `pos-recs send`, run as the real binary.

use crate::common;

use common::{demo, run_cli};
use pos_recs::basket::Basket;
use pos_recs::config::IntegrationConfig;
use pos_recs::demo::DemoOptions;
use pos_recs::identify::Rules;
use pos_recs::identify::{IdentifierKind, IdentifyError};
use pos_recs::pos_link::{PosLink, TillPort};
use pos_recs::secret::ApiKey;

use common::stderr;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_takes_a_basket_and_skips_what_needs_one_without_it() {
    let (_server, config) = demo(DemoOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    config.save(&path).unwrap();
    let path = path.to_str().unwrap();
    let json = |out: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let status_of = |doc: &serde_json::Value, id: u64| {
        doc["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| s["status"].as_str().unwrap_or_default().to_string())
            .unwrap()
    };
    let without = common::lookup(path, &["--phone", "0671234567", "--json"], &[]).await;
    assert_eq!(without.status.code(), Some(0), "{}", stderr(&without));
    let doc = json(&without);
    assert_eq!(status_of(&doc, 1247), "skipped");
    let skipped = doc["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == 1247)
        .unwrap();
    assert_eq!(skipped["products"], serde_json::json!([]));
    assert!(skipped["error"].as_str().unwrap().contains("basket"));
    let with = common::lookup(
        path,
        &[
            "--phone",
            "0671234567",
            "--json",
            "--products",
            "SKU-1001,SKU-1004",
            "--products",
            "SKU-1041",
            "--category",
            "dresses",
        ],
        &[],
    )
    .await;
    assert_eq!(with.status.code(), Some(0), "{}", stderr(&with));
    assert_eq!(status_of(&json(&with), 1247), "ok");
    for bad in [",", " , "] {
        let out = common::lookup(path, &["--phone", "0671234567", "--products", bad], &[]).await;
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(stderr(&out).trim().lines().count(), 1, "{}", stderr(&out));
    }
}

fn link_config(dir: &std::path::Path, listen: &str) -> String {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[yespo]\napi_key = \"k\"\n[integration]\nlisten = \"{listen}\"\ntoken = \"t0ken\"\n[[sources]]\nid = 1\n"
        ),
    )
    .unwrap();
    path.to_string_lossy().into_owned()
}

/// What reached the till through the link: the POS link's other end.
#[derive(Default)]
struct RecordingTill {
    calls: std::sync::Mutex<Vec<String>>,
    events: Option<tokio::sync::broadcast::Sender<pos_recs::pos_link::PosEvent>>,
}

impl TillPort for RecordingTill {
    fn customer(
        &self,
        kind: IdentifierKind,
        raw: &str,
        basket: Option<Basket>,
    ) -> Result<u64, IdentifyError> {
        let customer =
            Rules::from_config(&pos_recs::config::Config::default()).identify(raw, Some(kind))?;
        let products = basket.map(|b| b.products.join("+")).unwrap_or_default();
        self.calls
            .lock()
            .unwrap()
            .push(format!("customer {} {products}", customer.value()));
        Ok(1)
    }
    fn basket(&self, basket: Basket) -> Option<u64> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("basket {}", basket.products.join("+")));
        None
    }
    fn clear(&self) {
        self.calls.lock().unwrap().push("clear".into());
    }
    fn sale(
        &self,
        sale: &pos_recs::sale::Sale,
    ) -> Result<pos_recs::till::SaleSummary, pos_recs::sale::SaleError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("sale {} lines", sale.lines.len()));
        Ok(pos_recs::till::SaleSummary {
            lookup: 1,
            group: pos_recs::experiment::Group::Shown,
            lines: sale.lines.len(),
            recommended_lines: 0,
            repeated: false,
        })
    }
    fn void(
        &self,
        sale_id: &str,
    ) -> Result<pos_recs::till::VoidSummary, pos_recs::sale::SaleError> {
        self.calls.lock().unwrap().push(format!("void {sale_id}"));
        Ok(pos_recs::till::VoidSummary { repeated: false })
    }
    fn document(&self) -> Option<std::sync::Arc<serde_json::Value>> {
        None
    }
    fn events(&self) -> tokio::sync::broadcast::Receiver<pos_recs::pos_link::PosEvent> {
        match &self.events {
            Some(sender) => sender.subscribe(),
            None => tokio::sync::broadcast::channel(1).1,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_reaches_a_listening_till_and_says_when_none_listens() {
    let dir = tempfile::tempdir().unwrap();
    let integration = IntegrationConfig {
        listen: "127.0.0.1:0".into(),
        token: Some(ApiKey::new("t0ken")),
    };
    let till = std::sync::Arc::new(RecordingTill::default());
    let link = PosLink::start(
        &integration,
        till.clone(),
        &tokio::runtime::Handle::current(),
    )
    .unwrap();
    let path = link_config(dir.path(), &link.address().to_string());
    let out = run_cli(
        &[
            "send",
            "--config",
            &path,
            "--phone",
            "067 123 4567",
            "--products",
            "SKU-1,SKU-2",
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Applied before send's request was answered: no waiting here.
    assert_eq!(
        *till.calls.lock().unwrap(),
        ["customer 380671234567 SKU-1+SKU-2"]
    );
    let out = run_cli(&["send", "--config", &path, "--clear"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(till.calls.lock().unwrap().last().unwrap(), "clear");
    // A finished sale from a file.
    let sale = dir.path().join("sale.json");
    std::fs::write(
        &sale,
        r#"{"lines": [{"product": "SKU", "quantity": 2, "price": 499.0}, {"product": "B"}], "total": 998.0}"#,
    )
    .unwrap();
    let sale = sale.to_string_lossy().into_owned();
    let out = run_cli(&["send", "--config", &path, "--sale", &sale], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(till.calls.lock().unwrap().last().unwrap(), "sale 2 lines");
    // A void.
    let out = run_cli(&["send", "--config", &path, "--void", "R-17"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(till.calls.lock().unwrap().last().unwrap(), "void R-17");
    // A malformed sale file is named, and the till is not asked.
    std::fs::write(&sale, r#"{"lines": [{"product": "SKU", "quantity": -1}]}"#).unwrap();
    let calls = till.calls.lock().unwrap().len();
    let out = run_cli(&["send", "--config", &path, "--sale", &sale], &[]).await;
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("quantity"), "{}", stderr(&out));
    assert_eq!(till.calls.lock().unwrap().len(), calls);
    // A bad phone: the till refuses it, and send says so in one line.
    let out = run_cli(&["send", "--config", &path, "--phone", "067-ABC"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("phone"), "{}", stderr(&out));
    // Nobody listening.
    drop(link);
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let path = link_config(dir.path(), &free.to_string());
    let out = run_cli(&["send", "--config", &path, "--card", "2000123456789"], &[]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no till is listening"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stderr(&out).trim().lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_listens_on_loopback_only_and_needs_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let path = link_config(dir.path(), "0.0.0.0:7645");
    let out = run_cli(&["check", "--config", &path], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("[integration] listen"),
        "{}",
        stderr(&out)
    );
    let path = dir.path().join("no-token.toml");
    std::fs::write(
        &path,
        "[yespo]\napi_key = \"k\"\n[integration]\nlisten = \"127.0.0.1:7645\"\n[[sources]]\nid = 1\n",
    )
    .unwrap();
    let out = run_cli(&["check", "--config", path.to_str().unwrap()], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("[integration] token"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autostart_on_and_off_writes_and_removes_the_session_entry() {
    let home = tempfile::tempdir().unwrap();
    let env = [("XDG_CONFIG_HOME", home.path().to_str().unwrap())];
    let entry = home.path().join("autostart/pos-recs.desktop");
    let out = run_cli(&["autostart", "on"], &env).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&entry).unwrap();
    assert!(
        text.contains("Exec=pos-recs") && text.contains("[Desktop Entry]"),
        "{text}"
    );
    let out = run_cli(&["autostart", "off"], &env).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(!entry.exists());
    let out = run_cli(&["autostart", "maybe"], &env).await;
    assert_eq!(out.status.code(), Some(2), "a bad word is bad input");
}
