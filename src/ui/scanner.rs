//! Keyboard routing for the till: a barcode scanner is a keyboard that never
//! waits, so what it types must not depend on frame timing.
//!
//! Each frame, before any widget runs, the frame's events are split here:
//! - the keys the till owns (Esc, F1, F2) become [`Command`]s and
//!   never reach a widget (egui's `TextEdit` gives up focus on Esc and drops
//!   the text of the same frame, which lost the first digits of the next card);
//! - text typed while the customer input is not focused is routed into it;
//! - at the first Enter or Tab that ends an identifier, the rest of the
//!   frame's events wait for the next frame, so two scans can never be glued
//!   into one identifier.

use egui::{Event, Key};

pub use super::command::Command;

/// One frame's events, split.
#[derive(Debug, Default)]
pub struct Routed {
    /// Events the widgets get this frame.
    pub kept: Vec<Event>,
    /// Events held for the next frame (after an identifier ended).
    pub deferred: Vec<Event>,
    /// The till's own commands, in order.
    pub commands: Vec<Command>,
}

/// What the router needs to know about the customer input.
#[derive(Debug, Clone, Copy)]
pub struct InputState {
    /// The customer input has the keyboard focus.
    pub focused: bool,
    /// It holds text already.
    pub has_text: bool,
    /// Another widget (a card, a button) has the focus: Esc then only
    /// brings the keyboard back to the input.
    pub other_focused: bool,
    /// The keyboard is on the basket line (after F3, until Esc or F1):
    /// what is typed is a product, never a customer, whatever the focus
    /// says this frame; only Esc, F1 and F2 are the till's.
    pub basket_mode: bool,
}

fn pressed(event: &Event, wanted: Key) -> bool {
    matches!(event, Event::Key { key, pressed: true, modifiers, .. }
        if *key == wanted && !modifiers.alt && !modifiers.ctrl && !modifiers.command)
}

fn is_key(event: &Event, wanted: Key) -> bool {
    matches!(event, Event::Key { key, .. } if *key == wanted)
}

