//! Every limit of the API, in one place, each with the reason for its number. The README's
//! limits table is checked against [`TABLE`] by a test, so the two cannot drift apart.
//!
//! The numbers admit every request the portal, the apps and partner sites make (a page of 100
//! items with all their fields, a long policy text, twenty tags) with room to spare, and refuse
//! what only an attacker sends.

use std::time::Duration;

// ---- the shape of a GraphQL request -------------------------------------------------------

/// Deepest nesting a query may have; the deepest useful query (a connection's node's
/// sectors' children's parent) is well under it. Inside introspection an `ofType` counts no
/// level: the standard introspection query names a type through nine of them, and the schema's
/// own wrappers bound what they return (the rule is in `graphql::guard`).
pub const MAX_DEPTH: usize = 12;
/// Largest complexity: every field counts one and a list's fields once per item of its page,
/// so this admits a full page of 100 items with 40-odd fields each, and refuses alias floods.
pub const MAX_COMPLEXITY: usize = 5_000;
/// Selection sets inside selection sets, a fragment spread counting one: a real client nests a
/// handful. Inside introspection an `ofType` counts none, as for [`MAX_DEPTH`].
pub const MAX_RECURSIVE_DEPTH: usize = 16;
/// The recursion async-graphql's own passes allow before the guard measures a document (the
/// parser's own cap on nested selection sets): only a backstop that keeps those passes off the
/// end of the stack; the guard then applies [`MAX_RECURSIVE_DEPTH`] and [`MAX_DEPTH`].
pub const LIBRARY_RECURSION_BACKSTOP: usize = 64;
/// Batched requests are capped; beyond this the whole batch is refused.
pub const MAX_BATCH_OPERATIONS: usize = 10;
/// Directives on one field: a legitimate query uses one or two (@include, @skip).
pub const MAX_DIRECTIVES_PER_FIELD: usize = 5;
/// Length of a GraphQL document (the query text, not its variables): the largest real
/// document, an introspection query, is about 3 KB; parsing time grows with the text.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// Selections in one selection set (fields, aliases, repeats, `__typename`, fragments): the
/// widest real selection, a content item with every field, is about 40.
pub const MAX_SELECTIONS_PER_SET: usize = 128;

// ---- search text (set by the search engine, which measures a query before building it) --

pub use search::budget::{
    MAX_GLOSSARY_TERMS, MAX_PHRASES, MAX_QUERY_CHARS, MAX_QUERY_WORDS, MAX_TYPO_WORDS,
};
/// What `suggest` takes: a search box's text while it is typed.
pub use search::suggest::{MAX_PREFIX_CHARS, MAX_PREFIX_WORDS};
/// Suggestions one request returns: a drop-down under a search box shows a handful.
pub const MAX_SUGGESTIONS: i32 = 20;
/// Suggestions when `first` is not given.
pub const DEFAULT_SUGGESTIONS: i32 = 8;

// ---- lists the schema returns, as the complexity limit counts them -------------------------
// A list field's selection counts once per item it can return, so nested lists
// (`sectors { children { parent { children … } } }`) cost what they really produce.

/// Countries: China and the eleven ASEAN members.
pub const COUNTRIES_MAX: usize = 12;
/// Categories of the digital-economy classification.
pub const SECTOR_CATEGORIES_MAX: usize = 5;
/// Sub-categories of one category (05 has the most, nine).
pub const SECTOR_CHILDREN_MAX: usize = 9;
/// Sector codes one item can carry: every category and sub-category.
pub const SECTORS_PER_ITEM_MAX: usize = 37;
/// Translations of one item: one per other content language.
pub const TRANSLATIONS_MAX: usize = 10;
/// Regions the secretariat defines, as the complexity limit counts them.
pub const REGIONS_MAX: usize = 20;
/// Steps of one item's history, as the complexity limit counts them.
pub const HISTORY_STEPS_COUNTED: usize = 20;
/// Text (titles, summaries, bodies, translations) one response may carry: the bodies of a
/// page of 100 long items fit; a response that would be larger is refused, not built.
pub const RESPONSE_TEXT_MAX_BYTES: usize = 32 * 1024 * 1024;

