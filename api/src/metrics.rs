//! Prometheus metrics in text format: requests, their latency, errors by public code, and
//! database statements. Small enough to keep by hand rather than pull in a metrics stack.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::Code;
use crate::service::search::FeedStatus;

/// Upper bounds of the latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
pub struct Metrics {
    /// (method, route, status) → count
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    errors: Mutex<BTreeMap<&'static str, u64>>,
    /// Lists' totals counted by the search index and by the database.
    totals_from_index: AtomicU64,
    pages_from_index: AtomicU64,
    pages_from_database: AtomicU64,
    totals_from_database: AtomicU64,
    /// Publications matched against every saved search, and the alerts they raised.
    alert_publications: AtomicU64,
    alerts_raised: AtomicU64,
}

impl Metrics {
    pub fn record_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests
                .entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
        }
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in self.latency_buckets.iter().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn record_error(&self, code: Code) {
        if let Ok(mut errors) = self.errors.lock() {
            *errors.entry(code.as_str()).or_default() += 1;
        }
    }

    /// One publication matched against the saved searches, alerting `owners` of them.
    pub fn record_alert_matching(&self, owners: u64) {
        self.alert_publications.fetch_add(1, Ordering::Relaxed);
        self.alerts_raised.fetch_add(owners, Ordering::Relaxed);
    }

    /// A list's page was read, its candidates named by the index or not (`page_from_index`),
    /// and its total counted by the index, by the database, or not at all (`None`).
    pub fn record_list(&self, page_from_index: bool, total_from_index: Option<bool>) {
        let page = if page_from_index {
            &self.pages_from_index
        } else {
            &self.pages_from_database
        };
        page.fetch_add(1, Ordering::Relaxed);
        let total = match total_from_index {
            Some(true) => &self.totals_from_index,
            Some(false) => &self.totals_from_database,
            None => return,
        };
        total.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text; `database_queries` comes from the database handle.
    pub fn render(&self, database_queries: u64, feed: &FeedStatus) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "# HELP infoharbor_http_requests_total HTTP requests by method, route and status."
        );
        let _ = writeln!(text, "# TYPE infoharbor_http_requests_total counter");
        if let Ok(requests) = self.requests.lock() {
            for ((method, route, status), count) in requests.iter() {
                let _ = writeln!(
                    text,
                    "infoharbor_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}"
                );
            }
        }
        let _ = writeln!(
            text,
            "# HELP infoharbor_http_request_duration_seconds HTTP request latency."
        );
        let _ = writeln!(
            text,
            "# TYPE infoharbor_http_request_duration_seconds histogram"
        );
        for (bucket, bound) in self.latency_buckets.iter().zip(LATENCY_BUCKETS) {
            let _ = writeln!(
                text,
                "infoharbor_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            text,
            "infoharbor_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            text,
            "infoharbor_http_request_duration_seconds_sum {}",
            self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(
            text,
            "infoharbor_http_request_duration_seconds_count {count}"
        );
        let _ = writeln!(
            text,
            "# HELP infoharbor_graphql_errors_total GraphQL errors by public code."
        );
        let _ = writeln!(text, "# TYPE infoharbor_graphql_errors_total counter");
        if let Ok(errors) = self.errors.lock() {
            for code in Code::ALL {
                let _ = writeln!(
                    text,
                    "infoharbor_graphql_errors_total{{code=\"{}\"}} {}",
                    code.as_str(),
                    errors.get(code.as_str()).copied().unwrap_or(0)
                );
            }
        }
        let _ = writeln!(
            text,
            "# HELP infoharbor_database_queries_total Statements sent to the database, but for background work (following the change log, heartbeats, compaction)."
        );
        let _ = writeln!(text, "# TYPE infoharbor_database_queries_total counter");
        let _ = writeln!(text, "infoharbor_database_queries_total {database_queries}");
        for (name, help, index, database) in [
            (
                "infoharbor_list_totals_total",
                "Lists' totalCount, by what counted it.",
                &self.totals_from_index,
                &self.totals_from_database,
            ),
            (
                "infoharbor_list_pages_total",
                "Lists' pages, by what named their items: the index's walk, or the database's.",
                &self.pages_from_index,
                &self.pages_from_database,
            ),
        ] {
            let _ = writeln!(text, "# HELP {name} {help}");
            let _ = writeln!(text, "# TYPE {name} counter");
            for (source, counter) in [("index", index), ("database", database)] {
                let _ = writeln!(
                    text,
                    "{name}{{source=\"{source}\"}} {}",
                    counter.load(Ordering::Relaxed)
                );
            }
        }
        let _ = writeln!(
            text,
            "# HELP infoharbor_alert_publications_total Publications matched against every saved search."
        );
        let _ = writeln!(text, "# TYPE infoharbor_alert_publications_total counter");
        let _ = writeln!(
            text,
            "infoharbor_alert_publications_total {}",
            self.alert_publications.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            text,
            "# HELP infoharbor_alerts_total Saved-search alerts raised (one per owner and publication)."
        );
        let _ = writeln!(text, "# TYPE infoharbor_alerts_total counter");
        let _ = writeln!(
            text,
            "infoharbor_alerts_total {}",
            self.alerts_raised.load(Ordering::Relaxed)
        );
        for (name, kind, help, value) in [
            (
                "infoharbor_change_log_applied_seq",
                "gauge",
                "Every change-log entry up to this one is applied in this node's index.",
                feed.applied_seq as f64,
            ),
            (
                "infoharbor_change_log_head_seq",
                "gauge",
                "The newest change-log entry this node has seen.",
                feed.head_seq as f64,
            ),
            (
                "infoharbor_change_log_lag_seconds",
                "gauge",
                "How long this node's index has been behind a change it knows of.",
                feed.lag.as_secs_f64(),
            ),
            (
                "infoharbor_change_log_open_gaps",
                "gauge",
                "Change-log numbers waited for: transactions that took them have not ended.",
                feed.open_gaps as f64,
            ),
            (
                "infoharbor_change_log_trimmed_seq",
                "gauge",
                "Change-log entries up to this one were removed by compaction.",
                feed.trimmed_seq as f64,
            ),
            (
                "infoharbor_index_rebuilds_total",
                "counter",
                "Rebuilds of the search index from the tables since start.",
                feed.rebuilds as f64,
            ),
        ] {
            let _ = writeln!(text, "# HELP {name} {help}");
            let _ = writeln!(text, "# TYPE {name} {kind}");
            let _ = writeln!(text, "{name} {value}");
        }
        text
    }
}
