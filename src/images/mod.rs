//! Product pictures: fetched with the shared HTTP client, decoded and
//! downscaled on blocking worker threads (never the UI thread, never the
//! async executor's core threads), kept in a bounded cache.
//!
//! The UI asks [`ImageLoader::get`] every frame; the first ask starts the
//! download, later asks see `Loading`, then `Ready` or `Failed`. The same URL
//! asked by several cards is downloaded once.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::AbortHandle;

use crate::net::{LazyClient, NetworkConfig};
use crate::sync::Wake;
use crate::sync::lock;

mod decode;
pub mod disk;
pub use decode::{dct_reduction, decode_thumbnail, decode_thumbnail_generic, fitted};
pub use disk::DiskCache;

/// Largest picture body accepted.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// Largest decoded dimensions accepted (guards against decompression bombs).
pub const MAX_DIMENSION: u32 = 8192;
/// Pictures are downscaled to fit this box (twice the card's 4:3 image box, for HiDPI).
pub const THUMB_SIZE: (u32, u32) = (400, 300);
/// Default cap on decoded pixels kept in memory.
pub const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Why a picture cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PictureError {
    /// The server answered with an error status.
    #[error("HTTP {0}")]
    Http(u16),
    /// Larger than [`MAX_IMAGE_BYTES`].
    #[error("picture too large")]
    TooLarge,
    /// The download failed (connection, timeout, refused redirect).
    #[error("cannot download: {0}")]
    Download(String),
    /// Not a picture we can decode, cut off, or over the size limits.
    #[error("cannot decode: {0}")]
    Decode(String),
    /// The server said "not modified" but no copy was kept.
    #[error("304 without a cached copy")]
    NotCached,
    /// The decoding worker stopped (a bug, or shutting down).
    #[error("decoder stopped")]
    DecoderStopped,
}

/// Decoded RGBA pixels ready for a texture.
#[derive(Debug)]
pub struct Picture {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// RGBA8, row-major.
    pub rgba: Vec<u8>,
}

/// Where a picture is.
#[derive(Debug, Clone)]
pub enum ImageStatus {
    /// Download or decoding under way.
    Loading,
    /// Ready to show.
    Ready(Arc<Picture>),
    /// Missing, broken or too large; the reason is logged, the card shows a neutral picture.
    Failed(PictureError),
}

struct Cache {
    entries: HashMap<String, ImageStatus>,
    /// Insertion order of ready pictures, oldest first, for eviction.
    order: VecDeque<String>,
    bytes: usize,
    max_bytes: usize,
    /// Failed pictures: when they may be asked again, and how often they failed.
    failures: HashMap<String, (Instant, u32)>,
}

impl Cache {
    fn new(max_bytes: usize) -> Self {
        Self {
            entries: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
            max_bytes,
            failures: HashMap::new(),
        }
    }

    fn insert(&mut self, url: String, status: ImageStatus) {
        match &status {
            ImageStatus::Ready(p) => {
                self.failures.remove(&url);
                self.bytes += p.rgba.len();
                self.order.push_back(url.clone());
                while self.bytes > self.max_bytes {
                    let Some(old) = self.order.pop_front() else {
                        break;
                    };
                    if let Some(ImageStatus::Ready(p)) = self.entries.remove(&old) {
                        self.bytes -= p.rgba.len();
                    }
                }
            }
            ImageStatus::Failed(_) => {
                let attempts = self.failures.get(&url).map_or(1, |(_, n)| n + 1);
                self.failures.insert(
                    url.clone(),
                    (Instant::now() + retry_delay(attempts), attempts),
                );
            }
            ImageStatus::Loading => {}
        }
        self.entries.insert(url, status);
    }

    /// Forgets failures whose wait is over (all of them with `all`), so the
    /// next ask downloads again.
    fn forget_failures(&mut self, all: bool) {
        let now = Instant::now();
        let due: Vec<String> = self
            .failures
            .iter()
            .filter(|(_, (retry_at, _))| all || *retry_at <= now)
            .map(|(url, _)| url.clone())
            .collect();
        for url in due {
            if matches!(self.entries.get(&url), Some(ImageStatus::Failed(_))) {
                self.entries.remove(&url);
            }
        }
    }
}

/// Wait before a failed picture is asked again while the same customer is
/// on screen: 30 s, doubling, at most 10 minutes (a new customer asks at once).
/// Not shorter: each retry redraws a screen that should be at rest.
fn retry_delay(attempts: u32) -> Duration {
    let secs = 30u64.saturating_mul(1u64 << attempts.saturating_sub(1).min(6));
    Duration::from_secs(secs.min(600))
}

