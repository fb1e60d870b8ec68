//! The websocket door, `/graphql/ws`: subscriptions over graphql-transport-ws (and the legacy
//! graphql-ws, which async-graphql also speaks), locked like `POST /graphql` is.
//!
//! | rule | where |
//! |---|---|
//! | only subscriptions run; queries and mutations get `BAD_USER_INPUT`, never executed | [`SubscriptionsOnly`] |
//! | depth, complexity and recursion limits | the schema itself, to which [`SubscriptionsOnly`] delegates |
//! | every error gets a public code and shows no internal detail | [`SubscriptionsOnly::masked`], the masking HTTP uses |
//! | the caller comes from `connection_init`; a bad token closes with 4403 | [`caller_from_init`] |
//! | a browser `Origin` must be in the CORS allow-list, else 403 | [`handler`] |
//! | no message above the request body limit; a larger one closes with 1009 | [`handler`], [`serve`] |
//! | at most [`MAX_WS_CONNECTIONS_PER_ADDRESS`] connections per client address, else 429 | [`ConnectionCounts`] |
//! | at most [`MAX_SUBSCRIPTIONS_PER_CONNECTION`] running subscriptions per connection, else `RATE_LIMITED` | [`SubscriptionsOnly`] |
//! | a subscriber more than `LIVE_BACKLOG` happenings behind is dropped with an error | `service::live` |

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use async_graphql::http::{WebSocket as GraphQLWebSocket, WebSocketProtocols, WsMessage};
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Data, ErrorExtensionValues, Executor, Request, Response, ServerError};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::{MethodRouter, any};
use axum::{Extension, Json};
use futures_util::stream::{self, BoxStream};
use futures_util::{SinkExt, StreamExt, future};
use serde_json::json;

use crate::auth::Caller;
use crate::config::ServeConfig;
use crate::error::{Code, Error};
use crate::graphql::{self, AppSchema};
use crate::http::RequestId;
use crate::limits::{MAX_SUBSCRIPTIONS_PER_CONNECTION, MAX_WS_CONNECTIONS_PER_ADDRESS};
use crate::service::users;
use crate::state::AppState;

/// What a query or mutation sent over the websocket is answered with.
pub const ONLY_SUBSCRIPTIONS: &str =
    "only subscriptions run over the websocket; send queries and mutations over HTTP POST /graphql";

/// The close code for a refused `connection_init` (graphql-transport-ws: 4403 Forbidden).
const CLOSE_FORBIDDEN: u16 = 4403;
/// RFC 6455: the message is too big to process.
const CLOSE_TOO_BIG: u16 = 1009;
/// RFC 6455: a protocol error (an unreadable message).
const CLOSE_PROTOCOL_ERROR: u16 = 1002;
/// RFC 6455: the server met an unexpected condition.
const CLOSE_INTERNAL: u16 = 1011;
/// RFC 6455 caps a close frame's reason at 123 bytes.
const CLOSE_REASON_MAX_BYTES: usize = 123;

/// The state of the websocket route: its own, since the HTTP routes' state is theirs.
#[derive(Clone)]
struct Door {
    app: AppState,
    schema: AppSchema,
    /// The CORS allow-list of `config.cors_origins`, parsed as the CORS layer parses it.
    allowed_origins: Arc<[HeaderValue]>,
    /// The request body limit: a websocket message carries no more than a POST.
    max_message_bytes: usize,
    connections: ConnectionCounts,
}

/// The `/graphql/ws` route, with its state; mount it with `Router::route`.
pub fn route<S>(app: AppState, schema: AppSchema, config: &ServeConfig) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    let allowed_origins: Vec<HeaderValue> = config
        .cors_origins
        .iter()
        .filter_map(|origin| origin.trim().parse().ok())
        .collect();
    // `any`, not `get`: a websocket over HTTP/2 is a CONNECT request.
    any(handler).with_state(Door {
        app,
        schema,
        allowed_origins: allowed_origins.into(),
        max_message_bytes: config.max_body_bytes,
        connections: ConnectionCounts::default(),
    })
}

