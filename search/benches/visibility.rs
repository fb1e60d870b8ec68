//! `cargo bench -p search --bench visibility`: what relevance over the visible set costs.
//! An anonymous search filters to PUBLIC documents and computes its BM25 statistics over
//! them (`VisibleStatistics`); a member's search sees everything and keeps tantivy's
//! index-wide statistics, so it is the baseline. Both run the same query text on one on-disk
//! index of 100,000 generated documents, interleaved, and the report gives each audience's
//! median and p90 latency and the ratio anonymous / member of the medians.

use std::hint::black_box;
use std::time::{Duration, Instant};

use corpus::{Random, Vocabulary};
use search::glossary::Glossary;
use search::{Change, Document, Indexer, OpenState, Request, SearchIndex, Text};

const DOCUMENTS: usize = 100_000;
const BATCH: usize = 10_000;
const RUNS: usize = 200;
const WARM_UP_RUNS: usize = 20;
/// The first page as the api asks for it (`DEFAULT_PAGE_SIZE`).
const PAGE_SIZE: usize = 20;
/// 2026-11-29 in days since the epoch: opportunities with an earlier deadline are expired.
const TODAY_DAYS: i64 = 20_786;
const SEED: u64 = 0x1f0_4a2b_0e55;
const AUTHORS: usize = 6;
/// One document in this many mentions `RARE_WORD` (it is in no vocabulary).
const RARE_EVERY: usize = 1_000;
const RARE_WORD: &str = "durian";

/// The queries, each with what it stands for in the report.
const QUERIES: &[(&str, &str)] = &[
    ("common English word", "market"),
    ("rare word", RARE_WORD),
    ("three words", "rice export partner"),
    ("Chinese term", "港口"),
    ("Chinese word inside unspaced text", UNSPACED_WORD),
    // Matches nothing and is too short for typos: what is left is the per-search cost that
    // does not depend on the query's terms (the visible set and the fields' token totals).
    ("no match (fixed cost)", "qzx"),
];

/// Generates the documents' texts: English words separated by spaces, Chinese ones joined.
struct Writer {
    english: Vocabulary,
    chinese: Vocabulary,
}

impl Writer {
    /// Sentences of `language` until the text holds at least `characters` characters.
    fn text(&self, random: &mut Random, language: &str, characters: usize) -> String {
        let (vocabulary, separator, full_stop) = match language {
            "zh" => (&self.chinese, "", "。"),
            _ => (&self.english, " ", ". "),
        };
        let mut text = String::new();
        let mut length = 0;
        while length < characters {
            let sentence_words = random.between(6, 16);
            let sentence = (0..sentence_words)
                .map(|_| vocabulary.pick(random))
                .collect::<Vec<_>>()
                .join(separator);
            length += sentence.chars().count() + full_stop.chars().count();
            text.push_str(&sentence);
            text.push_str(full_stop);
        }
        text
    }

    fn words(&self, random: &mut Random, language: &str, count: usize) -> String {
        let (vocabulary, separator) = match language {
            "zh" => (&self.chinese, ""),
            _ => (&self.english, " "),
        };
        (0..count)
            .map(|_| vocabulary.pick(random))
            .collect::<Vec<_>>()
            .join(separator)
    }

    fn translation(&self, random: &mut Random, language: &str, mentions_rare_word: bool) -> Text {
        let body_characters = random.between(300, 1_500);
        let title_words = random.between(4, 9);
        let summary_words = random.between(10, 25);
        let mut body = self.text(random, language, body_characters);
        if mentions_rare_word {
            body.push_str(&format!("{RARE_WORD} plantation. "));
        }
        Text {
            language: language.into(),
            title: self.words(random, language, title_words),
            summary: self.words(random, language, summary_words),
            body,
        }
    }

