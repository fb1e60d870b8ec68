//! HTTP routes: the GraphQL endpoint, GraphiQL, health, readiness, metrics and Atom feeds.

use std::time::{Duration, Instant};

use async_graphql::{BatchRequest, BatchResponse};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use sha2::Digest;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;

use crate::auth::Caller;
use crate::config::ServeConfig;
use crate::error::{Code, Error};
use crate::graphql::{self, AppSchema};
use crate::limits::PUBLIC_CACHE_MAX_AGE_SECS;
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
        .route("/graphql/assets/{file}", get(crate::graphiql::asset))
        .route(
            "/graphql/ws",
            crate::ws::route(state.clone(), schema, config),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/feeds/all.atom", get(feed_of_everything))
        .route("/feeds/{group}/{file}", get(feed))
        .route("/events/{id}/{file}", get(event_file))
        .route("/calendar/{file}", get(calendar_feed))
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

/// A GraphQL-shaped error answer for requests refused before execution; never cached.
fn refusal(status: StatusCode, code: Code, message: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, NO_STORE)],
        Json(
            json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] }),
        ),
    )
        .into_response()
}

/// GraphiQL, with its scripts and styles served by this binary (see [`crate::graphiql`]).
async fn graphiql() -> Response {
    crate::graphiql::page()
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
        Caching::NoStore,
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
    let mut answer = graphql_get_query(http, client, headers, &query_string, request_id).await;
    // A cache must keep the anonymous answer apart from a signed-in caller's, and the JSON
    // answer apart from the graphql-response+json one (the `Accept` header picks it).
    answer.headers_mut().append(
        header::VARY,
        axum::http::HeaderValue::from_static("Authorization, Accept"),
    );
    answer
}

/// A query (never a mutation) from a GET's query string; cacheable when anonymous and clean.
async fn graphql_get_query(
    http: HttpState,
    client: std::net::SocketAddr,
    headers: HeaderMap,
    query_string: &str,
    request_id: Option<Extension<RequestId>>,
) -> Response {
    let mut request = match async_graphql::http::parse_query_string(query_string) {
        Ok(request) => request,
        Err(_) => {
            return refusal(
                StatusCode::BAD_REQUEST,
                Code::BadUserInput,
                "the query string is not a GraphQL request",
            );
        }
    };
    // A hash-only request names its document: look it up now, so that the mutation check
    // below sees it. When it fails the request is left as it was, and the schema's own
    // extension answers the same error as a GraphQL error.
    if let Some(persisted_queries) = http
        .schema
        .data::<graphql::persisted::PersistedQueryStore>()
    {
        let _ = persisted_queries.resolve(&mut request);
    }
    if is_mutation(&request) {
        // A GET must not change anything: links, prefetchers and crawlers follow GETs.
        return refusal(
            StatusCode::METHOD_NOT_ALLOWED,
            Code::BadUserInput,
            "mutations must be sent with POST",
        );
    }
    // The caller's identity decides what the answer holds, so only anonymous answers may be
    // shared; any Authorization header (even an invalid one) is never cached.
    let caching = if headers.contains_key(header::AUTHORIZATION) {
        Caching::NoStore
    } else {
        Caching::PublicWhenClean
    };
    execute(
        &http,
        &headers,
        client,
        BatchRequest::Single(request),
        request_id.map(|Extension(id)| id),
        caching,
    )
    .await
}

/// `Cache-Control` of everything that must not be kept: POSTs, signed-in answers, errors.
const NO_STORE: &str = "no-store";

/// Whether an answer may be kept by browsers and shared caches (a CDN in front of the portal).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Caching {
    /// POSTs and anything a signed-in caller asks: `no-store`.
    NoStore,
    /// An anonymous GET: `public` with an ETag when it has no errors (an error may be a passing
    /// fault, and must not be served for a minute), `no-store` otherwise.
    PublicWhenClean,
}

/// Whether one answer may be shared: no errors, no cookie, and no field hint against it.
fn is_shareable(response: &async_graphql::Response) -> bool {
    let hint = response.cache_control;
    response.errors.is_empty()
        && hint.public
        && hint.max_age != -1
        && !response.http_headers.contains_key(header::SET_COOKIE)
}

/// A strong validator of an answer: the SHA-256 of its media type and body, so the JSON and the
/// graphql-response+json representation of the same data have different tags, as RFC 9110
/// asks of a strong validator.
fn entity_tag(media_type: AnswerMediaType, body: &str) -> String {
    let mut hasher = sha2::Sha256::new();
    hasher.update(media_type.content_type().as_bytes());
    hasher.update(b"\n");
    hasher.update(body.as_bytes());
    let hex: String = hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("\"{hex}\"")
}

/// Whether `If-None-Match` names `tag` (or is `*`); a weak `W/` prefix is ignored, as the
/// weak comparison RFC 9110 asks of this header does.
fn none_match_names(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|candidate| candidate.trim())
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == tag)
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

