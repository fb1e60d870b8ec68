//! One writer with two indexing threads takes live writes, a staged rebuild and large
//! batches in turn: nothing staged, committed or recorded is lost between them.

use search::glossary::Glossary;
use search::{Change, Document, Indexer, SearchIndex, Text};

fn document(id: usize) -> Document {
    Document {
        id: format!("00000000-0000-7000-8000-{id:012}"),
        version: 1,
        kind: "OPPORTUNITY".into(),
        visibility: "PUBLIC".into(),
        author_id: "author".into(),
        language: "en".into(),
        texts: vec![Text {
            language: "en".into(),
            title: format!("Cold storage partner {id}"),
            summary: "A logistics park seeks a partner.".into(),
            body: "Warehouses for cross-border trade.".into(),
        }],
        published_at_micros: 1_700_000_000_000_000 + id as i64,
        ..Document::default()
    }
}

fn upserts(ids: std::ops::Range<usize>) -> Vec<Change> {
    ids.map(|id| Change::Upsert(Box::new(document(id))))
        .collect()
}

#[tokio::test]
async fn live_writes_a_staged_rebuild_and_large_batches_alternate_without_loss() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let (index, _) = SearchIndex::open(directory.path(), Glossary::shipped()).expect("an index");
    let indexer = Indexer::start_with_threads(&index, 2).expect("a writer");

    // Live writes, one by one.
    for id in 0..3 {
        indexer
            .apply(upserts(id..id + 1), Some(id as i64 + 1))
            .await
            .unwrap();
    }
    assert_eq!(index.document_count(), 3);

    // A rebuild: staged in batches (bulk, two threads), nothing visible until its commit.
    indexer
        .stage(upserts(100..1_600), true)
        .unwrap()
        .wait()
        .await
        .unwrap();
    indexer
        .stage(upserts(1_600..3_100), false)
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(
        index.document_count(),
        3,
        "staged changes are not searchable"
    );
    indexer.apply(Vec::new(), Some(10)).await.unwrap();
    assert_eq!(
        index.document_count(),
        3_000,
        "the rebuild replaced everything"
    );
    assert_eq!(index.last_seq().unwrap(), Some(10));

    // Live again (one thread), then a large batch (bulk) committed at once, then live.
    indexer
        .apply(upserts(5_000..5_001), Some(11))
        .await
        .unwrap();
    indexer
        .apply(upserts(6_000..8_000), Some(12))
        .await
        .unwrap();
    indexer
        .apply(upserts(9_000..9_002), Some(13))
        .await
        .unwrap();
    assert_eq!(index.document_count(), 3_000 + 1 + 2_000 + 2);
    assert_eq!(index.last_seq().unwrap(), Some(13));
    // An update replaces, never duplicates.
    let mut newer = document(5_000);
    newer.version = 2;
    indexer
        .apply(vec![Change::Upsert(Box::new(newer))], Some(14))
        .await
        .unwrap();
    assert_eq!(index.document_count(), 5_003);
}
