//! Relevance over what the caller may see: documents hidden from a caller change neither
//! the scores nor the snippets that caller gets, while a caller who may see them does.

use search::glossary::Glossary;
use search::{Change, Document, Hit, Indexer, OpenState, Request, Results, SearchIndex, Text};
use tempfile::TempDir;

const QUERY: &str = "irrigation pumps";

/// Far enough apart that the body snippet (400 bytes) holds one of "irrigation" and "pumps",
/// never both: which one it shows depends on how rare each word is.
fn public_body() -> String {
    format!(
        "Irrigation canals need repair across the province. {} Solar pumps are wanted for the dry season.",
        "The cooperative farms rice and maize on reclaimed land near the river mouth. ".repeat(8)
    )
}

fn document(id: &str, visibility: &str, author_id: &str, title: &str, body: &str) -> Document {
    Document {
        id: id.into(),
        version: 1,
        kind: "OPPORTUNITY".into(),
        visibility: visibility.into(),
        author_id: author_id.into(),
        language: "en".into(),
        texts: vec![Text {
            language: "en".into(),
            title: title.into(),
            summary: format!("{title}, looking for partners"),
            body: body.into(),
        }],
        countries: vec!["VN".into()],
        sectors: vec!["0504".into()],
        sector_scope: vec!["0504".into(), "05".into()],
        tags: Vec::new(),
        opportunity_type: Some("INVESTMENT".into()),
        currency: None,
        published_at_micros: 1_700_000_000_000_000,
        deadline_days: None,
        amount_min: None,
        amount_max: None,
        starts_at_micros: None,
        ..Document::default()
    }
}

/// The PUBLIC document every caller finds, and a PUBLIC one that mentions only pumps (it
/// does not match the query, but makes "pumps" the commoner word among public documents).
fn public_documents() -> Vec<Document> {
    vec![
        document(
            "public-match",
            "PUBLIC",
            "author-1",
            "Irrigation pumps for the delta",
            &public_body(),
        ),
        document(
            "public-pumps",
            "PUBLIC",
            "author-1",
            "Water pumps wanted",
            "Pumps for a fish farm.",
        ),
    ]
}

/// MEMBERS documents by someone else with the same words, "irrigation" many times and in
/// longer texts, so that document frequencies and average field lengths both change.
fn others_members_documents() -> Vec<Document> {
    (0..3)
        .map(|number| {
            document(
                &format!("members-{number}"),
                "MEMBERS",
                "author-2",
                "Irrigation pumps tender for members with a much longer title than the others",
                &"Irrigation schemes, irrigation audits and irrigation finance for members. "
                    .repeat(5 + number),
            )
        })
        .collect()
}

fn open_index() -> (TempDir, SearchIndex, Indexer) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let (index, state) =
        SearchIndex::open(directory.path(), Glossary::shipped()).expect("an index");
    assert_eq!(state, OpenState::Fresh);
    // One indexing thread keeps each batch in one segment, which the segment-order test
    // below needs (two threads would split its 5,000 documents in two).
    let indexer = Indexer::start_with_threads(&index, 1).expect("a writer");
    (directory, index, indexer)
}

fn add(indexer: &Indexer, documents: Vec<Document>) {
    let changes = documents
        .into_iter()
        .map(|document| Change::Upsert(Box::new(document)))
        .collect();
    indexer
        .apply_blocking(changes, None, false)
        .expect("committed changes");
}

fn search(index: &SearchIndex, include_members: bool, viewer_id: Option<&str>) -> Results {
    index
        .search(&Request {
            text: QUERY.into(),
            include_members,
            viewer_id: viewer_id.map(str::to_owned),
            first: 10,
            ..Request::default()
        })
        .expect("search results")
}

fn hit<'a>(results: &'a Results, id: &str) -> &'a Hit {
    results
        .hits
        .iter()
        .find(|hit| hit.id == id)
        .unwrap_or_else(|| panic!("{id} is among the hits"))
}

fn body_snippet(hit: &Hit) -> &str {
    hit.highlights
        .iter()
        .find(|highlight| highlight.field == "body")
        .map(|highlight| highlight.snippet.as_str())
        .expect("a body highlight")
}

