//! The index on disk: opening it, rebuilding it when it is missing, corrupt or built by
//! another analyzer, and the last change-log sequence number its newest commit applied.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::schema::Schema;
use tantivy::{Index, IndexReader, IndexSettings, ReloadPolicy, TantivyDocument};

use crate::analysis::{self, ANALYZER_VERSION};
use crate::glossary::Glossary;
use crate::schema::{self, Fields};
use crate::{Error, Result};

/// One language version of an item's text.
#[derive(Debug, Clone)]
pub struct Text {
    pub language: String,
    pub title: String,
    pub summary: String,
    pub body: String,
}

/// A published item as the index holds it. Only published items are indexed.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub id: String,
    /// The item's last update, in microseconds: a newer version replaces an older one.
    pub version: i64,
    pub kind: String,
    pub visibility: String,
    /// Who wrote it: an author sees their own member-only items in search too.
    pub author_id: String,
    pub language: String,
    /// The original first, then the translations.
    pub texts: Vec<Text>,
    pub countries: Vec<String>,
    pub sectors: Vec<String>,
    /// `sectors` and their categories.
    pub sector_scope: Vec<String>,
    pub tags: Vec<String>,
    pub opportunity_type: Option<String>,
    pub currency: Option<String>,
    pub published_at_micros: i64,
    pub deadline_days: Option<i64>,
    /// Amounts in ten-thousandths of the currency unit.
    pub amount_min: Option<u64>,
    pub amount_max: Option<u64>,
    pub starts_at_micros: Option<i64>,
    pub policy_type: Option<String>,
    pub event_type: Option<String>,
    pub effective_days: Option<i64>,
}

/// What the commit payload records.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    seq: i64,
    analyzer: u32,
}

/// How the index was found at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenState {
    /// New (missing, corrupt, or built by another analyzer): rebuild it from the database.
    Fresh,
    /// Up to date with the change log as far as `last_seq`; replay what came after.
    Existing { last_seq: i64 },
}

pub struct SearchIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
    pub(crate) glossary: Glossary,
    path: Option<PathBuf>,
}

