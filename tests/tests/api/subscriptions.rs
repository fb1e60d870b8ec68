//! Subscriptions through a real graphql-transport-ws client over a websocket: publications as
//! they happen, filtered and never beyond what the subscriber may see at that moment, and the
//! inbox as it fills.
//!
//! The protocol does not acknowledge a `subscribe`, so a test first publishes "sentinel"
//! items (or causes notifications) until one arrives: from then on the subscription is known
//! to listen, and every later publication must be either delivered or rightly withheld.

use std::time::Duration;

use api::auth::Role;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::fixtures::{opportunity_input, published_opportunity};
use crate::harness::{TestApp, TestUser, UserSpec, spawn_app};
use crate::websocket::{Socket, initialised, next_json, send};

const PUBLISHED: &str = "subscription($filter: SearchFilter) { contentPublished(filter: $filter) { id title visibility } }";
const NOTIFICATIONS: &str = "subscription { notificationAdded { id kind message read } }";
const SENTINEL: &str = "Sentinel";
/// How long one attempt to see a sentinel waits before the next sentinel is sent.
const ATTEMPT: Duration = Duration::from_millis(500);
const ATTEMPTS: usize = 40;

/// The next message within `wait`, or `None`.
async fn next_within(socket: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(wait, socket.next()).await {
            Err(_) => return None,
            Ok(Some(Ok(Message::Text(text)))) => {
                return Some(serde_json::from_str(text.as_str()).expect("a JSON message"));
            }
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(other) => panic!("expected a message, got {other:?}"),
        }
    }
}

async fn subscribe(socket: &mut Socket, id: &str, query: &str, variables: Value) {
    send(
        socket,
        json!({ "type": "subscribe", "id": id, "payload": { "query": query, "variables": variables } }),
    )
    .await;
}

/// Publishes PUBLIC sentinels in `country` until the subscription delivers one.
async fn until_listening(
    app: &TestApp,
    socket: &mut Socket,
    author: &TestUser,
    secretariat: &TestUser,
    country: &str,
) {
    until_listening_for(app, socket, (author, secretariat), country, "").await;
}

/// `until_listening` with sentinels whose titles say `words` too.
async fn until_listening_for(
    app: &TestApp,
    socket: &mut Socket,
    (author, secretariat): (&TestUser, &TestUser),
    country: &str,
    words: &str,
) {
    for attempt in 0..ATTEMPTS {
        let title = format!("{SENTINEL} {attempt} in {country} {words}");
        published_opportunity(
            app,
            author,
            secretariat,
            opportunity_input(&title, &[country], &["0505"], "PUBLIC"),
        )
        .await;
        if let Some(message) = next_within(socket, ATTEMPT).await {
            assert_eq!(message["type"], "next", "{message:#}");
            return;
        }
    }
    panic!("the subscription never delivered a sentinel");
}

/// The title of the next publication delivered that is not a late sentinel.
async fn next_title(socket: &mut Socket) -> String {
    next_title_of(socket, "contentPublished").await
}

/// The title of the next item `field` delivers that is not a late sentinel.
async fn next_title_of(socket: &mut Socket, field: &str) -> String {
    loop {
        let message = next_json(socket).await;
        assert_eq!(message["type"], "next", "{message:#}");
        assert!(message["payload"]["errors"].is_null(), "{message:#}");
        let title = message["payload"]["data"][field]["title"]
            .as_str()
            .expect("a title")
            .to_owned();
        if !title.starts_with(SENTINEL) {
            return title;
        }
    }
}

async fn publish(
    app: &TestApp,
    author: &TestUser,
    secretariat: &TestUser,
    title: &str,
    country: &str,
    visibility: &str,
) {
    published_opportunity(
        app,
        author,
        secretariat,
        opportunity_input(title, &[country], &["0505"], visibility),
    )
    .await;
}

fn bearer(user: &TestUser) -> Value {
    json!({ "Authorization": format!("Bearer {}", user.token) })
}

#[tokio::test]
async fn an_anonymous_subscriber_never_receives_a_member_only_publication() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let mut socket = initialised(&app, json!({})).await;
    subscribe(&mut socket, "1", PUBLISHED, json!({})).await;
    until_listening(&app, &mut socket, &author, &secretariat, "VN").await;

    publish(
        &app,
        &author,
        &secretariat,
        "Members-only fintech stake",
        "VN",
        "MEMBERS",
    )
    .await;
    publish(
        &app,
        &author,
        &secretariat,
        "Public port tender",
        "VN",
        "PUBLIC",
    )
    .await;
    assert_eq!(next_title(&mut socket).await, "Public port tender");
}

