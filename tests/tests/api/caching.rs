//! Automatic persisted queries (Apollo's protocol) and HTTP caching: anonymous GET answers are
//! public for a minute with an ETag, so the portal can sit behind a CDN; nothing a signed-in
//! caller gets, no POST and no answer with errors is ever stored.

use serde_json::{Value, json};

use crate::harness::{TestApp, spawn_app};

/// A query, and its SHA-256 as a client computes it (`printf '%s' '<query>' | sha256sum`):
/// written out here, so the server's hashing is checked against an independent one.
const COUNTRIES: &str = "{ countries { code } }";
const COUNTRIES_SHA256: &str = "adfde42d0d1cb2c08b9cf5d06e28e9a39cbd25d3a5a3f0a179b6c44a9a71dddf";
const NAMES: &str = "query Names($lang: String) { countries { name(lang: $lang) } }";
const NAMES_SHA256: &str = "65bf871b8af389915a2a7b1bd99008730348b348a919932b66c4bc1c0e788fc1";
const LOGOUT: &str = "mutation { logout(refreshToken: \"not-a-token\") }";
const LOGOUT_SHA256: &str = "0419c7fd269777b6ac3ea4e4f747b4e270e353a030294d94caf7fa39ba3522be";
/// The SHA-256 of `{ regions { name } }`, which no test registers.
const NEVER_REGISTERED_SHA256: &str =
    "9ba2cc8ddf1af8fa50702438422e62f71a7d5e9a8bb5ff99b0a0eea1b3e980f6";

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

async fn post(app: &TestApp, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = app.http.post(app.url("/graphql")).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("the server answers")
}