// ---- pages ----------------------------------------------------------------------------------

/// Items per page when `first`/`last` is not given.
pub const DEFAULT_PAGE_SIZE: i32 = 20;
/// Largest page: a screenful of results many times over; more is refused, never silently cut.
pub const MAX_PAGE_SIZE: i32 = 100;

// ---- HTTP -----------------------------------------------------------------------------------

/// Default largest request body: the longest content item (100,000 characters of body, up to
/// 4 bytes each in Burmese or Khmer) with its translations still fits.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Documents kept for automatic persisted queries: the portal, the apps and partner sites send
/// a few hundred distinct documents between them; when full, the least recently used is
/// forgotten and its client registers it again on its next miss.
pub const MAX_PERSISTED_QUERIES: usize = 1_000;
/// Bytes (hash and text) of all kept persisted documents: a thousand real documents of a few KB
/// fit; a flood of the largest documents ([`MAX_DOCUMENT_BYTES`], the most one may be) holds
/// at most 128 of them, so anyone filling the store costs the process no more than this.
pub const PERSISTED_QUERIES_MAX_BYTES: usize = 8 * 1024 * 1024;
/// How long a CDN or browser may reuse an anonymous GET answer: public content changes when an
/// editor publishes, and a minute's delay is what a visitor cannot tell from none, while a
/// front page hit by thousands is computed once a minute. Signed-in answers are never cached.
pub const PUBLIC_CACHE_MAX_AGE_SECS: u64 = 60;
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
/// Values in one list input (filter codes, tags, statuses, scopes): more than every country and
/// sector there is, far fewer than the SQL variables one statement may carry.
pub const LIST_INPUT_MAX: usize = 50;
/// An audit entry's subject or client address (an email is at most 254 bytes).
pub const AUDIT_FIELD_MAX_CHARS: usize = 320;
/// An audit entry's detail.
pub const AUDIT_DETAIL_MAX_CHARS: usize = 1_000;
/// Digits after the decimal point in an amount of money (enough for every ISO 4217 currency).
pub const AMOUNT_MAX_DECIMALS: usize = 4;

// ---- accounts -------------------------------------------------------------------------------