#[tokio::test]
async fn a_filter_narrows_what_a_member_receives() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let member = app.member().await;
    let mut socket = initialised(&app, bearer(&member)).await;
    subscribe(
        &mut socket,
        "1",
        PUBLISHED,
        json!({ "filter": { "countries": ["TH"] } }),
    )
    .await;
    until_listening(&app, &mut socket, &author, &secretariat, "TH").await;

    publish(
        &app,
        &author,
        &secretariat,
        "Hanoi data centre",
        "VN",
        "PUBLIC",
    )
    .await;
    publish(
        &app,
        &author,
        &secretariat,
        "Bangkok members' deal",
        "TH",
        "MEMBERS",
    )
    .await;
    assert_eq!(next_title(&mut socket).await, "Bangkok members' deal");
}

#[tokio::test]
async fn an_expelled_members_subscription_stops_receiving_member_only_items() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let member = app
        .user(
            Role::Member,
            UserSpec {
                organisation: Some("Soon Expelled Trading".into()),
                ..UserSpec::default()
            },
        )
        .await;
    let mut socket = initialised(&app, bearer(&member)).await;
    subscribe(&mut socket, "1", PUBLISHED, json!({})).await;
    until_listening(&app, &mut socket, &author, &secretariat, "VN").await;

    publish(
        &app,
        &author,
        &secretariat,
        "Members' stake before",
        "VN",
        "MEMBERS",
    )
    .await;
    assert_eq!(next_title(&mut socket).await, "Members' stake before");

    crate::fixtures::expel_organisation_of(&app, &secretariat, &member).await;

    publish(
        &app,
        &author,
        &secretariat,
        "Members' stake after",
        "VN",
        "MEMBERS",
    )
    .await;
    publish(
        &app,
        &author,
        &secretariat,
        "Public tender after",
        "VN",
        "PUBLIC",
    )
    .await;
    assert_eq!(next_title(&mut socket).await, "Public tender after");
}

#[tokio::test]
async fn the_inbox_arrives_live_and_only_to_its_owner() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let member = app.member().await;
    let mut authors_socket = initialised(&app, bearer(&author)).await;
    subscribe(&mut authors_socket, "n", NOTIFICATIONS, json!({})).await;
    let mut members_socket = initialised(&app, bearer(&member)).await;
    subscribe(&mut members_socket, "n", NOTIFICATIONS, json!({})).await;

    // Interests in fresh opportunities until the author's subscription delivers one.
    let mut delivered = None;
    for attempt in 0..ATTEMPTS {
        let opportunity = published_opportunity(
            &app,
            &author,
            &secretariat,
            opportunity_input(
                &format!("Live inbox {attempt}"),
                &["SG"],
                &["0505"],
                "PUBLIC",
            ),
        )
        .await;
        app.ok(
            Some(&member.token),
            "mutation($id: ID!) { expressInterest(opportunityId: $id, message: \"Let us talk\") { id } }",
            json!({ "id": opportunity }),
        )
        .await;
        if let Some(message) = next_within(&mut authors_socket, ATTEMPT).await {
            delivered = Some(message);
            break;
        }
    }
    let message = delivered.expect("the author's subscription delivered a notification");
    assert_eq!(message["type"], "next", "{message:#}");
    let notification = &message["payload"]["data"]["notificationAdded"];
    assert_eq!(notification["kind"], "INTEREST_RECEIVED", "{message:#}");
    assert_eq!(notification["read"], false);
    assert!(
        notification["message"]
            .as_str()
            .is_some_and(|text| text.contains("Live inbox")),
        "{notification:#}"
    );
    assert!(
        next_within(&mut members_socket, ATTEMPT).await.is_none(),
        "the requester's inbox got nothing"
    );

    let mut anonymous = initialised(&app, json!({})).await;
    subscribe(&mut anonymous, "n", NOTIFICATIONS, json!({})).await;
    let refused = next_json(&mut anonymous).await;
    assert_eq!(refused["type"], "next", "{refused:#}");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn saved_search_matches_arrive_live_and_only_what_the_owner_may_see() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let outsider = app.user(Role::Investor, UserSpec::default()).await;
    app.ok(
        Some(&outsider.token),
        "mutation { saveSearch(name: \"Payments\", query: \"payments\") { id } }",
        json!({}),
    )
    .await;
    let mut socket = initialised(&app, bearer(&outsider)).await;
    subscribe(
        &mut socket,
        "s",
        "subscription { savedSearchMatches { id title } }",
        json!({}),
    )
    .await;
    until_listening_for(&app, &mut socket, (&author, &secretariat), "VN", "payments").await;

    publish(
        &app,
        &author,
        &secretariat,
        "Members payments stake",
        "VN",
        "MEMBERS",
    )
    .await;
    publish(
        &app,
        &author,
        &secretariat,
        "Harbour cranes tender",
        "VN",
        "PUBLIC",
    )
    .await;
    publish(
        &app,
        &author,
        &secretariat,
        "Public payments kiosk",
        "VN",
        "PUBLIC",
    )
    .await;
    assert_eq!(
        next_title_of(&mut socket, "savedSearchMatches").await,
        "Public payments kiosk"
    );
}

