//! On-disk picture cache: original bytes (pictures only, nothing about
//! customers) under the platform cache dir, so a repeat customer's cards
//! appear instantly and pictures still show when the network is down.
//!
//! Each entry is `<hash>.img` plus `<hash>.meta` (expiry and ETag). Files are
//! written to a temp file and renamed, so several tills (or processes) on
//! one machine can share the folder safely. The folder is bounded: when it
//! grows past its budget the least recently written files go.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use blake2::{Blake2s256, Digest};

use crate::sync::{lock, unix_secs};

use super::MAX_IMAGE_BYTES;

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
    /// Bytes in the folder as last counted plus what was written since;
    /// `None` until the first write counts the folder.
    used: Arc<Mutex<Option<u64>>>,
}

/// How a server lets a picture be kept (`Cache-Control`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// `max-age` (zero for `no-cache`), capped at a year.
    pub max_age: Option<Duration>,
    /// False for `no-store`: the picture must not be written to disk.
    pub store: bool,
}

impl CachePolicy {
    /// Reads a `Cache-Control` header.
    pub fn from_header(cache_control: Option<&str>) -> Self {
        let value = cache_control.unwrap_or_default().to_ascii_lowercase();
        let directives: Vec<&str> = value.split(',').map(str::trim).collect();
        Self {
            max_age: max_age(cache_control),
            store: !directives.contains(&"no-store"),
        }
    }
}

impl DiskCache {
    /// A cache in `dir` holding at most `max_bytes`.
    pub fn new(dir: PathBuf, max_bytes: u64) -> Self {
        Self {
            dir,
            max_bytes,
            used: Arc::default(),
        }
    }

    /// The platform cache dir's `pos-recs/images`, when there is one.
    pub fn default_dir() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "pos-recs").map(|d| d.cache_dir().join("images"))
    }

    fn paths(&self, url: &str) -> (PathBuf, PathBuf) {
        let digest = Blake2s256::digest(url.as_bytes());
        let name = crate::sync::hex(&digest);
        (
            self.dir.join(format!("{name}.img")),
            self.dir.join(format!("{name}.meta")),
        )
    }

    /// The cached picture for `url`, if any. Blocking: call off the executor.
    pub fn get(&self, url: &str) -> Option<Entry> {
        let (img, meta) = self.paths(url);
        let bytes = read_regular_file(&img, MAX_IMAGE_BYTES as u64)?;
        let meta = read_regular_file(&meta, 4096)
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        let mut lines = meta.lines();
        let expires: u64 = lines.next().and_then(|l| l.parse().ok()).unwrap_or(0);
        let etag = lines.next().map(str::to_string).filter(|e| !e.is_empty());
        Some(Entry {
            bytes,
            fresh: unix_secs() < expires,
            etag,
        })
    }

    /// Stores a picture with its freshness (from `Cache-Control: max-age`)
    /// and ETag. Blocking: call off the executor.
    pub fn put(&self, url: &str, bytes: &[u8], max_age: Option<Duration>, etag: Option<&str>) {
        if let Err(e) = self.try_put(url, bytes, max_age, etag) {
            tracing::debug!("picture not cached on disk: {e}");
        }
        let mut used = lock(&self.used);
        // The folder is counted once; later writes add to the count, and
        // only going over the budget makes us look at the folder again.
        let total = match *used {
            Some(n) => n.saturating_add(bytes.len() as u64 + META_BYTES),
            None => self.folder_bytes(),
        };
        *used = Some(if total > self.max_bytes {
            self.trim()
        } else {
            total
        });
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

    /// Every file in the folder: pictures, their `.meta`, and leftovers of
    /// a crash (temp files), with their time and size.
    fn files(&self) -> Vec<(SystemTime, u64, PathBuf)> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return vec![];
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let meta = std::fs::symlink_metadata(e.path()).ok()?;
                Some((meta.modified().unwrap_or(UNIX_EPOCH), meta.len(), e.path()))
            })
            .collect()
    }

    fn folder_bytes(&self) -> u64 {
        self.files().iter().map(|f| f.1).sum()
    }

    /// Deletes the oldest files until the folder is within budget; returns
    /// the bytes left.
    fn trim(&self) -> u64 {
        let mut files = self.files();
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        files.sort_by_key(|f| f.0);
        for (_, len, path) in files {
            if total <= self.max_bytes {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(len);
            }
        }
        total
    }
}

