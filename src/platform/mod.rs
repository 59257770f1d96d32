//! What differs between the operating systems a till runs on, in one place:
//! private files and folders, the machine-wide configuration's place, the
//! listening socket, how a service is told to stop, and starting with the
//! session, who may read a file, the local clock's zone. The rest of the
//! code asks here instead of carrying `#[cfg]` of its own.

pub mod instance;
pub mod rasteriser;

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

/// Opens a new file only its owner may read (0600 on Unix; on Windows the
/// profile folder it is created in is the user's already).
pub fn create_private(options: &mut std::fs::OpenOptions) -> &mut std::fs::OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
    options
}

/// Opens for reading without following a symlink at the last step, and
/// without waiting on a FIFO (Unix; on Windows, reparse points in the
/// till's own cache folder are not a concern).
pub fn read_no_follow(options: &mut std::fs::OpenOptions) -> &mut std::fs::OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, libc::O_NOFOLLOW | libc::O_NONBLOCK);
    options
}

/// fsync of a folder, so a rename in it is durable (Unix; NTFS makes a
/// rename durable by itself).
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Gives `new`, the fresh copy of the config at `path`, the old file's
/// access: 0600, or 0640 when the old file was group-readable and the new
/// one could be given the same group (the machine-wide config belongs to
/// the `pos-recs` group, so that the till's users can read what
/// `sudo pos-recs --setup` wrote). Never readable by all. On Windows the
/// new file takes its folder's ACL, which IT sets once (README).
pub fn keep_access(path: &Path, new: &std::fs::File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let mode = match std::fs::metadata(path) {
            Ok(old) if old.permissions().mode() & 0o040 != 0 => {
                let same_group = new.metadata().is_ok_and(|m| m.gid() == old.gid())
                    || std::os::unix::fs::fchown(new, None, Some(old.gid())).is_ok();
                if same_group { 0o640 } else { 0o600 }
            }
            _ => 0o600,
        };
        new.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, new);
    Ok(())
}

/// True when every user of the machine may read the file. Unix: the
/// "others" bits (group read is allowed: the package gives the
/// machine-wide file to the `pos-recs` group, mode 0640). Windows: an
/// access-allowed entry in its ACL that lets Everyone, Authenticated Users
/// or the built-in Users group read it (or no ACL at all).
pub fn readable_by_others(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o007 != 0)
    }
    #[cfg(windows)]
    {
        windows_acl::readable_by_everyone(path)
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = path;
        false
    }
}

/// The command that makes the config at `path` readable only by the
/// administrators and the till's users: the `pos-recs` group (which the
/// .deb makes; on Windows, a local group IT makes of the cashiers'
/// accounts, see the README).
pub fn make_private_command(path: &Path) -> String {
    if cfg!(windows) {
        format!(
            "icacls \"{}\" /inheritance:r /grant:r *S-1-5-32-544:F *S-1-5-18:F pos-recs:R",
            path.display()
        )
    } else {
        format!("chmod 640 {}", path.display())
    }
}

/// CPU time (user + system, all threads) this process has used so far
/// (zero where it cannot be read). For measurements.
pub fn process_cpu_time() -> std::time::Duration {
    #[cfg(unix)]
    {
        // SAFETY: getrusage only writes into the struct we pass.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0 {
            let time = |t: libc::timeval| {
                std::time::Duration::from_secs(t.tv_sec as u64)
                    + std::time::Duration::from_micros(t.tv_usec as u64)
            };
            return time(usage.ru_utime) + time(usage.ru_stime);
        }
    }
    std::time::Duration::ZERO
}

#[cfg(windows)]
mod windows_acl {
    use std::os::windows::ffi::OsStrExt;
    use std::path::Path;

    use windows_sys::Win32::Foundation::{ERROR_SUCCESS, GENERIC_ALL, GENERIC_READ, LocalFree};
    use windows_sys::Win32::Security::Authorization::{GetNamedSecurityInfoW, SE_FILE_OBJECT};
    use windows_sys::Win32::Security::{
        ACCESS_ALLOWED_ACE, ACE_HEADER, ACL, DACL_SECURITY_INFORMATION, GetAce, IsWellKnownSid,
        PSECURITY_DESCRIPTOR, WinAuthenticatedUserSid, WinBuiltinUsersSid, WinWorldSid,
    };
    use windows_sys::Win32::Storage::FileSystem::FILE_READ_DATA;

    const ACCESS_ALLOWED_ACE_TYPE: u8 = 0;
    /// An entry only inherited by what the folder holds, not its own.
    const INHERIT_ONLY_ACE: u8 = 0x08;

    /// Whether the file's DACL lets Everyone, Authenticated Users or Users
    /// read it. A file whose ACL cannot be read counts as private (the
    /// check then says nothing rather than something false).
    pub(super) fn readable_by_everyone(path: &Path) -> bool {
        let wide: Vec<u16> = path.as_os_str().encode_wide().chain(Some(0)).collect();
        let mut dacl: *mut ACL = std::ptr::null_mut();
        let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: the name is NUL-terminated; the out-pointers live on this
        // frame; the descriptor is freed below with LocalFree as documented.
        let status = unsafe {
            GetNamedSecurityInfoW(
                wide.as_ptr(),
                SE_FILE_OBJECT,
                DACL_SECURITY_INFORMATION,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &mut dacl,
                std::ptr::null_mut(),
                &mut descriptor,
            )
        };
        if status != ERROR_SUCCESS {
            return false;
        }
        // A NULL DACL grants everyone everything.
        let open = dacl.is_null() || {
            // SAFETY: `dacl` points into `descriptor`, alive until LocalFree.
            let count = unsafe { (*dacl).AceCount };
            (0..u32::from(count)).any(|index| {
                let mut ace: *mut core::ffi::c_void = std::ptr::null_mut();
                // SAFETY: index < AceCount; GetAce points `ace` into the DACL.
                if unsafe { GetAce(dacl, index, &mut ace) } == 0 || ace.is_null() {
                    return false;
                }
                // SAFETY: every ACE starts with its header.
                let header = unsafe { &*(ace as *const ACE_HEADER) };
                if header.AceType != ACCESS_ALLOWED_ACE_TYPE
                    || header.AceFlags & INHERIT_ONLY_ACE != 0
                {
                    return false;
                }
                // SAFETY: an access-allowed ACE has this layout; its SID
                // starts at SidStart.
                let allowed = unsafe { &*(ace as *const ACCESS_ALLOWED_ACE) };
                let reads = allowed.Mask & (FILE_READ_DATA | GENERIC_READ | GENERIC_ALL) != 0;
                let sid = std::ptr::addr_of!(allowed.SidStart) as *mut core::ffi::c_void;
                reads
                    && [WinWorldSid, WinAuthenticatedUserSid, WinBuiltinUsersSid]
                        .into_iter()
                        // SAFETY: `sid` is the ACE's own SID.
                        .any(|kind| unsafe { IsWellKnownSid(sid, kind) } != 0)
            })
        };
        // SAFETY: allocated by GetNamedSecurityInfoW for us to free.
        unsafe { LocalFree(descriptor) };
        open
    }
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
