//! Product details: big picture, description, brand, categories, every
//! tag, the product URL with a QR code the customer can scan, and the SKU
//! with a copy button. Esc or "Close" returns to the cards.

use egui::{Color32, RichText, Sense, vec2};

use crate::money::format_price;
use crate::yespo::Product;
use crate::yespo::tag_text;

use super::card::{self, CardContext, stock_label};
use super::command::{Command, OpenProduct};
use super::theme;

/// Title of the details dialog's close button (tests find it by this).
pub const CLOSE_LABEL: &str = super::i18n::EN.close_details;

/// Draws the details dialog.
/// `linked`: a POS listens for "Add to sale"; without one the SKU is shown
/// as a barcode the cashier scans into the POS off the screen.
pub fn ui(
    ctx: &egui::Context,
    open: &OpenProduct,
    linked: bool,
    cx: &mut CardContext<'_>,
) -> Option<Command> {
    let t = cx.texts;
    let product = &open.product;
    let mut action = None;
    let modal = egui::Modal::new(egui::Id::unique("product_details")).show(ctx, |ui| {
        ui.set_width(theme::DETAILS_WIDTH.min(ctx.content_rect().width() - 40.0));
        ui.horizontal_top(|ui| {
            let (rect, _) = ui.allocate_exact_size(theme::DETAILS_PICTURE, Sense::hover());
            let picture = cx.picture(ctx, product);
            card::picture_ui(ui.painter(), rect, &picture, t, card::PictureOn::Window);
            ui.vertical(|ui| {
                ui.label(
                    RichText::new(&product.name)
                        .size(theme::DETAILS_TITLE_SIZE)
                        .strong(),
                );
                if let Some(price) = product.price {
                    ui.horizontal(|ui| {
                        ui.label(
                            RichText::new(format_price(price, cx.currency))
                                .size(theme::DETAILS_PRICE_SIZE)
                                .strong(),
                        );
                        if let Some(old) = product.discounted_from() {
                            ui.label(
                                RichText::new(format_price(old, cx.currency))
                                    .strikethrough()
                                    .weak(),
                            );
                            ui.label(
                                RichText::new(format!(
                                    "{} {}",
                                    t.save_amount,
                                    format_price(old - price, cx.currency)
                                ))
                                .color(theme::IN_STOCK),
                            );
                        }
                    });
                }
                let (stock, color) = stock_label(product.in_stock, t);
                ui.label(RichText::new(stock).color(color).strong());
                if !product.brand.is_empty() {
                    ui.label(format!("{} {}", t.brand, product.brand));
                }
                if !product.category.is_empty() {
                    ui.label(format!("{} {}", t.category, product.category.join(" › ")));
                }
                ui.horizontal(|ui| {
                    ui.label(format!("{} {}", t.sku, product.id));
                    if ui
                        .add(egui::Button::new(t.copy_sku).min_size(vec2(0.0, theme::TOUCH)))
                        .clicked()
                    {
                        ui.ctx().copy_text(product.id.clone());
                    }
                });
            });
            if !product.url.is_empty() {
                qr_ui(ui, &product.url, t.qr_hint);
            }
        });
        if !product.url.is_empty() {
            // Only web links open a browser; anything else is shown as text.
            if product.url.starts_with("https://") || product.url.starts_with("http://") {
                ui.hyperlink_to(&product.url, &product.url);
            } else {
                ui.label(&product.url);
            }
        }
        if !product.descr.is_empty() {
            ui.add_space(theme::GAP_SMALL);
            ui.label(&product.descr);
        }
        if !product.tags.is_empty() {
            ui.add_space(theme::GAP_SMALL);
            egui::Grid::new("all_tags").striped(true).show(ui, |ui| {
                for (name, value) in &product.tags {
                    ui.label(RichText::new(card::tag_label(name, t)).strong());
                    ui.label(tag_text(value));
                    ui.end_row();
                }
            });
        }
        if !linked {
            ui.add_space(theme::GAP_SMALL);
            ui.label(RichText::new(t.scan_into_pos).weak());
            barcode_ui(ui, &product.id, t.barcode);
        }
        ui.add_space(theme::GAP);
        ui.horizontal(|ui| {
            let close = egui::Button::new(t.close_details)
                .min_size(vec2(theme::BUTTON_WIDTH, theme::TOUCH));
            if ui.add(close).clicked() {
                action = Some(Command::CloseDetails);
            }
            if linked {
                let add = egui::Button::new(RichText::new(t.add_to_sale).strong())
                    .min_size(vec2(theme::BUTTON_WIDE, theme::TOUCH));
                if ui.add(add).clicked() {
                    action = Some(Command::AddToSale(open.clone()));
                }
            }
            let show = egui::Button::new(t.show_customer)
                .min_size(vec2(theme::BUTTON_WIDTH, theme::TOUCH));
            if ui.add(show).clicked() {
                action = Some(Command::ShowCustomer);
            }
        });
    });
    if action.is_none() && modal.should_close() {
        action = Some(Command::CloseDetails);
    }
    action
}

