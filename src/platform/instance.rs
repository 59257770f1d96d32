//! One till window per user: a second launch (`pos-recs`, or `pos-recs
//! --phone …` from a POS button) hands what it was asked to the running one
//! over a per-user Unix socket (a named pipe on Windows) and exits; the running one comes to the
//! front (and looks the customer up). A socket left by a crash is found
//! dead (nobody accepts) and replaced, so it never blocks start-up.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::identify::IdentifierKind;
use crate::sync::Wake;

/// Longest request line, line break included.
pub const MAX_LINE: usize = 512;

/// How long either end waits for the other to write or read its line: a
/// peer that stalls must not hold the listener or the second launch.
const IO_TIMEOUT: Duration = Duration::from_secs(3);

/// What a second launch asks the running till.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Come to the front.
    Front,
    /// Come to the front and look this customer up.
    Customer(IdentifierKind, String),
}

impl Request {
    fn line(&self) -> String {
        match self {
            Self::Front => "front\n".into(),
            Self::Customer(kind, value) => {
                // One line: a value with a line break could inject a second request.
                let value: String = value.chars().filter(|c| !c.is_control()).collect();
                format!("{} {value}\n", kind.as_str())
            }
        }
    }

    fn parse(line: &str) -> Option<Self> {
        let line = line.trim_end_matches(['\r', '\n']);
        if line == "front" {
            return Some(Self::Front);
        }
        let (kind, value) = line.split_once(' ')?;
        let kind = IdentifierKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)?;
        Some(Self::Customer(kind, value.to_string()))
    }
}

/// The per-user socket: in the runtime dir when there is one (private to the
/// user), else beside the user's data.
pub fn socket_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("pos-recs.sock"));
    }
    directories::ProjectDirs::from("", "", "pos-recs").map(|d| d.data_dir().join("instance.sock"))
}

