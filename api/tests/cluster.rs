//! Several `infoharbor serve` processes on one PostgreSQL database, each with a search index of
//! its own, called over HTTP and websockets as clients call them behind a load balancer:
//!
//! - a change made through any node is searchable on every node within a second, and so is
//!   its undoing (an archive);
//! - a node that starts late, or comes back after a SIGKILL, has caught up when it first calls
//!   itself ready: by replaying the change log, or by rebuilding its index when compaction
//!   removed entries it missed;
//! - transactions that commit out of the order of their change-log numbers lose no change, and
//!   one that rolls back leaves a hole that stalls nobody;
//! - compaction never removes an entry a live node still needs;
//! - a saved-search alert and a publication reach their subscribers once per cluster,
//!   whichever node each is connected to;
//! - login and sign-up throttles count across nodes, so spreading attempts over them gains
//!   nothing.
//!
//! Only PostgreSQL lets nodes share a database: set INFOHARBOR_TEST_DATABASE_URL (CI runs the
//! suite a second time with it); without it each test says so and passes at once. Each test
//! has a database of its own, so they run in parallel. Waiting on another process is always a
//! poll with a deadline and a message saying what did not happen.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use api::limits::{MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS, MAX_REGISTRATIONS_PER_ADDRESS};
use futures_util::{SinkExt, StreamExt};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, Statement, TransactionTrait,
    TryGetable, Value as SqlValue,
};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::http::header::SEC_WEBSOCKET_PROTOCOL;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use support::cluster::{Cluster, Node};
use support::{graphql, login, wait_ready};

const PASSWORD: &str = "a long enough password";
/// A trusted correspondent for Viet Nam and the sector category 05: publishes at once.
const WRITER: &str = "writer@example.org";
/// A plain user, who saves searches and signs in.
const READER: &str = "reader@example.org";

/// How soon a change made through one node must be searchable on every node.
const CONVERGE_WITHIN: Duration = Duration::from_secs(1);
/// How long a poll goes on after its bound is missed, to tell "late" (and by how much) from
/// "never".
const OVERTIME: Duration = Duration::from_secs(5);
/// The interval of every poll of another process.
const POLL_EVERY: Duration = Duration::from_millis(15);
/// How long a starting node may take to become ready: a debug build, on two cores, beside
/// other tests.
const READY_WITHIN: Duration = Duration::from_secs(60);
/// How long a node may wait on a hole left by a rolled-back transaction before it counts it
/// as permanent. A hole is confirmed once every write transaction that was running on the
/// PostgreSQL server when it was found has ended, and the tests share one server: another
/// test holds a transaction open across an import of 5,100 items. (Searches are not held
/// up meanwhile; only the resumable point waits.)
const HOLE_SETTLED_WITHIN: Duration = Duration::from_secs(60);
/// How long compaction (every second in the test that watches it) may take to do its work,
/// including noticing that a killed node's heartbeat (3 s there) is stale.
const COMPACTED_WITHIN: Duration = Duration::from_secs(20);
/// How long a subscriber waits for its next delivery.
const DELIVERED_WITHIN: Duration = Duration::from_secs(5);
/// How long a subscriber listens for a delivery that must not come.
const QUIET_FOR: Duration = Duration::from_millis(500);
/// Items created at once when a test writes many.
const CONCURRENT_WRITES: usize = 8;

/// graphql-transport-ws does not acknowledge a `subscribe`; a test publishes sentinels until
/// one is delivered, and from then on knows the subscription listens.
const SENTINEL: &str = "Sentinel";
/// How long one attempt waits for a sentinel before the next one is published.
const ATTEMPT: Duration = Duration::from_millis(500);
const ATTEMPTS: usize = 40;

const CREATE_AND_PUBLISH: &str =
    "mutation($i: OpportunityInput!) { createOpportunity(input: $i, publish: true) { id status } }";
const ARCHIVE: &str = "mutation($id: ID!) { archiveContent(id: $id) { status } }";
const SEARCH: &str =
    "query($q: String) { search(query: $q, first: 100) { totalCount edges { node { id } } } }";
const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }";
const REGISTER: &str =
    "mutation($e: String!, $p: String!) { register(email: $e, password: $p) { accessToken } }";
const SAVE_SEARCH: &str =
    "mutation($q: String) { saveSearch(name: \"Cold chain\", query: $q) { id } }";
const INBOX: &str = "{ notifications(first: 100) { edges { node { kind subject { id } } } } }";
const PUBLISHED: &str = "subscription { contentPublished { id title } }";
const MATCHES: &str = "subscription { savedSearchMatches { id title } }";

const APPLIED_SEQ: &str = "infoharbor_change_log_applied_seq";
const HEAD_SEQ: &str = "infoharbor_change_log_head_seq";
const LAG_SECONDS: &str = "infoharbor_change_log_lag_seconds";
const OPEN_GAPS: &str = "infoharbor_change_log_open_gaps";
const TRIMMED_SEQ: &str = "infoharbor_change_log_trimmed_seq";
const REBUILDS: &str = "infoharbor_index_rebuilds_total";
/// Saved-search alerts raised, one per owner and publication.
const ALERTS: &str = "infoharbor_alerts_total";

// ---- the tests ------------------------------------------------------------------------------

#[tokio::test]
async fn a_write_on_one_node_is_searchable_on_the_other_within_a_second() {
    let Some((cluster, [a, b], token)) = ready_cluster(["A", "B"], &[]).await else {
        return;
    };

    let word = unique_word();
    let id = create_and_publish(&a, &token, &format!("Harbour cranes {word}")).await;
    let (found_on_a, found_on_b) = tokio::join!(
        found_within(&a, &word, CONVERGE_WITHIN),
        found_within(&b, &word, CONVERGE_WITHIN)
    );
    eprintln!("published: found on A after {found_on_a:?}, on B after {found_on_b:?}");

    let archived = graphql(&a.base_url, Some(&token), ARCHIVE, json!({ "id": id })).await;
    assert_eq!(
        archived["data"]["archiveContent"]["status"], "ARCHIVED",
        "{archived}"
    );
    let (gone_from_a, gone_from_b) = tokio::join!(
        gone_within(&a, &word, CONVERGE_WITHIN),
        gone_within(&b, &word, CONVERGE_WITHIN)
    );
    eprintln!("archived: gone from A after {gone_from_a:?}, from B after {gone_from_b:?}");
    cluster.finish([a, b]).await;
}