/// Splits a frame's events (see the module docs).
pub fn route(events: Vec<Event>, input: InputState) -> Routed {
    let mut routed = Routed::default();
    let mut has_text = input.has_text;
    let mut typed = String::new();
    let flush = |typed: &mut String, commands: &mut Vec<Command>| {
        if !typed.is_empty() {
            commands.push(Command::Type(std::mem::take(typed)));
        }
    };
    let mut events = events.into_iter();
    if input.basket_mode {
        let mut typed = String::new();
        while let Some(event) = events.next() {
            let basket_text = |typed: &mut String, commands: &mut Vec<Command>| {
                if !typed.is_empty() {
                    commands.push(Command::BasketText(std::mem::take(typed)));
                }
            };
            if pressed(&event, Key::Escape) || pressed(&event, Key::F1) {
                basket_text(&mut typed, &mut routed.commands);
                routed.commands.push(Command::FocusInput);
                // Back on the customer input: the rest is routed as usual next frame.
                routed.deferred.extend(events);
                break;
            } else if pressed(&event, Key::F2) {
                basket_text(&mut typed, &mut routed.commands);
                routed.commands.push(Command::Settings);
                routed.deferred.extend(events);
                break;
            } else if pressed(&event, Key::Enter) || pressed(&event, Key::Tab) {
                basket_text(&mut typed, &mut routed.commands);
                routed.commands.push(Command::BasketEnter);
            } else if let Event::Text(text) = event {
                typed.push_str(&text);
            } else if !is_key(&event, Key::Escape)
                && !is_key(&event, Key::F1)
                && !is_key(&event, Key::F2)
                && !is_key(&event, Key::Enter)
                && !is_key(&event, Key::Tab)
            {
                routed.kept.push(event);
            }
        }
        if !typed.is_empty() {
            routed.commands.push(Command::BasketText(typed));
        }
        return routed;
    }
    while let Some(event) = events.next() {
        if pressed(&event, Key::F3) {
            flush(&mut typed, &mut routed.commands);
            routed.commands.push(Command::FocusBasket);
            // What follows is a product, for the basket input next frame.
            routed.deferred.extend(events);
            break;
        }
        if pressed(&event, Key::Escape)
            && input.other_focused
            && typed.is_empty()
            && routed.commands.is_empty()
        {
            routed.commands.push(Command::FocusInput);
            continue;
        }
        if input.focused
            && (pressed(&event, Key::ArrowDown) || (pressed(&event, Key::Tab) && !has_text))
        {
            routed.commands.push(Command::FocusCards);
            continue;
        }
        if pressed(&event, Key::Escape) {
            // Whatever was typed before Esc belonged to the input being cleared.
            typed.clear();
            routed
                .kept
                .retain(|e| !matches!(e, Event::Text(_) | Event::Paste(_)));
            routed.commands.retain(|c| !matches!(c, Command::Type(_)));
            routed.commands.push(Command::Clear);
            has_text = false;
            continue;
        }
        if is_key(&event, Key::Escape) || is_key(&event, Key::F1) || is_key(&event, Key::F2) {
            if pressed(&event, Key::F1) {
                flush(&mut typed, &mut routed.commands);
                routed.commands.push(Command::FocusInput);
            } else if pressed(&event, Key::F2) {
                flush(&mut typed, &mut routed.commands);
                routed.commands.push(Command::Settings);
                // What follows belongs to the settings' PIN prompt, next frame.
                routed.deferred.extend(events);
                break;
            }
            continue;
        }
        let ends_identifier =
            (pressed(&event, Key::Enter) || pressed(&event, Key::Tab)) && has_text;
        if ends_identifier {
            if input.focused {
                // The focused input takes its own Enter and submits.
                routed.kept.push(event);
            } else {
                flush(&mut typed, &mut routed.commands);
                routed.commands.push(Command::Submit);
            }
            routed.deferred.extend(events);
            break;
        }
        match event {
            Event::Text(text) if !input.focused => {
                has_text |= !text.trim().is_empty();
                typed.push_str(&text);
            }
            Event::Text(text) => {
                has_text |= !text.trim().is_empty();
                routed.kept.push(Event::Text(text));
            }
            other => routed.kept.push(other),
        }
    }
    flush(&mut typed, &mut routed.commands);
    routed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(key: Key) -> Event {
        Event::Key {
            key,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers: egui::Modifiers::NONE,
        }
    }

    fn text(s: &str) -> Vec<Event> {
        s.chars().map(|c| Event::Text(c.to_string())).collect()
    }

    fn kept_text(r: &Routed) -> String {
        r.kept
            .iter()
            .filter_map(|e| match e {
                Event::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    const FOCUSED: InputState = InputState {
        focused: true,
        has_text: false,
        other_focused: false,
        basket_mode: false,
    };

    const UNFOCUSED: InputState = InputState {
        focused: false,
        has_text: false,
        other_focused: false,
        basket_mode: false,
    };

    #[test]
    fn esc_then_a_card_in_one_frame_keeps_every_digit() {
        let mut events = text("33");
        events.push(key(Key::Escape));
        events.extend(text("0501112233"));
        let r = route(events, FOCUSED);
        assert_eq!(r.commands, [Command::Clear]);
        assert_eq!(
            kept_text(&r),
            "0501112233",
            "nothing lost, nothing left over"
        );
        assert!(
            !r.kept.iter().any(|e| is_key(e, Key::Escape)),
            "Esc never reaches the input"
        );
    }

    #[test]
    fn two_scans_in_one_frame_are_never_glued() {
        let mut events = text("2000123456789");
        events.push(key(Key::Enter));
        events.extend(text("0671234567"));
        events.push(key(Key::Enter));
        let r = route(events, FOCUSED);
        assert_eq!(kept_text(&r), "2000123456789");
        assert!(r.kept.iter().any(|e| pressed(e, Key::Enter)));
        // The second scan waits for the next frame, whole.
        let next = route(r.deferred, FOCUSED);
        assert_eq!(kept_text(&next), "0671234567");
    }

    #[test]
    fn text_typed_while_the_input_is_not_focused_goes_into_it() {
        let unfocused = UNFOCUSED;
        let mut events = text("0671234567");
        events.push(key(Key::Tab));
        events.extend(text("99"));
        let r = route(events, unfocused);
        assert_eq!(
            r.commands,
            [Command::Type("0671234567".into()), Command::Submit]
        );
        assert!(kept_text(&r).is_empty());
        assert_eq!(r.deferred.len(), 2, "the rest waits");
    }

    #[test]
    fn enter_or_tab_on_an_empty_input_is_left_to_the_widgets() {
        let r = route(vec![key(Key::Enter), key(Key::Tab)], UNFOCUSED);
        assert!(r.commands.is_empty());
        assert_eq!(r.kept.len(), 2);
    }

    #[test]
    fn f_keys_are_the_tills_and_f2_hands_the_rest_to_the_next_frame() {
        let mut events = vec![key(Key::F1)];
        events.extend(text("12"));
        events.push(key(Key::F2));
        events.extend(text("2468"));
        let r = route(events, UNFOCUSED);
        assert_eq!(
            r.commands,
            [
                Command::FocusInput,
                Command::Type("12".into()),
                Command::Settings
            ]
        );
        assert_eq!(r.deferred.len(), 4);
    }

    #[test]
    fn down_or_tab_on_an_empty_input_goes_to_the_cards_and_esc_comes_back() {
        let r = route(vec![key(Key::ArrowDown)], FOCUSED);
        assert_eq!(r.commands, [Command::FocusCards]);
        let r = route(vec![key(Key::Tab)], FOCUSED);
        assert_eq!(r.commands, [Command::FocusCards]);
        let on_a_card = InputState {
            other_focused: true,
            ..UNFOCUSED
        };
        let r = route(vec![key(Key::Escape)], on_a_card);
        assert_eq!(
            r.commands,
            [Command::FocusInput],
            "Esc on a card keeps the customer"
        );
        // A scanner's Tab after a number still submits.
        let typed = InputState {
            has_text: true,
            ..FOCUSED
        };
        let r = route(vec![key(Key::Tab)], typed);
        assert!(r.commands.is_empty() && r.kept.len() == 1);
    }

    #[test]
    fn on_the_basket_line_typing_is_a_product_and_esc_goes_back() {
        let basket = InputState {
            basket_mode: true,
            ..UNFOCUSED
        };
        let mut events = text("SKU-1");
        events.push(key(Key::Enter));
        events.extend(text("SKU-2"));
        events.push(key(Key::Enter));
        let r = route(events, basket);
        assert_eq!(
            r.commands,
            [
                Command::BasketText("SKU-1".into()),
                Command::BasketEnter,
                Command::BasketText("SKU-2".into()),
                Command::BasketEnter
            ],
            "two scans in one frame, both products, never a customer"
        );
        let r = route(vec![key(Key::Escape)], basket);
        assert_eq!(r.commands, [Command::FocusInput], "Esc keeps the sale");
        let mut events = vec![key(Key::F3)];
        events.extend(text("SKU-2"));
        let r = route(events, FOCUSED);
        assert_eq!(r.commands, [Command::FocusBasket]);
        assert_eq!(
            r.deferred.len(),
            5,
            "the product waits for the basket input"
        );
    }
}
