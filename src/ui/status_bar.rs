//! The status line: which configuration and account, online or offline,
//! and how long the last lookup took.

use egui::RichText;

use crate::config::{Config, ConfigOrigin};

use super::app::Connectivity;
use super::session::Session;
use super::theme;

/// Draws the status line.
pub fn ui(
    ui: &mut egui::Ui,
    origin: &ConfigOrigin,
    config: &Config,
    net: &Connectivity,
    session: Option<&Session>,
) {
    ui.horizontal(|ui| {
        match origin {
            ConfigOrigin::Demo => {
                ui.label(RichText::new("Demo data (built-in demo shop)").color(theme::DEMO))
            }
            ConfigOrigin::File(path) => ui.label(format!("Config: {}", path.display())),
        };
        ui.separator();
        let host = url::Url::parse(&config.yespo.base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        ui.label(format!("Account: {host}"));
        ui.separator();
        if net.is_offline() {
            let why = net.last_failure.as_ref().map_or("", |(_, m)| m.as_str());
            ui.label(
                RichText::new(format!("Offline — {why}"))
                    .color(theme::ERROR)
                    .strong(),
            );
        } else if let Some(ok) = net.last_success {
            ui.label(format!(
                "Online · last answer {} s ago",
                ok.elapsed().as_secs()
            ));
        } else {
            ui.label("Not connected yet");
        }
        if let Some(s) = session {
            ui.separator();
            match s.finished_after {
                Some(t) => ui.label(format!(
                    "Lookup took {} ms · {} products",
                    t.as_millis(),
                    s.product_count()
                )),
                None => ui.label(format!(
                    "Looking up… {} ms",
                    s.started.elapsed().as_millis()
                )),
            };
        }
    });
}
