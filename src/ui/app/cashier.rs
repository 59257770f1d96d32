//! The cashier's screen: the lookup bar, the source sections, the status
//! line, the details, and the customer's own window.

use super::{CONFIRMATION_TIME, CashierApp};
use crate::config::ConfigOrigin;
use crate::ui::command::Command;
use crate::ui::lookup_bar::BarContext;
use crate::ui::{card, details, source_view, status_bar, theme};

impl CashierApp {
    pub(super) fn customer_window(&self) -> bool {
        self.service.config().display.customer_screen == crate::config::CustomerScreen::Window
    }

    /// The customer-facing window: what the cashier chose to show, large,
    /// or a calm idle view. Its place and size are remembered.
    pub(super) fn customer_window_ui(&mut self, ctx: &egui::Context) {
        if !self.customer_window() {
            return;
        }
        let title = match &self.shown.for_customer {
            Some(product) => format!("pos-recs — customer: {}", product.name),
            None => "pos-recs — customer".to_string(),
        };
        let mut builder = egui::ViewportBuilder::default()
            .with_title(title)
            .with_app_id("pos-recs-customer")
            .with_inner_size([900.0, 700.0]);
        if let Some((position, size)) = crate::ui::customer_screen::remembered() {
            builder = builder.with_position(position).with_inner_size(size);
        }
        let texts = self.texts;
        let shown = self.shown.for_customer.clone();
        let config = self.service.config();
        let mut cards = card::CardContext::new(
            &self.pictures.images,
            &mut self.pictures.textures,
            &config,
            texts,
        );
        ctx.show_viewport_immediate(
            crate::ui::customer_screen::viewport_id(),
            builder,
            |ctx, _class| {
                egui::CentralPanel::default().show(ctx, |ui| match &shown {
                    Some(product) => details::customer_product_ui(ui, product, &mut cards),
                    None => crate::ui::customer_screen::idle_ui(ui, texts),
                });
                crate::ui::customer_screen::remember(ctx);
            },
        );
    }

