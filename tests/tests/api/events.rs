//! Event registration: seats while the capacity lasts, then the wait-list; a cancellation
//! promotes the first waiting (who is told); never over-booked under concurrent
//! registrations; the organiser's attendee list, its CSV export, and each event's `.ics`.

use api::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::{content, transition};
use crate::harness::{TestApp, TestUser, UserSpec, spawn_app};

const REGISTER: &str = "mutation($id: ID!) { registerForEvent(eventId: $id) { status waitlistPosition event { id } } }";
const CANCEL: &str = "mutation($id: ID!) { cancelEventRegistration(eventId: $id) { status } }";
const EVENT: &str = "query($id: ID!) { node(id: $id) { ... on Event { capacity seatsLeft registeredCount waitlistCount myRegistration { status waitlistPosition } } } }";
const ATTENDEES: &str = "query($id: ID!, $statuses: [RegistrationStatus!]) { node(id: $id) { ... on Event { attendees(statuses: $statuses) { totalCount edges { node { email status } } } } } }";

/// A published event `organiser` (a trusted correspondent) creates, with `extra` fields.
async fn event(app: &TestApp, organiser: &TestUser, visibility: &str, extra: Value) -> String {
    let starts = chrono::Utc::now() + chrono::Duration::days(30);
    let mut input = json!({
        "content": content("Digital trade forum; Nanning, 2026", &["CN"], &["05"], visibility),
        "eventType": "FORUM",
        "startsAt": starts.to_rfc3339(),
        "endsAt": (starts + chrono::Duration::hours(6)).to_rfc3339(),
        "city": "Nanning",
        "timeZone": "Asia/Shanghai",
    });
    for (key, value) in extra.as_object().expect("an object") {
        input[key] = value.clone();
    }
    app.ok(
        Some(&organiser.token),
        "mutation($input: EventInput!) { createEvent(input: $input, publish: true) { id status } }",
        json!({ "input": input }),
    )
    .await["createEvent"]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

async fn register(app: &TestApp, user: &TestUser, event: &str) -> Value {
    app.ok(Some(&user.token), REGISTER, json!({ "id": event }))
        .await["registerForEvent"]
        .clone()
}

async fn seen_by(app: &TestApp, user: &TestUser, event: &str) -> Value {
    app.ok(Some(&user.token), EVENT, json!({ "id": event }))
        .await["node"]
        .clone()
}

#[tokio::test]
async fn seats_then_the_wait_list_and_a_cancellation_promotes_the_first_waiting() {
    let app = spawn_app().await;
    let organiser = app.correspondent(true).await;
    let event = event(&app, &organiser, "PUBLIC", json!({ "capacity": 2 })).await;
    let mut people = Vec::new();
    for _ in 0..4 {
        people.push(app.user(Role::User, UserSpec::default()).await);
    }
    let answers: Vec<(Value, Value)> = {
        let mut answers = Vec::new();
        for person in &people {
            let answer = register(&app, person, &event).await;
            answers.push((answer["status"].clone(), answer["waitlistPosition"].clone()));
        }
        answers
    };
    assert_eq!(
        answers,
        vec![
            (json!("REGISTERED"), json!(null)),
            (json!("REGISTERED"), json!(null)),
            (json!("WAITLISTED"), json!(1)),
            (json!("WAITLISTED"), json!(2)),
        ]
    );
    assert_eq!(
        app.error_code(Some(&people[0].token), REGISTER, json!({ "id": event }))
            .await,
        "CONFLICT",
        "no double registration"
    );

    let cancelled = app
        .ok(Some(&people[0].token), CANCEL, json!({ "id": event }))
        .await;
    assert_eq!(cancelled["cancelEventRegistration"]["status"], "CANCELLED");
    assert_eq!(
        seen_by(&app, &people[2], &event).await["myRegistration"],
        json!({ "status": "REGISTERED", "waitlistPosition": null }),
        "the first waiting got the seat"
    );
    let last = seen_by(&app, &people[3], &event).await;
    assert_eq!(last["myRegistration"]["waitlistPosition"], 1);
    assert_eq!(
        (
            &last["seatsLeft"],
            &last["registeredCount"],
            &last["waitlistCount"]
        ),
        (&json!(0), &json!(2), &json!(1))
    );
    let inbox = app
        .ok(
            Some(&people[2].token),
            "{ notifications { edges { node { kind subject { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        inbox["notifications"]["edges"][0]["node"],
        json!({ "kind": "REGISTRATION_CONFIRMED", "subject": { "id": event } })
    );
    assert_eq!(
        app.error_code(Some(&people[0].token), CANCEL, json!({ "id": event }))
            .await,
        "NOT_FOUND",
        "nothing left to cancel"
    );

    // The organiser's list and its export; nobody else's.
    let list = app
        .ok(Some(&organiser.token), ATTENDEES, json!({ "id": event }))
        .await;
    assert_eq!(list["node"]["attendees"]["totalCount"], 4);
    let registered = app
        .ok(
            Some(&organiser.token),
            ATTENDEES,
            json!({ "id": event, "statuses": ["REGISTERED"] }),
        )
        .await;
    assert_eq!(registered["node"]["attendees"]["totalCount"], 2);
    let by_attendee = app
        .ok(Some(&people[1].token), ATTENDEES, json!({ "id": event }))
        .await;
    assert!(by_attendee["node"]["attendees"].is_null());

    let csv_url = app.url(&format!("/events/{event}/attendees.csv"));
    let csv = app
        .http
        .get(&csv_url)
        .bearer_auth(&organiser.token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    assert!(
        text.starts_with("name,email,status,registered_at\r\n"),
        "{text}"
    );
    for person in &people {
        assert!(text.contains(&person.email), "{text}");
    }
    assert_eq!(text.lines().count(), 5);
    let by_attendee = app
        .http
        .get(&csv_url)
        .bearer_auth(&people[1].token)
        .send()
        .await
        .unwrap();
    assert_eq!(by_attendee.status(), 403);
    assert_eq!(app.http.get(&csv_url).send().await.unwrap().status(), 401);

    let ics = app
        .http
        .get(app.url(&format!("/events/{event}/calendar.ics")))
        .send()
        .await
        .unwrap();
    assert_eq!(ics.status(), 200);
    assert!(
        ics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let calendar = ics.text().await.unwrap();
    for line in [
        "BEGIN:VCALENDAR\r\n",
        "BEGIN:VEVENT\r\n",
        "SUMMARY:Digital trade forum\\; Nanning\\, 2026\r\n",
        "LOCATION:Nanning\r\n",
        "END:VCALENDAR\r\n",
    ] {
        assert!(calendar.contains(line), "{line:?} in {calendar}");
    }
}

#[tokio::test]
async fn registration_is_refused_when_closed_invisible_archived_or_anonymous() {
    let app = spawn_app().await;
    let organiser = app.correspondent(true).await;
    let user = app.user(Role::User, UserSpec::default()).await;
    let closed = event(
        &app,
        &organiser,
        "PUBLIC",
        json!({ "registrationDeadline": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339() }),
    )
    .await;
    assert_eq!(
        app.error_code(Some(&user.token), REGISTER, json!({ "id": closed }))
            .await,
        "CONFLICT"
    );
    let members_only = event(&app, &organiser, "MEMBERS", json!({})).await;
    assert_eq!(
        app.error_code(Some(&user.token), REGISTER, json!({ "id": members_only }))
            .await,
        "NOT_FOUND"
    );
    assert_eq!(
        app.error_code(None, REGISTER, json!({ "id": members_only }))
            .await,
        "UNAUTHENTICATED"
    );
    let ics = app
        .http
        .get(app.url(&format!("/events/{members_only}/calendar.ics")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ics.status(),
        404,
        "an invisible event has no calendar either"
    );
    let archived = event(&app, &organiser, "PUBLIC", json!({})).await;
    transition(&app, &organiser, "archiveContent", &archived).await;
    assert_eq!(
        app.error_code(Some(&user.token), REGISTER, json!({ "id": archived }))
            .await,
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn concurrent_registrations_for_the_last_seats_never_overbook() {
    let app = spawn_app().await;
    let organiser = app.correspondent(true).await;
    let capacity = 3;
    let event = event(&app, &organiser, "PUBLIC", json!({ "capacity": capacity })).await;
    let mut people = Vec::new();
    for _ in 0..16 {
        people.push(app.user(Role::User, UserSpec::default()).await);
    }
    let answers =
        futures_util::future::join_all(people.iter().map(|person| register(&app, person, &event)))
            .await;
    let registered = answers
        .iter()
        .filter(|answer| answer["status"] == "REGISTERED")
        .count();
    assert_eq!(registered, capacity, "{answers:#?}");
    let mut positions: Vec<i64> = answers
        .iter()
        .filter(|answer| answer["status"] == "WAITLISTED")
        .map(|answer| answer["waitlistPosition"].as_i64().expect("a position"))
        .collect();
    positions.sort();
    assert_eq!(positions, (1..=(16 - capacity as i64)).collect::<Vec<_>>());
    let seen = seen_by(&app, &organiser, &event).await;
    assert_eq!(seen["registeredCount"], capacity);
}

#[tokio::test]
async fn a_private_calendar_feed_lists_ones_registrations_until_it_is_replaced() {
    let app = spawn_app().await;
    let organiser = app.correspondent(true).await;
    let user = app.user(Role::User, UserSpec::default()).await;
    let kept = event(&app, &organiser, "PUBLIC", json!({})).await;
    let cancelled = event(&app, &organiser, "PUBLIC", json!({})).await;
    let other = event(&app, &organiser, "PUBLIC", json!({})).await;
    register(&app, &user, &kept).await;
    register(&app, &user, &cancelled).await;
    app.ok(Some(&user.token), CANCEL, json!({ "id": cancelled }))
        .await;
    let create = "mutation { createCalendarFeed }";
    assert_eq!(
        app.error_code(None, create, json!({})).await,
        "UNAUTHENTICATED"
    );
    let path = app.ok(Some(&user.token), create, json!({})).await["createCalendarFeed"]
        .as_str()
        .expect("a path")
        .to_owned();
    assert!(
        path.starts_with("/calendar/") && path.ends_with(".ics"),
        "{path}"
    );

    // No sign-in: the secret in the URL is the key, as calendar apps need.
    let feed = app.http.get(app.url(&path)).send().await.unwrap();
    assert_eq!(feed.status(), 200);
    let calendar = feed.text().await.unwrap();
    assert_eq!(calendar.matches("BEGIN:VEVENT").count(), 1, "{calendar}");
    let key_of = |id: &str| {
        use base64::Engine;
        let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(id)
            .expect("an id");
        String::from_utf8(decoded).unwrap()["Event:".len()..].to_owned()
    };
    assert!(calendar.contains(&format!("UID:{}@infoharbor", key_of(&kept))));
    for absent in [&cancelled, &other] {
        assert!(!calendar.contains(&key_of(absent)), "{calendar}");
    }

    let replaced = app.ok(Some(&user.token), create, json!({})).await["createCalendarFeed"]
        .as_str()
        .expect("a path")
        .to_owned();
    assert_ne!(replaced, path);
    assert_eq!(
        app.http.get(app.url(&path)).send().await.unwrap().status(),
        404
    );
    assert_eq!(
        app.http
            .get(app.url(&replaced))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.http
            .get(app.url("/calendar/guess.ics"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn an_online_events_link_is_for_registered_attendees_and_the_organiser() {
    let app = spawn_app().await;
    let organiser = app.correspondent(true).await;
    let link = "https://meet.example.org/digital-trade-forum";
    let event = event(
        &app,
        &organiser,
        "PUBLIC",
        json!({ "capacity": 1, "onlineUrl": link }),
    )
    .await;
    let seated = app.user(Role::User, UserSpec::default()).await;
    let waiting = app.user(Role::User, UserSpec::default()).await;
    register(&app, &seated, &event).await;
    register(&app, &waiting, &event).await;
    let url_for = |token: Option<String>| {
        let app = &app;
        let event = event.clone();
        async move {
            app.ok(
                token.as_deref(),
                "query($id: ID!) { node(id: $id) { ... on Event { online onlineUrl } } }",
                json!({ "id": event }),
            )
            .await["node"]
                .clone()
        }
    };
    assert_eq!(
        url_for(Some(seated.token.clone())).await,
        json!({ "online": true, "onlineUrl": link })
    );
    assert_eq!(
        url_for(Some(organiser.token.clone())).await["onlineUrl"],
        link
    );
    assert!(url_for(Some(waiting.token.clone())).await["onlineUrl"].is_null());
    assert!(url_for(None).await["onlineUrl"].is_null());

    let starts = chrono::Utc::now() + chrono::Duration::days(3);
    let refused = app
        .error_code(
            Some(&organiser.token),
            "mutation($input: EventInput!) { createEvent(input: $input) { id } }",
            json!({ "input": {
                "content": content("Webinar", &["CN"], &["05"], "PUBLIC"),
                "eventType": "SEMINAR",
                "startsAt": starts.to_rfc3339(),
                "endsAt": (starts + chrono::Duration::hours(1)).to_rfc3339(),
                "onlineUrl": "javascript:alert(1)",
            } }),
        )
        .await;
    assert_eq!(refused, "BAD_USER_INPUT");
}
