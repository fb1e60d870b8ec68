//! HTTP routes: the GraphQL endpoint, GraphiQL, health, readiness and metrics.

use std::time::{Duration, Instant};

use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, BatchResponse};
use async_graphql_axum::GraphQLResponse;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;

use crate::auth::Caller;
use crate::config::ServeConfig;
use crate::error::{Code, Error};
use crate::graphql::{self, AppSchema};
use crate::service::users;
use crate::state::AppState;

#[derive(Clone)]
struct HttpState {
    app: AppState,
    schema: AppSchema,
}

pub fn router(state: AppState, schema: AppSchema, config: &ServeConfig) -> Router {
    let http_state = HttpState {
        app: state.clone(),
        schema: schema.clone(),
    };
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route(
            "/graphql/ws",
            crate::ws::route(state.clone(), schema, config),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(http_state)
        // The GraphQL handler reads the body as `Bytes`, which obeys this limit.
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.request_timeout_secs),
        ))
        .layer(cors(&config.cors_origins))
        // The last resort behind the GraphQL panic guard: a panic anywhere else still
        // answers a JSON error instead of a dropped connection.
        .layer(CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| {
                tracing::error!("a request handler panicked");
                refusal(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Code::Internal,
                    "internal error",
                )
            },
        ))
        .layer(middleware::from_fn_with_state(state, observe))
}

/// CORS for the configured browser origins only; with none, browsers get no CORS headers and
/// so cannot call the API from other sites.
fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<axum::http::HeaderValue> = origins
        .iter()
        .filter_map(|origin| origin.trim().parse().ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
}

/// A GraphQL-shaped error answer for requests refused before execution.
fn refusal(status: StatusCode, code: Code, message: &str) -> Response {
    (
        status,
        Json(
            json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] }),
        ),
    )
        .into_response()
}

async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("infoharbor")
            .finish(),
    )
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media_type == "application/json" || media_type == "application/graphql-response+json"
}

async fn caller_from(state: &AppState, headers: &HeaderMap) -> Result<Caller, Error> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Caller::anonymous());
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .ok_or(Error::Unauthenticated)?;
    users::caller_for_token(state, token.trim()).await
}

async fn graphql_post(
    State(http): State<HttpState>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    request_id: Option<Extension<RequestId>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if !is_json(&headers) {
        return refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::BadUserInput,
            "send the request as application/json",
        );
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                Code::BadUserInput,
                "the request body is too large",
            );
        }
        Err(_) => {
            return refusal(
                StatusCode::BAD_REQUEST,
                Code::BadUserInput,
                "the request body could not be read",
            );
        }
    };
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(_) => {
            return refusal(
                StatusCode::BAD_REQUEST,
                Code::BadUserInput,
                "the body is not a GraphQL request in JSON",
            );
        }
    };
    if let BatchRequest::Batch(requests) = &batch
        && requests.len() > graphql::MAX_BATCH_OPERATIONS
    {
        let message = format!(
            "a batch may hold at most {} operations",
            graphql::MAX_BATCH_OPERATIONS
        );
        return refusal(StatusCode::BAD_REQUEST, Code::QueryTooComplex, &message);
    }
    execute(
        &http,
        &headers,
        client,
        batch,
        request_id.map(|Extension(id)| id),
    )
    .await
}

/// Answers a GET: GraphiQL for a browser, or a query (never a mutation) from the query string.
async fn graphql_get(
    State(http): State<HttpState>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    RawQuery(query_string): RawQuery,
    request_id: Option<Extension<RequestId>>,
) -> Response {
    let Some(query_string) = query_string.filter(|query_string| !query_string.is_empty()) else {
        return graphiql().await.into_response();
    };
    let request = match async_graphql::http::parse_query_string(&query_string) {
        Ok(request) => request,
        Err(_) => {
            return refusal(
                StatusCode::BAD_REQUEST,
                Code::BadUserInput,
                "the query string is not a GraphQL request",
            );
        }
    };
    if is_mutation(&request) {
        // A GET must not change anything: links, prefetchers and crawlers follow GETs.
        return refusal(
            StatusCode::METHOD_NOT_ALLOWED,
            Code::BadUserInput,
            "mutations must be sent with POST",
        );
    }
    execute(
        &http,
        &headers,
        client,
        BatchRequest::Single(request),
        request_id.map(|Extension(id)| id),
    )
    .await
}