/// Checks the upgrade request (origin, protocol, connection cap), then upgrades it.
async fn handler(
    State(door): State<Door>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    request_id: Option<Extension<RequestId>>,
    upgrade: WebSocketUpgrade,
) -> HttpResponse {
    // Browsers send `Origin` and let any page open a websocket anywhere; without this check a
    // hostile page could subscribe with a visitor's session. Other clients send no `Origin`.
    if let Some(origin) = headers.get(header::ORIGIN)
        && !door.allowed_origins.contains(origin)
    {
        return refused(
            StatusCode::FORBIDDEN,
            Code::Forbidden,
            "this origin may not open a websocket here",
        );
    }
    let Some(protocol) = chosen_protocol(&headers) else {
        return refused(
            StatusCode::BAD_REQUEST,
            Code::BadUserInput,
            "ask for the graphql-transport-ws websocket subprotocol",
        );
    };
    let client_address = client_address_of(&door.app, client, &headers);
    let Some(slot) = door.connections.claim(client_address) else {
        let message = format!(
            "too many websocket connections from this address: at most {MAX_WS_CONNECTIONS_PER_ADDRESS}"
        );
        return refused(StatusCode::TOO_MANY_REQUESTS, Code::RateLimited, &message);
    };
    let request_id: Arc<str> = request_id
        .map(|Extension(id)| id.0)
        .unwrap_or_default()
        .into();
    let connection = Connection {
        executor: SubscriptionsOnly {
            schema: door.schema.clone(),
            app: door.app.clone(),
            request_id: request_id.clone(),
            running: Arc::default(),
        },
        app: door.app.clone(),
        protocol,
        client: client_address,
        request_id: request_id.clone(),
        max_message_bytes: door.max_message_bytes,
        _slot: slot,
    };
    let span = tracing::info_span!(
        "websocket",
        request_id = %request_id,
        client = %client_address
    );
    upgrade
        .protocols([protocol.sec_websocket_protocol()])
        .max_message_size(door.max_message_bytes)
        .max_frame_size(door.max_message_bytes)
        // The slot moves into this closure: a failed upgrade drops it, and so frees it.
        .on_upgrade(move |socket| tracing::Instrument::instrument(serve(socket, connection), span))
}

/// The client as HTTP sees it: behind a trusted proxy, the address the proxy forwards, so that
/// a proxy's many clients are not counted (nor audited) as one.
fn client_address_of(app: &AppState, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    let forwarded_for: Vec<&[u8]> = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|value| value.as_bytes())
        .collect();
    app.trusted_proxies
        .client_address(peer.ip(), &forwarded_for)
}

/// The first subprotocol the client asks for that async-graphql speaks. Chosen here, once, so
/// that the protocol answered in the handshake is the one the connection then speaks.
fn chosen_protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?
        .split(',')
        .find_map(|protocol| WebSocketProtocols::from_str(protocol.trim()).ok())
}

/// A GraphQL-shaped refusal of an upgrade request, as HTTP refuses requests.
fn refused(status: StatusCode, code: Code, message: &str) -> HttpResponse {
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] });
    (status, Json(body)).into_response()
}

// ---- the connection cap --------------------------------------------------------------------

/// Open websocket connections per client address, shared by every connection of the route.
#[derive(Clone, Default)]
struct ConnectionCounts(Arc<Mutex<HashMap<IpAddr, usize>>>);

impl ConnectionCounts {
    /// A slot for one more connection from `address`, or `None` at the cap.
    fn claim(&self, address: IpAddr) -> Option<ConnectionSlot> {
        // A panic elsewhere while holding the lock leaves the counts themselves intact.
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(address).or_default();
        if *count >= MAX_WS_CONNECTIONS_PER_ADDRESS {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            counts: self.clone(),
            address,
        })
    }
}

