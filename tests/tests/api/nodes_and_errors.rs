//! Global ids and the error codes of bad ids and missing authentication.

use serde_json::json;

use crate::fixtures::{opportunity_input, published_opportunity};
use crate::harness::spawn_app;

#[tokio::test]
async fn node_finds_each_kind_and_users_by_their_global_id() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let id = published_opportunity(
        &app,
        &author,
        &author,
        opportunity_input("Node lookup", &["SG"], &["0303"], "PUBLIC"),
    )
    .await;
    let data = app
        .ok(
            None,
            "query($id: ID!) { node(id: $id) { __typename id ... on Content { kind title } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data["node"]["__typename"], "Opportunity");
    assert_eq!(data["node"]["id"], id.as_str());
    assert_eq!(data["node"]["kind"], "OPPORTUNITY");

    let me = app
        .ok(Some(&author.token), "{ me { id email role } }", json!({}))
        .await;
    assert_eq!(me["me"]["role"], "CORRESPONDENT");
    let user_id = me["me"]["id"].as_str().unwrap().to_owned();
    assert_ne!(user_id, id);
    let own = app
        .ok(
            Some(&author.token),
            "query($id: ID!) { node(id: $id) { __typename ... on User { email } } }",
            json!({ "id": user_id }),
        )
        .await;
    assert_eq!(own["node"]["email"], author.email.as_str());
    let anonymous = app
        .ok(
            None,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": user_id }),
        )
        .await;
    assert!(anonymous["node"].is_null(), "users are not public");
    assert!(app.ok(None, "{ me { id } }", json!({})).await["me"].is_null());
}

#[tokio::test]
async fn malformed_ids_are_bad_input_and_unknown_ones_are_absent() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    for bad in ["", "42", "%%%", "T3Bwb3J0dW5pdHk"] {
        let answer = app
            .graphql(
                None,
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": bad }),
            )
            .await;
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{bad}: {answer:#}"
        );
    }
    let unknown = "T3Bwb3J0dW5pdHk6MDE5M2FhYWEtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAw"; // Opportunity:<a uuid nobody has>
    let answer = app
        .ok(
            None,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": unknown }),
        )
        .await;
    assert!(answer["node"].is_null());
    let code = app
        .error_code(
            Some(&secretariat.token),
            "mutation($id: ID!) { approveContent(id: $id) { id } }",
            json!({ "id": unknown }),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
}

#[tokio::test]
async fn writes_without_a_token_are_unauthenticated_and_bad_tokens_are_refused() {
    let app = spawn_app().await;
    let create = "mutation($input: OpportunityInput!) { createOpportunity(input: $input) { id } }";
    let input = json!({ "input": opportunity_input("x", &["SG"], &["0303"], "PUBLIC") });
    assert_eq!(
        app.error_code(None, create, input.clone()).await,
        "UNAUTHENTICATED"
    );

    let response = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth("not.a.token")
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn wrong_passwords_and_unknown_emails_answer_alike() {
    let app = spawn_app().await;
    let member = app.member().await;
    let login = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }";
    let wrong_password = app
        .graphql(
            None,
            login,
            json!({ "email": member.email, "password": "wrong password" }),
        )
        .await;
    let unknown_email = app
        .graphql(
            None,
            login,
            json!({ "email": "nobody@test.example", "password": "wrong password" }),
        )
        .await;
    assert_eq!(
        wrong_password["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    assert_eq!(
        wrong_password["errors"][0]["message"],
        unknown_email["errors"][0]["message"]
    );
    let upper_case = app
        .graphql(
            None,
            login,
            json!({ "email": member.email.to_uppercase(), "password": member.password }),
        )
        .await;
    assert!(
        upper_case["data"]["login"]["accessToken"].is_string(),
        "emails are case-insensitive"
    );
}

#[tokio::test]
async fn a_refresh_token_works_once_and_its_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let member = app.member().await;
    let login = app
        .ok(None, "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { refreshToken } }", json!({ "e": member.email, "p": member.password }))
        .await;
    let first = login["login"]["refreshToken"].as_str().unwrap().to_owned();
    let refresh =
        "mutation($t: String!) { refresh(refreshToken: $t) { accessToken refreshToken } }";
    let second = app.ok(None, refresh, json!({ "t": first })).await["refresh"].clone();
    let me = app
        .ok(
            Some(second["accessToken"].as_str().unwrap()),
            "{ me { email } }",
            json!({}),
        )
        .await;
    assert_eq!(me["me"]["email"], member.email.as_str());

    assert_eq!(
        app.error_code(None, refresh, json!({ "t": first })).await,
        "UNAUTHENTICATED",
        "a spent token is refused"
    );
    assert_eq!(
        app.error_code(None, refresh, json!({ "t": second["refreshToken"] }))
            .await,
        "UNAUTHENTICATED",
        "and its whole family with it"
    );
    assert_eq!(
        app.error_code(None, refresh, json!({ "t": "made-up" }))
            .await,
        "UNAUTHENTICATED"
    );
}
