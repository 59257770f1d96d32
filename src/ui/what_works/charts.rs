//! The report's charts: plots that stay put, labelled with the report's
//! own words and numbers, and a one-line empty state where a chart would
//! have nothing to draw (egui_plot would draw a meaningless -3..3 axis).

use egui::RichText;
use egui_plot::{HoverPosition, Plot};

/// How a chart's y values are written (money, or a plain rate).
pub type YFormat = std::sync::Arc<dyn Fn(f64) -> String + Send + Sync>;

/// A plot that stays put (no drag, zoom or scroll), its x axis labelled at
/// 0, 1, 2… with `labels`, its y axis from 0 and written with `y`, as is
/// the value under the pointer.
pub fn fixed_plot(id: &str, height: f32, labels: Vec<String>, y: YFormat) -> Plot<'static> {
    let hover_labels = labels.clone();
    let (axis_y, hover_y) = (y.clone(), y);
    Plot::new(id)
        .height(height)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .include_y(0.0)
        .y_axis_min_width(64.0)
        .x_axis_formatter(move |mark, _range| label_at(&labels, mark.value).unwrap_or_default())
        .y_axis_formatter(move |mark, _range| axis_y(mark.value))
        .label_formatter(move |position| match position {
            HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => {
                let at = label_at(&hover_labels, position.x).unwrap_or_default();
                Some(format!("{plot_name}\n{at}: {}", hover_y(position.y)))
            }
            HoverPosition::Elsewhere { .. } => None,
        })
}

/// The label of whole x positions (`None` between them).
fn label_at(labels: &[String], x: f64) -> Option<String> {
    let i = x.round();
    ((x - i).abs() < 1e-6 && i >= 0.0)
        .then(|| labels.get(i as usize).cloned())
        .flatten()
}

/// A chart's title.
pub fn chart_title(ui: &mut egui::Ui, title: &str) {
    ui.label(RichText::new(title).strong());
}

/// One line where a chart would be empty.
pub fn empty_chart(ui: &mut egui::Ui, text: &str) {
    ui.label(RichText::new(text).weak().italics());
}

/// True when there is nothing a chart of `values` could show: none, or all
/// zero.
pub fn nothing_to_draw(values: impl IntoIterator<Item = f64>) -> bool {
    values.into_iter().all(|v| v == 0.0 || !v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_only_at_whole_positions() {
        let labels = vec!["a".to_string(), "b".to_string()];
        assert_eq!(label_at(&labels, 1.0).as_deref(), Some("b"));
        assert_eq!(label_at(&labels, 0.5), None);
        assert_eq!(label_at(&labels, 2.0), None);
        assert_eq!(label_at(&labels, -1.0), None);
        assert!(nothing_to_draw([]));
        assert!(nothing_to_draw([0.0, 0.0]));
        assert!(!nothing_to_draw([0.0, 3.0]));
    }
}