/// Loads pictures in the background. Cheap to clone.
#[derive(Clone)]
pub struct ImageLoader {
    /// Made at the first download, not when the window starts.
    http: LazyClient,
    runtime: tokio::runtime::Handle,
    cache: Arc<Mutex<Cache>>,
    disk: Option<DiskCache>,
    /// Downloads in flight, so a new customer's lookup can cancel the old ones.
    in_flight: Arc<Mutex<HashMap<String, AbortHandle>>>,
    /// Bounds decodes running at once (each may take up to 128 MiB).
    decoders: Arc<Semaphore>,
    /// Pictures already fetched ahead for offline use in this run.
    prefetched: Arc<Mutex<HashSet<String>>>,
    /// One prefetch download at a time: they never crowd the pictures on screen.
    prefetching: Arc<Semaphore>,
    /// Prefetches not finished yet.
    ahead: Arc<AtomicUsize>,
    wake: Option<Wake>,
}

/// Pictures remembered as fetched ahead before the set starts over.
const PREFETCH_REMEMBERED: usize = 4096;

/// The HTTP client for pictures: the project's proxy policy, a few redirect
/// hops at most, none to plain http elsewhere.
fn picture_client(network: &NetworkConfig) -> LazyClient {
    let network = network.clone();
    LazyClient::new(move || {
        crate::net::client_builder(&network)
            .connect_timeout(crate::net::CONNECT_TIMEOUT)
            .timeout(Duration::from_secs(15))
            .redirect(crate::net::picture_redirects())
    })
}

impl ImageLoader {
    /// A loader spawning onto `runtime`; `wake` is called when a picture is
    /// ready; `disk` keeps downloaded pictures across runs.
    pub fn new(
        runtime: tokio::runtime::Handle,
        wake: Option<Wake>,
        max_bytes: usize,
        disk: Option<DiskCache>,
    ) -> Self {
        // One core is left to the window: on a 2-core till, two decodes at
        // once took the UI thread's core in the very frames the cashier
        // reads the first cards (the worst frame went from 6 to 10 ms).
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let decoders = cores.saturating_sub(1).max(1);
        Self {
            http: picture_client(&NetworkConfig::default()),
            runtime,
            cache: Arc::new(Mutex::new(Cache::new(max_bytes))),
            disk,
            in_flight: Arc::default(),
            decoders: Arc::new(Semaphore::new(decoders)),
            prefetched: Arc::default(),
            prefetching: Arc::new(Semaphore::new(1)),
            ahead: Arc::default(),
            wake,
        }
    }

    /// Fetches pictures ahead into the disk cache, for cards that may be
    /// shown while the till is offline (the shared sources' kept answers:
    /// the cashier may never have scrolled to them online). Nothing is
    /// decoded into memory and nothing on screen waits for them: one
    /// download at a time, a URL once per run, and not at all without a
    /// disk cache. A body is kept only when it looks like a picture within
    /// the size limits.
    pub fn prefetch(&self, urls: impl IntoIterator<Item = String>) {
        let Some(disk) = self.disk.clone() else {
            return;
        };
        let urls: Vec<String> = {
            let mut done = lock(&self.prefetched);
            if done.len() > PREFETCH_REMEMBERED {
                done.clear();
            }
            let cache = lock(&self.cache);
            urls.into_iter()
                // Pictures asked for on screen go to the disk by themselves.
                .filter(|url| !cache.entries.contains_key(url))
                .filter(|url| done.insert(url.clone()))
                .collect()
        };
        for url in urls {
            let (this, disk) = (self.clone(), disk.clone());
            self.ahead.fetch_add(1, Ordering::SeqCst);
            self.runtime.spawn(async move {
                // Counted down however the task ends.
                let _done = CountDown(this.ahead.clone());
                let Ok(_turn) = this.prefetching.acquire().await else {
                    return;
                };
                if this.disk_entry(&url).await.is_some_and(|entry| entry.fresh) {
                    return;
                }
                match this.download(&url, None).await {
                    Ok(Download::Body(body))
                        if body.store && decode::looks_like_a_picture(&body.bytes) =>
                    {
                        let _ = tokio::task::spawn_blocking(move || {
                            disk.put(&url, &body.bytes, body.max_age, body.etag.as_deref());
                        })
                        .await;
                    }
                    Ok(_) => {}
                    Err(why) => tracing::debug!("picture not fetched ahead ({why})"),
                }
            });
        }
    }

    /// Uses the configured proxy policy (`[network]`).
    pub fn with_network(mut self, network: &NetworkConfig) -> Self {
        self.http = picture_client(network);
        self
    }

