//! The visibility matrix: every role against every read path, for PUBLIC and MEMBERS items.
//! What a role may not see must not show on any path: lists, totals, `node`, search hits,
//! search totals, facets, highlights, and contact details.

use api::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::{opportunity_input, published_opportunity};
use crate::harness::{TestApp, TestUser, UserSpec, spawn_app};

/// What one caller sees of one item on every path.
#[derive(Debug, PartialEq, Eq)]
struct Sight {
    in_list: bool,
    in_total: bool,
    by_node: bool,
    in_search: bool,
    in_search_total: bool,
    in_facets: bool,
    in_highlights: bool,
    contact: bool,
}

async fn sight(app: &TestApp, token: Option<&str>, id: &str, word: &str, country: &str) -> Sight {
    let list = app.ok(token, "query($c: [String!]) { opportunities(filter: { countries: $c }) { totalCount edges { node { id contact } } } }", json!({ "c": [country] })).await;
    let edges = list["opportunities"]["edges"].as_array().unwrap();
    let listed = edges.iter().find(|edge| edge["node"]["id"] == id);
    let node = app
        .ok(
            token,
            "query($id: ID!) { node(id: $id) { id ... on Opportunity { contact } } }",
            json!({ "id": id }),
        )
        .await;
    let search = app
        .ok(token, "query($q: String) { search(query: $q) { totalCount facets { countries { value count } } edges { node { id } highlights { snippet } } } }", json!({ "q": word }))
        .await;
    let hits = search["search"]["edges"].as_array().unwrap();
    let facet = |value: &Value| {
        value["search"]["facets"]["countries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|count| count["value"] == country)
    };
    Sight {
        in_list: listed.is_some(),
        in_total: list["opportunities"]["totalCount"] == 1,
        by_node: node["node"].is_object(),
        in_search: hits.iter().any(|hit| hit["node"]["id"] == id),
        in_search_total: search["search"]["totalCount"] == 1,
        in_facets: facet(&search),
        in_highlights: hits
            .iter()
            .any(|hit| hit["highlights"].to_string().to_lowercase().contains(word)),
        contact: listed.is_some_and(|edge| edge["node"]["contact"].is_string())
            || node["node"]["contact"].is_string(),
    }
}

fn all(visible: bool, contact: bool) -> Sight {
    Sight {
        in_list: visible,
        in_total: visible,
        by_node: visible,
        in_search: visible,
        in_search_total: visible,
        in_facets: visible,
        in_highlights: visible,
        contact,
    }
}

#[tokio::test]
async fn each_role_sees_exactly_what_it_may_on_every_path() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let other_correspondent = app.correspondent(false).await;
    let member = app.member().await;
    let investor = app.user(Role::Investor, UserSpec::default()).await;
    let plain_user = app.user(Role::User, UserSpec::default()).await;
    let expelled = app
        .user(
            Role::Member,
            UserSpec {
                organisation: Some("Soon Expelled Ltd".into()),
                ..UserSpec::default()
            },
        )
        .await;
    let organisation = app
        .ok(
            Some(&expelled.token),
            "{ me { organisation { id } } }",
            json!({}),
        )
        .await["me"]["organisation"]["id"]
        .clone();
    app.ok(
        Some(&secretariat.token),
        "mutation($id: ID!) { expelMember(organisationId: $id, reason: \"test\") { id } }",
        json!({ "id": organisation }),
    )
    .await;

    // Each item in its own country, so lists and facets can be read per item.
    let public = published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input("Openvisible tender", &["BN"], &["0508"], "PUBLIC"),
    )
    .await;
    let members = published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input("Membersecret tender", &["TL"], &["0508"], "MEMBERS"),
    )
    .await;

    let roles: [(&str, Option<&TestUser>, bool); 8] = [
        ("anonymous", None, false),
        ("user", Some(&plain_user), false),
        (
            "investor without a member organisation",
            Some(&investor),
            false,
        ),
        ("user of an expelled organisation", Some(&expelled), false),
        (
            "correspondent who is not the author",
            Some(&other_correspondent),
            false,
        ),
        ("member", Some(&member), true),
        ("author", Some(&author), true),
        ("secretariat", Some(&secretariat), true),
    ];
    for (role, user, entitled) in roles {
        let token = user.map(|user| user.token.as_str());
        let seen_public = sight(&app, token, &public, "openvisible", "BN").await;
        assert_eq!(
            seen_public,
            all(true, entitled),
            "{role} on the PUBLIC item"
        );
        let seen_members = sight(&app, token, &members, "membersecret", "TL").await;
        assert_eq!(
            seen_members,
            all(entitled, entitled),
            "{role} on the MEMBERS item"
        );
    }
}
