//! Relay conventions beyond the content lists: `nodes(ids:)`, and the secretariat's
//! organisations and audit log as connections with stable cursors and totals.

use api::auth::Role;
use api::graphql::ids::{NodeType, decode, encode};
use api::service::content::Kind;
use serde_json::{Value, json};

use crate::fixtures::{opportunity_input, published_opportunity};
use crate::harness::{TestApp, TestUser, UserSpec, spawn_app};

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id ... on Content { title visibility } ... on User { email } ... on Organisation { name } } }";
const NODES: &str = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Content { title visibility } ... on User { email } ... on Organisation { name } } }";

fn code_of(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

/// `nodes` for `ids` as `caller`, checked entry by entry against what `node` answers.
async fn nodes_agreeing_with_node(
    app: &TestApp,
    caller: Option<&TestUser>,
    ids: &[String],
) -> Vec<Value> {
    let token = caller.map(|user| user.token.as_str());
    let answer = app.ok(token, NODES, json!({ "ids": ids })).await;
    let nodes = answer["nodes"].as_array().expect("a list").clone();
    assert_eq!(nodes.len(), ids.len(), "one entry per id");
    for (id, entry) in ids.iter().zip(&nodes) {
        let single = app.ok(token, NODE, json!({ "id": id })).await;
        assert_eq!(&single["node"], entry, "node and nodes differ on {id}");
    }
    nodes
}

#[tokio::test]
async fn nodes_answers_each_id_in_order_as_node_does_with_nulls_for_the_unknown_and_invisible() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let member = app.member().await;
    let public = published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input("Open data portal", &["VN"], &["0303"], "PUBLIC"),
    )
    .await;
    let members_only = published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input("Member-only port tender", &["SG"], &["0303"], "MEMBERS"),
    )
    .await;
    let unknown = encode(
        NodeType::Content(Kind::Opportunity),
        "0193aaaa-0000-7000-8000-000000000000",
    )
    .0;
    let (_, public_key) = decode("id", &public).expect("an id of ours");
    let wrong_kind = encode(NodeType::Content(Kind::Policy), &public_key).0;
    let member_user = encode(NodeType::User, &member.id).0;
    let organisations = app
        .ok(
            Some(&secretariat.token),
            "{ organisations(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let organisation = organisations["organisations"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("an organisation id")
        .to_owned();
    let ids = vec![
        members_only.clone(),
        unknown,
        public.clone(),
        member_user,
        wrong_kind,
        organisation,
        public.clone(),
    ];

    let anonymous = nodes_agreeing_with_node(&app, None, &ids).await;
    let typenames: Vec<&Value> = anonymous.iter().map(|node| &node["__typename"]).collect();
    assert_eq!(
        typenames,
        [
            &Value::Null,
            &Value::Null,
            &json!("Opportunity"),
            &Value::Null,
            &Value::Null,
            &Value::Null,
            &json!("Opportunity"),
        ],
        "anonymous callers see the public item only, twice as asked: {anonymous:#?}"
    );
    assert_eq!(anonymous[2]["id"], public.as_str());

    let as_author = nodes_agreeing_with_node(&app, Some(&author), &ids).await;
    assert_eq!(
        as_author[0]["id"],
        members_only.as_str(),
        "its author sees a member-only item"
    );
    assert!(
        as_author[3].is_null(),
        "another user's node is not for a correspondent"
    );
    assert!(as_author[5].is_null(), "nor is another organisation");

    let as_member = nodes_agreeing_with_node(&app, Some(&member), &ids).await;
    assert_eq!(as_member[0]["visibility"], "MEMBERS");
    assert_eq!(
        as_member[3]["email"],
        member.email.as_str(),
        "a user is their own node"
    );
    assert!(as_member[1].is_null() && as_member[4].is_null());

    let as_secretariat = nodes_agreeing_with_node(&app, Some(&secretariat), &ids).await;
    assert_eq!(as_secretariat[5]["__typename"], "Organisation");
    assert_eq!(as_secretariat[3]["__typename"], "User");

    let none = app
        .ok(None, NODES, json!({ "ids": Vec::<String>::new() }))
        .await;
    assert_eq!(none["nodes"], json!([]));
}

