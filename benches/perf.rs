//! Side-by-side measurements, each against a baseline taken in the same run:
//!
//! - fan-out lookup vs. the same requests one after another (demo server, 100 ms each)
//! - tolerant item parsing vs. plain `serde_json::Value`
//! - picture decode + downscale vs. decode at full size
//! - UI frame time with 120 cards visible, and with 1,000 cards in the list
//!
//! Run: `cargo bench --bench perf` (a few seconds to a minute).

use std::hint::black_box;
use std::time::{Duration, Instant};

use pos_recs::config::{Config, SourceConfig};
use pos_recs::demo::{DemoFeed, DemoOptions, DemoServer};
use pos_recs::identify::identify;
use pos_recs::lookup::{LookupEngine, LookupEvent, SourceResult};
use pos_recs::yespo::{FieldMap, Product, model};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn config_with_sources(base: &Config, n: usize) -> Config {
    let mut config = base.clone();
    // The demo has six sources; further ids answer 404 after the same latency,
    // which times the same as an answer.
    config.sources = (0..n)
        .map(|i| SourceConfig {
            id: base.sources.get(i).map_or(9000 + i as u64, |s| s.id),
            ..SourceConfig::default()
        })
        .collect();
    config
}

fn fan_out(rt: &tokio::runtime::Runtime) {
    let latency = Duration::from_millis(100);
    let server = rt
        .block_on(DemoServer::start(DemoOptions {
            latency,
            ..Default::default()
        }))
        .expect("demo server");
    let who = identify("0671234567", None, "380").expect("phone");
    println!(
        "\n## Fan-out: lookup over N sources, each answering in {} ms",
        latency.as_millis()
    );
    println!("| N | fan-out (ms) | sequential (ms) | fan-out / one source |");
    println!("|---|---|---|---|");
    for n in [1, 3, 6, 12] {
        let engine = LookupEngine::new(&config_with_sources(&server.config(), n)).expect("engine");
        // Warm the connection pool once.
        rt.block_on(engine.run(&who));
        let parallel = time(5, || rt.block_on(engine.run(&who)));
        let sequential = time(3, || {
            rt.block_on(async {
                for i in 0..n {
                    engine.ask_source(i, &who, &Default::default()).await;
                }
            })
        });
        println!(
            "| {n} | {:.0} | {:.0} | {:.2} |",
            ms(parallel),
            ms(sequential),
            parallel.as_secs_f64() / latency.as_secs_f64()
        );
    }
}

fn token_mode(rt: &tokio::runtime::Runtime) {
    let latency = Duration::from_millis(100);
    let token_latency = Duration::from_millis(50);
    let server = rt
        .block_on(DemoServer::start(DemoOptions {
            latency,
            token_latency,
            ..Default::default()
        }))
        .expect("demo server");
    let who = identify("0671234567", None, "380").expect("phone");
    let v2 = LookupEngine::new(&server.config()).expect("engine");
    let mut config = server.config();
    config.yespo.auth = pos_recs::config::AuthMode::ContactToken;
    let v1 = LookupEngine::new(&config).expect("engine");
    rt.block_on(v2.run(&who));
    rt.block_on(v1.run(&who));
    let t2 = time(5, || rt.block_on(v2.run(&who)));
    let t1 = time(5, || rt.block_on(v1.run(&who)));
    println!(
        "\n## Token mode: 6 sources, {} ms each, token endpoint {} ms",
        latency.as_millis(),
        token_latency.as_millis()
    );
    println!("| mode | ms | extra over v2 |");
    println!("|---|---|---|");
    println!("| v2 (API key) | {:.0} | |", ms(t2));
    println!(
        "| v1 (one token per source, in parallel) | {:.0} | {:.0} ms |",
        ms(t1),
        ms(t1) - ms(t2)
    );
}

fn parsing() {
    let feed = DemoFeed::embedded().expect("feed");
    let items: Vec<_> = feed.items.iter().cycle().take(1000).cloned().collect();
    let body = serde_json::to_vec(&items).expect("json");
    let fields = FieldMap {
        image_fields: vec!["tags_picture".into()],
        old_price_fields: vec!["tags_oldprice".into()],
    };
    let tolerant = time(30, || model::parse_items(&body, &fields).expect("parse"));
    let plain = time(30, || {
        serde_json::from_slice::<serde_json::Value>(&body).expect("parse")
    });
    println!(
        "\n## Parsing a 1,000-item answer ({} KiB)",
        body.len() / 1024
    );
    println!("| parser | ms | items/s | vs. plain Value |");
    println!("|---|---|---|---|");
    for (name, t) in [("tolerant model", tolerant), ("serde_json::Value", plain)] {
        println!(
            "| {name} | {:.2} | {:.0} | {:.2}x |",
            ms(t),
            1000.0 / t.as_secs_f64(),
            t.as_secs_f64() / plain.as_secs_f64()
        );
    }
}