#[tokio::test]
async fn three_nodes_converge_on_every_write() {
    // Signed in on A only: the token is good on every node, since they share the signing key.
    let Some((cluster, [a, b, c], token)) = ready_cluster(["A", "B", "C"], &[]).await else {
        return;
    };
    let nodes = [&a, &b, &c];

    let common = unique_word();
    for writer in nodes {
        let word = unique_word();
        create_and_publish(writer, &token, &format!("Converging {common} {word}")).await;
        let others: Vec<&Node> = nodes
            .into_iter()
            .filter(|node| node.name != writer.name)
            .collect();
        let took = futures_util::future::join_all(
            others
                .iter()
                .map(|node| found_within(node, &word, CONVERGE_WITHIN)),
        )
        .await;
        eprintln!(
            "written on {}: found on the others after {took:?}",
            writer.name
        );
    }
    for node in nodes {
        assert_eq!(
            search_total(node, &common).await,
            3,
            "node {} finds the three writes",
            node.name
        );
    }
    cluster.finish([a, b, c]).await;
}

#[tokio::test]
async fn a_new_node_catches_up_before_it_reports_ready() {
    const THROUGH_THE_API: usize = 100;
    const IMPORTED: usize = 100;
    let Some((cluster, [a], token)) = ready_cluster(["A"], &[]).await else {
        return;
    };

    let common = unique_word();
    let written = publish_many(&a, &token, &common, THROUGH_THE_API).await;
    assert_eq!(
        written.len(),
        THROUGH_THE_API,
        "every write got an id of its own"
    );
    // The operator's bulk path writes to the change log too.
    import_items(&cluster, &common, IMPORTED);
    let head = max_seq(&cluster.database().await).await;

    let b = cluster.start_node("B", &[]);
    let ready = first_ready(&b).await;
    // At the first 200, not a moment later: ready means caught up.
    let total = search_total(&b, &common).await;
    assert_eq!(
        total,
        (THROUGH_THE_API + IMPORTED) as i64,
        "B's search at the moment it first answered ready: {ready}"
    );
    let applied = ready["appliedSeq"]
        .as_i64()
        .unwrap_or_else(|| panic!("/readyz names appliedSeq: {ready}"));
    assert!(
        applied >= head,
        "B said ready having applied {applied}, before the head {head}: {ready}"
    );
    cluster.finish([a, b]).await;
}

#[tokio::test]
async fn a_killed_node_catches_up_on_restart() {
    const WRITTEN_WHILE_DOWN: usize = 30;
    let Some((cluster, [a, mut b], token)) = ready_cluster(["A", "B"], &[]).await else {
        return;
    };
    let before = unique_word();
    create_and_publish(&a, &token, &format!("Before the crash {before}")).await;
    found_within(&b, &before, CONVERGE_WITHIN).await;

    b.kill();
    let while_down = unique_word();
    let written = publish_many(&a, &token, &while_down, WRITTEN_WHILE_DOWN).await;
    let head = max_seq(&cluster.database().await).await;
    b.restart();
    let ready = first_ready(&b).await;

    let (total, ids) = search(&b, &while_down).await;
    assert_eq!(
        total, WRITTEN_WHILE_DOWN as i64,
        "B's search when it first answered ready: {ready}"
    );
    assert_eq!(
        ids, written,
        "B finds exactly the items written while it was down"
    );
    assert_eq!(
        search_total(&b, &before).await,
        1,
        "B still finds what it indexed before the crash"
    );
    assert!(
        ready["appliedSeq"]
            .as_i64()
            .is_some_and(|applied| applied >= head),
        "B said ready before the head {head}: {ready}"
    );
    assert_eq!(
        metric_whole(&b, REBUILDS).await,
        0,
        "B replayed the change log from where its index stood, without a rebuild"
    );
    cluster.finish([a, b]).await;
}

#[tokio::test]
async fn interleaved_transactions_that_commit_out_of_order_lose_no_change() {
    // The test writes behind the servers' backs, as another process would: the nodes hear of
    // it as of any write to the change log (PostgreSQL notifies at commit), or at their poll.
    let Some((cluster, [a, b], token)) = ready_cluster(["A", "B"], &[]).await else {
        return;
    };
    let (database, [(old_x, key_x), (_, key_y)]) =
        published_items(&cluster, [&a, &b], &token).await;

    // T1 takes its log number first, T2 the next one and commits first.
    let (new_x, new_y) = (unique_word(), unique_word());
    let first = database.begin().await.unwrap();
    let seq_x = rename_in(&first, &key_x, &format!("Item {new_x}")).await;
    let second = database.begin().await.unwrap();
    let seq_y = rename_in(&second, &key_y, &format!("Item {new_y}")).await;
    assert!(seq_y > seq_x, "T2's entry {seq_y} comes after T1's {seq_x}");
    second.commit().await.unwrap();
    tokio::join!(
        found_within(&b, &new_y, CONVERGE_WITHIN),
        found_within(&a, &new_y, CONVERGE_WITHIN)
    );
    for node in [&a, &b] {
        let (_, ready) = readyz(node).await;
        let applied = ready["appliedSeq"].as_i64().unwrap_or(i64::MAX);
        assert!(
            applied < seq_x,
            "node {} claims everything up to {applied} applied, but T1's {seq_x} is not committed: {ready}",
            node.name
        );
        assert!(
            ready["openGaps"].as_i64().is_some_and(|gaps| gaps >= 1),
            "node {} counts T1's entry as an open gap: {ready}",
            node.name
        );
    }

    first.commit().await.unwrap();
    tokio::join!(
        found_within(&b, &new_x, CONVERGE_WITHIN),
        found_within(&a, &new_x, CONVERGE_WITHIN)
    );
    tokio::join!(
        gone_within(&b, &old_x, CONVERGE_WITHIN),
        gone_within(&a, &old_x, CONVERGE_WITHIN)
    );

    // T3 takes a number and rolls back: a hole no commit will ever fill.
    let third = database.begin().await.unwrap();
    let hole = log_change_in(&third, &key_x).await;
    third.rollback().await.unwrap();
    let after_hole = unique_word();
    create_and_publish(&a, &token, &format!("After the hole {after_hole}")).await;
    tokio::join!(
        found_within(&b, &after_hole, CONVERGE_WITHIN),
        found_within(&a, &after_hole, CONVERGE_WITHIN)
    );
    let head = max_seq(&database).await;
    assert!(head > hole, "a write after the hole took a later number");
    for node in [&b, &a] {
        settled_at(node, head).await;
    }
    cluster.finish([a, b]).await;
}

