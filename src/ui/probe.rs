//! Start-up probe for measurements (`scripts/bench.sh`): with
//! `POS_RECS_PROBE=<identifier>` set, the app looks that customer up at
//! start, reports milestones on stderr, and closes once every card and
//! picture is shown. The measuring side times the lines from process start.

use std::time::{Duration, Instant};

use crate::platform::process_cpu_time;

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
    /// Frames are drawn back to back while the wheel scrolls the cards;
    /// CPU and wall time are counted.
    Drawing(ForcedFrames),
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
                    let (started, cpu) = (Instant::now(), process_cpu_time());
                    std::thread::sleep(REST);
                    let share =
                        (process_cpu_time() - cpu).as_secs_f64() / started.elapsed().as_secs_f64();
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
                self.phase = Phase::Drawing(ForcedFrames::start(ctx));
                false
            }
            Phase::Done => true,
            Phase::Drawing(mut frames) => {
                let Some(measured) = frames.frame_drawn(ctx) else {
                    self.phase = Phase::Drawing(frames);
                    return false;
                };
                self.report(&format!("frame-cpu {measured} cards={cards_loaded}"));
                self.phase = Phase::Done;
                true
            }
        }
    }

    /// Adds this frame's wheel event while frames are being measured.
    pub fn input_hook(&self, raw: &mut egui::RawInput) {
        if let Phase::Drawing(frames) = &self.phase {
            frames.scroll(raw);
        }
    }
}

/// Frames drawn back to back while the mouse wheel scrolls the window's
/// middle (down for the first half, back up for the second), as a cashier
/// scrolls the cards: what one frame costs in CPU (all threads, the
/// software rasteriser's among them) and in wall time. The till's probe and
/// the empty window of `examples/empty_window.rs` measure alike.
#[derive(Debug, Clone)]
pub struct ForcedFrames {
    drawn: u32,
    since: Instant,
    cpu: Duration,
}

impl ForcedFrames {
    /// How many frames are measured.
    pub const FRAMES: u32 = 40;
    /// How far one wheel event scrolls, in points.
    const WHEEL_STEP: f32 = 40.0;

    /// Starts counting, and asks for the first frame.
    pub fn start(ctx: &egui::Context) -> Self {
        ctx.request_repaint();
        Self {
            drawn: 0,
            since: Instant::now(),
            cpu: process_cpu_time(),
        }
    }

    /// Puts the pointer in the middle of the window and turns the wheel.
    pub fn scroll(&self, raw: &mut egui::RawInput) {
        let Some(screen) = raw.screen_rect else {
            return;
        };
        let down = self.drawn < Self::FRAMES / 2;
        raw.events.push(egui::Event::PointerMoved(screen.center()));
        raw.events.push(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(
                0.0,
                if down {
                    -Self::WHEEL_STEP
                } else {
                    Self::WHEEL_STEP
                },
            ),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: egui::Modifiers::NONE,
        });
    }

    /// Counts a drawn frame. Asks for the next one, or returns the result
    /// (`ms=… wall_ms=…`, per frame) once all are drawn.
    pub fn frame_drawn(&mut self, ctx: &egui::Context) -> Option<String> {
        self.drawn += 1;
        if self.drawn < Self::FRAMES {
            ctx.request_repaint();
            return None;
        }
        let frames = f64::from(Self::FRAMES);
        let cpu = (process_cpu_time() - self.cpu).as_secs_f64() * 1000.0 / frames;
        let wall = self.since.elapsed().as_secs_f64() * 1000.0 / frames;
        Some(format!("ms={cpu:.2} wall_ms={wall:.2}"))
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
