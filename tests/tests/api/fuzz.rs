//! Property tests: arbitrary query strings, variables and search text never panic the
//! server nor produce an INTERNAL error; and after random sequences of writes, every user's
//! search shows only what the database says that user may see.

use api::auth::Caller;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::json;

use crate::harness::spawn_app;

/// Fragments that make a random string look more like a query than noise alone would.
const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    "$",
    "!",
    "@include(if: true)",
    "...",
    "on",
    "query",
    "mutation",
    "fragment",
    "search",
    "opportunities",
    "node",
    "id",
    "\"",
    "first:",
    "-1",
    "100000000000",
    "after:",
    "\"x\"",
    "filter:",
    "{ countries: [\"XX\"] }",
    "title",
    "edges",
    "node {",
    "__schema",
    "__typename",
    "login",
    "email:",
    "password:",
    "null",
    "true",
    "1e309",
    "\\u0000",
    "#",
    ",",
    "query:",
    "sort:",
    "RELEVANCE",
];

fn query_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(proptest::sample::select(PIECES), 0..40)
            .prop_map(|pieces| pieces.join(" ")),
    ]
}

fn variables_strategy() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<String>().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::hash_map("[a-z]{1,8}", inner, 0..4)
                .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

const CASES: usize = 300;

fn assert_no_internal(response: &async_graphql::Response, what: &str) {
    for error in &response.errors {
        let code = error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .map(|code| code.to_string());
        assert_ne!(
            code.as_deref(),
            Some("\"INTERNAL\""),
            "{what} caused an internal error: {}",
            error.message
        );
    }
}

#[tokio::test]
async fn arbitrary_queries_variables_and_search_text_never_fail_internally() {
    let app = spawn_app().await;
    let schema = api::graphql::build(app.state.clone());
    // Deterministic, so a failure in CI is the same failure on a laptop.
    let mut runner = TestRunner::deterministic();
    let strategy = (query_strategy(), variables_strategy(), any::<String>());
    for _ in 0..CASES {
        let (query, variables, search_text) =
            strategy.new_tree(&mut runner).expect("a case").current();
        let variables = async_graphql::Variables::from_json(variables);
        let request = async_graphql::Request::new(query.clone())
            .variables(variables)
            .data(Caller::anonymous())
            .data(api::graphql::loaders::per_request(
                app.state.db.connection().clone(),
            ));
        let mut response = schema.execute(request).await;
        for error in &mut response.errors {
            api::graphql::classify(error, "fuzz");
        }
        assert_no_internal(&response, &format!("query {query:?}"));

        let search = async_graphql::Request::new("query($q: String) { search(query: $q) { totalCount edges { highlights { snippet } } } }")
            .variables(async_graphql::Variables::from_json(json!({ "q": search_text })))
            .data(Caller::anonymous())
            .data(api::graphql::loaders::per_request(app.state.db.connection().clone()));
        let response = schema.execute(search).await;
        assert!(
            response.errors.is_empty(),
            "search text {search_text:?} failed: {:?}",
            response.errors
        );
    }
}

/// Documents that are valid, with arbitrary variables thrown at their arguments.
const DOCUMENTS: &[&str] = &[
    "query($first: Int, $after: String, $last: Int, $before: String, $filter: ContentFilter, $order: ContentOrder) { opportunities(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $order) { totalCount edges { node { id title } } } }",
    "query($q: String, $filter: SearchFilter, $sort: SearchSort, $first: Int, $after: String) { search(query: $q, filter: $filter, sort: $sort, first: $first, after: $after) { totalCount facets { countries { value count } } } }",
    "query($id: ID!) { node(id: $id) { id } }",
    "mutation($input: OpportunityInput!) { createOpportunity(input: $input) { id } }",
    "mutation($input: EventInput!) { createEvent(input: $input) { id } }",
    "mutation($id: ID!, $reason: String!) { rejectContent(id: $id, reason: $reason) { id } }",
];

