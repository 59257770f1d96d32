//! How the report writes its numbers: money in the till's currency, grouped
//! as that currency's locale groups digits (as the cards' prices are),
//! counts grouped the same way, and percentages with the language's decimal
//! separator. The CSV export keeps plain numbers.

use crate::money::{format_price, format_signed, format_whole, group_digits};

/// The report's number formats.
#[derive(Debug, Clone, PartialEq)]
pub struct Numbers {
    currency: String,
    decimal: char,
}

impl Numbers {
    /// Numbers for `currency` (an ISO code), percentages and rates with
    /// `decimal` as the separator.
    pub fn new(currency: &str, decimal: char) -> Self {
        Self {
            currency: currency.to_string(),
            decimal,
        }
    }

    /// An amount: `115 831,00 ₴`.
    pub fn money(&self, amount: f64) -> String {
        format_price(amount, &self.currency)
    }

    /// A difference of money: `+1 087,56 ₴`.
    pub fn signed_money(&self, amount: f64) -> String {
        format_signed(amount, &self.currency)
    }

    /// An axis mark: whole units, `30 000 ₴`.
    pub fn axis_money(&self, amount: f64) -> String {
        format_whole(amount, &self.currency)
    }

    /// A count: `1 434`.
    pub fn count(&self, count: u64) -> String {
        group_digits(count, &self.currency)
    }

    /// A quantity: whole numbers as counts, others with two decimals.
    pub fn quantity(&self, quantity: f64) -> String {
        if quantity.fract() == 0.0 && (0.0..1e15).contains(&quantity) {
            self.count(quantity as u64)
        } else {
            self.decimals(quantity, 2)
        }
    }

    /// A rate or a small figure: `2.35` (`2,35` in Ukrainian).
    pub fn decimals(&self, value: f64, places: usize) -> String {
        format!("{value:.places$}").replace('.', &self.decimal.to_string())
    }

    /// A share, 0–1, as a whole percentage: `98 %`.
    pub fn percent(&self, share: f64) -> String {
        format!("{:.0}\u{a0}%", share * 100.0)
    }

    /// A relative difference with its sign: `0.439` → `+43.9 %`.
    pub fn signed_percent(&self, fraction: f64) -> String {
        let text = format!("{:+.1}\u{a0}%", fraction * 100.0);
        text.replace('.', &self.decimal.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: String) -> String {
        s.replace(['\u{202f}', '\u{a0}'], " ")
    }

    #[test]
    fn the_report_writes_numbers_as_the_till_does() {
        let uk = Numbers::new("UAH", ',');
        assert_eq!(plain(uk.money(115_831.0)), "115 831,00 ₴");
        assert_eq!(plain(uk.signed_money(1087.56)), "+1 087,56 ₴");
        assert_eq!(plain(uk.axis_money(30_000.0)), "30 000 ₴");
        assert_eq!(plain(uk.count(1434)), "1 434");
        assert_eq!(plain(uk.signed_percent(0.439)), "+43,9 %");
        assert_eq!(plain(uk.signed_percent(-0.0378)), "-3,8 %");
        assert_eq!(uk.decimals(2.346, 2), "2,35");
        let us = Numbers::new("USD", '.');
        assert_eq!(us.money(115_831.0), "$115,831.00");
        assert_eq!(us.quantity(1434.0), "1,434");
        assert_eq!(us.quantity(1.5), "1.50");
        assert_eq!(plain(us.percent(0.981)), "98 %");
    }
}