/// Width of one Code 128 module on screen: hand scanners read bars of 3 px
/// or more off a till's screen.
const BARCODE_MODULE: f32 = 3.0;
/// Height of the bars.
const BARCODE_HEIGHT: f32 = 90.0;

/// The SKU as a Code 128 barcode (character set B), drawn large enough for
/// a hand scanner, with quiet zones. SKUs Code 128 cannot carry are shown
/// as text only.
pub fn barcode_ui(ui: &mut egui::Ui, sku: &str, name: &str) {
    let Ok(code) = barcoders::sym::code128::Code128::new(format!("\u{0181}{sku}")) else {
        return;
    };
    let modules = code.encode();
    let quiet = 10.0 * BARCODE_MODULE;
    let size = vec2(
        modules.len() as f32 * BARCODE_MODULE + 2.0 * quiet,
        BARCODE_HEIGHT + 2.0 * 8.0,
    );
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    let label = format!("{name} {sku}");
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &label));
    let painter = ui.painter_at(rect);
    // Always black on white, whatever the theme: scanners need the contrast.
    painter.rect_filled(rect, 0.0, egui::Color32::WHITE);
    for (i, bar) in modules.iter().enumerate() {
        if *bar == 1 {
            let x = rect.left() + quiet + i as f32 * BARCODE_MODULE;
            let bar_rect = egui::Rect::from_min_size(
                egui::pos2(x, rect.top() + 8.0),
                vec2(BARCODE_MODULE, BARCODE_HEIGHT),
            );
            painter.rect_filled(bar_rect, 0.0, egui::Color32::BLACK);
        }
    }
}

/// The product full-screen, for the customer to see (second monitor or a
/// turned screen): big picture, name, price, stock, and a large QR code.
/// Returns true when the cashier goes back.
pub fn customer_view_ui(ui: &mut egui::Ui, product: &Product, cx: &mut CardContext<'_>) -> bool {
    let t = cx.texts;
    let mut back = ui.input(|i| i.key_pressed(egui::Key::Escape));
    ui.horizontal(|ui| {
        if ui
            .add(egui::Button::new(t.back).min_size(vec2(theme::BUTTON_WIDTH, theme::TOUCH)))
            .clicked()
        {
            back = true;
        }
    });
    customer_product_ui(ui, product, cx);
    back
}

/// The product as the customer sees it: large picture, name, price, old
/// price, stock and a QR code of its page (the full-screen view and the
/// customer's own window).
pub fn customer_product_ui(ui: &mut egui::Ui, product: &Product, cx: &mut CardContext<'_>) {
    let t = cx.texts;
    let width = ui.available_width();
    ui.add_space(20.0);
    ui.horizontal_top(|ui| {
        let side = (width * 0.45).min(ui.available_height() * 1.2).max(200.0);
        let (rect, _) = ui.allocate_exact_size(vec2(side, side * 0.75), Sense::hover());
        let picture = cx.picture(ui.ctx(), product);
        card::picture_ui(ui.painter(), rect, &picture, t, card::PictureOn::Window);
        ui.add_space(30.0);
        ui.vertical(|ui| {
            ui.label(
                RichText::new(&product.name)
                    .size(theme::CUSTOMER_TITLE_SIZE)
                    .strong(),
            );
            if let Some(price) = product.price {
                ui.label(
                    RichText::new(format_price(price, cx.currency))
                        .size(theme::CUSTOMER_PRICE_SIZE)
                        .strong(),
                );
                if let Some(old) = product.discounted_from() {
                    ui.label(
                        RichText::new(format_price(old, cx.currency))
                            .size(theme::CUSTOMER_DETAIL_SIZE)
                            .strikethrough()
                            .weak(),
                    );
                }
            }
            let (stock, color) = stock_label(product.in_stock, t);
            ui.label(
                RichText::new(stock)
                    .size(theme::CUSTOMER_DETAIL_SIZE)
                    .color(color)
                    .strong(),
            );
            if !product.url.is_empty() {
                ui.add_space(20.0);
                qr_ui(ui, &product.url, t.qr_hint);
            }
        });
    });
}

/// A QR code of `url`, drawn as squares (no image round-trip).
fn qr_ui(ui: &mut egui::Ui, url: &str, hint: &str) {
    let Ok(code) = qrcode::QrCode::new(url.as_bytes()) else {
        return;
    };
    let width = code.width();
    let colors = code.to_colors();
    let quiet = 2;
    let cells = width + 2 * quiet;
    let side = theme::QR_SIDE;
    let (rect, response) = ui.allocate_exact_size(vec2(side, side), Sense::hover());
    response.on_hover_text(hint);
    let cell = side / cells as f32;
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::WHITE);
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = ((i % width + quiet) as f32, (i / width + quiet) as f32);
            let min = rect.min + vec2(x * cell, y * cell);
            painter.rect_filled(
                egui::Rect::from_min_size(min, vec2(cell, cell)),
                0.0,
                Color32::BLACK,
            );
        }
    }
}
