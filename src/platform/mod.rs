//! What differs between the operating systems a till runs on, in one place:
//! private files and folders. The rest of the code asks here instead of
//! carrying `#[cfg]` of its own.

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
