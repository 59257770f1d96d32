//! On-disk picture cache: original bytes (pictures only, nothing about
//! customers) under the platform cache dir, so a repeat customer's cards
//! appear instantly and pictures still show when the network is down.
//!
//! Each entry is `<hash>.img` plus `<hash>.meta` (expiry and ETag). Files are
//! written to a temp file and renamed, so several tills (or processes) on
//! one machine can share the folder safely. The folder is bounded: when it
//! grows past its budget the least recently written files go.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use blake2::{Blake2s256, Digest};

/// Default size budget of the folder.
pub const DEFAULT_DISK_BYTES: u64 = 256 * 1024 * 1024;
/// Freshness when the server says nothing.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// A cached picture.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The picture's bytes as downloaded.
    pub bytes: Vec<u8>,
    /// Still fresh: no need to ask the server.
    pub fresh: bool,
    /// The server's ETag, for a conditional request when stale.
    pub etag: Option<String>,
}

/// The cache folder.
#[derive(Debug, Clone)]
pub struct DiskCache {
    dir: PathBuf,
    max_bytes: u64,
}

impl DiskCache {
    /// A cache in `dir` holding at most `max_bytes`.
    pub fn new(dir: PathBuf, max_bytes: u64) -> Self {
        Self { dir, max_bytes }
    }

    /// The platform cache dir's `pos-recs/images`, when there is one.
    pub fn default_dir() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "pos-recs").map(|d| d.cache_dir().join("images"))
    }

    fn paths(&self, url: &str) -> (PathBuf, PathBuf) {
        let digest = Blake2s256::digest(url.as_bytes());
        let name: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        (
            self.dir.join(format!("{name}.img")),
            self.dir.join(format!("{name}.meta")),
        )
    }

    /// The cached picture for `url`, if any.
    pub fn get(&self, url: &str) -> Option<Entry> {
        let (img, meta) = self.paths(url);
        let bytes = std::fs::read(img).ok()?;
        let meta = std::fs::read_to_string(meta).unwrap_or_default();
        let mut lines = meta.lines();
        let expires: u64 = lines.next().and_then(|l| l.parse().ok()).unwrap_or(0);
        let etag = lines.next().map(str::to_string).filter(|e| !e.is_empty());
        Some(Entry {
            bytes,
            fresh: now_secs() < expires,
            etag,
        })
    }

    /// Stores a picture with its freshness (from `Cache-Control: max-age`) and ETag.
    pub fn put(&self, url: &str, bytes: &[u8], max_age: Option<Duration>, etag: Option<&str>) {
        if let Err(e) = self.try_put(url, bytes, max_age, etag) {
            tracing::debug!("picture not cached on disk: {e}");
        }
        self.trim();
    }

    /// Marks a cached picture fresh again (after a `304 Not Modified`).
    pub fn refresh(&self, url: &str, max_age: Option<Duration>, etag: Option<&str>) {
        let (_, meta) = self.paths(url);
        let _ = write_file(&meta, meta_text(max_age, etag).as_bytes());
    }

    fn try_put(
        &self,
        url: &str,
        bytes: &[u8],
        max_age: Option<Duration>,
        etag: Option<&str>,
    ) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let (img, meta) = self.paths(url);
        write_file(&img, bytes)?;
        write_file(&meta, meta_text(max_age, etag).as_bytes())
    }

    /// Deletes the oldest pictures while the folder is over budget.
    fn trim(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut files: Vec<(SystemTime, u64, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "img"))
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                Some((meta.modified().unwrap_or(UNIX_EPOCH), meta.len(), e.path()))
            })
            .collect();
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        if total <= self.max_bytes {
            return;
        }
        files.sort_by_key(|f| f.0);
        for (_, len, path) in files {
            if total <= self.max_bytes {
                break;
            }
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::remove_file(path.with_extension("meta"));
            total = total.saturating_sub(len);
        }
    }
}

fn meta_text(max_age: Option<Duration>, etag: Option<&str>) -> String {
    let expires = now_secs() + max_age.unwrap_or(DEFAULT_MAX_AGE).as_secs();
    // An ETag is a quoted token; drop anything that could break the two-line format.
    let etag: String = etag
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    format!("{expires}\n{etag}\n")
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Temp file in the same folder + rename: readers never see half a file.
fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `max-age` from a `Cache-Control` header; `no-store`/`no-cache` give zero.
pub fn max_age(cache_control: Option<&str>) -> Option<Duration> {
    let value = cache_control?.to_ascii_lowercase();
    if value.contains("no-store") || value.contains("no-cache") {
        return Some(Duration::ZERO);
    }
    value
        .split(',')
        .find_map(|part| part.trim().strip_prefix("max-age="))
        .and_then(|n| n.trim().parse().ok())
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_reads_and_expires() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::new(dir.path().join("img"), 1024 * 1024);
        assert!(cache.get("http://x/a.png").is_none());
        cache.put("http://x/a.png", b"abc", None, Some("\"v1\""));
        let e = cache.get("http://x/a.png").unwrap();
        assert_eq!(e.bytes, b"abc");
        assert!(e.fresh);
        assert_eq!(e.etag.as_deref(), Some("\"v1\""));
        cache.put("http://x/b.png", b"b", Some(Duration::ZERO), None);
        assert!(!cache.get("http://x/b.png").unwrap().fresh);
        cache.refresh("http://x/b.png", Some(Duration::from_secs(60)), None);
        assert!(cache.get("http://x/b.png").unwrap().fresh);
    }

    #[test]
    fn stays_within_its_budget() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::new(dir.path().to_path_buf(), 2500);
        for i in 0..5 {
            cache.put(&format!("http://x/{i}"), &[0u8; 1000], None, None);
            std::thread::sleep(Duration::from_millis(5));
        }
        let kept: u64 = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "img"))
            .map(|e| e.metadata().unwrap().len())
            .sum();
        assert!(kept <= 2500, "{kept} bytes kept");
        assert!(cache.get("http://x/4").is_some(), "newest kept");
        assert!(cache.get("http://x/0").is_none(), "oldest dropped");
    }

    #[test]
    fn cache_control_is_read() {
        assert_eq!(
            max_age(Some("public, max-age=600")),
            Some(Duration::from_secs(600))
        );
        assert_eq!(max_age(Some("no-store")), Some(Duration::ZERO));
        assert_eq!(max_age(None), None);
    }
}