/// Rough size of a `.meta` file, for the running count.
const META_BYTES: u64 = 64;

/// Reads a regular file of at most `limit` bytes. Symlinks, folders,
/// devices and oversized files give `None`: the cache folder may be shared,
/// and nobody gets to point our reads elsewhere.
fn read_regular_file(path: &Path, limit: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    let file = crate::platform::read_no_follow(&mut options)
        .open(path)
        .ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > limit {
        return None;
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= limit).then_some(bytes)
}

fn meta_text(max_age: Option<Duration>, etag: Option<&str>) -> String {
    let age = max_age
        .unwrap_or(DEFAULT_MAX_AGE)
        .min(MAX_AGE_CAP)
        .as_secs();
    let expires = unix_secs().saturating_add(age);
    // An ETag is a quoted token; drop anything that could break the two-line format.
    let etag: String = etag
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(256)
        .collect();
    format!("{expires}\n{etag}\n")
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

/// Longest freshness we keep: a server's `max-age` of 2^64-1 is "forever",
/// which must neither overflow nor outlive a product photo shoot.
const MAX_AGE_CAP: Duration = Duration::from_secs(365 * 24 * 3600);

/// `max-age` from a `Cache-Control` header (capped at a year);
/// `no-store`/`no-cache` give zero.
pub fn max_age(cache_control: Option<&str>) -> Option<Duration> {
    let value = cache_control?.to_ascii_lowercase();
    if value.contains("no-store") || value.contains("no-cache") {
        return Some(Duration::ZERO);
    }
    value
        .split(',')
        .find_map(|part| part.trim().strip_prefix("max-age="))
        .and_then(|n| n.trim().trim_matches('"').parse::<u128>().ok())
        .map(|secs| Duration::from_secs(secs.min(MAX_AGE_CAP.as_secs() as u128) as u64))
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

    #[test]
    fn a_huge_max_age_neither_overflows_nor_lasts_forever() {
        let huge = format!("max-age={}", u64::MAX);
        assert_eq!(max_age(Some(&huge)), Some(MAX_AGE_CAP));
        let text = meta_text(Some(Duration::MAX), None);
        let expires: u64 = text.lines().next().unwrap().parse().unwrap();
        assert!(expires > unix_secs() && expires <= unix_secs() + MAX_AGE_CAP.as_secs() + 1);
    }

    #[test]
    fn no_store_is_read() {
        assert!(!CachePolicy::from_header(Some("private, no-store")).store);
        assert!(CachePolicy::from_header(Some("max-age=60")).store);
        assert!(CachePolicy::from_header(None).store);
    }

    #[test]
    fn the_budget_counts_every_file_and_leftovers_go() {
        let dir = tempfile::tempdir().unwrap();
        // A crash left a temp file and an orphaned .meta behind.
        std::fs::write(dir.path().join(".tmpABC"), vec![0u8; 3000]).unwrap();
        std::fs::write(dir.path().join("dead.meta"), vec![0u8; 100]).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        let cache = DiskCache::new(dir.path().to_path_buf(), 2500);
        cache.put("http://x/new", &[0u8; 1000], None, None);
        let total: u64 = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum();
        assert!(total <= 2500, "{total} bytes kept");
        assert!(!dir.path().join(".tmpABC").exists(), "leftover removed");
        assert!(cache.get("http://x/new").is_some());
    }

    #[cfg(unix)]
    #[test]
    fn reads_never_follow_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::new(dir.path().join("c"), 1 << 20);
        cache.put("http://x/a", b"picture", None, None);
        let (img, _) = cache.paths("http://x/a");
        let secret = dir.path().join("secret");
        std::fs::write(&secret, b"not yours").unwrap();
        std::fs::remove_file(&img).unwrap();
        std::os::unix::fs::symlink(&secret, &img).unwrap();
        assert!(cache.get("http://x/a").is_none());
    }

    #[test]
    fn oversized_files_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::new(dir.path().to_path_buf(), u64::MAX);
        let (img, _) = cache.paths("http://x/big");
        std::fs::write(&img, vec![0u8; MAX_IMAGE_BYTES + 1]).unwrap();
        assert!(cache.get("http://x/big").is_none());
    }
}