    /// The picture's status; starts loading it on first ask. Several cards
    /// asking for one URL share one download. A failed picture is asked
    /// again once its back-off is over.
    pub fn get(&self, url: &str) -> ImageStatus {
        let mut cache = lock(&self.cache);
        if let Some(status) = cache.entries.get(url) {
            let retry_due = matches!(status, ImageStatus::Failed(_))
                && cache
                    .failures
                    .get(url)
                    .is_some_and(|(at, _)| *at <= Instant::now());
            if !retry_due {
                return status.clone();
            }
        }
        cache.entries.insert(url.to_string(), ImageStatus::Loading);
        drop(cache);
        let this = self.clone();
        let key = url.to_string();
        let task = self.runtime.spawn(async move {
            let status = match this.load(&key).await {
                Ok(p) => ImageStatus::Ready(Arc::new(p)),
                Err(why) => {
                    tracing::info!("picture unavailable ({why})");
                    ImageStatus::Failed(why)
                }
            };
            lock(&this.in_flight).remove(&key);
            lock(&this.cache).insert(key, status);
            if let Some(wake) = &this.wake {
                wake();
            }
        });
        lock(&self.in_flight).insert(url.to_string(), task.abort_handle());
        ImageStatus::Loading
    }

    /// Cancels downloads still running (the customer they were for is gone);
    /// asking for those pictures again starts them afresh.
    pub fn cancel_pending(&self) {
        let pending: Vec<(String, AbortHandle)> = lock(&self.in_flight).drain().collect();
        let mut cache = lock(&self.cache);
        for (url, task) in pending {
            task.abort();
            if matches!(cache.entries.get(&url), Some(ImageStatus::Loading)) {
                cache.entries.remove(&url);
            }
        }
    }

    /// A new customer: old downloads are cancelled, and pictures that failed
    /// before are tried again (a 503 a minute ago says little about now).
    pub fn new_customer(&self) {
        self.cancel_pending();
        lock(&self.cache).forget_failures(true);
    }

    /// Pictures being fetched ahead ([`ImageLoader::prefetch`]).
    pub fn fetching_ahead(&self) -> usize {
        self.ahead.load(Ordering::SeqCst)
    }

    /// Downloads still running.
    pub fn pending(&self) -> usize {
        lock(&self.in_flight).len()
    }

    /// Bytes of decoded pixels held.
    pub fn cached_bytes(&self) -> usize {
        lock(&self.cache).bytes
    }

    /// Disk cache first (when fresh), then the network (conditional when a
    /// stale copy exists); a stale copy still serves when the network fails.
    /// Only bytes that decoded are written to the disk cache.
    async fn load(&self, url: &str) -> Result<Picture, PictureError> {
        let cached = self.disk_entry(url).await;
        if let Some(entry) = &cached
            && entry.fresh
        {
            return self.decode(entry.bytes.clone()).await;
        }
        let etag = cached.as_ref().and_then(|e| e.etag.clone());
        match self.download(url, etag).await {
            Ok(Download::NotModified) => match cached {
                Some(entry) => self.decode(entry.bytes).await,
                None => Err(PictureError::NotCached),
            },
            Ok(Download::Body(body)) => {
                let picture = self.decode(body.bytes.clone()).await?;
                if let Some(disk) = &self.disk
                    && body.store
                {
                    let (disk, key) = (disk.clone(), url.to_string());
                    // File writes are blocking work too.
                    let _ = tokio::task::spawn_blocking(move || {
                        disk.put(&key, &body.bytes, body.max_age, body.etag.as_deref());
                    })
                    .await;
                }
                Ok(picture)
            }
            Err(why) => match cached {
                Some(entry) => {
                    tracing::debug!("using a stale cached picture ({why})");
                    self.decode(entry.bytes).await
                }
                None => Err(why),
            },
        }
    }

    /// The disk cache's entry for `url`, read on a blocking worker; `None`
    /// without a disk cache.
    async fn disk_entry(&self, url: &str) -> Option<disk::Entry> {
        let (disk, key) = (self.disk.clone()?, url.to_string());
        tokio::task::spawn_blocking(move || disk.get(&key))
            .await
            .ok()
            .flatten()
    }

    /// Decodes on a blocking worker, at most one decode per core at once.
    async fn decode(&self, bytes: Vec<u8>) -> Result<Picture, PictureError> {
        let _permit = self
            .decoders
            .acquire()
            .await
            .map_err(|_| PictureError::DecoderStopped)?;
        tokio::task::spawn_blocking(move || decode_thumbnail(&bytes))
            .await
            .map_err(|_| PictureError::DecoderStopped)?
    }

