//! Atom feeds (RFC 4287) of newly published PUBLIC content, for partner sites and feed
//! readers: everything (`/feeds/all.atom`), per country (`/feeds/countries/VN.atom`), per
//! sector (`/feeds/sectors/0505.atom`, a category includes its sub-categories) and per kind
//! (`/feeds/kinds/opportunities.atom`, `policies`, `research-results`, `events`).
//!
//! A feed is what an anonymous `search` sorted newest first would list: drawn from the index
//! with the anonymous caller's visibility, every item read back from the database with it, so
//! a member-only or unpublished item can never appear. Ids are stable: `urn:uuid:` of the
//! item, and a `tag:` URI for each feed, independent of the host it is served from.

use std::fmt::Write;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::limits::FEED_ENTRIES;
use crate::service::access;
use crate::service::content::{ContentRecord, Kind, countries_and_sectors_among};
use crate::service::search::query::engine_error;
use crate::service::search::today_days;
use crate::state::AppState;

/// Which items a feed holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Country(String),
    Sector(String),
    Kind(Kind),
}

const KIND_SLUGS: [(&str, Kind); 4] = [
    ("opportunities", Kind::Opportunity),
    ("policies", Kind::Policy),
    ("research-results", Kind::Research),
    ("events", Kind::Event),
];

impl Scope {
    /// The scope a feed path names (`countries`, `VN.atom`), if it names one that exists.
    pub fn parse(state: &AppState, group: &str, file: &str) -> Option<Scope> {
        let name = file.strip_suffix(".atom")?;
        match group {
            "countries" => {
                let code = name.to_ascii_uppercase();
                state.reference.country(&code)?;
                Some(Scope::Country(code))
            }
            "sectors" => {
                state.reference.sector(name)?;
                Some(Scope::Sector(name.to_owned()))
            }
            "kinds" => KIND_SLUGS
                .iter()
                .find(|(slug, _)| *slug == name)
                .map(|(_, kind)| Scope::Kind(*kind)),
            _ => None,
        }
    }

    /// The path the feed is served at.
    pub fn path(&self) -> String {
        match self {
            Scope::All => "/feeds/all.atom".to_owned(),
            Scope::Country(code) => format!("/feeds/countries/{code}.atom"),
            Scope::Sector(code) => format!("/feeds/sectors/{code}.atom"),
            Scope::Kind(kind) => {
                let slug = KIND_SLUGS
                    .iter()
                    .find(|(_, each)| each == kind)
                    .map(|(slug, _)| *slug)
                    .unwrap_or("all");
                format!("/feeds/kinds/{slug}.atom")
            }
        }
    }

    fn title(&self, state: &AppState) -> String {
        let what = "China–ASEAN digital economy: opportunities, policies, research and events";
        match self {
            Scope::All => what.to_owned(),
            Scope::Country(code) => {
                let name = state.reference.country(code).map(|c| c.name(Some("en")));
                format!("{what} in {}", name.unwrap_or(code))
            }
            Scope::Sector(code) => {
                let name = state.reference.sector(code).map(|s| s.name(Some("en")));
                format!("{what} in {}", name.unwrap_or(code))
            }
            Scope::Kind(kind) => format!(
                "China–ASEAN digital economy: {}",
                KIND_SLUGS
                    .iter()
                    .find(|(_, each)| each == kind)
                    .map(|(slug, _)| slug.replace('-', " "))
                    .unwrap_or_default()
            ),
        }
    }
}

