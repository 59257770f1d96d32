//! The manager's history: a real SQLite file, recorded from real lookups,
//! read back as the figures, and abused (corrupt, unwritable, killed).

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{demo, ms, poll_until};
use pos_recs::demo::DemoOptions;
use pos_recs::history::{self, Event, History};
use pos_recs::till::Till;

/// Waits until the writer has put at least `rows` rows in the file.
fn wait_rows(path: &Path, rows: i64) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = rusqlite::Connection::open(path)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0)))
            .unwrap_or(0);
        if n >= rows {
            return n;
        }
        assert!(Instant::now() < deadline, "only {n} of {rows} rows written");
        std::thread::sleep(ms(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_lookups_are_recorded_and_the_figures_match_what_was_shown_and_chosen() {
    let (_server, config) = demo(DemoOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.sqlite3");
    let sources: Vec<u64> = config.enabled_sources().map(|s| s.id).collect();
    let mut till = Till::new(config, tokio::runtime::Handle::current(), None).unwrap();
    till.set_history(History::start(file.clone(), 90));
    let mut shown_per_source = std::collections::HashMap::<u64, u64>::new();
    for who in ["067 123 4567", "2000123456789", "olena@example.com"] {
        till.submit_with_basket(who, None, Some(common::basket()))
            .unwrap();
        poll_until(&mut till, "answers", |t| t.session().unwrap().is_settled()).await;
        // The window reports the cards the cashier can see; here, all of
        // them, each twice (drawn again in a later frame): counted once.
        let seen: Vec<(u64, String, usize)> = till
            .session()
            .unwrap()
            .sections
            .iter()
            .filter_map(|section| match &section.state {
                pos_recs::session::SectionState::Loaded { products, .. } => Some(
                    products
                        .iter()
                        .enumerate()
                        .map(|(i, p)| (section.source.id, p.id.clone(), i))
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect();
        for _frame in 0..2 {
            for (source, product, position) in &seen {
                till.card_seen(*source, product, *position);
            }
        }
        for (source, _, _) in &seen {
            *shown_per_source.entry(*source).or_default() += 1;
        }
    }
    // What the window adds: the cashier opened one card and sold another.
    let chosen = |product: &str| (sources[0], product.to_string());
    let (source, opened) = chosen("SKU-1003");
    till.history().record(Event::Opened {
        source_id: source,
        product_id: opened.clone(),
    });
    till.history().record(Event::AddedToSale {
        source_id: source,
        product_id: opened.clone(),
    });
    let answers = 3 * sources.len() as i64;
    let shown: u64 = shown_per_source.values().sum();
    wait_rows(&file, 3 + answers + shown as i64 + 2);
    let stats = history::stats(&file, 7).unwrap();
    assert_eq!(stats.len(), sources.len());
    for s in &stats {
        assert_eq!(s.lookups, 3, "source {}", s.source_id);
        assert_eq!(s.answered, 3, "source {}", s.source_id);
        assert_eq!(
            s.shown, shown_per_source[&s.source_id],
            "source {}",
            s.source_id
        );
    }
    let first = stats.iter().find(|s| s.source_id == source).unwrap();
    assert_eq!((first.opened, first.added), (1, 1));
    assert_eq!(
        first.top_products[0],
        pos_recs::history::TopProduct {
            id: opened,
            added: 1,
            opened: 1
        }
    );
    assert!(first.added_per_100_shown() > 0.0);
    // Nothing about the customers is in the file.
    let bytes = std::fs::read(&file).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    for personal in ["380671234567", "2000123456789", "olena"] {
        assert!(!text.contains(personal), "{personal} stored");
    }
    // The CSV has one row per source.
    assert_eq!(
        history::csv(&stats, &history::SalesFigures::default())
            .lines()
            .count(),
        stats.len() + 1
    );
}

#[test]
fn old_rows_go_after_the_retention() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("h.sqlite3");
    let mut conn = history::open(&file).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let old = now - 100 * 86_400;
    history::write_batch(
        &mut conn,
        &[
            (old, Event::Lookup),
            (old, Event::Lookup),
            (now, Event::Lookup),
        ],
    )
    .unwrap();
    history::apply_retention(&conn, &file, 90, 30).unwrap();
    let left: i64 = conn
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_database_never_stops_the_till() {
    let (_server, config) = demo(DemoOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    // A folder where the file should be, and a file where the folder should be.
    let folder = dir.path().join("is-a-folder.sqlite3");
    std::fs::create_dir(&folder).unwrap();
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"x").unwrap();
    for path in [folder.clone(), blocker.join("history.sqlite3")] {
        let mut till = Till::new(config.clone(), tokio::runtime::Handle::current(), None).unwrap();
        till.set_history(History::start(path.clone(), 90));
        till.submit("067 123 4567", None).unwrap();
        poll_until(&mut till, "answers", |t| t.session().unwrap().is_settled()).await;
        assert!(
            till.session().unwrap().product_count() > 0,
            "the till works"
        );
        let deadline = Instant::now() + Duration::from_secs(5);
        while till.history().problem().is_none() {
            assert!(Instant::now() < deadline, "no note for {}", path.display());
            tokio::time::sleep(ms(20)).await;
        }
    }
    // A folder that does not exist yet is made.
    let nested = dir.path().join("a/b/history.sqlite3");
    let history = History::start(nested.clone(), 90);
    history.record(Event::Lookup);
    wait_rows(&nested, 1);
}

#[test]
fn a_corrupt_file_is_moved_aside_and_a_new_one_started() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.sqlite3");
    std::fs::write(&file, vec![0x5a; 64 * 1024]).unwrap();
    let conn = history::open(&file).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("corrupt"))
        .collect();
    assert_eq!(aside.len(), 1, "the damaged file is kept aside for support");
}

/// The child side of the kill test: writes lookups of 6 answers each, each
/// lookup in one message, as fast as it can, until killed.
#[test]
fn child_writes_a_burst_until_killed() {
    let Ok(path) = std::env::var("POS_RECS_HISTORY_CHILD") else {
        return; // only when the kill test starts it
    };
    let history = History::start(path.into(), 90);
    loop {
        let mut events = vec![Event::Lookup];
        events.extend((1..=6).map(|source_id| Event::Answer {
            source_id,
            status: "ok",
            elapsed_ms: 10,
        }));
        history.record_all(events);
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// The child's name as the test binary knows it: its module path within
/// the suite (`history::child_writes_a_burst_until_killed`).
fn child_test_name() -> String {
    let module = module_path!();
    let within_suite = module.split_once("::").map_or(module, |(_, rest)| rest);
    format!("{within_suite}::child_writes_a_burst_until_killed")
}

#[cfg(unix)]
#[test]
fn killed_mid_burst_the_file_reopens_with_whole_batches() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.sqlite3");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &child_test_name(), "--nocapture"])
        .env("POS_RECS_HISTORY_CHILD", &file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Let several batches land, then SIGKILL in the middle of writing.
    wait_rows(&file, 3000);
    child.kill().unwrap();
    child.wait().unwrap();
    let conn = history::open(&file).expect("the file reopens");
    let lookups: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM events WHERE kind = 'lookup'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let answers: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM events WHERE kind = 'answer'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(lookups > 0);
    assert_eq!(
        answers,
        6 * lookups,
        "a lookup's events are committed together"
    );
    let stats = history::stats(&file, 1).unwrap();
    assert!(stats.iter().all(|s| s.lookups as i64 == lookups));
}

/// `pos-recs stats` with no configuration reads the file the demo till
/// records into (its own, beside the platform default), with the demo's
/// source titles: a newcomer who tried the demo sees their figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_without_a_config_reads_the_demos_own_history() {
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("pos-recs").join("history-demo.sqlite3");
    let mut conn = history::open(&file).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    history::write_batch(
        &mut conn,
        &[
            (now, Event::Lookup),
            (
                now,
                Event::Answer {
                    source_id: 1246,
                    status: "ok",
                    elapsed_ms: 7,
                },
            ),
        ],
    )
    .unwrap();
    drop(conn);
    let data_home = data.path().to_str().unwrap();
    let out = common::run_cli(&["stats"], &[("XDG_DATA_HOME", data_home)]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Picked for this customer"), "{stdout}");
}

/// A new till has no history yet: that is no bad input. The CSV is its
/// header alone and the table says so, both exiting 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_on_a_new_till_prints_the_header_or_no_history_yet() {
    let data = tempfile::tempdir().unwrap();
    let data_home = data.path().to_str().unwrap();
    let out = common::run_cli(&["stats", "--csv"], &[("XDG_DATA_HOME", data_home)]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8_lossy(&out.stdout);
    assert_eq!(csv.lines().count(), 1, "{csv}");
    assert!(csv.starts_with("source_id,lookups,"), "{csv}");
    let out = common::run_cli(&["stats"], &[("XDG_DATA_HOME", data_home)]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no history yet"));
}
