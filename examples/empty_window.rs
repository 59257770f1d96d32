//! The yardstick for the till's start-up (`scripts/bench.sh`): an empty
//! eframe window with the till's renderer and size. It reports its first
//! frame on stderr the way the till's probe does, then closes.

use std::time::Instant;

struct Empty {
    started: Instant,
    reported: bool,
}

impl eframe::App for Empty {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| ui.label("empty"));
        if !self.reported {
            self.reported = true;
            eprintln!(
                "probe: first-frame {} ms (since app start)",
                self.started.elapsed().as_millis()
            );
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}

fn main() -> eframe::Result {
    let started = Instant::now();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("empty")
            .with_inner_size([1360.0, 880.0]),
        renderer: pos_recs::ui::AUTO_RENDERER,
        ..Default::default()
    };
    eframe::run_native(
        "empty",
        options,
        Box::new(move |_cc| {
            Ok(Box::new(Empty {
                started,
                reported: false,
            }))
        }),
    )
}
