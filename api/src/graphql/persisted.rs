//! Automatic persisted queries, in Apollo's protocol: a client sends a document's SHA-256 in
//! `extensions.persistedQuery` instead of the document, so a GET carries a short hash (which a
//! CDN can cache) rather than kilobytes of query text.
//!
//! - hash only, and the hash is known: the stored document runs;
//! - hash only, and the hash is unknown: `PERSISTED_QUERY_NOT_FOUND` (message
//!   `PersistedQueryNotFound`, which Apollo's clients also match), and the client sends the
//!   document with its hash;
//! - document and hash: the document is stored when the hash is its SHA-256, and runs;
//!   a hash that does not match is `BAD_USER_INPUT`.
//!
//! async-graphql's own `ApolloPersistedQueries` is not used: its errors carry no
//! `extensions.code` (so [`super::classify`] would call a miss `BAD_USER_INPUT`, and Apollo's
//! clients match the code), it stores parsed documents (several times the text's size) bounded
//! by count only, and it hands the schema an empty query string, so the guard's document-size
//! check and the GET handler's mutation check would not see the document. Here the store keeps
//! the text and puts it back into the request, and everything after runs as for any document.
//!
//! Anyone can compute a SHA-256, so anyone can fill the store: it is a bounded LRU (see
//! [`crate::limits`]), and a client whose document was evicted simply registers it again.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::{Request, ServerError, ServerResult};
use sha2::{Digest, Sha256};

use crate::error::Code;
use crate::limits::{MAX_DOCUMENT_BYTES, MAX_PERSISTED_QUERIES, PERSISTED_QUERIES_MAX_BYTES};

/// The key of Apollo's protocol in a request's `extensions`.
const EXTENSION_KEY: &str = "persistedQuery";

/// The documents clients registered, shared by every request (and cheap to clone).
#[derive(Clone)]
pub struct PersistedQueryStore {
    documents: Arc<Mutex<Documents>>,
}

impl Default for PersistedQueryStore {
    fn default() -> Self {
        PersistedQueryStore {
            documents: Arc::new(Mutex::new(Documents::new(
                MAX_PERSISTED_QUERIES,
                PERSISTED_QUERIES_MAX_BYTES,
            ))),
        }
    }
}

impl PersistedQueryStore {
    /// Replaces a request's `extensions.persistedQuery` with the document it names, storing the
    /// document first when the request brings it. On error the request is left as it was.
    pub fn resolve(&self, request: &mut Request) -> ServerResult<()> {
        let Some(extension) = request.extensions.get(EXTENSION_KEY) else {
            return Ok(());
        };
        let wanted_hash = requested_hash(extension)?;
        if request.query.is_empty() {
            let Some(document) = self.lookup(&wanted_hash) else {
                return Err(persisted_query_error(
                    Code::PersistedQueryNotFound,
                    "PersistedQueryNotFound",
                ));
            };
            request.query = document.to_string();
        } else {
            let actual_hash = sha256_hex(&request.query);
            if actual_hash != wanted_hash {
                return Err(persisted_query_error(
                    Code::BadUserInput,
                    "provided sha does not match query",
                ));
            }
            // A longer document is refused by the guard anyway; storing it would only let it
            // crowd out documents that can run.
            if request.query.len() <= MAX_DOCUMENT_BYTES {
                self.store(actual_hash, Arc::from(request.query.as_str()));
            }
        }
        request.extensions.remove(EXTENSION_KEY);
        Ok(())
    }

    fn lookup(&self, hash: &str) -> Option<Arc<str>> {
        let mut documents = self.documents.lock().unwrap_or_else(|poisoned| {
            // A panic mid-update can at worst leave a stale entry; the store stays usable.
            poisoned.into_inner()
        });
        documents.get(hash)
    }

    fn store(&self, hash: String, document: Arc<str>) {
        let mut documents = self
            .documents
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        documents.put(hash, document);
    }
}

/// The lowercase hex SHA-256 that `extensions.persistedQuery` names, version 1 only.
fn requested_hash(extension: &async_graphql::Value) -> ServerResult<String> {
    let malformed = || {
        persisted_query_error(
            Code::BadUserInput,
            "extensions.persistedQuery must be { version: 1, sha256Hash: <hex SHA-256 of the query> }",
        )
    };
    let async_graphql::Value::Object(fields) = extension else {
        return Err(malformed());
    };
    let version = fields.get("version").and_then(|version| match version {
        async_graphql::Value::Number(number) => number.as_i64(),
        _ => None,
    });
    if version != Some(1) {
        return Err(malformed());
    }
    match fields.get("sha256Hash") {
        Some(async_graphql::Value::String(hash)) => Ok(hash.to_ascii_lowercase()),
        _ => Err(malformed()),
    }
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn persisted_query_error(code: Code, message: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code.as_str());
    error
}

/// Resolves persisted queries for every request the schema runs (POST, GET and websocket).
/// The GET handler resolves first, to see whether the document is a mutation; the extension
/// then finds nothing left to do.
pub struct PersistedQueries(pub PersistedQueryStore);

impl ExtensionFactory for PersistedQueries {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PersistedQueriesExtension(self.0.clone()))
    }
}

struct PersistedQueriesExtension(PersistedQueryStore);

#[async_graphql::async_trait::async_trait]
impl Extension for PersistedQueriesExtension {
    async fn prepare_request(
        &self,
        context: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        self.0.resolve(&mut request)?;
        next.run(context, request).await
    }
}

