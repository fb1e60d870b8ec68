//! Every limit of the API, in one place, each with the reason for its number. The README's
//! limits table is checked against [`TABLE`] by a test, so the two cannot drift apart.
//!
//! The numbers admit every request the portal, the apps and partner sites make (a page of 100
//! items with all their fields, a long policy text, twenty tags) with room to spare, and refuse
//! what only an attacker sends.

use std::time::Duration;

// ---- the shape of a GraphQL request -------------------------------------------------------

/// Deepest nesting a query may have; the deepest useful query (a connection's node's
/// sectors' children's parent) is well under it.
pub const MAX_DEPTH: usize = 12;
/// Largest complexity: every field counts one and a list's fields once per item of its page,
/// so this admits a full page of 100 items with 40-odd fields each, and refuses alias floods.
pub const MAX_COMPLEXITY: usize = 5_000;
/// Fragments spread inside fragments: a real client nests a handful.
pub const MAX_RECURSIVE_DEPTH: usize = 16;
/// Batched requests are capped; beyond this the whole batch is refused.
pub const MAX_BATCH_OPERATIONS: usize = 10;
/// Directives on one field: a legitimate query uses one or two (@include, @skip).
pub const MAX_DIRECTIVES_PER_FIELD: usize = 5;

// ---- pages ----------------------------------------------------------------------------------

/// Items per page when `first`/`last` is not given.
pub const DEFAULT_PAGE_SIZE: i32 = 20;
/// Largest page: a screenful of results many times over; more is refused, never silently cut.
pub const MAX_PAGE_SIZE: i32 = 100;

// ---- HTTP -----------------------------------------------------------------------------------

/// Default largest request body: the longest content item (100,000 characters of body, up to
/// 4 bytes each in Burmese or Khmer) with its translations still fits.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default longest a request may run: far above any legitimate request's time, low enough that
/// a stuck client does not hold a connection for long.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;

// ---- text and lists in inputs ---------------------------------------------------------------

/// A title: a headline, in any script.
pub const TITLE_MAX_CHARS: usize = 300;
/// A summary: a paragraph or two.
pub const SUMMARY_MAX_CHARS: usize = 2_000;
/// A body: a long policy document's text.
pub const BODY_MAX_CHARS: usize = 100_000;
/// One tag: a word or a short phrase.
pub const TAG_MAX_CHARS: usize = 50;
/// Tags on one item.
pub const TAGS_MAX: usize = 20;
/// A name, an authority, a venue, a contact line, a reason.
pub const SHORT_TEXT_MAX_CHARS: usize = 500;
/// A city, or a policy's document number.
pub const PLACE_MAX_CHARS: usize = 200;
/// A member certificate number.
pub const CERTIFICATE_NUMBER_MAX_CHARS: usize = 100;
/// Institutions or authors listed on one research result.
pub const NAMES_MAX: usize = 50;
/// Digits after the decimal point in an amount of money (enough for every ISO 4217 currency).
pub const AMOUNT_MAX_DECIMALS: usize = 4;

// ---- accounts -------------------------------------------------------------------------------

/// Shortest password: the OWASP minimum for a throttled login.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest password: a passphrase, not a memory-hungry hashing input.
pub const PASSWORD_MAX_CHARS: usize = 1024;
/// Failed logins are remembered this long.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed logins allowed per account within the window.
pub const MAX_FAILURES_PER_ACCOUNT: usize = 5;
/// Failed logins allowed per client address within the window (several people may share one).
pub const MAX_FAILURES_PER_ADDRESS: usize = 20;
/// How long an access token is valid: short, since refresh tokens renew it.
pub const ACCESS_TOKEN_SECONDS: i64 = 15 * 60;
/// How long a refresh token is valid.
pub const REFRESH_TOKEN_DAYS: i64 = 30;

