//! Raw cashier input → a typed customer [`Identifier`].
//!
//! One input field takes a discount card number, a phone number or an email.
//! This module decides which one it is (or obeys a forced kind), normalises it
//! to what the Yespo API expects, and makes sure the value can only be shown
//! masked: `Display` and `Debug` of an [`Identifier`] never print the raw value.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What kind of customer identifier the cashier entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentifierKind {
    /// A discount / loyalty card number (sent as `externalCustomerId` or `contactId`).
    Card,
    /// A phone number, normalised to digits with country code.
    Phone,
    /// An email address.
    Email,
}

impl IdentifierKind {
    /// All kinds, in the order the selector shows them.
    pub const ALL: [IdentifierKind; 3] = [Self::Card, Self::Phone, Self::Email];

    /// Lower-case name as used in JSON output (`card`, `phone`, `email`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::Phone => "phone",
            Self::Email => "email",
        }
    }
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A normalised customer identifier. Personal data: `Display`/`Debug` mask it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Identifier {
    kind: IdentifierKind,
    value: String,
}

impl Identifier {
    /// The kind of identifier.
    pub fn kind(&self) -> IdentifierKind {
        self.kind
    }

    /// The normalised raw value. Only for the request itself and the CLI's
    /// JSON result; never for logs or error messages.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The value masked for logs and screens, e.g. `380*****4567`.
    pub fn masked(&self) -> String {
        mask(self.kind, &self.value)
    }

    /// True when `text` carries this identifier in any of its usual forms:
    /// as sent, URL-encoded, in any case, with spaces, dashes, dots or
    /// brackets between its characters, and for a phone its national
    /// number alone (`067…` as well as `+380…`). For keeping text that
    /// must carry nobody's data (answers shared between customers).
    pub fn appears_in(&self, text: &str) -> bool {
        let text = text.to_lowercase();
        let mut forms = vec![self.value.to_lowercase()];
        match self.kind {
            IdentifierKind::Phone => {
                if let Ok(number) = phonenumber::parse(None, format!("+{}", self.value)) {
                    forms.push(number.national().value().to_string());
                }
            }
            IdentifierKind::Email => forms.push(self.value.to_lowercase().replace('@', "%40")),
            IdentifierKind::Card => {}
        }
        // A form shorter than this would match by chance (prices, ids).
        forms.retain(|form| form.len() >= 6);
        let squeezed: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '_'))
            .collect();
        forms.iter().any(|form| {
            let squeezed_form: String = form
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '_'))
                .collect();
            text.contains(form.as_str()) || squeezed.contains(squeezed_form.as_str())
        })
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.masked())
    }
}

impl fmt::Debug for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identifier({} {})", self.kind, self.masked())
    }
}

/// Why an input is not a usable card, phone or email, as a variant a
/// translation can match on. `Display` gives the English sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    /// "it contains letters".
    #[error("it contains letters")]
    Letters,
    /// "it contains unexpected characters".
    #[error("it contains unexpected characters")]
    UnexpectedCharacters,
    /// "'+' may only stand at the start".
    #[error("'+' may only stand at the start")]
    PlusNotAtStart,
    /// "it has no digits".
    #[error("it has no digits")]
    NoDigits,
    /// "too few digits".
    #[error("too few digits")]
    TooFewDigits,
    /// "too many digits".
    #[error("too many digits")]
    TooManyDigits,
    /// "it is not a phone number".
    #[error("it is not a phone number")]
    NotAPhoneNumber,
    /// "it is not a valid number for its country".
    #[error("it is not a valid number for its country")]
    NotValidForCountry,
    /// "only digits and letters are allowed".
    #[error("only digits and letters are allowed")]
    OnlyDigitsAndLetters,
    /// "too short".
    #[error("too short")]
    TooShort,
    /// "too long".
    #[error("too long")]
    TooLong,
    /// "it contains spaces".
    #[error("it contains spaces")]
    Spaces,
    /// "it has no '@'".
    #[error("it has no '@'")]
    NoAt,
    /// "it needs exactly one '@' with a name before it".
    #[error("it needs exactly one '@' with a name before it")]
    OneAt,
    /// "the part after '@' is not a domain".
    #[error("the part after '@' is not a domain")]
    NotADomain,
    /// "this shop's cards are numbers only".
    #[error("this shop's cards are numbers only")]
    NumbersOnly,
}