fn pictures() {
    let img = image::RgbImage::from_fn(800, 800, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut jpeg = std::io::Cursor::new(Vec::new());
    img.write_to(&mut jpeg, image::ImageFormat::Jpeg)
        .expect("encode");
    let jpeg = jpeg.into_inner();
    // Today's path and the new one, side by side on the same picture.
    let generic = time(15, || {
        pos_recs::images::decode_thumbnail_generic(&jpeg).expect("decode")
    });
    let scaled = time(15, || {
        pos_recs::images::decode_thumbnail(&jpeg).expect("decode")
    });
    let full = time(15, || {
        image::load_from_memory(&jpeg).expect("decode").to_rgba8()
    });
    let scaled_decode_only = time(15, || {
        let mut decoder = jpeg_decoder::Decoder::new(std::io::Cursor::new(&jpeg));
        decoder.read_info().expect("info");
        decoder.scale(400, 400).expect("scale");
        decoder.decode().expect("decode")
    });
    let per_second = |d: Duration| 1.0 / d.as_secs_f64();
    println!(
        "\n## Picture: 800x800 JPEG ({} KiB), one thread",
        jpeg.len() / 1024
    );
    println!("| step | before: image's decoder | now: DCT-scaled decode + SIMD resize | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| decode + downscale to fit 400x300 | {:.1} ms, {:.0}/s | {:.1} ms, {:.0}/s | {:.2}x |",
        ms(generic),
        per_second(generic),
        ms(scaled),
        per_second(scaled),
        generic.as_secs_f64() / scaled.as_secs_f64()
    );
    println!(
        "| decode alone (full size before; 1/2 now) | {:.1} ms, {:.0}/s | {:.1} ms, {:.0}/s | {:.2}x |",
        ms(full),
        per_second(full),
        ms(scaled_decode_only),
        per_second(scaled_decode_only),
        full.as_secs_f64() / scaled_decode_only.as_secs_f64()
    );
}

fn vm_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Loads `urls` with a fresh loader and waits until none is loading.
fn load_all(
    rt: &tokio::runtime::Runtime,
    urls: &[String],
    disk: Option<pos_recs::images::DiskCache>,
) -> Duration {
    use pos_recs::images::{ImageLoader, ImageStatus};
    let loader = ImageLoader::new(rt.handle().clone(), None, 256 << 20, disk);
    let started = Instant::now();
    loop {
        let loading = urls
            .iter()
            .filter(|u| matches!(loader.get(u), ImageStatus::Loading))
            .count();
        if loading == 0 {
            return started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn picture_pipeline(rt: &tokio::runtime::Runtime) {
    let latency = Duration::from_millis(300);
    let server = rt
        .block_on(DemoServer::start(DemoOptions {
            image_latency: latency,
            ..Default::default()
        }))
        .expect("demo server");
    // Every picture the demo feed links to, minus the deliberately broken ones
    // (failures are not cached, so they would be fetched again).
    let feed = DemoFeed::embedded().expect("feed");
    let urls: Vec<String> = feed
        .items
        .iter()
        .filter_map(|i| i.get("tags_picture")?.as_str())
        .filter(|u| {
            !["missing.png", "corrupt.png", "bomb.png"]
                .iter()
                .any(|bad| u.ends_with(bad))
        })
        .map(|u| u.replace("{{BASE}}", &server.base_url()))
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let disk = || {
        Some(pos_recs::images::DiskCache::new(
            dir.path().to_path_buf(),
            256 << 20,
        ))
    };
    let cold = load_all(rt, &urls, disk());
    let warm = load_all(rt, &urls, disk());
    let hwm_before = vm_kib("VmHWM:");
    let many: Vec<String> = (0..200)
        .map(|i| {
            format!(
                "{}/images/SKU-{}.png?v={i}",
                server.base_url(),
                1001 + i % 51
            )
        })
        .collect();
    server.set_options(DemoOptions::default());
    let t200 = load_all(rt, &many, None);
    let hwm_after = vm_kib("VmHWM:");
    println!(
        "\n## Pictures: {} cards' pictures, server answering each in {} ms",
        urls.len(),
        latency.as_millis()
    );
    println!("| case | time to all shown |");
    println!("|---|---|");
    println!("| cold (empty disk cache) | {:.0} ms |", ms(cold));
    println!(
        "| warm (disk cache, new process state) | {:.0} ms |",
        ms(warm)
    );
    println!(
        "| 200 distinct pictures, no delay | {:.0} ms; memory high-water +{} MiB |",
        ms(t200),
        hwm_after.saturating_sub(hwm_before) / 1024
    );
}

fn product(i: usize) -> Product {
    Product {
        id: format!("SKU-{i}"),
        name: format!("Product number {i} with a name long enough to wrap onto a second line"),
        url: format!("https://shop.example/p/{i}"),
        price: Some(1299.0 + i as f64),
        old_price: i.is_multiple_of(3).then_some(1599.0),
        in_stock: Some(!i.is_multiple_of(5)),
        brand: "Brand".into(),
        category: vec!["Clothing".into()],
        descr: String::new(),
        image_url: None,
        tags: [
            ("clear_size".to_string(), serde_json::json!("M")),
            ("gender".into(), serde_json::json!("female")),
        ]
        .into_iter()
        .collect(),
    }
}

/// Median time of one frame (egui layout and tessellation, no GPU) with
/// `sections` sections of `per_section` cards, in a window of `size`.
fn frame_time(
    rt: &tokio::runtime::Runtime,
    server: &DemoServer,
    size: egui::Vec2,
    sections: usize,
    per_section: usize,
) -> Duration {
    let mut config = server.config();
    config.sources = (0..sections)
        .map(|i| SourceConfig {
            id: 100 + i as u64,
            show_tags: vec!["clear_size".into(), "gender".into()],
            max_cards: per_section,
            ..SourceConfig::default()
        })
        .collect();
    // Frame measurements: nothing recorded.
    config.history.enabled = false;
    let ready = pos_recs::setup::Ready {
        config: config.clone(),
        origin: pos_recs::config::ConfigOrigin::Demo,
        demo: None,
        setup_mode: false,
    };
    let handle = rt.handle().clone();
    let mut h = egui_kittest::Harness::builder()
        .with_size(size)
        .build_eframe(move |cc| {
            pos_recs::ui::CashierApp::new(&cc.egui_ctx, handle, ready).expect("app")
        });
    let who = identify("0671234567", None, "380").expect("phone");
    let mut session = pos_recs::session::Session::new(1, who, &config.sources);
    for (index, source) in config.sources.iter().enumerate() {
        session.apply(LookupEvent {
            generation: 1,
            result: SourceResult {
                index,
                source: source.clone(),
                elapsed: Duration::from_millis(5),
                outcome: Ok((0..per_section)
                    .map(|i| product(index * per_section + i))
                    .collect()),
                warnings: vec![],
                stale: None,
            },
        });
    }
    h.state_mut().show_prepared(session);
    for _ in 0..5 {
        h.step();
    }
    time(40, || h.step())
}

/// Frame times while a lookup's pictures arrive slowly (the UI must not
/// wait for them), and resident memory once all 120 cards' pictures are in.
/// CPU time of the calling thread: what a frame itself costs, without the
/// time it waited for a core (the 2-core machine shares its cores with the
/// picture decoders and the runtime).
fn thread_cpu_time() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// What [`frames_while_pictures_load`] measured.
struct PictureFrames {
    cards: usize,
    median: Duration,
    p99: Duration,
    worst: Duration,
    /// The worst of the frames that made textures.
    worst_upload: Duration,
    /// The frame in which the cards first appeared.
    first_layout: Duration,
    /// The worst of the app's own drawing (without kittest's AccessKit
    /// processing, which a till does only when a screen reader asks).
    worst_app: Duration,
    /// The most CPU time one frame took on the UI thread.
    worst_cpu: Duration,
    rss_kib: u64,
}

/// One way of drawing a customer's cards as their pictures arrive.
struct PictureWay {
    name: String,
    /// Bytes of textures made per frame.
    upload_budget: usize,
    /// Whether the till rasterises the cards' glyphs while idle at start.
    glyph_warm_up: bool,
    /// Whether the till has served a customer before this one.
    after_one_customer: bool,
}

fn frames_while_pictures_load(rt: &tokio::runtime::Runtime, way: &PictureWay) -> PictureFrames {
    let server = rt
        .block_on(DemoServer::start(DemoOptions {
            image_latency: Duration::from_millis(300),
            ..Default::default()
        }))
        .expect("demo server");
    let mut config = server.config();
    // Six recommendation sources (56 cards) plus the catalogue sources: 120 cards.
    for s in &mut config.sources {
        s.enabled = true;
        s.max_cards = match s.id {
            1250 => 51,
            1251 => 13,
            _ => 12,
        };
    }
    config.history.enabled = false;
    let ready = pos_recs::setup::Ready {
        config,
        origin: pos_recs::config::ConfigOrigin::Demo,
        demo: None,
        setup_mode: false,
    };
    let handle = rt.handle().clone();
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(2700.0, 5200.0))
        .build_eframe(move |cc| {
            pos_recs::ui::CashierApp::new(&cc.egui_ctx, handle, ready).expect("app")
        });
    h.state_mut().set_upload_budget(way.upload_budget);
    if !way.glyph_warm_up {
        h.state_mut().skip_glyph_warm_up();
    }
    // The till's start: its first frames, before any customer (a till
    // starts long before its first customer).
    h.step();
    h.step();
    while !h.state().glyphs_warmed_up() {
        h.step();
    }
    if way.after_one_customer {
        // A till that has served a customer: its heap already has the
        // pages a screen of cards needs (a fresh process faults them in).
        let first = identify("0501112233", None, "380").expect("phone");
        h.state_mut().start_lookup(first);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            h.step();
            let app = h.state();
            if app.session().is_some_and(|s| s.is_settled()) && app.pictures_loading() == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        h.state_mut().clear();
        h.step();
    }
    let who = identify("0671234567", None, "380").expect("phone");
    h.state_mut().start_lookup(who);
    let mut frames = Vec::new();
    let mut upload_frames = Vec::new();
    let mut first_layout = None;
    let mut worst_app = Duration::ZERO;
    let mut worst_cpu = Duration::ZERO;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let (textures_before, cards_before) = (
            h.state().texture_count(),
            h.state().session().map_or(0, |s| s.product_count()),
        );
        let t = Instant::now();
        let cpu = thread_cpu_time();
        h.step();
        let took = t.elapsed();
        worst_cpu = worst_cpu.max(thread_cpu_time().saturating_sub(cpu));
        frames.push(took);
        worst_app = worst_app.max(h.state().last_frame_took());
        if h.state().texture_count() > textures_before {
            upload_frames.push(took);
        }
        // The first frame that began with cards to draw (answers are taken
        // in by the service between frames).
        if first_layout.is_none() && cards_before > 0 {
            first_layout = Some(took);
        }
        let app = h.state();
        if app.session().is_some_and(|s| s.is_settled())
            && app.pictures_loading() == 0
            && app.texture_count() > 0
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let cards = h.state().session().map_or(0, |s| s.product_count());
    println!(
        "(pictures on screen as textures: {})",
        h.state().texture_count()
    );
    let worst = frames.iter().copied().max().unwrap_or_default();
    let mut sorted = frames.clone();
    sorted.sort();
    let p99 = sorted
        .get((sorted.len() * 99).div_ceil(100).saturating_sub(1))
        .copied()
        .unwrap_or_default();
    PictureFrames {
        cards,
        median: median(frames),
        p99,
        worst,
        worst_upload: upload_frames.iter().copied().max().unwrap_or_default(),
        first_layout: first_layout.unwrap_or_default(),
        worst_app,
        worst_cpu,
        rss_kib: vm_kib("VmRSS:"),
    }
}

fn ui_frames(rt: &tokio::runtime::Runtime) {
    // Before: six pictures a frame whatever their size; now a byte budget.
    let budget = pos_recs::ui::textures::UPLOAD_BYTES_PER_FRAME;
    let budget_text = format!("{} KiB of textures a frame", budget / 1024);
    let way = |name: String, upload_budget, glyph_warm_up, after_one_customer| PictureWay {
        name,
        upload_budget,
        glyph_warm_up,
        after_one_customer,
    };
    let ways = [
        way(
            "before: 6 textures a frame, the first customer after start".into(),
            6 * 352 * 1024,
            false,
            false,
        ),
        way(
            format!("{budget_text}, the first customer after start, glyphs not warmed up"),
            budget,
            false,
            false,
        ),
        way(
            format!(
                "now: {budget_text}, the first customer after start (glyphs warmed up while idle)"
            ),
            budget,
            true,
            false,
        ),
        way(
            format!("now: {budget_text}, the next customer (the till has served one)"),
            budget,
            true,
            true,
        ),
    ];
    // The ways interleaved, five runs each: one run's worst frame is noise
    // on a 2-core machine; the median of five worst frames is not.
    let mut runs: Vec<Vec<PictureFrames>> = ways.iter().map(|_| Vec::new()).collect();
    for _ in 0..5 {
        for (i, way) in ways.iter().enumerate() {
            runs[i].push(frames_while_pictures_load(rt, way));
        }
    }
    let cards = runs[2][0].cards;
    let rss_kib = runs[2][0].rss_kib;
    let server = rt
        .block_on(DemoServer::start(DemoOptions::default()))
        .expect("demo server");
    // 12 columns x 10 rows fit in this window: 120 cards on screen.
    let visible_120 = frame_time(rt, &server, egui::vec2(2700.0, 3900.0), 10, 12);
    let list_120 = frame_time(rt, &server, egui::vec2(1280.0, 900.0), 10, 12);
    let list_1000 = frame_time(rt, &server, egui::vec2(1280.0, 900.0), 10, 100);
    println!("\n## UI frame (egui layout + tessellation on the CPU, no GPU)");
    println!("| cards | window | ms per frame |");
    println!("|---|---|---|");
    println!("| 120, all visible | 2700x3900 | {:.2} |", ms(visible_120));
    println!("| 120 in the list | 1280x900 | {:.2} |", ms(list_120));
    println!("| 1,000 in the list | 1280x900 | {:.2} |", ms(list_1000));
    println!(
        "\n## Frames while {cards} cards' pictures arrive (300 ms each), 2700x5200, medians of 5 runs (worst of the 5 in brackets)"
    );
    println!(
        "| way | median frame | p99 | worst frame | worst frame with uploads | the cards' first frame | worst of the app's own drawing | most CPU time of one frame (UI thread) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (way, r) in ways.iter().zip(&runs) {
        let name = &way.name;
        let of = |f: &dyn Fn(&PictureFrames) -> Duration| {
            let v: Vec<Duration> = r.iter().map(f).collect();
            format!(
                "{:.2} ({:.2})",
                ms(median(v.clone())),
                ms(v.into_iter().max().unwrap_or_default())
            )
        };
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} |",
            of(&|f| f.median),
            of(&|f| f.p99),
            of(&|f| f.worst),
            of(&|f| f.worst_upload),
            of(&|f| f.first_layout),
            of(&|f| f.worst_app),
            of(&|f| f.worst_cpu)
        );
    }
    println!(
        "\nResident memory of the bench process with those {cards} cards and their pictures loaded \
         (CPU-side textures, demo server in-process): {} MiB",
        rss_kib / 1024
    );
}

/// Process start → first frame / first card / everything shown, and RSS at
/// the end, for the real binary on the demo shop; beside it, in the same
/// run and interleaved, an empty eframe window with the same renderer and
/// size (`examples/empty_window.rs`, built by `scripts/bench.sh`). Needs a
/// display (Xvfb).
fn cold_start() {
    if std::env::var_os("DISPLAY").is_none() {
        println!("\n## Cold start: skipped (no DISPLAY; scripts/bench.sh runs it under Xvfb)");
        return;
    }
    let empty_window = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/release/examples/empty_window");
    let config_home = std::env::temp_dir().join("pos-recs-bench-no-config");
    const RUNS: usize = 15;
    let mut till: Vec<[f64; 3]> = Vec::new();
    let mut empty: Vec<f64> = Vec::new();
    let mut last_line = String::new();
    for _ in 0..RUNS {
        if empty_window.exists()
            && let Some((times, _)) = time_probe_lines(&empty_window, &config_home)
        {
            empty.push(times[0]);
        }
        let Some((times, line)) = time_probe_lines(
            std::path::Path::new(env!("CARGO_BIN_EXE_pos-recs")),
            &config_home,
        ) else {
            println!("\n## Cold start: could not start the app");
            return;
        };
        till.push(times);
        last_line = line;
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let till_at = |i: usize| median(till.iter().map(|r| r[i]).collect());
    println!(
        "\n## Cold start of the release binary on the demo shop (median of {RUNS}, ms from spawn)"
    );
    println!("| first frame | first card | all cards and pictures shown |");
    println!("|---|---|---|");
    println!(
        "| {:.0} | {:.0} | {:.0} |",
        till_at(0),
        till_at(1),
        till_at(2)
    );
    println!("last run: {}", last_line.trim());
    if empty.is_empty() {
        println!("(no empty window to compare with: cargo build --release --example empty_window)");
        return;
    }
    let empty_first = median(empty);
    println!(
        "\nFirst frame, interleaved runs: till {:.0} ms, empty eframe window (same renderer, \
         same size) {:.0} ms: **ratio {:.2}**",
        till_at(0),
        empty_first,
        till_at(0) / empty_first
    );
}

/// Runs `program` with the start-up probe on; returns the time from spawn
/// to its first frame, first card and everything shown (NaN for a line it
/// never printed), and its last probe line.
fn time_probe_lines(
    program: &std::path::Path,
    config_home: &std::path::Path,
) -> Option<([f64; 3], String)> {
    use std::io::{BufRead, BufReader};
    let started = Instant::now();
    let mut child = std::process::Command::new(program)
        .env("POS_RECS_PROBE", "0671234567")
        .env("XDG_CONFIG_HOME", config_home)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let mut times = [f64::NAN; 3];
    let mut last_line = String::new();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let at = ms(started.elapsed());
            for (i, key) in ["first-frame", "first-card", "all-shown"]
                .iter()
                .enumerate()
            {
                if line.contains(&format!("probe: {key}")) && times[i].is_nan() {
                    times[i] = at;
                }
            }
            if line.contains("probe:") {
                last_line = line.clone();
            }
        }
    }
    let _ = child.wait();
    Some((times, last_line))
}

