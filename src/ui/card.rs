//! A product card: picture in a fixed 4:3 box, name clamped to two lines,
//! price (old price struck through), stock badge with colour and text, and
//! the tag attributes the manager chose. Fixed size, so placeholders and
//! real cards take exactly the same space.

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2, vec2};

use crate::images::ImageLoader;
use crate::money::format_price;
use crate::yespo::Product;
use crate::yespo::tag_text;

use super::textures::{PictureState, Textures};
use super::theme::*;

/// What drawing a card needs besides the product.
pub struct CardContext<'a> {
    /// Picture loader.
    pub images: &'a ImageLoader,
    /// Texture cache.
    pub textures: &'a mut Textures,
    /// Currency code for prices.
    pub currency: &'a str,
    /// Texts in the screen's language.
    pub texts: &'static super::i18n::Texts,
    /// The first product card drawn this frame (Down from the input goes there).
    pub first_card: Option<egui::Id>,
    /// Cards mostly in view this frame: (source id, product id, position).
    pub seen: Vec<(u64, String, usize)>,
    /// The mark of the section being drawn when its cards are an older
    /// answer ("from 10:42, offline"): each card carries it.
    pub stale: Option<String>,
}

impl<'a> CardContext<'a> {
    /// What cards need from the app's state.
    pub fn new(
        images: &'a ImageLoader,
        textures: &'a mut Textures,
        config: &'a crate::config::Config,
        texts: &'static super::i18n::Texts,
    ) -> Self {
        Self {
            images,
            textures,
            currency: &config.display.currency,
            texts,
            first_card: None,
            seen: Vec::new(),
            stale: None,
        }
    }

    /// Notes a card drawn at `rect` as seen when at least half of it is in
    /// view (inside the clip rect of its scroll areas).
    pub fn note_seen(
        &mut self,
        ui: &egui::Ui,
        rect: egui::Rect,
        source_id: u64,
        product_id: &str,
        position: usize,
    ) {
        let visible = ui.clip_rect().intersect(rect);
        if visible.is_positive() && visible.area() * 2.0 >= rect.area() {
            self.seen
                .push((source_id, product_id.to_string(), position));
        }
    }

    /// Remembers the first card drawn, and keeps a card reached with the
    /// keyboard in view.
    fn note_card(&mut self, response: &egui::Response) {
        self.first_card.get_or_insert(response.id);
        if response.gained_focus() {
            response.scroll_to_me(None);
        }
    }

    /// The product's picture as it stands (asking for it on first use).
    pub fn picture(&mut self, ctx: &egui::Context, product: &Product) -> PictureState {
        match &product.image_url {
            Some(url) => self.textures.get(ctx, self.images, url),
            None => PictureState::Unavailable,
        }
    }
}

const TEXT: Color32 = CARD_TEXT;
const WEAK_TEXT: Color32 = CARD_WEAK_TEXT;

/// Draws one card; clicking it (or Enter/Space when focused) reports a click.
pub fn card_ui(
    ui: &mut egui::Ui,
    product: &Product,
    show_tags: &[String],
    cx: &mut CardContext<'_>,
) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(vec2(CARD_WIDTH, CARD_HEIGHT), Sense::click());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &product.name));
    cx.note_card(&response);
    if !ui.is_rect_visible(rect) {
        return response;
    }
    let painter = card_frame(ui, rect, &response);

    let image_rect = Rect::from_min_size(rect.min + Vec2::splat(CARD_PADDING), IMAGE_BOX);
    let picture = cx.picture(ui.ctx(), product);
    picture_ui(&painter, image_rect, &picture, cx.texts, PictureOn::Card);
    stale_banner(&painter, image_rect, cx.stale.as_deref());

    let inner_width = CARD_WIDTH - 2.0 * CARD_PADDING;
    let mut y = image_rect.bottom() + 8.0;
    let x = rect.left() + CARD_PADDING;
    let name = clamped_galley(
        ui,
        &product.name,
        FontId::proportional(NAME_SIZE),
        TEXT,
        inner_width,
        2,
    );
    painter.galley(Pos2::new(x, y), name, TEXT);
    y += 2.0 * (NAME_SIZE + 4.0) + 4.0;

    y += price_ui(&painter, Pos2::new(x, y), product, cx) + 6.0;
    let badge = stock_badge(&painter, product.in_stock, cx.texts, BadgeSize::Regular);
    y += badge.draw(&painter, Pos2::new(x, y)) + 8.0;

    for (label, value) in shown_tags(product, show_tags, cx.texts).into_iter().take(3) {
        let line = clamped_galley(
            ui,
            &format!("{label}: {value}"),
            FontId::proportional(13.5),
            WEAK_TEXT,
            inner_width,
            1,
        );
        painter.galley(Pos2::new(x, y), line, WEAK_TEXT);
        y += 19.0;
    }
    response
}

