//! The chain's report, proven with the real engine: the gateway from
//! `deploy/gateway/` run by nginx on loopback, 50 tills in process, each
//! with its own SQLite history, uploading their days through it with
//! nginx's WebDAV module; then `stats --chain` over the gateway's folder
//! must give exactly the sums of the tills' own histories.
//!
//! Needs nginx (`.ci/run` installs it); skipped with a loud note elsewhere,
//! and fails under CI without it.

use crate::common;
use crate::common::nginx;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nginx::{GatewayOptions, Nginx, have_nginx, start_gateway, till_token};
use pos_recs::chain::read::{self, By};
use pos_recs::chain::upload::{ReportSettings, Reporter, pending_days, queue_file_beside};
use pos_recs::experiment::Group;
use pos_recs::history::{self, Event};
use pos_recs::sale::{Bought, Click, SaleLine, SaleRecord};
use pos_recs::secret::ApiKey;

const TILLS: usize = 50;
const STORES: usize = 5;
/// `store_of(i)` for every till, as the gateway's token map names them.
const STORE_NAMES: [&str; STORES] = ["store-0", "store-1", "store-2", "store-3", "store-4"];
const SOURCES: [u64; 3] = [1244, 1245, 1246];

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn store_of(till: usize) -> String {
    format!("store-{}", till % STORES)
}

fn sale(n: usize, source_id: u64, revenue: f64, click: Click) -> Event {
    Event::Sale(Box::new(SaleRecord {
        group: if n.is_multiple_of(4) {
            Group::Holdout
        } else {
            Group::Shown
        },
        period: "10%-abcd".into(),
        total: Some(100.0 + n as f64),
        items: 2.0,
        lines: vec![SaleLine {
            product: format!("P{n}"),
            quantity: 1.0,
            price: Some(revenue),
        }],
        bought: vec![Bought {
            source_id,
            product_id: format!("P{n}"),
            name: format!("Product {n}"),
            quantity: 1.0 + (n % 2) as f64,
            revenue: Some(revenue),
            click,
        }],
    }))
}

/// A history with figures on three days, different for each till.
fn make_history(dir: &Path, till: usize) -> PathBuf {
    let path = dir.join(format!("till-{till}.sqlite3"));
    let mut conn = history::open(&path).unwrap();
    let mut batch = Vec::new();
    for days_ago in 0..3i64 {
        // Today: a minute ago; earlier days: at noon-ish.
        let at = if days_ago == 0 {
            now() - 60
        } else {
            now() - days_ago * 86_400
        };
        let n = till * 7 + days_ago as usize;
        for lookup in 0..(1 + n % 3) {
            batch.push((at, Event::Lookup));
            for (k, &source_id) in SOURCES.iter().enumerate() {
                let failed = (n + lookup + k).is_multiple_of(5);
                batch.push((
                    at,
                    Event::Answer {
                        source_id,
                        status: if failed { "error" } else { "ok" },
                        elapsed_ms: 40 + k as u64,
                    },
                ));
                if !failed {
                    for position in 0..(1 + (n + k) % 4) {
                        batch.push((
                            at,
                            Event::Shown {
                                source_id,
                                product_id: format!("P{position}"),
                                position,
                            },
                        ));
                    }
                }
            }
        }
        let source = SOURCES[n % SOURCES.len()];
        batch.push((
            at,
            Event::Opened {
                source_id: source,
                product_id: "P0".into(),
            },
        ));
        if n.is_multiple_of(2) {
            batch.push((
                at,
                Event::AddedToSale {
                    source_id: source,
                    product_id: "P0".into(),
                },
            ));
        }
        batch.push((
            at,
            sale(n, source, 10.0 + (n % 9) as f64 * 2.5, Click::Added),
        ));
        batch.push((at, sale(n + 1, SOURCES[0], 4.25, Click::None)));
    }
    history::write_batch(&mut conn, &batch).unwrap();
    path
}

