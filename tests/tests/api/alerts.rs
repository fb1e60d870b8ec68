//! Saved searches and their alerts: kept, renamed and deleted by their owner only, at most a
//! configured number each; a publication alerts the owners of the searches it matches (same
//! analysis and filters as `search`), and only with what each owner may see.

use api::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::{opportunity_input, published_opportunity};
use crate::harness::{TestApp, TestUser, UserSpec, spawn_app, spawn_app_with};

const SAVE: &str = "mutation($name: String!, $query: String, $filter: SearchFilter) { saveSearch(name: $name, query: $query, filter: $filter) { id name query filter { countries kinds } } }";
const MINE: &str = "{ savedSearches { id name query filter { countries } } }";
const RENAME: &str =
    "mutation($id: ID!, $name: String!) { renameSavedSearch(id: $id, name: $name) { id name } }";
const DELETE: &str = "mutation($id: ID!) { deleteSavedSearch(id: $id) }";
const ALERTS: &str = "{ notifications { edges { node { kind message subject { id } } } } }";
const MATCHED: &str = "infoharbor_alert_publications_total";

async fn save(app: &TestApp, user: &TestUser, name: &str, query: &str, filter: Value) -> String {
    app.ok(
        Some(&user.token),
        SAVE,
        json!({ "name": name, "query": query, "filter": filter }),
    )
    .await["saveSearch"]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// The subjects of `user`'s saved-search alerts, newest first.
async fn alerted_about(app: &TestApp, user: &TestUser) -> Vec<String> {
    let inbox = app.ok(Some(&user.token), ALERTS, json!({})).await;
    inbox["notifications"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|edge| edge["node"]["kind"] == "SAVED_SEARCH_MATCHED")
        .map(|edge| {
            edge["node"]["subject"]["id"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn saved_searches_belong_to_their_owner_and_are_limited_in_number() {
    let app = spawn_app_with(|config| config.max_saved_searches = 2).await;
    let owner = app.member().await;
    let stranger = app.user(Role::User, UserSpec::default()).await;
    let id = save(
        &app,
        &owner,
        "Payments in Viet Nam",
        "payments",
        json!({ "countries": ["vn"], "kinds": ["OPPORTUNITY"] }),
    )
    .await;
    let mine = app.ok(Some(&owner.token), MINE, json!({})).await;
    assert_eq!(
        mine["savedSearches"],
        json!([{ "id": id, "name": "Payments in Viet Nam", "query": "payments", "filter": { "countries": ["VN"] } }])
    );
    let renamed = app
        .ok(
            Some(&owner.token),
            RENAME,
            json!({ "id": id, "name": "VN payments" }),
        )
        .await;
    assert_eq!(renamed["renameSavedSearch"]["name"], "VN payments");

    // A stranger can neither see nor touch it.
    assert_eq!(
        app.ok(Some(&stranger.token), MINE, json!({})).await["savedSearches"],
        json!([])
    );
    let node = app
        .ok(
            Some(&stranger.token),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert!(node["node"].is_null());
    for (document, variables) in [
        (RENAME, json!({ "id": id, "name": "mine now" })),
        (DELETE, json!({ "id": id })),
    ] {
        assert_eq!(
            app.error_code(Some(&stranger.token), document, variables)
                .await,
            "NOT_FOUND"
        );
    }
    assert_eq!(
        app.error_code(None, SAVE, json!({ "name": "x" })).await,
        "UNAUTHENTICATED"
    );
    for (variables, why) in [
        (json!({ "name": "  " }), "a blank name"),
        (
            json!({ "name": "x", "filter": { "countries": ["XX"] } }),
            "an unknown country",
        ),
        (
            json!({ "name": "x", "query": "word ".repeat(200) }),
            "a query over the budget",
        ),
    ] {
        assert_eq!(
            app.error_code(Some(&owner.token), SAVE, variables).await,
            "BAD_USER_INPUT",
            "{why}"
        );
    }

    save(&app, &owner, "Second", "logistics", json!(null)).await;
    assert_eq!(
        app.error_code(Some(&owner.token), SAVE, json!({ "name": "Third" }))
            .await,
        "CONFLICT",
        "at most two per user here"
    );
    let deleted = app
        .ok(Some(&owner.token), DELETE, json!({ "id": id }))
        .await;
    assert_eq!(deleted["deleteSavedSearch"], id.as_str());
    save(&app, &owner, "Third", "", json!(null)).await;
}

#[tokio::test]
async fn a_publication_alerts_only_the_owners_of_matching_searches_who_may_see_it() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let member = app.member().await;
    let outsider = app.user(Role::Investor, UserSpec::default()).await;
    let logistics_fan = app.member().await;
    save(
        &app,
        &member,
        "VN payments",
        "payments",
        json!({ "countries": ["VN"] }),
    )
    .await;
    save(
        &app,
        &outsider,
        "Payments anywhere",
        "payments",
        json!(null),
    )
    .await;
    save(
        &app,
        &logistics_fan,
        "Cold chain",
        "cold chain logistics",
        json!(null),
    )
    .await;

    let members_only = published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input(
            "Cloud payments gateway stake",
            &["VN"],
            &["0505"],
            "MEMBERS",
        ),
    )
    .await;
    let public_elsewhere = published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input(
            "Mobile payments for Thai street vendors",
            &["TH"],
            &["0505"],
            "PUBLIC",
        ),
    )
    .await;
    app.metric_reaches(MATCHED, 2).await;

    assert_eq!(
        alerted_about(&app, &member).await,
        vec![members_only.clone()]
    );
    assert_eq!(
        alerted_about(&app, &outsider).await,
        vec![public_elsewhere.clone()],
        "never the member-only item"
    );
    assert!(alerted_about(&app, &logistics_fan).await.is_empty());
    let message = app.ok(Some(&member.token), ALERTS, json!({})).await["notifications"]["edges"][0]
        ["node"]["message"]
        .clone();
    assert!(
        message
            .as_str()
            .is_some_and(|text| text.contains("VN payments")
                && text.contains("Cloud payments gateway stake")),
        "{message}"
    );
}
