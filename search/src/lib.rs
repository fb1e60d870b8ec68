//! The search index (tantivy): the engine behind the `search` query; it knows nothing of GraphQL or HTTP.