/// The real window under Xvfb: 56 cards whose pictures each take 300 ms,
/// against `pos-recs demo-server` in its own process. Reports how long
/// drawing a frame took while they arrived.
fn slow_pictures_window() {
    use std::io::{BufRead, BufReader};
    if std::env::var_os("DISPLAY").is_none() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_pos-recs");
    let Some(server) = DemoProcess::start(&["--image-latency-ms", "300"]) else {
        return;
    };
    let port = server.port;
    let home = tempfile::tempdir().expect("temp dir");
    let sources: String = [1246, 1244, 1247, 1245, 1248, 1249]
        .iter()
        .map(|id| format!("[[sources]]\nid = {id}\nshow_tags = [\"clear_size\"]\nmax_cards = 12\n"))
        .collect();
    let config =
        format!("[yespo]\nbase_url = \"http://127.0.0.1:{port}/api\"\napi_key = \"k\"\n{sources}");
    let dir = home.path().join("pos-recs");
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("config.toml"), config));
    let mut line = String::new();
    if written.is_ok()
        && let Ok(mut app) = std::process::Command::new(bin)
            .env("POS_RECS_PROBE", "0671234567")
            .env("XDG_CONFIG_HOME", home.path())
            .env("XDG_CACHE_HOME", home.path())
            .env("XDG_DATA_HOME", home.path())
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
    {
        if let Some(stderr) = app.stderr.take() {
            line = BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
                .find(|l| l.contains("all-shown"))
                .unwrap_or_default();
        }
        let _ = app.wait();
    }
    drop(server);
    println!("\n## Real window (Xvfb, software rendering): pictures arriving at 300 ms each");
    println!("{}", line.trim());
}

