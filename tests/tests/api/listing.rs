//! Relay connections: pagination both ways with totals, filters and orders.

use serde_json::{Value, json};

use crate::fixtures::{
    content, create_opportunity, ids_of, in_days, opportunity_input, transition,
};
use crate::harness::{TestApp, TestUser, spawn_app};

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String, $filter: ContentFilter, $orderBy: ContentOrder) {
  opportunities(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id title deadline } } } }";

async fn page(app: &TestApp, token: Option<&str>, variables: Value) -> Value {
    app.ok(token, PAGE, variables).await["opportunities"].clone()
}

/// Publishes `count` opportunities in order; returns their ids, oldest first.
async fn publish_many(app: &TestApp, author: &TestUser, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for index in 0..count {
        let mut input = opportunity_input(
            &format!("Opportunity number {index}"),
            &["TH"],
            &["0501"],
            "PUBLIC",
        );
        input["deadline"] = json!(in_days(10 + index as i64));
        let id = create_opportunity(app, author, input).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        transition(app, author, "publishContent", &id).await;
        ids.push(id);
    }
    ids
}

#[tokio::test]
async fn pages_walk_forwards_and_backwards_with_the_same_total() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let mut newest_first = publish_many(&app, &author, 7).await;
    newest_first.reverse();

    let first = page(&app, None, json!({ "first": 3 })).await;
    assert_eq!(first["totalCount"], 7);
    assert_eq!(ids_of(&first), newest_first[0..3]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);

    let second = page(
        &app,
        None,
        json!({ "first": 3, "after": first["pageInfo"]["endCursor"] }),
    )
    .await;
    assert_eq!(ids_of(&second), newest_first[3..6]);
    assert_eq!(second["totalCount"], 7);
    let third = page(
        &app,
        None,
        json!({ "first": 3, "after": second["pageInfo"]["endCursor"] }),
    )
    .await;
    assert_eq!(ids_of(&third), newest_first[6..7]);
    assert_eq!(third["pageInfo"]["hasNextPage"], false);

    let last = page(&app, None, json!({ "last": 2 })).await;
    assert_eq!(ids_of(&last), newest_first[5..7]);
    assert_eq!(last["pageInfo"]["hasPreviousPage"], true);
    let before = page(
        &app,
        None,
        json!({ "last": 3, "before": last["pageInfo"]["startCursor"] }),
    )
    .await;
    assert_eq!(ids_of(&before), newest_first[2..5]);
    let start = page(
        &app,
        None,
        json!({ "last": 3, "before": before["pageInfo"]["startCursor"] }),
    )
    .await;
    assert_eq!(ids_of(&start), newest_first[0..2]);
    assert_eq!(start["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(start["totalCount"], 7);
}

#[tokio::test]
async fn a_cursor_stays_valid_when_items_are_added_before_it() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let mut newest_first = publish_many(&app, &author, 4).await;
    newest_first.reverse();
    let first = page(&app, None, json!({ "first": 2 })).await;
    publish_many(&app, &author, 2).await;
    let second = page(
        &app,
        None,
        json!({ "first": 2, "after": first["pageInfo"]["endCursor"] }),
    )
    .await;
    assert_eq!(
        ids_of(&second),
        newest_first[2..4],
        "no item repeats or goes missing"
    );
    assert_eq!(second["totalCount"], 6);
}

#[tokio::test]
async fn deadline_order_puts_the_nearest_first_and_pages_through() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let oldest_first = publish_many(&app, &author, 5).await;
    let first = page(
        &app,
        None,
        json!({ "first": 2, "orderBy": "DEADLINE_SOONEST" }),
    )
    .await;
    assert_eq!(ids_of(&first), oldest_first[0..2]);
    let rest = page(&app, None, json!({ "first": 10, "orderBy": "DEADLINE_SOONEST", "after": first["pageInfo"]["endCursor"] })).await;
    assert_eq!(ids_of(&rest), oldest_first[2..5]);
    let code = app
        .error_code(
            None,
            "{ policies(orderBy: DEADLINE_SOONEST) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT", "policies have no deadline");
    let mixed = app
        .error_code(
            None,
            PAGE,
            json!({ "first": 2, "after": first["pageInfo"]["endCursor"], "orderBy": "NEWEST" }),
        )
        .await;
    assert_eq!(
        mixed, "BAD_USER_INPUT",
        "a cursor of one order is refused in another"
    );
}