fn settings(base: &str, till: usize, token: &str) -> ReportSettings {
    ReportSettings {
        base: base.to_string(),
        store: store_of(till),
        till: format!("till-{till}"),
        token: ApiKey::new(token),
        network: Default::default(),
        titles: SOURCES
            .iter()
            .map(|&id| (id, format!("Source {id}")))
            .collect(),
    }
}

/// The gateway with till `i` registered in `store_of(i)`.
fn chain_gateway(tokens: &[String]) -> GatewayOptions<'_> {
    GatewayOptions {
        stores: &STORE_NAMES,
        ..GatewayOptions::new("127.0.0.1:9", tokens)
    }
}

fn reports_base(gateway: &Nginx) -> String {
    format!("http://127.0.0.1:{}/reports/", gateway.port)
}

/// Waits until every till of `histories` has started reporting and has no
/// day waiting in its outbox.
fn wait_until_sent(histories: &[PathBuf], what: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let waiting: Vec<&PathBuf> = histories
            .iter()
            .filter(|h| !queue_file_beside(h).exists() || !pending_days(h).is_empty())
            .collect();
        if waiting.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {} tills still have days waiting",
            waiting.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Per (store, source): lookups, answers, shown, opened, added, bought
/// lines, bought quantity, revenue in cents, from the tills' own histories.
type Sums = BTreeMap<(String, u64), [i64; 8]>;

fn sums_of_histories(histories: &[PathBuf]) -> Sums {
    let mut sums = Sums::new();
    for (till, path) in histories.iter().enumerate() {
        let stats = history::stats(path, 30).unwrap();
        let sales = history::sales(path, 30).unwrap();
        for s in stats {
            let sold = sales.per_source.iter().find(|p| p.source_id == s.source_id);
            let row = sums.entry((store_of(till), s.source_id)).or_default();
            row[0] += s.lookups as i64;
            row[1] += s.answered as i64;
            row[2] += s.shown as i64;
            row[3] += s.opened as i64;
            row[4] += s.added as i64;
            row[5] += sold.map_or(0, |p| p.lines as i64);
            row[6] += sold.map_or(0.0, |p| p.quantity) as i64;
            row[7] += sold.map_or(0.0, |p| p.revenue * 100.0).round() as i64;
        }
    }
    sums
}

fn sums_of_chain(dir: &Path) -> Sums {
    let read = read::read_folder(dir, Some(30)).unwrap();
    assert!(read.skipped.is_empty(), "{:?}", read.skipped);
    read::rows(&read.reports, By::StoreSource, false)
        .into_iter()
        .map(|row| {
            let t = row.totals;
            (
                (row.store.unwrap(), row.source.unwrap().0),
                [
                    t.lookups as i64,
                    t.answers as i64,
                    t.shown as i64,
                    t.opened as i64,
                    t.added as i64,
                    t.bought as i64,
                    t.bought_quantity as i64,
                    (t.revenue * 100.0).round() as i64,
                ],
            )
        })
        .collect()
}

async fn put_status(url: &str, token: &str, body: Vec<u8>) -> u16 {
    reqwest::Client::new()
        .put(url)
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for store in std::fs::read_dir(dir).unwrap().flatten() {
        for till in std::fs::read_dir(store.path()).unwrap().flatten() {
            for day in std::fs::read_dir(till.path()).unwrap().flatten() {
                files.push(day.path());
            }
        }
    }
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_tills_report_through_nginx_and_the_chain_table_is_the_sum_of_their_histories() {
    if !have_nginx() {
        return;
    }
    let tokens: Vec<String> = (0..TILLS)
        .map(|i| till_token(&format!("chain-till-{i}")))
        .collect();
    let gateway = start_gateway(&chain_gateway(&tokens));
    let base = reports_base(&gateway);
    let homes = tempfile::tempdir().unwrap();
    let histories: Vec<PathBuf> = (0..TILLS).map(|i| make_history(homes.path(), i)).collect();
    let runtime = tokio::runtime::Handle::current();
    let reporters: Vec<Reporter> = histories
        .iter()
        .enumerate()
        .map(|(i, h)| Reporter::start(settings(&base, i, &tokens[i]), h.clone(), &runtime))
        .collect();
    let waiting = histories.clone();
    tokio::task::spawn_blocking(move || wait_until_sent(&waiting, "first upload"))
        .await
        .unwrap();
    assert!(reporters.iter().all(|r| r.status().problem.is_none()));
    drop(reporters);

    let files = files_under(&gateway.reports());
    assert_eq!(files.len(), TILLS * 3, "three days per till: {files:?}");
    let expected = sums_of_histories(&histories);
    assert_eq!(expected.len(), STORES * SOURCES.len());
    assert_eq!(sums_of_chain(&gateway.reports()), expected);

    // No identifier, no token in any file the gateway stored or logged.
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for token in &tokens {
            assert!(!text.contains(token.as_str()), "{}", file.display());
        }
        let report: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(report["schema"], 2);
        assert_eq!(report["app_version"], env!("CARGO_PKG_VERSION"));
    }

    // The table itself, through the command a manager runs.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pos-recs"))
        .args(["stats", "--chain"])
        .arg(gateway.reports())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.starts_with(&format!(
            "{} files: {} till-days from {TILLS} tills in {STORES} stores",
            TILLS * 3,
            TILLS * 3
        )),
        "{table}"
    );
    let row: Vec<&str> = table
        .lines()
        .find(|l| l.starts_with("store-3  1245 "))
        .unwrap_or_else(|| panic!("{table}"))
        .split_whitespace()
        .collect();
    let want = &expected[&("store-3".to_string(), 1245)];
    assert_eq!(row[..4], ["store-3", "1245", "Source", "1245"]);
    let numbers: Vec<String> = want[..6].iter().map(|n| n.to_string()).collect();
    assert_eq!(row[4..10], numbers[..], "{table}");
    assert_eq!(row[10], format!("{:.2}", want[7] as f64 / 100.0));
    let csv = std::process::Command::new(env!("CARGO_BIN_EXE_pos-recs"))
        .args(["stats", "--csv", "--chain"])
        .arg(gateway.reports())
        .output()
        .unwrap();
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(
        csv.starts_with("store,source_id,source,day,lookups,answers,shown,opened,added,bought_lines,bought_quantity,revenue\n"),
        "{csv}"
    );
    // One row per store, source and day.
    assert_eq!(csv.lines().count(), 1 + STORES * SOURCES.len() * 3, "{csv}");

    // A repeated day replaces the earlier file: a new lookup at till 0,
    // its reporter started again, and the sums follow.
    {
        let mut conn = history::open(&histories[0]).unwrap();
        history::write_batch(
            &mut conn,
            &[
                (now() - 1, Event::Lookup),
                (
                    now() - 1,
                    Event::Answer {
                        source_id: 1244,
                        status: "ok",
                        elapsed_ms: 5,
                    },
                ),
            ],
        )
        .unwrap();
    }
    let today = history::day_of(now() - 1);
    let file = gateway
        .reports()
        .join(format!("{}/till-0/{today}.json", store_of(0)));
    let before = std::fs::read_to_string(&file).unwrap();
    let again = Reporter::start(
        settings(&base, 0, &tokens[0]),
        histories[0].clone(),
        &runtime,
    );
    let first = histories[..1].to_vec();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&file).unwrap() == before {
        assert!(Instant::now() < deadline, "the day was not sent again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::task::spawn_blocking(move || wait_until_sent(&first, "second upload"))
        .await
        .unwrap();
    drop(again);
    assert_eq!(files_under(&gateway.reports()).len(), TILLS * 3);
    assert_eq!(
        sums_of_chain(&gateway.reports()),
        sums_of_histories(&histories)
    );

    for (path, text) in gateway.logs() {
        for token in &tokens {
            assert!(!text.contains(token.as_str()), "{}: {text}", path.display());
        }
    }
}

#[tokio::test]
async fn the_gateway_takes_a_till_s_own_reports_and_nothing_else() {
    if !have_nginx() {
        return;
    }
    let tokens = vec![till_token("own-0"), till_token("own-1")];
    let gateway = start_gateway(&GatewayOptions::new("127.0.0.1:9", &tokens));
    let base = reports_base(&gateway);
    let own = format!("{base}store-a/till-0/2026-11-30.json");
    let body = br#"{"schema":2,"store":"store-a","till":"till-0","day":"2026-11-30"}"#.to_vec();

    assert_eq!(put_status(&own, &tokens[0], body.clone()).await, 201);
    assert_eq!(
        put_status(&own, &tokens[0], body.clone()).await,
        204,
        "replaced"
    );
    // A wrong or missing token: 401.
    assert_eq!(
        put_status(&own, &till_token("stolen?"), body.clone()).await,
        401
    );
    let anonymous = reqwest::Client::new()
        .put(&own)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    // Another till's path, a path of another shape, a query: 403.
    // Its own till name under another store, or a store nobody has: 403.
    for other in [
        format!("{base}store-b/till-0/2026-11-30.json"),
        format!("{base}nowhere/till-0/2026-11-30.json"),
        format!("{base}nowhere/till-evil/2026-11-30.json"),
        format!("{base}store-a/till-1/2026-11-30.json"),
        format!("{base}store-a/till-0/notes.json"),
        format!("{base}store-a/till-0/2026-11-30.json?phone=380501234567"),
        format!("{base}till-0/2026-11-30.json"),
        format!("{base}store-a/till%2D0/2026-11-30.json"),
    ] {
        assert_eq!(
            put_status(&other, &tokens[0], body.clone()).await,
            403,
            "{other}"
        );
    }
    // Dot segments, sent as written, never reach another till's folder.
    let dotted = nginx::raw_status(
        gateway.port,
        "PUT",
        "/reports/store-a/till-0/../till-1/2026-11-30.json",
        Some(&tokens[0]),
    );
    assert_eq!(dotted, 403);
    // Too large: 413, and nothing written.
    let big = format!("{base}store-a/till-0/2026-11-29.json");
    assert_eq!(
        put_status(&big, &tokens[0], vec![b' '; 300 * 1024]).await,
        413
    );
    // Reading, listing or deleting is not a till's business: 405.
    for method in [
        reqwest::Method::GET,
        reqwest::Method::DELETE,
        reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
    ] {
        let answer = reqwest::Client::new()
            .request(method.clone(), &own)
            .bearer_auth(&tokens[0])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 405, "{method}");
    }

    let files = files_under(&gateway.reports());
    assert_eq!(
        files,
        vec![gateway.reports().join("store-a/till-0/2026-11-30.json")]
    );
    assert_eq!(std::fs::read(&files[0]).unwrap(), body);
    // The access log names the till and the path, never the query.
    let logs = gateway.logs();
    let access = Nginx::access_log(&logs);
    assert!(
        access.contains("store-a/till-0 \"PUT /reports/store-a/till-0/2026-11-30.json\" 201"),
        "{access}"
    );
    for (path, text) in &logs {
        assert!(!text.contains("380501234567"), "{}: {text}", path.display());
        for token in &tokens {
            assert!(!text.contains(token.as_str()), "{}", path.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_till_that_cannot_reach_the_gateway_keeps_its_days_across_a_restart() {
    if !have_nginx() {
        return;
    }
    let tokens = vec![till_token("offline-0")];
    let home = tempfile::tempdir().unwrap();
    let history = make_history(home.path(), 0);
    let runtime = tokio::runtime::Handle::current();
    let dead = format!("http://127.0.0.1:{}/reports/", common::free_port());
    let offline = Reporter::start(settings(&dead, 0, &tokens[0]), history.clone(), &runtime);
    let deadline = Instant::now() + Duration::from_secs(30);
    while offline.status().problem.is_none() {
        assert!(
            Instant::now() < deadline,
            "the failed upload was not noticed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        offline
            .status()
            .problem
            .unwrap()
            .contains("cannot be reached")
    );
    drop(offline);
    let due = pending_days(&history);
    assert_eq!(due.len(), 3, "{due:?}");

    // The till starts again, and the gateway is there now.
    let gateway = start_gateway(&chain_gateway(&tokens));
    let online = Reporter::start(
        settings(&reports_base(&gateway), 0, &tokens[0]),
        history.clone(),
        &runtime,
    );
    let waiting = vec![history.clone()];
    tokio::task::spawn_blocking(move || wait_until_sent(&waiting, "after the restart"))
        .await
        .unwrap();
    assert_eq!(online.status().sent, 3);
    let days: Vec<String> = files_under(&gateway.reports())
        .iter()
        .map(|f| f.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut expected: Vec<String> = due;
    expected.sort();
    assert_eq!(days, expected);
    assert_eq!(
        sums_of_chain(&gateway.reports()),
        sums_of_histories(std::slice::from_ref(&history))
    );
}

/// `pos-recs stats --chain DIR ARGS…`, which must succeed: its stdout and stderr.
fn stats_chain(dir: &std::path::Path, args: &[&str]) -> (String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pos-recs"))
        .args(["stats", "--chain"])
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    (
        String::from_utf8(out.stdout.clone()).unwrap(),
        common::stderr(&out),
    )
}

/// A report file as a till of `schema` would write it.
fn report_json(
    schema: u32,
    store: &str,
    till: &str,
    day: &str,
    made_at: i64,
    shown: u64,
) -> String {
    if schema == 1 {
        // The What works figures only.
        format!(
            r#"{{"schema":1,"app_version":"0.2.0","store":"{store}","till":"{till}","day":"{day}","made_at":{made_at},
               "sources":[{{"source_id":1244,"lookups":4,"answered":3,"shown":{shown},"opened":1,"to_customer":0,"added":1}}]}}"#
        )
    } else {
        format!(
            r#"{{"schema":{schema},"app_version":"0.3.0","store":"{store}","till":"{till}","day":"{day}","made_at":{made_at},
               "titles":{{"1244":"Also bought"}},"lookups":4,"sales":2,"recommended_lines":1,"recommended_revenue":12.5,"groups":[],
               "sources":[{{"source_id":1244,"lookups":4,"answered":4,"shown":{shown},"opened":2,"to_customer":0,"added":1,
                           "bought_lines":1,"bought_quantity":2.0,"revenue":12.5,"bought_after_click":1}}]}}"#
        )
    }
}

#[test]
fn stats_chain_reads_older_schemas_skips_broken_files_and_keeps_the_newest_copy_of_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let today = history::day_of(now());
    let put = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    put(
        &format!("a/till-1/{today}.json"),
        &report_json(1, "a", "till-1", &today, 100, 10),
    );
    put(
        &format!("a/till-2/{today}.json"),
        &report_json(2, "a", "till-2", &today, 100, 20),
    );
    // A copy of the folder beside it: the same till and day, older and newer.
    put(
        &format!("copy/a/till-2/{today}.json"),
        &report_json(2, "a", "till-2", &today, 50, 999),
    );
    put(
        &format!("b/till-9/{today}.json"),
        &report_json(2, "b", "till-9", &today, 100, 1),
    );
    put(
        &format!("copy/b/till-9/{today}.json"),
        &report_json(2, "b", "till-9", &today, 200, 7),
    );
    // Broken: truncated, not JSON, a newer schema, a bad day, a bad name.
    let whole = report_json(2, "a", "till-3", &today, 1, 5);
    put(&format!("a/till-3/{today}.json"), &whole[..whole.len() / 2]);
    put("a/till-4/notes.json", "<html>not a report</html>");
    put(
        &format!("a/till-5/{today}.json"),
        &report_json(3, "a", "till-5", &today, 1, 5),
    );
    put(
        "a/till-6/yesterday.json",
        &report_json(2, "a", "till-6", "2026-13-45", 1, 5),
    );
    put(
        &format!("a/till-7/{today}.json"),
        &report_json(2, "a/../b", "till-7", &today, 1, 5),
    );
    // Old days fall outside --days.
    put(
        "a/till-1/2020-01-01.json",
        &report_json(2, "a", "till-1", "2020-01-01", 1, 1000),
    );

    let run = |args: &[&str]| stats_chain(dir.path(), args);
    let (table, warnings) = run(&["--days", "7"]);
    assert_eq!(
        warnings.lines().count(),
        5,
        "one line per broken file: {warnings}"
    );
    assert!(
        warnings.contains("schema 3 (this pos-recs reads 1 to 2)"),
        "{warnings}"
    );
    assert!(
        warnings
            .lines()
            .all(|l| l.starts_with("pos-recs: warning: skipped "))
    );
    assert!(
        table.starts_with(&format!(
            "11 files: 3 till-days from 3 tills in 2 stores, {today}; 5 broken skipped; 2 older copies replaced"
        )),
        "{table}"
    );
    let (csv, _) = run(&["--days", "7", "--csv", "--by", "till"]);
    assert_eq!(
        csv,
        format!(
            "store,till,source_id,source,day,lookups,answers,shown,opened,added,bought_lines,bought_quantity,revenue\n\
             a,till-1,1244,Also bought,{today},4,3,10,1,1,0,0,0.00\n\
             a,till-2,1244,Also bought,{today},4,4,20,2,1,1,2,12.50\n\
             b,till-9,1244,Also bought,{today},4,4,7,2,1,1,2,12.50\n"
        )
    );
    let (csv, _) = run(&["--days", "7", "--csv", "--by", "source"]);
    assert_eq!(
        csv.lines().nth(1),
        Some(format!("1244,Also bought,{today},12,11,37,5,3,2,4,25.00").as_str())
    );
    let (csv, _) = run(&["--days", "7", "--csv", "--by", "store"]);
    assert_eq!(csv.lines().count(), 3, "{csv}");
    // Without --days' bound, the old day is there too.
    let (csv, _) = run(&["--days", "3650", "--csv"]);
    assert!(
        csv.contains("a,1244,Also bought,2020-01-01,4,4,1000,"),
        "{csv}"
    );

    // A folder that is not there: a clear message, exit 2.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pos-recs"))
        .args(["stats", "--chain", "/nonexistent/reports"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("/nonexistent/reports"));
    // --by without --chain is refused by the parser.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pos-recs"))
        .args(["stats", "--by", "store"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The running till (`TillService`, as `serve` and the window start it)
/// with `[fleet] till` set reports through its gateway's `/reports/`, the
/// default made from `[yespo] base_url`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_till_with_its_name_set_reports_through_its_gateway() {
    if !have_nginx() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    // The chain's kept store file goes to this test's data folder.
    // SAFETY: nextest runs each test in its own process; set before any thread reads it.
    unsafe { std::env::set_var("XDG_DATA_HOME", home.path()) };
    let tokens = vec![till_token("service-0")];
    let gateway = start_gateway(&chain_gateway(&tokens));
    let history = make_history(home.path(), 0);
    let mut config = pos_recs::config::Config::default();
    config.yespo.base_url = gateway.base();
    config.yespo.auth = pos_recs::config::AuthMode::Gateway;
    config.yespo.api_key = None;
    config.yespo.till_token = Some(ApiKey::new(tokens[0].clone()));
    config.history.path = Some(history.clone());
    config.fleet = Some(pos_recs::config::FleetConfig {
        config_url: format!("http://127.0.0.1:{}/stores/{{store}}.toml", gateway.port),
        store: store_of(0),
        poll_seconds: 300,
        till: Some("till-0".into()),
        report_url: None,
    });
    assert!(config.problems().is_empty(), "{:?}", config.problems());
    let ready = pos_recs::setup::Ready {
        config,
        origin: pos_recs::config::ConfigOrigin::File(home.path().join("config.toml")),
        demo: None,
        setup_mode: false,
    };
    let service =
        pos_recs::service::TillService::start(ready, tokio::runtime::Handle::current()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !gateway.reports().join(store_of(0)).exists() || files_under(&gateway.reports()).len() < 3
    {
        assert!(
            Instant::now() < deadline,
            "no reports: {:?}",
            service.report_status()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(service);
    assert_eq!(
        sums_of_chain(&gateway.reports()),
        sums_of_histories(std::slice::from_ref(&history))
    );
}

/// A schema-2 report with these figures, as JSON.
fn report_value(store: &str, till: &str, day: &str, made_at: i64) -> serde_json::Value {
    serde_json::json!({
        "schema": 2, "app_version": "0.3.0", "store": store, "till": till, "day": day,
        "made_at": made_at, "titles": {"1244": "Also bought"},
        "lookups": 4, "sales": 2, "recommended_lines": 1, "recommended_revenue": 90000.0,
        "groups": [],
        "sources": [{"source_id": 1244, "lookups": 4, "answered": 4, "shown": 9, "opened": 2,
                     "to_customer": 0, "added": 1, "bought_lines": 1, "bought_quantity": 2.0,
                     "revenue": 90000.0, "bought_after_click": 1}]
    })
}

/// What a stolen till token (or a careless copy) could put in the folder
/// does not change the chain's figures: a file believed only where its
/// content says it belongs, nothing dated after tomorrow, counters and
/// money within bounds, no terminal control sequences printed, and a
/// source named by the newest report.
#[test]
fn stats_chain_believes_a_report_only_where_it_belongs_and_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let today = history::day_of(now());
    let put = |rel: &str, value: &serde_json::Value| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, serde_json::to_vec(value).unwrap()).unwrap();
    };
    put(
        &format!("s/till-a/{today}.json"),
        &report_value("s", "till-a", &today, 100),
    );
    // Another till's folder, claiming till-a's day, newer, revenue 0.
    let mut forged = report_value("s", "till-a", &today, 999);
    forged["sources"][0]["revenue"] = serde_json::json!(0.0);
    put(&format!("s/till-evil/{today}.json"), &forged);
    put(&format!("nowhere/till-evil/{today}.json"), &forged);
    // Dated 2099, with a made-up experiment period.
    let mut future = report_value("s", "till-a", "2099-01-01", 5_000_000_000);
    future["groups"] = serde_json::json!([
        {"period": "made-up", "group": "shown", "sales": 1, "priced_sales": 1,
         "value_sum": 1.0, "value_squares": 1.0, "items_sum": 1.0, "items_squares": 1.0}
    ]);
    put("s/till-a/2099-01-01.json", &future);
    // Counters that would wrap, money out of bounds.
    let mut wrapping = report_value("s", "till-b", &today, 100);
    wrapping["sources"][0]["lookups"] = serde_json::json!(u64::MAX);
    put(&format!("s/till-b/{today}.json"), &wrapping);
    for (till, revenue) in [("till-c", -5.0), ("till-d", 1e308)] {
        let mut bad = report_value("s", till, &today, 100);
        bad["sources"][0]["revenue"] = serde_json::json!(revenue);
        put(&format!("s/{till}/{today}.json"), &bad);
    }
    // A store that sorts later, with a newer title and control sequences in it.
    let mut renamed = report_value("z", "till-z", &today, 200);
    renamed["titles"]["1244"] = serde_json::json!("\u{1b}[2JNew\u{1b}]0;pwned\u{7} name");
    put(&format!("z/till-z/{today}.json"), &renamed);

    let run = |args: &[&str]| stats_chain(dir.path(), args);
    let (table, warnings) = run(&["--days", "7"]);
    assert!(
        table.starts_with(&format!(
            "8 files: 2 till-days from 2 tills in 2 stores, {today}; 3 broken skipped; \
             2 skipped as not where their content says; 1 skipped as dated after tomorrow; \
             0 older copies replaced"
        )),
        "{table}"
    );
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{7}'),
        "{table:?}"
    );
    assert!(!warnings.contains('\u{1b}'), "{warnings:?}");
    assert!(
        table.contains("[2JNew]0;pwned name"),
        "the newest title: {table}"
    );
    assert!(
        !table.contains("Comparison"),
        "the 2099 period decided: {table}"
    );
    let (csv, _) = run(&["--days", "7", "--csv", "--by", "till"]);
    assert!(
        csv.contains(&format!(
            "s,till-a,1244,[2JNew]0;pwned name,{today},4,4,9,2,1,1,2,90000.00"
        )),
        "till-a's day is its own: {csv}"
    );
    assert!(!csv.contains('\u{1b}'), "{csv:?}");
    assert_eq!(csv.lines().count(), 3, "{csv}");
}