/// An LRU of documents by hash, bounded by count and by bytes (hash and text).
struct Documents {
    max_entries: usize,
    max_bytes: usize,
    by_hash: HashMap<String, Stored>,
    /// Hashes by the tick of their last use, oldest first.
    by_last_use: BTreeMap<u64, String>,
    bytes: usize,
    clock: u64,
}

struct Stored {
    text: Arc<str>,
    last_use: u64,
}

fn entry_bytes(hash: &str, text: &str) -> usize {
    hash.len() + text.len()
}

impl Documents {
    fn new(max_entries: usize, max_bytes: usize) -> Self {
        Documents {
            max_entries,
            max_bytes,
            by_hash: HashMap::new(),
            by_last_use: BTreeMap::new(),
            bytes: 0,
            clock: 0,
        }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn get(&mut self, hash: &str) -> Option<Arc<str>> {
        let now = self.tick();
        let stored = self.by_hash.get_mut(hash)?;
        let key = self.by_last_use.remove(&stored.last_use)?;
        stored.last_use = now;
        self.by_last_use.insert(now, key);
        Some(stored.text.clone())
    }

    fn put(&mut self, hash: String, text: Arc<str>) {
        let size = entry_bytes(&hash, &text);
        if size > self.max_bytes {
            return;
        }
        if let Some(previous) = self.by_hash.remove(&hash) {
            self.by_last_use.remove(&previous.last_use);
            self.bytes -= entry_bytes(&hash, &previous.text);
        }
        while self.by_hash.len() >= self.max_entries || self.bytes + size > self.max_bytes {
            let Some((_, oldest)) = self.by_last_use.pop_first() else {
                break;
            };
            if let Some(evicted) = self.by_hash.remove(&oldest) {
                self.bytes -= entry_bytes(&oldest, &evicted.text);
            }
        }
        let now = self.tick();
        self.by_last_use.insert(now, hash.clone());
        self.by_hash.insert(
            hash,
            Stored {
                text,
                last_use: now,
            },
        );
        self.bytes += size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(query: &str, hash: &str) -> Request {
        let mut request = Request::new(query);
        request.extensions.insert(
            EXTENSION_KEY.to_owned(),
            async_graphql::Value::from_json(
                serde_json::json!({ "version": 1, "sha256Hash": hash }),
            )
            .unwrap(),
        );
        request
    }

    fn code(error: &ServerError) -> String {
        let code = error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .cloned();
        match code {
            Some(async_graphql::Value::String(code)) => code,
            other => panic!("no code: {other:?}"),
        }
    }

    #[test]
    fn a_registered_document_is_found_by_its_hash_and_put_back_as_text() {
        let store = PersistedQueryStore::default();
        let query = "{ countries { code } }";
        let hash = sha256_hex(query);
        let mut registering = request_with(query, &hash.to_ascii_uppercase());
        store.resolve(&mut registering).unwrap();
        assert!(registering.extensions.get(EXTENSION_KEY).is_none());
        let mut hash_only = request_with("", &hash);
        store.resolve(&mut hash_only).unwrap();
        assert_eq!(hash_only.query, query);
    }

    #[test]
    fn an_unknown_hash_and_a_mismatched_hash_carry_their_codes() {
        let store = PersistedQueryStore::default();
        let unknown = store
            .resolve(&mut request_with("", &sha256_hex("{ me { id } }")))
            .unwrap_err();
        assert_eq!(unknown.message, "PersistedQueryNotFound");
        assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_FOUND");
        let mismatched = store
            .resolve(&mut request_with("{ me { id } }", &sha256_hex("{ other }")))
            .unwrap_err();
        assert_eq!(code(&mismatched), "BAD_USER_INPUT");
        let mut version_two = request_with("", "abc");
        version_two.extensions.insert(
            EXTENSION_KEY.to_owned(),
            async_graphql::Value::from_json(
                serde_json::json!({ "version": 2, "sha256Hash": "abc" }),
            )
            .unwrap(),
        );
        assert_eq!(
            code(&store.resolve(&mut version_two).unwrap_err()),
            "BAD_USER_INPUT"
        );
    }

    #[test]
    fn the_least_recently_used_document_goes_first_when_the_count_is_reached() {
        let mut documents = Documents::new(2, 1_000);
        documents.put("a".into(), Arc::from("{ a }"));
        documents.put("b".into(), Arc::from("{ b }"));
        assert!(documents.get("a").is_some());
        documents.put("c".into(), Arc::from("{ c }"));
        assert!(documents.get("b").is_none(), "b was used least recently");
        assert!(documents.get("a").is_some());
        assert!(documents.get("c").is_some());
    }

    #[test]
    fn documents_are_evicted_until_the_bytes_fit_and_an_oversized_one_is_not_kept() {
        let mut documents = Documents::new(100, 30);
        documents.put("a".into(), Arc::from("0123456789"));
        documents.put("b".into(), Arc::from("0123456789"));
        assert_eq!(documents.bytes, 22);
        documents.put("c".into(), Arc::from("0123456789"));
        assert!(documents.get("a").is_none());
        assert_eq!(documents.bytes, 22);
        documents.put("d".into(), Arc::from("x".repeat(40)));
        assert!(documents.get("d").is_none());
        assert_eq!(documents.by_hash.len(), 2);
        assert_eq!(documents.by_last_use.len(), 2);
    }
}
