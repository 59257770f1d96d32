//! The cashier GUI (egui/eframe). Only drawing and input handling live
//! here; lookups, pictures and configuration come from the core modules.

pub mod app;
pub mod card;
pub mod details;
pub mod i18n;
pub mod lookup_bar;
pub mod pin_gate;
pub mod probe;
pub mod session;
pub mod settings;
pub mod source_view;
pub mod status_bar;
pub mod textures;
pub mod theme;

pub use app::CashierApp;

use crate::setup::Ready;

/// Opens the window and runs until it is closed. `runtime` runs lookups and
/// picture downloads; the UI thread never waits on them.
pub fn run(runtime: &tokio::runtime::Runtime, ready: Ready) -> anyhow::Result<()> {
    let _guard = runtime.enter();
    let handle = runtime.handle().clone();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("pos-recs")
            .with_app_id("pos-recs")
            .with_inner_size([1360.0, 880.0])
            .with_min_inner_size([640.0, 480.0]),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    eframe::run_native(
        "pos-recs",
        options,
        Box::new(move |cc| {
            let app = CashierApp::new(&cc.egui_ctx, handle, ready)?;
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the window could not be opened: {e}"))
}