#[tokio::test]
async fn nodes_refuses_more_than_a_page_of_ids_and_malformed_ones_as_node_does() {
    let app = spawn_app().await;
    let unknown = encode(
        NodeType::Content(Kind::Event),
        "0193aaaa-0000-7000-8000-000000000000",
    )
    .0;
    let hundred = vec![unknown.clone(); 100];
    let full = app
        .ok(
            None,
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": hundred }),
        )
        .await;
    assert_eq!(full["nodes"].as_array().map(Vec::len), Some(100));
    assert!(full["nodes"].as_array().unwrap().iter().all(Value::is_null));

    let too_many = vec![unknown.clone(); 101];
    let answer = app
        .graphql(
            None,
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": too_many }),
        )
        .await;
    assert_eq!(code_of(&answer), "BAD_USER_INPUT", "{answer:#}");
    assert_eq!(answer["errors"][0]["extensions"]["field"], "ids");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("100")
    );

    for bad in ["", "42", "%%%", "T3Bwb3J0dW5pdHk"] {
        let single = app
            .graphql(
                None,
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": bad }),
            )
            .await;
        assert_eq!(code_of(&single), "BAD_USER_INPUT", "{bad}: {single:#}");
        let many = app
            .graphql(
                None,
                "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                json!({ "ids": [unknown, bad] }),
            )
            .await;
        assert_eq!(code_of(&many), "BAD_USER_INPUT", "{bad}: {many:#}");
        assert_eq!(many["errors"][0]["extensions"]["field"], "ids");
    }
}

#[tokio::test]
async fn nodes_counts_its_selection_once_per_id_against_the_complexity_limit() {
    let app = spawn_app().await;
    let unknown = encode(
        NodeType::Content(Kind::Policy),
        "0193aaaa-0000-7000-8000-000000000000",
    )
    .0;
    // 60 fields per node: a few ids are cheap, a hundred are 6000 and over the limit.
    let fields: String = (0..60).map(|n| format!("f{n}: id ")).collect();
    let document = format!("query($ids: [ID!]!) {{ nodes(ids: $ids) {{ {fields} }} }}");
    let few = app
        .ok(None, &document, json!({ "ids": vec![unknown.clone(); 5] }))
        .await;
    assert_eq!(few["nodes"].as_array().map(Vec::len), Some(5));
    let answer = app
        .graphql(None, &document, json!({ "ids": vec![unknown; 100] }))
        .await;
    assert_eq!(code_of(&answer), "QUERY_TOO_COMPLEX", "{answer:#}");
}

const ORGANISATIONS: &str = "query($first: Int, $after: String, $last: Int, $before: String) { organisations(first: $first, after: $after, last: $last, before: $before) { totalCount edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

fn names(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"]["name"].as_str().expect("a name").to_owned())
        .collect()
}

async fn member_of(app: &TestApp, organisation: &str) -> TestUser {
    app.user(
        Role::Member,
        UserSpec {
            organisation: Some(organisation.to_owned()),
            ..UserSpec::default()
        },
    )
    .await
}

#[tokio::test]
async fn organisations_page_oldest_first_with_stable_cursors_and_a_total() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    for name in [
        "Alpha Logistics",
        "Beta Fintech",
        "Gamma Ports",
        "Delta Chips",
    ] {
        member_of(&app, name).await;
    }
    let page = |variables: Value| {
        let app = &app;
        let token = secretariat.token.clone();
        async move { app.ok(Some(&token), ORGANISATIONS, variables).await["organisations"].clone() }
    };

    let everything = page(json!({})).await;
    assert_eq!(everything["totalCount"], 5);
    assert_eq!(
        names(&everything),
        [
            "Alliance Secretariat",
            "Alpha Logistics",
            "Beta Fintech",
            "Gamma Ports",
            "Delta Chips"
        ],
        "oldest application first"
    );

    let first = page(json!({ "first": 2 })).await;
    assert_eq!(names(&first), ["Alliance Secretariat", "Alpha Logistics"]);
    assert_eq!(first["totalCount"], 5);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(first["pageInfo"]["endCursor"], first["edges"][1]["cursor"]);
    let after = first["pageInfo"]["endCursor"].clone();
    let second = page(json!({ "first": 2, "after": after })).await;
    assert_eq!(names(&second), ["Beta Fintech", "Gamma Ports"]);
    assert_eq!(second["pageInfo"]["hasNextPage"], true);
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);
    let third = page(json!({ "first": 2, "after": second["pageInfo"]["endCursor"] })).await;
    assert_eq!(names(&third), ["Delta Chips"]);
    assert_eq!(third["pageInfo"]["hasNextPage"], false);

    member_of(&app, "Epsilon Cloud").await;
    let again = page(json!({ "first": 2, "after": after })).await;
    assert_eq!(
        names(&again),
        names(&second),
        "a cursor stays put while organisations join"
    );
    assert_eq!(again["edges"], second["edges"], "with the same cursors");
    assert_eq!(again["totalCount"], 6);

    let backwards = page(json!({ "last": 2, "before": third["edges"][0]["cursor"] })).await;
    assert_eq!(names(&backwards), ["Beta Fintech", "Gamma Ports"]);
    assert_eq!(backwards["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(backwards["pageInfo"]["hasNextPage"], true);
    let last = page(json!({ "last": 1 })).await;
    assert_eq!(names(&last), ["Epsilon Cloud"]);

    let applied = app
        .ok(
            Some(&secretariat.token),
            "{ organisations(statuses: [APPLIED]) { totalCount edges { cursor } pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        applied["organisations"],
        json!({ "totalCount": 0, "edges": [], "pageInfo": { "hasNextPage": false } })
    );

    for (variables, field) in [
        (json!({ "first": 101 }), "first"),
        (json!({ "first": -1 }), "first"),
        (json!({ "last": 101 }), "last"),
        (json!({ "first": 1, "last": 1 }), "last"),
        (json!({ "after": "not a cursor" }), "after"),
    ] {
        let answer = app
            .graphql(Some(&secretariat.token), ORGANISATIONS, variables.clone())
            .await;
        assert_eq!(
            code_of(&answer),
            "BAD_USER_INPUT",
            "{variables}: {answer:#}"
        );
        assert_eq!(
            answer["errors"][0]["extensions"]["field"], field,
            "{variables}"
        );
    }
}

const AUDIT_LOG: &str = "query($first: Int, $after: String, $before: Int) { auditLog(action: \"LOGIN_SUCCEEDED\", first: $first, after: $after, before: $before) { totalCount edges { cursor node { number action } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

fn numbers(connection: &Value) -> Vec<i64> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"]["number"].as_i64().expect("a number"))
        .collect()
}