#[test]
fn members_only_documents_change_neither_anonymous_scores_nor_highlights() {
    let (_directory, index, indexer) = open_index();
    add(&indexer, public_documents());
    let before = search(&index, false, None);
    assert_eq!(before.total, 1);
    let public_before = hit(&before, "public-match").clone();
    assert!(
        body_snippet(&public_before).contains("<mark>Irrigation</mark>"),
        "the rarer word among public documents picks the body fragment: {}",
        body_snippet(&public_before)
    );
    let entitled_before = search(&index, true, None);

    add(&indexer, others_members_documents());
    let after = search(&index, false, None);

    assert_eq!(after.total, 1, "MEMBERS documents stay hidden");
    let public_after = hit(&after, "public-match");
    assert_eq!(
        public_after.score.to_bits(),
        public_before.score.to_bits(),
        "the anonymous score is bit-identical: {} then {}",
        public_before.score,
        public_after.score
    );
    assert_eq!(public_after.highlights, public_before.highlights);

    let entitled = search(&index, true, None);
    assert_eq!(entitled.total, 4, "a member sees every document");
    assert_ne!(
        hit(&entitled, "public-match").score.to_bits(),
        hit(&entitled_before, "public-match").score.to_bits(),
        "a member's statistics include the MEMBERS documents"
    );
    assert_ne!(
        body_snippet(hit(&entitled, "public-match")),
        body_snippet(&public_before),
        "with index-wide frequencies, \"irrigation\" is common and the pumps fragment wins"
    );
}

#[test]
fn an_author_sees_their_members_only_document_scored_over_public_and_their_own() {
    let own = document(
        "own-members",
        "MEMBERS",
        "author-7",
        "Irrigation pumps for our own members",
        "Irrigation pumps, irrigation pipes and a pump house.",
    );
    let (_without_directory, without_others, without_indexer) = open_index();
    add(
        &without_indexer,
        [public_documents(), vec![own.clone()]].concat(),
    );
    let (_with_directory, with_others, with_indexer) = open_index();
    add(
        &with_indexer,
        [public_documents(), vec![own], others_members_documents()].concat(),
    );

    let expected = search(&without_others, false, Some("author-7"));
    let viewer = search(&with_others, false, Some("author-7"));
    let anonymous = search(&with_others, false, None);

    assert_eq!(viewer.total, 2, "the author sees PUBLIC and their own");
    for id in ["public-match", "own-members"] {
        assert_eq!(
            hit(&viewer, id).score.to_bits(),
            hit(&expected, id).score.to_bits(),
            "{id} is scored as if others' MEMBERS documents did not exist"
        );
        assert_eq!(hit(&viewer, id).highlights, hit(&expected, id).highlights);
    }
    assert_eq!(anonymous.total, 1);
    assert_ne!(
        hit(&viewer, "public-match").score.to_bits(),
        hit(&anonymous, "public-match").score.to_bits(),
        "the author's own document counts in their statistics"
    );
}

/// Past its first 4,096 documents a segment's intersection orders its clauses by posting-list
/// length, hidden documents included; three scores added in another order can round
/// differently. With the words' frequencies below, a flat three-clause query gave the public
/// document a score one bit lower once MEMBERS documents about pumps joined its segment.
#[test]
fn hidden_documents_do_not_change_how_a_three_word_query_adds_up() {
    let mut public = vec![
        document(
            "public-match",
            "PUBLIC",
            "author-1",
            "Irrigation pumps delta",
            "irrigation irrigation pumps delta water",
        ),
        document("public-pumps", "PUBLIC", "author-1", "pumps", "delta canal"),
        document("public-delta", "PUBLIC", "author-1", "delta solar", "canal"),
    ];
    public.extend((0..5_000).map(|number| {
        document(
            &format!("filler-{number}"),
            "PUBLIC",
            "author-1",
            "Rice farming",
            "Nothing to see here.",
        )
    }));
    let hidden = (0..30).map(|number| {
        document(
            &format!("members-{number}"),
            "MEMBERS",
            "author-2",
            "pumps",
            "pumps",
        )
    });
    let score_of_public_match = |documents: Vec<Document>| {
        let (_directory, index, indexer) = open_index();
        add(&indexer, documents);
        assert_eq!(index.segment_count().expect("segment ids"), 1);
        let results = index
            .search(&Request {
                text: "irrigation pumps delta".into(),
                first: 10,
                ..Request::default()
            })
            .expect("search results");
        assert_eq!(results.total, 1);
        hit(&results, "public-match").score
    };

    let without_hidden = score_of_public_match(public.clone());
    let with_hidden = score_of_public_match(public.into_iter().chain(hidden).collect());

    assert_eq!(
        with_hidden.to_bits(),
        without_hidden.to_bits(),
        "{without_hidden} then {with_hidden}"
    );
}

#[test]
fn an_index_of_only_members_documents_shows_anonymous_callers_nothing() {
    let (_directory, index, indexer) = open_index();
    add(&indexer, others_members_documents());

    let anonymous = search(&index, false, None);
    let members = search(&index, true, None);

    assert_eq!(anonymous.total, 0);
    assert!(anonymous.hits.is_empty());
    assert_eq!(members.total, 3);
}