/// Why an input cannot be used as a customer identifier. Messages are meant
/// for a cashier and never contain the input itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifyError {
    /// Nothing (or only spaces) was entered.
    #[error("enter a card number, phone number or email")]
    Empty,
    /// The phone number is not usable; the reason says why.
    #[error("not a valid phone number: {0}")]
    BadPhone(Reason),
    /// The email is not usable.
    #[error("not a valid email address: {0}")]
    BadEmail(Reason),
    /// The card number is not usable.
    #[error("not a valid card number: {0}")]
    BadCard(Reason),
}

/// Turns raw input into an identifier.
///
/// `forced` overrides detection (the cashier's selector); `default_country_code`
/// (digits, e.g. `380`) completes phones typed without one.
pub fn identify(
    raw: &str,
    forced: Option<IdentifierKind>,
    default_country_code: &str,
) -> Result<Identifier, IdentifyError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(IdentifyError::Empty);
    }
    let kind = forced.unwrap_or_else(|| detect_kind(raw, default_country_code));
    let value = match kind {
        IdentifierKind::Card => normalize_card(raw)?,
        IdentifierKind::Phone => normalize_phone(raw, default_country_code)?,
        IdentifierKind::Email => normalize_email(raw)?,
    };
    Ok(Identifier { kind, value })
}

/// Which identifiers this till accepts and how they are read, built once
/// from the configuration: one call decides, for the window, the CLI and
/// the POS link alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Country code for phones typed without one.
    pub default_country_code: String,
    /// Cards go to the API as the numeric `contactId`: letters are refused.
    pub numeric_cards_only: bool,
}

impl Rules {
    /// The rules a configuration implies.
    pub fn from_config(config: &crate::config::Config) -> Self {
        use crate::config::CardField;
        Self {
            default_country_code: config.yespo.default_country_code.clone(),
            numeric_cards_only: config.yespo.card_identifies_as == CardField::ContactId
                && !config.yespo.auth.token_flow(),
        }
    }

    /// Reads raw input as a customer this account can be asked about.
    pub fn identify(
        &self,
        raw: &str,
        forced: Option<IdentifierKind>,
    ) -> Result<Identifier, IdentifyError> {
        let ident = identify(raw, forced, &self.default_country_code)?;
        if ident.kind == IdentifierKind::Card
            && self.numeric_cards_only
            && !ident.value.chars().all(|c| c.is_ascii_digit())
        {
            return Err(IdentifyError::BadCard(Reason::NumbersOnly));
        }
        Ok(ident)
    }
}

/// The made-up customer used to test the account (`check`, Test connection,
/// the health probe): nobody has this address, so the sources answer
/// without touching a real customer.
pub fn account_probe() -> Identifier {
    Identifier {
        kind: IdentifierKind::Email,
        value: "account-check@pos-recs.invalid".into(),
    }
}

mod normalize;

pub use normalize::{detect_kind, mask, normalize_card, normalize_email, normalize_phone};

#[cfg(test)]
mod tests {
    use super::normalize::PHONE_DIGITS;
    use super::*;
    use proptest::prelude::*;

    fn phone(raw: &str) -> Result<String, IdentifyError> {
        normalize_phone(raw, "380")
    }

    #[test]
    fn phone_formats_normalise_to_the_same_digits() {
        for raw in [
            "+38 (067) 123-45-67",
            "+380671234567",
            "067 123 4567",
            "0671234567",
            "380671234567",
            "00380671234567",
            "671234567",
            "(067) 123-45-67",
            "067.123.45.67",
        ] {
            assert_eq!(phone(raw).as_deref(), Ok("380671234567"), "input {raw:?}");
        }
    }

    #[test]
    fn phones_from_other_countries_keep_their_code() {
        assert_eq!(phone("+48 601 234 567").as_deref(), Ok("48601234567"));
        assert_eq!(phone("+1 (415) 555-0100").as_deref(), Ok("14155550100"));
    }