/// A transaction that took its id *before* another, but its change-log number *after* it,
/// commits first: the other (younger id, older number) is still open when every transaction
/// older than it has ended. Its number must still be waited for, not taken for a rollback.
#[tokio::test]
async fn a_gap_held_by_a_younger_transaction_is_waited_for() {
    let Some((cluster, [a, b], token)) = ready_cluster(["A", "B"], &[]).await else {
        return;
    };
    let (database, [(_, key_x), (_, key_y)]) = published_items(&cluster, [&a, &b], &token).await;

    // The elder takes its transaction id (a first write) but not yet a log number.
    let (new_x, new_y) = (unique_word(), unique_word());
    let elder = database.begin().await.unwrap();
    let renamed = execute(
        &elder,
        "UPDATE content SET title = $1, updated_at = now() WHERE id = $2",
        vec![format!("Item {new_y}").into(), key_y.clone().into()],
    )
    .await;
    assert_eq!(renamed, 1);
    // The younger takes its id and then the next log number, and stays open.
    let younger = database.begin().await.unwrap();
    let seq_x = rename_in(&younger, &key_x, &format!("Item {new_x}")).await;
    // The elder takes the number after and commits: the younger's number is a gap.
    let seq_y = log_change_in(&elder, &key_y).await;
    assert!(seq_y > seq_x);
    elder.commit().await.unwrap();
    found_within(&b, &new_y, CONVERGE_WITHIN).await;
    // Another write makes every node read the log again, now that the elder has ended.
    let later = unique_word();
    create_and_publish(&a, &token, &format!("Later {later}")).await;
    found_within(&b, &later, CONVERGE_WITHIN).await;
    for node in [&a, &b] {
        let (_, ready) = readyz(node).await;
        assert!(
            ready["appliedSeq"]
                .as_i64()
                .is_some_and(|applied| applied < seq_x)
                && ready["openGaps"].as_i64().is_some_and(|gaps| gaps >= 1),
            "node {} still waits for the open transaction's entry {seq_x}: {ready}",
            node.name
        );
    }
    younger.commit().await.unwrap();
    tokio::join!(
        found_within(&b, &new_x, CONVERGE_WITHIN),
        found_within(&a, &new_x, CONVERGE_WITHIN)
    );
    let head = max_seq(&database).await;
    for node in [&a, &b] {
        settled_at(node, head).await;
    }
    cluster.finish([a, b]).await;
}

/// More entries than a node reads at once (5,000: `REPLAY_BATCH`) land behind a number an
/// open transaction holds: the node applies them all while it waits for that one.
#[tokio::test]
async fn entries_beyond_one_read_behind_an_open_gap_are_applied() {
    const IMPORTED: usize = 5_100;
    let Some((cluster, [a, b], token)) = ready_cluster(["A", "B"], &[]).await else {
        return;
    };
    let old = unique_word();
    create_and_publish(&a, &token, &format!("Item {old}")).await;
    let database = cluster.database().await;
    let key = key_of(&database, &format!("Item {old}")).await;
    let holder = database.begin().await.unwrap();
    let new = unique_word();
    let held = rename_in(&holder, &key, &format!("Item {new}")).await;

    let imported = unique_word();
    import_items(&cluster, &imported, IMPORTED);
    let what = format!("node B finds the {IMPORTED} imported items behind the open entry {held}");
    poll(&what, READY_WITHIN, async || {
        let total = search_total(&b, &imported).await;
        if total == IMPORTED as i64 {
            Ok(())
        } else {
            Err(format!("{total} found"))
        }
    })
    .await;
    let (status, ready) = readyz(&b).await;
    assert!(
        status == 200 && ready["openGaps"].as_i64().is_some_and(|gaps| gaps >= 1),
        "node B is ready while it waits for {held}: {ready}"
    );
    holder.commit().await.unwrap();
    tokio::join!(
        found_within(&b, &new, CONVERGE_WITHIN),
        found_within(&a, &new, CONVERGE_WITHIN)
    );
    let head = max_seq(&database).await;
    settled_at(&b, head).await;
    cluster.finish([a, b]).await;
}