fn input_strategy() -> impl Strategy<Value = serde_json::Value> {
    // Mostly well-shaped inputs with wild values, sometimes pure noise.
    let text = prop_oneof![
        any::<String>(),
        Just(String::new()),
        "[a-zA-Z ]{0,400}",
        Just("x".repeat(100_001))
    ];
    let number = prop_oneof![
        any::<i64>().prop_map(serde_json::Value::from),
        Just(json!(-1)),
        Just(json!(101)),
        Just(json!(1e300))
    ];
    let code = prop_oneof![
        Just("VN".to_owned()),
        Just("XX".to_owned()),
        Just("0504".to_owned()),
        any::<String>()
    ];
    (text.clone(), text, number, code.clone(), code, variables_strategy()).prop_map(|(title, amount, first, country, sector, noise)| {
        json!({
            "first": first, "last": noise, "after": title, "q": amount, "id": country,
            "filter": { "countries": [country], "sectors": [sector], "includeExpired": true },
            "input": {
                "content": { "title": title, "summary": amount, "body": "b", "language": "en", "countries": [country], "sectors": [sector] },
                "opportunityType": "INVESTMENT", "amountMin": amount, "currency": sector,
                "eventType": "FORUM", "startsAt": title, "endsAt": amount,
            },
            "reason": amount,
        })
    })
}

#[tokio::test]
async fn valid_documents_with_arbitrary_variables_never_fail_internally() {
    let app = spawn_app().await;
    let schema = api::graphql::build(app.state.clone());
    let correspondent = app.correspondent(true).await;
    let caller = api::service::users::caller_for_token(&app.state, &correspondent.token)
        .await
        .expect("a caller");
    let mut runner = TestRunner::deterministic();
    let strategy = (proptest::sample::select(DOCUMENTS), input_strategy());
    for _ in 0..CASES {
        let (document, variables) = strategy.new_tree(&mut runner).expect("a case").current();
        let request = async_graphql::Request::new(document)
            .variables(async_graphql::Variables::from_json(variables.clone()))
            .data(caller.clone())
            .data(api::graphql::loaders::per_request(
                app.state.db.connection().clone(),
            ));
        let mut response = schema.execute(request).await;
        for error in &mut response.errors {
            api::graphql::classify(error, "fuzz");
        }
        assert_no_internal(&response, &format!("{document} with {variables}"));
    }
}

mod visibility_property {
    use std::collections::{BTreeMap, BTreeSet};

    use api::auth::Role;
    use entities::{content, content_countries, organisations, users};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use sea_orm::EntityTrait;
    use serde_json::json;

    use crate::fixtures::opportunity_input;
    use crate::harness::{TestApp, TestUser, UserSpec, spawn_app};

    const COUNTRIES: [&str; 4] = ["VN", "TH", "LA", "KH"];
    const STEPS: usize = 80;

    /// What the database says `user` may find in search: published items that are public,
    /// or that they wrote, or all of them for members in good standing and the secretariat.
    async fn entitled(
        app: &TestApp,
        user: Option<&TestUser>,
    ) -> (BTreeSet<String>, BTreeMap<String, i64>) {
        let connection = app.state.db.connection();
        let stored = match user {
            Some(user) => users::Entity::find_by_id(user.id.clone())
                .one(connection)
                .await
                .unwrap(),
            None => None,
        };
        let member = match &stored {
            Some(stored) if stored.role == "SECRETARIAT" => true,
            Some(stored) => match &stored.organisation_id {
                Some(organisation) => organisations::Entity::find_by_id(organisation.clone())
                    .one(connection)
                    .await
                    .unwrap()
                    .is_some_and(|organisation| organisation.membership_status == "MEMBER"),
                None => false,
            },
            None => false,
        };
        let links = content_countries::Entity::find()
            .all(connection)
            .await
            .unwrap();
        let mut ids = BTreeSet::new();
        let mut countries: BTreeMap<String, i64> = BTreeMap::new();
        for row in content::Entity::find().all(connection).await.unwrap() {
            let own = user.is_some_and(|user| user.id == row.author_id);
            if row.status == "PUBLISHED" && (row.visibility == "PUBLIC" || member || own) {
                ids.insert(
                    api::graphql::ids::encode(
                        api::graphql::ids::NodeType::Content(
                            api::service::content::Kind::Opportunity,
                        ),
                        &row.id,
                    )
                    .0,
                );
                for link in links.iter().filter(|link| link.content_id == row.id) {
                    *countries.entry(link.country_code.clone()).or_default() += 1;
                }
            }
        }
        (ids, countries)
    }