/// The card's background and border (highlighted when hovered or focused);
/// returns a painter clipped to it.
fn card_frame(ui: &egui::Ui, rect: Rect, response: &egui::Response) -> egui::Painter {
    let highlight = response.hovered() || response.has_focus();
    let painter = ui.painter_at(rect.expand(2.0));
    let stroke = if highlight {
        Stroke::new(CARD_BORDER.1, ui.visuals().selection.stroke.color)
    } else {
        Stroke::new(CARD_BORDER.0, CARD_STROKE)
    };
    painter.rect(rect, CARD_RADIUS, CARD_FILL, stroke, StrokeKind::Inside);
    painter
}

/// A small card for the strip layout of small screens: square picture on
/// the left, name (two lines), price and stock on the right.
pub fn compact_card_ui(
    ui: &mut egui::Ui,
    product: &Product,
    height: f32,
    cx: &mut CardContext<'_>,
) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(vec2(COMPACT_CARD_WIDTH, height), Sense::click());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &product.name));
    cx.note_card(&response);
    if !ui.is_rect_visible(rect) {
        return response;
    }
    let painter = card_frame(ui, rect, &response);
    let pad = COMPACT_PADDING;
    let side = height - 2.0 * pad;
    let image_rect = Rect::from_min_size(rect.min + Vec2::splat(pad), Vec2::splat(side));
    let picture = cx.picture(ui.ctx(), product);
    picture_ui(&painter, image_rect, &picture, cx.texts, PictureOn::Card);
    stale_banner(&painter, image_rect, cx.stale.as_deref());
    let x = image_rect.right() + pad;
    let width = rect.right() - pad - x;
    let mut y = rect.top() + pad;
    let rows = if height >= 96.0 { 2 } else { 1 };
    let name = clamped_galley(
        ui,
        &product.name,
        FontId::proportional(14.0),
        TEXT,
        width,
        rows,
    );
    let name_height = name.size().y;
    painter.galley(Pos2::new(x, y), name, TEXT);
    y += name_height + 4.0;
    y += price_ui(&painter, Pos2::new(x, y), product, cx) + 1.0;
    // The smallest strips are tight: the badge sits inside the card's lower
    // edge, or is left out rather than cut by it.
    let badge = stock_badge(&painter, product.in_stock, cx.texts, BadgeSize::Compact);
    let badge_y = y.min(rect.bottom() - 3.0 - badge.height());
    if badge_y >= y - 3.0 {
        badge.draw(&painter, Pos2::new(x, badge_y));
    }
    response
}

/// A compact placeholder while the strip's answer is on its way.
pub fn compact_placeholder_ui(ui: &mut egui::Ui, height: f32) {
    let Some((painter, rect)) = placeholder_frame(ui, vec2(COMPACT_CARD_WIDTH, height)) else {
        return;
    };
    let side = height - 2.0 * COMPACT_PADDING;
    let image = Rect::from_min_size(rect.min + Vec2::splat(COMPACT_PADDING), Vec2::splat(side));
    painter.rect_filled(image, PICTURE_RADIUS, PLACEHOLDER);
}

/// Allocates a placeholder of `size` and draws its empty card; `None` when
/// it is out of view (nothing to draw).
fn placeholder_frame(ui: &mut egui::Ui, size: Vec2) -> Option<(egui::Painter, Rect)> {
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    if !ui.is_rect_visible(rect) {
        return None;
    }
    let painter = ui.painter().clone();
    painter.rect(
        rect,
        CARD_RADIUS,
        CARD_FILL,
        Stroke::new(CARD_BORDER.0, CARD_STROKE),
        StrokeKind::Inside,
    );
    Some((painter, rect))
}