    /// The picture's bytes and caching headers, or `NotModified` for a 304.
    async fn download(&self, url: &str, etag: Option<String>) -> Result<Download, PictureError> {
        let http = self
            .http
            .get()
            .await
            .map_err(|e| PictureError::Download(format!("no HTTP client: {e}")))?;
        let mut request = http.get(url);
        if let Some(etag) = &etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        let response = request
            .send()
            .await
            .map_err(|e| PictureError::Download(e.without_url().to_string()))?;
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let cache_control = header(reqwest::header::CACHE_CONTROL);
        let policy = disk::CachePolicy::from_header(cache_control.as_deref());
        let new_etag = header(reqwest::header::ETAG);
        if response.status() == reqwest::StatusCode::NOT_MODIFIED {
            if let Some(d) = &self.disk {
                let (d, url) = (d.clone(), url.to_string());
                let etag = new_etag.or(etag);
                let _ = tokio::task::spawn_blocking(move || {
                    d.refresh(&url, policy.max_age, etag.as_deref())
                })
                .await;
            }
            return Ok(Download::NotModified);
        }
        if !response.status().is_success() {
            return Err(PictureError::Http(response.status().as_u16()));
        }
        let bytes = crate::yespo::read_body(response, MAX_IMAGE_BYTES)
            .await
            .map_err(|e| match e {
                crate::yespo::BodyError::TooLarge => PictureError::TooLarge,
                crate::yespo::BodyError::Transfer(e) => {
                    PictureError::Download(e.without_url().to_string())
                }
            })?;
        Ok(Download::Body(Body {
            bytes,
            max_age: policy.max_age,
            store: policy.store,
            etag: new_etag,
        }))
    }
}

/// Counts a task down when it ends.
struct CountDown(Arc<AtomicUsize>);

impl Drop for CountDown {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a download brought.
enum Download {
    /// `304 Not Modified`: the cached copy is still good.
    NotModified,
    /// A new body.
    Body(Body),
}

/// A downloaded picture body and how it may be cached.
struct Body {
    bytes: Vec<u8>,
    max_age: Option<Duration>,
    /// False for `Cache-Control: no-store`.
    store: bool,
    etag: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 10, 10]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn pictures_are_downscaled_keeping_aspect() {
        let p = decode_thumbnail(&png(1600, 800)).unwrap();
        assert_eq!((p.width, p.height), (400, 200));
        assert_eq!(p.rgba.len(), 400 * 200 * 4);
    }

    #[test]
    fn small_pictures_are_not_upscaled() {
        let p = decode_thumbnail(&png(120, 90)).unwrap();
        assert_eq!((p.width, p.height), (120, 90));
    }

    #[test]
    fn corrupt_and_truncated_pictures_are_errors() {
        assert!(decode_thumbnail(b"not an image at all").is_err());
        let good = png(64, 64);
        assert!(decode_thumbnail(&good[..good.len() / 2]).is_err());
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_allocating() {
        // A 30000x30000 PNG header: tiny file, 2.7 GB if decoded.
        let bomb = crate::demo::pictures::bomb_png(30_000, 30_000);
        let err = decode_thumbnail(&bomb).unwrap_err().to_string();
        assert!(
            err.to_lowercase().contains("limit") || err.contains("dimension"),
            "{err}"
        );
    }

    #[test]
    fn cache_evicts_oldest_pictures_beyond_its_budget() {
        let mut cache = Cache::new(1000);
        let pic = |n| {
            ImageStatus::Ready(Arc::new(Picture {
                width: 1,
                height: 1,
                rgba: vec![0; n],
            }))
        };
        cache.insert("a".into(), pic(600));
        cache.insert("b".into(), pic(600));
        assert!(!cache.entries.contains_key("a"));
        assert!(cache.entries.contains_key("b"));
        assert_eq!(cache.bytes, 600);
    }

    #[test]
    fn a_failed_picture_is_asked_again_after_its_wait_or_for_a_new_customer() {
        let mut cache = Cache::new(1000);
        cache.insert("u".into(), ImageStatus::Failed(PictureError::Http(503)));
        cache.forget_failures(false);
        assert!(cache.entries.contains_key("u"), "still waiting");
        cache.forget_failures(true);
        assert!(
            !cache.entries.contains_key("u"),
            "new customer: asked again"
        );
        assert!(retry_delay(1) < retry_delay(2));
        assert_eq!(retry_delay(40), Duration::from_secs(600));
    }
}
