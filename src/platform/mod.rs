//! What differs between the operating systems a till runs on, in one place:
//! private files and folders, the machine-wide configuration's place, the
//! listening socket, how a service is told to stop, and starting with the
//! session. The rest of the code asks here instead of carrying `#[cfg]` of
//! its own (the one-instance guard's transport is in `instance`).

use std::path::Path;

/// From now on, files and folders this process creates are its user's
/// alone (umask 077 on Unix), whatever umask it was started with: the
/// history, the offline answers and their side files never become
/// readable by other users. Called first thing at start.
pub fn private_by_default() {
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file mode mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// Makes the folder at `dir` its owner's alone (0700 on Unix), creating it
/// when missing. For the till's own data and cache folders, which an older
/// version or another umask may have left open to everyone.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Makes the file at `path` its owner's alone (0600 on Unix), if it exists.
pub fn private_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// A TCP listener on `address` whose kernel queue holds `backlog`
/// connections. Needs a Tokio runtime entered. On Unix the address may be
/// taken again at once after a restart (`SO_REUSEADDR`, as std does; it
/// never lets two listeners share a port there); on Windows that option
/// would let another program take the port over, so it is left off.
pub fn listener(
    address: std::net::SocketAddr,
    backlog: u32,
) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(backlog)
}

/// The machine-wide configuration, used when the user has none: one file
/// for every cashier account of a till. `/etc/pos-recs/config.toml` on
/// Unix; `%ProgramData%\pos-recs\config.toml` on Windows (beside the
/// `config.toml.example` the MSI installs).
pub fn machine_config() -> std::path::PathBuf {
    #[cfg(windows)]
    {
        let data = std::env::var_os("ProgramData")
            .map_or_else(|| std::path::PathBuf::from(r"C:\ProgramData"), Into::into);
        data.join("pos-recs").join("config.toml")
    }
    #[cfg(not(windows))]
    {
        std::path::PathBuf::from("/etc/pos-recs/config.toml")
    }
}

/// Returns when the service is told to stop: SIGTERM (systemd's stop) or
/// Ctrl+C on Unix; Ctrl+C, Ctrl+Break or the console closing on Windows.
pub async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
                return;
            }
            Err(e) => tracing::warn!("cannot listen for SIGTERM ({e}); Ctrl+C stops the till"),
        }
    }
    #[cfg(windows)]
    {
        use tokio::signal::windows::{ctrl_break, ctrl_close};
        if let (Ok(mut brk), Ok(mut close)) = (ctrl_break(), ctrl_close()) {
            tokio::select! {
                _ = brk.recv() => {}
                _ = close.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Starts the till with the user's session, or stops doing so: an XDG
/// autostart entry on Linux, a command in the user's Startup folder on
/// Windows. Says what it did.
pub fn autostart(on: bool) -> std::io::Result<String> {
    let (file, content) = autostart_entry()?;
    if on {
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&file, content)?;
        return Ok(format!(
            "pos-recs starts with the session ({})",
            file.display()
        ));
    }
    match std::fs::remove_file(&file) {
        Ok(()) => Ok("pos-recs no longer starts with the session".into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok("pos-recs was not starting with the session".into())
        }
        Err(e) => Err(e),
    }
}

/// Where the autostart entry goes, and what it says.
fn autostart_entry() -> std::io::Result<(std::path::PathBuf, String)> {
    let dirs = directories::BaseDirs::new()
        .ok_or_else(|| std::io::Error::other("no config directory for this user"))?;
    #[cfg(windows)]
    {
        // %APPDATA%\Microsoft\Windows\Start Menu\Programs\Startup
        let startup = dirs
            .config_dir()
            .join(r"Microsoft\Windows\Start Menu\Programs\Startup");
        let exe = std::env::current_exe()?;
        let command = format!("@start \"\" \"{}\"\r\n", exe.display());
        Ok((startup.join("pos-recs.cmd"), command))
    }
    #[cfg(not(windows))]
    {
        let entry = "[Desktop Entry]\nType=Application\nName=pos-recs\nComment=The till's recommendations, started with the session\nExec=pos-recs\nIcon=pos-recs\nTerminal=false\nX-GNOME-Autostart-enabled=true\n";
        Ok((
            dirs.config_dir().join("autostart").join("pos-recs.desktop"),
            entry.to_string(),
        ))
    }
}

/// The till's own data and cache folders (under the user's profile).
pub fn own_dirs() -> Vec<std::path::PathBuf> {
    directories::ProjectDirs::from("", "", "pos-recs")
        .map(|d| vec![d.data_dir().to_path_buf(), d.cache_dir().to_path_buf()])
        .unwrap_or_default()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn folders_and_files_become_their_owner_s_alone() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = data.join("f");
        std::fs::write(&file, "x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        private_dir(&data).unwrap();
        private_file(&file).unwrap();
        private_file(&data.join("missing")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&data), mode(&file)), (0o700, 0o600));
    }
}