/// The feed of `scope` as an Atom document.
pub async fn render(state: &AppState, scope: &Scope) -> Result<String> {
    let anonymous = Caller::anonymous();
    let mut request = search::Request {
        sort: search::Sort::Newest,
        first: FEED_ENTRIES,
        today_days: today_days(),
        ..Default::default()
    };
    match scope {
        Scope::All => {}
        Scope::Country(code) => request.countries = vec![code.clone()],
        Scope::Sector(code) => request.sectors = vec![code.clone()],
        Scope::Kind(kind) => request.kinds = vec![kind.as_str().to_owned()],
    }
    access::search_scope(&anonymous.audience, &mut request);
    let service = state.search.clone();
    let results = tokio::task::spawn_blocking(move || service.index.newest(&request))
        .await
        .map_err(|error| Error::Internal(error.into()))?
        .map_err(|error| engine_error(error, "feed"))?;
    let mut records =
        crate::service::content::readable(state.db.connection(), &anonymous, results.clone())
            .await?;
    let entries: Vec<ContentRecord> = results.iter().filter_map(|id| records.remove(id)).collect();
    let ids: Vec<String> = entries
        .iter()
        .map(|record| record.core.id.clone())
        .collect();
    let links = countries_and_sectors_among(state.db.connection(), &ids).await?;

    let updated = entries
        .iter()
        .map(|record| record.core.updated_at)
        .max()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let mut xml = String::with_capacity(4_096 + entries.len() * 1_024);
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\n");
    let path = scope.path();
    let _ = writeln!(xml, "  <id>tag:infoharbor,2026:{}</id>", escape(&path));
    let _ = writeln!(
        xml,
        "  <title type=\"text\">{}</title>",
        escape(&scope.title(state))
    );
    let _ = writeln!(xml, "  <updated>{}</updated>", timestamp(updated));
    let _ = writeln!(
        xml,
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        escape(&path)
    );
    xml.push_str(
        "  <author><name>China–ASEAN Digital Economy Information Exchange</name></author>\n",
    );
    xml.push_str("  <generator>infoharbor</generator>\n");
    for record in &entries {
        let core = &record.core;
        let (countries, sectors) = links.get(&core.id).cloned().unwrap_or_default();
        let _ = writeln!(xml, "  <entry xml:lang=\"{}\">", escape(&core.language));
        let _ = writeln!(xml, "    <id>urn:uuid:{}</id>", escape(&core.id));
        let _ = writeln!(
            xml,
            "    <title type=\"text\">{}</title>",
            escape(&core.title)
        );
        let _ = writeln!(xml, "    <updated>{}</updated>", timestamp(core.updated_at));
        if let Some(published) = core.published_at {
            let _ = writeln!(xml, "    <published>{}</published>", timestamp(published));
        }
        let _ = writeln!(
            xml,
            "    <summary type=\"text\">{}</summary>",
            escape(&core.summary)
        );
        let _ = writeln!(
            xml,
            "    <content type=\"text\">{}</content>",
            escape(&core.body)
        );
        let kind = record.kind().as_str();
        let _ = writeln!(
            xml,
            "    <category scheme=\"tag:infoharbor,2026:kinds\" term=\"{kind}\"/>"
        );
        for code in &countries {
            let label = state.reference.country(code).map(|c| c.name(Some("en")));
            let _ = writeln!(
                xml,
                "    <category scheme=\"tag:infoharbor,2026:countries\" term=\"{}\" label=\"{}\"/>",
                escape(code),
                escape(label.unwrap_or(code))
            );
        }
        for code in &sectors {
            let label = state.reference.sector(code).map(|s| s.name(Some("en")));
            let _ = writeln!(
                xml,
                "    <category scheme=\"tag:infoharbor,2026:sectors\" term=\"{}\" label=\"{}\"/>",
                escape(code),
                escape(label.unwrap_or(code))
            );
        }
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    Ok(xml)
}

fn timestamp(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Text as XML character data or an attribute value. Characters XML 1.0 forbids (most
/// control characters) are dropped: a feed that does not parse is worse than a missing byte.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\t' | '\n' | '\r' => escaped.push(character),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_forbidden_characters_never_reach_the_feed() {
        assert_eq!(
            escape("<b>R&D</b> \"x\" 'y'\u{0}\u{7}"),
            "&lt;b&gt;R&amp;D&lt;/b&gt; &quot;x&quot; &apos;y&apos;"
        );
        assert_eq!(escape("数字经济\n"), "数字经济\n");
    }
}
