//! Writing the configuration: atomic, private (0600), under a lock, a
//! symlink kept a symlink, and a hand-written file's comments kept.

use std::path::{Path, PathBuf};

use super::ConfigError;
use super::schema::Config;

impl Config {
    /// Serialises to TOML. The API key is included, except one that came
    /// from the environment: then the file's own key (if any) is written.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        match &self.yespo.key_in_file {
            Some(file_key) => {
                let mut copy = self.clone();
                copy.yespo.api_key = file_key.clone();
                copy.yespo.key_in_file = None;
                toml::to_string_pretty(&copy)
            }
            None => toml::to_string_pretty(self),
        }
    }

    /// Writes the file atomically (temp file + rename in the same folder),
    /// with permissions 0600 on Unix.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        self.write_locked(path, |fresh, _old| fresh)
    }

    /// Saves like [`Config::save`], but when the file exists, keeps what a
    /// person wrote there: comments, key order and formatting of the
    /// `[yespo]`, `[display]` and `[manager]` keys survive; only changed
    /// values are replaced. `[[sources]]` is rewritten as a whole (its
    /// comments are lost), because sources are added, removed and reordered.
    pub fn save_preserving(&self, path: &Path) -> Result<(), ConfigError> {
        self.write_locked(path, |fresh, old| {
            old.and_then(|old| merge_toml(&old, &fresh))
                .unwrap_or(fresh)
        })
    }

    /// Serialises, then — under the file's lock, so a save that started
    /// later works on what the earlier one wrote — reads what is there,
    /// lets `text` decide the new text from the fresh TOML and the old file,
    /// and writes it atomically.
    fn write_locked(
        &self,
        path: &Path,
        text: impl FnOnce(String, Option<String>) -> String,
    ) -> Result<(), ConfigError> {
        let fresh = self.to_toml().map_err(|source| ConfigError::Serialise {
            path: path.to_path_buf(),
            source,
        })?;
        let write_error = |source| ConfigError::Write {
            path: path.to_path_buf(),
            source,
        };
        let _lock = SaveLock::take(path).map_err(write_error)?;
        let old = std::fs::read_to_string(path).ok();
        write_atomically(path, text(fresh, old).as_bytes()).map_err(write_error)
    }
}

/// Puts the values of `fresh` into the document `old`, keeping `old`'s
/// comments and layout. `None` when `old` is not valid TOML.
fn merge_toml(old: &str, fresh: &str) -> Option<String> {
    use toml_edit::{DocumentMut, Item};
    let mut doc: DocumentMut = old.parse().ok()?;
    let new: DocumentMut = fresh.parse().ok()?;
    for section in [
        "yespo",
        "display",
        "manager",
        "network",
        "integration",
        "history",
        "orders",
    ] {
        let Some(new_table) = new.get(section).and_then(Item::as_table) else {
            doc.remove(section);
            continue;
        };
        let table = doc
            .entry(section)
            .or_insert(toml_edit::table())
            .as_table_mut()?;
        let stale: Vec<String> = table
            .iter()
            .map(|(k, _)| k.to_string())
            .filter(|k| !new_table.contains_key(k))
            .collect();
        for key in stale {
            table.remove(&key);
        }
        for (key, item) in new_table.iter() {
            match (table.get_mut(key), item.as_value()) {
                (Some(Item::Value(old_value)), Some(new_value)) => {
                    // Same value: leave the text exactly as written.
                    if old_value.to_string().trim() != new_value.to_string().trim() {
                        let decor = old_value.decor().clone();
                        *old_value = new_value.clone();
                        *old_value.decor_mut() = decor;
                    }
                }
                _ => {
                    table.insert(key, item.clone());
                }
            }
        }
    }
    match new.get("sources") {
        Some(sources) => doc["sources"] = sources.clone(),
        None => {
            doc.remove("sources");
        }
    }
    Some(doc.to_string())
}

/// Writes `bytes` to `path` via a temp file in the same folder, fsync and
/// rename, so a crash never leaves a half-written file. 0600 on Unix, or
/// 0640 where the old file was group-readable (its group kept).
///
/// A symlinked file stays a symlink: its target is written. The folder is
/// synced after the rename so the new name survives a power cut.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let path = resolve_symlinks(path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
    crate::platform::keep_access(&path, tmp.as_file())?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&path).map_err(|e| e.error)?;
    crate::platform::sync_dir(&dir)
}

/// True when [`write_atomically`] could write `path` as this user: its
/// folder (or the nearest one that exists, which would hold the new
/// folders) takes a new file. Tried for real rather than judged from
/// permission bits, so root, ACLs and read-only mounts all answer truly.
pub fn can_write(path: &Path) -> bool {
    let Ok(path) = resolve_symlinks(path) else {
        return false;
    };
    let mut dir = path.parent().map(Path::to_path_buf);
    while let Some(candidate) = dir {
        if candidate.as_os_str().is_empty() {
            return tempfile::tempfile_in(".").is_ok();
        }
        if candidate.is_dir() {
            return tempfile::NamedTempFile::new_in(&candidate).is_ok();
        }
        dir = candidate.parent().map(Path::to_path_buf);
    }
    false
}

/// Follows a chain of symlinks (at most 16) to the file they name; the
/// file itself need not exist yet.
fn resolve_symlinks(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..16 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// Holds an exclusive lock on `<config>.lock` while a save reads, merges
/// and writes, so two saves (two windows, or the window and a script) never
/// lose each other's update.
pub(crate) struct SaveLock(#[allow(dead_code)] std::fs::File);

impl SaveLock {
    pub(crate) fn take(config: &Path) -> std::io::Result<Self> {
        let config = resolve_symlinks(config)?;
        let mut name = config.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let path = config.with_file_name(name);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok(Self(file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn can_write_answers_by_trying() {
        let dir = tempfile::tempdir().unwrap();
        assert!(can_write(&dir.path().join("config.toml")));
        // Folders still to be made: the nearest existing one decides.
        assert!(can_write(&dir.path().join("a/b/config.toml")));
        // Nobody, root included, makes files under /proc.
        assert!(!can_write(Path::new("/proc/pos-recs/config.toml")));
    }
}
