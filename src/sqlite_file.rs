//! What the till's SQLite files (the history, the offline answers) share:
//! opening one the same way, and telling and clearing a damaged one.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

/// Opens the database at `path` in WAL mode (commits survive the process
/// being killed) and checks it: a file that is not a sound database is an
/// `SQLITE_CORRUPT` error. `before_wal` runs first (settings that must
/// come before any table exists).
pub fn open_checked(
    path: &Path,
    busy: Duration,
    before_wal: impl FnOnce(&Connection) -> rusqlite::Result<()>,
) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // The file and its side files (made with the file's mode) are the
    // user's alone, whatever the umask was when an older version made them.
    let _ = crate::platform::private_file(path);
    for side in side_files(path) {
        let _ = crate::platform::private_file(&side);
    }
    conn.busy_timeout(busy)?;
    before_wal(&conn)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some(format!("malformed: {check}")),
        ));
    }
    Ok(conn)
}

/// Removes the WAL and shared-memory files beside the database at `path`
/// (after the database itself was moved aside or removed).
pub fn remove_side_files(path: &Path) {
    for side in side_files(path) {
        let _ = std::fs::remove_file(side);
    }
}

/// The WAL and shared-memory files beside the database at `path`.
fn side_files(path: &Path) -> [std::path::PathBuf; 2] {
    ["-wal", "-shm"].map(|suffix| {
        let mut side = path.as_os_str().to_os_string();
        side.push(suffix);
        side.into()
    })
}
