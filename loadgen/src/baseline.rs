//! The baselines the server's search is measured against, on the same data with the same
//! query mix and filters, as an anonymous caller would search (public, published items):
//!
//! - `search-floor`: the search engine in this process on the server's index (no HTTP, no
//!   GraphQL, no database): the floor the server cannot go below.
//! - `search-postgres`: PostgreSQL's full-text search: a `tsvector` of each published item's
//!   title, summary and body (`simple` configuration: the corpus has ten languages) with a GIN
//!   index, `websearch_to_tsquery`, the top 10 by `ts_rank_cd`, the total, facet counts by
//!   `GROUP BY` and `ts_headline` snippets of the 10.
//! - `search-sqlite`: SQLite's FTS5 likewise (`unicode61` tokenizer, `bm25`, `snippet`).
//!
//! The full-text tables are built once in the server's database (`fts_baseline`), before the
//! run and outside its timing; the time it took is printed.

use std::sync::Arc;
use std::time::Instant;

use sea_orm::sqlx::{self, Row};
use serde_json::Value;

/// A baseline engine, ready to search.
pub enum Baseline {
    Floor(Arc<search::SearchIndex>),
    Postgres(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

/// The filter of the search mix as lists of values.
struct Filter {
    countries: Vec<String>,
    sectors: Vec<String>,
    opportunity_types: Vec<String>,
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|value| value.as_str().map(str::to_owned))
        .collect()
}

impl Filter {
    fn of(filter: &Value) -> Filter {
        Filter {
            countries: strings(&filter["countries"]),
            sectors: strings(&filter["sectors"]),
            opportunity_types: strings(&filter["opportunityTypes"]),
        }
    }

