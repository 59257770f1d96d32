//! The `pos-recs` binary: the cashier GUI (no subcommand), and the
//! `lookup`, `check` and `demo-server` subcommands.

#![deny(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use pos_recs::config::ConfigOrigin;
use pos_recs::demo::{DemoOptions, DemoServer};
use pos_recs::lookup::LookupEngine;
use pos_recs::report;
use pos_recs::setup::{self, Located, Ready};

mod cli;

use cli::{Cli, Command, DemoArgs, LookupArgs, SendArgs, StatsArgs, Who};

/// Exit status: bad input or configuration.
const EXIT_BAD_INPUT: u8 = 2;
/// Exit status: no source answered.
const EXIT_NONE_ANSWERED: u8 = 3;

fn main() -> ExitCode {
    // Before any file is made: what the till writes is its user's alone.
    pos_recs::platform::private_by_default();
    for dir in pos_recs::platform::own_dirs().iter().filter(|d| d.exists()) {
        let _ = pos_recs::platform::private_dir(dir);
    }
    let cli = Cli::parse();
    if cli.command.is_none() {
        // Only the window draws, so only it asks; and now, while this is
        // the process's only thread (it sets the environment).
        pos_recs::platform::rasteriser::tune_software_rasteriser();
    }
    // The CLI's stderr is part of its contract (one line on bad input), so it
    // logs errors only unless RUST_LOG asks; the GUI also shows warnings
    // (e.g. a config file readable by other users).
    pos_recs::logging::init(match cli.command {
        None => "warn",
        // A service's log is its stderr (the journal under systemd).
        Some(Command::Serve) => "info",
        Some(_) => "error",
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pos-recs: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        None => run_gui(&runtime, cli.config, cli.setup, &cli.customer),
        Some(Command::Lookup(args)) => runtime.block_on(run_lookup(cli.config, args)),
        Some(Command::Check) => runtime.block_on(run_check(cli.config)),
        Some(Command::DemoServer(args)) => runtime.block_on(run_demo_server(args)),
        Some(Command::Send(args)) => runtime.block_on(run_send(cli.config, args)),
        Some(Command::Serve) => runtime.block_on(run_serve(cli.config)),
        Some(Command::Stats(args)) => run_stats(cli.config, &args),
        Some(Command::Outbox(args)) => run_outbox(cli.config, &args),
        Some(Command::Assets { out }) => write_assets(&out),
        Some(Command::Autostart { state }) => autostart(state == "on"),
    };
    // Sources that hang must not keep the process alive after the answer is printed.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("pos-recs: {}", describe(&e));
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// `stats --chain DIR`: the chain's table from the tills' reports. Each
/// broken file is one warning line on stderr; the table's first line
/// counts them.
fn run_chain_stats(dir: &std::path::Path, args: &StatsArgs) -> anyhow::Result<u8> {
    use pos_recs::chain::read;
    let reports = read::read_folder(dir, Some(args.days))?;
    for skipped in &reports.skipped {
        eprintln!(
            "pos-recs: warning: skipped {}: {}",
            skipped.path.display(),
            skipped.reason
        );
    }
    let by = args.by.unwrap_or_default();
    if args.csv {
        print!("{}", read::csv(&reports, by));
    } else {
        print!("{}", read::table(&reports, by));
    }
    Ok(0)
}

/// An error and its causes on one line, each cause once: our messages often
/// already quote their source ("cannot read config X: Is a directory"), and
/// anyhow's `{:#}` would repeat it.
fn describe(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

/// Loads the configuration (or starts the demo) and says which on stderr.
async fn ready(config: Option<PathBuf>) -> anyhow::Result<Ready> {
    let located = setup::locate(config);
    if let Located::Demo(path) = &located {
        let looked = path.as_ref().map_or("no config dir".to_string(), |p| {
            format!("no config at {}", p.display())
        });
        eprintln!("pos-recs: {looked}; using the built-in demo data");
    }
    Ok(setup::prepare(located).await?)
}

async fn run_lookup(config: Option<PathBuf>, args: LookupArgs) -> anyhow::Result<u8> {
    let ready = ready(config).await?;
    let Some((kind, raw)) = args.who.given() else {
        anyhow::bail!("give --card, --phone or --email");
    };
    let basket = args.basket.basket()?.unwrap_or_default();
    if ready.config.enabled_sources().next().is_none() {
        anyhow::bail!(
            "no enabled data sources in the configuration ({})",
            ready.origin
        );
    }
    if ready.config.yespo.api_key.is_none() && ready.origin != ConfigOrigin::Demo {
        tracing::warn!("no API key configured (set api_key or POS_RECS_API_KEY)");
    }
    // The comparison group's key is the till's own.
    let key_file = pos_recs::history::file_for(&ready.config, &ready.origin)
        .as_deref()
        .map(pos_recs::experiment::key_file_beside);
    let lookup =
        pos_recs::till::look_up_once(&ready.config, key_file.as_deref(), raw, Some(kind), &basket)
            .await?;
    let (ident, results) = (&lookup.customer, &lookup.results);
    for r in results {
        for w in &r.warnings {
            eprintln!("warning: data source {}: {w}", r.source.id);
        }
    }
    let held_out = lookup.group == pos_recs::experiment::Group::Holdout;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let mut document = report::LookupReport::new(ident, results);
        document.group = report::held_out(lookup.group);
        let doc = serde_json::to_string_pretty(&document)?;
        writeln!(stdout, "{doc}").context("cannot write the result")?;
    } else if held_out {
        writeln!(
            stdout,
            "{}: no suggestions for this customer: comparison group ([experiment] holdout_percent)",
            ident.masked()
        )
        .context("cannot write the result")?;
    } else {
        write!(
            stdout,
            "{}",
            report::text(ident, results, &ready.config.display.currency)
        )
        .context("cannot write the result")?;
    }
    // The comparison group is no failure: nothing was meant to be asked.
    Ok(if held_out || report::any_answered(results) {
        0
    } else {
        EXIT_NONE_ANSWERED
    })
}

async fn run_check(config: Option<PathBuf>) -> anyhow::Result<u8> {
    let ready = ready(config).await?;
    println!("config: {} — OK", ready.origin);
    // A secret every local user can read is a problem, not a note: the key
    // opens the customer base, and a PIN hash falls to an offline search.
    let mut problems = 0;
    if let ConfigOrigin::File(path) = &ready.origin {
        let secrets = pos_recs::config::secrets_readable_by_others(path);
        if !secrets.is_empty() {
            problems += 1;
            println!(
                "problem: every user of this machine can read {} ({}); run: {}",
                path.display(),
                secrets.join(", "),
                pos_recs::platform::make_private_command(path)
            );
        }
    }
    if ready.config.manager.pin_hash.is_none() && ready.origin != ConfigOrigin::Demo {
        println!(
            "warning: no manager PIN is set; the settings stay closed until one is set with: pos-recs --setup"
        );
        if ready.config.display.kiosk {
            println!(
                "warning: kiosk mode without a manager PIN: nobody can close the till from its screen"
            );
        }
    }
    let flow = if ready.config.yespo.auth.token_flow() {
        "v1 contact tokens"
    } else {
        "v2"
    };
    if ready.config.yespo.auth.via_gateway() {
        println!(
            "account: via gateway {} ({flow})",
            ready.config.yespo.base_url
        );
        let token = ready
            .config
            .till_token()
            .map_or("none".to_string(), |t| t.masked());
        println!("till token: {token}");
    } else {
        println!("account: {} ({flow})", ready.config.yespo.base_url);
        let key = ready
            .config
            .yespo
            .api_key
            .as_ref()
            .map_or("none".to_string(), |k| k.masked());
        println!("API key: {key}");
    }
    match &ready.config.integration {
        Some(integration) => println!(
            "POS link: http://{}/v1 (the window serves it; a till without one: pos-recs serve)",
            integration.listen
        ),
        None => println!("POS link: off (pos-recs serve needs [integration] listen)"),
    }
    match pos_recs::chain::upload::ReportSettings::from_config(&ready.config) {
        Some(settings) => {
            let history = pos_recs::history::file_for(&ready.config, &ready.origin);
            let waiting = history.map_or(0, |h| {
                pos_recs::chain::upload::Queue::load(&pos_recs::chain::upload::queue_file_beside(
                    &h,
                ))
                .due
                .len()
            });
            println!(
                "chain reports: to {}{}/{}/ ({waiting} days waiting)",
                settings.base, settings.store, settings.till
            );
        }
        None => println!("chain reports: off ([fleet] till not set)"),
    }
    let engine = LookupEngine::new(&ready.config)?;
    if engine.sources().is_empty() {
        anyhow::bail!(
            "no enabled data sources in the configuration ({})",
            ready.origin
        );
    }
    let results = engine.test_account().await;
    print!("{}", report::check_table(&results));
    Ok(if problems > 0 {
        EXIT_BAD_INPUT
    } else if results.iter().any(|r| r.account_answered()) {
        0
    } else {
        EXIT_NONE_ANSWERED
    })
}

/// `pos-recs autostart on|off` (see [`pos_recs::platform::autostart`]).
fn autostart(on: bool) -> anyhow::Result<u8> {
    let said = pos_recs::platform::autostart(on).context("autostart")?;
    println!("{said}");
    Ok(0)
}

/// The man page and shell completions, generated from the same clap
/// definitions the binary parses with, so they never drift.
fn write_assets(out: &std::path::Path) -> anyhow::Result<u8> {
    use clap::CommandFactory;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .context("cannot render the man page")?;
    std::fs::write(out.join("pos-recs.1"), page).context("cannot write the man page")?;
    for shell in [
        clap_complete::Shell::Bash,
        clap_complete::Shell::Zsh,
        clap_complete::Shell::Fish,
    ] {
        clap_complete::generate_to(shell, &mut Cli::command(), "pos-recs", out)
            .with_context(|| format!("cannot write the {shell} completions"))?;
    }
    for size in [48, 128, 256] {
        pos_recs::icon::draw(size)
            .save(out.join(format!("pos-recs-{size}.png")))
            .with_context(|| format!("cannot write the {size} px icon"))?;
    }
    println!("man page, completions and icons in {}", out.display());
    Ok(0)
}

/// `pos-recs outbox`: the outbox in this till's history file.
fn run_outbox(config: Option<PathBuf>, args: &cli::OutboxArgs) -> anyhow::Result<u8> {
    let (_, file) = history_of(config)?;
    let mut conn = pos_recs::history::open(&file)?;
    if let Some(id) = args.retry {
        pos_recs::outbox::retry(&conn, id)?;
        println!("item {id} will be sent again");
    } else if let Some(id) = args.drop {
        pos_recs::outbox::drop_parked(&mut conn, id)?;
        println!("item {id} is dropped");
    } else {
        print!(
            "{}",
            pos_recs::outbox::describe(&pos_recs::outbox::list(&conn)?)
        );
    }
    Ok(0)
}

/// The configuration and the history file the till records into: the
/// demo's own when there is no configuration, with the demo's sources.
fn history_of(config: Option<PathBuf>) -> anyhow::Result<(pos_recs::config::Config, PathBuf)> {
    let (config, origin) = match setup::locate(config) {
        Located::File(path) => (
            pos_recs::config::Config::load(&path)?,
            ConfigOrigin::File(path),
        ),
        Located::Demo(_) => (
            pos_recs::demo::DemoFeed::embedded()
                .map(|feed| feed.config("http://127.0.0.1"))
                .unwrap_or_default(),
            ConfigOrigin::Demo,
        ),
    };
    let file = pos_recs::history::file_for(&config, &origin).ok_or_else(|| {
        anyhow::anyhow!("recording is off ([history] enabled = false), or there is no data folder")
    })?;
    Ok((config, file))
}

/// `pos-recs stats`: the manager's figures from this till's history.
fn run_stats(config: Option<PathBuf>, args: &StatsArgs) -> anyhow::Result<u8> {
    if let Some(dir) = &args.chain {
        return run_chain_stats(dir, args);
    }
    let (config, file) = history_of(config)?;
    if !file.exists() && !args.csv {
        // A new till: nothing recorded is no error. (The CSV keeps its
        // header, so a chain's merge script reads an empty till like any other.)
        println!("no history yet ({})", file.display());
        return Ok(0);
    }
    let figures = pos_recs::history::Figures::read(&file, args.days)?;
    let titles = |id: u64| {
        config
            .sources
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| format!("Data source {id}"), |s| s.display_title())
    };
    let out = if args.csv {
        figures.csv()
    } else {
        pos_recs::history::table(&figures.stats, &titles)
            + &pos_recs::history::sales_table(
                &figures.stats,
                &figures.sales,
                &titles,
                &config.display.currency,
            )
    };
    print!("{out}");
    Ok(0)
}

/// `pos-recs serve`: the till service with no window, until SIGTERM or Ctrl+C.
async fn run_serve(config: Option<PathBuf>) -> anyhow::Result<u8> {
    let ready = ready(config).await?;
    if ready.config.integration.is_none() {
        anyhow::bail!(
            "serve needs [integration] listen and token: without the POS link a till with no window serves nobody"
        );
    }
    let service = pos_recs::service::TillService::start(ready, tokio::runtime::Handle::current())?;
    let Some(address) = service.pos_link_address() else {
        anyhow::bail!(
            "the POS link could not start: {}",
            service.link_problem().unwrap_or("unknown reason")
        );
    };
    tracing::info!("serving the POS link on http://{address}/v1");
    pos_recs::platform::stop_requested().await;
    tracing::info!("stopping: the history is being written");
    // Dropping the service stops the link and the poller, and waits for
    // the history's writer to write what is queued.
    tokio::task::spawn_blocking(move || drop(service))
        .await
        .context("the till did not stop cleanly")?;
    tracing::info!("stopped");
    Ok(0)
}

/// `pos-recs send`: one request to the till's local API.
async fn run_send(config: Option<PathBuf>, args: SendArgs) -> anyhow::Result<u8> {
    let path = match setup::locate(config) {
        Located::File(path) => path,
        Located::Demo(_) => {
            anyhow::bail!("no configuration file, so no [integration] to reach the till through")
        }
    };
    let config = pos_recs::config::Config::load(&path)?;
    let Some(integration) = &config.integration else {
        anyhow::bail!(
            "{}: no [integration] section; the till's POS link is off",
            path.display()
        );
    };
    let address = integration
        .address()
        .map_err(|e| anyhow::anyhow!("[integration] listen: {e}"))?;
    let token = integration
        .token()
        .ok_or_else(|| anyhow::anyhow!("[integration] token: missing"))?;
    let basket = args.basket.basket()?;
    let base = format!("http://{address}/v1");
    // Loopback only, so never through a proxy.
    let http = reqwest::Client::builder()
        .no_proxy()
        // A sale may wait a few seconds for the till's disk.
        .timeout(Duration::from_secs(15))
        .build()
        .context("cannot start the HTTP client")?;
    let who = args.who.given();
    let request = if let Some(file) = &args.sale {
        http.post(format!("{base}/sale")).json(&read_sale(file)?)
    } else if let Some(sale_id) = &args.void {
        http.post(format!("{base}/void"))
            .json(&serde_json::json!({ "sale_id": sale_id }))
    } else if args.clear {
        http.delete(format!("{base}/customer"))
    } else if let Some((kind, value)) = who {
        let mut body = serde_json::json!({ kind.as_str(): value });
        if let Some(basket) = &basket {
            body["products"] = serde_json::json!(basket.products);
            if let Some(category) = &basket.category {
                body["category"] = serde_json::json!(category);
            }
        }
        http.post(format!("{base}/customer")).json(&body)
    } else if let Some(basket) = &basket {
        http.put(format!("{base}/basket")).json(basket)
    } else {
        anyhow::bail!("give --card, --phone or --email, --products, or --clear");
    };
    let response = match request.bearer_auth(token.expose()).send().await {
        Ok(response) => response,
        Err(e) if e.is_connect() || e.is_timeout() => {
            eprintln!("pos-recs: no till is listening on {address}");
            return Ok(EXIT_NONE_ANSWERED);
        }
        Err(e) => anyhow::bail!("the till could not be asked: {}", e.without_url()),
    };
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    if status.is_success() {
        println!(
            "{}",
            body["customer"]
                .as_str()
                .map_or("ok".to_string(), |c| format!("ok: {c}"))
        );
        Ok(0)
    } else {
        let message = body["error"].as_str().unwrap_or("refused");
        anyhow::bail!("the till refused: {message} (HTTP {})", status.as_u16())
    }
}

/// A sale file for `send --sale`: read with a bound, checked here so a
/// mistake is named before the till is asked.
fn read_sale(file: &std::path::Path) -> anyhow::Result<pos_recs::sale::Sale> {
    use std::io::Read;
    const MAX_SALE_FILE: u64 = 1024 * 1024;
    let mut text = String::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_SALE_FILE + 1).read_to_string(&mut text))
        .with_context(|| format!("cannot read {}", file.display()))?;
    if text.len() as u64 > MAX_SALE_FILE {
        anyhow::bail!("{}: larger than {MAX_SALE_FILE} bytes", file.display());
    }
    let sale: pos_recs::sale::Sale = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not a sale (see the README's POS section)",
            file.display()
        )
    })?;
    sale.validate()
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    Ok(sale)
}