#[tokio::test]
async fn an_alert_fires_once_per_cluster() {
    let Some(cluster) = Cluster::new().await else {
        return;
    };
    add_writer(&cluster);
    add_user(&cluster, READER, &["--role", "user"]);
    let [a, b, c] = cluster.start_nodes(["A", "B", "C"], &[]);
    let nodes = [&a, &b, &c];
    all_ready(&nodes).await;
    let writer = login(&a.base_url, WRITER, PASSWORD).await;
    let reader = login(&b.base_url, READER, PASSWORD).await;
    let word = unique_word();
    let saved = graphql(
        &b.base_url,
        Some(&reader),
        SAVE_SEARCH,
        json!({ "q": word }),
    )
    .await;
    assert!(saved["data"]["saveSearch"]["id"].is_string(), "{saved}");
    let mut socket = subscribe(&c, Some(&reader), MATCHES).await;
    // The sentinels match the saved search too: each raises one alert of its own.
    let sentinels = until_listening(
        &a,
        &writer,
        std::slice::from_mut(&mut socket),
        "savedSearchMatches",
        &word,
    )
    .await;

    let first = create_and_publish(&a, &writer, &format!("Cold chain {word} first")).await;
    let first_delivered = next_delivery(&mut socket, "savedSearchMatches", "C").await;
    assert_eq!(first_delivered["id"], first.as_str(), "{first_delivered}");
    let alerts = sentinels + 1;
    let inbox = inbox_reaches(&a, &reader, alerts).await;
    assert_eq!(
        occurrences(&inbox, &first),
        1,
        "one alert in the inbox: {inbox:?}"
    );
    assert_eq!(
        alerts_reach(&nodes, alerts).await,
        alerts,
        "the cluster raised one alert per matching publication"
    );

    // A second delivery of the first item would come before this one.
    let second = create_and_publish(&a, &writer, &format!("Cold chain {word} second")).await;
    let next_delivered = next_delivery(&mut socket, "savedSearchMatches", "C").await;
    assert_eq!(
        next_delivered["id"],
        second.as_str(),
        "the next delivery is the second item, not the first again: {next_delivered}"
    );
    assert_quiet(&mut socket, "savedSearchMatches", "C").await;
    let final_inbox = inbox_reaches(&c, &reader, alerts + 1).await;
    assert_eq!(occurrences(&final_inbox, &first), 1, "{final_inbox:?}");
    assert_eq!(occurrences(&final_inbox, &second), 1, "{final_inbox:?}");
    assert_eq!(alerts_reach(&nodes, alerts + 1).await, alerts + 1);
    cluster.finish([a, b, c]).await;
}

#[tokio::test]
async fn content_published_reaches_subscribers_on_every_node_once() {
    let Some((cluster, [a, b, c], token)) = ready_cluster(["A", "B", "C"], &[]).await else {
        return;
    };
    let nodes = [&a, &b, &c];
    // Anonymous subscribers: the items are public.
    let mut sockets = Vec::new();
    for node in nodes {
        sockets.push(subscribe(node, None, PUBLISHED).await);
    }
    until_listening(&a, &token, &mut sockets, "contentPublished", "").await;

    let word = unique_word();
    // A second delivery of the first item would come before the second item.
    for round in ["first", "second"] {
        let id = create_and_publish(&a, &token, &format!("Port tender {word} {round}")).await;
        for (socket, node) in sockets.iter_mut().zip(nodes) {
            let delivered = next_delivery(socket, "contentPublished", &node.name).await;
            assert_eq!(
                delivered["id"],
                id.as_str(),
                "node {}'s subscriber, expecting the {round} item: {delivered}",
                node.name
            );
        }
    }
    for (socket, node) in sockets.iter_mut().zip(nodes) {
        assert_quiet(socket, "contentPublished", &node.name).await;
    }
    cluster.finish([a, b, c]).await;
}

#[tokio::test]
async fn a_login_throttle_counts_across_nodes() {
    let Some(cluster) = Cluster::new().await else {
        return;
    };
    add_user(&cluster, READER, &["--role", "user"]);
    let [a, b] = cluster.start_nodes(["A", "B"], &[]);
    all_ready(&[&a, &b]).await;
    let alternating = [&a, &b];

    for guess in 0..MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
        let node = alternating[guess % 2];
        let answer = post(node, LOGIN, json!({ "e": READER, "p": "a wrong guess" })).await;
        assert_eq!(
            outcome(&answer),
            "UNAUTHENTICATED",
            "guess {} on node {}: {answer}",
            guess + 1,
            node.name
        );
    }
    // Each node saw only part of the failures: counted per node, the owner would get in.
    for node in [&b, &a] {
        let answer = post(node, LOGIN, json!({ "e": READER, "p": PASSWORD })).await;
        assert_eq!(
            outcome(&answer),
            "RATE_LIMITED",
            "node {} after {MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS} failures over the cluster, even with the right password: {answer}",
            node.name
        );
    }

    for number in 0..MAX_REGISTRATIONS_PER_ADDRESS {
        let node = alternating[number % 2];
        let email = format!("reader{number}@example.org");
        let answer = post(node, REGISTER, json!({ "e": email, "p": PASSWORD })).await;
        assert_eq!(
            outcome(&answer),
            "OK",
            "sign-up {email} on node {}: {answer}",
            node.name
        );
    }
    for node in [&b, &a] {
        let email = format!("one.more.on.{}@example.org", node.name.to_lowercase());
        let answer = post(node, REGISTER, json!({ "e": email, "p": PASSWORD })).await;
        assert_eq!(
            outcome(&answer),
            "RATE_LIMITED",
            "node {} after {MAX_REGISTRATIONS_PER_ADDRESS} sign-ups over the cluster: {answer}",
            node.name
        );
    }
    cluster.finish([a, b]).await;
}