/// The media type a GraphQL answer travels as (GraphQL over HTTP, "Accept").
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum AnswerMediaType {
    /// `application/json`: every GraphQL answer is 200, errors or not, as older clients expect.
    Json,
    /// `application/graphql-response+json`: the status tells a request error (the document does
    /// not parse or validate, its variables do not coerce, a limit refuses it) with a 400.
    GraphqlResponse,
}

impl AnswerMediaType {
    fn content_type(self) -> &'static str {
        match self {
            AnswerMediaType::Json => "application/json; charset=utf-8",
            AnswerMediaType::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        }
    }
}

/// Reads the Accept header: `application/graphql-response+json` when the client accepts it at
/// least as much as `application/json`, otherwise `application/json` (also for no header,
/// `*/*`, or only types we cannot send: the spec lets a server answer those with JSON).
fn answer_media_type(headers: &HeaderMap) -> AnswerMediaType {
    let mut graphql_response_quality: Option<f32> = None;
    let mut json_quality: Option<f32> = None;
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else { continue };
        for range in value.split(',') {
            let mut parts = range.split(';');
            let media_range = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality = parts
                .filter_map(|parameter| parameter.trim().strip_prefix("q="))
                .find_map(|quality| quality.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let slot = match media_range.as_str() {
                "application/graphql-response+json" => &mut graphql_response_quality,
                "application/json" => &mut json_quality,
                _ => continue,
            };
            // The first mention of a type is the one that counts.
            slot.get_or_insert(quality);
        }
    }
    match (graphql_response_quality, json_quality) {
        (Some(wanted), json) if wanted > 0.0 && wanted >= json.unwrap_or(0.0) => {
            AnswerMediaType::GraphqlResponse
        }
        _ => AnswerMediaType::Json,
    }
}

/// Whether an answer is a request error: nothing executed (the document did not parse or
/// validate, its variables did not coerce, a limit refused it), so there is no data and no
/// error has a path. A field error that nulls the whole data always has one.
fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
}

/// One answer's JSON. A request error has no `data` entry at all, as the GraphQL spec says of
/// an error raised before execution begins.
fn answer_json(response: &async_graphql::Response) -> serde_json::Value {
    let mut body = serde_json::to_value(response).unwrap_or_else(|_| {
        json!({ "errors": [{ "message": "internal error", "extensions": { "code": Code::Internal.as_str() } }] })
    });
    if is_request_error(response)
        && let Some(object) = body.as_object_mut()
    {
        object.remove("data");
    }
    body
}

/// Sends a GraphQL answer as the client asked for it (see [`AnswerMediaType`]), cacheable or
/// not as `caching` and the answer allow, or 304 when the client holds it already.
fn answer(
    response: BatchResponse,
    media_type: AnswerMediaType,
    caching: Caching,
    request_headers: &HeaderMap,
) -> Response {
    let status = match &response {
        BatchResponse::Single(single)
            if media_type == AnswerMediaType::GraphqlResponse && is_request_error(single) =>
        {
            StatusCode::BAD_REQUEST
        }
        _ => StatusCode::OK,
    };
    let body = match &response {
        BatchResponse::Single(single) => answer_json(single),
        BatchResponse::Batch(many) => {
            serde_json::Value::Array(many.iter().map(answer_json).collect())
        }
    };
    let body = body.to_string();
    let shareable = caching == Caching::PublicWhenClean
        && status == StatusCode::OK
        && matches!(&response, BatchResponse::Single(single) if is_shareable(single));
    if !shareable {
        let mut answer = (
            status,
            [
                (header::CONTENT_TYPE, media_type.content_type()),
                (header::CACHE_CONTROL, NO_STORE),
            ],
            body,
        )
            .into_response();
        answer.headers_mut().extend(response.http_headers());
        return answer;
    }
    let tag = entity_tag(media_type, &body);
    let cache_control = format!("public, max-age={PUBLIC_CACHE_MAX_AGE_SECS}");
    let validators = [
        (header::CACHE_CONTROL, cache_control),
        (header::ETAG, tag.clone()),
    ];
    let mut answer = if none_match_names(request_headers, &tag) {
        // The client holds this very answer: say so, with the headers a 200 would carry
        // for its cache, and no body.
        (StatusCode::NOT_MODIFIED, validators).into_response()
    } else {
        (
            status,
            validators,
            [(header::CONTENT_TYPE, media_type.content_type())],
            body,
        )
            .into_response()
    };
    answer.headers_mut().extend(response.http_headers());
    answer
}

async fn execute(
    http: &HttpState,
    headers: &HeaderMap,
    client: std::net::SocketAddr,
    batch: BatchRequest,
    request_id: Option<RequestId>,
    caching: Caching,
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
    answer(response, answer_media_type(headers), caching, headers)
}

