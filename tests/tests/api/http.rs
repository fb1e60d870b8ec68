//! The HTTP surface: health, readiness, metrics, GraphiQL, and requests refused before
//! they reach GraphQL.

use serde_json::{Value, json};

use crate::fixtures::{opportunity_input, published_opportunity};
use crate::harness::{TestApp, spawn_app};

async fn metrics_text(app: &TestApp) -> String {
    app.http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn query_count(app: &TestApp) -> u64 {
    app.metric("infoharbor_database_queries_total").await
}

#[tokio::test]
async fn health_readiness_metrics_and_graphiql_answer() {
    let app = spawn_app().await;
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let graphiql = app.http.get(app.url("/graphql")).send().await.unwrap();
    assert_eq!(graphiql.status(), 200);
    assert!(graphiql.text().await.unwrap().contains("graphiql"));
    let _ = app.graphql(None, "{ nope }", json!({})).await;
    let metrics = metrics_text(&app).await;
    assert!(
        metrics.contains(
            "infoharbor_http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("infoharbor_http_request_duration_seconds_bucket{le=\"+Inf\"}"));
    assert!(
        metrics.contains("infoharbor_graphql_errors_total{code=\"BAD_USER_INPUT\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let app = spawn_app().await;
    let padding = "x".repeat(2 * 1024 * 1024);
    let response = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ countries { code } }", "variables": { "padding": padding } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn malformed_json_and_non_json_posts_are_refused() {
    let app = spawn_app().await;
    let malformed = app
        .http
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{\"query\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let form = app
        .http
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .body("{\"query\": \"{ me { id } }\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415, "a cross-site simple request is refused");
}

#[tokio::test]
async fn syntax_errors_carry_a_code_and_no_internal_detail() {
    let app = spawn_app().await;
    let answer = app.graphql(None, "{ countries { code ", json!({})).await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let text = answer.to_string();
    assert!(!text.contains("sqlx") && !text.contains("/src/"));
}

#[tokio::test]
async fn a_list_costs_the_same_number_of_queries_for_two_items_as_for_ten() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    for index in 0..10 {
        let mut input = opportunity_input(
            &format!("Batch item {index}"),
            &["TH", "VN"],
            &["0501", "0504"],
            "PUBLIC",
        );
        input["content"]["translations"] =
            json!([{ "language": "zh", "title": "标题", "summary": "摘要", "body": "正文" }]);
        published_opportunity(&app, &author, &author, input).await;
    }
    // Each publication is matched against the saved searches in the background; its
    // statements must not land in the counts below.
    app.metric_reaches("infoharbor_alert_publications_total", 10)
        .await;
    let document = "query($first: Int) { opportunities(first: $first) { edges { node { id title zh: title(lang: \"zh\") countries { code name } sectors { code parent { code } } tags translations { language } author { email } history { toStatus } } } } }";
    let mut costs = Vec::new();
    for first in [2, 10] {
        let before = query_count(&app).await;
        let data = app
            .ok(Some(&author.token), document, json!({ "first": first }))
            .await;
        assert_eq!(
            data["opportunities"]["edges"].as_array().unwrap().len(),
            first
        );
        costs.push(query_count(&app).await - before);
    }
    assert_eq!(
        costs[0], costs[1],
        "queries per list must not grow with its length: {costs:?}"
    );
    assert!(
        costs[1] <= 12,
        "a handful of queries per list, got {}",
        costs[1]
    );
}