/// A card-sized placeholder while the section's answer is on its way.
pub fn placeholder_card_ui(ui: &mut egui::Ui) {
    let Some((painter, rect)) = placeholder_frame(ui, vec2(CARD_WIDTH, CARD_HEIGHT)) else {
        return;
    };
    let image_rect = Rect::from_min_size(rect.min + Vec2::splat(CARD_PADDING), IMAGE_BOX);
    painter.rect_filled(image_rect, PICTURE_RADIUS, PLACEHOLDER);
    let x = rect.left() + CARD_PADDING;
    let mut y = image_rect.bottom() + 10.0;
    for width in [0.9, 0.6, 0.4, 0.35] {
        let bar = Rect::from_min_size(Pos2::new(x, y), vec2(IMAGE_BOX.x * width, 14.0));
        painter.rect_filled(bar, 4.0, PLACEHOLDER);
        y += 28.0;
    }
}

/// The "from 10:42, offline" band across the top of a card's picture.
fn stale_banner(painter: &egui::Painter, picture: Rect, mark: Option<&str>) {
    let Some(mark) = mark else {
        return;
    };
    let font = FontId::proportional(12.0);
    let galley = painter.layout(
        mark.to_string(),
        font,
        Color32::WHITE,
        picture.width() - 8.0,
    );
    let band = Rect::from_min_size(picture.min, vec2(picture.width(), galley.size().y + 6.0));
    painter.rect_filled(band, PICTURE_RADIUS, super::theme::STALE_BAND);
    painter.galley(band.min + vec2(4.0, 3.0), galley, Color32::WHITE);
}

/// Where a picture is drawn: what lies under it decides whether its
/// letterbox needs a white fill of its own.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PictureOn {
    /// A card, white already ([`CARD_FILL`]): another white layer would
    /// only cost a software rasteriser every one of its pixels again.
    Card,
    /// Anything else (the details, the customer's view).
    Window,
}

/// Draws a picture fitted into `rect`, a placeholder while loading, or a
/// neutral "no picture" box.
pub fn picture_ui(
    painter: &egui::Painter,
    rect: Rect,
    picture: &PictureState,
    t: &super::i18n::Texts,
    on: PictureOn,
) {
    match picture {
        PictureState::Loading => {
            painter.rect_filled(rect, PICTURE_RADIUS, PLACEHOLDER);
        }
        PictureState::Unavailable => {
            painter.rect_filled(rect, PICTURE_RADIUS, NO_PICTURE);
            let icon = Rect::from_center_size(rect.center() - vec2(0.0, 10.0), vec2(44.0, 34.0));
            painter.rect_stroke(
                icon,
                4.0,
                Stroke::new(2.0, NO_PICTURE_ICON),
                StrokeKind::Inside,
            );
            painter.circle_filled(icon.center() + vec2(-8.0, -5.0), 4.0, NO_PICTURE_ICON);
            painter.text(
                rect.center() + vec2(0.0, 24.0),
                Align2::CENTER_CENTER,
                t.no_picture,
                FontId::proportional(12.5),
                NO_PICTURE_TEXT,
            );
        }
        PictureState::Ready(texture) => {
            if on == PictureOn::Window || CARD_FILL != Color32::WHITE {
                painter.rect_filled(rect, PICTURE_RADIUS, Color32::WHITE);
            }
            let size = texture.size_vec2();
            let scale = (rect.width() / size.x).min(rect.height() / size.y);
            let fitted = Rect::from_center_size(rect.center(), size * scale);
            let uv = Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
            painter.image(texture.id(), fitted, uv, Color32::WHITE);
        }
    }
}

/// Text laid out to at most `rows` lines, ending in `…` when cut.
fn clamped_galley(
    ui: &egui::Ui,
    text: &str,
    font: FontId,
    color: Color32,
    width: f32,
    rows: usize,
) -> std::sync::Arc<egui::Galley> {
    let mut job = egui::text::LayoutJob::single_section(
        text.to_string(),
        egui::TextFormat::simple(font, color),
    );
    job.wrap = egui::text::TextWrapping {
        max_width: width,
        max_rows: rows,
        break_anywhere: false,
        overflow_character: Some('…'),
    };
    ui.painter().layout_job(job)
}