    /// Document `number`: three in four PUBLIC; three in five written in English, the rest
    /// in Chinese; one in three with a translation into the other language.
    fn document(&self, random: &mut Random, number: usize) -> Document {
        let visibility = if random.percent(75) {
            "PUBLIC"
        } else {
            "MEMBERS"
        };
        let language = if random.percent(60) { "en" } else { "zh" };
        let mentions_rare_word = number % RARE_EVERY == RARE_EVERY / 2;
        let mut texts = vec![self.translation(random, language, mentions_rare_word)];
        if random.percent(33) {
            let other_language = if language == "en" { "zh" } else { "en" };
            texts.push(self.translation(random, other_language, false));
        }
        let kind =
            ["OPPORTUNITY", "OPPORTUNITY", "POLICY", "RESEARCH", "EVENT"][random.between(0, 4)];
        let is_opportunity = kind == "OPPORTUNITY";
        let country =
            ["VN", "CN", "TH", "MY", "ID", "PH", "KH", "LA", "MM", "SG"][random.between(0, 9)];
        Document {
            id: format!("item-{number}"),
            version: 1,
            kind: kind.into(),
            visibility: visibility.into(),
            author_id: format!("author-{}", random.between(1, AUTHORS)),
            language: language.into(),
            texts,
            countries: vec![country.into(), "CN".into()],
            sectors: vec!["0504".into()],
            sector_scope: vec!["0504".into(), "05".into()],
            tags: Vec::new(),
            opportunity_type: is_opportunity.then(|| "INVESTMENT".into()),
            currency: is_opportunity.then(|| "USD".into()),
            published_at_micros: 1_700_000_000_000_000 + number as i64 * 1_000_000,
            deadline_days: is_opportunity.then(|| TODAY_DAYS - 100 + random.between(0, 600) as i64),
            amount_min: is_opportunity.then_some(1_000_000),
            amount_max: is_opportunity.then_some(50_000_000),
            starts_at_micros: None,
            ..Document::default()
        }
    }
}

/// A word that the generated Chinese text holds inside longer runs, where jieba sometimes cuts
/// it apart from its neighbours' characters (受冷|链): the bench counts how many items hold it
/// and how many a search finds.
const UNSPACED_WORD: &str = "冷链";

/// Writes the documents in batches of `BATCH`, one commit each, and waits for the merges.
/// Returns, per document number, whether it is PUBLIC, and how many unexpired documents hold
/// [`UNSPACED_WORD`] in any text.
fn build_index(directory: &std::path::Path) -> (Vec<bool>, usize) {
    let (index, state) = SearchIndex::open(directory, Glossary::shipped()).expect("an index");
    assert_eq!(state, OpenState::Fresh);
    let indexer = Indexer::start(&index, true).expect("a writer");
    let writer = Writer {
        english: Vocabulary::english(),
        chinese: Vocabulary::chinese(),
    };
    let mut random = Random(SEED);
    let mut public = Vec::with_capacity(DOCUMENTS);
    let mut holding_word = 0;
    for batch in 0..DOCUMENTS / BATCH {
        let documents: Vec<Document> = (batch * BATCH..(batch + 1) * BATCH)
            .map(|number| writer.document(&mut random, number))
            .collect();
        public.extend(
            documents
                .iter()
                .map(|document| document.visibility == "PUBLIC"),
        );
        holding_word += documents
            .iter()
            .filter(|document| {
                // Expired opportunities are left out of a search by default.
                let current = document.deadline_days.is_none_or(|days| days >= TODAY_DAYS);
                current
                    && document.texts.iter().any(|text| {
                        [&text.title, &text.summary, &text.body]
                            .iter()
                            .any(|field| field.contains(UNSPACED_WORD))
                    })
            })
            .count();
        let changes = documents
            .into_iter()
            .map(|document| Change::Upsert(Box::new(document)))
            .collect();
        indexer
            .apply_blocking(changes, Some(batch as i64), false)
            .expect("a batch");
    }
    // Dropping the writer waits for its merges, so the searches below see settled segments.
    drop(indexer);
    (public, holding_word)
}

fn request(text: &str, include_members: bool) -> Request {
    Request {
        text: text.into(),
        include_members,
        viewer_id: None,
        today_days: TODAY_DAYS,
        first: PAGE_SIZE,
        ..Request::default()
    }
}

/// Runs `request` once: its latency and its total.
fn timed_search(index: &SearchIndex, request: &Request) -> (Duration, usize) {
    let started = Instant::now();
    let results = index.search(request).expect("a search");
    let elapsed = started.elapsed();
    let total = results.total;
    black_box(results);
    (elapsed, total)
}

