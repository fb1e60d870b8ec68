//! The websocket door, `/graphql/ws`, through a real websocket client: subscriptions only, the
//! caller from `connection_init`, the CORS allow-list, the message size limit and the cap on
//! connections per client address.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::http::header::{ORIGIN, SEC_WEBSOCKET_PROTOCOL};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::harness::{TestApp, spawn_app, spawn_app_with};

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for the server's next message before it fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(10);
const TRANSPORT_WS: &str = "graphql-transport-ws";
const LEGACY_WS: &str = "graphql-ws";
const REGISTER: &str = "mutation($email: String!, $password: String!) { register(email: $email, password: $password) { accessToken } }";

async fn connect_with(
    app: &TestApp,
    protocol: &str,
    origin: Option<&str>,
) -> Result<Socket, tungstenite::Error> {
    let url = app.url("/graphql/ws").replacen("http://", "ws://", 1);
    let mut request = url.into_client_request().expect("a websocket request");
    let headers = request.headers_mut();
    headers.insert(
        SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_str(protocol).expect("a header value"),
    );
    if let Some(origin) = origin {
        headers.insert(
            ORIGIN,
            HeaderValue::from_str(origin).expect("a header value"),
        );
    }
    connect_async(request)
        .await
        .map(|(socket, _response)| socket)
}

async fn connect(app: &TestApp) -> Socket {
    connect_with(app, TRANSPORT_WS, None)
        .await
        .expect("the upgrade is accepted")
}

/// The HTTP status an upgrade request was refused with.
fn refusal_status(attempt: Result<Socket, tungstenite::Error>) -> u16 {
    match attempt {
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("expected an HTTP refusal, but the upgrade was accepted"),
    }
}

pub(crate) async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("the message is sent");
}

/// The next JSON message from the server.
pub(crate) async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let next = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("the server answers in time");
        match next {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(text.as_str()).expect("a JSON message");
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

/// How the server ends the connection: the code of its close frame, or `None` when the
/// connection drops without one. Fails when the server keeps it open.
async fn close_code(socket: &mut Socket) -> Option<u16> {
    loop {
        let next = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("the server closes the connection in time");
        match next {
            Some(Ok(Message::Close(frame))) => return frame.map(|frame| u16::from(frame.code)),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(other)) => panic!("expected the connection to close, got {other:?}"),
            Some(Err(_)) | None => return None,
        }
    }
}

/// A connection past `connection_init` with `payload`.
pub(crate) async fn initialised(app: &TestApp, payload: Value) -> Socket {
    let mut socket = connect(app).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    let ack = next_json(&mut socket).await;
    assert_eq!(ack["type"], "connection_ack", "{ack:#}");
    socket
}

/// Subscribes with `query` and returns the first error of the answer, after checking that
/// the operation then completes.
async fn first_error_of(socket: &mut Socket, id: &str, payload: Value) -> Value {
    send(
        socket,
        json!({ "type": "subscribe", "id": id, "payload": payload }),
    )
    .await;
    let answer = next_json(socket).await;
    assert_eq!(answer["type"], "next", "{answer:#}");
    assert_eq!(answer["id"], id);
    let complete = next_json(socket).await;
    assert_eq!(complete["type"], "complete", "{complete:#}");
    answer["payload"]["errors"][0].clone()
}

fn assert_public(error: &Value) {
    let message = error["message"].as_str().expect("an error message");
    assert!(
        error["extensions"]["code"].is_string(),
        "every error has a code: {error:#}"
    );
    assert!(
        !message.contains("::"),
        "no Rust path reaches the client: {message}"
    );
}