/// One run of the real window with the probe measuring: start-up, memory,
/// CPU at rest and CPU per forced frame.
#[derive(Debug, Default, Clone, Copy)]
struct WindowRun {
    first_frame_ms: f64,
    rss_mib: f64,
    rest_percent: f64,
    frame_cpu_ms: f64,
    frame_wall_ms: f64,
}

fn field(line: &str, key: &str) -> f64 {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Reads one measured run's probe lines from `program`'s stderr.
fn probe_run(mut command: std::process::Command) -> Option<WindowRun> {
    use std::io::{BufRead, BufReader};
    let started = Instant::now();
    let mut app = command
        .env("POS_RECS_PROBE", "0671234567")
        .env("POS_RECS_PROBE_MEASURE", "1")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let mut run = WindowRun {
        rss_mib: f64::NAN,
        rest_percent: f64::NAN,
        ..WindowRun::default()
    };
    if let Some(stderr) = app.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("probe: first-frame") {
                run.first_frame_ms = ms(started.elapsed());
            } else if line.contains("probe: all-shown") {
                run.rss_mib = field(&line, "rss_kib=") / 1024.0;
            } else if line.contains("probe: rest-cpu") {
                run.rest_percent = field(&line, "percent=");
            } else if line.contains("probe: frame-cpu") {
                run.frame_cpu_ms = field(&line, "ms=");
                run.frame_wall_ms = field(&line, "wall_ms=");
            }
        }
    }
    let _ = app.wait();
    (run.frame_cpu_ms > 0.0).then_some(run)
}