/// The value below which `percent` of the sorted `durations` fall (nearest rank), in ms.
fn percentile(sorted_durations: &[Duration], percent: usize) -> f64 {
    let rank = (sorted_durations.len() * percent).div_ceil(100).max(1);
    sorted_durations[rank - 1].as_secs_f64() * 1_000.0
}

struct Measurement {
    label: &'static str,
    text: &'static str,
    member_total: usize,
    anonymous_total: usize,
    member: Vec<Duration>,
    anonymous: Vec<Duration>,
}

/// Runs one query `RUNS` times per audience, alternating which goes first so that noise and
/// cache warmth fall on both alike.
fn measure(
    index: &SearchIndex,
    public: &[bool],
    label: &'static str,
    text: &'static str,
) -> Measurement {
    let member_request = request(text, true);
    let anonymous_request = request(text, false);
    let anonymous_hits = index.search(&anonymous_request).expect("a search").hits;
    for hit in &anonymous_hits {
        let number: usize = hit.id["item-".len()..].parse().expect("a generated id");
        assert!(
            public[number],
            "anonymous search found MEMBERS item {}",
            hit.id
        );
    }
    for _ in 0..WARM_UP_RUNS {
        black_box(timed_search(index, &member_request));
        black_box(timed_search(index, &anonymous_request));
    }
    let mut member = Vec::with_capacity(RUNS);
    let mut anonymous = Vec::with_capacity(RUNS);
    let (mut member_total, mut anonymous_total) = (0, 0);
    for run in 0..RUNS {
        let member_first = run % 2 == 0;
        if !member_first {
            let (elapsed, total) = timed_search(index, &anonymous_request);
            anonymous.push(elapsed);
            anonymous_total = total;
        }
        let (elapsed, total) = timed_search(index, &member_request);
        member.push(elapsed);
        member_total = total;
        if member_first {
            let (elapsed, total) = timed_search(index, &anonymous_request);
            anonymous.push(elapsed);
            anonymous_total = total;
        }
    }
    member.sort();
    anonymous.sort();
    Measurement {
        label,
        text,
        member_total,
        anonymous_total,
        member,
        anonymous,
    }
}

fn print_table(measurements: &[Measurement]) {
    println!(
        "| query | matches (member / anonymous) | member median | member p90 | anonymous median | anonymous p90 | anonymous / member (medians) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for measurement in measurements {
        let member_median = percentile(&measurement.member, 50);
        let anonymous_median = percentile(&measurement.anonymous, 50);
        println!(
            "| {} `{}` | {} / {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2}× |",
            measurement.label,
            measurement.text,
            measurement.member_total,
            measurement.anonymous_total,
            member_median,
            percentile(&measurement.member, 90),
            anonymous_median,
            percentile(&measurement.anonymous, 90),
            anonymous_median / member_median,
        );
    }
}

fn main() {
    let directory = tempfile::tempdir().expect("a temporary dir");
    let started = Instant::now();
    let (public, holding_word) = build_index(directory.path());
    let build_seconds = started.elapsed().as_secs_f64();
    let (index, state) =
        SearchIndex::open(directory.path(), Glossary::shipped()).expect("the index");
    assert!(matches!(state, OpenState::Existing { .. }), "{state:?}");
    let public_count = public.iter().filter(|is_public| **is_public).count();
    println!(
        "index: {} documents ({public_count} PUBLIC) in {} segments, built in {build_seconds:.0} s",
        index.document_count(),
        index.segment_count().expect("segment ids"),
    );
    for (_, text) in QUERIES {
        println!("tokens of `{text}`: {:?}", search::analysis::tokens(text));
    }
    println!("{RUNS} runs per query and audience, after {WARM_UP_RUNS} warm-up runs each\n");
    let measurements: Vec<Measurement> = QUERIES
        .iter()
        .map(|(label, text)| measure(&index, &public, label, text))
        .collect();
    print_table(&measurements);
    // Without the glossary, which adds the English items about cold chains.
    let (literal, _) = SearchIndex::open(directory.path(), Glossary::default()).expect("the index");
    let found = literal
        .search(&request(UNSPACED_WORD, true))
        .expect("a search")
        .total;
    println!(
        "\n`{UNSPACED_WORD}` inside unspaced text: {holding_word} unexpired documents hold it, a member's search without the glossary finds {found} ({} missed)",
        holding_word as i64 - found as i64
    );
}
