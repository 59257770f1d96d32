//! One command type for the cashier screen, in the manner of egui's demo
//! `WrapApp` commands and rerun's `UICommand`: the keyboard router and every
//! widget (lookup bar, basket line, sections, details) only say what the
//! cashier asked for; the app runs the commands once per frame, in order.

use crate::yespo::Product;

/// A product the cashier opened or chose, and the source that recommended it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenProduct {
    /// The product.
    pub product: Product,
    /// The data source it came from.
    pub source_id: u64,
}

/// What the cashier asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Look up what is in the customer input.
    Submit,
    /// Esc or the Clear button: end this customer's sale.
    Clear,
    /// Text for the customer input, which did not have the focus.
    Type(String),
    /// F1: the keyboard back to the customer input.
    FocusInput,
    /// F2 or the Settings button: the manager settings.
    Settings,
    /// Down (or Tab on an empty input): the keyboard onto the first card.
    FocusCards,
    /// F3: the keyboard onto the basket line.
    FocusBasket,
    /// Text for the basket line's input (in basket mode).
    BasketText(String),
    /// Enter on the basket line: the typed product goes into the basket.
    BasketEnter,
    /// A product to remove from the basket (its chip's ×).
    BasketRemove(String),
    /// A section's Retry: ask that source again.
    Retry(usize),
    /// Open a product's details.
    Open(OpenProduct),
    /// Close the details.
    CloseDetails,
    /// Turn the open product to the customer, full-screen.
    ShowCustomer,
    /// F5 on a card: show that product to the customer.
    ShowToCustomer(OpenProduct),
    /// Add a product to the sale (sent to the POS).
    AddToSale(OpenProduct),
}
