//! Validated domain values: once a value has one of these types, it is known to be good, so
//! bad input is refused at the edge with `BAD_USER_INPUT` naming the field and never reaches
//! the database.

use crate::error::{Error, Result};
use crate::reference::Reference;

/// Languages content may be written in (primary BCP 47 subtags).
pub const CONTENT_LANGUAGES: &[&str] = &[
    "zh", "en", "th", "vi", "id", "ms", "fil", "km", "lo", "my", "pt",
];

/// ISO 4217 codes accepted for amounts: the region's currencies and the usual majors.
pub const CURRENCIES: &[&str] = &[
    "CNY", "BND", "KHR", "IDR", "LAK", "MYR", "MMK", "PHP", "SGD", "THB", "VND", "USD", "EUR",
    "JPY", "KRW", "HKD", "GBP", "AUD", "CHF", "TWD", "INR",
];

pub use crate::limits::{
    BODY_MAX_CHARS, PLACE_MAX_CHARS, SHORT_TEXT_MAX_CHARS, SUMMARY_MAX_CHARS, TAG_MAX_CHARS,
    TAGS_MAX, TITLE_MAX_CHARS,
};

/// A string that must be present and not longer than `max` characters; kept as given
/// (no HTML stripping: it is escaped where it is rendered), only trimmed at the ends.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::bad_input(field, "must not be blank"));
    }
    bounded_text(field, trimmed, max)
}

pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value.map(str::trim).filter(|text| !text.is_empty()) {
        Some(text) => bounded_text(field, text, max).map(Some),
        None => Ok(None),
    }
}

fn bounded_text(field: &str, text: &str, max: usize) -> Result<String> {
    // NUL ends strings in C libraries, logs and terminals further down the line.
    if text.contains('\0') {
        return Err(Error::bad_input(field, "must not contain NUL characters"));
    }
    let length = text.chars().count();
    if length > max {
        return Err(Error::bad_input(
            field,
            format!("must be at most {max} characters, got {length}"),
        ));
    }
    Ok(text.to_owned())
}

/// Refuses a list input longer than `LIST_INPUT_MAX`, before anything reads its values.
pub fn list_len(field: &str, length: usize) -> Result<()> {
    use crate::limits::LIST_INPUT_MAX;
    if length > LIST_INPUT_MAX {
        return Err(Error::bad_input(
            field,
            format!("at most {LIST_INPUT_MAX} values, got {length}"),
        ));
    }
    Ok(())
}

/// `list_len` for an optional list.
pub fn optional_list_len<T>(field: &str, values: &Option<Vec<T>>) -> Result<()> {
    list_len(field, values.as_ref().map_or(0, Vec::len))
}

/// A BCP 47 tag whose primary language is one the exchange publishes in; returned in
/// canonical case (`zh-Hans-CN`).
pub fn language_tag(field: &str, value: &str) -> Result<String> {
    let subtags: Vec<&str> = value.trim().split('-').collect();
    let well_formed = subtags.iter().all(|subtag| {
        !subtag.is_empty() && subtag.len() <= 8 && subtag.chars().all(|c| c.is_ascii_alphanumeric())
    });
    let primary = subtags[0].to_ascii_lowercase();
    if !well_formed || !(2..=3).contains(&primary.len()) {
        return Err(Error::bad_input(
            field,
            format!("'{value}' is not a BCP 47 language tag"),
        ));
    }
    if !CONTENT_LANGUAGES.contains(&primary.as_str()) {
        return Err(Error::bad_input(
            field,
            format!(
                "language '{primary}' is not supported; use one of {}",
                CONTENT_LANGUAGES.join(", ")
            ),
        ));
    }
    let canonical: Vec<String> = subtags
        .iter()
        .enumerate()
        .map(|(index, subtag)| match (index, subtag.len()) {
            (0, _) => subtag.to_ascii_lowercase(),
            (_, 4) => {
                let lower = subtag.to_ascii_lowercase();
                lower[..1].to_ascii_uppercase() + &lower[1..]
            }
            (_, 2) => subtag.to_ascii_uppercase(),
            _ => subtag.to_ascii_lowercase(),
        })
        .collect();
    Ok(canonical.join("-"))
}

