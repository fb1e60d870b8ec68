//! Hostile and malformed requests: limits, GET, CORS, and internal errors that leak nothing.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::fixtures::{opportunity_input, published_opportunity};
use crate::harness::{TestApp, spawn_app, spawn_app_with};

fn first_error(answer: &Value) -> (String, String) {
    let error = &answer["errors"][0];
    (
        error["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        error["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn depth_complexity_and_directive_limits_say_which_limit() {
    let app = spawn_app().await;
    // Deep but cheap: `parent` is one object, so only the depth limit can refuse this.
    let deep = format!(
        "{{ sectors {{ {} code {} }} }}",
        "parent { ".repeat(12),
        "} ".repeat(12)
    );
    let (code, message) = first_error(&app.graphql(None, &deep, json!({})).await);
    assert_eq!(code, "QUERY_TOO_COMPLEX");
    assert!(
        message.contains("nested too deep") && message.contains("12"),
        "{message}"
    );

    // Nested lists cost what they can return: five categories, up to nine children each.
    let nested = "sectors { children { parent { children { parent { children { code } } } } } }";
    let aliased_nests: String = (0..20)
        .map(|index| format!("s{index}: {nested} "))
        .collect();
    let (code, message) = first_error(
        &app.graphql(None, &format!("{{ {aliased_nests} }}"), json!({}))
            .await,
    );
    assert_eq!(code, "QUERY_TOO_COMPLEX", "{message}");
    assert!(
        app.graphql(None, &format!("{{ {nested} }}"), json!({}))
            .await
            .get("errors")
            .is_none(),
        "one such nest is an honest, if odd, query"
    );

    let aliased: String = (0..60).map(|index| format!("t{index}: title ")).collect();
    let fields = format!("id {aliased} countries {{ code name }} sectors {{ code name }}");
    let heavy = format!("{{ opportunities(first: 100) {{ edges {{ node {{ {fields} }} }} }} }}");
    let (code, message) = first_error(&app.graphql(None, &heavy, json!({})).await);
    assert_eq!(
        code, "QUERY_TOO_COMPLEX",
        "a full page of many fields costs per item"
    );
    assert!(
        message.contains("too complex") && message.contains("5000"),
        "{message}"
    );
    let light = format!("{{ opportunities(first: 5) {{ edges {{ node {{ {fields} }} }} }} }}");
    assert!(
        app.graphql(None, &light, json!({}))
            .await
            .get("errors")
            .is_none(),
        "the same fields on a small page are fine"
    );

    let aliases: String = (0..3000)
        .map(|index| format!("a{index}: countries {{ code name }} "))
        .collect();
    let (code, _) = first_error(
        &app.graphql(None, &format!("{{ {aliases} }}"), json!({}))
            .await,
    );
    assert_eq!(code, "QUERY_TOO_COMPLEX", "every alias counts");

    let directives = "{ countries @include(if: true) @include(if: true) @include(if: true) @include(if: true) @include(if: true) @include(if: true) { code } }";
    let (code, message) = first_error(&app.graphql(None, directives, json!({})).await);
    // The standard directives are not repeatable, so validation refuses a pile of them even
    // before the per-field directive limit (5) would.
    assert_eq!(code, "BAD_USER_INPUT");
    assert!(message.contains("include"), "{message}");
}

#[tokio::test]
async fn field_suggestions_do_not_map_the_schema() {
    let app = spawn_app().await;
    let (code, message) = first_error(
        &app.graphql(None, "{ opportunitiez { totalCount } }", json!({}))
            .await,
    );
    assert_eq!(code, "BAD_USER_INPUT");
    assert!(
        !message.to_lowercase().contains("did you mean"),
        "{message}"
    );
}

#[tokio::test]
async fn batches_are_capped() {
    let app = spawn_app().await;
    let batch = |count: usize| {
        (0..count)
            .map(|_| json!({ "query": "{ countries { code } }" }))
            .collect::<Vec<_>>()
    };
    let small: Value = app
        .http
        .post(app.url("/graphql"))
        .json(&batch(2))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(small.as_array().unwrap().len(), 2);
    let response = app
        .http
        .post(app.url("/graphql"))
        .json(&batch(11))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("10")
    );
}

async fn get(app: &TestApp, query: &str) -> reqwest::Response {
    app.http
        .get(app.url("/graphql"))
        .query(&[("query", query)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn queries_work_over_get_and_mutations_do_not() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let id = published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input("Get me", &["SG"], &["0303"], "PUBLIC"),
    )
    .await;
    let answer: Value = get(&app, "{ opportunities { totalCount } }")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["data"]["opportunities"]["totalCount"], 1);
    let mutation = format!("mutation {{ archiveContent(id: \"{id}\") {{ status }} }}");
    let response = app
        .http
        .get(app.url("/graphql"))
        .bearer_auth(&secretariat.token)
        .query(&[("query", mutation.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let still: Value = get(&app, "{ opportunities { totalCount } }")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        still["data"]["opportunities"]["totalCount"], 1,
        "nothing changed"
    );
}

#[tokio::test]
async fn cross_site_browsers_are_refused_unless_their_origin_is_allowed() {
    let closed = spawn_app().await;
    let response = closed
        .http
        .post(closed.url("/graphql"))
        .header("origin", "https://evil.example")
        .json(&json!({ "query": "{ countries { code } }" }))
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "no CORS by default"
    );

    let open =
        spawn_app_with(|serve| serve.cors_origins = vec!["https://portal.example".into()]).await;
    let preflight = open
        .http
        .request(reqwest::Method::OPTIONS, open.url("/graphql"))
        .header("origin", "https://portal.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .unwrap(),
        "https://portal.example"
    );
    let other = open
        .http
        .post(open.url("/graphql"))
        .header("origin", "https://evil.example")
        .json(&json!({ "query": "{ countries { code } }" }))
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn an_internal_error_shows_a_request_id_and_nothing_else() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    published_opportunity(
        &app,
        &author,
        &author,
        opportunity_input("Broken tags", &["SG"], &["0303"], "PUBLIC"),
    )
    .await;
    // Break the database underneath the server: the next read of tags fails inside it.
    let connection = app.state.db.connection();
    connection
        .execute_raw(Statement::from_string(
            connection.get_database_backend(),
            "DROP TABLE content_tags",
        ))
        .await
        .unwrap();
    let response = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ opportunities { edges { node { title tags } } } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let request_id = response
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "INTERNAL");
    assert_eq!(error["extensions"]["requestId"], request_id.as_str());
    let text = body["errors"].to_string().to_lowercase();
    for leak in [
        "content_tags",
        "sql",
        "sqlite",
        "postgres",
        "sea_orm",
        "sqlx",
        "/src/",
        ".rs",
        "table",
        "panicked",
    ] {
        assert!(!text.contains(leak), "the error leaks {leak:?}: {text}");
    }
}

#[tokio::test]
async fn a_request_over_its_time_limit_is_answered_408() {
    // With no time at all, any request that has to wait for the database or the index is over.
    let app = spawn_app_with(|serve| serve.request_timeout_secs = 0).await;
    let response = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ search(query: \"anything\") { totalCount } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 408);
}
