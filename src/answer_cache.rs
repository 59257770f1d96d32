//! The last good answer of each shared source, kept on disk for offline use.
//!
//! Only sources whose answer is the same for every customer
//! ([`crate::config::SourceConfig::is_shared`]: bestsellers, alternatives to
//! sold-out items, new arrivals…) are kept, one row per source and basket
//! key, with the time it was fetched. No customer, no hash of one: a
//! personal source is never written here, so no customer can ever be shown
//! another one's recommendations from it.
//!
//! The file is a small SQLite database beside the history, capped in rows
//! and in the size of one answer. A file that is not a usable database is
//! discarded with one warning and started anew; a row that cannot be read
//! is deleted and never shown.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OptionalExtension, params};

use crate::basket::Basket;
use crate::yespo::Product;

/// At most this many answers are kept; past it, the oldest go.
pub const MAX_ANSWERS: usize = 500;
/// An answer larger than this (as JSON) is not kept.
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// An answer older than this is not shown: a week-old bestseller list may
/// name products long gone.
pub const MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where the cache is kept for the history at `history_file`.
pub fn file_beside(history_file: &Path) -> PathBuf {
    history_file.with_extension("answers.sqlite3")
}

/// A kept answer: the products and when they were fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    /// The products, as the source gave them.
    pub products: Vec<Product>,
    /// When the source gave them.
    pub fetched: SystemTime,
}

/// The cache (see the module docs). Cheap to clone; every method is
/// blocking (call it off the async workers) and never fails: a cache that
/// cannot be used just keeps nothing.
#[derive(Clone, Default)]
pub struct AnswerCache {
    db: Option<Arc<Mutex<Connection>>>,
}

impl std::fmt::Debug for AnswerCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerCache")
            .field("on", &self.db.is_some())
            .finish()
    }
}

/// The key of one source's answer for one basket: the basket as it goes
/// on the wire (products in order, then the category), or empty.
pub fn basket_key(basket: Option<&Basket>) -> String {
    let Some(basket) = basket else {
        return String::new();
    };
    // JSON of the pairs: no product id can make two baskets share a key.
    serde_json::to_string(&basket.query()).unwrap_or_default()
}

impl AnswerCache {
    /// A cache that keeps nothing.
    pub fn off() -> Self {
        Self::default()
    }

    /// Opens (or creates) the cache at `path`. A damaged file is removed
    /// with one warning and a new one started.
    pub fn open(path: &Path) -> Self {
        match open_checked(path) {
            Ok(conn) => return Self::with(conn),
            Err(e) => tracing::warn!(
                "the offline answers in {} cannot be used ({e}); discarded and started anew",
                path.display()
            ),
        }
        // Only a cache: the damaged file goes, nothing is kept aside.
        let _ = std::fs::remove_file(path);
        crate::sqlite_file::remove_side_files(path);
        match open_checked(path) {
            Ok(conn) => Self::with(conn),
            Err(e) => {
                tracing::warn!("offline answers are off: {e}");
                Self::off()
            }
        }
    }

    fn with(conn: Connection) -> Self {
        Self {
            db: Some(Arc::new(Mutex::new(conn))),
        }
    }

    /// True when answers are kept.
    pub fn is_on(&self) -> bool {
        self.db.is_some()
    }

    /// Keeps `products` as source `source_id`'s answer for `key`, fetched now.
    pub fn put(&self, source_id: u64, key: &str, products: &[Product]) {
        let Some(db) = &self.db else {
            return;
        };
        let Ok(body) = serde_json::to_string(products) else {
            return;
        };
        if body.len() > MAX_ANSWER_BYTES {
            return;
        }
        let conn = crate::sync::lock(db);
        let written = conn
            .execute(
                "INSERT INTO answers (source_id, basket, fetched, products) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (source_id, basket) DO UPDATE SET fetched = ?3, products = ?4",
                params![source_id as i64, key, crate::sync::unix_secs() as i64, body],
            )
            .and_then(|_| {
                conn.execute(
                    "DELETE FROM answers WHERE rowid NOT IN
                     (SELECT rowid FROM answers ORDER BY fetched DESC LIMIT ?1)",
                    params![MAX_ANSWERS as i64],
                )
            });
        if let Err(e) = written {
            tracing::debug!("an offline answer was not kept: {e}");
        }
    }

