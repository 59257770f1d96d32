//! The picture pipeline against the demo server: broken pictures, sharing
//! one download, cancelling, and the disk cache.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use pos_recs::demo::{DemoOptions, DemoServer};
use pos_recs::images::{DiskCache, ImageLoader, ImageStatus};

fn wait_settled(loader: &ImageLoader, url: &str) -> ImageStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match loader.get(url) {
            ImageStatus::Loading => {
                assert!(Instant::now() < deadline, "picture never settled");
                std::thread::sleep(Duration::from_millis(5));
            }
            done => return done,
        }
    }
}

fn setup(options: DemoOptions) -> (tokio::runtime::Runtime, DemoServer) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(DemoServer::start(options)).unwrap();
    (rt, server)
}

#[test]
fn broken_pictures_fail_cleanly_and_good_ones_load() {
    let (rt, server) = setup(DemoOptions::default());
    let loader = ImageLoader::new(rt.handle().clone(), None, 64 << 20, None);
    let base = server.base_url();
    for bad in ["corrupt.png", "bomb.png", "missing.png"] {
        let status = wait_settled(&loader, &format!("{base}/images/{bad}"));
        assert!(
            matches!(status, ImageStatus::Failed(_)),
            "{bad}: {status:?}"
        );
    }
    match wait_settled(&loader, &format!("{base}/images/SKU-1001.png")) {
        ImageStatus::Ready(p) => assert_eq!((p.width, p.height), (320, 240)),
        other => panic!("good picture: {other:?}"),
    }
}

#[test]
fn many_cards_asking_for_one_picture_share_one_download() {
    let (rt, server) = setup(DemoOptions {
        image_latency: Duration::from_millis(100),
        ..Default::default()
    });
    let loader = ImageLoader::new(rt.handle().clone(), None, 64 << 20, None);
    let url = format!("{}/images/SKU-1002.png", server.base_url());
    for _ in 0..10 {
        loader.get(&url);
    }
    assert!(matches!(wait_settled(&loader, &url), ImageStatus::Ready(_)));
    assert_eq!(server.stats().images.load(Ordering::SeqCst), 1);
}

#[test]
fn a_new_customer_cancels_the_old_downloads() {
    let (rt, server) = setup(DemoOptions {
        image_latency: Duration::from_secs(5),
        ..Default::default()
    });
    let loader = ImageLoader::new(rt.handle().clone(), None, 64 << 20, None);
    for i in 1001..1011 {
        loader.get(&format!("{}/images/SKU-{i}.png", server.base_url()));
    }
    assert_eq!(loader.pending(), 10);
    loader.cancel_pending();
    assert_eq!(loader.pending(), 0);
    // Asked again later, a cancelled picture starts afresh rather than staying "loading" forever.
    server.set_options(DemoOptions::default());
    let url = format!("{}/images/SKU-1001.png", server.base_url());
    assert!(matches!(wait_settled(&loader, &url), ImageStatus::Ready(_)));
}

#[test]
fn the_disk_cache_serves_a_restarted_till_even_offline() {
    let (rt, server) = setup(DemoOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let disk = || Some(DiskCache::new(dir.path().to_path_buf(), 1 << 20));
    let url = format!("{}/images/SKU-1003.png", server.base_url());
    let first = ImageLoader::new(rt.handle().clone(), None, 64 << 20, disk());
    assert!(matches!(wait_settled(&first, &url), ImageStatus::Ready(_)));
    assert_eq!(server.stats().images.load(Ordering::SeqCst), 1);
    drop(server); // the network is gone
    let second = ImageLoader::new(rt.handle().clone(), None, 64 << 20, disk());
    assert!(
        matches!(wait_settled(&second, &url), ImageStatus::Ready(_)),
        "served from disk"
    );
}

/// Pictures fetched ahead (for cards a shared source answered but nobody
/// scrolled to) are on the disk when the network goes; a decompression
/// bomb and a 404 are not kept.
#[test]
fn pictures_fetched_ahead_are_there_offline() {
    let (rt, server) = setup(DemoOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let disk = || DiskCache::new(dir.path().to_path_buf(), 1 << 20);
    let url = |name: &str| format!("{}/images/{name}", server.base_url());
    let (good, bomb, missing) = (url("SKU-1004.png"), url("bomb.png"), url("missing.png"));
    let online = ImageLoader::new(rt.handle().clone(), None, 64 << 20, Some(disk()));
    online.prefetch([bomb.clone(), missing.clone(), good.clone()]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while online.fetching_ahead() > 0 {
        assert!(Instant::now() < deadline, "fetching ahead never ended");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(server.stats().images.load(Ordering::SeqCst), 3);
    assert!(disk().get(&good).is_some(), "the picture was fetched ahead");
    assert_eq!(online.pending(), 0, "nothing on screen waited");
    assert_eq!(online.cached_bytes(), 0, "nothing decoded into memory");
    assert!(disk().get(&bomb).is_none(), "the bomb is not kept");
    assert!(disk().get(&missing).is_none());
    drop(server); // the network is gone
    let offline = ImageLoader::new(rt.handle().clone(), None, 64 << 20, Some(disk()));
    assert!(
        matches!(wait_settled(&offline, &good), ImageStatus::Ready(_)),
        "served from disk"
    );
}

fn encoded(format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(48, 36, image::Rgba([10, 120, 200, 255]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

#[test]
fn webp_and_gif_pictures_decode_and_their_corrupt_forms_fail_cleanly() {
    for format in [image::ImageFormat::WebP, image::ImageFormat::Gif] {
        let bytes = encoded(format);
        let picture = pos_recs::images::decode_thumbnail(&bytes)
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert_eq!((picture.width, picture.height), (48, 36), "{format:?}");
        let cut = &bytes[..bytes.len() / 2];
        assert!(
            pos_recs::images::decode_thumbnail(cut).is_err(),
            "{format:?} cut in half"
        );
        let mut garbled = bytes.clone();
        for b in garbled.iter_mut().skip(20) {
            *b = b.wrapping_mul(31).wrapping_add(7);
        }
        assert!(
            pos_recs::images::decode_thumbnail(&garbled).is_err(),
            "{format:?} garbled"
        );
    }
}
