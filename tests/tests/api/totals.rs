//! Lists' totals of published content are counted by the search index, not by a scan of the
//! table, and their pages are read from among the index's first matches: totals must equal
//! what the pages hold, and pages must equal the database's own, for every caller, filter and
//! order, and stay right through writes.

use api::auth::Role;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::fixtures::{content, in_days, opportunity_input, transition};
use crate::harness::{TestApp, TestUser, UserSpec, spawn_app};

const INDEX_TOTALS: &str = "infoharbor_list_totals_total{source=\"index\"}";
const DATABASE_TOTALS: &str = "infoharbor_list_totals_total{source=\"database\"}";
const INDEX_PAGES: &str = "infoharbor_list_pages_total{source=\"index\"}";
const DATABASE_PAGES: &str = "infoharbor_list_pages_total{source=\"database\"}";

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

/// Every page of `field` in `order` for `filter`, walked forwards with `first` and then
/// backwards from the end with `last`: each page's ids, flags and total, as a client sees them.
async fn pages(
    app: &TestApp,
    token: Option<&str>,
    field: &str,
    filter: &Value,
    order: &str,
) -> Vec<Value> {
    let document = format!(
        "query($first: Int, $after: String, $last: Int, $before: String, $filter: ContentFilter, $order: ContentOrder) {{ {field}(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $order) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} edges {{ node {{ id }} }} }} }}"
    );
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let variables = json!({ "first": 3, "after": after, "filter": filter, "order": order });
        let page = app.ok(token, &document, variables).await[field].clone();
        let next = page["pageInfo"]["hasNextPage"] == true;
        after = page["pageInfo"]["endCursor"].clone();
        seen.push(page);
        if !next {
            break;
        }
    }
    let mut before = Value::Null;
    loop {
        let variables = json!({ "last": 3, "before": before, "filter": filter, "order": order });
        let page = app.ok(token, &document, variables).await[field].clone();
        let previous = page["pageInfo"]["hasPreviousPage"] == true;
        before = page["pageInfo"]["startCursor"].clone();
        seen.push(page);
        if !previous {
            break;
        }
    }
    seen
}

#[tokio::test]
async fn pages_from_the_index_equal_the_databases_for_every_caller_filter_and_order() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let trusted = app.correspondent(true).await;
    let untrusted = app.correspondent(false).await;
    let member = app.member().await;
    let plain_user = app.user(Role::User, UserSpec::default()).await;
    let corpus = corpus(&app, &secretariat, &trusted, &untrusted).await;
    // Items level in their order, so that pages end inside a tie: three more opportunities
    // with the same deadline, and more without one.
    for index in 0..6 {
        let mut input = opportunity_input("Level", &["TH"], &["0501"], "PUBLIC");
        input["deadline"] = if index % 2 == 0 {
            json!(in_days(5))
        } else {
            Value::Null
        };
        let id = create(
            &app,
            &trusted,
            "createOpportunity",
            "OpportunityInput",
            input,
        )
        .await;
        transition(&app, &secretariat, "publishContent", &id).await;
    }
    let database = app
        .beside(|serve| serve.list_source = api::config::ListSource::Database)
        .await;

    let callers: [(&str, Option<&str>); 5] = [
        ("anonymous", None),
        ("user", Some(&plain_user.token)),
        ("member", Some(&member.token)),
        ("correspondent, author of drafts", Some(&untrusted.token)),
        ("secretariat", Some(&secretariat.token)),
    ];
    let from_index = app.metric(INDEX_PAGES).await;
    let mut compared = 0;
    for (caller, token) in callers {
        for field in ["opportunities", "policies", "events", "researchResults"] {
            let mut orders = vec!["NEWEST", "OLDEST", "RECENTLY_UPDATED"];
            match field {
                "opportunities" => orders.push("DEADLINE_SOONEST"),
                "events" => orders.push("STARTS_SOONEST"),
                _ => {}
            }
            for filter in filters(field, &corpus, token.is_some()) {
                for order in &orders {
                    let fast = pages(&app, token, field, &filter, order).await;
                    let slow = pages(&database, token, field, &filter, order).await;
                    // Cursors are the same on both: the same items at the same places.
                    assert_eq!(
                        fast, slow,
                        "{caller}: {field} {filter} {order}: the index's pages differ from the database's"
                    );
                    compared += fast.len() as u64;
                }
            }
        }
    }
    assert_eq!(
        app.metric(INDEX_PAGES).await - from_index,
        compared,
        "every page was named by the index"
    );
    assert_eq!(database.metric(INDEX_PAGES).await, 0);
    assert_eq!(database.metric(DATABASE_PAGES).await, compared);
    assert_eq!(database.metric(INDEX_TOTALS).await, 0);
}