    /// Source `source_id`'s last good answer for `key`, when one is kept
    /// and not older than [`MAX_AGE`]. A row that cannot be read is deleted.
    pub fn get(&self, source_id: u64, key: &str) -> Option<Kept> {
        let db = self.db.as_ref()?;
        let conn = crate::sync::lock(db);
        let row: Option<(i64, String)> = conn
            .query_row(
                "SELECT fetched, products FROM answers WHERE source_id = ?1 AND basket = ?2",
                params![source_id as i64, key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .unwrap_or_else(|e| {
                tracing::warn!("an offline answer cannot be read: {e}");
                None
            });
        let (fetched, body) = row?;
        let fetched = SystemTime::UNIX_EPOCH + Duration::from_secs(fetched.max(0) as u64);
        let fresh_enough = SystemTime::now()
            .duration_since(fetched)
            .map_or(true, |age| age <= MAX_AGE);
        match serde_json::from_str::<Vec<Product>>(&body) {
            Ok(products) if fresh_enough => Some(Kept { products, fetched }),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!("a damaged offline answer was discarded ({e})");
                let _ = conn.execute(
                    "DELETE FROM answers WHERE source_id = ?1 AND basket = ?2",
                    params![source_id as i64, key],
                );
                None
            }
        }
    }
}

fn open_checked(path: &Path) -> Result<Connection, rusqlite::Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    let conn = crate::sqlite_file::open_checked(path, Duration::from_secs(1), |_| Ok(()))?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS answers (
            source_id INTEGER NOT NULL,
            basket TEXT NOT NULL,
            fetched INTEGER NOT NULL,   -- unix seconds
            products TEXT NOT NULL,     -- JSON list of products
            PRIMARY KEY (source_id, basket)
        );",
    )?;
    // A file of another shape (not ours) is damaged for our purpose.
    conn.query_row(
        "SELECT source_id, basket, fetched, products FROM answers LIMIT 1",
        [],
        |_| Ok(()),
    )
    .optional()?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: &str) -> Product {
        Product {
            id: id.into(),
            name: format!("Product {id}"),
            price: Some(10.0),
            ..Default::default()
        }
    }

    #[test]
    fn keeps_one_answer_per_source_and_basket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sqlite3");
        let cache = AnswerCache::open(&path);
        let basket = Basket::new(&["SKU-1"], None).unwrap();
        let key = basket_key(Some(&basket));
        cache.put(7, "", &[product("a")]);
        cache.put(7, &key, &[product("b")]);
        cache.put(7, "", &[product("c")]);
        assert_eq!(cache.get(7, "").unwrap().products, vec![product("c")]);
        assert_eq!(cache.get(7, &key).unwrap().products, vec![product("b")]);
        assert!(cache.get(8, "").is_none());
        // Kept across a restart.
        drop(cache);
        let again = AnswerCache::open(&path);
        assert_eq!(again.get(7, "").unwrap().products, vec![product("c")]);
    }

    #[test]
    fn baskets_never_share_a_key() {
        let a = Basket::new(&["A&products=B"], None).unwrap();
        let b = Basket::new(&["A", "B"], None).unwrap();
        assert_ne!(basket_key(Some(&a)), basket_key(Some(&b)));
        assert_eq!(basket_key(None), "");
    }

    #[test]
    fn a_damaged_file_is_discarded_and_a_damaged_row_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sqlite3");
        std::fs::write(&path, b"SQLite format 3\0 and then garbage, cut short").unwrap();
        let cache = AnswerCache::open(&path);
        assert!(cache.is_on());
        assert!(cache.get(1, "").is_none());
        cache.put(1, "", &[product("a")]);
        {
            let db = cache.db.as_ref().unwrap();
            crate::sync::lock(db)
                .execute("UPDATE answers SET products = '[{\"id\": 5'", [])
                .unwrap();
        }
        assert!(cache.get(1, "").is_none());
        let db = cache.db.as_ref().unwrap();
        let left: i64 = crate::sync::lock(db)
            .query_row("SELECT COUNT(*) FROM answers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0, "the damaged row is deleted");
    }

    #[test]
    fn the_oldest_answers_go_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let cache = AnswerCache::open(&dir.path().join("a.sqlite3"));
        for i in 0..(MAX_ANSWERS as u64 + 20) {
            cache.put(i, "", &[product("a")]);
        }
        let db = cache.db.as_ref().unwrap();
        let kept: i64 = crate::sync::lock(db)
            .query_row("SELECT COUNT(*) FROM answers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept as usize, MAX_ANSWERS);
    }
}