/// Codes of one kind of reference data: each normalised and known, without duplicates, in
/// the order given; at least one unless `allow_empty`.
fn known_codes(
    field: &str,
    values: &[String],
    allow_empty: bool,
    noun: &str,
    normalise: impl Fn(&str) -> String,
    known: impl Fn(&str) -> bool,
) -> Result<Vec<String>> {
    list_len(field, values.len())?;
    let mut codes: Vec<String> = Vec::new();
    for value in values {
        let code = normalise(value.trim());
        if !known(&code) {
            return Err(Error::bad_input(
                field,
                format!("unknown {noun} code '{value}'"),
            ));
        }
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    if codes.is_empty() && !allow_empty {
        return Err(Error::bad_input(
            field,
            format!("at least one {noun} is required"),
        ));
    }
    Ok(codes)
}

/// Country codes that exist, upper-cased, without duplicates, in the order given.
pub fn country_codes(
    field: &str,
    values: &[String],
    reference: &Reference,
    allow_empty: bool,
) -> Result<Vec<String>> {
    known_codes(
        field,
        values,
        allow_empty,
        "country",
        str::to_ascii_uppercase,
        |code| reference.country(code).is_some(),
    )
}

pub fn country_code(field: &str, value: &str, reference: &Reference) -> Result<String> {
    country_codes(
        field,
        std::slice::from_ref(&value.to_owned()),
        reference,
        false,
    )
    .map(|mut codes| codes.remove(0))
}

/// The country and sector codes of a list or search filter (both optional, both may be empty).
pub fn filter_codes(
    countries: Option<Vec<String>>,
    sectors: Option<Vec<String>>,
    reference: &Reference,
) -> Result<(Vec<String>, Vec<String>)> {
    Ok((
        country_codes(
            "filter.countries",
            &countries.unwrap_or_default(),
            reference,
            true,
        )?,
        sector_codes(
            "filter.sectors",
            &sectors.unwrap_or_default(),
            reference,
            true,
        )?,
    ))
}

/// Sector codes that exist, without duplicates, in the order given.
pub fn sector_codes(
    field: &str,
    values: &[String],
    reference: &Reference,
    allow_empty: bool,
) -> Result<Vec<String>> {
    known_codes(
        field,
        values,
        allow_empty,
        "sector",
        str::to_owned,
        |code| reference.sector(code).is_some(),
    )
}

/// Tags trimmed and lower-cased, without duplicates.
pub fn tags(field: &str, values: &[String]) -> Result<Vec<String>> {
    list_len(field, values.len())?;
    let mut tags: Vec<String> = Vec::new();
    for value in values {
        let tag = required_text(field, value, TAG_MAX_CHARS)?.to_lowercase();
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > TAGS_MAX {
        return Err(Error::bad_input(field, format!("at most {TAGS_MAX} tags")));
    }
    Ok(tags)
}

pub fn currency(field: &str, value: &str) -> Result<String> {
    let code = value.trim().to_ascii_uppercase();
    if !CURRENCIES.contains(&code.as_str()) {
        return Err(Error::bad_input(
            field,
            format!("'{value}' is not a supported ISO 4217 currency code"),
        ));
    }
    Ok(code)
}

/// A range of money as a caller gives it (an opportunity's amount, an investor's ticket):
/// either end may be missing, the lower is never above the upper, and any amount comes with
/// a currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyRange {
    pub min: Option<Amount>,
    pub max: Option<Amount>,
    pub currency: Option<String>,
}

/// Validates a [`MoneyRange`]; `fields` name the minimum, the maximum and the currency in
/// errors.
pub fn money_range(
    fields: [&str; 3],
    min: Option<&str>,
    max: Option<&str>,
    currency: Option<&str>,
) -> Result<MoneyRange> {
    let [min_field, max_field, currency_field] = fields;
    let min = min.map(|text| Amount::parse(min_field, text)).transpose()?;
    let max = max.map(|text| Amount::parse(max_field, text)).transpose()?;
    if let (Some(low), Some(high)) = (&min, &max)
        && low > high
    {
        let lower = min_field.rsplit('.').next().unwrap_or(min_field);
        return Err(Error::bad_input(
            max_field,
            format!("must not be less than {lower}"),
        ));
    }
    let currency = currency
        .filter(|code| !code.trim().is_empty())
        .map(|code| self::currency(currency_field, code))
        .transpose()?;
    if (min.is_some() || max.is_some()) && currency.is_none() {
        return Err(Error::bad_input(
            currency_field,
            "is required with an amount",
        ));
    }
    Ok(MoneyRange { min, max, currency })
}

/// A non-negative decimal amount, exact: digits with at most four decimals, normalised
/// (`0012.50` → `12.5`). Floats never enter: the amount stays a string end to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    text: String,
    /// The amount in ten-thousandths, for comparisons.
    scaled: u128,
}

impl Amount {
    pub const MAX_DECIMALS: usize = crate::limits::AMOUNT_MAX_DECIMALS;

