//! Lists' totals of published content are counted by the search index, not by a scan of the
//! table: they must equal what the database's pages hold, for every caller and every filter,
//! and stay right through writes.

use api::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::{content, in_days, opportunity_input, transition};
use crate::harness::{TestApp, TestUser, UserSpec, spawn_app};

const INDEX_TOTALS: &str = "infoharbor_list_totals_total{source=\"index\"}";
const DATABASE_TOTALS: &str = "infoharbor_list_totals_total{source=\"database\"}";

/// Every page of `field` (a list query) for `filter`: the total the first page announced, the
/// ids of all pages in order, and how many requests that took.
async fn walk(
    app: &TestApp,
    token: Option<&str>,
    field: &str,
    filter: &Value,
) -> (i64, Vec<String>, u64) {
    let document = format!(
        "query($after: String, $filter: ContentFilter) {{ {field}(first: 7, after: $after, filter: $filter) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ id }} }} }} }}"
    );
    let mut after = Value::Null;
    let mut ids = Vec::new();
    let mut total = None;
    let mut requests = 0;
    loop {
        requests += 1;
        let page = app
            .ok(
                token,
                &document,
                json!({ "after": after, "filter": filter }),
            )
            .await[field]
            .clone();
        let this_total = page["totalCount"].as_i64().expect("a total");
        assert_eq!(
            *total.get_or_insert(this_total),
            this_total,
            "{field} {filter}: the total changed between pages"
        );
        ids.extend(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned()),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    (total.unwrap_or_default(), ids, requests)
}

async fn create(
    app: &TestApp,
    author: &TestUser,
    mutation: &str,
    input_type: &str,
    input: Value,
) -> String {
    let document =
        format!("mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ id }} }}");
    app.ok(Some(&author.token), &document, json!({ "input": input }))
        .await[mutation]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// The content input of item `index`: countries, sectors, languages, tags and visibility
/// vary with it, so that every filter splits the items differently.
fn varied(title: &str, index: usize) -> Value {
    let countries: &[&[&str]] = &[&["TH"], &["VN"], &["CN", "TH"], &["ID"]];
    let sectors: &[&[&str]] = &[&["0501"], &["0505"], &["0201"], &["0505", "0302"]];
    let mut input = content(
        &format!("{title} {index}"),
        countries[index % countries.len()],
        sectors[index % sectors.len()],
        if index % 3 == 1 { "MEMBERS" } else { "PUBLIC" },
    );
    input["language"] = json!(["en", "zh", "th"][index % 3]);
    input["tags"] = match index % 4 {
        0 => json!(["fintech", "cross-border"]),
        1 => json!(["fintech"]),
        2 => json!([]),
        _ => json!(["logistics"]),
    };
    input
}

struct Corpus {
    /// An instant between the first and the second half of the publications.
    midway: String,
}

/// Items of every kind in every status, by three authors; some expired, one archived.
async fn corpus(
    app: &TestApp,
    secretariat: &TestUser,
    trusted: &TestUser,
    untrusted: &TestUser,
) -> Corpus {
    let mut midway = String::new();
    for index in 0..14 {
        let author = if index % 5 == 4 { untrusted } else { trusted };
        let mut input = opportunity_input("Opportunity", &["TH"], &["0501"], "PUBLIC");
        input["content"] = varied("Opportunity", index);
        input["opportunityType"] = json!(["INVESTMENT", "PROCUREMENT", "PARTNERSHIP"][index % 3]);
        input["deadline"] = match index % 3 {
            0 => json!(in_days(5)),
            1 => json!(in_days(40)),
            _ => Value::Null,
        };
        let id = create(
            app,
            author,
            "createOpportunity",
            "OpportunityInput",
            input.clone(),
        )
        .await;
        match index % 7 {
            // Left as drafts and in review: the secretariat's and the author's, not the public's.
            5 => continue,
            6 => {
                transition(app, author, "submitContent", &id).await;
                continue;
            }
            _ => {}
        }
        transition(app, secretariat, "publishContent", &id).await;
        if index == 7 {
            midway = chrono::Utc::now().to_rfc3339();
        }
        if index == 3 {
            // Expired: the deadline edited into the past.
            input["deadline"] = json!(in_days(-3));
            app.ok(
                Some(&secretariat.token),
                "mutation($id: ID!, $input: OpportunityInput!) { updateOpportunity(id: $id, input: $input) { id } }",
                json!({ "id": id, "input": input }),
            )
            .await;
        }
        if index == 8 {
            transition(app, secretariat, "archiveContent", &id).await;
        }
    }
    for index in 0..6 {
        let id = create(
            app,
            trusted,
            "createPolicy",
            "PolicyInput",
            json!({
                "content": varied("Policy", index),
                "issuingAuthority": "Ministry",
                "policyType": (["LAW", "INCENTIVE", "STANDARD"][index % 3]),
                "effectiveDate": if index % 2 == 0 { json!(in_days(index as i64 * 10 - 20)) } else { Value::Null },
            }),
        )
        .await;
        transition(app, secretariat, "publishContent", &id).await;
    }
    for index in 0..6 {
        let starts = chrono::Utc::now() + chrono::Duration::days(index as i64 * 7 + 1);
        let id = create(
            app,
            trusted,
            "createEvent",
            "EventInput",
            json!({
                "content": varied("Event", index),
                "eventType": (["FORUM", "SEMINAR", "EXPO"][index % 3]),
                "startsAt": starts.to_rfc3339(),
                "endsAt": (starts + chrono::Duration::hours(3)).to_rfc3339(),
                "online": true,
            }),
        )
        .await;
        transition(app, secretariat, "publishContent", &id).await;
    }
    for index in 0..4 {
        let id = create(
            app,
            untrusted,
            "createResearchResult",
            "ResearchResultInput",
            json!({ "content": varied("Research", index), "institutions": ["University"] }),
        )
        .await;
        transition(app, secretariat, "publishContent", &id).await;
    }
    Corpus { midway }
}

/// The filters each list is checked with.
fn filters(field: &str, corpus: &Corpus, signed_in: bool) -> Vec<Value> {
    let mut filters = vec![
        json!({}),
        json!({ "countries": ["TH"] }),
        json!({ "countries": ["VN", "ID"] }),
        json!({ "sectors": ["05"] }),
        json!({ "sectors": ["0505"] }),
        json!({ "languages": ["zh"] }),
        json!({ "visibility": "MEMBERS" }),
        json!({ "visibility": "PUBLIC" }),
        json!({ "tags": ["FinTech"] }),
        json!({ "publishedFrom": corpus.midway }),
        json!({ "publishedTo": corpus.midway }),
        json!({ "updatedFrom": corpus.midway }),
        json!({ "countries": ["TH"], "sectors": ["05"], "visibility": "PUBLIC", "tags": ["fintech"] }),
    ];
    if signed_in {
        filters.push(json!({ "mine": true }));
        filters.push(json!({ "mine": true, "visibility": "MEMBERS" }));
    }
    match field {
        "opportunities" => filters.extend([
            json!({ "includeExpired": true }),
            json!({ "opportunityTypes": ["PROCUREMENT"] }),
            json!({ "deadlineFrom": in_days(10) }),
            json!({ "deadlineTo": in_days(10), "includeExpired": true }),
            json!({ "deadlineFrom": in_days(-10), "deadlineTo": in_days(10), "countries": ["TH", "CN"] }),
        ]),
        "policies" => filters.extend([
            json!({ "policyTypes": ["LAW", "STANDARD"] }),
            json!({ "effectiveFrom": in_days(-5) }),
            json!({ "effectiveTo": in_days(0), "policyTypes": ["LAW"] }),
        ]),
        "events" => filters.extend([
            json!({ "eventTypes": ["FORUM"] }),
            json!({ "startsFrom": (chrono::Utc::now() + chrono::Duration::days(10)).to_rfc3339() }),
            json!({ "startsTo": (chrono::Utc::now() + chrono::Duration::days(10)).to_rfc3339(), "eventTypes": ["FORUM", "EXPO"] }),
        ]),
        _ => {}
    }
    filters
}

/// Walks every list with every filter as `token`; asserts the total equals the pages' items.
/// Returns the requests made.
async fn check_every_list(
    app: &TestApp,
    caller: &str,
    token: Option<&str>,
    corpus: &Corpus,
) -> u64 {
    let mut requests = 0;
    for field in ["opportunities", "policies", "events", "researchResults"] {
        for filter in filters(field, corpus, token.is_some()) {
            let (total, ids, made) = walk(app, token, field, &filter).await;
            requests += made;
            assert_eq!(
                total,
                ids.len() as i64,
                "{caller}: {field} {filter}: totalCount {total} but the pages hold {}",
                ids.len()
            );
            let mut unique = ids.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(
                unique.len(),
                ids.len(),
                "{caller}: {field} {filter}: an item twice"
            );
        }
    }
    requests
}

#[tokio::test]
async fn totals_from_the_index_equal_the_pages_for_every_caller_and_filter() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let trusted = app.correspondent(true).await;
    let untrusted = app.correspondent(false).await;
    let member = app.member().await;
    let member_correspondent = app
        .user(
            Role::Correspondent,
            UserSpec {
                organisation: Some("Member Correspondents Ltd".into()),
                countries: vec!["TH".into()],
                ..UserSpec::default()
            },
        )
        .await;
    let plain_user = app.user(Role::User, UserSpec::default()).await;
    let corpus = corpus(&app, &secretariat, &trusted, &untrusted).await;

    let callers: [(&str, Option<&str>); 7] = [
        ("anonymous", None),
        ("user", Some(&plain_user.token)),
        ("member", Some(&member.token)),
        ("correspondent, author", Some(&trusted.token)),
        ("correspondent, author of drafts", Some(&untrusted.token)),
        (
            "correspondent of a member organisation",
            Some(&member_correspondent.token),
        ),
        ("secretariat", Some(&secretariat.token)),
    ];
    let from_index = app.metric(INDEX_TOTALS).await;
    let from_database = app.metric(DATABASE_TOTALS).await;
    let mut requests = 0;
    for (caller, token) in callers {
        requests += check_every_list(&app, caller, token, &corpus).await;
    }
    assert_eq!(
        app.metric(INDEX_TOTALS).await - from_index,
        requests,
        "every published list's total was counted by the index"
    );
    assert_eq!(app.metric(DATABASE_TOTALS).await, from_database);

    // The review queue holds other statuses: the database counts it, and it agrees too.
    for statuses in [
        json!(["DRAFT", "SUBMITTED"]),
        json!(["PUBLISHED", "ARCHIVED"]),
    ] {
        for token in [&secretariat.token, &untrusted.token, &trusted.token] {
            let filter = json!({ "statuses": statuses });
            let (total, ids, _) = walk(&app, Some(token), "opportunities", &filter).await;
            assert_eq!(total, ids.len() as i64, "{filter}");
        }
    }
    assert!(app.metric(DATABASE_TOTALS).await > from_database);
}

#[tokio::test]
async fn totals_follow_every_write_at_once() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let total = |token: Option<String>| {
        let app = &app;
        async move {
            app.ok(
                token.as_deref(),
                "{ opportunities(filter: { countries: [\"KH\"] }) { totalCount } }",
                json!({}),
            )
            .await["opportunities"]["totalCount"]
                .as_i64()
                .unwrap()
        }
    };
    let public: Option<String> = None;
    let staff = Some(secretariat.token.clone());
    let id = create(
        &app,
        &author,
        "createOpportunity",
        "OpportunityInput",
        opportunity_input("Port", &["KH"], &["0501"], "PUBLIC"),
    )
    .await;
    assert_eq!(total(public.clone()).await, 0, "a draft is not counted");
    transition(&app, &author, "publishContent", &id).await;
    assert_eq!(
        total(public.clone()).await,
        1,
        "counted when the publish returns"
    );
    let update = "mutation($id: ID!, $input: OpportunityInput!) { updateOpportunity(id: $id, input: $input) { id } }";
    app.ok(
        Some(&author.token),
        update,
        json!({ "id": id, "input": opportunity_input("Port", &["KH"], &["0501"], "MEMBERS") }),
    )
    .await;
    assert_eq!(
        total(public.clone()).await,
        0,
        "made member-only: gone from the public's total"
    );
    assert_eq!(total(staff.clone()).await, 1);
    app.ok(
        Some(&author.token),
        update,
        json!({ "id": id, "input": opportunity_input("Port", &["VN"], &["0501"], "PUBLIC") }),
    )
    .await;
    assert_eq!(total(staff.clone()).await, 0, "moved to another country");
    app.ok(
        Some(&author.token),
        update,
        json!({ "id": id, "input": opportunity_input("Port", &["KH"], &["0501"], "PUBLIC") }),
    )
    .await;
    assert_eq!(total(public.clone()).await, 1);
    transition(&app, &secretariat, "archiveContent", &id).await;
    assert_eq!(total(public).await, 0, "archived: gone");
    assert_eq!(total(staff).await, 0);
}

#[tokio::test]
async fn a_total_no_one_asked_for_is_not_counted() {
    let app = spawn_app().await;
    let from_index = app.metric(INDEX_TOTALS).await;
    let from_database = app.metric(DATABASE_TOTALS).await;
    app.ok(
        None,
        "{ opportunities(first: 5) { edges { node { id } } } }",
        json!({}),
    )
    .await;
    assert_eq!(app.metric(INDEX_TOTALS).await, from_index);
    assert_eq!(app.metric(DATABASE_TOTALS).await, from_database);
    app.ok(None, "{ opportunities(first: 5) { ...Total } } fragment Total on OpportunityConnection { totalCount }", json!({}))
        .await;
    assert_eq!(
        app.metric(INDEX_TOTALS).await,
        from_index + 1,
        "asked through a fragment"
    );
}