/// The limits as the README's table lists them: (what, value as written there).
pub const TABLE: &[(&str, &str)] = &[
    ("query depth", "12"),
    ("query complexity", "5000"),
    ("directives per field", "5"),
    ("recursion depth", "16"),
    ("operations in one batch", "10"),
    ("page size (`first`/`last`)", "100"),
    ("default page size", "20"),
    ("request body", "1048576 bytes"),
    ("request timeout", "30 s"),
    ("title", "300 characters"),
    ("summary", "2000 characters"),
    ("body", "100000 characters"),
    ("tags per item", "20"),
    ("tag", "50 characters"),
    (
        "names, authorities, venues, contacts, reasons",
        "500 characters",
    ),
    ("city, document number", "200 characters"),
    ("certificate number", "100 characters"),
    ("institutions or authors per research result", "50"),
    ("decimals in an amount", "4"),
    ("password", "8 to 1024 characters"),
    ("failed logins per account", "5 in 15 minutes"),
    ("failed logins per client address", "20 in 15 minutes"),
    ("access token lifetime", "15 minutes"),
    ("refresh token lifetime", "30 days"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The values [`TABLE`] states, computed from the constants, so that changing a constant
    /// without its table entry (and so the README) fails.
    fn computed() -> Vec<(&'static str, String)> {
        let minutes = |duration: Duration| duration.as_secs() / 60;
        vec![
            ("query depth", MAX_DEPTH.to_string()),
            ("query complexity", MAX_COMPLEXITY.to_string()),
            ("directives per field", MAX_DIRECTIVES_PER_FIELD.to_string()),
            ("recursion depth", MAX_RECURSIVE_DEPTH.to_string()),
            ("operations in one batch", MAX_BATCH_OPERATIONS.to_string()),
            ("page size (`first`/`last`)", MAX_PAGE_SIZE.to_string()),
            ("default page size", DEFAULT_PAGE_SIZE.to_string()),
            ("request body", format!("{DEFAULT_MAX_BODY_BYTES} bytes")),
            (
                "request timeout",
                format!("{DEFAULT_REQUEST_TIMEOUT_SECS} s"),
            ),
            ("title", format!("{TITLE_MAX_CHARS} characters")),
            ("summary", format!("{SUMMARY_MAX_CHARS} characters")),
            ("body", format!("{BODY_MAX_CHARS} characters")),
            ("tags per item", TAGS_MAX.to_string()),
            ("tag", format!("{TAG_MAX_CHARS} characters")),
            (
                "names, authorities, venues, contacts, reasons",
                format!("{SHORT_TEXT_MAX_CHARS} characters"),
            ),
            (
                "city, document number",
                format!("{PLACE_MAX_CHARS} characters"),
            ),
            (
                "certificate number",
                format!("{CERTIFICATE_NUMBER_MAX_CHARS} characters"),
            ),
            (
                "institutions or authors per research result",
                NAMES_MAX.to_string(),
            ),
            ("decimals in an amount", AMOUNT_MAX_DECIMALS.to_string()),
            (
                "password",
                format!("{PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters"),
            ),
            (
                "failed logins per account",
                format!(
                    "{MAX_FAILURES_PER_ACCOUNT} in {} minutes",
                    minutes(THROTTLE_WINDOW)
                ),
            ),
            (
                "failed logins per client address",
                format!(
                    "{MAX_FAILURES_PER_ADDRESS} in {} minutes",
                    minutes(THROTTLE_WINDOW)
                ),
            ),
            (
                "access token lifetime",
                format!("{} minutes", ACCESS_TOKEN_SECONDS / 60),
            ),
            (
                "refresh token lifetime",
                format!("{REFRESH_TOKEN_DAYS} days"),
            ),
        ]
    }

    #[test]
    fn the_table_states_the_constants() {
        let stated: Vec<(&str, String)> = TABLE
            .iter()
            .map(|(what, value)| (*what, (*value).to_owned()))
            .collect();
        assert_eq!(stated, computed());
    }

    #[test]
    fn the_readme_lists_every_limit_as_the_code_sets_it() {
        let readme = include_str!("../../README.md");
        for (what, value) in TABLE {
            let row = format!("| {what} | {value} |");
            assert!(
                readme.lines().any(|line| line.starts_with(&row)),
                "README.md has no limits row starting with `{row}`"
            );
        }
    }
}