async fn run_demo_server(args: DemoArgs) -> anyhow::Result<u8> {
    let options = DemoOptions {
        latency: Duration::from_millis(args.latency_ms),
        source_latency: args
            .source_latency
            .into_iter()
            .map(|(id, ms)| (id, Duration::from_millis(ms)))
            .collect(),
        faults: args.fault.into_iter().collect(),
        image_latency: Duration::from_millis(args.image_latency_ms),
        required_key: args.require_key,
        ..DemoOptions::default()
    };
    let server = DemoServer::start_on(args.port, options)
        .await
        .context("cannot start the demo server")?;
    println!("demo server: {}", server.base_url());
    println!(
        "config for it:\n\n{}",
        server.config().to_toml().unwrap_or_default()
    );
    std::io::stdout().flush().ok();
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    Ok(0)
}

#[cfg(not(feature = "gui"))]
fn run_gui(
    _runtime: &tokio::runtime::Runtime,
    _config: Option<PathBuf>,
    _setup: bool,
    _customer: &Who,
) -> anyhow::Result<u8> {
    anyhow::bail!(
        "this build has no window (feature \"gui\" off); use lookup, check or demo-server"
    )
}

#[cfg(feature = "gui")]
fn run_gui(
    runtime: &tokio::runtime::Runtime,
    config: Option<PathBuf>,
    setup: bool,
    customer: &Who,
) -> anyhow::Result<u8> {
    use pos_recs::instance::{self, Request, Start};
    let request = match customer.given() {
        Some((kind, value)) => Request::Customer(kind, value.to_string()),
        None => Request::Front,
    };
    // One till window per user: a second launch hands its request over and exits.
    let instance = match instance::socket_path().map(|p| instance::start(&p, &request)) {
        Some(Ok(Start::Handed)) => return Ok(0),
        // The till runs but would not take this: say why, open no second window.
        Some(Ok(Start::Refused(why))) => anyhow::bail!("{why}"),
        Some(Ok(Start::First(instance))) => Some(instance),
        Some(Err(e)) => {
            tracing::warn!("another till window cannot be detected ({e})");
            None
        }
        None => None,
    };
    match runtime.block_on(ready(config)) {
        Ok(mut ready) => {
            ready.setup_mode = setup;
            pos_recs::ui::run(runtime, ready, instance)?
        }
        Err(e) => {
            let message = describe(&e);
            eprintln!("pos-recs: {message}");
            pos_recs::ui::run_config_error(message)?;
            return Ok(EXIT_BAD_INPUT);
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own consistency checks (groups, conflicts, names) over every
    /// subcommand: a mistake there would only show when a cashier hits it.
    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