#[tokio::test]
async fn queries_and_mutations_over_the_websocket_are_refused_and_never_run() {
    let app = spawn_app().await;
    let member = app.member().await;
    let mut socket = initialised(
        &app,
        json!({ "Authorization": format!("Bearer {}", member.token) }),
    )
    .await;
    let email = format!("ws-{}@test.example", uuid::Uuid::new_v4().simple());
    let password = "a long enough password";

    let refused_register = first_error_of(
        &mut socket,
        "1",
        json!({ "query": REGISTER, "variables": { "email": email, "password": password } }),
    )
    .await;
    let refused_query = first_error_of(&mut socket, "2", json!({ "query": "{ me { id } }" })).await;
    let smuggled = first_error_of(
        &mut socket,
        "3",
        json!({ "query": "subscription S { ticks } query Q { me { id } }", "operationName": "Q" }),
    )
    .await;
    for error in [&refused_register, &refused_query, &smuggled] {
        assert_public(error);
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error:#}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains("POST /graphql"), "{message}");
    }

    // Had the mutation run, the email would be taken now.
    let registered = app
        .ok(
            None,
            REGISTER,
            json!({ "email": email, "password": password }),
        )
        .await;
    assert!(registered["register"]["accessToken"].is_string());
}

#[tokio::test]
async fn a_subscription_reaches_the_schema_and_its_errors_are_masked() {
    let app = spawn_app().await;
    let mut socket = initialised(&app, json!({})).await;

    // A field the schema does not have: the schema itself answers, not the door.
    let from_schema = first_error_of(
        &mut socket,
        "1",
        json!({ "query": "subscription { ticks }" }),
    )
    .await;
    assert_public(&from_schema);
    let message = from_schema["message"].as_str().unwrap_or_default();
    assert!(!message.contains("POST /graphql"), "{message}");

    let unparsable = first_error_of(&mut socket, "2", json!({ "query": "subscription {" })).await;
    assert_public(&unparsable);
    assert_eq!(unparsable["extensions"]["code"], "BAD_USER_INPUT");

    let ambiguous = first_error_of(
        &mut socket,
        "3",
        json!({ "query": "subscription A { ticks } subscription B { ticks }" }),
    )
    .await;
    assert_public(&ambiguous);
    assert_eq!(ambiguous["extensions"]["code"], "BAD_USER_INPUT");
}

fn forged_expired_token(app: &TestApp, user_id: &str) -> String {
    let an_hour_ago = chrono::Utc::now().timestamp() - 3600;
    let claims = json!({ "sub": user_id, "role": "MEMBER", "iss": "infoharbor", "aud": "infoharbor-api", "exp": an_hour_ago, "nbf": an_hour_ago - 600, "iat": an_hour_ago - 600, "jti": "x" });
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(app.jwt_secret.as_bytes()),
    )
    .expect("a token")
}

#[tokio::test]
async fn a_bad_token_in_connection_init_closes_the_connection_with_4403() {
    let app = spawn_app().await;
    let member = app.member().await;
    let expired = forged_expired_token(&app, &member.id);
    let refused_payloads = [
        json!({ "Authorization": "Bearer not-a-token" }),
        json!({ "authorization": format!("Bearer {expired}") }),
        json!({ "token": "not-a-token" }),
        json!({ "Authorization": format!("Basic {}", member.token) }),
        json!({ "token": 42 }),
    ];
    for payload in refused_payloads {
        let mut socket = connect(&app).await;
        send(
            &mut socket,
            json!({ "type": "connection_init", "payload": payload }),
        )
        .await;
        assert_eq!(close_code(&mut socket).await, Some(4403), "{payload}");
    }

    // A good token under each accepted key, and no token at all, are acknowledged.
    initialised(
        &app,
        json!({ "Authorization": format!("Bearer {}", member.token) }),
    )
    .await;
    initialised(
        &app,
        json!({ "authorization": format!("Bearer {}", member.token) }),
    )
    .await;
    initialised(&app, json!({ "token": member.token })).await;
    initialised(&app, Value::Null).await;
}