    #[tokio::test]
    async fn after_random_writes_and_role_changes_search_shows_each_user_exactly_their_share() {
        let app = spawn_app().await;
        let secretariat = app.secretariat().await;
        let trusted = app.correspondent(true).await;
        let untrusted = app.correspondent(false).await;
        let member = app.member().await;
        let plain = app.user(Role::User, UserSpec::default()).await;
        let shifting = app
            .user(
                Role::Member,
                UserSpec {
                    organisation: Some("Shifting Org".into()),
                    ..UserSpec::default()
                },
            )
            .await;
        let shifting_organisation = app
            .ok(
                Some(&shifting.token),
                "{ me { organisation { id } } }",
                json!({}),
            )
            .await["me"]["organisation"]["id"]
            .clone();
        let writers = [&trusted, &untrusted];
        let actors = [
            &secretariat,
            &trusted,
            &untrusted,
            &member,
            &plain,
            &shifting,
        ];
        let mut rng = StdRng::seed_from_u64(20261126);
        let mut items: Vec<String> = Vec::new();
        for step in 0..STEPS {
            match rng.random_range(0..20) {
                0..=5 => {
                    let writer = writers[rng.random_range(0..writers.len())];
                    let country = COUNTRIES[rng.random_range(0..COUNTRIES.len())];
                    let visibility = if rng.random_bool(0.5) {
                        "MEMBERS"
                    } else {
                        "PUBLIC"
                    };
                    let input = opportunity_input(
                        &format!("Random item {step}"),
                        &[country],
                        &["0504"],
                        visibility,
                    );
                    let answer = app.graphql(Some(&writer.token), "mutation($input: OpportunityInput!) { createOpportunity(input: $input) { id } }", json!({ "input": input })).await;
                    if let Some(id) = answer["data"]["createOpportunity"]["id"].as_str() {
                        items.push(id.to_owned());
                    }
                }
                6..=15 if !items.is_empty() => {
                    // Mostly moves that can succeed, some by anyone at all.
                    let (mutation, actor) = match rng.random_range(0..6) {
                        0 | 1 => ("publishContent", &secretariat),
                        2 => ("publishContent", &trusted),
                        3 => ("archiveContent", &secretariat),
                        4 => ("submitContent", &untrusted),
                        _ => (
                            [
                                "submitContent",
                                "approveContent",
                                "publishContent",
                                "archiveContent",
                            ][rng.random_range(0..4)],
                            actors[rng.random_range(0..actors.len())],
                        ),
                    };
                    let id = &items[rng.random_range(0..items.len())];
                    // Refusals are part of the game: only what succeeds changes anything.
                    let _ = app
                        .graphql(
                            Some(&actor.token),
                            &format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ status }} }}"),
                            json!({ "id": id }),
                        )
                        .await;
                }
                16..=18 => {
                    let target = [&untrusted, &member, &plain, &shifting][rng.random_range(0..4)];
                    let role =
                        ["CORRESPONDENT", "MEMBER", "INVESTOR", "USER"][rng.random_range(0..4)];
                    let user_id =
                        api::graphql::ids::encode(api::graphql::ids::NodeType::User, &target.id);
                    app.ok(Some(&secretariat.token), "mutation($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { role } }", json!({ "id": user_id, "role": role })).await;
                }
                _ => {
                    let _ = app.graphql(Some(&secretariat.token), "mutation($id: ID!) { expelMember(organisationId: $id, reason: \"random\") { id } }", json!({ "id": shifting_organisation })).await;
                }
            }
        }
        let viewers: [(&str, Option<&TestUser>); 7] = [
            ("anonymous", None),
            ("secretariat", Some(&secretariat)),
            ("trusted", Some(&trusted)),
            ("untrusted", Some(&untrusted)),
            ("member", Some(&member)),
            ("plain", Some(&plain)),
            ("shifting", Some(&shifting)),
        ];
        let (public, _) = entitled(&app, None).await;
        let (everything, _) = entitled(&app, Some(&secretariat)).await;
        assert!(
            !public.is_empty() && everything.len() > public.len(),
            "the sequence published public and member-only items: {} vs {}",
            public.len(),
            everything.len()
        );
        for (name, viewer) in viewers {
            let (expected, expected_countries) = entitled(&app, viewer).await;
            let answer = app.ok(viewer.map(|user| user.token.as_str()), "{ search(first: 100, filter: { includeExpired: true }) { totalCount facets { countries { value count } } edges { node { id } } } }", json!({})).await;
            let found: BTreeSet<String> = answer["search"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(found, expected, "{name}: search hits");
            assert_eq!(
                answer["search"]["totalCount"],
                expected.len() as i64,
                "{name}: total"
            );
            let facets: BTreeMap<String, i64> = answer["search"]["facets"]["countries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|count| {
                    (
                        count["value"].as_str().unwrap().to_owned(),
                        count["count"].as_i64().unwrap(),
                    )
                })
                .collect();
            assert_eq!(facets, expected_countries, "{name}: facets");
        }
    }
}
