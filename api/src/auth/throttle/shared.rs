//! The throttles of a cluster: under PostgreSQL the counts live in the database, so that
//! every node counts the same attempts (N nodes must not give a guesser N times the tries).
//! The rules are the in-memory throttle's, table for table; only where the counts live
//! differs. A single node on SQLite keeps them in memory ([`Throttle`]).
//!
//! Counts are kept per table, key and slot (a fifteenth of the table's window, in wall-clock
//! time). An attempt whose count is already full is refused by one read, with no write and
//! no lock (a flood past a limit costs little). Otherwise it is admitted in a transaction that
//! holds an advisory lock per key it counts under (at most 250 ms of waiting, else refused as
//! under attack), reads the windows' sums and adds itself: concurrent attempts on any node,
//! whatever slot their clocks put them in, take their turns, so none slips past a limit. Settling an attempt (the right password) takes it back
//! and forgets the pair's failures as the in-memory throttle does.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, TransactionTrait, Value,
};

use super::{Attempt, Key, SLOTS_PER_WINDOW, Table, Throttle, login_keys, registration_key};
use crate::error::{Error, Result};

const RING: i64 = SLOTS_PER_WINDOW as i64 + 1;

/// The login and sign-up throttles: this process's, or the cluster's.
pub enum Throttles {
    Here(Box<Throttle>),
    Shared(DatabaseConnection),
}

impl Default for Throttles {
    fn default() -> Self {
        Throttles::Here(Box::default())
    }
}

/// An admitted attempt, counted until it is settled; dropped unsettled, it is taken back.
#[must_use = "an attempt dropped unsettled is taken back"]
pub enum Admitted<'a> {
    Here(Attempt<'a>),
    Shared(SharedAttempt),
}

impl Admitted<'_> {
    /// The attempt stands: a wrong password, or a sign-up that was tried.
    pub async fn count(self) {
        match self {
            Admitted::Here(attempt) => attempt.count(),
            Admitted::Shared(mut attempt) => attempt.settled = true,
        }
    }

    /// The right password: taken back, the pair's failures forgotten, the address known.
    pub async fn succeeded(self) {
        match self {
            Admitted::Here(attempt) => attempt.succeeded(),
            Admitted::Shared(mut attempt) => {
                attempt.settled = true;
                if let Err(error) = attempt.settle_success().await {
                    tracing::warn!(
                        ?error,
                        "a successful login could not clear its throttle counts"
                    );
                }
            }
        }
    }
}

pub struct SharedAttempt {
    connection: DatabaseConnection,
    counted: Vec<(Table, Key, i64)>,
    pair: Option<Key>,
    settled: bool,
}

impl Drop for SharedAttempt {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        // Never reached a password: take it back, after the fact.
        let connection = self.connection.clone();
        let counted = std::mem::take(&mut self.counted);
        tokio::spawn(async move {
            for (table, key, slot) in counted {
                let _ = take_back(&connection, table, &key, slot).await;
            }
        });
    }
}

impl Throttles {
    /// The cluster's throttles under PostgreSQL, this process's otherwise.
    pub fn for_database(connection: &DatabaseConnection) -> Self {
        match connection.get_database_backend() {
            DatabaseBackend::Postgres => Throttles::Shared(connection.clone()),
            _ => Throttles::default(),
        }
    }

    /// Admits a login attempt for `account` (the normalised email) from `address`, counted as
    /// a failure until it succeeds, or refuses it with `RATE_LIMITED`.
    pub async fn admit_login(&self, account: &str, address: Option<&str>) -> Result<Admitted<'_>> {
        match self {
            Throttles::Here(throttle) => throttle.admit_login(account, address).map(Admitted::Here),
            Throttles::Shared(connection) => {
                let (pair, counted) = login_keys(account, address);
                admit(connection, counted, Some(pair)).await
            }
        }
    }

    /// Admits a sign-up from `address`, or refuses it with `RATE_LIMITED`.
    pub async fn admit_registration(&self, address: Option<&str>) -> Result<Admitted<'_>> {
        match self {
            Throttles::Here(throttle) => throttle.admit_registration(address).map(Admitted::Here),
            Throttles::Shared(connection) => {
                let counted = vec![(Table::Registration, registration_key(address))];
                admit(connection, counted, None).await
            }
        }
    }

    /// Removes counts whose window has passed (run with the change log's compaction).
    pub async fn forget_expired(&self) -> Result<()> {
        let Throttles::Shared(connection) = self else {
            return Ok(());
        };
        for table in Table::ALL {
            execute(
                connection,
                "DELETE FROM throttle_counts WHERE counter = $1 AND slot < $2",
                [code(table).into(), (slot_now(table) - RING).into()],
            )
            .await?;
        }
        Ok(())
    }
}

