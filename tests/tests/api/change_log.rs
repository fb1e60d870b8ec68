//! The change log: one row per content change, written in the same transaction.

use entities::{change_log, content};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::fixtures::{create_opportunity, opportunity_input, transition};
use crate::harness::{TestApp, spawn_app};

async fn log_of(app: &TestApp, key: &str) -> Vec<change_log::Model> {
    change_log::Entity::find()
        .filter(change_log::Column::ContentId.eq(key))
        .order_by_asc(change_log::Column::Seq)
        .all(app.state.db.connection())
        .await
        .unwrap()
}

/// The database key behind a global id.
async fn key_of(app: &TestApp, title: &str) -> content::Model {
    content::Entity::find()
        .filter(content::Column::Title.eq(title))
        .one(app.state.db.connection())
        .await
        .unwrap()
        .expect("the item is stored")
}

#[tokio::test]
async fn every_content_change_appends_one_log_row_stamped_like_the_change() {
    let app = spawn_app().await;
    let author = app.correspondent(false).await;
    let secretariat = app.secretariat().await;
    let id = create_opportunity(
        &app,
        &author,
        opportunity_input("Logged item", &["CN"], &["0303"], "PUBLIC"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let row = key_of(&app, "Logged item").await;
    let log = log_of(&app, &row.id).await;
    assert_eq!(
        log.iter()
            .map(|entry| entry.operation.as_str())
            .collect::<Vec<_>>(),
        ["CREATED"]
    );
    assert_eq!(
        log[0].created_at, row.updated_at,
        "written with the change, at the same instant"
    );

    let update = "mutation($id: ID!, $input: OpportunityInput!) { updateOpportunity(id: $id, input: $input) { id } }";
    app.ok(Some(&author.token), update, json!({ "id": id, "input": opportunity_input("Logged item", &["CN", "VN"], &["0303"], "PUBLIC") })).await;
    transition(&app, &author, "submitContent", &id).await;
    transition(&app, &secretariat, "approveContent", &id).await;
    // A refused change writes nothing.
    let refused = app
        .error_code(
            Some(&secretariat.token),
            "mutation($id: ID!) { approveContent(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(refused, "CONFLICT");

    let log = log_of(&app, &row.id).await;
    assert_eq!(
        log.iter()
            .map(|entry| entry.operation.as_str())
            .collect::<Vec<_>>(),
        ["CREATED", "UPDATED", "STATUS_CHANGED", "STATUS_CHANGED"]
    );
    assert!(
        log.windows(2).all(|pair| pair[0].seq < pair[1].seq),
        "sequence numbers increase"
    );
    let latest = key_of(&app, "Logged item").await;
    assert_eq!(log.last().unwrap().created_at, latest.updated_at);
}

#[tokio::test]
async fn concurrent_writers_all_succeed_and_each_gets_its_own_sequence_number() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let writers = (0..12).map(|index| {
        let app = &app;
        let author = &author;
        async move {
            let answer = app
                .graphql(Some(&author.token), "mutation($input: OpportunityInput!) { createOpportunity(input: $input) { id } }", json!({ "input": opportunity_input(&format!("Concurrent {index}"), &["SG"], &["0301"], "PUBLIC") }))
                .await;
            assert!(answer.get("errors").is_none(), "no writer fails (no 'database is locked'): {answer:#}");
        }
    });
    futures_util::future::join_all(writers).await;
    let log = change_log::Entity::find()
        .all(app.state.db.connection())
        .await
        .unwrap();
    assert_eq!(log.len(), 12);
    let mut sequence: Vec<i64> = log.iter().map(|entry| entry.seq).collect();
    sequence.sort();
    sequence.dedup();
    assert_eq!(sequence.len(), 12);
}

#[tokio::test]
async fn sqlite_keeps_acknowledged_writes_durable() {
    let app = spawn_app().await;
    let connection = app.state.db.connection();
    if connection.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
        return; // PostgreSQL's durability is the server's own configuration.
    }
    let pragma = |name: &'static str| async move {
        let statement = sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            format!("PRAGMA {name}"),
        );
        let row = connection.query_one_raw(statement).await.unwrap().unwrap();
        row.try_get_by_index::<String>(0)
            .or_else(|_| {
                row.try_get_by_index::<i64>(0)
                    .map(|value| value.to_string())
            })
            .unwrap()
    };
    assert_eq!(pragma("journal_mode").await, "wal");
    assert_eq!(
        pragma("synchronous").await,
        "2",
        "FULL: a commit reaches the disk before it is acknowledged"
    );
    assert_eq!(pragma("foreign_keys").await, "1");
}