/// Shortest password: the OWASP minimum for a throttled login.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest password: a passphrase, not a memory-hungry hashing input.
pub const PASSWORD_MAX_CHARS: usize = 1024;
/// How long failed logins count against an account from one address, and against an address.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed logins on one account from one client address within [`THROTTLE_WINDOW`]: a few
/// typos, then that address waits; the owner signs in from their other addresses meanwhile,
/// so a stranger's failures cannot lock them out.
pub const MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS: usize = 5;
/// Failed logins from one client address within [`THROTTLE_WINDOW`], over all accounts: one
/// place guessing many accounts waits, while an office or a carrier-grade NAT shared by dozens
/// of people with the odd typo each does not.
pub const MAX_FAILURES_PER_ADDRESS: usize = 50;
/// How long failed logins count against an account from anywhere.
pub const ACCOUNT_THROTTLE_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// Failed logins on one account from all addresses within [`ACCOUNT_THROTTLE_WINDOW`]: a
/// guesser spread over many addresses gets a hundred guesses a day, far too few for any
/// password the length rules admit; the owner is not stopped at an address they signed in from
/// within [`KNOWN_ADDRESS_MEMORY`].
pub const MAX_FAILURES_PER_ACCOUNT: usize = 100;
/// How long an address the right password came from stays exempt from the account's ceiling:
/// a refresh token's lifetime, so the owner's usual places stay theirs.
pub const KNOWN_ADDRESS_MEMORY: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// How long sign-ups count against a client address.
pub const REGISTRATION_WINDOW: Duration = Duration::from_secs(60 * 60);
/// Sign-ups (or tries at a taken email) from one client address within [`REGISTRATION_WINDOW`]:
/// a family or an office signing up together fits, a script minting accounts or probing which
/// emails exist does not.
pub const MAX_REGISTRATIONS_PER_ADDRESS: usize = 10;
/// Accounts, addresses or pairs each throttle table tracks at once: a few dozen bytes each, so
/// a few megabytes a table however many addresses an attacker cycles through; when full, the
/// least recently seen are forgotten first.
pub const THROTTLE_MAX_TRACKED_KEYS: usize = 100_000;
/// Password hashes running at once, per core: each takes 19 MiB and a whole core for tens of
/// milliseconds; more at once only makes every one of them slower and the memory larger.
pub const HASHING_WORKERS_PER_CORE: usize = 1;
/// Password hashes that may wait for a worker, per worker: a burst of sign-ins at nine o'clock
/// waits a moment; a flood is refused at once instead of piling up memory and latency.
pub const HASHING_QUEUE_PER_WORKER: usize = 4;
/// Longest a password hash waits for a worker before the request is refused (`RATE_LIMITED`):
/// a sign-in that slow is better retried than kept waiting.
pub const HASHING_MAX_WAIT: Duration = Duration::from_secs(2);
/// How long an access token is valid: short, since refresh tokens renew it.
pub const ACCESS_TOKEN_SECONDS: i64 = 15 * 60;
/// How long a refresh token is valid.
pub const REFRESH_TOKEN_DAYS: i64 = 30;

// ---- websocket ------------------------------------------------------------------------------

/// Concurrent websocket connections one client address may hold: a browser opens one per tab
/// and an app one per device, so twenty covers an office behind one address, while one host
/// cannot tie up the server's sockets and memory with idle connections. The largest message is
/// the request body limit (`max_body_bytes`), so a subscription carries no more than a POST.
pub const MAX_WS_CONNECTIONS_PER_ADDRESS: usize = 20;
/// Running subscriptions on one websocket connection: each is woken by every publication.
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: usize = 10;

/// The limits as the README's table lists them: (what, value as written there).
pub const TABLE: &[(&str, &str)] = &[
    ("query depth", "12"),
    ("query complexity", "5000"),
    ("directives per field", "5"),
    ("selections in one selection set", "128"),
    ("query document", "65536 bytes"),
    ("recursion depth", "16"),
    ("operations in one batch", "10"),
    ("page size (`first`/`last`)", "100"),
    ("default page size", "20"),
    ("text in one response", "33554432 bytes"),
    ("search text", "500 characters"),
    ("words in a search", "32"),
    ("typo-tolerant words in a search", "8"),
    ("quoted phrases in a search", "8"),
    ("glossary terms in a search", "6"),
    ("suggestion prefix", "100 characters, 8 words"),
    ("suggestions per request", "20 (8 by default)"),
    ("request body", "1048576 bytes"),
    ("request timeout", "30 s"),
    ("persisted queries kept", "1000"),
    ("persisted query text kept", "8388608 bytes"),
    ("anonymous GET answers cached", "60 s"),
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
    ("values in one list input", "50"),
    ("audit entry subject, client address", "320 characters"),
    ("audit entry detail", "1000 characters"),
    ("password", "8 to 1024 characters"),
    (
        "failed logins per account from one client address",
        "5 in 15 minutes",
    ),
    ("failed logins per client address", "50 in 15 minutes"),
    ("failed logins per account", "100 in 24 hours"),
    (
        "addresses exempt from an account's limit",
        "signed in from within 30 days",
    ),
    ("sign-ups per client address", "10 in 60 minutes"),
    ("keys tracked per throttle table", "100000"),
    ("password hashes at once", "1 per core"),
    ("password hashes waiting", "4 per worker, for at most 2 s"),
    ("access token lifetime", "15 minutes"),
    ("refresh token lifetime", "30 days"),
    ("websocket connections per client address", "20"),
    ("websocket message", "1048576 bytes"),
];

