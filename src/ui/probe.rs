//! Start-up probe for measurements (`scripts/bench.sh`): with
//! `POS_RECS_PROBE=<identifier>` set, the app looks that customer up at
//! start, reports milestones on stderr, and closes once every card and
//! picture is shown. The measuring side times the lines from process start.

use std::time::Instant;

/// Environment variable that turns the probe on; its value is the identifier to look up.
pub const PROBE_ENV: &str = "POS_RECS_PROBE";

/// Which milestones have been reported.
pub struct Probe {
    /// The identifier to look up.
    pub input: String,
    started: Instant,
    first_frame: bool,
    submitted: bool,
    first_card: bool,
    /// How long each frame's drawing took.
    frame_times: Vec<std::time::Duration>,
}

impl Probe {
    /// The probe, when the environment asks for one.
    pub fn from_env() -> Option<Self> {
        let input = std::env::var(PROBE_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())?;
        Some(Self {
            input,
            started: Instant::now(),
            first_frame: false,
            submitted: false,
            first_card: false,
            frame_times: Vec::new(),
        })
    }

    fn report(&self, what: &str) {
        eprintln!(
            "probe: {what} {} ms (since app start)",
            self.started.elapsed().as_millis()
        );
    }

    /// Called once per frame; returns the input to look up when it is time to.
    pub fn frame(&mut self) -> Option<String> {
        if !self.first_frame {
            self.first_frame = true;
            self.report("first-frame");
        }
        if self.submitted {
            return None;
        }
        self.submitted = true;
        Some(self.input.clone())
    }

    /// Records how long drawing one frame took.
    pub fn frame_took(&mut self, took: std::time::Duration) {
        self.frame_times.push(took);
    }

    fn frame_stats(&self) -> String {
        let mut t = self.frame_times.clone();
        t.sort();
        let ms = |d: Option<&std::time::Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        format!(
            "frames={} frame_ms_median={:.2} frame_ms_max={:.2}",
            t.len(),
            ms(t.get(t.len() / 2)),
            ms(t.last())
        )
    }

    /// Called with the state after drawing; returns true when the app should close.
    pub fn after_frame(
        &mut self,
        cards_loaded: usize,
        settled: bool,
        pictures_loading: usize,
        textures: usize,
    ) -> bool {
        if cards_loaded > 0 && !self.first_card {
            self.first_card = true;
            self.report("first-card");
        }
        if settled && pictures_loading == 0 && textures > 0 {
            self.report(&format!(
                "all-shown cards={cards_loaded} pictures={textures} rss_kib={} {}",
                rss_kib(),
                self.frame_stats()
            ));
            return true;
        }
        false
    }
}

/// Resident memory of this process in KiB (Linux; 0 elsewhere).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}