    /// The filter as SQL conditions on `c` (the content row), numbered from `$2` (`$1` is the
    /// query); PostgreSQL and SQLite both read `$N`.
    fn conditions(&self) -> (String, Vec<String>) {
        let mut sql = String::new();
        let mut values = Vec::new();
        let list = |values: &mut Vec<String>, items: &[String]| {
            let start = values.len() + 2;
            values.extend(items.iter().cloned());
            placeholders(start, items.len())
        };
        if !self.countries.is_empty() {
            let placeholders = list(&mut values, &self.countries);
            sql += &format!(
                " AND EXISTS (SELECT 1 FROM content_countries cc WHERE cc.content_id = c.id AND cc.country_code IN ({placeholders}))"
            );
        }
        if !self.sectors.is_empty() {
            let placeholders = list(&mut values, &self.sectors);
            let again = list(&mut values, &self.sectors);
            sql += &format!(
                " AND EXISTS (SELECT 1 FROM content_sectors cs WHERE cs.content_id = c.id AND (cs.sector_code IN ({placeholders}) OR substr(cs.sector_code, 1, 2) IN ({again})))"
            );
        }
        if !self.opportunity_types.is_empty() {
            let placeholders = list(&mut values, &self.opportunity_types);
            sql += &format!(
                " AND EXISTS (SELECT 1 FROM opportunity_details o WHERE o.content_id = c.id AND o.opportunity_type IN ({placeholders}))"
            );
        }
        (sql, values)
    }
}

/// `$start, …` for `count` values.
fn placeholders(start: usize, count: usize) -> String {
    (start..start + count)
        .map(|number| format!("${number}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Days since the epoch today: opportunities past their deadline are not found.
fn today_days() -> i64 {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default();
    (seconds / 86_400) as i64
}

impl Baseline {
    /// Opens (and for the full-text engines, builds once) the baseline `scenario` names.
    pub async fn open(scenario: &str, target: &str) -> Result<Baseline, String> {
        match scenario {
            "search-floor" => {
                let index = search::SearchIndex::open_to_read(
                    std::path::Path::new(target),
                    search::glossary::Glossary::shipped(),
                )
                .map_err(|error| error.to_string())?;
                Ok(Baseline::Floor(Arc::new(index)))
            }
            "search-postgres" => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(8)
                    .connect(target)
                    .await
                    .map_err(|error| error.to_string())?;
                build(
                    &pool,
                    &[
                        "CREATE TABLE IF NOT EXISTS fts_baseline AS SELECT id, to_tsvector('simple', title || ' ' || summary || ' ' || body) AS document FROM content WHERE status = 'PUBLISHED'",
                        "CREATE INDEX IF NOT EXISTS fts_baseline_document ON fts_baseline USING GIN (document)",
                        "CREATE UNIQUE INDEX IF NOT EXISTS fts_baseline_id ON fts_baseline (id)",
                        "ANALYZE fts_baseline",
                    ],
                )
                .await?;
                Ok(Baseline::Postgres(pool))
            }
            "search-sqlite" => {
                let options = target
                    .parse::<sqlx::sqlite::SqliteConnectOptions>()
                    .map_err(|error| error.to_string())?
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(options)
                    .await
                    .map_err(|error| error.to_string())?;
                let empty: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'fts_baseline'",
                )
                .fetch_one(&pool)
                .await
                .map_err(|error| error.to_string())?;
                if empty == 0 {
                    build(
                        &pool,
                        &[
                            "CREATE VIRTUAL TABLE fts_baseline USING fts5(title, summary, body, tokenize = 'unicode61 remove_diacritics 2')",
                            "INSERT INTO fts_baseline (rowid, title, summary, body) SELECT rowid, title, summary, body FROM content WHERE status = 'PUBLISHED'",
                        ],
                    )
                    .await?;
                }
                Ok(Baseline::Sqlite(pool))
            }
            other => Err(format!("not a baseline: {other}")),
        }
    }

    /// One search of the mix: the total, facets and the top 10 with highlights.
    pub async fn search(&self, text: &str, filter: &Value) -> Result<(), String> {
        let filter = Filter::of(filter);
        match self {
            Baseline::Floor(index) => {
                let request = search::Request {
                    text: text.to_owned(),
                    countries: filter.countries,
                    sectors: filter.sectors,
                    opportunity_types: filter.opportunity_types,
                    today_days: today_days(),
                    first: 10,
                    ..search::Request::default()
                };
                let index = index.clone();
                let results = tokio::task::spawn_blocking(move || index.search(&request))
                    .await
                    .map_err(|error| error.to_string())?
                    .map_err(|error| error.to_string())?;
                if results.hits.len() > 10 {
                    return Err("more hits than asked for".into());
                }
                Ok(())
            }
            Baseline::Postgres(pool) => {
                let (conditions, values) = filter.conditions();
                let sql = format!(
                    "WITH q AS (SELECT websearch_to_tsquery('simple', $1) AS q), \
                     matches AS MATERIALIZED (SELECT c.id, c.kind, ts_rank_cd(f.document, q.q) AS rank \
                       FROM fts_baseline f JOIN content c ON c.id = f.id, q \
                       WHERE f.document @@ q.q AND c.status = 'PUBLISHED' AND c.visibility = 'PUBLIC'{conditions}), \
                     top AS (SELECT id, rank FROM matches ORDER BY rank DESC, id LIMIT 10) \
                     SELECT json_build_object( \
                       'total', (SELECT count(*) FROM matches), \
                       'kinds', (SELECT json_object_agg(kind, n) FROM (SELECT kind, count(*) AS n FROM matches GROUP BY kind) k), \
                       'countries', (SELECT json_object_agg(country_code, n) FROM (SELECT cc.country_code, count(*) AS n FROM matches m JOIN content_countries cc ON cc.content_id = m.id GROUP BY cc.country_code) x), \
                       'sectors', (SELECT json_object_agg(sector_code, n) FROM (SELECT cs.sector_code, count(*) AS n FROM matches m JOIN content_sectors cs ON cs.content_id = m.id GROUP BY cs.sector_code) s), \
                       'hits', (SELECT json_agg(json_build_object('id', c.id, \
                           'title', ts_headline('simple', c.title, q.q, 'StartSel=<mark>, StopSel=</mark>'), \
                           'summary', ts_headline('simple', c.summary, q.q, 'StartSel=<mark>, StopSel=</mark>'), \
                           'body', ts_headline('simple', c.body, q.q, 'StartSel=<mark>, StopSel=</mark>')) ORDER BY t.rank DESC, t.id) \
                         FROM top t JOIN content c ON c.id = t.id, q))::text"
                );
                // Only placeholders are formatted in; every value is bound.
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(text);
                for value in &values {
                    query = query.bind(value);
                }
                let row = query
                    .fetch_one(pool)
                    .await
                    .map_err(|error| error.to_string())?;
                check(&row.try_get::<String, _>(0).map_err(|e| e.to_string())?)
            }
            Baseline::Sqlite(pool) => {
                // FTS5's query language: each word quoted, all required.
                let words = text
                    .split_whitespace()
                    .map(|word| format!("\"{}\"", word.replace('"', "")))
                    .collect::<Vec<_>>()
                    .join(" ");
                let (conditions, values) = filter.conditions();
                let sql = format!(
                    "WITH matches AS MATERIALIZED (SELECT c.id, c.kind, f.rowid AS fts, bm25(fts_baseline) AS rank \
                       FROM fts_baseline f JOIN content c ON c.rowid = f.rowid \
                       WHERE fts_baseline MATCH $1 AND c.status = 'PUBLISHED' AND c.visibility = 'PUBLIC'{conditions}), \
                     top AS (SELECT fts, rank, id FROM matches ORDER BY rank, id LIMIT 10) \
                     SELECT json_object( \
                       'total', (SELECT count(*) FROM matches), \
                       'kinds', (SELECT json_group_object(kind, n) FROM (SELECT kind, count(*) AS n FROM matches GROUP BY kind)), \
                       'countries', (SELECT json_group_object(country_code, n) FROM (SELECT cc.country_code, count(*) AS n FROM matches m JOIN content_countries cc ON cc.content_id = m.id GROUP BY cc.country_code)), \
                       'sectors', (SELECT json_group_object(sector_code, n) FROM (SELECT cs.sector_code, count(*) AS n FROM matches m JOIN content_sectors cs ON cs.content_id = m.id GROUP BY cs.sector_code)), \
                       'top', (SELECT json_group_array(fts) FROM top))"
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&words);
                for value in &values {
                    query = query.bind(value);
                }
                let row = query
                    .fetch_one(pool)
                    .await
                    .map_err(|error| error.to_string())?;
                let mut answer: Value =
                    serde_json::from_str(&row.try_get::<String, _>(0).map_err(|e| e.to_string())?)
                        .map_err(|error| error.to_string())?;
                // FTS5 makes snippets only where its own match is the query's scan: the top
                // ten's, in a second statement.
                let top: Vec<i64> = answer["top"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_i64)
                    .collect();
                let placeholders = placeholders(2, top.len());
                // Rows, not an aggregate: FTS5 refuses `snippet` inside one.
                let sql = format!(
                    "SELECT rowid, snippet(fts_baseline, 0, '<mark>', '</mark>', '…', 12), \
                       snippet(fts_baseline, 1, '<mark>', '</mark>', '…', 12), \
                       snippet(fts_baseline, 2, '<mark>', '</mark>', '…', 24) \
                     FROM fts_baseline WHERE fts_baseline MATCH $1 AND rowid IN ({placeholders})"
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&words);
                for rowid in &top {
                    query = query.bind(rowid);
                }
                let rows = query
                    .fetch_all(pool)
                    .await
                    .map_err(|error| error.to_string())?;
                let mut hits = Vec::with_capacity(rows.len());
                for row in rows {
                    let text =
                        |column: usize| row.try_get::<String, _>(column).map_err(|e| e.to_string());
                    hits.push(serde_json::json!({
                        "rowid": row.try_get::<i64, _>(0).map_err(|e| e.to_string())?,
                        "title": text(1)?,
                        "summary": text(2)?,
                        "body": text(3)?,
                    }));
                }
                answer["hits"] = Value::Array(hits);
                check(&answer.to_string())
            }
        }
    }
}

/// Runs the statements that build a full-text table and says how long they took.
async fn build<DB>(pool: &sqlx::Pool<DB>, statements: &[&'static str]) -> Result<(), String>
where
    DB: sqlx::Database,
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
{
    let started = Instant::now();
    for statement in statements {
        sqlx::query(*statement)
            .execute(pool)
            .await
            .map_err(|error| format!("{statement}: {error}"))?;
    }
    eprintln!(
        "baseline: full-text table ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A full-text answer must have a total and at most ten hits.
fn check(answer: &str) -> Result<(), String> {
    let answer: Value = serde_json::from_str(answer).map_err(|error| error.to_string())?;
    if !answer["total"].is_i64() && !answer["total"].is_u64() {
        return Err(format!("no total: {answer}"));
    }
    if answer["hits"].as_array().map_or(0, Vec::len) > 10 {
        return Err(format!("more than ten hits: {answer}"));
    }
    Ok(())
}