#[tokio::test]
async fn compaction_keeps_what_a_live_node_needs_and_a_node_behind_it_rebuilds() {
    let flags = [
        "--change-log-retention-secs",
        "0",
        "--compact-every-secs",
        "1",
        "--node-timeout-secs",
        "3",
    ];
    let Some((cluster, [a, mut b], token)) = ready_cluster(["A", "B"], &flags).await else {
        return;
    };
    let database = cluster.database().await;
    let common = unique_word();

    // A live node (a row with a fresh heartbeat) that has applied only part of the log.
    publish_many(&a, &token, &common, 2).await;
    let held_at = max_seq(&database).await;
    execute(
        &database,
        "INSERT INTO cluster_nodes (node_id, applied_seq, heartbeat_at, started_at, address) \
         VALUES ('fake', $1, now() + interval '1 hour', now(), NULL)",
        vec![held_at.into()],
    )
    .await;
    publish_many(&a, &token, &format!("{common} {}", unique_word()), 5).await;
    let logged = seqs_after(&database, held_at).await;
    assert!(
        logged.len() >= 5,
        "five writes, five entries at least: {logged:?}"
    );
    // The fake node moves on a little, after every write above committed: a compaction that
    // trims past logged[0] ran after the move, saw every entry, and may remove up to the
    // fake node's new position, no further.
    let needed_after = logged[1];
    execute(
        &database,
        "UPDATE cluster_nodes SET applied_seq = $1 WHERE node_id = 'fake'",
        vec![needed_after.into()],
    )
    .await;
    let trimmed = trimmed_reaches(&[&a, &b], logged[0]).await;
    assert!(
        trimmed <= needed_after,
        "compaction trimmed up to {trimmed}, past {needed_after} where a live node stands"
    );
    let kept = seqs_after(&database, 0).await;
    assert!(
        kept.iter().all(|seq| *seq > trimmed),
        "the entries up to {trimmed} are gone: {kept:?}"
    );
    assert!(
        kept.ends_with(&logged[2..]),
        "every entry the live fake node still needs is kept: {kept:?}, written {logged:?}"
    );

    execute(
        &database,
        "DELETE FROM cluster_nodes WHERE node_id = 'fake'",
        vec![],
    )
    .await;
    let head = max_seq(&database).await;
    let trimmed_without_fake = trimmed_reaches(&[&a, &b], head - 1).await;
    assert_eq!(
        trimmed_without_fake,
        head - 1,
        "the newest entry is always kept"
    );
    assert_eq!(seqs_after(&database, 0).await, [head]);

    // B dies; the log moves on and is trimmed past where B stood once B's heartbeat is stale.
    let b_id = registered_id(&database, &b).await;
    b.kill();
    let b_applied = column::<i64>(
        &database,
        "SELECT applied_seq FROM cluster_nodes WHERE node_id = $1",
        vec![b_id.as_str().into()],
    )
    .await
    .first()
    .copied()
    .unwrap_or_else(|| panic!("the killed node {b_id} is still registered"));
    let while_down = unique_word();
    let written = publish_many(&a, &token, &format!("{common} {while_down}"), 5).await;
    trimmed_reaches(&[&a], b_applied + 1).await;
    let fresh = column::<i64>(
        &database,
        "SELECT count(*) FROM cluster_nodes WHERE node_id = $1 AND heartbeat_at > now() - interval '3 seconds'",
        vec![b_id.as_str().into()],
    )
    .await[0];
    assert_eq!(
        fresh, 0,
        "only a node whose heartbeat is stale is left behind"
    );

    b.restart();
    let ready = first_ready(&b).await;
    assert_eq!(
        metric_whole(&b, REBUILDS).await,
        1,
        "the entries B missed are gone, so it rebuilt its index: {ready}"
    );
    let (total, ids) = search(&b, &while_down).await;
    assert_eq!(total, 5, "B's search when it first answered ready: {ready}");
    assert_eq!(ids, written);
    assert_eq!(search_total(&b, &common).await, 12, "B finds every item");
    cluster.finish([a, b]).await;
}

// ---- users and items ------------------------------------------------------------------------

fn add_user(cluster: &Cluster, email: &str, flags: &[&str]) {
    let mut arguments = vec!["user", "add", "--email", email];
    arguments.extend_from_slice(flags);
    cluster.run(&arguments, &format!("{PASSWORD}\n"));
}

fn add_writer(cluster: &Cluster) {
    add_user(
        cluster,
        WRITER,
        &[
            "--role",
            "correspondent",
            "--countries",
            "VN",
            "--sectors",
            "05",
            "--trusted",
        ],
    );
}

/// Twelve letters that no other item holds: letters only, so that every analyser keeps them one
/// token, and random, so that typo tolerance never mistakes one such word for another.
fn unique_word() -> String {
    uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .chars()
        .take(12)
        .map(|digit| char::from(b'a' + digit.to_digit(16).expect("a hex digit") as u8))
        .collect()
}

fn opportunity(title: &str) -> Value {
    json!({
        "content": { "title": title, "summary": "s", "body": "b", "language": "en", "countries": ["VN"], "sectors": ["0504"], "visibility": "PUBLIC" },
        "opportunityType": "PARTNERSHIP",
    })
}

/// Creates and publishes a public opportunity through `node`; answers its id.
async fn create_and_publish(node: &Node, token: &str, title: &str) -> String {
    let answer = graphql(
        &node.base_url,
        Some(token),
        CREATE_AND_PUBLISH,
        json!({ "i": opportunity(title) }),
    )
    .await;
    let created = &answer["data"]["createOpportunity"];
    assert_eq!(
        created["status"], "PUBLISHED",
        "node {} publishes {title}: {answer}",
        node.name
    );
    created["id"].as_str().expect("an id").to_owned()
}

/// A cluster (off PostgreSQL: none) with the writer's account and the nodes `names` started
/// with `flags` and ready; answers the writer's token, signed in on the first node, too.
async fn ready_cluster<const N: usize>(
    names: [&str; N],
    flags: &[&str],
) -> Option<(Cluster, [Node; N], String)> {
    let cluster = Cluster::new().await?;
    add_writer(&cluster);
    let nodes = cluster.start_nodes(names, flags);
    all_ready(&nodes.each_ref()).await;
    let token = login(&nodes[0].base_url, WRITER, PASSWORD).await;
    Some((cluster, nodes, token))
}

