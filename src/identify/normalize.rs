//! How raw input becomes one kind's normal form: telling cards, phones and
//! emails apart, libphonenumber's parsing and validation, the card and
//! email shape checks, and the masks for logs and screens.

use super::{IdentifierKind, IdentifyError, Reason};

/// Shortest and longest phone numbers accepted, in digits with country code (E.164 allows 15).
pub(super) const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 8..=15;
/// Card numbers: from short store cards to long barcodes.
const CARD_LEN: std::ops::RangeInclusive<usize> = 4..=32;

/// Guesses the kind of a non-empty, trimmed input.
///
/// `@` means email. A leading `+`, brackets, or a digits-only number that is
/// a valid phone number of the till's country (libphonenumber's rules:
/// national with or without its trunk prefix, or with the country code)
/// means phone. Short numbers written with separators (`123-45`) are taken
/// for phones too, so the cashier is told what is wrong with them. Anything
/// else is a card: scanners send cards as plain digits or letters.
pub fn detect_kind(raw: &str, default_country_code: &str) -> IdentifierKind {
    let raw = raw.trim();
    if raw.contains('@') {
        return IdentifierKind::Email;
    }
    if raw.starts_with('+') || raw.contains('(') || raw.contains(')') {
        return IdentifierKind::Phone;
    }
    let only_phone_chars = raw
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.'));
    if !only_phone_chars {
        return IdentifierKind::Card;
    }
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let separated = raw.contains([' ', '-', '.']);
    let valid_phone = parse_phone(&digits, default_country_code).is_ok_and(|n| n.is_valid());
    if valid_phone || (separated && digits.len() <= 12) {
        IdentifierKind::Phone
    } else {
        IdentifierKind::Card
    }
}

/// Digits of the country calling code at the start of an international
/// number (libphonenumber's table; 3 when the number is not recognised,
/// which hides more rather than less).
fn country_code_len(international: &str) -> usize {
    phonenumber::parse(None, format!("+{international}"))
        .map(|n| n.code().value().to_string().len())
        .unwrap_or(3)
}

/// The region whose numbering rules apply to phones typed without a
/// country code (the first region of the calling code: `380` → UA,
/// `7` → RU, whose trunk prefix and lengths Kazakhstan shares).
fn home_region(default_country_code: &str) -> Option<phonenumber::country::Id> {
    let code: u16 = default_country_code.parse().ok()?;
    let regions = phonenumber::metadata::DATABASE.region(&code)?;
    regions.first()?.parse().ok()
}

/// Parses with libphonenumber: international when written with `+` or
/// `00`, otherwise by the home country's rules.
fn parse_phone(
    text: &str,
    default_country_code: &str,
) -> Result<phonenumber::PhoneNumber, phonenumber::ParseError> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if text.trim_start().starts_with('+') {
        return phonenumber::parse(None, format!("+{digits}"));
    }
    if let Some(rest) = digits.strip_prefix("00") {
        return phonenumber::parse(None, format!("+{rest}"));
    }
    phonenumber::parse(home_region(default_country_code), &digits)
}

/// Normalises a phone number to digits with country code, no `+`
/// (E.164 without the plus), using libphonenumber's metadata for parsing
/// and validation.
///
/// Accepts `+38 (067) 123-45-67`, `0038…`, `067 123 4567`, `671234567` and
/// `380671234567` for a Ukrainian till, `8 701 123 4567` for a Kazakh one,
/// `601 234 567` for a Polish one.
pub fn normalize_phone(raw: &str, default_country_code: &str) -> Result<String, IdentifyError> {
    let raw = raw.trim();
    if raw.chars().any(|c| c.is_alphabetic()) {
        return Err(IdentifyError::BadPhone(Reason::Letters));
    }
    if raw
        .chars()
        .any(|c| !(c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.' | '/')))
    {
        // Never echo input characters back: they may be personal data.
        return Err(IdentifyError::BadPhone(Reason::UnexpectedCharacters));
    }
    if raw.matches('+').count() > 1 || (raw.contains('+') && !raw.starts_with('+')) {
        return Err(IdentifyError::BadPhone(Reason::PlusNotAtStart));
    }
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return Err(IdentifyError::BadPhone(Reason::NoDigits));
    }
    if digits.len() < *PHONE_DIGITS.start() - 2 {
        return Err(IdentifyError::BadPhone(Reason::TooFewDigits));
    }
    if digits.len() > *PHONE_DIGITS.end() + 2 {
        return Err(IdentifyError::BadPhone(Reason::TooManyDigits));
    }
    let number = parse_phone(raw, default_country_code)
        .map_err(|_| IdentifyError::BadPhone(Reason::NotAPhoneNumber))?;
    if !number.is_valid() {
        return Err(IdentifyError::BadPhone(Reason::NotValidForCountry));
    }
    let e164 = phonenumber::format(&number)
        .mode(phonenumber::Mode::E164)
        .to_string();
    let full: String = e164.chars().filter(char::is_ascii_digit).collect();
    if !PHONE_DIGITS.contains(&full.len()) {
        return Err(IdentifyError::BadPhone(Reason::NotValidForCountry));
    }
    Ok(full)
}

/// Normalises a card number: spaces and dashes removed, letters upper-cased.
pub fn normalize_card(raw: &str) -> Result<String, IdentifyError> {
    let card: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !card.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(IdentifyError::BadCard(Reason::OnlyDigitsAndLetters));
    }
    if card.len() < *CARD_LEN.start() {
        return Err(IdentifyError::BadCard(Reason::TooShort));
    }
    if card.len() > *CARD_LEN.end() {
        return Err(IdentifyError::BadCard(Reason::TooLong));
    }
    Ok(card)
}

/// Checks an email's shape (one `@`, a dotted domain, no spaces) and lower-cases the domain.
pub fn normalize_email(raw: &str) -> Result<String, IdentifyError> {
    let raw = raw.trim();
    if raw.len() > 254 {
        return Err(IdentifyError::BadEmail(Reason::TooLong));
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(IdentifyError::BadEmail(Reason::Spaces));
    }
    let Some((local, domain)) = raw.split_once('@') else {
        return Err(IdentifyError::BadEmail(Reason::NoAt));
    };
    if local.is_empty() || domain.contains('@') {
        return Err(IdentifyError::BadEmail(Reason::OneAt));
    }
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..");
    if !domain_ok {
        return Err(IdentifyError::BadEmail(Reason::NotADomain));
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

/// Masks a normalised value for logs and screens.
///
/// Phone `380671234567` → `380*****4567`; card `1234567890` → `******7890`;
/// email `olena.k@example.com` → `o******@example.com`.
pub fn mask(kind: IdentifierKind, value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let stars = |n: usize| "*".repeat(n);
    match kind {
        IdentifierKind::Phone => {
            // The country code is shown; of the digits after it at most four,
            // and never more than half, so a short number is not given away.
            let code = country_code_len(value).min(chars.len());
            let rest = chars.len() - code;
            let shown = (rest / 2).min(4);
            let head: String = chars[..code].iter().collect();
            let tail: String = chars[chars.len() - shown..].iter().collect();
            format!("{head}{}{tail}", stars(rest - shown))
        }
        IdentifierKind::Card => {
            let shown = if chars.len() > 6 { 4 } else { 0 };
            let tail: String = chars[chars.len() - shown..].iter().collect();
            format!("{}{tail}", stars(chars.len() - shown))
        }
        IdentifierKind::Email => match value.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                let rest = local.chars().count().saturating_sub(1).max(1);
                format!("{first}{}@{domain}", stars(rest))
            }
            None => stars(chars.len()),
        },
    }
}
