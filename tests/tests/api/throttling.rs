//! Throttles tried as an attacker would, over HTTP: failed logins counted per account and
//! address, per address and per account; sign-ups per address; password hashing capped; and
//! `X-Forwarded-For` believed only from a trusted proxy.
//!
//! The test server listens on 127.0.0.1; tests that need several client addresses trust
//! 127.0.0.1 as a proxy and name the client in `X-Forwarded-For`.

use std::time::Duration;

use api::limits::{
    HASHING_QUEUE_PER_WORKER, HASHING_WORKERS_PER_CORE, MAX_FAILURES_PER_ACCOUNT,
    MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS, MAX_FAILURES_PER_ADDRESS, MAX_REGISTRATIONS_PER_ADDRESS,
};
use serde_json::{Value, json};

use crate::harness::{TestApp, spawn_app, spawn_app_with};

const LOGIN: &str = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }";
const REGISTER: &str = "mutation($email: String!, $password: String!) { register(email: $email, password: $password) { accessToken } }";

/// A server that believes `X-Forwarded-For` from 127.0.0.1, where the tests connect from.
async fn spawn_app_behind_proxy() -> TestApp {
    spawn_app_with(|config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().expect("an address")];
    })
    .await
}

/// Posts `query` with `X-Forwarded-For: forwarded_for` and returns the JSON answer.
async fn post_from(app: &TestApp, forwarded_for: &str, query: &str, variables: Value) -> Value {
    let response = app
        .http
        .post(app.url("/graphql"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), 200);
    response.json().await.expect("a JSON answer")
}

async fn login_from(app: &TestApp, forwarded_for: &str, email: &str, password: &str) -> Value {
    let variables = json!({ "email": email, "password": password });
    post_from(app, forwarded_for, LOGIN, variables).await
}

/// The answer's first error code, or "OK" when it has no errors.
fn outcome(answer: &Value) -> String {
    match answer["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => code.to_owned(),
        None if answer.get("errors").is_none() => "OK".to_owned(),
        None => panic!("an error without a code: {answer:#}"),
    }
}

#[tokio::test]
async fn the_owner_signs_in_from_their_own_address_after_a_strangers_failures() {
    let app = spawn_app_behind_proxy().await;
    let owner = app.member().await;
    for _ in 0..MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
        let guess = login_from(&app, "198.51.100.7", &owner.email, "a wrong guess").await;
        assert_eq!(outcome(&guess), "UNAUTHENTICATED");
    }
    let from_owners_address = login_from(&app, "203.0.113.5", &owner.email, &owner.password).await;
    assert_eq!(
        outcome(&from_owners_address),
        "OK",
        "a stranger's failures do not lock the owner out: {from_owners_address:#}"
    );
}

#[tokio::test]
async fn failed_logins_on_one_account_from_one_address_are_rate_limited_there() {
    let app = spawn_app_behind_proxy().await;
    let owner = app.member().await;
    for _ in 0..MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
        let guess = login_from(&app, "198.51.100.7", &owner.email, "a wrong guess").await;
        assert_eq!(outcome(&guess), "UNAUTHENTICATED");
    }
    let next_guess = login_from(&app, "198.51.100.7", &owner.email, "another guess").await;
    assert_eq!(outcome(&next_guess), "RATE_LIMITED");
    let right_password = login_from(&app, "198.51.100.7", &owner.email, &owner.password).await;
    assert_eq!(
        outcome(&right_password),
        "RATE_LIMITED",
        "from the throttled address even the right password waits"
    );
    let other_account = app.member().await;
    let same_address = login_from(
        &app,
        "198.51.100.7",
        &other_account.email,
        &other_account.password,
    )
    .await;
    assert_eq!(
        outcome(&same_address),
        "OK",
        "other accounts are unaffected"
    );
}

#[tokio::test]
async fn one_addresses_failures_do_not_lock_out_another_user_behind_the_same_proxy() {
    let app = spawn_app_behind_proxy().await;
    let colleague = app.member().await;
    for number in 0..MAX_FAILURES_PER_ADDRESS {
        let email = format!("guess{number}@test.example");
        let guess = login_from(&app, "198.51.100.7", &email, "a wrong guess").await;
        assert_eq!(outcome(&guess), "UNAUTHENTICATED");
    }
    let same_address =
        login_from(&app, "198.51.100.7", &colleague.email, &colleague.password).await;
    assert_eq!(
        outcome(&same_address),
        "RATE_LIMITED",
        "the guessing address waits, whichever account it tries"
    );
    let other_address =
        login_from(&app, "198.51.100.8", &colleague.email, &colleague.password).await;
    assert_eq!(
        outcome(&other_address),
        "OK",
        "a user behind the same proxy with another address signs in: {other_address:#}"
    );
}