#[tokio::test]
async fn page_sizes_above_one_hundred_and_garbage_cursors_are_refused() {
    let app = spawn_app().await;
    assert_eq!(
        app.error_code(None, PAGE, json!({ "first": 101 })).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.error_code(None, PAGE, json!({ "last": -1 })).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.error_code(None, PAGE, json!({ "first": 1, "after": "not-a-cursor" }))
            .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.error_code(None, PAGE, json!({ "first": 1, "last": 1 }))
            .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        page(&app, None, json!({ "first": 100 })).await["totalCount"],
        0
    );
}

#[tokio::test]
async fn filters_narrow_by_country_sector_hierarchy_type_and_dates() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let publish = |title: &'static str,
                   countries: &'static [&'static str],
                   sectors: &'static [&'static str],
                   kind: &'static str| {
        let app = &app;
        let author = &author;
        async move {
            let mut input = opportunity_input(title, countries, sectors, "PUBLIC");
            input["opportunityType"] = json!(kind);
            let id = create_opportunity(app, author, input).await["id"]
                .as_str()
                .unwrap()
                .to_owned();
            transition(app, author, "publishContent", &id).await;
            id
        }
    };
    let logistics = publish("Smart logistics in Laos", &["LA"], &["0504"], "INVESTMENT").await;
    let farming = publish(
        "Smart farming in Viet Nam",
        &["VN"],
        &["0501"],
        "PARTNERSHIP",
    )
    .await;
    let software = publish(
        "Software outsourcing in Viet Nam",
        &["VN", "LA"],
        &["0301"],
        "PROCUREMENT",
    )
    .await;

    let ids = |filter: Value| {
        let app = &app;
        async move {
            let mut found =
                ids_of(&page(app, None, json!({ "first": 50, "filter": filter })).await);
            found.sort();
            found
        }
    };
    let sorted = |mut list: Vec<String>| {
        list.sort();
        list
    };
    assert_eq!(
        ids(json!({ "countries": ["LA"] })).await,
        sorted(vec![logistics.clone(), software.clone()])
    );
    assert_eq!(
        ids(json!({ "sectors": ["05"] })).await,
        sorted(vec![logistics.clone(), farming.clone()]),
        "a category matches its sub-categories"
    );
    assert_eq!(
        ids(json!({ "sectors": ["0501"] })).await,
        vec![farming.clone()]
    );
    assert_eq!(
        ids(json!({ "countries": ["VN"], "sectors": ["03"] })).await,
        vec![software.clone()]
    );
    assert_eq!(
        ids(json!({ "opportunityTypes": ["INVESTMENT", "PROCUREMENT"] })).await,
        sorted(vec![logistics.clone(), software.clone()])
    );
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    assert_eq!(
        ids(json!({ "publishedFrom": tomorrow })).await,
        Vec::<String>::new()
    );
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    assert_eq!(ids(json!({ "publishedFrom": yesterday })).await.len(), 3);
    assert_eq!(
        ids(json!({ "deadlineFrom": in_days(29), "deadlineTo": in_days(31) }))
            .await
            .len(),
        3
    );
    assert_eq!(ids(json!({ "deadlineTo": in_days(5) })).await.len(), 0);
    let total = page(
        &app,
        None,
        json!({ "first": 1, "filter": { "sectors": ["05"] } }),
    )
    .await["totalCount"]
        .clone();
    assert_eq!(total, 2, "the total counts every page of the filtered list");
    let wrong_kind = app
        .error_code(
            None,
            "{ events(filter: { opportunityTypes: [INVESTMENT] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(wrong_kind, "BAD_USER_INPUT");
}