#[tokio::test]
async fn a_sign_out_ends_member_only_deliveries_at_once() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let member = app.member().await;
    // A sign-in of its own, whose refresh token the sign-out names.
    let tokens = app
        .ok(
            None,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }",
            json!({ "e": member.email, "p": member.password }),
        )
        .await["login"]
        .clone();
    let access = tokens["accessToken"].as_str().expect("a token");
    let mut socket =
        initialised(&app, json!({ "Authorization": format!("Bearer {access}") })).await;
    subscribe(&mut socket, "1", PUBLISHED, json!({})).await;
    until_listening(&app, &mut socket, &author, &secretariat, "VN").await;
    publish(
        &app,
        &author,
        &secretariat,
        "Members' deal while signed in",
        "VN",
        "MEMBERS",
    )
    .await;
    assert_eq!(
        next_title(&mut socket).await,
        "Members' deal while signed in"
    );

    app.ok(
        Some(access),
        "mutation($r: String!) { logout(refreshToken: $r) }",
        json!({ "r": tokens["refreshToken"] }),
    )
    .await;
    publish(
        &app,
        &author,
        &secretariat,
        "Members' deal after sign-out",
        "VN",
        "MEMBERS",
    )
    .await;
    publish(
        &app,
        &author,
        &secretariat,
        "Public tender after sign-out",
        "VN",
        "PUBLIC",
    )
    .await;
    assert_eq!(
        next_title(&mut socket).await,
        "Public tender after sign-out"
    );
}

#[tokio::test]
async fn a_connection_runs_at_most_ten_subscriptions_at_once() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let mut socket = initialised(&app, json!({})).await;
    for id in 0..10 {
        subscribe(&mut socket, &id.to_string(), PUBLISHED, json!({})).await;
    }
    subscribe(&mut socket, "extra", PUBLISHED, json!({})).await;
    let refused = next_json(&mut socket).await;
    assert_eq!(refused["id"], "extra", "{refused:#}");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"],
        "RATE_LIMITED"
    );
    assert_eq!(next_json(&mut socket).await["type"], "complete");

    // Stopping one frees its place.
    send(&mut socket, json!({ "type": "complete", "id": "0" })).await;
    subscribe(&mut socket, "again", PUBLISHED, json!({})).await;
    // The new subscription runs: it is among those that deliver the next publication.
    for attempt in 0..ATTEMPTS {
        publish(
            &app,
            &author,
            &secretariat,
            &format!("{SENTINEL} {attempt}"),
            "VN",
            "PUBLIC",
        )
        .await;
        let mut delivered_to = Vec::new();
        while let Some(message) = next_within(&mut socket, ATTEMPT).await {
            if message["type"] == "complete" && message["id"] == "0" {
                continue; // the server confirms the stop
            }
            assert_eq!(message["type"], "next", "{message:#}");
            assert!(message["payload"]["errors"].is_null(), "{message:#}");
            delivered_to.push(message["id"].as_str().unwrap_or_default().to_owned());
            if delivered_to.len() == 10 {
                break;
            }
        }
        if delivered_to.iter().any(|id| id == "again") {
            assert!(!delivered_to.iter().any(|id| id == "0"), "{delivered_to:?}");
            return;
        }
    }
    panic!("the subscription that took the freed place never delivered");
}
