//! The POS link's edges, without the window: what an idle, slow or
//! token-less local client can do to the till's local API.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use pos_recs::config::{Config, ConfigOrigin, IntegrationConfig};
use pos_recs::pos_link::{HEADER_TIMEOUT, MAX_CONNECTIONS, MAX_UNPROVEN};
use pos_recs::secret::ApiKey;
use pos_recs::service::TillService;
use pos_recs::setup::Ready;

const TOKEN: &str = "pos-token-for-edge-tests";

/// A headless till whose POS link is on; `address()` says where.
struct Link(TillService);

impl Link {
    fn address(&self) -> SocketAddr {
        self.0.pos_link_address().expect("the link is on")
    }
}

fn link(runtime: &tokio::runtime::Runtime) -> Link {
    let mut config = Config::default();
    config.history.enabled = false;
    config.integration = Some(IntegrationConfig {
        listen: "127.0.0.1:0".into(),
        token: Some(ApiKey::new(TOKEN)),
    });
    let ready = Ready {
        config,
        origin: ConfigOrigin::Demo,
        demo: None,
        setup_mode: false,
    };
    Link(TillService::start(ready, runtime.handle().clone()).expect("the till starts"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Reads what the server sends until it closes or `wait` passes.
fn read_answer(stream: &mut TcpStream, wait: Duration) -> std::io::Result<String> {
    stream.set_read_timeout(Some(wait))?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&chunk[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

#[test]
fn a_wrong_token_is_refused_before_any_body_is_read() {
    let runtime = runtime();
    let link = link(&runtime);
    let mut stream = TcpStream::connect(link.address()).unwrap();
    // Headers announcing a large body, and then nothing: the answer must
    // not wait for a body it will never use.
    write!(
        stream,
        "POST /v1/customer HTTP/1.1\r\nHost: till\r\nAuthorization: Bearer wrong\r\n\
         Content-Type: application/json\r\nContent-Length: 250000\r\n\r\n"
    )
    .unwrap();
    let answer = read_answer(&mut stream, Duration::from_secs(4)).expect("answered at once");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

#[test]
fn an_idle_connection_is_closed_after_the_header_timeout() {
    let runtime = runtime();
    let link = link(&runtime);
    let mut stream = TcpStream::connect(link.address()).unwrap();
    let started = Instant::now();
    // Nothing sent. The till closes it (end of file) well before our own
    // read timeout, which would be an error.
    let answer = read_answer(&mut stream, HEADER_TIMEOUT * 3);
    assert!(
        answer.is_ok(),
        "the idle connection stayed open: {answer:?}"
    );
    assert!(started.elapsed() >= HEADER_TIMEOUT / 2);
}

#[test]
fn a_body_sent_too_slowly_gets_408() {
    let runtime = runtime();
    let link = link(&runtime);
    let mut stream = TcpStream::connect(link.address()).unwrap();
    write!(
        stream,
        "PUT /v1/basket HTTP/1.1\r\nHost: till\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"prod"
    )
    .unwrap();
    let answer = read_answer(&mut stream, Duration::from_secs(20)).expect("answered");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

fn status_of_get(address: SocketAddr) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET /v1/recommendations HTTP/1.1\r\nHost: till\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    read_answer(&mut stream, HEADER_TIMEOUT * 4).unwrap_or_default()
}

#[test]
fn idle_connections_cannot_use_up_the_tills_file_handles() {
    let runtime = runtime();
    let link = link(&runtime);
    let before = open_descriptors();
    let clients = 200;
    let idle: Vec<TcpStream> = (0..clients)
        .map(|_| TcpStream::connect(link.address()).unwrap())
        .collect();
    // Give the server every chance to accept them all, as it used to.
    std::thread::sleep(Duration::from_millis(500));
    let grown = open_descriptors() - before;
    assert!(
        grown <= clients + MAX_CONNECTIONS + 16,
        "{grown} descriptors for {clients} idle clients: the till accepted them all"
    );
    // The POS still gets its answer once the idle ones time out.
    let answer = status_of_get(link.address());
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer:?}");
    drop(idle);
}

/// Another local process holds hundreds of half-open connections and
/// opens new ones as they close: every request of the POS (a real socket,
/// the right token) is still answered at once, never after the flood's
/// header timeouts. Bounded: the flood runs while the POS sends 20 requests.
#[test]
fn a_flood_of_half_open_connections_cannot_starve_the_pos() {
    let runtime = runtime();
    let link = link(&runtime);
    let address = link.address();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flooding = stop.clone();
    let flooder = std::thread::spawn(move || {
        let mut open: std::collections::VecDeque<TcpStream> = Default::default();
        let mut opened = 0usize;
        while !flooding.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok(stream) = TcpStream::connect_timeout(&address, Duration::from_millis(200)) {
                open.push_back(stream);
                opened += 1;
            }
            // Hundreds held at once, more than the till lets wait; once
            // there, a new one every millisecond in place of the oldest.
            if open.len() > MAX_UNPROVEN * 2 {
                open.pop_front();
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        opened
    });
    // The flood is well under way before the POS comes.
    while open_descriptors() < MAX_UNPROVEN * 2 {
        std::thread::yield_now();
    }
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        let answer = status_of_get(address);
        slowest = slowest.max(started.elapsed());
        assert!(answer.starts_with("HTTP/1.1 404"), "{answer:?}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let opened = flooder.join().unwrap();
    assert!(opened > MAX_UNPROVEN, "the flood opened {opened}");
    // A header timeout would be 2 s: the POS never waited for one.
    assert!(
        slowest < HEADER_TIMEOUT / 2,
        "a POS request waited {slowest:?} behind the flood"
    );
}