#[tokio::test]
async fn a_guesser_spread_over_many_addresses_meets_the_account_ceiling_but_the_owner_does_not() {
    let app = spawn_app_behind_proxy().await;
    let owner = app.member().await;
    let owners_address = "203.0.113.5";
    let first_sign_in = login_from(&app, owners_address, &owner.email, &owner.password).await;
    assert_eq!(outcome(&first_sign_in), "OK");
    for number in 0..MAX_FAILURES_PER_ACCOUNT {
        let address = format!("10.{}.{}.1", number / 200, number % 200);
        let guess = login_from(&app, &address, &owner.email, "a wrong guess").await;
        assert_eq!(outcome(&guess), "UNAUTHENTICATED");
    }
    let fresh_address = login_from(&app, "10.99.0.1", &owner.email, &owner.password).await;
    assert_eq!(
        outcome(&fresh_address),
        "RATE_LIMITED",
        "a new address meets the account's ceiling"
    );
    let owners_again = login_from(&app, owners_address, &owner.email, &owner.password).await;
    assert_eq!(
        outcome(&owners_again),
        "OK",
        "the owner's own address is exempt from the ceiling: {owners_again:#}"
    );
}

#[tokio::test]
async fn sign_ups_are_rate_limited_per_client_address() {
    let app = spawn_app_behind_proxy().await;
    let password = "a long enough passphrase";
    for number in 0..MAX_REGISTRATIONS_PER_ADDRESS {
        let email = format!("reader{number}@test.example");
        let variables = json!({ "email": email, "password": password });
        let answer = post_from(&app, "198.51.100.20", REGISTER, variables).await;
        assert_eq!(outcome(&answer), "OK", "{answer:#}");
    }
    let one_more = json!({ "email": "one.more@test.example", "password": password });
    let refused = post_from(&app, "198.51.100.20", REGISTER, one_more.clone()).await;
    assert_eq!(outcome(&refused), "RATE_LIMITED");
    let taken = json!({ "email": "reader0@test.example", "password": password });
    let probe = post_from(&app, "198.51.100.20", REGISTER, taken).await;
    assert_eq!(
        outcome(&probe),
        "RATE_LIMITED",
        "probing for taken emails is throttled too"
    );
    let elsewhere = post_from(&app, "198.51.100.21", REGISTER, one_more).await;
    assert_eq!(outcome(&elsewhere), "OK", "other addresses sign up");
}

#[tokio::test]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_does_not_change_the_throttle_key() {
    let app = spawn_app().await;
    let owner = app.member().await;
    for number in 0..MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
        let spoofed = format!("203.0.113.{number}");
        let guess = login_from(&app, &spoofed, &owner.email, "a wrong guess").await;
        assert_eq!(outcome(&guess), "UNAUTHENTICATED");
    }
    let spoofed_again = login_from(&app, "198.51.100.99", &owner.email, "another guess").await;
    assert_eq!(
        outcome(&spoofed_again),
        "RATE_LIMITED",
        "every guess counted against the socket's address, whatever the header said"
    );
}

#[tokio::test]
async fn concurrent_sign_ups_beyond_the_hashing_queue_are_refused_not_queued_forever() {
    const BURST: usize = 100;
    let app = spawn_app_behind_proxy().await;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let workers = cores * HASHING_WORKERS_PER_CORE;
    let answers = tokio::time::timeout(
        Duration::from_secs(60),
        futures_util::future::join_all((0..BURST).map(|number| {
            let address = format!("10.5.{}.{}", number / 200, number % 200);
            let variables = json!({
                "email": format!("burst{number}@test.example"),
                "password": "a long enough passphrase",
            });
            let app = &app;
            async move { post_from(app, &address, REGISTER, variables).await }
        })),
    )
    .await
    .expect("every sign-up is answered promptly, none waits forever");
    let outcomes: Vec<String> = answers.iter().map(outcome).collect();
    for (answer, outcome) in answers.iter().zip(&outcomes) {
        assert!(
            outcome == "OK" || outcome == "RATE_LIMITED",
            "each sign-up either succeeds or is refused as rate limited: {answer:#}"
        );
    }
    let refused = outcomes.iter().filter(|outcome| *outcome == "RATE_LIMITED");
    let refused = refused.count();
    let room = workers * (1 + HASHING_QUEUE_PER_WORKER);
    if BURST >= 2 * room {
        assert!(
            refused > 0,
            "{BURST} at once is well beyond {room} hashing or waiting: {outcomes:?}"
        );
    }
    assert!(
        app.state.hashing.most_running() <= workers,
        "at most {workers} hashes ran at once, not {}",
        app.state.hashing.most_running()
    );
}
