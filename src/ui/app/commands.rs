//! The keyboard's routing and the one place where what the cashier asked
//! for turns into calls on the till service and the screen.

use super::CashierApp;
use crate::history::Event;
use crate::ui::command::Command;
use crate::ui::scanner::{self, InputState};

impl CashierApp {
    /// Splits this frame's keyboard events (see [`scanner`]) and runs the
    /// till's own commands before any widget is drawn.
    pub(super) fn route_keyboard(&mut self, ctx: &egui::Context) {
        let focused = ctx.memory(|m| m.focused());
        let input_focused = focused.is_some() && focused == self.bar.input_id;
        // egui drops the focus on Esc before we see the key: where the
        // keyboard was decides what Esc means, so ask the last frame.
        let was_on_other =
            self.keyboard.last_focus.is_some() && self.keyboard.last_focus != self.bar.input_id;
        let input = InputState {
            focused: input_focused,
            has_text: !self.bar.input.trim().is_empty(),
            other_focused: (focused.is_some() && !input_focused) || was_on_other,
            basket_mode: self.basket_line.active && !self.linked(),
        };
        let held = std::mem::take(&mut self.keyboard.deferred_events);
        let events = ctx.input_mut(|i| {
            let mut all = held;
            all.append(&mut i.events);
            all
        });
        let routed = scanner::route(events, input);
        ctx.input_mut(|i| i.events = routed.kept);
        if !routed.deferred.is_empty() {
            self.keyboard.deferred_events = routed.deferred;
            ctx.request_repaint();
        }
        for command in routed.commands {
            self.run(ctx, command);
        }
    }

    /// Runs one command (see [`Command`]): the one place where what the
    /// cashier asked for turns into calls on the till and the screen.
    pub(super) fn run(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::Submit => self.submit(),
            Command::Clear => self.clear(),
            Command::Type(text) => self.bar.type_text(ctx, &text),
            Command::FocusInput => {
                self.basket_line.active = false;
                self.bar.focus_requested = true;
            }
            Command::Settings => self.open_settings(),
            Command::FocusCards => {
                if let Some(card) = self.keyboard.first_card {
                    ctx.memory_mut(|m| m.request_focus(card));
                }
            }
            Command::FocusBasket => {
                if !self.linked() {
                    self.basket_line.active = true;
                    self.basket_line.focus_requested = true;
                }
            }
            Command::BasketText(text) => self.basket_line.entry.push_str(&text),
            Command::BasketEnter => {
                if let Some(id) = self.basket_line.take_entry() {
                    self.add_to_basket(&id);
                }
            }
            Command::BasketRemove(id) => {
                let mut basket = self.service.basket();
                basket.remove(&id);
                self.service.set_basket(basket);
            }
            Command::Retry(index) => self.service.retry(index),
            Command::Open(open) => {
                self.record(Event::Opened {
                    source_id: open.source_id,
                    product_id: open.product.id.clone(),
                });
                self.shown.details = Some(open);
            }
            Command::CloseDetails => {
                self.shown.details = None;
                // Back to the input, ready for the next scan; the sale goes on.
                self.bar.focus_requested = true;
            }
            Command::ShowCustomer => {
                if let Some(open) = self.shown.details.take() {
                    self.run(ctx, Command::ShowToCustomer(open));
                }
            }
            Command::ShowToCustomer(open) => {
                self.record(Event::ShownToCustomer {
                    source_id: open.source_id,
                    product_id: open.product.id.clone(),
                });
                self.shown.details = None;
                if self.customer_window() {
                    // The customer's own window shows it; the cashier's stays as it is.
                    self.shown.for_customer = Some(open.product);
                    self.bar.focus_requested = true;
                } else {
                    self.shown.customer_view = Some(open.product);
                    ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(true));
                }
            }
            Command::AddToSale(chosen) => {
                self.add_to_sale(&chosen);
                if self.shown.details.take().is_some() {
                    self.bar.focus_requested = true;
                }
            }
        }
    }
}