/// One counted connection; dropping it (however the connection ends, a panic included)
/// frees the slot.
struct ConnectionSlot {
    counts: ConnectionCounts,
    address: IpAddr,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Entry::Occupied(mut entry) = counts.entry(self.address) {
            *entry.get_mut() -= 1;
            if *entry.get() == 0 {
                entry.remove();
            }
        }
    }
}

// ---- one connection ------------------------------------------------------------------------

struct Connection {
    executor: SubscriptionsOnly,
    app: AppState,
    protocol: WebSocketProtocols,
    client: IpAddr,
    request_id: Arc<str>,
    max_message_bytes: usize,
    _slot: ConnectionSlot,
}

/// A close code and its public reason.
type Close = (u16, String);

/// Runs the protocol over one upgraded connection until either side ends it.
///
/// This is async-graphql-axum's `GraphQLWebSocket::serve` with the close frames under our
/// control: it answers a refused `connection_init` with 1002 and the error's text, and ends an
/// oversized message with no close frame at all; the contract says 4403 and 1009.
async fn serve(socket: WebSocket, connection: Connection) {
    let Connection {
        executor,
        app,
        protocol,
        client,
        request_id,
        max_message_bytes,
        // Held to the end of the connection; dropping it frees the slot.
        _slot,
    } = connection;
    tracing::info!("websocket opened");
    let (mut sink, incoming) = socket.split();
    let read_failure: Arc<OnceLock<Close>> = Arc::default();
    let init_refusal: Arc<OnceLock<Close>> = Arc::default();
    let messages = {
        let read_failure = read_failure.clone();
        incoming
            .take_while(move |message| {
                if let Err(error) = message {
                    let _ = read_failure.set(close_for_read_error(error, max_message_bytes));
                }
                future::ready(message.is_ok())
            })
            .filter_map(|message| {
                future::ready(match message {
                    Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                        Some(message.into_data())
                    }
                    _ => None,
                })
            })
    };
    let on_connection_init = {
        let init_refusal = init_refusal.clone();
        move |payload: serde_json::Value| async move {
            connection_data(&app, &payload, client, &request_id)
                .await
                .map_err(|close| {
                    let _ = init_refusal.set(close);
                    async_graphql::Error::new("forbidden")
                })
        }
    };
    let replies =
        GraphQLWebSocket::new(executor, messages, protocol).on_connection_init(on_connection_init);
    futures_util::pin_mut!(replies);
    let mut close_sent = false;
    while let Some(reply) = replies.next().await {
        let message = match reply {
            WsMessage::Text(text) => Message::Text(text.into()),
            WsMessage::Close(code, reason) => {
                close_sent = true;
                close_message(public_close(code, reason, init_refusal.get()))
            }
        };
        if sink.send(message).await.is_err() {
            break;
        }
    }
    // The legacy protocol refuses `connection_init` with a message but no close frame, and an
    // unreadable (oversized) message just ends the input: close with the reason here.
    let final_close = read_failure.get().or(init_refusal.get());
    if !close_sent && let Some(close) = final_close {
        let _ = sink.send(close_message(close.clone())).await;
    }
    tracing::info!("websocket closed");
}

fn close_message((code, reason): Close) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// The close frame the client sees for one async-graphql chose: a refused `connection_init`
/// gets its own code, and an unparsable message a reason of ours rather than serde's text.
fn public_close(code: u16, reason: String, init_refusal: Option<&Close>) -> Close {
    if code == CLOSE_PROTOCOL_ERROR {
        if let Some(refusal) = init_refusal {
            return refusal.clone();
        }
        return (
            CLOSE_PROTOCOL_ERROR,
            "the message is not one of the GraphQL over websocket protocol's".to_owned(),
        );
    }
    if reason.len() > CLOSE_REASON_MAX_BYTES {
        return (code, String::new());
    }
    (code, reason)
}

