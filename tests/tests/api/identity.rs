//! Accounts and tokens: registration, token validation, rotation and sign-out, throttling,
//! role and scope management, and the audit log.

use api::graphql::ids::{NodeType, encode};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::fixtures::{opportunity_input, transition};
use crate::harness::{TestApp, spawn_app};

const LOGIN: &str = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken refreshToken } }";

async fn status_with_token(app: &TestApp, token: &str) -> (u16, Value) {
    let response = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": "{ me { email } }" }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn forge(app: &TestApp, user_id: &str, change: impl FnOnce(&mut Value), secret: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({ "sub": user_id, "role": "SECRETARIAT", "iss": "infoharbor", "aud": "infoharbor-api", "exp": now + 600, "nbf": now, "iat": now, "jti": "x" });
    change(&mut claims);
    let _ = app;
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn forged_expired_and_misaddressed_tokens_are_refused() {
    let app = spawn_app().await;
    let member = app.member().await;
    let good = forge(&app, &member.id, |_| {}, &app.jwt_secret);
    assert_eq!(
        status_with_token(&app, &good).await.0,
        200,
        "a well-formed token works"
    );

    let now = chrono::Utc::now().timestamp();
    let header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"; // {"alg":"none","typ":"JWT"}
    let body = good.split('.').nth(1).unwrap();
    let unsigned = format!("{header}.{body}.");
    let cases = [
        ("alg none", unsigned),
        (
            "wrong signature",
            forge(
                &app,
                &member.id,
                |_| {},
                "another secret that is long enough!!",
            ),
        ),
        (
            "expired",
            forge(
                &app,
                &member.id,
                |claims| claims["exp"] = json!(now - 60),
                &app.jwt_secret,
            ),
        ),
        (
            "not yet valid",
            forge(
                &app,
                &member.id,
                |claims| claims["nbf"] = json!(now + 600),
                &app.jwt_secret,
            ),
        ),
        (
            "wrong audience",
            forge(
                &app,
                &member.id,
                |claims| claims["aud"] = json!("someone-else"),
                &app.jwt_secret,
            ),
        ),
        (
            "no audience",
            forge(
                &app,
                &member.id,
                |claims| {
                    claims.as_object_mut().unwrap().remove("aud");
                },
                &app.jwt_secret,
            ),
        ),
        (
            "unknown user",
            forge(&app, "no-such-user", |_| {}, &app.jwt_secret),
        ),
    ];
    for (case, token) in cases {
        let (status, body) = status_with_token(&app, &token).await;
        assert_eq!(status, 401, "{case}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{case}"
        );
    }
    let (_, me) = status_with_token(&app, &good).await;
    assert_eq!(
        me["data"]["me"]["email"],
        member.email.as_str(),
        "the role claim grants nothing: the stored user decides"
    );
}

#[tokio::test]
async fn people_register_once_and_sign_out_for_good() {
    let app = spawn_app().await;
    let register = "mutation($e: String!, $p: String!) { register(email: $e, password: $p, name: \"Reader\") { accessToken refreshToken } }";
    let tokens = app
        .ok(
            None,
            register,
            json!({ "e": "reader@test.example", "p": "a good password" }),
        )
        .await["register"]
        .clone();
    let me = app
        .ok(
            Some(tokens["accessToken"].as_str().unwrap()),
            "{ me { email role } }",
            json!({}),
        )
        .await;
    assert_eq!(
        me["me"],
        json!({ "email": "reader@test.example", "role": "USER" })
    );
    assert_eq!(
        app.error_code(
            None,
            register,
            json!({ "e": "READER@test.example", "p": "another password" })
        )
        .await,
        "CONFLICT"
    );
    assert_eq!(
        app.error_code(
            None,
            register,
            json!({ "e": "short@test.example", "p": "short" })
        )
        .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.error_code(
            None,
            register,
            json!({ "e": "not-an-email", "p": "a good password" })
        )
        .await,
        "BAD_USER_INPUT"
    );

    let logout = app
        .ok(
            None,
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": tokens["refreshToken"] }),
        )
        .await;
    assert_eq!(logout["logout"], true);
    let refresh = "mutation($t: String!) { refresh(refreshToken: $t) { accessToken } }";
    assert_eq!(
        app.error_code(None, refresh, json!({ "t": tokens["refreshToken"] }))
            .await,
        "UNAUTHENTICATED"
    );
    let unknown = app
        .ok(
            None,
            "mutation { logout(refreshToken: \"made-up\") }",
            json!({}),
        )
        .await;
    assert_eq!(
        unknown["logout"], true,
        "the answer reveals nothing about the token"
    );
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled_even_when_aliased_in_one_request() {
    let app = spawn_app().await;
    let member = app.member().await;
    let aliased = (0..6)
        .map(|index| {
            format!("a{index}: login(email: $e, password: \"wrong{index}\") {{ accessToken }}")
        })
        .collect::<Vec<_>>()
        .join(" ");
    let answer = app
        .graphql(
            None,
            &format!("mutation($e: String!) {{ {aliased} }}"),
            json!({ "e": member.email }),
        )
        .await;
    let codes: Vec<&str> = answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["extensions"]["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"RATE_LIMITED"),
        "six aliased attempts in one request count as six: {codes:?}"
    );
    let right_password = app
        .graphql(
            None,
            LOGIN,
            json!({ "email": member.email, "password": member.password }),
        )
        .await;
    assert_eq!(
        right_password["errors"][0]["extensions"]["code"], "RATE_LIMITED",
        "even the right password waits"
    );
    let other = app.member().await;
    app.ok(
        None,
        LOGIN,
        json!({ "email": other.email, "password": other.password }),
    )
    .await;
}

#[tokio::test]
async fn the_secretariat_sets_roles_and_scopes_and_reads_the_audit_log() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let member = app.member().await;
    let writer = app.user(api::auth::Role::User, Default::default()).await;
    let writer_id = encode(NodeType::User, &writer.id);
    let set_role =
        "mutation($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { role } }";
    assert_eq!(
        app.error_code(
            Some(&member.token),
            set_role,
            json!({ "id": writer_id, "role": "SECRETARIAT" })
        )
        .await,
        "FORBIDDEN"
    );
    app.ok(
        Some(&secretariat.token),
        set_role,
        json!({ "id": writer_id, "role": "CORRESPONDENT" }),
    )
    .await;
    let scope = "mutation($id: ID!) { setCorrespondentScope(userId: $id, countries: [\"TH\"], sectors: [\"05\"], trusted: true) { trusted } }";
    assert_eq!(
        app.error_code(Some(&member.token), scope, json!({ "id": writer_id }))
            .await,
        "FORBIDDEN"
    );
    app.ok(Some(&secretariat.token), scope, json!({ "id": writer_id }))
        .await;

    let create = "mutation($input: OpportunityInput!) { createOpportunity(input: $input) { id } }";
    let inside = app.ok(Some(&writer.token), create, json!({ "input": opportunity_input("Agritech in Chiang Mai", &["TH"], &["0501"], "PUBLIC") })).await;
    let id = inside["createOpportunity"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        transition(&app, &writer, "publishContent", &id).await,
        "PUBLISHED",
        "trusted now"
    );
    let outside = app
        .error_code(
            Some(&writer.token),
            create,
            json!({ "input": opportunity_input("Chips in Penang", &["MY"], &["0105"], "PUBLIC") }),
        )
        .await;
    assert_eq!(outside, "FORBIDDEN");
    let _ = app
        .graphql(
            None,
            LOGIN,
            json!({ "email": member.email, "password": "wrong password" }),
        )
        .await;

    let log = app
        .ok(
            Some(&secretariat.token),
            "{ auditLog(first: 100) { pageInfo { hasNextPage } edges { node { action actor { email } subjectType detail clientAddress } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        log["auditLog"]["pageInfo"]["hasNextPage"], false,
        "every entry fits on the page"
    );
    let entries: Vec<&Value> = log["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| &edge["node"])
        .collect();
    let actions: Vec<&str> = entries
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    for expected in [
        "LOGIN_SUCCEEDED",
        "LOGIN_FAILED",
        "ROLE_CHANGED",
        "SCOPE_CHANGED",
        "CONTENT_TRANSITION",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    let role_change = entries
        .iter()
        .find(|entry| entry["action"] == "ROLE_CHANGED")
        .unwrap();
    assert_eq!(role_change["actor"]["email"], secretariat.email.as_str());
    assert_eq!(role_change["detail"], "USER → CORRESPONDENT");
    assert_eq!(role_change["clientAddress"], "127.0.0.1");
    assert_eq!(
        app.error_code(
            Some(&member.token),
            "{ auditLog { totalCount } }",
            json!({})
        )
        .await,
        "FORBIDDEN"
    );
}
