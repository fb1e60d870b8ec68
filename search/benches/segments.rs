//! `cargo bench -p search --bench segments`: 10,000 single-item writes, each committed on
//! its own as a mutation's read-your-writes needs, against the same items written in
//! batches of 100 (the baseline, measured in the same run). Reports throughput, the ratio,
//! and the segment count the merge policy leaves behind.

use std::time::Instant;

use search::glossary::Glossary;
use search::{Change, Document, Indexer, OpenState, SearchIndex, Text};

const WRITES: usize = 10_000;
const BATCH: usize = 100;

fn document(number: usize) -> Document {
    let title = format!("Smart logistics hub {number} in Hai Phong");
    Document {
        id: format!("item-{number}"),
        version: number as i64,
        kind: "OPPORTUNITY".into(),
        author_id: "author-1".into(),
        visibility: if number.is_multiple_of(4) {
            "MEMBERS".into()
        } else {
            "PUBLIC".into()
        },
        language: "en".into(),
        texts: vec![
            Text {
                language: "en".into(),
                title: title.clone(),
                summary: "Cold chain for the Mekong.".into(),
                body: "A partner for cross-border e-commerce logistics.".into(),
            },
            Text {
                language: "zh".into(),
                title: "海防智慧物流枢纽".into(),
                summary: "湄公河冷链".into(),
                body: "寻找跨境电商物流合作伙伴。".into(),
            },
        ],
        countries: vec!["VN".into(), "CN".into()],
        sectors: vec!["0504".into()],
        sector_scope: vec!["0504".into(), "05".into()],
        tags: vec!["logistics".into()],
        opportunity_type: Some("INVESTMENT".into()),
        currency: Some("USD".into()),
        published_at_micros: 1_700_000_000_000_000 + number as i64,
        deadline_days: Some(21_000),
        amount_min: Some(1_000_000),
        amount_max: Some(50_000_000),
        starts_at_micros: None,
        ..Document::default()
    }
}

fn open(dir: &std::path::Path) -> (SearchIndex, Indexer) {
    let (index, state) = SearchIndex::open(dir, Glossary::shipped()).expect("an index");
    assert_eq!(state, OpenState::Fresh);
    let indexer = Indexer::start(&index, false).expect("a writer");
    (index, indexer)
}

fn main() {
    let baseline_dir = tempfile::tempdir().expect("a temporary dir");
    let (_baseline_index, baseline) = open(baseline_dir.path());
    let started = Instant::now();
    for batch in 0..WRITES / BATCH {
        let changes = (batch * BATCH..(batch + 1) * BATCH)
            .map(|number| Change::Upsert(Box::new(document(number))))
            .collect();
        baseline
            .apply_blocking(changes, Some(batch as i64), false)
            .expect("a batch");
    }
    let batched_seconds = started.elapsed().as_secs_f64();

    let single_dir = tempfile::tempdir().expect("a temporary dir");
    let (index, single) = open(single_dir.path());
    let started = Instant::now();
    for number in 0..WRITES {
        single
            .apply_blocking(
                vec![Change::Upsert(Box::new(document(number)))],
                Some(number as i64),
                false,
            )
            .expect("a write");
    }
    let single_seconds = started.elapsed().as_secs_f64();
    drop(single);
    let segments = index.segment_count().expect("segment ids");

    println!(
        "batched ({BATCH} per commit): {WRITES} writes in {batched_seconds:.2} s = {:.0} writes/s (baseline)",
        WRITES as f64 / batched_seconds
    );
    println!(
        "single (1 per commit):        {WRITES} writes in {single_seconds:.2} s = {:.0} writes/s",
        WRITES as f64 / single_seconds
    );
    println!(
        "single / batched time ratio:  {:.1}x",
        single_seconds / batched_seconds
    );
    println!("segments after {WRITES} single writes: {segments}");
    println!("documents: {}", index.document_count());
}