#[tokio::test]
async fn the_audit_log_pages_newest_first_with_stable_cursors_and_a_total() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    for _ in 0..4 {
        app.user(Role::User, UserSpec::default()).await;
    }
    let page = |variables: Value| {
        let app = &app;
        let token = secretariat.token.clone();
        async move { app.ok(Some(&token), AUDIT_LOG, variables).await["auditLog"].clone() }
    };

    let everything = page(json!({ "first": 100 })).await;
    assert_eq!(
        everything["totalCount"], 5,
        "one sign-in per user: {everything:#}"
    );
    let all = numbers(&everything);
    assert!(
        all.windows(2).all(|pair| pair[0] > pair[1]),
        "newest first: {all:?}"
    );
    assert_eq!(everything["pageInfo"]["hasNextPage"], false);

    let first = page(json!({ "first": 2 })).await;
    assert_eq!(numbers(&first), all[..2]);
    assert_eq!(first["totalCount"], 5);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);
    let after = first["pageInfo"]["endCursor"].clone();
    let second = page(json!({ "first": 2, "after": after })).await;
    assert_eq!(numbers(&second), all[2..4]);
    assert_eq!(second["pageInfo"]["hasNextPage"], true);
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);
    let third = page(json!({ "first": 2, "after": second["pageInfo"]["endCursor"] })).await;
    assert_eq!(numbers(&third), all[4..]);
    assert_eq!(third["pageInfo"]["hasNextPage"], false);

    app.user(Role::User, UserSpec::default()).await;
    let again = page(json!({ "first": 2, "after": after })).await;
    assert_eq!(
        again["edges"], second["edges"],
        "a cursor stays put while the log grows"
    );
    assert_eq!(again["totalCount"], 6);

    let by_number = page(json!({ "first": 2, "before": all[1] })).await;
    assert_eq!(
        by_number["edges"], second["edges"],
        "the deprecated `before` number pages as the entry's cursor does"
    );

    let default_page = page(json!({})).await;
    assert_eq!(
        numbers(&default_page).len(),
        6,
        "20 by default, here all six"
    );
    for (variables, field) in [
        (json!({ "first": 101 }), "first"),
        (json!({ "first": -1 }), "first"),
        (json!({ "after": "bm9wZQ" }), "after"),
        (json!({ "after": after, "before": 1 }), "before"),
    ] {
        let answer = app
            .graphql(Some(&secretariat.token), AUDIT_LOG, variables.clone())
            .await;
        assert_eq!(
            code_of(&answer),
            "BAD_USER_INPUT",
            "{variables}: {answer:#}"
        );
        assert_eq!(
            answer["errors"][0]["extensions"]["field"], field,
            "{variables}"
        );
    }
}

#[tokio::test]
async fn only_the_secretariat_reads_organisations_and_the_audit_log() {
    let app = spawn_app().await;
    let member = app.member().await;
    let correspondent = app.correspondent(true).await;
    for query in [
        "{ organisations { totalCount } }",
        "{ auditLog { totalCount } }",
    ] {
        assert_eq!(
            app.error_code(None, query, json!({})).await,
            "UNAUTHENTICATED",
            "{query}"
        );
        for user in [&member, &correspondent] {
            let answer = app.graphql(Some(&user.token), query, json!({})).await;
            assert_eq!(code_of(&answer), "FORBIDDEN", "{query}: {answer:#}");
            assert!(answer["data"].is_null(), "nothing leaks: {answer:#}");
        }
    }
}
