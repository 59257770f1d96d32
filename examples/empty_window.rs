//! The yardstick for the till's window (`scripts/bench.sh`): an empty
//! eframe window with the till's renderer and size
//! (`POS_RECS_PROBE_SIZE=WxH`). It reports its first frame on stderr the
//! way the till's probe does, then closes; with `POS_RECS_PROBE_MEASURE`
//! set it first draws frames back to back with the wheel turning, as the
//! till's probe does over its cards, and reports their CPU and wall time.

use std::time::{Duration, Instant};

use pos_recs::ui::probe::{ForcedFrames, MEASURE_ENV};

/// Wait after the first frame before measuring (the window settles).
const SETTLE: Duration = Duration::from_secs(1);

struct Empty {
    started: Instant,
    first_frame: Option<Instant>,
    measure: bool,
    frames: Option<ForcedFrames>,
}

impl eframe::App for Empty {
    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        if let Some(frames) = &self.frames {
            frames.scroll(raw_input);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| ui.label("empty"));
        let ctx = ui.ctx().clone();
        let Some(first) = self.first_frame else {
            self.first_frame = Some(Instant::now());
            eprintln!(
                "probe: first-frame {} ms (since app start)",
                self.started.elapsed().as_millis()
            );
            if self.measure {
                ctx.request_repaint_after(SETTLE);
            } else {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            return;
        };
        if !self.measure {
            return;
        }
        match &mut self.frames {
            None if first.elapsed() < SETTLE => ctx.request_repaint_after(SETTLE),
            None => self.frames = Some(ForcedFrames::start(&ctx)),
            Some(frames) => {
                if let Some(measured) = frames.frame_drawn(&ctx) {
                    eprintln!("probe: frame-cpu {measured} cards=0");
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
        }
    }
}

fn main() -> eframe::Result {
    let started = Instant::now();
    // The till's own setting for a GPU-less machine, so the yardstick draws
    // the way the till does.
    pos_recs::platform::rasteriser::tune_software_rasteriser();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("empty")
            .with_inner_size(pos_recs::ui::initial_size()),
        renderer: pos_recs::ui::AUTO_RENDERER,
        ..Default::default()
    };
    eframe::run_native(
        "empty",
        options,
        Box::new(move |_cc| {
            Ok(Box::new(Empty {
                started,
                first_frame: None,
                measure: std::env::var_os(MEASURE_ENV).is_some(),
                frames: None,
            }))
        }),
    )
}