/// The running till's end: requests from later launches.
pub struct Instance {
    requests: mpsc::UnboundedReceiver<Request>,
    path: PathBuf,
    wake: std::sync::Arc<std::sync::Mutex<Option<Wake>>>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// What starting found.
pub enum Start {
    /// This is the only till: it listens for later launches.
    First(Instance),
    /// Another till runs and took the request.
    Handed,
    /// Another till runs and answered, but did not take the request (too
    /// long, not understood) or did not answer in time. It is alive, so
    /// its socket is left alone and no second window opens.
    Refused(String),
}

/// Reads one line of at most [`MAX_LINE`] bytes: `Ok(None)` when it is longer.
/// Never reads more than one byte past the limit.
fn read_bounded_line(stream: impl Read) -> std::io::Result<Option<String>> {
    let mut line = String::new();
    BufReader::new(stream.take(MAX_LINE as u64 + 1)).read_line(&mut line)?;
    Ok((line.len() <= MAX_LINE).then_some(line))
}

/// A second launch's side, whatever the transport: writes the request and
/// reads the running till's answer.
#[cfg(any(unix, windows))]
fn hand_over(stream: &mut (impl Read + Write), request: &Request) -> Start {
    let answer = stream
        .write_all(request.line().as_bytes())
        .and_then(|()| read_bounded_line(&mut *stream));
    match answer {
        Ok(Some(answer)) if answer.trim() == "ok" => Start::Handed,
        Ok(Some(answer)) if !answer.trim().is_empty() => Start::Refused(format!(
            "the running till refused the request: {}",
            answer.trim()
        )),
        Ok(_) => Start::Refused("the running till refused the request".into()),
        Err(e) => Start::Refused(format!("the running till does not answer ({e})")),
    }
}

/// The running till's side of one connection, whatever the transport:
/// reads one request, answers, passes it on and wakes the window. False
/// when the till is gone (stop listening).
#[cfg(any(unix, windows))]
fn take_request(
    stream: &mut (impl Read + Write),
    requests: &mpsc::UnboundedSender<Request>,
    wake: &std::sync::Mutex<Option<Wake>>,
) -> bool {
    let line = match read_bounded_line(&mut *stream) {
        Ok(Some(line)) => line,
        Ok(None) => {
            let _ = stream.write_all(b"too long\n");
            return true;
        }
        Err(_) => return true,
    };
    let Some(request) = Request::parse(&line) else {
        let _ = stream.write_all(b"bad request\n");
        return true;
    };
    if requests.send(request).is_err() {
        return false;
    }
    let _ = stream.write_all(b"ok\n");
    if let Some(wake) = wake.lock().ok().and_then(|w| w.clone()) {
        wake();
    }
    true
}

/// Hands `request` to a running till at `path`, or becomes the running
/// till. Any failure to listen leaves the till working without the guard.
#[cfg(unix)]
pub fn start(path: &Path, request: &Request) -> std::io::Result<Start> {
    use std::os::unix::net::{UnixListener, UnixStream};
    if let Ok(mut stream) = UnixStream::connect(path) {
        // Someone listens: a till runs. Whatever it answers, it is alive.
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        return Ok(hand_over(&mut stream, request));
    }
    // Nobody answers: a socket left by a crash, or none at all.
    let _ = std::fs::remove_file(path);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let listener = UnixListener::bind(path)?;
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    let (instance, (tx, waker)) = Instance::first(path, request);
    std::thread::Builder::new()
        .name("instance".into())
        .spawn(move || {
            for mut stream in listener.incoming().flatten() {
                // One client at a time, each given a few seconds at most.
                let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
                let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
                if !take_request(&mut stream, &tx, &waker) {
                    return;
                }
            }
        })?;
    Ok(Start::First(instance))
}

/// The per-user named pipe for `path` (which lies in the user's profile):
/// `\\.\pipe\pos-recs-<digest of the path>`. Pipes share one namespace
/// per machine; the digest keeps each user's apart.
#[cfg(windows)]
fn pipe_name(path: &Path) -> String {
    use blake2::{Blake2s256, Digest};
    let digest = Blake2s256::digest(path.to_string_lossy().as_bytes());
    format!("pos-recs-{}", crate::sync::hex(&digest[..8]))
}

/// Hands `request` to a running till over the user's named pipe, or
/// becomes the running till (Windows).
#[cfg(windows)]
pub fn start(path: &Path, request: &Request) -> std::io::Result<Start> {
    use interprocess::local_socket::traits::{ListenerExt as _, Stream as _};
    // (`Stream as _` brings `connect`.)
    use interprocess::local_socket::{GenericNamespaced, ListenerOptions, Stream, ToNsName};
    let name = pipe_name(path);
    if let Ok(mut stream) = Stream::connect(name.clone().to_ns_name::<GenericNamespaced>()?) {
        // Someone listens: a till runs. Whatever it answers, it is alive.
        // Named pipes have no I/O timeouts: the handover runs on a thread
        // of its own, and a till that does not answer in time is left.
        let request = request.clone();
        let (done, outcome) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(hand_over(&mut stream, &request));
        });
        return Ok(outcome
            .recv_timeout(IO_TIMEOUT * 2)
            .unwrap_or_else(|_| Start::Refused("the running till does not answer".into())));
    }
    let listener = ListenerOptions::new()
        .name(name.to_ns_name::<GenericNamespaced>()?)
        .create_sync()?;
    let (instance, (tx, waker)) = Instance::first(path, request);
    std::thread::Builder::new()
        .name("instance".into())
        .spawn(move || {
            // Without I/O timeouts on named pipes, each connection gets a
            // thread of its own: a client that stalls holds only that one.
            for mut stream in listener.incoming().flatten() {
                let (tx, waker) = (tx.clone(), waker.clone());
                let _ = std::thread::Builder::new()
                    .name("instance-client".into())
                    .spawn(move || take_request(&mut stream, &tx, &waker));
            }
        })?;
    Ok(Start::First(instance))
}

/// Without Unix sockets or named pipes every launch is a till of its own.
#[cfg(not(any(unix, windows)))]
pub fn start(_path: &Path, _request: &Request) -> std::io::Result<Start> {
    Err(std::io::Error::other(
        "one instance per user needs Unix sockets or named pipes",
    ))
}