/// A GET with the query string's parameters as GraphQL over HTTP names them.
async fn get(
    app: &TestApp,
    token: Option<&str>,
    if_none_match: Option<&str>,
    parameters: &[(&str, String)],
) -> reqwest::Response {
    let mut request = app.http.get(app.url("/graphql")).query(parameters);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    request.send().await.expect("the server answers")
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn assert_never_stored(response: &reqwest::Response, what: &str) {
    let cache_control = header(response, "cache-control").unwrap_or_default();
    assert!(
        cache_control.contains("no-store"),
        "{what}: cache-control {cache_control:?}"
    );
    assert_eq!(header(response, "etag"), None, "{what}: no ETag");
}

#[tokio::test]
async fn a_registered_document_runs_from_its_hash_alone_over_post_and_get() {
    let app = spawn_app().await;
    let registered: Value = post(
        &app,
        None,
        json!({ "query": COUNTRIES, "extensions": persisted(COUNTRIES_SHA256) }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(registered.get("errors").is_none(), "{registered}");
    let countries = registered["data"]["countries"].clone();
    assert_eq!(countries.as_array().map(Vec::len), Some(12));

    let by_post: Value = post(
        &app,
        None,
        json!({ "extensions": persisted(COUNTRIES_SHA256) }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(by_post["data"]["countries"], countries, "{by_post}");

    let by_get = get(
        &app,
        None,
        None,
        &[("extensions", persisted(COUNTRIES_SHA256).to_string())],
    )
    .await;
    assert_eq!(by_get.status(), 200);
    let by_get: Value = by_get.json().await.unwrap();
    assert_eq!(by_get["data"]["countries"], countries, "{by_get}");

    // Registered over GET too, and then run with other variables from its hash alone.
    let registering_get = get(
        &app,
        None,
        None,
        &[
            ("query", NAMES.to_owned()),
            ("extensions", persisted(NAMES_SHA256).to_string()),
            ("variables", json!({ "lang": "en" }).to_string()),
        ],
    )
    .await;
    let in_english: Value = registering_get.json().await.unwrap();
    assert!(in_english.get("errors").is_none(), "{in_english}");
    let in_chinese: Value = get(
        &app,
        None,
        None,
        &[
            ("extensions", persisted(NAMES_SHA256).to_string()),
            ("variables", json!({ "lang": "zh" }).to_string()),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(in_chinese.get("errors").is_none(), "{in_chinese}");
    assert_ne!(
        in_chinese["data"]["countries"], in_english["data"]["countries"],
        "the variables of the hash-only request are the ones used"
    );
}

#[tokio::test]
async fn an_unknown_hash_answers_persisted_query_not_found_over_post_and_get() {
    let app = spawn_app().await;
    let by_post: Value = post(
        &app,
        None,
        json!({ "extensions": persisted(NEVER_REGISTERED_SHA256) }),
    )
    .await
    .json()
    .await
    .unwrap();
    let by_get = get(
        &app,
        None,
        None,
        &[("extensions", persisted(NEVER_REGISTERED_SHA256).to_string())],
    )
    .await;
    assert_never_stored(&by_get, "a miss");
    let by_get: Value = by_get.json().await.unwrap();
    for answer in [by_post, by_get] {
        let error = &answer["errors"][0];
        assert_eq!(error["message"], "PersistedQueryNotFound", "{answer}");
        assert_eq!(
            error["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
            "{answer}"
        );
        assert!(answer.get("data").is_none(), "nothing ran: {answer}");
    }
}

#[tokio::test]
async fn a_hash_that_does_not_match_its_document_is_bad_user_input_and_not_stored() {
    let app = spawn_app().await;
    let mismatched: Value = post(
        &app,
        None,
        json!({ "query": COUNTRIES, "extensions": persisted(NEVER_REGISTERED_SHA256) }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        mismatched["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{mismatched}"
    );
    assert!(mismatched.get("data").is_none(), "{mismatched}");
    let afterwards: Value = post(
        &app,
        None,
        json!({ "extensions": persisted(NEVER_REGISTERED_SHA256) }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        afterwards["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "the hash names no document: {afterwards}"
    );
}

#[tokio::test]
async fn a_persisted_mutation_is_still_refused_over_get() {
    let app = spawn_app().await;
    // Registering runs it over POST, as any mutation; what matters is that its hash is known.
    post(
        &app,
        None,
        json!({ "query": LOGOUT, "extensions": persisted(LOGOUT_SHA256) }),
    )
    .await;
    let by_get = get(
        &app,
        None,
        None,
        &[("extensions", persisted(LOGOUT_SHA256).to_string())],
    )
    .await;
    assert_eq!(by_get.status(), 405);
    assert_never_stored(&by_get, "a refused mutation");
}

#[tokio::test]
async fn an_anonymous_get_is_public_for_a_minute_with_an_etag_and_a_repeat_is_304() {
    let app = spawn_app().await;
    let first = get(&app, None, None, &[("query", COUNTRIES.to_owned())]).await;
    assert_eq!(first.status(), 200);
    assert_eq!(
        header(&first, "cache-control").as_deref(),
        Some("public, max-age=60")
    );
    let vary = header(&first, "vary")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        vary.contains("authorization") && vary.contains("accept"),
        "vary: {vary:?}"
    );
    let tag = header(&first, "etag").expect("an ETag");
    assert!(
        tag.starts_with('"') && tag.ends_with('"'),
        "a strong ETag: {tag}"
    );
    let body = first.text().await.unwrap();
    assert!(body.contains("\"countries\""), "{body}");

    let repeat = get(&app, None, Some(&tag), &[("query", COUNTRIES.to_owned())]).await;
    assert_eq!(repeat.status(), 304);
    assert_eq!(header(&repeat, "etag").as_deref(), Some(tag.as_str()));
    assert_eq!(
        header(&repeat, "cache-control").as_deref(),
        Some("public, max-age=60")
    );
    assert_eq!(repeat.text().await.unwrap(), "", "a 304 has no body");

    // Another answer has another tag, so a stale tag gets the whole answer again.
    let other = get(
        &app,
        None,
        Some(&tag),
        &[("query", "{ countries { currency } }".to_owned())],
    )
    .await;
    assert_eq!(other.status(), 200);
    assert_ne!(header(&other, "etag").as_deref(), Some(tag.as_str()));

    // A hash-only GET is as cacheable as the document it names.
    post(
        &app,
        None,
        json!({ "query": COUNTRIES, "extensions": persisted(COUNTRIES_SHA256) }),
    )
    .await;
    let by_hash = get(
        &app,
        None,
        Some(&tag),
        &[("extensions", persisted(COUNTRIES_SHA256).to_string())],
    )
    .await;
    assert_eq!(by_hash.status(), 304, "the same answer as the full query's");
}

#[tokio::test]
async fn a_signed_in_get_and_any_post_are_never_stored_and_have_no_etag() {
    let app = spawn_app().await;
    let member = app.member().await;
    let signed_in = get(
        &app,
        Some(&member.token),
        None,
        &[("query", COUNTRIES.to_owned())],
    )
    .await;
    assert_eq!(signed_in.status(), 200);
    assert_never_stored(&signed_in, "a signed-in GET");
    assert!(
        header(&signed_in, "vary")
            .unwrap_or_default()
            .to_ascii_lowercase()
            .contains("authorization")
    );

    // An If-None-Match from a signed-in caller never gets a 304 either: there is no tag.
    let anonymous = get(&app, None, None, &[("query", COUNTRIES.to_owned())]).await;
    let tag = header(&anonymous, "etag").expect("an anonymous ETag");
    let signed_in_repeat = get(
        &app,
        Some(&member.token),
        Some(&tag),
        &[("query", COUNTRIES.to_owned())],
    )
    .await;
    assert_eq!(signed_in_repeat.status(), 200);
    assert_never_stored(&signed_in_repeat, "a signed-in GET with If-None-Match");

    let anonymous_post = post(&app, None, json!({ "query": COUNTRIES })).await;
    assert_eq!(anonymous_post.status(), 200);
    assert_never_stored(&anonymous_post, "an anonymous POST");
    let signed_in_post = post(&app, Some(&member.token), json!({ "query": COUNTRIES })).await;
    assert_never_stored(&signed_in_post, "a signed-in POST");
    let refused_post = app
        .http
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .body(COUNTRIES)
        .send()
        .await
        .unwrap();
    assert_eq!(refused_post.status(), 415);
    assert_never_stored(&refused_post, "a refused POST");
}

#[tokio::test]
async fn an_answer_with_errors_is_not_cacheable() {
    let app = spawn_app().await;
    let invalid = get(
        &app,
        None,
        None,
        &[("query", "{ countries { noSuchField } }".to_owned())],
    )
    .await;
    assert_never_stored(&invalid, "a validation error");
    let invalid: Value = invalid.json().await.unwrap();
    assert_eq!(invalid["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    // An error while executing keeps its data, and is still not kept: a passing fault must
    // not be served for a minute.
    let field_error = get(
        &app,
        None,
        None,
        &[(
            "query",
            "{ countries { code } auditLog(first: 1) { __typename } }".to_owned(),
        )],
    )
    .await;
    assert_eq!(field_error.status(), 200);
    assert_never_stored(&field_error, "a field error");
    let field_error: Value = field_error.json().await.unwrap();
    assert!(
        field_error["errors"][0]["extensions"]["code"].is_string(),
        "{field_error}"
    );

    let bad_token = get(
        &app,
        Some("not-a-token"),
        None,
        &[("query", COUNTRIES.to_owned())],
    )
    .await;
    assert_eq!(bad_token.status(), 401);
    assert_never_stored(&bad_token, "an invalid token");
}