/// `N` items published through the first node and searchable on the second, titled "Item"
/// and a word of their own; answers a connection to the database and each item's (word, key).
async fn published_items<const N: usize>(
    cluster: &Cluster,
    [writer, reader]: [&Node; 2],
    token: &str,
) -> (DatabaseConnection, [(String, String); N]) {
    let database = cluster.database().await;
    let mut items = Vec::with_capacity(N);
    for _ in 0..N {
        let word = unique_word();
        create_and_publish(writer, token, &format!("Item {word}")).await;
        found_within(reader, &word, CONVERGE_WITHIN).await;
        let key = key_of(&database, &format!("Item {word}")).await;
        items.push((word, key));
    }
    let items = items.try_into().expect("N items");
    (database, items)
}

/// `count` items through `node`, several at a time, titled with `words` and a number; answers
/// their ids.
async fn publish_many(node: &Node, token: &str, words: &str, count: usize) -> BTreeSet<String> {
    futures_util::stream::iter(0..count)
        .map(|number| async move {
            create_and_publish(node, token, &format!("Batch {words} item {number}")).await
        })
        .buffer_unordered(CONCURRENT_WRITES)
        .collect()
        .await
}

/// `count` published items through `infoharbor import`, titled with `words` and a number.
fn import_items(cluster: &Cluster, words: &str, count: usize) {
    let lines: Vec<String> = (0..count)
        .map(|number| {
            let mut line = opportunity(&format!("Imported {words} {number}"));
            line["kind"] = json!("OPPORTUNITY");
            line["author"] = json!(WRITER);
            line.to_string()
        })
        .collect();
    let file = cluster.workspace.data_dir.path().join("items.ndjson");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let output = cluster.run(&["import", file.to_str().unwrap()], "");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "imported {count} items ({count} published) from {count} lines"
        )),
        "{stdout}"
    );
}

// ---- what a client sees ---------------------------------------------------------------------

/// Posts a GraphQL operation anonymously.
async fn post(node: &Node, query: &str, variables: Value) -> Value {
    graphql(&node.base_url, None, query, variables).await
}

/// The answer's first error code, or "OK" when it has no errors.
fn outcome(answer: &Value) -> String {
    match answer["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => code.to_owned(),
        None if answer.get("errors").is_none() => "OK".to_owned(),
        None => panic!("an error without a code: {answer}"),
    }
}

/// An anonymous search for `word`: its total, and the ids of its first 100 hits.
async fn search(node: &Node, word: &str) -> (i64, BTreeSet<String>) {
    let answer = post(node, SEARCH, json!({ "q": word })).await;
    let results = &answer["data"]["search"];
    let total = results["totalCount"]
        .as_i64()
        .unwrap_or_else(|| panic!("node {} searches for {word}: {answer}", node.name));
    let ids = results["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("node {} searches for {word}: {answer}", node.name))
        .iter()
        .map(|edge| edge["node"]["id"].as_str().expect("an id").to_owned())
        .collect();
    (total, ids)
}

async fn search_total(node: &Node, word: &str) -> i64 {
    search(node, word).await.0
}

/// Polls `node`'s search for `word` until it counts `expected` hits; answers how long that
/// took, and fails when it took longer than `within`.
async fn total_reaches(node: &Node, word: &str, expected: i64, within: Duration) -> Duration {
    let started = Instant::now();
    let what = format!("node {}'s search for {word} counts {expected}", node.name);
    poll(&what, within + OVERTIME, async || {
        let total = search_total(node, word).await;
        if total == expected {
            Ok(())
        } else {
            Err(format!("{total} hits"))
        }
    })
    .await;
    let took = started.elapsed();
    assert!(
        took <= within,
        "{what} only after {took:?}, more than {within:?}"
    );
    took
}

async fn found_within(node: &Node, word: &str, within: Duration) -> Duration {
    total_reaches(node, word, 1, within).await
}

async fn gone_within(node: &Node, word: &str, within: Duration) -> Duration {
    total_reaches(node, word, 0, within).await
}

/// `GET /readyz`: its status and its JSON body.
async fn readyz(node: &Node) -> (u16, Value) {
    let response = reqwest::get(format!("{}/readyz", node.base_url))
        .await
        .unwrap_or_else(|error| panic!("node {} answers /readyz: {error}", node.name));
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    let parsed: Value = serde_json::from_str(&body).unwrap_or_else(|_| json!({ "notJson": body }));
    (status, parsed)
}

/// Polls `/readyz` until it answers 200; answers its body then.
async fn first_ready(node: &Node) -> Value {
    let what = format!("node {} answers /readyz with 200", node.name);
    poll(&what, READY_WITHIN, async || {
        let (status, body) = readyz(node).await;
        match status {
            200 => {
                assert_eq!(body["ready"], json!(true), "node {}: {body}", node.name);
                Ok(body)
            }
            503 => {
                assert_eq!(body["ready"], json!(false), "node {}: {body}", node.name);
                Err(body.to_string())
            }
            other => panic!("node {} answers /readyz with {other}: {body}", node.name),
        }
    })
    .await
}

/// Waits until `node` is ready with no open gap and everything up to `head` applied, as
/// `/readyz` and `/metrics` both say.
async fn settled_at(node: &Node, head: i64) {
    let what = format!(
        "node {} is ready at the head {head} with no open gap",
        node.name
    );
    let ready = poll(&what, HOLE_SETTLED_WITHIN, async || {
        let (status, body) = readyz(node).await;
        let applied = body["appliedSeq"].as_i64().unwrap_or(-1);
        let known_head = body["headSeq"].as_i64().unwrap_or(i64::MAX);
        if status == 200 && body["openGaps"] == 0 && applied >= head && applied >= known_head {
            Ok(body)
        } else {
            Err(format!("{status} {body}"))
        }
    })
    .await;
    assert!(
        metric_whole(node, APPLIED_SEQ).await >= head,
        "{what}: {ready}"
    );
    assert!(
        metric_whole(node, HEAD_SEQ).await >= head,
        "{what}: {ready}"
    );
    assert_eq!(metric_whole(node, OPEN_GAPS).await, 0, "{what}: {ready}");
    let lag = metric(node, LAG_SECONDS).await;
    assert!(
        lag < 10.0,
        "{what}: a lag of {lag} s is past --max-lag-secs"
    );
}

/// The value of a metric on `node`, summed over its labels; fails when the node has none.
async fn metric(node: &Node, name: &str) -> f64 {
    let text = reqwest::get(format!("{}/metrics", node.base_url))
        .await
        .and_then(reqwest::Response::error_for_status)
        .unwrap_or_else(|error| panic!("node {} answers /metrics: {error}", node.name))
        .text()
        .await
        .expect("a text body");
    let values: Vec<f64> = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            if series.split('{').next()? != name {
                return None;
            }
            value.trim().parse().ok()
        })
        .collect();
    assert!(!values.is_empty(), "node {} exposes no {name}", node.name);
    values.iter().sum()
}