fn close_for_read_error(error: &axum::Error, max_message_bytes: usize) -> Close {
    let message = error.to_string();
    tracing::info!(error = %message, "websocket read failed");
    // The cause is a `tungstenite::Error`, a type this crate does not depend on; its text is
    // the only way to tell a size limit from a broken connection (a test pins it).
    if message.contains("Message too long") {
        return (
            CLOSE_TOO_BIG,
            format!("a message may be at most {max_message_bytes} bytes"),
        );
    }
    (
        CLOSE_PROTOCOL_ERROR,
        "the message could not be read".to_owned(),
    )
}

// ---- the caller ----------------------------------------------------------------------------

/// The connection's data, as HTTP gives each request: the caller, with the client's address.
/// (The DataLoaders are per operation, added by [`SubscriptionsOnly`].)
async fn connection_data(
    app: &AppState,
    payload: &serde_json::Value,
    client: IpAddr,
    request_id: &str,
) -> Result<Data, Close> {
    let caller = match caller_from_init(app, payload).await {
        Ok(caller) => caller,
        Err(error) if error.code() == Code::Unauthenticated => {
            return Err((CLOSE_FORBIDDEN, "Forbidden".to_owned()));
        }
        Err(error) => {
            tracing::error!(error = ?error, "failed to identify the websocket caller");
            return Err((
                CLOSE_INTERNAL,
                format!("internal error (request {request_id})"),
            ));
        }
    };
    let mut data = Data::default();
    data.insert(Caller {
        client_address: Some(client.to_string()),
        ..caller
    });
    Ok(data)
}

/// The caller a `connection_init` payload names: `{ "Authorization": "Bearer <token>" }`
/// (also `authorization`), or `{ "token": "<token>" }`; anonymous without any of them.
async fn caller_from_init(app: &AppState, payload: &serde_json::Value) -> Result<Caller, Error> {
    let authorization = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"));
    let token = match (authorization, payload.get("token")) {
        (Some(authorization), _) => authorization
            .as_str()
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .ok_or(Error::Unauthenticated)?,
        (None, Some(token)) => token.as_str().ok_or(Error::Unauthenticated)?,
        (None, None) => return Ok(Caller::anonymous()),
    };
    users::caller_for_token(app, token.trim()).await
}

// ---- the executor --------------------------------------------------------------------------

/// The schema, for subscriptions only, with HTTP's error masking. Queries and mutations have
/// their own door, `POST /graphql`, with its limits and its caller per request; here they are
/// refused before they run.
#[derive(Clone)]
struct SubscriptionsOnly {
    schema: AppSchema,
    app: AppState,
    request_id: Arc<str>,
    /// The connection's running subscriptions: each is woken by every publication, so their
    /// number per connection is capped ([`MAX_SUBSCRIPTIONS_PER_CONNECTION`]).
    running: Arc<std::sync::atomic::AtomicUsize>,
}

/// Counts a subscription as running until its stream is dropped (completed, stopped by the
/// client, or the connection closed).
struct Running(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl SubscriptionsOnly {
    /// Gives every error a public code and hides internal detail, as HTTP does.
    fn masked(&self, mut response: Response) -> Response {
        for error in &mut response.errors {
            let code = graphql::classify(error, &self.request_id);
            self.app.metrics.record_error(code);
        }
        response
    }
}

impl Executor for SubscriptionsOnly {
    async fn execute(&self, request: Request) -> Response {
        self.execute_stream(request, None)
            .next()
            .await
            .unwrap_or_default()
    }

    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        if let Err(refusal) = require_subscription(&mut request) {
            let answer = self.masked(Response::from_errors(vec![refusal]));
            return stream::once(future::ready(answer)).boxed();
        }
        use std::sync::atomic::Ordering;
        if self.running.fetch_add(1, Ordering::SeqCst) >= MAX_SUBSCRIPTIONS_PER_CONNECTION {
            self.running.fetch_sub(1, Ordering::SeqCst);
            let refusal = ServerError::new(
                format!(
                    "at most {MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection; complete one first"
                ),
                None,
            );
            let mut refusal = refusal;
            refusal
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", Code::RateLimited.as_str());
            let answer = self.masked(Response::from_errors(vec![refusal]));
            return stream::once(future::ready(answer)).boxed();
        }
        let running = Running(self.running.clone());
        // Each operation gets its own loaders, as over HTTP: their caches must not outlive it.
        let request = request.data(graphql::loaders::per_request(
            self.app.db.connection().clone(),
        ));
        let masking = self.clone();
        Executor::execute_stream(&self.schema, request, session_data)
            .map(move |response| {
                let _counted = &running;
                masking.masked(response)
            })
            .boxed()
    }
}

