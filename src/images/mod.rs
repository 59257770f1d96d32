//! Product pictures: fetched with the shared HTTP client, decoded and
//! downscaled on blocking worker threads (never the UI thread, never the
//! async executor's core threads), kept in a bounded cache.
//!
//! The UI asks [`ImageLoader::get`] every frame; the first ask starts the
//! download, later asks see `Loading`, then `Ready` or `Failed`. The same URL
//! asked by several cards is downloaded once.

use std::collections::{HashMap, VecDeque};
use std::io::Cursor;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use image::{ImageReader, Limits};

use tokio::task::AbortHandle;

use crate::lookup::Wake;

pub mod disk;
pub use disk::DiskCache;

/// Largest picture body accepted.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// Largest decoded dimensions accepted (guards against decompression bombs).
pub const MAX_DIMENSION: u32 = 8192;
/// Pictures are downscaled to fit this box (twice the card's 4:3 image box, for HiDPI).
pub const THUMB_SIZE: (u32, u32) = (400, 300);
/// Default cap on decoded pixels kept in memory.
pub const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

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
    Failed(String),
}

struct Cache {
    entries: HashMap<String, ImageStatus>,
    /// Insertion order of ready pictures, oldest first, for eviction.
    order: VecDeque<String>,
    bytes: usize,
    max_bytes: usize,
}

impl Cache {
    fn insert(&mut self, url: String, status: ImageStatus) {
        if let ImageStatus::Ready(p) = &status {
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
        self.entries.insert(url, status);
    }
}

/// Loads pictures in the background. Cheap to clone.
#[derive(Clone)]
pub struct ImageLoader {
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
    cache: Arc<Mutex<Cache>>,
    disk: Option<DiskCache>,
    /// Downloads in flight, so a new customer's lookup can cancel the old ones.
    in_flight: Arc<Mutex<HashMap<String, AbortHandle>>>,
    wake: Option<Wake>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
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
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap_or_default();
        Self {
            http,
            runtime,
            cache: Arc::new(Mutex::new(Cache {
                entries: HashMap::new(),
                order: VecDeque::new(),
                bytes: 0,
                max_bytes,
            })),
            disk,
            in_flight: Arc::default(),
            wake,
        }
    }

    /// The picture's status; starts loading it on first ask. Several cards
    /// asking for one URL share one download.
    pub fn get(&self, url: &str) -> ImageStatus {
        let mut cache = lock(&self.cache);
        if let Some(status) = cache.entries.get(url) {
            return status.clone();
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
    async fn load(&self, url: &str) -> Result<Picture, String> {
        let cached = self.disk.as_ref().and_then(|d| d.get(url));
        let bytes = match cached {
            Some(entry) if entry.fresh => entry.bytes,
            stale => match self
                .download(url, stale.as_ref().and_then(|e| e.etag.clone()))
                .await
            {
                Ok(Some(bytes)) => bytes,
                Ok(None) => stale.map(|e| e.bytes).unwrap_or_default(),
                Err(why) => match stale {
                    Some(entry) => {
                        tracing::debug!("using a stale cached picture ({why})");
                        entry.bytes
                    }
                    None => return Err(why),
                },
            },
        };
        tokio::task::spawn_blocking(move || decode_thumbnail(&bytes))
            .await
            .map_err(|_| "decoder crashed".to_string())?
    }

    /// The picture's bytes, or `None` for `304 Not Modified`.
    async fn download(&self, url: &str, etag: Option<String>) -> Result<Option<Vec<u8>>, String> {
        let mut request = self.http.get(url);
        if let Some(etag) = &etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        let response = request
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let max_age = disk::max_age(header(reqwest::header::CACHE_CONTROL).as_deref());
        let new_etag = header(reqwest::header::ETAG);
        if response.status() == reqwest::StatusCode::NOT_MODIFIED {
            if let Some(d) = &self.disk {
                d.refresh(url, max_age, new_etag.as_deref().or(etag.as_deref()));
            }
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status().as_u16()));
        }
        let body = crate::yespo::read_body(response, MAX_IMAGE_BYTES)
            .await
            .map_err(|e| match e {
                crate::yespo::BodyError::TooLarge => "picture too large".to_string(),
                crate::yespo::BodyError::Transfer(e) => e.without_url().to_string(),
            })?;
        if let Some(d) = &self.disk {
            let (d, url, bytes) = (d.clone(), url.to_string(), body.clone());
            let etag = new_etag.clone();
            // File writes are blocking work too.
            let _ =
                tokio::task::spawn_blocking(move || d.put(&url, &bytes, max_age, etag.as_deref()))
                    .await;
        }
        Ok(Some(body))
    }
}

/// Decodes with size limits and downscales to [`THUMB_SIZE`]. Corrupt,
/// unsupported or oversized pictures give an error, never a panic.
pub fn decode_thumbnail(bytes: &[u8]) -> Result<Picture, String> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(128 * 1024 * 1024);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| e.to_string())?;
    // Small pictures stay as they are: upscaling only costs memory.
    let fits = image.width() <= THUMB_SIZE.0 && image.height() <= THUMB_SIZE.1;
    let thumb = if fits {
        image.to_rgba8()
    } else {
        image.thumbnail(THUMB_SIZE.0, THUMB_SIZE.1).to_rgba8()
    };
    Ok(Picture {
        width: thumb.width(),
        height: thumb.height(),
        rgba: thumb.into_raw(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let err = decode_thumbnail(&bomb).unwrap_err();
        assert!(
            err.to_lowercase().contains("limit") || err.contains("dimension"),
            "{err}"
        );
    }

    #[test]
    fn cache_evicts_oldest_pictures_beyond_its_budget() {
        let mut cache = Cache {
            entries: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
            max_bytes: 1000,
        };
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
}