// ---- matching -------------------------------------------------------------------------------
/// What one item of a list nested in a content item's own fields (an opportunity's
/// `interests`) counts towards `MAX_COMPLEXITY`: an estimate of its fields, since the nested
/// selection's own count cannot be read there.
pub const NESTED_NODE_COST: usize = 20;
/// Recommendations in one answer: 10 unless asked, at most 50.
pub const DEFAULT_RECOMMENDATIONS: i32 = 10;
pub const MAX_RECOMMENDATIONS: i32 = 50;
/// Related items in one answer: 5 unless asked, at most 50.
pub const DEFAULT_RELATED: i32 = 5;
pub const MAX_RELATED: i32 = 50;
/// An expression of interest's message, and the note of its answer.
pub const INTEREST_MESSAGE_MAX_CHARS: usize = 2_000;
/// An investor's thesis: a few paragraphs.
pub const THESIS_MAX_CHARS: usize = 4_000;
/// A saved search's name.
pub const SAVED_SEARCH_NAME_MAX_CHARS: usize = 100;
/// Saved searches per user unless the server is configured otherwise (`--max-saved-searches`).
pub const DEFAULT_MAX_SAVED_SEARCHES: usize = 20;
/// Publications waiting for saved-search matching before a publisher waits for the queue.
pub const ALERT_QUEUE: usize = 10_000;
/// Entries in an Atom feed: the newest.
pub const FEED_ENTRIES: usize = 50;
/// Happenings a subscriber may fall behind by before it is dropped (see `service::live`).
pub const LIVE_BACKLOG: usize = 1_024;

// ---- several nodes on one database (`service::cluster`) -------------------------------------