#[tokio::test]
async fn a_page_is_the_databases_when_the_index_holds_an_item_the_database_no_longer_lists() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let mut ids = Vec::new();
    for index in 0..8 {
        let input = opportunity_input(&format!("Laos {index}"), &["LA"], &["0501"], "PUBLIC");
        let id = create(
            &app,
            &author,
            "createOpportunity",
            "OpportunityInput",
            input,
        )
        .await;
        transition(&app, &secretariat, "publishContent", &id).await;
        ids.push(id);
    }
    // Archived behind the index's back (no change-log entry): the index still lists it.
    let (_, newest) = api::graphql::ids::decode("id", ids.last().unwrap()).expect("an id");
    app.state
        .db
        .connection()
        .execute_unprepared(&format!(
            "UPDATE content SET status = 'ARCHIVED' WHERE id = '{newest}'"
        ))
        .await
        .expect("archived");
    let from_database = app.metric(DATABASE_PAGES).await;
    let page = app
        .ok(
            None,
            "{ opportunities(first: 3, filter: { countries: [\"LA\"] }) { pageInfo { hasNextPage } edges { node { id } } } }",
            json!({}),
        )
        .await["opportunities"]
        .clone();
    let listed: Vec<&str> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = ids[4..7].iter().rev().map(String::as_str).collect();
    assert_eq!(listed, expected, "the three newest the database lists");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert_eq!(
        app.metric(DATABASE_PAGES).await,
        from_database + 1,
        "read from the table once the index's candidates fell short"
    );
}

#[tokio::test]
async fn instants_finer_than_a_microsecond_order_alike_in_the_index_and_the_database() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let day = (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d");
    // Created in this order, their ids ascend while their starts descend by nanoseconds:
    // kept to the nanosecond, SQLite would order them one way and the index the other.
    for nanos in [3, 2, 1] {
        let id = create(
            &app,
            &author,
            "createEvent",
            "EventInput",
            json!({
                "content": content(&format!("Forum {nanos}"), &["TH"], &["0501"], "PUBLIC"),
                "eventType": "FORUM",
                "startsAt": format!("{day}T10:00:00.00000000{nanos}Z"),
                "endsAt": format!("{day}T12:00:00Z"),
                "online": true,
            }),
        )
        .await;
        transition(&app, &secretariat, "publishContent", &id).await;
    }
    let database = app
        .beside(|serve| serve.list_source = api::config::ListSource::Database)
        .await;
    for order in ["STARTS_SOONEST", "NEWEST"] {
        let fast = pages(&app, None, "events", &json!({}), order).await;
        let slow = pages(&database, None, "events", &json!({}), order).await;
        assert_eq!(fast, slow, "{order}");
    }
    let starts = app
        .ok(
            None,
            "{ events(first: 3) { edges { node { startsAt } } } }",
            json!({}),
        )
        .await;
    for edge in starts["events"]["edges"].as_array().unwrap() {
        assert_eq!(
            edge["node"]["startsAt"],
            json!(format!("{day}T10:00:00Z")),
            "kept to the microsecond"
        );
    }
}