/// A stable 64-bit FNV-1a hash of an id: the sort tie-breaker, the same on every node.
pub(crate) fn key_of(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl SearchIndex {
    /// Opens the index in `path`, or creates a fresh one there.
    pub fn open(path: &Path, glossary: Glossary) -> Result<(SearchIndex, OpenState)> {
        let (schema, fields) = schema::build();
        match Self::open_existing(path, &schema) {
            Ok(Some((index, last_seq))) => Ok((
                Self::with_index(index, fields, glossary, Some(path))?,
                OpenState::Existing { last_seq },
            )),
            outcome => {
                if let Err(error) = &outcome {
                    tracing::warn!(path = %path.display(), %error, "the search index is unusable; rebuilding it");
                }
                if path.exists() {
                    std::fs::remove_dir_all(path).map_err(|error| {
                        Error::Directory(format!("failed to clear {}: {error}", path.display()))
                    })?;
                }
                std::fs::create_dir_all(path).map_err(|error| {
                    Error::Directory(format!("failed to create {}: {error}", path.display()))
                })?;
                let directory = MmapDirectory::open(path)
                    .map_err(|error| Error::Directory(error.to_string()))?;
                let index = Index::create(directory, schema, IndexSettings::default())?;
                Ok((
                    Self::with_index(index, fields, glossary, Some(path))?,
                    OpenState::Fresh,
                ))
            }
        }
    }

    /// The index in `path` as it is, to read only (benchmarks beside a stopped server): an
    /// error, never a rebuild, when it is missing or built by another version.
    pub fn open_to_read(path: &Path, glossary: Glossary) -> Result<SearchIndex> {
        let (schema, fields) = schema::build();
        match Self::open_existing(path, &schema)? {
            Some((index, _)) => Self::with_index(index, fields, glossary, Some(path)),
            None => Err(Error::Directory(format!(
                "no index of this version in {}",
                path.display()
            ))),
        }
    }

    /// An index in memory, for tests and benchmarks.
    pub fn in_memory(glossary: Glossary) -> Result<SearchIndex> {
        let (schema, fields) = schema::build();
        Self::with_index(Index::create_in_ram(schema), fields, glossary, None)
    }

    /// The index in `path` if it is ours and readable: `None` when there is none or it was
    /// built by another analyzer version.
    fn open_existing(path: &Path, schema: &Schema) -> Result<Option<(Index, i64)>> {
        if !path.join("meta.json").exists() {
            return Ok(None);
        }
        let directory =
            MmapDirectory::open(path).map_err(|error| Error::Directory(error.to_string()))?;
        let index = Index::open(directory)?;
        if index.schema() != *schema {
            return Ok(None);
        }
        let payload = index
            .load_metas()?
            .payload
            .and_then(|payload| serde_json::from_str::<Payload>(&payload).ok());
        match payload {
            Some(payload) if payload.analyzer == ANALYZER_VERSION => {
                // Reading every segment's metadata here finds a truncated or missing file now
                // rather than at the first search.
                let reader: IndexReader = index.reader()?;
                let _ = reader.searcher().num_docs();
                Ok(Some((index, payload.seq)))
            }
            _ => Ok(None),
        }
    }

    fn with_index(
        index: Index,
        fields: Fields,
        glossary: Glossary,
        path: Option<&Path>,
    ) -> Result<SearchIndex> {
        analysis::register(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
            glossary,
            path: path.map(Path::to_path_buf),
        })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The change-log sequence number the newest commit recorded.
    pub fn last_seq(&self) -> Result<Option<i64>> {
        let payload = self.index.load_metas()?.payload;
        Ok(payload
            .and_then(|payload| serde_json::from_str::<Payload>(&payload).ok())
            .map(|payload| payload.seq))
    }

    /// Segments in the newest commit (kept bounded by the merge policy).
    pub fn segment_count(&self) -> Result<usize> {
        Ok(self.index.searchable_segment_ids()?.len())
    }

    /// Documents visible to searches now.
    pub fn document_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub(crate) fn payload(seq: i64) -> String {
        serde_json::to_string(&Payload {
            seq,
            analyzer: ANALYZER_VERSION,
        })
        .unwrap_or_default()
    }
}

/// The tantivy document of an item.
pub(crate) fn tantivy_document(fields: &Fields, document: &Document) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.id, &document.id);
    doc.add_u64(fields.key, key_of(&document.id));
    doc.add_u64(fields.id_order, crate::listing::id_order(&document.id));
    doc.add_text(fields.kind, &document.kind);
    doc.add_text(fields.visibility, &document.visibility);
    doc.add_text(fields.author, &document.author_id);
    doc.add_text(fields.language, &document.language);
    for (field, values) in [
        (fields.countries, &document.countries),
        (fields.sectors, &document.sectors),
        (fields.sector_scope, &document.sector_scope),
        (fields.tags, &document.tags),
    ] {
        for value in values {
            doc.add_text(field, value);
        }
    }
    if let Some(opportunity_type) = &document.opportunity_type {
        doc.add_text(fields.opportunity_type, opportunity_type);
    }
    for (field, value) in [
        (fields.currency, &document.currency),
        (fields.policy_type, &document.policy_type),
        (fields.event_type, &document.event_type),
    ] {
        if let Some(value) = value {
            doc.add_text(field, value);
        }
    }
    for text in &document.texts {
        doc.add_text(fields.title, &text.title);
        doc.add_text(fields.summary, &text.summary);
        doc.add_text(fields.body, &text.body);
        let all = || format!("{}\n{}\n{}", text.title, text.summary, text.body);
        let language = analysis::fold(&text.language);
        if language.starts_with("en") {
            doc.add_text(fields.english, all());
        }
        if language.starts_with("id") || language.starts_with("ms") {
            doc.add_text(fields.malay, all());
        }
        // Text without an unspaced run gives no bigrams.
        doc.add_text(fields.grams, all());
    }
    doc.add_date(
        fields.published_at,
        tantivy::DateTime::from_timestamp_micros(document.published_at_micros),
    );
    doc.add_i64(fields.deadline, document.deadline_days.unwrap_or(i64::MAX));
    if let Some(amount) = document.amount_min {
        doc.add_u64(fields.amount_min, amount);
    }
    if let Some(amount) = document.amount_max {
        doc.add_u64(fields.amount_max, amount);
    }
    if let Some(starts_at) = document.starts_at_micros {
        doc.add_i64(fields.starts_at, starts_at);
    }
    if let Some(effective) = document.effective_days {
        doc.add_i64(fields.effective, effective);
    }
    doc.add_i64(fields.updated_at, document.version);
    doc
}