/// The release binary against `demo-server` on `port` with these sources
/// and renderer, in a window of `size`: the cards shown, then scrolled.
fn window_run(
    port: u16,
    sources: &[(u64, usize)],
    renderer: &str,
    size: &str,
) -> Option<WindowRun> {
    let home = tempfile::tempdir().ok()?;
    let sources: String = sources
        .iter()
        .map(|(id, n)| {
            format!("[[sources]]\nid = {id}\nshow_tags = [\"clear_size\"]\nmax_cards = {n}\n")
        })
        .collect();
    let config = format!(
        "[yespo]\nbase_url = \"http://127.0.0.1:{port}/api\"\napi_key = \"k\"\n[display]\nrenderer = \"{renderer}\"\n{sources}"
    );
    let dir = home.path().join("pos-recs");
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::write(dir.join("config.toml"), config).ok()?;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pos-recs"));
    command
        .env("POS_RECS_PROBE_SIZE", size)
        .env("XDG_CONFIG_HOME", home.path())
        .env("XDG_CACHE_HOME", home.path())
        .env("XDG_DATA_HOME", home.path());
    probe_run(command)
}

/// The empty eframe window (`examples/empty_window.rs`, glow) of `size`,
/// its frames forced and the wheel turning as over the till's cards.
fn empty_window_run(size: &str) -> Option<WindowRun> {
    let program = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/release/examples/empty_window");
    let mut command = std::process::Command::new(program);
    command.env("POS_RECS_PROBE_SIZE", size);
    probe_run(command)
}

/// `demo-server` in its own process on a free port (killed on drop).
struct DemoProcess {
    child: std::process::Child,
    port: u16,
}

impl DemoProcess {
    /// Starts it with these extra arguments (`--image-latency-ms 300`).
    fn start(extra: &[&str]) -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .ok()?;
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_pos-recs"))
            .args(["demo-server", "--port", &port.to_string()])
            .args(extra)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Self { child, port })
    }
}

impl Drop for DemoProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Median, smallest and largest of `values`, as "median (min–max)".
fn spread(values: &[f64], digits: usize) -> String {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return "–".into();
    }
    v.sort_by(f64::total_cmp);
    format!(
        "{:.digits$} ({:.digits$}–{:.digits$})",
        v[v.len() / 2],
        v[0],
        v[v.len() - 1]
    )
}

