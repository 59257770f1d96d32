//! Start-up probe for measurements (`scripts/bench.sh`): with
//! `POS_RECS_PROBE=<identifier>` set, the app looks that customer up at
//! start, reports milestones on stderr, and closes once every card and
//! picture is shown. The measuring side times the lines from process start.

use std::time::{Duration, Instant};

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
    /// Index in `frame_times` of the first frame that drew cards.
    cards_from: Option<usize>,
    /// After everything is shown: what is being measured.
    phase: Phase,
}

/// Environment variable giving the window's size for a measurement (`WxH`).
pub const SIZE_ENV: &str = "POS_RECS_PROBE_SIZE";

/// Environment variable asking the probe to measure CPU at rest and per
/// frame after everything is shown (for `scripts/bench.sh`).
pub const MEASURE_ENV: &str = "POS_RECS_PROBE_MEASURE";

/// How long the till is left alone to measure CPU at rest.
const REST: Duration = Duration::from_secs(3);
/// Frames forced to measure the cost of one.
const FORCED_FRAMES: u32 = 20;
/// Wait after everything is shown before measuring the rest (last texture
/// uploads, a last spinner frame).
const SETTLE: Duration = Duration::from_secs(2);

/// The probe's measurements after everything is shown.
#[derive(Debug, Clone)]
enum Phase {
    /// Waiting for every card and picture.
    Loading,
    /// Everything shown; letting the last frames pass.
    Settling { since: Instant },
    /// Nothing changes; a watcher thread counts the CPU of a window with no
    /// frame in it (the frame that started the rest is still being painted
    /// when `ui` returns, so the count starts a moment later).
    Resting {
        result: std::sync::Arc<std::sync::Mutex<Option<f64>>>,
    },
    /// Measured; the window is closing.
    Done,
    /// Frames are forced back to back; CPU is counted.
    Drawing {
        frames: u32,
        since: Instant,
        cpu: Duration,
    },
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
            cards_from: None,
            phase: Phase::Loading,
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
        // The start-up frame (fonts, first layout of the empty screen) apart
        // from the frames that drew the customer's cards.
        let with_cards = self
            .cards_from
            .and_then(|from| self.frame_times.get(from..))
            .and_then(|frames| frames.iter().max());
        format!(
            "frames={} frame_ms_median={:.2} frame_ms_max={:.2} first_frame_ms={:.2} cards_frame_ms_max={:.2}",
            t.len(),
            ms(t.get(t.len() / 2)),
            ms(t.last()),
            ms(self.frame_times.first()),
            ms(with_cards)
        )
    }

    /// Called with the state after drawing; returns true when the app should close.
    pub fn after_frame(
        &mut self,
        ctx: &egui::Context,
        cards_loaded: usize,
        settled: bool,
        pictures_loading: usize,
        textures: usize,
    ) -> bool {
        if cards_loaded > 0 && !self.first_card {
            self.first_card = true;
            self.cards_from = Some(self.frame_times.len().saturating_sub(1));
            self.report("first-card");
        }
        match self.phase.clone() {
            Phase::Loading => {
                if !(settled && pictures_loading == 0 && textures > 0) {
                    return false;
                }
                self.report(&format!(
                    "all-shown cards={cards_loaded} pictures={textures} rss_kib={} {}",
                    rss_kib(),
                    self.frame_stats()
                ));
                if std::env::var_os(MEASURE_ENV).is_none() {
                    return true;
                }
                self.phase = Phase::Settling {
                    since: Instant::now(),
                };
                ctx.request_repaint_after(SETTLE);
                false
            }
            Phase::Settling { since } => {
                if since.elapsed() < SETTLE {
                    ctx.request_repaint_after(SETTLE.saturating_sub(since.elapsed()));
                    return false;
                }
                let result = std::sync::Arc::new(std::sync::Mutex::new(None));
                let (slot, waker) = (result.clone(), ctx.clone());
                std::thread::spawn(move || {
                    // Let this frame's painting finish before counting.
                    std::thread::sleep(Duration::from_millis(1500));
                    let (started, cpu) = (Instant::now(), process_cpu());
                    std::thread::sleep(REST);
                    let share =
                        (process_cpu() - cpu).as_secs_f64() / started.elapsed().as_secs_f64();
                    if let Ok(mut slot) = slot.lock() {
                        *slot = Some(share);
                    }
                    waker.request_repaint();
                });
                self.phase = Phase::Resting { result };
                false
            }
            Phase::Resting { result } => {
                let share = result.lock().ok().and_then(|r| *r);
                let Some(share) = share else {
                    return false;
                };
                self.report(&format!("rest-cpu percent={:.2}", share * 100.0));
                self.phase = Phase::Drawing {
                    frames: 0,
                    since: Instant::now(),
                    cpu: process_cpu(),
                };
                ctx.request_repaint();
                false
            }
            Phase::Done => true,
            Phase::Drawing { frames, since, cpu } => {
                if frames + 1 < FORCED_FRAMES {
                    self.phase = Phase::Drawing {
                        frames: frames + 1,
                        since,
                        cpu,
                    };
                    ctx.request_repaint();
                    return false;
                }
                let per_frame =
                    (process_cpu() - cpu).as_secs_f64() * 1000.0 / f64::from(FORCED_FRAMES);
                let wall = since.elapsed().as_secs_f64() * 1000.0 / f64::from(FORCED_FRAMES);
                self.report(&format!(
                    "frame-cpu ms={per_frame:.2} wall_ms={wall:.2} cards={cards_loaded}"
                ));
                self.phase = Phase::Done;
                true
            }
        }
    }
}

/// CPU time (user + system, all threads) used by this process so far.
fn process_cpu() -> Duration {
    #[cfg(unix)]
    {
        // SAFETY: getrusage only writes into the struct we pass.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0 {
            let time = |t: libc::timeval| {
                Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
            };
            return time(usage.ru_utime) + time(usage.ru_stime);
        }
    }
    Duration::ZERO
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