/// How often a node reads the change log when no notification came, in milliseconds. Under
/// PostgreSQL every append is notified at once; the poll only bounds the delay of a lost one.
pub const DEFAULT_CHANGE_POLL_MS: u64 = 1_000;
/// How far behind the change log a node may be and still answer `/readyz` with 200, in
/// seconds: well past a busy moment's group commits, well short of a load balancer's patience.
pub const DEFAULT_MAX_LAG_SECS: u64 = 10;
/// Change-log entries younger than this are kept (seven days): long enough for a node that was
/// down over a weekend to catch up by replaying rather than rebuilding.
pub const DEFAULT_CHANGE_LOG_RETENTION_SECS: u64 = 7 * 24 * 60 * 60;
/// A node not heard from for this long (five minutes) no longer holds back compaction.
pub const DEFAULT_NODE_TIMEOUT_SECS: u64 = 5 * 60;
/// How often a node compacts the change log (five minutes).
pub const DEFAULT_COMPACT_EVERY_SECS: u64 = 5 * 60;

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
            (
                "selections in one selection set",
                MAX_SELECTIONS_PER_SET.to_string(),
            ),
            ("query document", format!("{MAX_DOCUMENT_BYTES} bytes")),
            ("recursion depth", MAX_RECURSIVE_DEPTH.to_string()),
            ("operations in one batch", MAX_BATCH_OPERATIONS.to_string()),
            ("page size (`first`/`last`)", MAX_PAGE_SIZE.to_string()),
            ("default page size", DEFAULT_PAGE_SIZE.to_string()),
            (
                "text in one response",
                format!("{RESPONSE_TEXT_MAX_BYTES} bytes"),
            ),
            ("search text", format!("{MAX_QUERY_CHARS} characters")),
            ("words in a search", MAX_QUERY_WORDS.to_string()),
            (
                "typo-tolerant words in a search",
                MAX_TYPO_WORDS.to_string(),
            ),
            ("quoted phrases in a search", MAX_PHRASES.to_string()),
            ("glossary terms in a search", MAX_GLOSSARY_TERMS.to_string()),
            (
                "suggestion prefix",
                format!("{MAX_PREFIX_CHARS} characters, {MAX_PREFIX_WORDS} words"),
            ),
            (
                "suggestions per request",
                format!("{MAX_SUGGESTIONS} ({DEFAULT_SUGGESTIONS} by default)"),
            ),
            ("request body", format!("{DEFAULT_MAX_BODY_BYTES} bytes")),
            (
                "request timeout",
                format!("{DEFAULT_REQUEST_TIMEOUT_SECS} s"),
            ),
            ("persisted queries kept", MAX_PERSISTED_QUERIES.to_string()),
            (
                "persisted query text kept",
                format!("{PERSISTED_QUERIES_MAX_BYTES} bytes"),
            ),
            (
                "anonymous GET answers cached",
                format!("{PUBLIC_CACHE_MAX_AGE_SECS} s"),
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
            ("values in one list input", LIST_INPUT_MAX.to_string()),
            (
                "audit entry subject, client address",
                format!("{AUDIT_FIELD_MAX_CHARS} characters"),
            ),
            (
                "audit entry detail",
                format!("{AUDIT_DETAIL_MAX_CHARS} characters"),
            ),
            (
                "password",
                format!("{PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters"),
            ),
            (
                "failed logins per account from one client address",
                format!(
                    "{MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS} in {} minutes",
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
                "failed logins per account",
                format!(
                    "{MAX_FAILURES_PER_ACCOUNT} in {} hours",
                    minutes(ACCOUNT_THROTTLE_WINDOW) / 60
                ),
            ),
            (
                "addresses exempt from an account's limit",
                format!(
                    "signed in from within {} days",
                    minutes(KNOWN_ADDRESS_MEMORY) / (24 * 60)
                ),
            ),
            (
                "sign-ups per client address",
                format!(
                    "{MAX_REGISTRATIONS_PER_ADDRESS} in {} minutes",
                    minutes(REGISTRATION_WINDOW)
                ),
            ),
            (
                "keys tracked per throttle table",
                THROTTLE_MAX_TRACKED_KEYS.to_string(),
            ),
            (
                "password hashes at once",
                format!("{HASHING_WORKERS_PER_CORE} per core"),
            ),
            (
                "password hashes waiting",
                format!(
                    "{HASHING_QUEUE_PER_WORKER} per worker, for at most {} s",
                    HASHING_MAX_WAIT.as_secs()
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
            (
                "websocket connections per client address",
                MAX_WS_CONNECTIONS_PER_ADDRESS.to_string(),
            ),
            (
                "websocket message",
                format!("{DEFAULT_MAX_BODY_BYTES} bytes"),
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
    fn list_bounds_hold_for_the_shipped_reference_data() {
        let countries = include_str!("../../migration/reference/countries.csv");
        assert_eq!(countries.lines().skip(1).count(), COUNTRIES_MAX);
        let sectors = include_str!("../../migration/reference/sectors.csv");
        let codes: Vec<&str> = sectors
            .lines()
            .skip(1)
            .filter_map(|line| line.split(',').next())
            .collect();
        assert_eq!(codes.len(), SECTORS_PER_ITEM_MAX);
        let categories: Vec<&str> = codes
            .iter()
            .copied()
            .filter(|code| code.len() == 2)
            .collect();
        assert_eq!(categories.len(), SECTOR_CATEGORIES_MAX);
        for category in categories {
            let children = codes
                .iter()
                .filter(|code| code.len() == 4 && code.starts_with(category))
                .count();
            assert!(children <= SECTOR_CHILDREN_MAX, "{category} has {children}");
        }
        assert_eq!(
            crate::domain::CONTENT_LANGUAGES.len(),
            TRANSLATIONS_MAX + 1,
            "a translation per content language but the original's"
        );
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