fn median_of(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// A till without a GPU (Mesa's software rasteriser under Xvfb, glow):
/// CPU and wall time per frame while 72 cards scroll, at 1024×768 and
/// 1920×1080, beside the empty eframe window of the same size, five
/// interleaved runs each; and wgpu beside glow at 1920×1080.
fn software_rendering() {
    if std::env::var_os("DISPLAY").is_none() {
        println!(
            "\n## Software rendering: skipped (no DISPLAY; scripts/bench.sh runs it under Xvfb)"
        );
        return;
    }
    let Some(demo) = DemoProcess::start(&[]) else {
        println!("\n## Software rendering: the demo server did not start");
        return;
    };
    let cards: Vec<(u64, usize)> = [1246, 1244, 1247, 1245, 1248, 1249]
        .iter()
        .map(|id| (*id, 12))
        .collect();
    const RUNS: usize = 5;
    let sizes = ["1024x768", "1920x1080"];
    let mut till: Vec<Vec<WindowRun>> = vec![Vec::new(); sizes.len()];
    let mut empty: Vec<Vec<WindowRun>> = vec![Vec::new(); sizes.len()];
    for _ in 0..RUNS {
        for (i, size) in sizes.iter().enumerate() {
            empty[i].extend(empty_window_run(size));
            till[i].extend(window_run(demo.port, &cards, "glow", size));
        }
    }
    println!(
        "\n## A till without a GPU: Mesa's software rasteriser under Xvfb, glow, 72 cards scrolled with the wheel \
         ({} frames a run), {RUNS} interleaved runs: median (min–max)",
        pos_recs::ui::probe::ForcedFrames::FRAMES
    );
    println!(
        "| size | window | CPU per frame (ms) | wall per frame (ms) | CPU: till ÷ empty | CPU at rest |"
    );
    println!("|---|---|---|---|---|---|");
    for (i, size) in sizes.iter().enumerate() {
        let cpu = |runs: &[WindowRun]| runs.iter().map(|r| r.frame_cpu_ms).collect::<Vec<_>>();
        let wall = |runs: &[WindowRun]| runs.iter().map(|r| r.frame_wall_ms).collect::<Vec<_>>();
        let rest: Vec<f64> = till[i].iter().map(|r| r.rest_percent).collect();
        let ratio = median_of(&cpu(&till[i])) / median_of(&cpu(&empty[i]));
        println!(
            "| {size} | empty eframe window | {} | {} | | |",
            spread(&cpu(&empty[i]), 2),
            spread(&wall(&empty[i]), 2)
        );
        println!(
            "| {size} | the till, 72 cards | {} | {} | **{ratio:.2}** | {} % |",
            spread(&cpu(&till[i]), 2),
            spread(&wall(&till[i]), 2),
            spread(&rest, 2)
        );
    }
    // wgpu beside glow once more: why `auto` is glow.
    let mut wgpu = Vec::new();
    let mut glow = Vec::new();
    for _ in 0..3 {
        wgpu.extend(window_run(demo.port, &cards, "wgpu", "1920x1080"));
        glow.extend(window_run(demo.port, &cards, "glow", "1920x1080"));
    }
    let cpu =
        |runs: &[WindowRun]| median_of(&runs.iter().map(|r| r.frame_cpu_ms).collect::<Vec<_>>());
    let rss = |runs: &[WindowRun]| median_of(&runs.iter().map(|r| r.rss_mib).collect::<Vec<_>>());
    println!(
        "\nRenderers at 1920x1080, 72 cards, 3 interleaved runs: CPU per frame glow {:.1} ms, wgpu {:.1} ms \
         (glow ÷ wgpu **{:.2}**); RSS glow {:.0} MiB, wgpu {:.0} MiB",
        cpu(&glow),
        cpu(&wgpu),
        cpu(&glow) / cpu(&wgpu),
        rss(&glow),
        rss(&wgpu)
    );
}

/// The time from the scanner's last key (Enter, after Esc and a 13-digit
/// card typed at 2 ms a key) to the request reaching the server, in the real
/// window under Xvfb while 120 cards are on screen.
fn scanner_latency(rt: &tokio::runtime::Runtime) {
    use axum::extract::{Query, State};
    type Seen = std::sync::Arc<std::sync::Mutex<Vec<(Instant, String)>>>;
    if std::env::var_os("DISPLAY").is_none() {
        return;
    }
    let xdotool = |args: &[&str]| {
        std::process::Command::new("xdotool")
            .args(args)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !xdotool(&["version"]) {
        println!("\n## Scanner latency: skipped (no xdotool)");
        return;
    }
    let seen: Seen = Default::default();
    async fn recoms(
        State(seen): State<Seen>,
        Query(q): Query<std::collections::HashMap<String, String>>,
    ) -> axum::Json<serde_json::Value> {
        let who = ["externalCustomerId", "phone"]
            .iter()
            .find_map(|k| q.get(*k).cloned())
            .unwrap_or_default();
        seen.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((Instant::now(), who));
        let items: Vec<serde_json::Value> = (0..30)
            .map(|i| serde_json::json!({"id": format!("S{i}"), "name": format!("Product {i}"), "price": 10 + i}))
            .collect();
        axum::Json(serde_json::Value::Array(items))
    }
    let app = axum::Router::new()
        .route("/api/v2/contacts/recoms/{id}", axum::routing::get(recoms))
        .with_state(seen.clone());
    let Ok(listener) = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")) else {
        return;
    };
    let Ok(addr) = listener.local_addr() else {
        return;
    };
    rt.spawn(async move { axum::serve(listener, app).await });
    let home = tempfile::tempdir().expect("temp dir");
    let sources: String = (1..=4)
        .map(|id| format!("[[sources]]\nid = {id}\nmax_cards = 30\n"))
        .collect();
    let dir = home.path().join("pos-recs");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("config.toml"),
        format!("[yespo]\nbase_url = \"http://{addr}/api\"\napi_key = \"k\"\n{sources}"),
    );
    let Ok(mut till) = std::process::Command::new(env!("CARGO_BIN_EXE_pos-recs"))
        .env("XDG_CONFIG_HOME", home.path())
        .env("XDG_CACHE_HOME", home.path())
        .env("XDG_DATA_HOME", home.path())
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
    else {
        return;
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let window = loop {
        let out = std::process::Command::new("xdotool")
            .args(["search", "--name", "^pos-recs$"])
            .output();
        if let Ok(out) = out
            && let Some(id) = String::from_utf8_lossy(&out.stdout).lines().next()
            && xdotool(&["windowfocus", "--sync", id])
        {
            break Some(id.to_string());
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut latencies = Vec::new();
    let mut whole = 0;
    if window.is_some() {
        std::thread::sleep(Duration::from_secs(1));
        for round in 0..7 {
            let count = |s: &Seen| s.lock().map_or(0, |v| v.len());
            // A busy screen first: a phone with 120 cards.
            xdotool(&["type", "--delay", "20", "0671234567"]);
            xdotool(&["key", "Return"]);
            std::thread::sleep(Duration::from_millis(400));
            let before = count(&seen);
            let card = format!("20001234567{round:02}");
            xdotool(&["key", "Escape", "type", "--delay", "2", &card]);
            xdotool(&["key", "Return"]);
            let sent = Instant::now();
            let wait = Instant::now() + Duration::from_secs(5);
            while count(&seen) < before + 4 && Instant::now() < wait {
                std::thread::sleep(Duration::from_millis(1));
            }
            let got: Vec<(Instant, String)> = seen
                .lock()
                .map(|v| v[before..].to_vec())
                .unwrap_or_default();
            if let Some((at, _)) = got.first() {
                latencies.push(ms(at.saturating_duration_since(sent)));
            }
            if !got.is_empty() && got.iter().all(|(_, w)| *w == card) {
                whole += 1;
            }
        }
    }
    let _ = till.kill();
    let _ = till.wait();
    latencies.sort_by(|a, b| a.total_cmp(b));
    println!(
        "\n## Scanner: Esc + 13-digit card at 2 ms a key + Enter, busy screen (real window, 7 rounds)"
    );
    match latencies.get(latencies.len() / 2) {
        Some(median) => println!(
            "Enter sent → first request at the server: median {median:.1} ms, worst {:.1} ms; cards that arrived whole: {whole}/7",
            latencies.last().copied().unwrap_or(f64::NAN)
        ),
        None => println!("no request arrived"),
    }
}

/// A chain's peak hour, simulated: tills asking through the gateway's
/// budget (token bucket), with and without the shared-source cache.
fn chain_capacity() {
    struct Outcome {
        upstream_per_s: f64,
        limited_share: f64,
        p95_ms: f64,
        failed_share: f64,
    }
    // xorshift: reproducible without a dependency.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut simulate = |tills: f64, per_till_per_min: f64, cached: bool| -> Outcome {
        let seconds = 600.0;
        let (budget, burst) = (150.0, 300.0);
        let lambda = tills * per_till_per_min / 60.0;
        // Requests: (time, lookup index), generated per lookup.
        let mut requests: Vec<(f64, usize)> = Vec::new();
        let mut t = 0.0;
        let mut lookups = 0;
        let mut next_shared_refresh = 0.0;
        while t < seconds {
            t += -(1.0 - random()).ln() / lambda;
            for _ in 0..4 {
                requests.push((t, lookups));
            }
            // Two shared sources: from the cache, refreshed once a minute.
            if !cached || t >= next_shared_refresh {
                for _ in 0..2 {
                    requests.push((t, lookups));
                }
                next_shared_refresh = t + 60.0;
            }
            lookups += 1;
        }
        requests.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut tokens = burst;
        let mut last = 0.0;
        let mut slowest = vec![0.0f64; lookups];
        let mut failed = vec![false; lookups];
        let (mut upstream, mut limited) = (0usize, 0usize);
        let mut retries: Vec<(f64, usize)> = Vec::new();
        let take = |at: f64, tokens: &mut f64, last: &mut f64| {
            *tokens = (*tokens + (at - *last) * budget).min(burst);
            *last = at;
            if *tokens >= 1.0 {
                *tokens -= 1.0;
                true
            } else {
                false
            }
        };
        for &(at, lookup) in &requests {
            let latency = 0.12 + 0.08 * random();
            if take(at, &mut tokens, &mut last) {
                upstream += 1;
                slowest[lookup] = slowest[lookup].max(latency);
            } else {
                limited += 1;
                retries.push((at + 1.0, lookup)); // Retry-After: 1
            }
        }
        retries.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Retries share the same bucket (approximation: after the first pass).
        for (at, lookup) in retries {
            if take(at.max(last), &mut tokens, &mut last) {
                upstream += 1;
                slowest[lookup] = slowest[lookup].max(1.0 + 0.12 + 0.08 * random());
            } else {
                failed[lookup] = true;
                slowest[lookup] = slowest[lookup].max(1.0);
            }
        }
        slowest.sort_by(|a, b| a.total_cmp(b));
        Outcome {
            upstream_per_s: upstream as f64 / seconds,
            limited_share: limited as f64 / requests.len().max(1) as f64,
            p95_ms: slowest
                .get(slowest.len() * 95 / 100)
                .copied()
                .unwrap_or(0.0)
                * 1000.0,
            failed_share: failed.iter().filter(|f| **f).count() as f64 / lookups.max(1) as f64,
        }
    };
    println!(
        "\n## A chain's peak hour through the gateway (simulated, 600 s, budget 150 r/s, burst 300)"
    );
    println!(
        "2,000 tills, 6 sources (2 shared, cached 60 s when the cache is on), Yespo 120-200 ms."
    );
    println!(
        "| lookups per till per minute | cache | upstream r/s | requests over budget | lookups with a failed source | p95 lookup |"
    );
    println!("|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for per_min in [0.5, 1.0, 1.5] {
        for cached in [false, true] {
            let o = simulate(2000.0, per_min, cached);
            rows.push((per_min, cached, o.upstream_per_s, o.p95_ms));
            println!(
                "| {per_min} | {} | {:.0} | {:.1} % | {:.1} % | {:.0} ms |",
                if cached { "on" } else { "off" },
                o.upstream_per_s,
                o.limited_share * 100.0,
                o.failed_share * 100.0,
                o.p95_ms
            );
        }
    }
    if let Ok(path) = std::env::var("CHAIN_CHART") {
        chain_chart(&rows, std::path::Path::new(&path));
    }
}

/// Draws the capacity table as a chart (egui_plot, rendered by kittest's
/// wgpu renderer) into a PNG: upstream requests a second per scenario, with
/// and without the cache, against the account budget.
fn chain_chart(rows: &[(f64, bool, f64, f64)], path: &std::path::Path) {
    use egui_plot::{Bar, BarChart, HLine, Legend, Plot};
    let rows = rows.to_vec();
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(900.0, 460.0))
        .with_theme(egui::Theme::Light)
        .build_ui(move |ui| {
            ui.heading("2,000 tills through one gateway: upstream requests a second");
            let bars = |cached: bool, offset: f64| {
                rows.iter()
                    .filter(|r| r.1 == cached)
                    .map(|r| Bar::new(r.0 * 2.0 + offset, r.2).width(0.35))
                    .collect::<Vec<_>>()
            };
            Plot::new("capacity")
                .legend(Legend::default())
                .height(380.0)
                .x_axis_label("lookups per till per minute")
                .y_axis_label("requests / s to Yespo")
                .x_axis_formatter(|mark, _| {
                    let v = mark.value / 2.0;
                    if (v * 2.0 - (v * 2.0).round()).abs() < 1e-6 && [0.5, 1.0, 1.5].contains(&v) {
                        format!("{v}")
                    } else {
                        String::new()
                    }
                })
                .show(ui, |plot| {
                    plot.bar_chart(BarChart::new("cache off", bars(false, -0.2)));
                    plot.bar_chart(BarChart::new("cache on", bars(true, 0.2)));
                    plot.hline(HLine::new("budget 150 r/s", 150.0));
                });
        });
    for _ in 0..4 {
        h.step();
    }
    match h.render() {
        Ok(image) => match image.save(path) {
            Ok(()) => println!("chart: {}", path.display()),
            Err(e) => println!("chart not written: {e}"),
        },
        Err(e) => println!("chart not rendered: {e}"),
    }
}

/// The history: what recording costs the thread that records (the UI
/// thread, in the till), beside doing nothing, and how many events a second
/// the writer thread puts in the SQLite file.
fn history_recording() {
    use pos_recs::history::{Event, History};
    let lookup = |source_id| {
        let mut events = vec![Event::Lookup];
        events.extend((0..12).map(|position| Event::Shown {
            source_id,
            product_id: format!("SKU-{position}"),
            position,
        }));
        events
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("history.sqlite3");
    let messages = 5_000u64;
    let per_message = lookup(1).len() as u64;
    // Baseline in the same run: building the same events without recording them.
    let started = Instant::now();
    for i in 0..messages {
        std::hint::black_box(lookup(i % 6));
    }
    let baseline = started.elapsed();
    let history = History::start(file.clone(), 90);
    let started = Instant::now();
    for i in 0..messages {
        history.record_all(lookup(i % 6));
    }
    let recording = started.elapsed();
    let total = (messages * per_message) as i64;
    let deadline = Instant::now() + Duration::from_secs(60);
    let written_in = loop {
        let n: i64 = rusqlite::Connection::open(&file)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0)))
            .unwrap_or(0);
        if n >= total || Instant::now() > deadline {
            break started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let per_event = |d: Duration| d.as_nanos() as f64 / (messages * per_message) as f64;
    println!("\n## History: {messages} lookups of {per_message} events each");
    println!("| what | per event on the recording thread | |");
    println!("|---|---|---|");
    println!(
        "| recording (channel send) | {:.0} ns | baseline, building the events only: {:.0} ns |",
        per_event(recording),
        per_event(baseline)
    );
    println!(
        "| writer thread, all in the SQLite file (WAL, batches of up to 1000) | {:.0} events/s | |",
        (messages * per_message) as f64 / written_in.as_secs_f64()
    );
}

/// `stats --chain` over a chain's folder: 2,000 tills × 90 days of
/// generated reports (180,000 files), read by the real command; beside it
/// in the same run, reading the same files' bytes alone.
fn chain_report() {
    use pos_recs::chain::report::DayReport;
    use pos_recs::history::{DayFigures, GroupDay, SourceDay, day_of};
    let tills: usize = std::env::var("BENCH_CHAIN_TILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let days = 90usize;
    let dir = tempfile::tempdir().expect("temp dir");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let titles: std::collections::BTreeMap<u64, String> = (0..6u64)
        .map(|k| (1244 + k, format!("Source {}", 1244 + k)))
        .collect();
    let started = Instant::now();
    for till in 0..tills {
        let store = format!("store-{:03}", till / 20);
        let name = format!("till-{till:04}");
        let folder = dir.path().join(&store).join(&name);
        std::fs::create_dir_all(&folder).expect("folder");
        for d in 0..days {
            let day = day_of(now - d as i64 * 86_400);
            let n = (till * 31 + d) as u64;
            let figures = DayFigures {
                day: day.clone(),
                lookups: 40 + n % 20,
                sources: (0..6u64)
                    .map(|k| SourceDay {
                        source_id: 1244 + k,
                        lookups: 40 + n % 20,
                        answered: 38 + n % 20,
                        shown: 200 + n % 50,
                        opened: 10 + n % 7,
                        to_customer: n % 3,
                        added: 5 + n % 4,
                        bought_lines: 3 + n % 5,
                        bought_quantity: 4.0,
                        revenue: 120.5 + k as f64,
                        bought_after_click: 2,
                    })
                    .collect(),
                sales: 60,
                recommended_lines: 9,
                recommended_revenue: 310.25,
                groups: ["shown", "holdout"]
                    .map(|g| GroupDay {
                        period: "10%-3f2a".into(),
                        group: g.into(),
                        sales: 30,
                        priced_sales: 30,
                        value_sum: 9000.0,
                        value_squares: 3.1e6,
                        items_sum: 90.0,
                        items_squares: 300.0,
                    })
                    .to_vec(),
            };
            let report = DayReport::new(&store, &name, titles.clone(), figures, now);
            std::fs::write(folder.join(format!("{day}.json")), report.to_json()).expect("file");
        }
    }
    let written = started.elapsed();
    let files = tills * days;
    let bytes_only = {
        let started = Instant::now();
        let mut total = 0usize;
        for store in std::fs::read_dir(dir.path()).expect("dir").flatten() {
            for till in std::fs::read_dir(store.path()).expect("dir").flatten() {
                for day in std::fs::read_dir(till.path()).expect("dir").flatten() {
                    total += std::fs::read(day.path()).map_or(0, |b| b.len());
                }
            }
        }
        std::hint::black_box(total);
        started.elapsed()
    };
    let run = || {
        let started = Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pos-recs"))
            .args(["stats", "--days", "90", "--chain"])
            .arg(dir.path())
            .output()
            .expect("pos-recs runs");
        (started.elapsed(), out)
    };
    // Cold: the page cache dropped first, as after a reboot (root only).
    let dropped = std::process::Command::new("sync").status().is_ok()
        && std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok();
    let cold = dropped.then(|| run().0);
    let (command, out) = run();
    let first = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    println!(
        "\n## stats --chain: {tills} tills × {days} days ({files} files, generated in {:.0} s)",
        written.as_secs_f64()
    );
    println!("| what | time | files/s |");
    println!("|---|---|---|");
    if let Some(cold) = cold {
        println!(
            "| `pos-recs stats --chain DIR --days 90`, page cache dropped first | {:.1} s | {:.0} |",
            cold.as_secs_f64(),
            files as f64 / cold.as_secs_f64()
        );
    }
    println!(
        "| `pos-recs stats --chain DIR --days 90` (walk, read, parse, sum), warm | {:.1} s | {:.0} |",
        command.as_secs_f64(),
        files as f64 / command.as_secs_f64()
    );
    println!(
        "| baseline: reading the same files' bytes, one thread | {:.1} s | {:.0} |",
        bytes_only.as_secs_f64(),
        files as f64 / bytes_only.as_secs_f64()
    );
    println!("command's first line: {first}");
}

/// A lookup over every demo source when none can be reached: the first
/// one (the till learns it is offline from the error, or from the timeout
/// of a server that never answers) beside one when the till already knows
/// it is offline (kept answers and "offline" at once, nothing asked).
fn offline_lookup(rt: &tokio::runtime::Runtime) {
    let server = rt
        .block_on(DemoServer::start(DemoOptions::default()))
        .expect("demo server");
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = pos_recs::answer_cache::AnswerCache::open(&dir.path().join("answers.sqlite3"));
    let who = identify("0671234567", None, "380").expect("phone");
    let mut config = server.config();
    config.yespo.timeout_ms = 1500;
    let online = LookupEngine::with_cache(&config, cache.clone()).expect("engine");
    rt.block_on(online.run(&who));
    // The answers are kept off the lookup's path: wait until they are in.
    let deadline = Instant::now() + Duration::from_secs(10);
    while cache.get(1245, "").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let hanging = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr");
    println!(
        "\n## Offline: a lookup over {} sources, none reachable (timeout {} ms)",
        config.enabled_sources().count(),
        config.yespo.timeout_ms
    );
    println!("| server | not yet known offline (ms) | known offline (ms) | ratio |");
    println!("|---|---|---|---|");
    for (name, addr) in [
        ("refuses connections", dead),
        ("never answers", hanging.local_addr().expect("addr")),
    ] {
        let mut at = config.clone();
        at.yespo.base_url = format!("http://{addr}/api");
        let engine = LookupEngine::with_cache(&at, cache.clone()).expect("engine");
        let first = time(3, || rt.block_on(engine.run(&who)));
        engine.set_known_offline(true);
        let known = time(21, || rt.block_on(engine.run(&who)));
        println!(
            "| {name} | {:.1} | {:.2} | {:.0}× |",
            ms(first),
            ms(known),
            first.as_secs_f64() / known.as_secs_f64()
        );
    }
    drop(hanging);
}

#[path = "perf/orders_drain.rs"]
mod orders_drain;

fn main() {
    // `cargo test --benches` passes --bench-less args; only run when benchmarking.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _guard = rt.enter();
    println!(
        "# pos-recs measurements ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    // BENCH_ONLY=name[,name…] runs only those measurements.
    let only = std::env::var("BENCH_ONLY").ok();
    let wanted = |name: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|n| n == name))
    };
    if wanted("fan_out") {
        fan_out(&rt);
    }
    if wanted("token_mode") {
        token_mode(&rt);
    }
    if wanted("parsing") {
        parsing();
    }
    if wanted("pictures") {
        pictures();
    }
    if wanted("picture_pipeline") {
        picture_pipeline(&rt);
    }
    if wanted("ui_frames") {
        ui_frames(&rt);
    }
    if wanted("offline_lookup") {
        offline_lookup(&rt);
    }
    if wanted("orders_drain") {
        orders_drain::orders_drain(&rt);
    }
    if wanted("history_recording") {
        history_recording();
    }
    if wanted("chain_capacity") {
        chain_capacity();
    }
    if wanted("chain_report") {
        chain_report();
    }
    if wanted("cold_start") {
        cold_start();
    }
    if wanted("software_rendering") {
        software_rendering();
    }
    if wanted("scanner_latency") {
        scanner_latency(&rt);
    }
    slow_pictures_window();
}