/// Whether a load balancer may send this node traffic: the database answers, the index has
/// caught up since start, and it is not behind the change log by more than `--max-lag-secs`.
/// The body says how far the node has applied the log either way.
async fn readyz(State(http): State<HttpState>) -> Response {
    let status = http.app.search.feed_status();
    let reason = if !http.app.db.ping().await {
        Some("database unreachable")
    } else if !http.app.search.is_ready() {
        Some("search index catching up")
    } else if status.lag > http.app.cluster.settings.max_lag {
        Some("search index lagging behind the change log")
    } else {
        None
    };
    let body = serde_json::json!({
        "ready": reason.is_none(),
        "reason": reason,
        "appliedSeq": status.applied_seq,
        "headSeq": status.head_seq,
        "lagSeconds": status.lag.as_secs_f64(),
        "openGaps": status.open_gaps,
    });
    let code = if reason.is_none() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, axum::Json(body)).into_response()
}

async fn feed_of_everything(State(http): State<HttpState>) -> Response {
    atom(&http.app, &crate::feeds::Scope::All).await
}

async fn feed(
    State(http): State<HttpState>,
    axum::extract::Path((group, file)): axum::extract::Path<(String, String)>,
) -> Response {
    match crate::feeds::Scope::parse(&http.app, &group, &file) {
        Some(scope) => atom(&http.app, &scope).await,
        None => (StatusCode::NOT_FOUND, "no such feed").into_response(),
    }
}

/// A feed, cached by shared caches as public answers are.
async fn atom(state: &AppState, scope: &crate::feeds::Scope) -> Response {
    match crate::feeds::render(state, scope).await {
        Ok(xml) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/atom+xml; charset=utf-8".to_owned(),
                ),
                (
                    header::CACHE_CONTROL,
                    format!("public, max-age={PUBLIC_CACHE_MAX_AGE_SECS}"),
                ),
            ],
            xml,
        )
            .into_response(),
        Err(error) => {
            if let Error::Internal(cause) = &error {
                tracing::error!(error = ?cause, "a feed failed");
            }
            (StatusCode::SERVICE_UNAVAILABLE, "the feed is unavailable").into_response()
        }
    }
}

/// An event's files: `calendar.ics` for anyone who may see the event, `attendees.csv` for its
/// organiser and the secretariat (a bearer token, as for `POST /graphql`).
async fn event_file(
    State(http): State<HttpState>,
    headers: HeaderMap,
    axum::extract::Path((id, file)): axum::extract::Path<(String, String)>,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "no such event").into_response();
    let caller = match caller_from(&http.app, &headers).await {
        Ok(caller) => caller,
        Err(_) => return (StatusCode::UNAUTHORIZED, "invalid token").into_response(),
    };
    let Ok((crate::service::content::Kind::Event, key)) =
        crate::graphql::ids::decode_content("id", &id)
    else {
        return not_found();
    };
    let record = match crate::service::content::get(http.app.db.connection(), &caller, &key).await {
        Ok(Some(record)) => record,
        Ok(None) => return not_found(),
        Err(_) => return (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response(),
    };
    let crate::service::content::Details::Event(details) = &record.details else {
        return not_found();
    };
    let private = [(header::CACHE_CONTROL, "private, no-store")];
    match file.as_str() {
        "calendar.ics" => (
            [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
            private,
            crate::calendar::event_ics(&record, details),
        )
            .into_response(),
        "attendees.csv" => {
            match crate::service::events::attendees(&http.app, &caller, &record).await {
                Ok(Some(attendees)) => (
                    [
                        (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                        (
                            header::CONTENT_DISPOSITION,
                            format!("attachment; filename=\"attendees-{key}.csv\""),
                        ),
                    ],
                    private,
                    crate::service::events::attendees_csv(&attendees),
                )
                    .into_response(),
                Ok(None) if caller.user.is_none() => {
                    (StatusCode::UNAUTHORIZED, "sign in as the organiser").into_response()
                }
                Ok(None) => (
                    StatusCode::FORBIDDEN,
                    "only the organiser and the secretariat",
                )
                    .into_response(),
                Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response(),
            }
        }
        _ => not_found(),
    }
}

/// A user's private calendar feed: `/calendar/<secret>.ics`, the secret from
/// `createCalendarFeed`. Unknown or replaced secrets are 404.
async fn calendar_feed(
    State(http): State<HttpState>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Response {
    let Some(token) = file.strip_suffix(".ics").filter(|token| token.len() <= 128) else {
        return (StatusCode::NOT_FOUND, "no such calendar").into_response();
    };
    match crate::service::events::calendar_feed(&http.app, token).await {
        Ok(Some(events)) => {
            let with_details: Vec<_> = events
                .iter()
                .filter_map(|record| match &record.details {
                    crate::service::content::Details::Event(details) => Some((record, details)),
                    _ => None,
                })
                .collect();
            (
                [
                    (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                    (header::CACHE_CONTROL, "private, no-store"),
                ],
                crate::calendar::calendar(&with_details),
            )
                .into_response()
        }
        Ok(None) => (StatusCode::NOT_FOUND, "no such calendar").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response(),
    }
}

async fn metrics(State(http): State<HttpState>) -> Response {
    let text = http
        .app
        .metrics
        .render(http.app.db.query_count(), &http.app.search.feed_status());
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