    pub(super) fn cashier_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.customer_window_ui(&ctx);
        if let Some(product) = &self.shown.customer_view {
            let config = self.service.config();
            let mut cards = card::CardContext::new(
                &self.pictures.images,
                &mut self.pictures.textures,
                &config,
                self.texts,
            );
            let back = egui::CentralPanel::default()
                .show(ui, |ui| details::customer_view_ui(ui, product, &mut cards))
                .inner;
            if back {
                self.shown.customer_view = None;
                ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(false));
            }
            return;
        }
        // The till's keys and the scanner's text, before any widget sees them.
        if self.shown.details.is_none() {
            self.route_keyboard(&ctx);
            if self.in_settings() {
                return;
            }
        }
        // Arrow keys move between cards (Tab works too); the input keeps its own arrows.
        let input_has_focus = ctx
            .memory(|m| m.focused())
            .is_some_and(|id| Some(id) == self.bar.input_id);
        if !input_has_focus && self.shown.details.is_none() {
            let direction = ctx.input(|i| {
                [
                    (egui::Key::ArrowRight, egui::FocusDirection::Right),
                    (egui::Key::ArrowLeft, egui::FocusDirection::Left),
                    (egui::Key::ArrowDown, egui::FocusDirection::Down),
                    (egui::Key::ArrowUp, egui::FocusDirection::Up),
                ]
                .into_iter()
                .find(|(key, _)| i.key_pressed(*key))
                .map(|(_, d)| d)
            });
            if let Some(direction) = direction {
                ctx.memory_mut(|m| m.move_focus(direction));
            }
        }
        // F1 from anywhere: back to the input, ready for the next scan.
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::F1)) {
            self.shown.details = None;
            self.bar.focus_requested = true;
        }
        // What the till shows now: snapshots, drawn from for this frame.
        let config = self.service.config();
        let session = self.service.session();
        let origin = self.service.place().origin.clone();
        let linked = self.linked();
        let mut commands: Vec<Command> = Vec::new();
        egui::Panel::top("lookup_bar").show(ui, |ui| {
            let cx = BarContext {
                texts: self.texts,
                config: &config,
                origin: &origin,
                session: session.as_deref(),
                may_focus: self.shown.details.is_none() && !self.basket_line.active,
                notice: self.shown.notice.as_deref(),
                confirmation: self
                    .shown
                    .confirmation
                    .as_ref()
                    .map(|(text, _)| text.as_str()),
                touch: config.display.touch,
            };
            commands.extend(self.bar.ui(ui, &cx));
            // A standalone till keeps the basket here; with a POS link the POS sends it.
            if !linked {
                let basket = self.service.basket();
                commands.extend(self.basket_line.ui(ui, &basket, self.texts));
                ui.add_space(4.0);
            }
        });
        egui::Panel::bottom("status_line").show(ui, |ui| {
            status_bar::ui(
                ui,
                status_bar::StatusContext {
                    texts: self.texts,
                    origin: &origin,
                    config: &config,
                    net: &self.service.connectivity(),
                    session: session.as_deref(),
                    history_problem: self.service.history_problem(),
                    central: self.service.central_status(),
                    reports: self.service.report_status(),
                    orders: self.service.orders_status(),
                },
            );
        });
        let mut first_card = None;
        let mut seen = Vec::new();
        egui::CentralPanel::default().show(ui, |ui| {
            let Some(session) = session.as_deref() else {
                source_view::welcome_ui(ui, self.texts, origin == ConfigOrigin::Demo);
                return;
            };
            let mut cards = card::CardContext::new(
                &self.pictures.images,
                &mut self.pictures.textures,
                &config,
                self.texts,
            );
            let layout = source_view::layout_for(
                ctx.content_rect().size(),
                ui.available_size(),
                session.sections.len(),
            );
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    if session.group == crate::experiment::Group::Holdout {
                        // Calm, not an error: this customer is meant to see nothing.
                        ui.add_space(40.0);
                        ui.label(
                            egui::RichText::new(cards.texts.comparison_group)
                                .size(theme::SECTION_TITLE_SIZE),
                        );
                    } else if session.sections.is_empty() {
                        ui.add_space(40.0);
                        ui.label(
                            egui::RichText::new(cards.texts.no_sources)
                                .size(theme::SECTION_TITLE_SIZE)
                                .strong(),
                        );
                    }
                    for (index, section) in session.sections.iter().enumerate() {
                        commands.extend(source_view::section_ui(
                            ui, index, section, layout, &mut cards,
                        ));
                    }
                });
            first_card = cards.first_card;
            seen = cards.seen;
        });
        self.keyboard.first_card = first_card;
        for (source_id, product_id, position) in seen {
            self.service.card_seen(source_id, &product_id, position);
        }
        // The screen's commands first, so a card opened this frame is drawn
        // this frame; then the details' own.
        for command in commands {
            self.run(&ctx, command);
        }
        if let Some(open) = &self.shown.details {
            let mut cards = card::CardContext::new(
                &self.pictures.images,
                &mut self.pictures.textures,
                &config,
                self.texts,
            );
            if let Some(command) = details::ui(&ctx, open, linked, &mut cards) {
                self.run(&ctx, command);
            }
        }
        self.keyboard.last_focus = ctx.memory(|m| m.focused());
        // The confirmation goes after a few seconds: one frame then, no ticking.
        if let Some((_, since)) = &self.shown.confirmation {
            let left = CONFIRMATION_TIME.saturating_sub(since.elapsed());
            if left.is_zero() {
                self.shown.confirmation = None;
            } else {
                ctx.request_repaint_after(left);
            }
        }
        // A slow tick while answers are pending (spinners), and the health
        // probe while offline; otherwise the till rests until woken.
        if let Some(after) = self.service.next_poll() {
            ctx.request_repaint_after(after);
        }
    }
}