/// Price (and struck-through old price); returns the height used.
fn price_ui(painter: &egui::Painter, at: Pos2, product: &Product, cx: &CardContext<'_>) -> f32 {
    let currency = cx.currency;
    let Some(price) = product.price else {
        painter.text(
            at,
            Align2::LEFT_TOP,
            cx.texts.price_on_request,
            FontId::proportional(15.0),
            WEAK_TEXT,
        );
        return 22.0;
    };
    let price_rect = painter.text(
        at,
        Align2::LEFT_TOP,
        format_price(price, currency),
        FontId::proportional(PRICE_SIZE),
        TEXT,
    );
    if let Some(old) = product.discounted_from() {
        let old_at = Pos2::new(price_rect.right() + 8.0, at.y + 5.0);
        let old_rect = painter.text(
            old_at,
            Align2::LEFT_TOP,
            format_price(old, currency),
            FontId::proportional(13.0),
            WEAK_TEXT,
        );
        let mid = old_rect.center().y;
        painter.line_segment(
            [
                Pos2::new(old_rect.left(), mid),
                Pos2::new(old_rect.right(), mid),
            ],
            Stroke::new(1.2, WEAK_TEXT),
        );
    }
    price_rect.height().max(24.0)
}

/// Text and colour of the stock badge.
pub fn stock_label(in_stock: Option<bool>, t: &super::i18n::Texts) -> (&'static str, Color32) {
    match in_stock {
        Some(true) => (t.in_stock, IN_STOCK),
        Some(false) => (t.out_of_stock, OUT_OF_STOCK),
        None => (t.stock_unknown, STOCK_UNKNOWN),
    }
}

/// How large a stock badge is drawn.
#[derive(Clone, Copy)]
enum BadgeSize {
    /// On a full card.
    Regular,
    /// On a compact card of the strip layout.
    Compact,
}

/// A stock badge laid out, ready to draw.
struct StockBadge {
    galley: std::sync::Arc<egui::Galley>,
    color: Color32,
    padding: Vec2,
}

impl StockBadge {
    fn height(&self) -> f32 {
        self.galley.size().y + 2.0 * self.padding.y
    }

    /// Draws the badge at `at`; returns the height used.
    fn draw(self, painter: &egui::Painter, at: Pos2) -> f32 {
        let rect = Rect::from_min_size(at, self.galley.size() + 2.0 * self.padding);
        painter.rect_filled(rect, rect.height() / 2.0, self.color);
        painter.galley(at + self.padding, self.galley, Color32::WHITE);
        rect.height()
    }
}

/// The stock badge for `in_stock`, laid out at `size`.
fn stock_badge(
    painter: &egui::Painter,
    in_stock: Option<bool>,
    t: &super::i18n::Texts,
    size: BadgeSize,
) -> StockBadge {
    let (text, color) = stock_label(in_stock, t);
    let (font, padding) = match size {
        BadgeSize::Regular => BADGE,
        BadgeSize::Compact => COMPACT_BADGE,
    };
    let galley =
        painter.layout_no_wrap(text.to_string(), FontId::proportional(font), Color32::WHITE);
    StockBadge {
        galley,
        color,
        padding,
    }
}

/// The selected tags present on the product, as (label, value) pairs.
pub fn shown_tags(
    product: &Product,
    show_tags: &[String],
    t: &super::i18n::Texts,
) -> Vec<(String, String)> {
    show_tags
        .iter()
        .filter_map(|name| {
            let value = tag_text(product.tags.get(name)?);
            (!value.is_empty()).then(|| (tag_label(name, t), value))
        })
        .collect()
}

/// A readable label for a tag name: `clear_size` → `Size`.
pub fn tag_label(name: &str, t: &super::i18n::Texts) -> String {
    match name {
        "clear_size" | "universal_size" | "size" => t.size.into(),
        "color" | "colour" => t.colour.into(),
        "gender" => t.gender.into(),
        "material" => t.material.into(),
        other => {
            let spaced = other.replace('_', " ");
            let mut chars = spaced.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
                .unwrap_or_default()
        }
    }
}
