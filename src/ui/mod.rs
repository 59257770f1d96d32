//! The cashier GUI (egui/eframe). Only drawing and input handling live
//! here; lookups, pictures and configuration come from the core modules.

pub mod app;
pub mod basket_line;
pub mod card;
pub mod command;
pub mod customer_screen;
pub mod details;
pub mod glyph_warm_up;
pub mod i18n;
pub mod lookup_bar;
pub mod manager_menu;
pub mod pin_gate;
pub mod plural;
pub mod probe;
pub mod scanner;
pub mod settings;
pub mod source_view;
pub mod status_bar;
pub mod textures;
pub mod theme;
pub mod what_works;

pub use app::CashierApp;

use crate::setup::Ready;

/// The renderer `auto` stands for, chosen from the measurements in the
/// README: with Mesa's software rasteriser (thin clients, VMs, remote
/// desktops, tills without a usable GPU) glow costs about a sixth of wgpu's
/// CPU per frame, starts as fast, and uses less memory with many cards.
pub const AUTO_RENDERER: eframe::Renderer = eframe::Renderer::Glow;

fn renderer(choice: crate::config::RendererChoice) -> eframe::Renderer {
    use crate::config::RendererChoice;
    match choice {
        RendererChoice::Auto => AUTO_RENDERER,
        RendererChoice::Wgpu => eframe::Renderer::Wgpu,
        RendererChoice::Glow => eframe::Renderer::Glow,
    }
}

/// The till's icon for the window manager's task bar.
fn window_icon() -> egui::IconData {
    let image = crate::icon::draw(128);
    egui::IconData {
        width: image.width(),
        height: image.height(),
        rgba: image.into_raw(),
    }
}

/// Window size for measurements (`POS_RECS_PROBE_SIZE=WxH`), else the default.
pub fn initial_size() -> [f32; 2] {
    std::env::var(probe::SIZE_ENV)
        .ok()
        .and_then(|v| {
            let (w, h) = v.split_once('x')?;
            Some([w.trim().parse().ok()?, h.trim().parse().ok()?])
        })
        .unwrap_or([1360.0, 880.0])
}

fn native_options(choice: crate::config::RendererChoice, kiosk: bool) -> eframe::NativeOptions {
    let viewport = egui::ViewportBuilder::default();
    // Kiosk: the till is the whole screen, nothing to drag or close.
    let viewport = if kiosk {
        viewport.with_fullscreen(true).with_decorations(false)
    } else {
        viewport
    };
    eframe::NativeOptions {
        viewport: viewport
            .with_title("pos-recs")
            .with_app_id("pos-recs")
            .with_inner_size(initial_size())
            .with_icon(window_icon())
            .with_min_inner_size([640.0, 480.0]),
        renderer: renderer(choice),
        // Dithering smooths gradients the till does not draw, and costs
        // every pixel of every frame on a software rasteriser.
        dithering: false,
        ..Default::default()
    }
}

/// Opens the window and runs until it is closed. `runtime` runs lookups and
/// picture downloads; the UI thread never waits on them.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    ready: Ready,
    instance: Option<crate::service::Instance>,
) -> anyhow::Result<()> {
    let _guard = runtime.enter();
    let handle = runtime.handle().clone();
    eframe::run_native(
        "pos-recs",
        native_options(ready.config.display.renderer, ready.config.display.kiosk),
        Box::new(move |cc| {
            theme::clear_instead_of_panel_fill(&cc.egui_ctx);
            let mut app = CashierApp::new(&cc.egui_ctx, handle, ready)?;
            if let Some(instance) = instance {
                app.listen_for_launches(instance);
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the window could not be opened: {e}"))
}

/// When the configuration cannot be used, the till still opens a window
/// saying so (a cashier may never see a terminal), instead of vanishing.
pub fn run_config_error(message: String) -> anyhow::Result<()> {
    eframe::run_native(
        "pos-recs",
        native_options(crate::config::RendererChoice::Auto, false),
        Box::new(move |cc| {
            theme::apply(&cc.egui_ctx, false, 1.0);
            Ok(Box::new(ConfigErrorApp { message }))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the window could not be opened: {e}"))
}

/// The window shown instead of the till when the configuration is broken.
pub struct ConfigErrorApp {
    /// What is wrong (file, line, key).
    pub message: String,
}

impl eframe::App for ConfigErrorApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.add_space(60.0);
            ui.vertical_centered(|ui| {
                ui.label(egui::RichText::new("The till cannot start: its configuration has a problem").size(24.0).strong());
                ui.label(egui::RichText::new("Налаштування каси містять помилку — зверніться до менеджера").size(18.0));
                ui.add_space(16.0);
                ui.label(egui::RichText::new(&self.message).color(theme::error(ui)).strong());
                ui.add_space(16.0);
                ui.label("Please call the store manager. Fix the file, or remove it to start with the demo, then start pos-recs again.");
                ui.add_space(16.0);
                if ui.add(egui::Button::new("Close").min_size(egui::vec2(140.0, theme::TOUCH))).clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
        });
    }
}