async fn admit<'a>(
    connection: &DatabaseConnection,
    counted: Vec<(Table, Key)>,
    pair: Option<Key>,
) -> Result<Admitted<'a>> {
    let mut looked_up = counted.clone();
    if let Some(pair) = pair {
        looked_up.push((Table::KnownPair, pair));
    }
    // Refused without a write while a count is already full: a flood past the limit costs
    // one read per attempt and takes no lock.
    let before = totals(connection, &looked_up).await?;
    if over_limit(&counted, pair, &before) {
        return Err(Error::RateLimited);
    }
    let transaction = connection.begin().await?;
    // One attempt at a time per key, across nodes and slots; a key so contended that its
    // lock is not free soon is under attack, and the attempt is refused.
    transaction
        .execute_unprepared("SET LOCAL lock_timeout = '250ms'")
        .await?;
    let mut locks: Vec<i64> = counted
        .iter()
        .map(|(table, key)| lock_id(*table, key))
        .collect();
    locks.sort_unstable();
    for lock in locks {
        if let Err(error) = execute(
            &transaction,
            "SELECT pg_advisory_xact_lock($1)",
            [lock.into()],
        )
        .await
        {
            let timed_out =
                matches!(&error, Error::Internal(cause) if format!("{cause:?}").contains("55P03"));
            transaction.rollback().await.ok();
            return Err(if timed_out { Error::RateLimited } else { error });
        }
    }
    let now = totals(&transaction, &looked_up).await?;
    // This attempt is not counted yet: refused when it would make one more than the limit.
    if over_limit(&counted, pair, &now) {
        transaction.rollback().await?;
        return Err(Error::RateLimited);
    }
    let mut stamped = Vec::with_capacity(counted.len());
    for (table, key) in counted {
        let slot = slot_now(table);
        execute(
            &transaction,
            "INSERT INTO throttle_counts (counter, key, slot, count) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (counter, key, slot) DO UPDATE SET count = throttle_counts.count + 1",
            [code(table).into(), bytes(&key), slot.into()],
        )
        .await?;
        stamped.push((table, key, slot));
    }
    transaction.commit().await?;
    Ok(Admitted::Shared(SharedAttempt {
        connection: connection.clone(),
        counted: stamped,
        pair,
        settled: false,
    }))
}

/// Whether an attempt counted under `counted` would pass a limit, given the counts `totals`
/// (the owner's known address exempts it from the account's own ceiling, as in memory).
fn over_limit(
    counted: &[(Table, Key)],
    pair: Option<Key>,
    totals: &HashMap<(i32, Key), i64>,
) -> bool {
    let count = |table: Table, key: &Key| totals.get(&(code(table), *key)).copied().unwrap_or(0);
    let owners_address = pair.is_some_and(|pair| count(Table::KnownPair, &pair) > 0);
    counted.iter().any(|(table, key)| {
        let exempt = *table == Table::LoginAccount && owners_address;
        !exempt && count(*table, key) >= table.limit() as i64
    })
}

/// The counts of `keys` over the windows that end now, in one statement.
async fn totals(
    connection: &impl ConnectionTrait,
    keys: &[(Table, Key)],
) -> Result<HashMap<(i32, Key), i64>> {
    let mut conditions = Vec::with_capacity(keys.len());
    let mut values: Vec<Value> = Vec::with_capacity(keys.len() * 3);
    for (table, key) in keys {
        let at = values.len();
        conditions.push(format!(
            "(counter = ${} AND key = ${} AND slot > ${})",
            at + 1,
            at + 2,
            at + 3
        ));
        values.push(code(*table).into());
        values.push(bytes(key));
        values.push((slot_now(*table) - RING).into());
    }
    let sql = format!(
        "SELECT counter, key, COALESCE(SUM(count), 0)::bigint AS total FROM throttle_counts \
         WHERE {} GROUP BY counter, key",
        conditions.join(" OR ")
    );
    let rows = connection
        .query_all_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    let mut totals = HashMap::with_capacity(rows.len());
    for row in rows {
        let counter: i32 = row.try_get("", "counter")?;
        let key: Vec<u8> = row.try_get("", "key")?;
        let total: i64 = row.try_get("", "total")?;
        if let Ok(key) = Key::try_from(key.as_slice()) {
            totals.insert((counter, key), total);
        }
    }
    Ok(totals)
}

/// The advisory lock of a count: its table and the first bytes of its key's digest.
fn lock_id(table: Table, key: &Key) -> i64 {
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&key[..8]);
    i64::from_be_bytes(bytes) ^ i64::from(code(table))
}

impl SharedAttempt {
    async fn settle_success(&self) -> Result<()> {
        for (table, key, slot) in &self.counted {
            match table {
                Table::LoginPair => {
                    execute(
                        &self.connection,
                        "DELETE FROM throttle_counts WHERE counter = $1 AND key = $2",
                        [code(*table).into(), bytes(key)],
                    )
                    .await?;
                }
                _ => take_back(&self.connection, *table, key, *slot).await?,
            }
        }
        if let Some(pair) = self.pair {
            execute(
                &self.connection,
                "INSERT INTO throttle_counts (counter, key, slot, count) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (counter, key, slot) DO UPDATE SET count = throttle_counts.count + 1",
                [
                    code(Table::KnownPair).into(),
                    bytes(&pair),
                    slot_now(Table::KnownPair).into(),
                ],
            )
            .await?;
        }
        Ok(())
    }
}

async fn take_back(
    connection: &impl ConnectionTrait,
    table: Table,
    key: &Key,
    slot: i64,
) -> Result<()> {
    execute(
        connection,
        "UPDATE throttle_counts SET count = count - 1 \
         WHERE counter = $1 AND key = $2 AND slot = $3 AND count > 0",
        [code(table).into(), bytes(key), slot.into()],
    )
    .await
}

async fn execute<const N: usize>(
    connection: &impl ConnectionTrait,
    sql: &str,
    values: [Value; N],
) -> Result<()> {
    connection
        .execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    Ok(())
}

fn code(table: Table) -> i32 {
    match table {
        Table::LoginPair => 1,
        Table::LoginAddress => 2,
        Table::LoginAccount => 3,
        Table::KnownPair => 4,
        Table::Registration => 5,
    }
}

fn bytes(key: &Key) -> Value {
    Value::Bytes(Some(key.to_vec()))
}

/// The slot of `table` that holds now: wall-clock time, the same on every node.
fn slot_now(table: Table) -> i64 {
    let slot_length: Duration = table.window() / SLOTS_PER_WINDOW;
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (since_epoch.as_millis() / slot_length.as_millis().max(1)) as i64
}
