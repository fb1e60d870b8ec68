//! iCalendar (RFC 5545) for events: one event's `.ics` download. Times are written in UTC
//! with the event's IANA zone named in a property clients show, so no VTIMEZONE is needed.

use chrono::{DateTime, Utc};
use entities::event_details;

use crate::service::content::ContentRecord;

fn stamp(instant: DateTime<Utc>) -> String {
    instant.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Text as an iCalendar TEXT value: backslash, semicolon, comma and newlines escaped.
fn text(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for character in value.chars() {
        match character {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\n' => escaped.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// A content line folded at 75 octets, as RFC 5545 §3.1 asks, never inside a character.
fn folded(line: &str, out: &mut String) {
    let mut width = 0;
    for character in line.chars() {
        let length = character.len_utf8();
        if width + length > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(character);
        width += length;
    }
    out.push_str("\r\n");
}

/// The `.ics` of one event.
pub fn event_ics(record: &ContentRecord, details: &event_details::Model) -> String {
    calendar(&[(record, details)])
}

/// A calendar of `events` (a user's private feed).
pub fn calendar(events: &[(&ContentRecord, &event_details::Model)]) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//infoharbor//China-ASEAN digital economy//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        folded(line, &mut out);
    }
    for (record, details) in events {
        vevent(record, details, &mut out);
    }
    folded("END:VCALENDAR", &mut out);
    out
}

fn vevent(record: &ContentRecord, details: &event_details::Model, out: &mut String) {
    for line in [
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}@infoharbor", record.core.id),
        format!("DTSTAMP:{}", stamp(record.core.updated_at)),
        format!("DTSTART:{}", stamp(details.starts_at)),
        format!("DTEND:{}", stamp(details.ends_at)),
        format!("SUMMARY:{}", text(&record.core.title)),
        format!("DESCRIPTION:{}", text(&record.core.summary)),
        format!(
            "LOCATION:{}",
            text(
                &[details.venue.as_deref(), details.city.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        ),
        format!("X-INFOHARBOR-TIME-ZONE:{}", text(&details.time_zone)),
        format!("LAST-MODIFIED:{}", stamp(record.core.updated_at)),
        "END:VEVENT".to_owned(),
    ] {
        folded(&line, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_long_lines_folded_between_characters() {
        assert_eq!(text("a;b,c\\d\nе"), "a\\;b\\,c\\\\d\\nе");
        let mut out = String::new();
        folded(&format!("SUMMARY:{}", "数".repeat(40)), &mut out);
        for line in out.split("\r\n").filter(|line| !line.is_empty()) {
            assert!(line.len() <= 75, "{line}");
        }
        assert_eq!(
            out.replace("\r\n ", ""),
            format!("SUMMARY:{}\r\n", "数".repeat(40))
        );
    }
}