#[tokio::test]
async fn expired_opportunities_drop_out_unless_asked_for() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let secretariat = app.secretariat().await;
    let id = create_opportunity(
        &app,
        &author,
        opportunity_input("Tender closing soon", &["BN"], &["0508"], "PUBLIC"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    transition(&app, &author, "publishContent", &id).await;
    // Editing the deadline into the past is how an item expires without waiting for time.
    let update = "mutation($id: ID!, $input: OpportunityInput!) { updateOpportunity(id: $id, input: $input) { deadline } }";
    let mut input = opportunity_input("Tender closing soon", &["BN"], &["0508"], "PUBLIC");
    input["deadline"] = json!(in_days(-2));
    app.ok(
        Some(&secretariat.token),
        update,
        json!({ "id": id, "input": input }),
    )
    .await;
    assert_eq!(page(&app, None, json!({})).await["totalCount"], 0);
    let with_expired = page(&app, None, json!({ "filter": { "includeExpired": true } })).await;
    assert_eq!(ids_of(&with_expired), vec![id]);
}

#[tokio::test]
async fn staff_filter_by_status_and_everyone_else_gets_published_only() {
    let app = spawn_app().await;
    let author = app.correspondent(false).await;
    let secretariat = app.secretariat().await;
    let member = app.member().await;
    let draft = create_opportunity(
        &app,
        &author,
        opportunity_input("Draft item", &["SG"], &["0301"], "PUBLIC"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let submitted = create_opportunity(
        &app,
        &author,
        opportunity_input("Submitted item", &["SG"], &["0301"], "PUBLIC"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    transition(&app, &author, "submitContent", &submitted).await;
    let published = create_opportunity(
        &app,
        &author,
        opportunity_input("Published item", &["SG"], &["0301"], "PUBLIC"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    transition(&app, &secretariat, "publishContent", &published).await;

    let queue = page(
        &app,
        Some(&secretariat.token),
        json!({ "filter": { "statuses": ["SUBMITTED"] } }),
    )
    .await;
    assert_eq!(
        ids_of(&queue),
        vec![submitted.clone()],
        "the secretariat's review queue"
    );
    let own = page(
        &app,
        Some(&author.token),
        json!({ "filter": { "statuses": ["DRAFT", "SUBMITTED"] } }),
    )
    .await;
    assert_eq!(
        own["totalCount"], 2,
        "a correspondent sees their own unpublished items"
    );
    let sneaky = page(
        &app,
        Some(&member.token),
        json!({ "filter": { "statuses": ["DRAFT", "SUBMITTED"] } }),
    )
    .await;
    assert_eq!(
        ids_of(&sneaky),
        vec![published.clone()],
        "others always get published items"
    );
    let anonymous = page(&app, None, json!({ "filter": { "statuses": ["DRAFT"] } })).await;
    assert_eq!(ids_of(&anonymous), vec![published]);
    let drafts = page(
        &app,
        Some(&secretariat.token),
        json!({ "filter": { "statuses": ["DRAFT"] } }),
    )
    .await;
    assert_eq!(ids_of(&drafts), vec![draft]);
}

#[tokio::test]
async fn each_kind_has_its_own_connection() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let policy = app
        .ok(
            Some(&author.token),
            "mutation($input: PolicyInput!) { createPolicy(input: $input) { id } }",
            json!({ "input": { "content": content("Digital trade incentive", &["MY"], &["0506"], "PUBLIC"), "issuingAuthority": "MITI", "policyType": "INCENTIVE" } }),
        )
        .await["createPolicy"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    transition(&app, &author, "publishContent", &policy).await;
    let data = app
        .ok(None, "{ policies { totalCount edges { node { id policyType } } } opportunities { totalCount } researchResults { totalCount } events { totalCount } }", json!({}))
        .await;
    assert_eq!(data["policies"]["totalCount"], 1);
    assert_eq!(data["policies"]["edges"][0]["node"]["id"], policy.as_str());
    assert_eq!(data["opportunities"]["totalCount"], 0);
    assert_eq!(data["researchResults"]["totalCount"], 0);
    assert_eq!(data["events"]["totalCount"], 0);
}