/// Whether the operation a request would run is a mutation (or a subscription).
fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let mut operations: Vec<(Option<&str>, async_graphql::parser::types::OperationType)> =
        match &document.operations {
            async_graphql::parser::types::DocumentOperations::Single(operation) => {
                vec![(None, operation.node.ty)]
            }
            async_graphql::parser::types::DocumentOperations::Multiple(named) => named
                .iter()
                .map(|(name, operation)| (Some(name.as_str()), operation.node.ty))
                .collect(),
        };
    if let Some(wanted) = request.operation_name.as_deref() {
        operations.retain(|(name, _)| *name == Some(wanted) || name.is_none());
    }
    operations
        .iter()
        .any(|(_, ty)| *ty != async_graphql::parser::types::OperationType::Query)
}

async fn execute(
    http: &HttpState,
    headers: &HeaderMap,
    client: std::net::SocketAddr,
    batch: BatchRequest,
    request_id: Option<RequestId>,
) -> Response {
    let request_id = request_id.map(|id| id.0).unwrap_or_default();
    let caller = match caller_from(&http.app, headers).await {
        Ok(caller) => {
            let forwarded_for: Vec<&[u8]> = headers
                .get_all("x-forwarded-for")
                .iter()
                .map(|value| value.as_bytes())
                .collect();
            let client_address = http
                .app
                .trusted_proxies
                .client_address(client.ip(), &forwarded_for);
            Caller {
                client_address: Some(client_address.to_string()),
                ..caller
            }
        }
        Err(Error::Unauthenticated) => {
            return refusal(
                StatusCode::UNAUTHORIZED,
                Code::Unauthenticated,
                "the access token is invalid or expired",
            );
        }
        Err(error) => {
            tracing::error!(error = ?error, "failed to identify the caller");
            let message = format!("internal error (request {request_id})");
            return refusal(StatusCode::INTERNAL_SERVER_ERROR, Code::Internal, &message);
        }
    };
    // Each operation gets its own loaders: their caches must not outlive one operation.
    let with_loaders = |request: async_graphql::Request| {
        request.data(graphql::loaders::per_request(
            http.app.db.connection().clone(),
        ))
    };
    let batch = match batch.data(caller) {
        BatchRequest::Single(request) => BatchRequest::Single(with_loaders(request)),
        BatchRequest::Batch(requests) => {
            BatchRequest::Batch(requests.into_iter().map(with_loaders).collect())
        }
    };
    let mut response = http.schema.execute_batch(batch).await;
    let responses: Vec<&mut async_graphql::Response> = match &mut response {
        BatchResponse::Single(single) => vec![single],
        BatchResponse::Batch(many) => many.iter_mut().collect(),
    };
    for single in responses {
        for error in &mut single.errors {
            let code = graphql::classify(error, &request_id);
            http.app.metrics.record_error(code);
        }
    }
    GraphQLResponse::from(response).into_response()
}

async fn readyz(State(http): State<HttpState>) -> Response {
    if !http.app.db.ping().await {
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
    }
    if !http.app.search.is_ready() {
        return (StatusCode::SERVICE_UNAVAILABLE, "search index catching up").into_response();
    }
    (StatusCode::OK, "ready").into_response()
}

async fn metrics(State(http): State<HttpState>) -> Response {
    let text = http.app.metrics.render(http.app.db.query_count());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Counts and times every request, and logs it with a request id.
/// The id of one request: in its log lines, in the `x-request-id` header of its answer, and
/// in any INTERNAL error it gets, so a report can be matched with its cause.
#[derive(Clone)]
pub struct RequestId(pub String);

async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    request
        .extensions_mut()
        .insert(RequestId(request_id.clone()));
    let span = tracing::info_span!("request", %method, %route, request_id = %request_id);
    let mut response = tracing::Instrument::instrument(next.run(request), span.clone()).await;
    if let Ok(value) = axum::http::HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    let elapsed = started.elapsed();
    state
        .metrics
        .record_request(&method, &route, response.status().as_u16(), elapsed);
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = elapsed.as_millis() as u64,
            "request served"
        )
    });
    response
}