/// A metric whose values are whole numbers: a counter or a sequence number.
async fn metric_whole(node: &Node, name: &str) -> i64 {
    metric(node, name).await.round() as i64
}

/// Polls the nodes' trimmed_seq until one of them reports at least `at_least`; answers the
/// highest reported.
async fn trimmed_reaches(nodes: &[&Node], at_least: i64) -> i64 {
    let what = format!("compaction trims the change log up to {at_least}");
    poll(&what, COMPACTED_WITHIN, async || {
        let mut highest = 0;
        for node in nodes {
            highest = highest.max(metric_whole(node, TRIMMED_SEQ).await);
        }
        if highest >= at_least {
            Ok(highest)
        } else {
            Err(format!("trimmed up to {highest}"))
        }
    })
    .await
}

/// The subjects of the saved-search alerts in the inbox of `token`'s owner, newest first.
async fn alerted_about(node: &Node, token: &str) -> Vec<String> {
    let answer = graphql(&node.base_url, Some(token), INBOX, json!({})).await;
    answer["data"]["notifications"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("node {} answers the inbox: {answer}", node.name))
        .iter()
        .filter(|edge| edge["node"]["kind"] == "SAVED_SEARCH_MATCHED")
        .map(|edge| {
            edge["node"]["subject"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// Polls the inbox (alerts are raised after the publication returns) until it holds `count`
/// alerts, then checks it holds no more; answers their subjects.
async fn inbox_reaches(node: &Node, token: &str, count: usize) -> Vec<String> {
    let what = format!("the inbox holds {count} alerts, read on node {}", node.name);
    let inbox = poll(&what, DELIVERED_WITHIN, async || {
        let alerts = alerted_about(node, token).await;
        if alerts.len() >= count {
            Ok(alerts)
        } else {
            Err(format!("{alerts:?}"))
        }
    })
    .await;
    assert_eq!(inbox.len(), count, "exactly {count} alerts: {inbox:?}");
    inbox
}

fn occurrences(inbox: &[String], id: &str) -> usize {
    inbox.iter().filter(|subject| *subject == id).count()
}

/// Polls the alerts counter, summed over `nodes`, until it reaches `count`; answers the sum.
async fn alerts_reach(nodes: &[&Node], count: usize) -> usize {
    let what = format!("the nodes count {count} alerts between them");
    poll(&what, DELIVERED_WITHIN, async || {
        let mut raised_on_every_node = 0;
        for node in nodes {
            raised_on_every_node += metric_whole(node, ALERTS).await;
        }
        let raised = usize::try_from(raised_on_every_node).expect("a count");
        if raised >= count {
            Ok(raised)
        } else {
            Err(format!("{raised} alerts"))
        }
    })
    .await
}

// ---- the shared database --------------------------------------------------------------------

/// The first column of every row `sql` answers.
async fn column<T: TryGetable>(
    database: &impl ConnectionTrait,
    sql: &str,
    values: Vec<SqlValue>,
) -> Vec<T> {
    let statement = Statement::from_sql_and_values(database.get_database_backend(), sql, values);
    database
        .query_all_raw(statement)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
        .iter()
        .map(|row| {
            row.try_get_by_index::<T>(0)
                .unwrap_or_else(|error| panic!("{sql}: {error}"))
        })
        .collect()
}

/// Runs `sql`; answers the rows it touched.
async fn execute(database: &impl ConnectionTrait, sql: &str, values: Vec<SqlValue>) -> u64 {
    let statement = Statement::from_sql_and_values(database.get_database_backend(), sql, values);
    database
        .execute_raw(statement)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
        .rows_affected()
}

async fn max_seq(database: &DatabaseConnection) -> i64 {
    column::<i64>(
        database,
        "SELECT coalesce(max(seq), 0) FROM change_log",
        vec![],
    )
    .await[0]
}

/// The change log's numbers above `seq`, in order.
async fn seqs_after(database: &DatabaseConnection, seq: i64) -> Vec<i64> {
    column(
        database,
        "SELECT seq FROM change_log WHERE seq > $1 ORDER BY seq",
        vec![seq.into()],
    )
    .await
}

/// The database key of the item titled `title`.
async fn key_of(database: &DatabaseConnection, title: &str) -> String {
    let keys = column::<String>(
        database,
        "SELECT id FROM content WHERE title = $1",
        vec![title.into()],
    )
    .await;
    assert_eq!(keys.len(), 1, "one item titled {title}");
    keys[0].clone()
}

/// Renames an item and logs the change in `transaction`, as the server's write path does;
/// answers the log entry's number.
async fn rename_in(transaction: &DatabaseTransaction, key: &str, title: &str) -> i64 {
    let renamed = execute(
        transaction,
        "UPDATE content SET title = $1, updated_at = now() WHERE id = $2",
        vec![title.into(), key.into()],
    )
    .await;
    assert_eq!(renamed, 1, "the item {key} is renamed");
    log_change_in(transaction, key).await
}

/// Logs a change of the item `key` in `transaction`, numbered by the sequence; answers the
/// number.
async fn log_change_in(transaction: &DatabaseTransaction, key: &str) -> i64 {
    column::<i64>(
        transaction,
        "INSERT INTO change_log (content_id, operation, created_at) VALUES ($1, 'UPDATED', now()) RETURNING seq",
        vec![key.into()],
    )
    .await[0]
}

/// The id `node` registered in cluster_nodes, found by the address it serves on.
async fn registered_id(database: &DatabaseConnection, node: &Node) -> String {
    let ids = column::<String>(
        database,
        "SELECT node_id FROM cluster_nodes WHERE address = $1",
        vec![node.address().into()],
    )
    .await;
    if ids.len() != 1 {
        let rows = column::<String>(
            database,
            "SELECT node_id || ' ' || coalesce(address, '-') || ' ' || applied_seq FROM cluster_nodes",
            vec![],
        )
        .await;
        panic!(
            "one row of cluster_nodes has node {}'s address {}: {rows:?}",
            node.name,
            node.address()
        );
    }
    ids[0].clone()
}

// ---- subscriptions --------------------------------------------------------------------------

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A graphql-transport-ws connection to `node`, as `token`'s owner or anonymous, running
/// `subscription`.
async fn subscribe(node: &Node, token: Option<&str>, subscription: &str) -> Socket {
    let mut request = format!("ws://{}/graphql/ws", node.address())
        .into_client_request()
        .expect("a websocket request");
    request.headers_mut().insert(
        SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _response) = connect_async(request)
        .await
        .unwrap_or_else(|error| panic!("node {} opens a websocket: {error}", node.name));
    let payload = match token {
        Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
        None => json!({}),
    };
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    let ack = next_message(&mut socket, DELIVERED_WITHIN).await;
    assert!(
        ack.as_ref()
            .is_some_and(|message| message["type"] == "connection_ack"),
        "node {} acknowledges the connection: {ack:?}",
        node.name
    );
    send(
        &mut socket,
        json!({ "type": "subscribe", "id": "1", "payload": { "query": subscription } }),
    )
    .await;
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("the message is sent");
}

/// The next protocol message within `wait`, or `None`; the server's pings are answered on the
/// way.
async fn next_message(socket: &mut Socket, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let frame = tokio::time::timeout_at(deadline, socket.next())
            .await
            .ok()?;
        match frame {
            Some(Ok(Message::Text(text))) => {
                let message: Value = serde_json::from_str(text.as_str()).expect("a JSON message");
                match message["type"].as_str() {
                    Some("ping") => send(socket, json!({ "type": "pong" })).await,
                    Some("pong") => {}
                    _ => return Some(message),
                }
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("the websocket ended or sent something else: {other:?}"),
        }
    }
}

/// The item a `next` message delivers on `field`, failing on anything else; `subscriber` names
/// the node the subscriber is connected to.
fn delivered_item(message: &Value, field: &str, subscriber: &str) -> Value {
    assert_eq!(
        message["type"], "next",
        "{subscriber}'s subscriber: {message}"
    );
    assert!(
        message["payload"]["errors"].is_null(),
        "{subscriber}'s subscriber: {message}"
    );
    message["payload"]["data"][field].clone()
}

fn is_sentinel(item: &Value) -> bool {
    item["title"]
        .as_str()
        .is_some_and(|title| title.starts_with(SENTINEL))
}

/// Publishes sentinels through `writer`, titled with `words` too, until every socket has
/// delivered one; answers how many were published.
async fn until_listening(
    writer: &Node,
    token: &str,
    sockets: &mut [Socket],
    field: &str,
    words: &str,
) -> usize {
    let mut listening = vec![false; sockets.len()];
    for attempt in 0..ATTEMPTS {
        create_and_publish(writer, token, &format!("{SENTINEL} {attempt} {words}")).await;
        for (socket, listens) in sockets.iter_mut().zip(listening.iter_mut()) {
            if !*listens && let Some(message) = next_message(socket, ATTEMPT).await {
                delivered_item(&message, field, "a node");
                *listens = true;
            }
        }
        if listening.iter().all(|listens| *listens) {
            return attempt + 1;
        }
    }
    panic!("not every subscriber got a sentinel: {listening:?}");
}

/// The next item delivered on `field` that is not a (late) sentinel.
async fn next_delivery(socket: &mut Socket, field: &str, subscriber: &str) -> Value {
    let started = Instant::now();
    loop {
        let left = DELIVERED_WITHIN.saturating_sub(started.elapsed());
        let message = next_message(socket, left).await.unwrap_or_else(|| {
            panic!("{subscriber}'s subscriber got nothing within {DELIVERED_WITHIN:?}")
        });
        let item = delivered_item(&message, field, subscriber);
        if !is_sentinel(&item) {
            return item;
        }
    }
}

/// Fails when anything but a late sentinel is delivered within [`QUIET_FOR`].
async fn assert_quiet(socket: &mut Socket, field: &str, subscriber: &str) {
    while let Some(message) = next_message(socket, QUIET_FOR).await {
        let item = delivered_item(&message, field, subscriber);
        assert!(
            is_sentinel(&item),
            "{subscriber}'s subscriber got a delivery too many: {item}"
        );
    }
}

// ---- waiting --------------------------------------------------------------------------------

async fn all_ready(nodes: &[&Node]) {
    futures_util::future::join_all(nodes.iter().map(|node| wait_ready(&node.base_url))).await;
}

/// Calls `attempt` every [`POLL_EVERY`] until it answers `Ok`, and answers that; fails once
/// `within` has passed, with the last `Err`, which says what was seen instead.
async fn poll<T>(
    what: &str,
    within: Duration,
    mut attempt: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let started = Instant::now();
    loop {
        match attempt().await {
            Ok(value) => return value,
            Err(seen) if started.elapsed() >= within => {
                panic!("{what}: not within {within:?}; last seen: {seen}")
            }
            Err(_) => {}
        }
        // Another process is watched: there is nothing in this one to wait on instead.
        tokio::time::sleep(POLL_EVERY).await;
    }
}
