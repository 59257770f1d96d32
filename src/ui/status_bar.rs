//! The status line: which configuration and account, online or offline,
//! and how long the last lookup took.

use egui::RichText;

use crate::config::{Config, ConfigOrigin};

use super::i18n::Texts;
use super::theme;
use crate::service::Connectivity;
use crate::session::Session;

/// What the status line shows.
pub struct StatusContext<'a> {
    /// Texts in the screen's language.
    pub texts: &'static Texts,
    /// Where the configuration came from.
    pub origin: &'a ConfigOrigin,
    /// The configuration in use.
    pub config: &'a Config,
    /// Whether the account answers.
    pub net: &'a Connectivity,
    /// The current customer's lookup.
    pub session: Option<&'a Session>,
    /// Why the history is not being written, if it is not.
    pub history_problem: Option<String>,
    /// How the chain's central sources stand, when the chain manages them.
    pub central: Option<crate::service::FleetStatus>,
    /// How sending the chain its daily figures stands, when the till does.
    pub reports: Option<crate::service::ReportStatus>,
    /// How sending Yespo the sales stands, when the till does.
    pub orders: Option<crate::service::OrdersStatus>,
}

/// Draws the status line.
pub fn ui(ui: &mut egui::Ui, cx: StatusContext<'_>) {
    let StatusContext {
        texts: t,
        origin,
        config,
        net,
        session,
        history_problem,
        central,
        reports,
        orders,
    } = cx;
    ui.horizontal(|ui| {
        match origin {
            ConfigOrigin::Demo => ui.label(RichText::new(t.status_demo).color(theme::demo(ui))),
            ConfigOrigin::File(path) => ui.label(format!("{} {}", t.status_config, path.display())),
        };
        divider(ui);
        let host = url::Url::parse(&config.yespo.base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        if config.yespo.auth.via_gateway() {
            ui.label(format!("{} {host} ({})", t.status_account, t.via_gateway));
        } else {
            ui.label(format!("{} {host}", t.status_account));
        }
        divider(ui);
        let why = net.offline_reason().unwrap_or_default();
        if net.is_offline() {
            ui.label(
                RichText::new(format!("{} {why}", t.offline))
                    .color(theme::error(ui))
                    .strong(),
            );
        } else if net.state() == crate::service::NetState::Degraded {
            ui.label(RichText::new(format!("{} {why}", t.degraded())).color(theme::error(ui)));
        } else if let Some(ok) = net.last_success {
            ui.label(format!(
                "{} · {}",
                t.online,
                t.last_answer(ok.elapsed().as_secs())
            ));
        } else if !session.is_some_and(|s| s.group == crate::experiment::Group::Holdout) {
            // A held-out customer asks no source: "not connected" would
            // read as a fault when nothing was tried.
            ui.label(t.not_connected);
        }
        if config.manager.pin_hash.is_none() && *origin != ConfigOrigin::Demo {
            divider(ui);
            ui.label(RichText::new(t.no_pin_status).color(theme::error(ui)));
        }
        if let Some(central) = central {
            divider(ui);
            match (&central.problem, central.managed) {
                (Some(problem), _) => {
                    ui.label(RichText::new(t.central_stale).color(theme::error(ui)))
                        .on_hover_text(problem);
                }
                (None, true) => {
                    ui.label(t.central_managed);
                }
                (None, false) => {
                    ui.label(RichText::new(t.central_waiting).weak());
                }
            }
        }
        // Only while uploads fail: days waiting is news for the chain's IT.
        if let Some(reports) = reports
            && let Some(problem) = &reports.problem
        {
            divider(ui);
            ui.label(
                RichText::new(t.reports_waiting.say(t.language, reports.waiting as u64))
                    .color(theme::error(ui)),
            )
            .on_hover_text(problem);
        }
        // Orders: said while some wait (sales since a time) or were refused.
        if let Some(orders) = orders {
            let outbox = &orders.outbox;
            if outbox.waiting > 0
                && let Some(oldest) = outbox.oldest
            {
                divider(ui);
                let since = crate::outbox::orders::date_with_offset(oldest);
                let clock = since.get(11..16).unwrap_or_default();
                let text = t.orders_waiting(outbox.waiting, clock);
                // Red with the reason while sending fails; quiet while it goes.
                match &orders.problem {
                    Some(problem) => {
                        ui.label(RichText::new(text).color(theme::error(ui)))
                            .on_hover_text(problem);
                    }
                    None => {
                        ui.label(RichText::new(text).weak());
                    }
                }
            }
            if outbox.parked > 0 {
                divider(ui);
                ui.label(RichText::new(t.orders_refused(outbox.parked)).color(theme::error(ui)));
            }
        }
        if let Some(problem) = history_problem.as_deref() {
            divider(ui);
            ui.label(RichText::new(t.history_off).color(theme::error(ui)))
                .on_hover_text(problem);
        }
        if let Some(s) = session {
            divider(ui);
            match s.finished_after {
                Some(took) => ui.label(format!(
                    "{} {} ms · {}",
                    t.lookup_took,
                    took.as_millis(),
                    t.products(s.product_count())
                )),
                None => ui.label(format!(
                    "{} {} ms",
                    t.looking_up,
                    s.started.elapsed().as_millis()
                )),
            };
        }
    });
}

/// The line between two parts of the status line, as tall as its text:
/// a full separator would reach above the panel (the row is taller than
/// the panel's text), where no panel fill covers it any more.
fn divider(ui: &mut egui::Ui) {
    ui.add(egui::Separator::default().shrink(6.0));
}