    #[test]
    fn phones_of_five_countries_follow_their_own_rules() {
        // (till's country code, as typed, expected E.164 digits)
        for (code, typed, want) in [
            ("380", "067 123 4567", "380671234567"),
            ("380", "671234567", "380671234567"),
            ("7", "8 701 123 4567", "77011234567"),
            ("7", "+7 (701) 123-45-67", "77011234567"),
            ("373", "069 123 456", "37369123456"),
            ("48", "601 234 567", "48601234567"),
            ("49", "0151 23456789", "4915123456789"),
            ("1", "(415) 555-2671", "14155552671"),
        ] {
            assert_eq!(phone_in(typed, code).as_deref(), Ok(want), "{code} {typed}");
            assert_eq!(
                detect_kind(typed, code),
                IdentifierKind::Phone,
                "{code} {typed}"
            );
        }
        // A Polish number has no trunk 0; a Moldovan one is 8 digits.
        assert!(phone_in("0601 234 567", "48").is_err());
        assert!(phone_in("069 123 45", "373").is_err());
    }

    fn phone_in(raw: &str, code: &str) -> Result<String, IdentifyError> {
        normalize_phone(raw, code)
    }

    #[test]
    fn bad_phones_are_refused_with_a_reason() {
        assert!(matches!(phone("067-ABC"), Err(IdentifyError::BadPhone(_))));
        assert!(matches!(phone("12"), Err(IdentifyError::BadPhone(_))));
        assert!(matches!(
            phone("+1234567890123456789"),
            Err(IdentifyError::BadPhone(_))
        ));
        assert!(matches!(
            phone("38+0671234567"),
            Err(IdentifyError::BadPhone(_))
        ));
        assert!(matches!(phone("+"), Err(IdentifyError::BadPhone(_))));
    }

    #[test]
    fn detection_tells_cards_phones_and_emails_apart() {
        let kind = |raw| detect_kind(raw, "380");
        assert_eq!(kind("olena@example.com"), IdentifierKind::Email);
        assert_eq!(kind("+38 (067) 123-45-67"), IdentifierKind::Phone);
        assert_eq!(kind("0671234567"), IdentifierKind::Phone);
        assert_eq!(kind("380671234567"), IdentifierKind::Phone);
        assert_eq!(kind("067 123 4567"), IdentifierKind::Phone);
        assert_eq!(kind("2000123456789"), IdentifierKind::Card);
        assert_eq!(kind("12345678"), IdentifierKind::Card);
        assert_eq!(kind("CARD0042"), IdentifierKind::Card);
    }

    #[test]
    fn forced_kind_wins_over_detection() {
        let id = identify("0671234567", Some(IdentifierKind::Card), "380").unwrap();
        assert_eq!(id.kind(), IdentifierKind::Card);
        assert_eq!(id.value(), "0671234567");
    }

