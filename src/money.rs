//! Prices as people at the till read them: per currency, grouped, with the
//! right symbol, computed in minor units so no floating-point artefacts
//! (`1299.9999999` → `1 300,00 ₴`) reach the screen.

/// How one currency is written.
struct Style {
    symbol: &'static str,
    symbol_first: bool,
    group: &'static str,
    decimal: char,
}

fn style(currency: &str) -> Style {
    let (symbol, symbol_first, group, decimal) = match currency.to_ascii_uppercase().as_str() {
        "UAH" => ("₴", false, "\u{202f}", ','),
        "USD" => ("$", true, ",", '.'),
        "GBP" => ("£", true, ",", '.'),
        "EUR" => ("€", false, "\u{202f}", ','),
        "PLN" => ("zł", false, "\u{202f}", ','),
        "CZK" => ("Kč", false, "\u{202f}", ','),
        _ => ("", false, "\u{202f}", '.'),
    };
    Style {
        symbol,
        symbol_first,
        group,
        decimal,
    }
}

/// Formats an amount: `format_price(1299.0, "UAH")` → `1 299,00 ₴`,
/// `format_price(1299.0, "USD")` → `$1,299.00`; unknown codes are appended.
pub fn format_price(amount: f64, currency: &str) -> String {
    format_money(amount, currency, Sign::Minus, Minor::Cents)
}

/// A difference of money, always with its sign: `+1 087,56 ₴`, `-$3.50`.
pub fn format_signed(amount: f64, currency: &str) -> String {
    format_money(amount, currency, Sign::Always, Minor::Cents)
}

/// Whole units, for a chart's axis: `30 000 ₴`, `$30,000`.
pub fn format_whole(amount: f64, currency: &str) -> String {
    format_money(amount, currency, Sign::Minus, Minor::None)
}

/// Digits grouped as `currency`'s locale does: `12 480` for UAH, `12,480`
/// for USD; for counts beside money.
pub fn group_digits(count: u64, currency: &str) -> String {
    grouped(&count.to_string(), style(currency).group)
}

/// Which sign is written.
#[derive(Clone, Copy, PartialEq)]
enum Sign {
    /// Only a minus.
    Minus,
    /// `+` or `-` (a difference).
    Always,
}

/// Whether the minor units are written.
#[derive(Clone, Copy, PartialEq)]
enum Minor {
    Cents,
    None,
}

/// `digits` with `separator` between each three from the right.
fn grouped(digits: &str, separator: &str) -> String {
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(separator);
        }
        out.push(d);
    }
    out
}

fn format_money(amount: f64, currency: &str, sign: Sign, minor: Minor) -> String {
    let s = style(currency);
    let scale = if minor == Minor::Cents { 100.0 } else { 1.0 };
    let scaled = (amount.abs() * scale).round();
    // Prices beyond this are nonsense from a feed; show them plainly.
    if !scaled.is_finite() || scaled > 1e15 {
        return format!("{amount} {currency}");
    }
    let scaled = scaled as u64;
    let number = match minor {
        Minor::Cents => format!(
            "{}{}{:02}",
            grouped(&(scaled / 100).to_string(), s.group),
            s.decimal,
            scaled % 100
        ),
        Minor::None => grouped(&scaled.to_string(), s.group),
    };
    let sign = match (amount < 0.0 && scaled > 0, sign) {
        (true, _) => "-",
        (false, Sign::Always) if scaled > 0 => "+",
        _ => "",
    };
    match (s.symbol, s.symbol_first) {
        ("", _) => format!("{sign}{number} {}", currency.to_ascii_uppercase()),
        (sym, true) => format!("{sign}{sym}{number}"),
        (sym, false) => format!("{sign}{number}\u{a0}{sym}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: String) -> String {
        s.replace(['\u{202f}', '\u{a0}'], " ")
    }

    #[test]
    fn currencies_are_written_as_locals_read_them() {
        assert_eq!(plain(format_price(1299.0, "UAH")), "1 299,00 ₴");
        assert_eq!(format_price(1299.0, "USD"), "$1,299.00");
        assert_eq!(format_price(1234567.5, "GBP"), "£1,234,567.50");
        assert_eq!(plain(format_price(19.9, "EUR")), "19,90 €");
        assert_eq!(plain(format_price(5.0, "CHF")), "5.00 CHF");
        assert_eq!(format_price(-3.5, "USD"), "-$3.50");
    }

    #[test]
    fn no_floating_point_artefacts() {
        assert_eq!(plain(format_price(1299.9999999, "UAH")), "1 300,00 ₴");
        assert_eq!(format_price(0.1 + 0.2, "USD"), "$0.30");
        assert_eq!(format_price(f64::MAX, "USD"), format!("{} USD", f64::MAX));
    }

    #[test]
    fn differences_axes_and_counts() {
        assert_eq!(plain(format_signed(1087.555, "UAH")), "+1 087,56 ₴");
        assert_eq!(format_signed(-3.5, "USD"), "-$3.50");
        assert_eq!(format_signed(0.001, "USD"), "$0.00");
        assert_eq!(plain(format_whole(30000.0, "UAH")), "30 000 ₴");
        assert_eq!(format_whole(-1234.4, "USD"), "-$1,234");
        assert_eq!(plain(format_whole(999.6, "CHF")), "1 000 CHF");
        assert_eq!(plain(group_digits(1_234_567, "EUR")), "1 234 567");
        assert_eq!(group_digits(12, "USD"), "12");
    }
}