/// Where a listener thread sends what later launches ask, and who it wakes.
#[cfg(any(unix, windows))]
type Doorway = (
    mpsc::UnboundedSender<Request>,
    std::sync::Arc<std::sync::Mutex<Option<Wake>>>,
);

impl Instance {
    /// The running till's end at `path`, its own launch's `request`
    /// first, and the way a listener thread reaches it.
    #[cfg(any(unix, windows))]
    fn first(path: &Path, request: &Request) -> (Self, Doorway) {
        let (tx, requests) = mpsc::unbounded_channel();
        let _ = tx.send(request.clone());
        let wake: std::sync::Arc<std::sync::Mutex<Option<Wake>>> = Default::default();
        let instance = Self {
            requests,
            path: path.to_path_buf(),
            wake: wake.clone(),
        };
        (instance, (tx, wake))
    }

    /// Who to wake when a request arrives (the window, once it exists).
    pub fn set_wake(&self, wake: Wake) {
        if let Ok(mut slot) = self.wake.lock() {
            *slot = Some(wake);
        }
    }

    /// The next request from a later launch (the first is this launch's own).
    pub fn next_request(&mut self) -> Option<Request> {
        self.requests.try_recv().ok()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_second_launch_hands_over_and_a_stale_socket_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pos-recs.sock");
        // A crash left the socket file behind: nobody listens on it.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let Ok(Start::First(mut first)) = start(&path, &Request::Front) else {
            panic!("the stale socket blocked start-up");
        };
        assert_eq!(first.next_request(), Some(Request::Front));
        let second = Request::Customer(IdentifierKind::Phone, "067 123\n4567".into());
        assert!(matches!(start(&path, &second), Ok(Start::Handed)));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let got = loop {
            if let Some(r) = first.next_request() {
                break r;
            }
            assert!(std::time::Instant::now() < deadline);
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert_eq!(
            got,
            Request::Customer(IdentifierKind::Phone, "067 1234567".into())
        );
    }

    /// A request over the limit is answered, not taken for a dead till: the
    /// socket stays and no second till starts.
    #[test]
    fn an_oversized_request_is_refused_and_the_running_till_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pos-recs.sock");
        let Ok(Start::First(_first)) = start(&path, &Request::Front) else {
            panic!("no first till");
        };
        let huge = Request::Customer(IdentifierKind::Card, "9".repeat(4000));
        match start(&path, &huge) {
            Ok(Start::Refused(why)) => assert!(why.contains("too long"), "{why}"),
            _ => panic!("an oversized request started a second till"),
        }
        assert!(path.exists(), "the running till's socket was deleted");
        assert!(matches!(start(&path, &Request::Front), Ok(Start::Handed)));
    }

    /// A client that connects and never writes is dropped after the
    /// timeout, and the next launch is served.
    #[test]
    fn a_stalled_client_does_not_hold_the_listener() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pos-recs.sock");
        let Ok(Start::First(_first)) = start(&path, &Request::Front) else {
            panic!("no first till");
        };
        let mut stalled = std::os::unix::net::UnixStream::connect(&path).unwrap();
        stalled.set_read_timeout(Some(IO_TIMEOUT * 4)).unwrap();
        let mut answer = Vec::new();
        // The till gives up on it and closes: end of file, not our timeout.
        let read = stalled.read_to_end(&mut answer);
        assert!(read.is_ok(), "the till kept a silent client: {read:?}");
        assert!(matches!(start(&path, &Request::Front), Ok(Start::Handed)));
    }

    /// Lines are read up to the limit plus one byte, never further.
    #[test]
    fn a_line_is_read_to_the_limit_plus_one_byte() {
        let exact = format!("{}\n", "a".repeat(MAX_LINE - 1));
        assert_eq!(
            read_bounded_line(exact.as_bytes()).unwrap(),
            Some(exact.clone())
        );
        let over = "a".repeat(10 * MAX_LINE);
        let mut source = over.as_bytes();
        assert_eq!(read_bounded_line(&mut source).unwrap(), None);
        assert_eq!(
            source.len(),
            10 * MAX_LINE - MAX_LINE - 1,
            "read past the limit"
        );
    }
}