    #[test]
    fn emails_are_checked_and_domain_lowercased() {
        assert_eq!(
            normalize_email(" Olena@Example.COM ").as_deref(),
            Ok("Olena@example.com")
        );
        for bad in [
            "olena",
            "@example.com",
            "olena@example",
            "a@b@c.com",
            "o lena@x.com",
            "a@.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn cards_are_cleaned_and_bounded() {
        assert_eq!(
            normalize_card("2000 1234-5678").as_deref(),
            Ok("200012345678")
        );
        assert!(normalize_card("12").is_err());
        assert!(normalize_card("1234;DROP").is_err());
    }

    #[test]
    fn display_and_debug_never_show_the_raw_value() {
        let id = identify("+38 (067) 123-45-67", None, "380").unwrap();
        assert_eq!(id.masked(), "380*****4567");
        assert!(!format!("{id}").contains("380671234567"));
        assert!(!format!("{id:?}").contains("380671234567"));
        let email = identify("olena.k@example.com", None, "380").unwrap();
        assert_eq!(email.masked(), "o******@example.com");
        let card = identify("2000123456789", None, "380").unwrap();
        assert_eq!(card.masked(), "*********6789");
    }

    #[test]
    fn rules_from_the_config_refuse_letters_when_cards_are_contact_ids() {
        let mut config = crate::config::Config::default();
        config.yespo.card_identifies_as = crate::config::CardField::ContactId;
        let rules = Rules::from_config(&config);
        assert!(matches!(
            rules.identify("CARD0042", Some(IdentifierKind::Card)),
            Err(IdentifyError::BadCard(_))
        ));
        assert!(
            rules
                .identify("20001234", Some(IdentifierKind::Card))
                .is_ok()
        );
        config.yespo.card_identifies_as = crate::config::CardField::ExternalCustomerId;
        assert!(
            Rules::from_config(&config)
                .identify("CARD0042", None)
                .is_ok()
        );
    }

    #[test]
    fn empty_input_is_an_error_not_a_lookup() {
        assert_eq!(identify("   ", None, "380"), Err(IdentifyError::Empty));
    }

    #[test]
    fn an_identifier_is_found_in_its_usual_forms_and_only_there() {
        let phone = identify("067 123 4567", None, "380").unwrap();
        for text in [
            "utm_content=380671234567",
            "tel:+380671234567",
            "call 067 123 45 67",
            "p?c=067-123-45-67",
            "%2B380671234567",
        ] {
            assert!(phone.appears_in(text), "{text}");
        }
        for text in ["price 671.23", "SKU-4567", "380671234568"] {
            assert!(!phone.appears_in(text), "{text}");
        }
        let email = identify("Olena.K@Example.com", None, "380").unwrap();
        assert!(email.appears_in("ref=OLENA.K%40EXAMPLE.COM"));
        assert!(email.appears_in("\"email\":\"olena.k@example.com\""));
        assert!(!email.appears_in("olena@example.com"));
        let card = identify("2000123456789", None, "380").unwrap();
        assert!(card.appears_in("card=2000 1234 5678 9"));
        assert!(!card.appears_in("card=2000123456780"));
    }

    proptest! {
        /// Any way of writing the same national number gives the same result.
        #[test]
        fn formatting_does_not_change_the_number(
            operator in prop::sample::select(vec!["50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"]),
            n in 1_000_000u64..9_999_999,
            style in 0usize..5,
        ) {
            let d = format!("{operator}{n}");
            let written = match style {
                0 => format!("0{d}"),
                1 => format!("+380 {} {} {}", &d[..2], &d[2..5], &d[5..]),
                2 => format!("(0{}) {}-{}-{}", &d[..2], &d[2..5], &d[5..7], &d[7..]),
                3 => format!("00380{d}"),
                _ => format!("380{d}"),
            };
            prop_assert_eq!(normalize_phone(&written, "380").unwrap(), format!("380{d}"));
        }

        /// The normaliser never panics and its output is digits only, within E.164 length.
        #[test]
        fn normaliser_output_is_always_plain_digits(raw in "\\PC{0,40}") {
            if let Ok(out) = normalize_phone(&raw, "380") {
                prop_assert!(out.chars().all(|c| c.is_ascii_digit()));
                prop_assert!(PHONE_DIGITS.contains(&out.len()));
            }
        }

        /// Masking never reveals more than the last four digits plus the country code.
        #[test]
        fn masked_phone_hides_the_middle(n in 100_000_000u64..999_999_999) {
            let value = format!("380{n}");
            let masked = mask(IdentifierKind::Phone, &value);
            prop_assert_eq!(masked.len(), value.len());
            prop_assert!(!masked.contains(&value[3..8]));
        }

        /// After the country code, at least half of the digits are hidden,
        /// whatever the country and length.
        #[test]
        fn masks_hide_at_least_half_after_the_country_code(
            code in prop::sample::select(vec!["1", "7", "44", "48", "356", "373", "380"]),
            rest in "[0-9]{4,12}",
        ) {
            let value = format!("{code}{rest}");
            let masked = mask(IdentifierKind::Phone, &value);
            let hidden = masked.chars().filter(|c| *c == '*').count();
            prop_assert!(hidden * 2 >= rest.len(), "{} -> {}", value, masked);
        }
    }

    #[test]
    fn a_short_maltese_number_is_mostly_hidden() {
        // +356 2123 4: the review saw `356*1234`, seven of eight digits.
        assert_eq!(mask(IdentifierKind::Phone, "35621234"), "356***34");
        // One-digit country codes are not taken for three.
        assert_eq!(mask(IdentifierKind::Phone, "16502530000"), "1******0000");
    }
}
