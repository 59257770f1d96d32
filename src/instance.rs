//! One till window per user: a second launch (`pos-recs`, or `pos-recs
//! --phone …` from a POS button) hands what it was asked to the running one
//! over a per-user Unix socket and exits; the running one comes to the
//! front (and looks the customer up). A socket left by a crash is found
//! dead (nobody accepts) and replaced, so it never blocks start-up.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use tokio::sync::mpsc;

use crate::identify::IdentifierKind;
use crate::lookup::Wake;

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
}

/// Hands `request` to a running till at `path`, or becomes the running
/// till. Any failure to listen leaves the till working without the guard.
#[cfg(unix)]
pub fn start(path: &Path, request: &Request) -> std::io::Result<Start> {
    use std::os::unix::net::{UnixListener, UnixStream};
    if let Ok(mut stream) = UnixStream::connect(path) {
        stream.write_all(request.line().as_bytes())?;
        let mut answer = String::new();
        BufReader::new(stream).read_line(&mut answer)?;
        if answer.trim() == "ok" {
            return Ok(Start::Handed);
        }
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
    let (tx, requests) = mpsc::unbounded_channel();
    let first = request.clone();
    let _ = tx.send(first);
    let wake: std::sync::Arc<std::sync::Mutex<Option<Wake>>> = Default::default();
    let waker = wake.clone();
    std::thread::Builder::new()
        .name("instance".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() || line.len() > 512 {
                    continue;
                }
                let Some(request) = Request::parse(&line) else {
                    let _ = (&stream).write_all(b"bad request\n");
                    continue;
                };
                if tx.send(request).is_err() {
                    return;
                }
                let _ = (&stream).write_all(b"ok\n");
                if let Some(wake) = waker.lock().ok().and_then(|w| w.clone()) {
                    wake();
                }
            }
        })?;
    Ok(Start::First(Instance {
        requests,
        path: path.to_path_buf(),
        wake,
    }))
}

/// Without Unix sockets every launch is a till of its own.
#[cfg(not(unix))]
pub fn start(_path: &Path, _request: &Request) -> std::io::Result<Start> {
    Err(std::io::Error::other(
        "one instance per user needs Unix sockets",
    ))
}

impl Instance {
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
}
