//! Member-only content and contacts stay invisible to those not entitled, on every path this
//! foundation has: lists, totals, `node`, nested fields and error messages.

use serde_json::json;

use crate::fixtures::{ids_of, opportunity_input, published_opportunity};
use crate::harness::spawn_app;

const LIST: &str =
    "{ opportunities { totalCount edges { node { id contact author { email } } } } }";
const NODE: &str = "query($id: ID!) { node(id: $id) { id ... on Opportunity { title contact } } }";

#[tokio::test]
async fn member_only_opportunity_is_invisible_to_anonymous_and_plain_users() {
    let app = spawn_app().await;
    let author = app.correspondent(false).await;
    let secretariat = app.secretariat().await;
    let member = app.member().await;
    let plain_user = app.user(api::auth::Role::User, Default::default()).await;
    let public = published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input("Open call for partners", &["ID"], &["0401"], "PUBLIC"),
    )
    .await;
    let members_only = published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input("Confidential pipeline deal", &["ID"], &["0401"], "MEMBERS"),
    )
    .await;

    for token in [None, Some(plain_user.token.as_str())] {
        let list = app.ok(token, LIST, json!({})).await;
        assert_eq!(list["opportunities"]["totalCount"], 1);
        assert_eq!(ids_of(&list["opportunities"]), vec![public.clone()]);
        let node = app
            .graphql(token, NODE, json!({ "id": members_only }))
            .await;
        assert!(
            node["data"]["node"].is_null(),
            "node answers as if it did not exist: {node:#}"
        );
        assert!(node.get("errors").is_none());
        assert!(!node.to_string().contains("Confidential"));
    }

    let list = app.ok(Some(&member.token), LIST, json!({})).await;
    assert_eq!(list["opportunities"]["totalCount"], 2);
    let node = app
        .ok(Some(&member.token), NODE, json!({ "id": members_only }))
        .await;
    assert_eq!(node["node"]["title"], "Confidential pipeline deal");
}

#[tokio::test]
async fn contact_details_are_for_members_the_secretariat_and_the_author() {
    let app = spawn_app().await;
    let author = app.correspondent(false).await;
    let secretariat = app.secretariat().await;
    let member = app.member().await;
    let plain_user = app.user(api::auth::Role::User, Default::default()).await;
    let lapsed_member = app.user(api::auth::Role::Member, Default::default()).await;
    let id = published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input("Open call", &["PH"], &["0506"], "PUBLIC"),
    )
    .await;

    for (who, token, sees) in [
        ("anonymous", None, false),
        ("plain user", Some(&plain_user.token), false),
        (
            "member without an organisation in good standing",
            Some(&lapsed_member.token),
            false,
        ),
        ("member", Some(&member.token), true),
        ("secretariat", Some(&secretariat.token), true),
        ("author", Some(&author.token), true),
    ] {
        let data = app
            .ok(token.map(String::as_str), NODE, json!({ "id": id }))
            .await;
        assert_eq!(data["node"]["contact"].is_string(), sees, "{who}: {data:#}");
        let list = app.ok(token.map(String::as_str), LIST, json!({})).await;
        assert_eq!(
            list["opportunities"]["edges"][0]["node"]["contact"].is_string(),
            sees,
            "{who} in a list"
        );
        assert_eq!(
            list["opportunities"]["edges"][0]["node"]["author"].is_object(),
            sees,
            "{who} sees the author"
        );
    }
}

#[tokio::test]
async fn drafts_are_seen_by_their_author_and_the_secretariat_only() {
    let app = spawn_app().await;
    let author = app.correspondent(false).await;
    let other = app.correspondent(false).await;
    let secretariat = app.secretariat().await;
    let member = app.member().await;
    let id = crate::fixtures::create_opportunity(
        &app,
        &author,
        opportunity_input("Unreviewed draft", &["TL"], &["0507"], "PUBLIC"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (token, sees) in [
        (None, false),
        (Some(&member.token), false),
        (Some(&other.token), false),
        (Some(&author.token), true),
        (Some(&secretariat.token), true),
    ] {
        let data = app
            .ok(token.map(String::as_str), NODE, json!({ "id": id }))
            .await;
        assert_eq!(data["node"].is_object(), sees, "{data:#}");
    }
    let submit = app
        .graphql(
            Some(&other.token),
            "mutation($id: ID!) { submitContent(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        submit["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "a forbidden item answers as a missing one"
    );
    assert!(!submit.to_string().contains("Unreviewed"));
}