/// Refuses a request whose operation is not a subscription. The operation is chosen as the
/// schema chooses it (by `operationName`, or the only one), so what is checked is what runs.
fn require_subscription(request: &mut Request) -> Result<(), ServerError> {
    let operation_name = request.operation_name.clone();
    // Parsed once: the schema executes this parsed document, not the text again.
    let document = request
        .parsed_query()
        .map_err(|error| bad_user_input("the document is not valid GraphQL", error.locations))?;
    let operation = match (&document.operations, operation_name.as_deref()) {
        (DocumentOperations::Single(operation), None) => Some(operation),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()
        }
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name),
        _ => None,
    };
    let Some(operation) = operation else {
        return Err(bad_user_input(
            "name one operation of the document in operationName",
            Vec::new(),
        ));
    };
    if operation.node.ty != OperationType::Subscription {
        return Err(bad_user_input(ONLY_SUBSCRIPTIONS, vec![operation.pos]));
    }
    Ok(())
}

fn bad_user_input(message: &str, locations: Vec<async_graphql::Pos>) -> ServerError {
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", Code::BadUserInput.as_str());
    ServerError {
        extensions: Some(extensions),
        locations,
        ..ServerError::new(message, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operation_type_check(query: &str, operation_name: Option<&str>) -> Result<(), String> {
        let mut request = Request::new(query);
        if let Some(name) = operation_name {
            request = request.operation_name(name);
        }
        require_subscription(&mut request).map_err(|error| error.message)
    }

    #[test]
    fn a_subscription_passes_and_a_query_or_mutation_does_not() {
        assert_eq!(operation_type_check("subscription { ticks }", None), Ok(()));
        assert_eq!(
            operation_type_check("{ me { id } }", None),
            Err(ONLY_SUBSCRIPTIONS.to_owned())
        );
        assert_eq!(
            operation_type_check("mutation { logout(refreshToken: \"x\") }", None),
            Err(ONLY_SUBSCRIPTIONS.to_owned())
        );
    }

    #[test]
    fn the_operation_checked_is_the_one_named() {
        let document = "subscription S { ticks } query Q { me { id } }";
        assert_eq!(operation_type_check(document, Some("S")), Ok(()));
        assert_eq!(
            operation_type_check(document, Some("Q")),
            Err(ONLY_SUBSCRIPTIONS.to_owned())
        );
        assert!(operation_type_check(document, None).is_err());
        assert!(operation_type_check(document, Some("Missing")).is_err());
        assert!(operation_type_check("subscription { ticks }", Some("S")).is_err());
    }

    #[test]
    fn an_unparsable_document_is_bad_user_input() {
        let mut request = Request::new("subscription {");
        let error = require_subscription(&mut request).expect_err("refused");
        let code = error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code").cloned());
        assert_eq!(code, Some(async_graphql::Value::from("BAD_USER_INPUT")));
    }

    #[test]
    fn connections_beyond_the_cap_are_refused_until_one_closes() {
        let counts = ConnectionCounts::default();
        let address = IpAddr::from([10, 0, 0, 1]);
        let mut slots: Vec<ConnectionSlot> = (0..MAX_WS_CONNECTIONS_PER_ADDRESS)
            .map(|_| counts.claim(address).expect("a slot under the cap"))
            .collect();
        assert!(counts.claim(address).is_none());
        assert!(counts.claim(IpAddr::from([10, 0, 0, 2])).is_some());
        slots.pop();
        assert!(counts.claim(address).is_some());
        drop(slots);
        assert!(counts.0.lock().expect("the lock").is_empty());
    }
}