#[tokio::test]
async fn the_legacy_graphql_ws_protocol_is_locked_the_same_way() {
    let app = spawn_app().await;
    let mut refused = connect_with(&app, LEGACY_WS, None)
        .await
        .expect("the upgrade is accepted");
    send(
        &mut refused,
        json!({ "type": "connection_init", "payload": { "token": "not-a-token" } }),
    )
    .await;
    let error = next_json(&mut refused).await;
    assert_eq!(error["type"], "connection_error", "{error:#}");
    assert_eq!(close_code(&mut refused).await, Some(4403));

    let mut socket = connect_with(&app, LEGACY_WS, None)
        .await
        .expect("the upgrade is accepted");
    send(&mut socket, json!({ "type": "connection_init" })).await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    send(
        &mut socket,
        json!({ "type": "start", "id": "1", "payload": { "query": "{ me { id } }" } }),
    )
    .await;
    let answer = next_json(&mut socket).await;
    assert_eq!(answer["type"], "data", "{answer:#}");
    let error = &answer["payload"]["errors"][0];
    assert_public(error);
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_disallowed_origin_gets_403_and_an_allowed_one_upgrades() {
    let portal = "https://portal.example";
    let app = spawn_app_with(|config| config.cors_origins = vec![portal.to_owned()]).await;
    let hostile = connect_with(&app, TRANSPORT_WS, Some("https://hostile.example")).await;
    assert_eq!(refusal_status(hostile), 403);
    let opaque = connect_with(&app, TRANSPORT_WS, Some("null")).await;
    assert_eq!(refusal_status(opaque), 403);

    let mut allowed = connect_with(&app, TRANSPORT_WS, Some(portal))
        .await
        .expect("the allowed origin upgrades");
    send(&mut allowed, json!({ "type": "connection_init" })).await;
    assert_eq!(next_json(&mut allowed).await["type"], "connection_ack");
    // Non-browser clients send no Origin.
    initialised(&app, json!({})).await;

    let without_origins = spawn_app().await;
    let browser = connect_with(&without_origins, TRANSPORT_WS, Some(portal)).await;
    assert_eq!(
        refusal_status(browser),
        403,
        "with no allowed origins, no browser page may connect"
    );
}

#[tokio::test]
async fn a_message_bigger_than_the_body_limit_closes_the_connection() {
    let body_limit = 16 * 1024;
    let app = spawn_app_with(|config| config.max_body_bytes = body_limit).await;
    let mut socket = initialised(&app, json!({})).await;
    let padded = |bytes: usize| format!("subscription {{ ticks }} #{}", "x".repeat(bytes));

    let within = first_error_of(&mut socket, "1", json!({ "query": padded(body_limit / 2) })).await;
    assert_public(&within);

    send(
        &mut socket,
        json!({ "type": "subscribe", "id": "2", "payload": { "query": padded(body_limit * 2) } }),
    )
    .await;
    // The server closes with 1009; should the close frame be overtaken by the TCP reset that
    // closing a socket with unread input sends, the connection still ends.
    if let Some(code) = close_code(&mut socket).await {
        assert_eq!(code, 1009, "message too big");
    }
}

#[tokio::test]
async fn the_twenty_first_connection_from_one_address_is_refused_until_one_closes() {
    let app = spawn_app().await;
    let cap = api::limits::MAX_WS_CONNECTIONS_PER_ADDRESS;
    let mut open = Vec::with_capacity(cap);
    for _ in 0..cap {
        open.push(connect(&app).await);
    }
    let over_cap = connect_with(&app, TRANSPORT_WS, None).await;
    assert_eq!(refusal_status(over_cap), 429);

    let mut closing = open.pop().expect("an open connection");
    let normal = CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    };
    closing
        .close(Some(normal))
        .await
        .expect("the close is sent");
    assert_eq!(
        close_code(&mut closing).await,
        Some(1000),
        "the server completes the close handshake"
    );
    // The server frees the slot when its side of the connection has ended, just after the
    // handshake: a bounded retry, each attempt a real upgrade.
    let mut attempts = 0;
    let reopened = loop {
        attempts += 1;
        match connect_with(&app, TRANSPORT_WS, None).await {
            Ok(socket) => break socket,
            Err(tungstenite::Error::Http(response))
                if response.status() == 429 && attempts < 50 =>
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(other) => panic!("the freed slot was not given back: {other}"),
        }
    };
    open.push(reopened);
    assert_eq!(
        refusal_status(connect_with(&app, TRANSPORT_WS, None).await),
        429,
        "the cap holds again with twenty open"
    );
}
