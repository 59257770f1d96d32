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
    let s = style(currency);
    let cents = (amount.abs() * 100.0).round();
    // Prices beyond this are nonsense from a feed; show them plainly.
    if !cents.is_finite() || cents > 1e15 {
        return format!("{amount} {currency}");
    }
    let cents = cents as u64;
    let (units, minor) = (cents / 100, cents % 100);
    let digits = units.to_string();
    let mut grouped = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push_str(s.group);
        }
        grouped.push(d);
    }
    let sign = if amount < 0.0 && cents > 0 { "-" } else { "" };
    let number = format!("{sign}{grouped}{}{minor:02}", s.decimal);
    match (s.symbol, s.symbol_first) {
        ("", _) => format!("{number} {}", currency.to_ascii_uppercase()),
        (sym, true) => format!("{sign}{sym}{}", &number[sign.len()..]),
        (sym, false) => format!("{number}\u{a0}{sym}"),
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
}