    pub fn parse(field: &str, value: &str) -> Result<Amount> {
        let invalid = || {
            Error::bad_input(
                field,
                format!("'{value}' is not a non-negative decimal amount such as 250000 or 1250.50"),
            )
        };
        let trimmed = value.trim();
        let (whole, fraction) = trimmed.split_once('.').unwrap_or((trimmed, ""));
        let digits_only = |part: &str| part.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty()
            || !digits_only(whole)
            || !digits_only(fraction)
            || (trimmed.contains('.') && fraction.is_empty())
        {
            return Err(invalid());
        }
        if fraction.len() > Self::MAX_DECIMALS {
            return Err(Error::bad_input(
                field,
                format!("at most {} decimal places", Self::MAX_DECIMALS),
            ));
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 20 {
            return Err(Error::bad_input(field, "amount is too large"));
        }
        let fraction = fraction.trim_end_matches('0');
        let whole_value: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid())?
        };
        let fraction_value: u128 = format!("{fraction:0<4}").parse().map_err(|_| invalid())?;
        let whole_text = if whole.is_empty() { "0" } else { whole };
        let text = if fraction.is_empty() {
            whole_text.to_owned()
        } else {
            format!("{whole_text}.{fraction}")
        };
        Ok(Amount {
            text,
            scaled: whole_value * 10_000 + fraction_value,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The amount in ten-thousandths of the unit, saturating (for the search index's ranges).
    pub fn ten_thousandths(&self) -> u64 {
        u64::try_from(self.scaled).unwrap_or(u64::MAX)
    }

    pub fn into_string(self) -> String {
        self.text
    }
}

impl PartialOrd for Amount {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Amount {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.scaled.cmp(&other.scaled)
    }
}

/// Characters that do not show: controls, and the zero-width and direction marks that make
/// two different strings look alike.
fn is_invisible(character: char) -> bool {
    character.is_control()
        || matches!(
            character,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
        )
}

/// A person's or an organisation's name: required, bounded, NFC-normalised, and free of
/// invisible characters, so that two names that look the same are the same.
pub fn name(field: &str, value: &str, max: usize) -> Result<String> {
    use unicode_normalization::UnicodeNormalization;
    if value.chars().any(is_invisible) {
        return Err(Error::bad_input(
            field,
            "must not contain control or invisible characters",
        ));
    }
    let normalised: String = value.trim().nfc().collect();
    required_text(field, &normalised, max)
}

/// Longest e-mail address (RFC 5321's path limit).
const EMAIL_MAX_BYTES: usize = 254;

/// An e-mail address of plausible shape (the real check is the mail it receives),
/// NFC-normalised and case-folded so one mailbox is one account, with no invisible
/// characters.
pub fn email(field: &str, value: &str) -> Result<String> {
    use unicode_normalization::UnicodeNormalization;
    if value.len() > EMAIL_MAX_BYTES * 4 || value.chars().any(is_invisible) {
        return Err(Error::bad_input(field, "is not an e-mail address"));
    }
    let address: String = value.trim().nfc().flat_map(char::to_lowercase).collect();
    let valid = match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !address.contains(char::is_whitespace)
                && address.len() <= EMAIL_MAX_BYTES
        }
        None => false,
    };
    if !valid {
        return Err(Error::bad_input(field, "is not an e-mail address"));
    }
    Ok(address)
}

/// An absolute http(s) URL.
pub fn url(field: &str, value: &str) -> Result<String> {
    let trimmed = value.trim();
    let valid = (trimmed.starts_with("https://") || trimmed.starts_with("http://"))
        && trimmed.len() > 10
        && !trimmed.contains(char::is_whitespace);
    if !valid || trimmed.len() > 2_000 {
        return Err(Error::bad_input(
            field,
            "must be an absolute http or https URL",
        ));
    }
    Ok(trimmed.to_owned())
}

/// An IANA time-zone name such as `Asia/Bangkok`, or `UTC`.
pub fn time_zone(field: &str, value: &str) -> Result<String> {
    let trimmed = value.trim();
    let valid = trimmed == "UTC"
        || (trimmed.contains('/')
            && trimmed.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-+".contains(c))
            }));
    if !valid || trimmed.len() > 64 {
        return Err(Error::bad_input(
            field,
            format!("'{value}' is not an IANA time zone such as Asia/Bangkok"),
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_normalised_and_compared_exactly() {
        assert_eq!(Amount::parse("a", "0012.50").unwrap().as_str(), "12.5");
        assert_eq!(Amount::parse("a", "0").unwrap().as_str(), "0");
        assert_eq!(Amount::parse("a", "1000000").unwrap().as_str(), "1000000");
        assert!(Amount::parse("a", "999.9999").unwrap() < Amount::parse("a", "1000").unwrap());
        for bad in [
            "", "-1", "1e6", "1.", ".5", "1,000", "12.34567", "NaN", "1.2.3",
        ] {
            assert!(Amount::parse("a", bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn language_tags_are_canonicalised_and_limited_to_supported_languages() {
        assert_eq!(language_tag("l", "ZH-hans-cn").unwrap(), "zh-Hans-CN");
        assert_eq!(language_tag("l", "fil").unwrap(), "fil");
        assert!(language_tag("l", "de").is_err());
        assert!(language_tag("l", "zh--CN").is_err());
        assert!(language_tag("l", "").is_err());
    }

    #[test]
    fn text_is_trimmed_and_bounded_but_not_stripped() {
        assert_eq!(required_text("t", "  <b>x</b> ", 10).unwrap(), "<b>x</b>");
        assert!(required_text("t", "   ", 10).is_err());
        assert!(required_text("t", "ข้อความยาวมาก", 5).is_err());
    }

    #[test]
    fn emails_are_lower_cased_and_checked_for_shape() {
        assert_eq!(email("e", " Lan@Example.VN ").unwrap(), "lan@example.vn");
        assert!(email("e", "no-at-sign").is_err());
        assert!(email("e", "a@b").is_err());
    }
}
