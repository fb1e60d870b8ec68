//! Who may try again: the throttles on password guessing and on sign-ups, and who the client
//! is (the address they are counted under).
//!
//! Failed logins are counted three ways, so that guessing is slow whatever the guesser
//! varies, yet a stranger's failures cannot lock an owner out (the numbers, with their
//! reasons, are in `limits.rs`):
//!
//! | counted per | limit | slows | meanwhile, the account's owner |
//! |---|---|---|---|
//! | account and client address | `MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS` in `THROTTLE_WINDOW` | guessing one account from one place | signs in from any other address |
//! | client address | `MAX_FAILURES_PER_ADDRESS` in `THROTTLE_WINDOW` | one place guessing many accounts | signs in from any other address |
//! | account | `MAX_FAILURES_PER_ACCOUNT` in `ACCOUNT_THROTTLE_WINDOW` | one account guessed from many places | signs in from any address the right password came from within `KNOWN_ADDRESS_MEMORY` |
//!
//! An attempt is counted when it is admitted, before its password is hashed, so concurrent
//! attempts cannot slip past a limit together, and a refused attempt costs no hash. The right
//! password takes its attempt back and clears the account's failures from that address (not
//! the address's failures on other accounts, nor the account's from elsewhere: an attacker
//! who knows one password must not reset what guards the others). An attempt that never
//! reached the hash (the hashing queue was full, the database failed) is taken back too.
//!
//! Sign-ups are counted per client address (`MAX_REGISTRATIONS_PER_ADDRESS` in
//! `REGISTRATION_WINDOW`), whether they succeed or find the email taken (so
//! probing which emails have accounts is slowed as well).
//!
//! **Where the counts live.** Under PostgreSQL, in the database, shared by every node of a
//! cluster (`shared.rs`, the same rules). On SQLite (a single node), in this process's memory. Counts are kept per key in slots of a
//! fifteenth of their window, so a key costs the same few dozen bytes however many attempts it
//! saw, and a count is forgotten between one window and one window and a slot after it was
//! made. Keys are digests, so a megabyte-long "email" costs no more than a short one. Each
//! table tracks at most `THROTTLE_MAX_TRACKED_KEYS` keys; when a new key finds it full, the
//! expired keys are dropped, and if that is not enough the least recently seen eighth is
//! forgotten, their counts starting again from zero. That favours the keys under attack right
//! now; an attacker would need that many fresh addresses or accounts within a window to flush
//! a count, and the per-address count stops one address from cycling through accounts.
//!
//! **IPv6** clients are counted per /64 network, the block one subscriber usually gets, since
//! cycling through the addresses within it costs an attacker nothing.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

mod shared;

pub use shared::{Admitted, Throttles};

use crate::error::{Error, Result};
use crate::limits::{
    ACCOUNT_THROTTLE_WINDOW, KNOWN_ADDRESS_MEMORY, MAX_FAILURES_PER_ACCOUNT,
    MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS, MAX_FAILURES_PER_ADDRESS, MAX_REGISTRATIONS_PER_ADDRESS,
    REGISTRATION_WINDOW, THROTTLE_MAX_TRACKED_KEYS, THROTTLE_WINDOW,
};

// ---- counting in a sliding window, in bounded memory --------------------------------------

/// A window is counted in this many slots, plus the slot in progress.
const SLOTS_PER_WINDOW: u32 = 15;
const RING: usize = SLOTS_PER_WINDOW as usize + 1;

/// A digest of what is counted: an account, an address, or both.
type Key = [u8; 16];

fn key(parts: &[&str]) -> Key {
    let mut digest = Sha256::new();
    for part in parts {
        digest.update(part.as_bytes());
        digest.update([0]);
    }
    let mut key = [0; 16];
    key.copy_from_slice(&digest.finalize()[..16]);
    key
}

/// One key's counts in the slots of its window; slot `n` lives at `counts[n % RING]`.
struct Tally {
    newest_slot: u64,
    counts: [u16; RING],
}

impl Tally {
    fn advance_to(&mut self, slot: u64) {
        if slot <= self.newest_slot {
            return;
        }
        if slot - self.newest_slot >= RING as u64 {
            self.counts = [0; RING];
        } else {
            for passed in self.newest_slot + 1..=slot {
                self.counts[passed as usize % RING] = 0;
            }
        }
        self.newest_slot = slot;
    }

    fn holds(&self, slot: u64) -> bool {
        slot <= self.newest_slot && self.newest_slot - slot < RING as u64
    }

    fn total(&self) -> usize {
        self.counts.iter().map(|count| usize::from(*count)).sum()
    }
}

/// Counts per key within a sliding window, for at most `capacity` keys.
struct Counts {
    limit: usize,
    slot_length: Duration,
    origin: Instant,
    capacity: usize,
    tallies: HashMap<Key, Tally>,
}

impl Counts {
    fn new(window: Duration, limit: usize, origin: Instant, capacity: usize) -> Self {
        Self {
            limit,
            slot_length: window / SLOTS_PER_WINDOW,
            origin,
            capacity,
            tallies: HashMap::new(),
        }
    }

    fn slot(&self, at: Instant) -> u64 {
        let elapsed = at.saturating_duration_since(self.origin);
        (elapsed.as_nanos() / self.slot_length.as_nanos()) as u64
    }

    /// How many were counted for `key` within the window; drops the key when none were.
    fn count(&mut self, key: &Key, at: Instant) -> usize {
        let slot = self.slot(at);
        let Some(tally) = self.tallies.get_mut(key) else {
            return 0;
        };
        tally.advance_to(slot);
        let total = tally.total();
        if total == 0 {
            self.tallies.remove(key);
        }
        total
    }

    fn is_full(&mut self, key: &Key, at: Instant) -> bool {
        self.count(key, at) >= self.limit
    }

    fn add(&mut self, key: Key, at: Instant) {
        let slot = self.slot(at);
        if !self.tallies.contains_key(&key) && self.tallies.len() >= self.capacity {
            self.make_room(slot);
        }
        let tally = self.tallies.entry(key).or_insert(Tally {
            newest_slot: slot,
            counts: [0; RING],
        });
        tally.advance_to(slot);
        if tally.holds(slot) {
            let count = &mut tally.counts[slot as usize % RING];
            *count = count.saturating_add(1);
        }
    }

    /// Undoes one `add(key, at)`, if it is still counted.
    fn take_back(&mut self, key: &Key, at: Instant) {
        let slot = self.slot(at);
        let Some(tally) = self.tallies.get_mut(key) else {
            return;
        };
        if tally.holds(slot) {
            let count = &mut tally.counts[slot as usize % RING];
            *count = count.saturating_sub(1);
        }
        if tally.total() == 0 {
            self.tallies.remove(key);
        }
    }

    fn forget(&mut self, key: &Key) {
        self.tallies.remove(key);
    }

    /// Drops the expired keys, then, if the table is still full, the least recently seen
    /// eighth (at once, so that a flood of new keys pays for this once per eighth, not per key).
    fn make_room(&mut self, slot: u64) {
        self.tallies
            .retain(|_, tally| slot.saturating_sub(tally.newest_slot) < RING as u64);
        if self.tallies.len() < self.capacity {
            return;
        }
        let mut by_age: Vec<(u64, Key)> = self
            .tallies
            .iter()
            .map(|(key, tally)| (tally.newest_slot, *key))
            .collect();
        let forgotten = (self.capacity / 8).max(1);
        by_age.select_nth_unstable(forgotten - 1);
        for (_, key) in &by_age[..forgotten] {
            self.tallies.remove(key);
        }
    }
}

// ---- the throttles ------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    LoginPair,
    LoginAddress,
    LoginAccount,
    /// (account, address) pairs that gave the right password lately: the owner's own places.
    KnownPair,
    Registration,
}

impl Table {
    const ALL: [Table; 5] = [
        Table::LoginPair,
        Table::LoginAddress,
        Table::LoginAccount,
        Table::KnownPair,
        Table::Registration,
    ];

    fn window(self) -> Duration {
        match self {
            Table::LoginPair | Table::LoginAddress => THROTTLE_WINDOW,
            Table::LoginAccount => ACCOUNT_THROTTLE_WINDOW,
            Table::KnownPair => KNOWN_ADDRESS_MEMORY,
            Table::Registration => REGISTRATION_WINDOW,
        }
    }

    fn limit(self) -> usize {
        match self {
            Table::LoginPair => MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
            Table::LoginAddress => MAX_FAILURES_PER_ADDRESS,
            Table::LoginAccount => MAX_FAILURES_PER_ACCOUNT,
            Table::KnownPair => 1,
            Table::Registration => MAX_REGISTRATIONS_PER_ADDRESS,
        }
    }
}

struct Tables {
    login_pairs: Counts,
    login_addresses: Counts,
    login_accounts: Counts,
    /// (account, address) pairs that gave the right password lately: the owner's own places.
    known_pairs: Counts,
    registrations: Counts,
}

impl Tables {
    fn table(&mut self, table: Table) -> &mut Counts {
        match table {
            Table::LoginPair => &mut self.login_pairs,
            Table::LoginAddress => &mut self.login_addresses,
            Table::LoginAccount => &mut self.login_accounts,
            Table::KnownPair => &mut self.known_pairs,
            Table::Registration => &mut self.registrations,
        }
    }
}

/// The login and sign-up throttles of this process.
pub struct Throttle {
    tables: Mutex<Tables>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::with_capacity(THROTTLE_MAX_TRACKED_KEYS)
    }
}

/// An admitted attempt, counted until it is settled. Dropping it unsettled takes it back: the
/// attempt never tested a password (it was refused for capacity, or failed inside).
#[must_use = "an attempt dropped unsettled is taken back"]
pub struct Attempt<'a> {
    throttle: &'a Throttle,
    counted: Vec<(Table, Key)>,
    pair: Option<Key>,
    at: Instant,
    settled: bool,
}

impl Attempt<'_> {
    /// The attempt stands: a wrong password, or a sign-up that was tried.
    pub fn count(mut self) {
        self.settled = true;
    }

    /// The right password: the attempt is taken back, the account's failures from this
    /// address are forgotten, and the address is remembered as one of the owner's.
    pub fn succeeded(mut self) {
        self.settled = true;
        let mut tables = self.throttle.tables();
        for (table, key) in &self.counted {
            match table {
                Table::LoginPair => tables.login_pairs.forget(key),
                _ => tables.table(*table).take_back(key, self.at),
            }
        }
        if let Some(pair) = self.pair {
            tables.known_pairs.add(pair, self.at);
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let mut tables = self.throttle.tables();
        for (table, key) in &self.counted {
            tables.table(*table).take_back(key, self.at);
        }
    }
}

impl Throttle {
    fn with_capacity(capacity: usize) -> Self {
        let origin = Instant::now();
        let counts = |table: Table| Counts::new(table.window(), table.limit(), origin, capacity);
        Self {
            tables: Mutex::new(Tables {
                login_pairs: counts(Table::LoginPair),
                login_addresses: counts(Table::LoginAddress),
                login_accounts: counts(Table::LoginAccount),
                known_pairs: counts(Table::KnownPair),
                registrations: counts(Table::Registration),
            }),
        }
    }

    /// The counts are plain numbers, consistent after any panic: a poisoned lock is used as is.
    fn tables(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits a login attempt for `account` (the normalised email) from `address`, counted as
    /// a failure until it succeeds, or refuses it with `RATE_LIMITED`.
    pub fn admit_login(&self, account: &str, address: Option<&str>) -> Result<Attempt<'_>> {
        self.admit_login_at(account, address, Instant::now())
    }

    fn admit_login_at(
        &self,
        account: &str,
        address: Option<&str>,
        now: Instant,
    ) -> Result<Attempt<'_>> {
        let (pair, counted) = login_keys(account, address);
        let mut tables = self.tables();
        let owners_address = tables.known_pairs.count(&pair, now) > 0;
        for (table, key) in &counted {
            let exempt = *table == Table::LoginAccount && owners_address;
            if !exempt && tables.table(*table).is_full(key, now) {
                return Err(Error::RateLimited);
            }
        }
        for (table, key) in &counted {
            tables.table(*table).add(*key, now);
        }
        Ok(Attempt {
            throttle: self,
            counted,
            pair: Some(pair),
            at: now,
            settled: false,
        })
    }

    /// Admits a sign-up from `address`, or refuses it with `RATE_LIMITED`.
    pub fn admit_registration(&self, address: Option<&str>) -> Result<Attempt<'_>> {
        self.admit_registration_at(address, Instant::now())
    }

    fn admit_registration_at(&self, address: Option<&str>, now: Instant) -> Result<Attempt<'_>> {
        let address = registration_key(address);
        let mut tables = self.tables();
        if tables.registrations.is_full(&address, now) {
            return Err(Error::RateLimited);
        }
        tables.registrations.add(address, now);
        Ok(Attempt {
            throttle: self,
            counted: vec![(Table::Registration, address)],
            pair: None,
            at: now,
            settled: false,
        })
    }
}

/// What a login attempt is counted under: the (account, address) pair, and each table's key.
fn login_keys(account: &str, address: Option<&str>) -> (Key, Vec<(Table, Key)>) {
    let address = counted_address(address);
    let pair = key(&[account, &address]);
    let counted = vec![
        (Table::LoginPair, pair),
        (Table::LoginAddress, key(&[&address])),
        (Table::LoginAccount, key(&[account])),
    ];
    (pair, counted)
}

fn registration_key(address: Option<&str>) -> Key {
    key(&[&counted_address(address)])
}

/// What an address is counted as: an IPv4 address, or an IPv6 address's /64 network. Callers
/// without an address (none come over HTTP) share one count.
fn counted_address(address: Option<&str>) -> String {
    let Some(address) = address else {
        return String::new();
    };
    match address.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(IpAddr::V6(ip)) => {
            let network = Ipv6Addr::from(u128::from(ip) & !(u64::MAX as u128));
            format!("{network}/64")
        }
        Ok(ip) => ip.to_string(),
        Err(_) => address.to_owned(),
    }
}

// ---- who the client is ----------------------------------------------------------------------

/// An IP address or a CIDR range (`10.0.0.0/8`, `fd00::/8`), as `HARBOR_TRUSTED_PROXIES`
/// lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix_length: u8,
}

impl IpRange {
    fn masked(ip: IpAddr, prefix_length: u8) -> IpAddr {
        match ip {
            IpAddr::V4(ip) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(prefix_length))
                    .unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(ip) & mask))
            }
            IpAddr::V6(ip) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(prefix_length))
                    .unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(ip) & mask))
            }
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.network.is_ipv4()
            && Self::masked(ip, self.prefix_length) == self.network
    }
}

impl FromStr for IpRange {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        let text = text.trim();
        let invalid = || format!("'{text}' is neither an IP address nor a CIDR range");
        let (address, prefix_length) = match text.split_once('/') {
            Some((address, prefix_length)) => (address, Some(prefix_length)),
            None => (text, None),
        };
        let ip: IpAddr = address.parse().map_err(|_| invalid())?;
        let longest = if ip.is_ipv4() { 32 } else { 128 };
        let prefix_length = match prefix_length {
            Some(prefix_length) => prefix_length
                .parse::<u8>()
                .ok()
                .filter(|length| *length <= longest)
                .ok_or_else(invalid)?,
            None => longest,
        };
        Ok(Self {
            network: Self::masked(ip, prefix_length),
            prefix_length,
        })
    }
}

impl std::fmt::Display for IpRange {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}/{}", self.network, self.prefix_length)
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    ranges: Vec<IpRange>,
}

impl TrustedProxies {
    pub fn new(ranges: Vec<IpRange>) -> Self {
        Self { ranges }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.ranges.iter().any(|range| range.contains(ip))
    }

    /// The client's address, from the socket's `peer` and the raw `X-Forwarded-For` header
    /// values in the order received. Anyone can send the header, so it counts only when the
    /// peer is a trusted proxy; then the client is the right-most forwarded address that is
    /// not itself a trusted proxy (each proxy appends the address it saw; what is left of
    /// that came from the client and may be made up). When every hop is a trusted proxy the
    /// left-most is the client. A malformed value, or none, leaves the peer as the client.
    pub fn client_address(&self, peer: IpAddr, forwarded_for: &[&[u8]]) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        self.forwarded_client(forwarded_for).unwrap_or(peer)
    }

    fn forwarded_client(&self, forwarded_for: &[&[u8]]) -> Option<IpAddr> {
        let mut client = None;
        for value in forwarded_for.iter().rev() {
            let value = std::str::from_utf8(value).ok()?;
            for hop in value.split(',').rev() {
                let hop = parse_hop(hop)?;
                if !self.trusts(hop) {
                    return Some(hop);
                }
                client = Some(hop);
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, or an address with a port as some proxies write.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = hop
        .parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: &str = "owner@example.org";

    /// The instant the throttle's slots count from.
    fn start_of(throttle: &Throttle) -> Instant {
        throttle.tables().login_pairs.origin
    }

    fn fail(throttle: &Throttle, account: &str, address: &str, at: Instant) {
        throttle
            .admit_login_at(account, Some(address), at)
            .expect("admitted")
            .count();
    }

    fn admitted(throttle: &Throttle, account: &str, address: &str, at: Instant) -> bool {
        throttle
            .admit_login_at(account, Some(address), at)
            .map(Attempt::succeeded)
            .is_ok()
    }

    #[test]
    fn a_strangers_failures_do_not_stop_the_owner_at_their_own_address() {
        let throttle = Throttle::default();
        let now = start_of(&throttle);
        for _ in 0..MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
            fail(&throttle, OWNER, "198.51.100.7", now);
        }
        assert!(
            throttle
                .admit_login_at(OWNER, Some("198.51.100.7"), now)
                .is_err(),
            "the stranger's address waits"
        );
        assert!(admitted(&throttle, OWNER, "203.0.113.5", now));
        assert!(admitted(
            &throttle,
            "other@example.org",
            "198.51.100.7",
            now
        ));
    }

    #[test]
    fn failures_from_one_address_are_counted_across_accounts() {
        let throttle = Throttle::default();
        let now = start_of(&throttle);
        for number in 0..MAX_FAILURES_PER_ADDRESS {
            fail(
                &throttle,
                &format!("user{number}@example.org"),
                "10.0.0.9",
                now,
            );
        }
        assert!(
            throttle
                .admit_login_at(OWNER, Some("10.0.0.9"), now)
                .is_err()
        );
        assert!(admitted(&throttle, OWNER, "10.0.0.8", now));
    }

    #[test]
    fn the_account_ceiling_stops_a_spread_guesser_but_not_the_owner_at_a_known_address() {
        let throttle = Throttle::default();
        let now = start_of(&throttle);
        assert!(admitted(&throttle, OWNER, "203.0.113.5", now));
        for number in 0..MAX_FAILURES_PER_ACCOUNT {
            fail(
                &throttle,
                OWNER,
                &format!("10.1.{}.{}", number / 250, number % 250),
                now,
            );
        }
        assert!(
            throttle
                .admit_login_at(OWNER, Some("10.9.9.9"), now)
                .is_err(),
            "a fresh address meets the account's ceiling"
        );
        assert!(
            admitted(&throttle, OWNER, "203.0.113.5", now),
            "the owner's address is exempt"
        );
    }

    #[test]
    fn the_right_password_clears_only_its_own_address_failures_on_the_account() {
        let throttle = Throttle::default();
        let now = start_of(&throttle);
        for _ in 0..MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS - 1 {
            fail(&throttle, OWNER, "10.0.0.1", now);
        }
        assert!(admitted(&throttle, OWNER, "10.0.0.1", now));
        for _ in 0..MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
            fail(&throttle, OWNER, "10.0.0.1", now);
        }
        assert!(
            throttle
                .admit_login_at(OWNER, Some("10.0.0.1"), now)
                .is_err()
        );
        let mut tables = throttle.tables();
        assert_eq!(
            tables.login_addresses.count(&key(&["10.0.0.1"]), now),
            2 * MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS - 1,
            "the success itself is not counted, the failures before it stay"
        );
    }

    #[test]
    fn failures_are_forgotten_once_their_window_has_passed() {
        let throttle = Throttle::default();
        let start = start_of(&throttle);
        for _ in 0..MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
            fail(&throttle, OWNER, "10.0.0.1", start);
        }
        let slot = THROTTLE_WINDOW / SLOTS_PER_WINDOW;
        assert!(
            throttle
                .admit_login_at(OWNER, Some("10.0.0.1"), start + THROTTLE_WINDOW - slot)
                .is_err(),
            "still within the window"
        );
        assert!(admitted(
            &throttle,
            OWNER,
            "10.0.0.1",
            start + THROTTLE_WINDOW + slot
        ));
        assert_eq!(
            throttle
                .tables()
                .login_pairs
                .count(&key(&[OWNER, "10.0.0.1"]), start + THROTTLE_WINDOW + slot),
            0
        );
    }

    #[test]
    fn the_account_ceiling_lasts_a_day() {
        let throttle = Throttle::default();
        let start = start_of(&throttle);
        for number in 0..MAX_FAILURES_PER_ACCOUNT {
            fail(&throttle, OWNER, &format!("10.2.0.{number}"), start);
        }
        let later = start + THROTTLE_WINDOW * 2;
        assert!(
            throttle
                .admit_login_at(OWNER, Some("10.3.0.1"), later)
                .is_err()
        );
        let next_day = start + ACCOUNT_THROTTLE_WINDOW * 16 / 15 + Duration::from_secs(1);
        assert!(admitted(&throttle, OWNER, "10.3.0.1", next_day));
    }

    #[test]
    fn an_attempt_that_never_tested_a_password_is_taken_back() {
        let throttle = Throttle::default();
        let now = start_of(&throttle);
        for _ in 0..MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS * 3 {
            let attempt = throttle.admit_login_at(OWNER, Some("10.0.0.1"), now);
            drop(attempt.expect("never counted, so never refused"));
        }
        assert!(throttle.tables().login_accounts.tallies.is_empty());
    }

    #[test]
    fn sign_ups_are_limited_per_address() {
        let throttle = Throttle::default();
        let now = start_of(&throttle);
        for _ in 0..MAX_REGISTRATIONS_PER_ADDRESS {
            throttle
                .admit_registration_at(Some("10.0.0.1"), now)
                .expect("admitted")
                .count();
        }
        assert!(
            throttle
                .admit_registration_at(Some("10.0.0.1"), now)
                .is_err()
        );
        assert!(
            throttle
                .admit_registration_at(Some("10.0.0.2"), now)
                .is_ok()
        );
        let next_hour = now + REGISTRATION_WINDOW * 16 / 15 + Duration::from_secs(1);
        assert!(
            throttle
                .admit_registration_at(Some("10.0.0.1"), next_hour)
                .is_ok()
        );
    }

    #[test]
    fn a_full_table_forgets_the_least_recently_seen_keys_first() {
        let capacity = 64;
        let throttle = Throttle::with_capacity(capacity);
        let start = start_of(&throttle);
        let slot = THROTTLE_WINDOW / SLOTS_PER_WINDOW;
        for _ in 0..MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
            fail(&throttle, OWNER, "10.0.0.1", start + slot);
        }
        for number in 0..capacity * 10 {
            let account = format!("cycled{number}@example.org");
            fail(
                &throttle,
                &account,
                &format!("10.4.{}.{}", number / 200, number % 200),
                start,
            );
        }
        let mut tables = throttle.tables();
        for table in [
            &tables.login_pairs,
            &tables.login_addresses,
            &tables.login_accounts,
        ] {
            assert!(table.tallies.len() <= capacity);
        }
        assert_eq!(
            tables
                .login_pairs
                .count(&key(&[OWNER, "10.0.0.1"]), start + slot),
            MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
            "the most recently seen key is kept"
        );
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_network() {
        assert_eq!(
            counted_address(Some("2001:db8:1:2:aaaa::1")),
            counted_address(Some("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            counted_address(Some("2001:db8:1:2::1")),
            counted_address(Some("2001:db8:1:3::1"))
        );
        assert_eq!(counted_address(Some("::ffff:10.0.0.1")), "10.0.0.1");
    }

    fn proxies(ranges: &[&str]) -> TrustedProxies {
        TrustedProxies::new(ranges.iter().map(|range| range.parse().unwrap()).collect())
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ranges_are_addresses_or_cidr_blocks_and_nonsense_is_refused() {
        let block: IpRange = "10.1.2.3/8".parse().unwrap();
        assert_eq!(block.to_string(), "10.0.0.0/8");
        assert!(block.contains(ip("10.200.0.1")));
        assert!(!block.contains(ip("11.0.0.1")));
        assert!(
            !block.contains(ip("::ffff:10.0.0.1")),
            "families do not mix"
        );
        let single: IpRange = " 2001:db8::1 ".parse().unwrap();
        assert!(single.contains(ip("2001:db8::1")));
        assert!(!single.contains(ip("2001:db8::2")));
        assert!(
            "0.0.0.0/0"
                .parse::<IpRange>()
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
        for nonsense in ["", "proxy.local", "10.0.0.0/33", "::/129", "10.0.0.1/x"] {
            assert!(nonsense.parse::<IpRange>().is_err(), "{nonsense:?}");
        }
    }

    #[test]
    fn forwarded_for_from_an_untrusted_peer_is_ignored() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let forwarded: &[&[u8]] = &[b"203.0.113.9"];
        assert_eq!(
            trusted.client_address(ip("198.51.100.1"), forwarded),
            ip("198.51.100.1")
        );
        assert_eq!(
            TrustedProxies::default().client_address(ip("127.0.0.1"), forwarded),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn the_client_is_the_rightmost_forwarded_address_that_is_not_a_trusted_proxy() {
        let trusted = proxies(&["10.0.0.0/8", "192.0.2.1"]);
        let peer = ip("10.0.0.2");
        let client = |values: &[&[u8]]| trusted.client_address(peer, values);
        assert_eq!(client(&[b"203.0.113.9"]), ip("203.0.113.9"));
        assert_eq!(
            client(&[b"1.2.3.4, 203.0.113.9, 192.0.2.1"]),
            ip("203.0.113.9"),
            "what the client wrote on the left is not believed"
        );
        assert_eq!(
            client(&[b"1.2.3.4", b"203.0.113.9,10.0.0.7"]),
            ip("203.0.113.9"),
            "several headers read as one list, in order"
        );
        assert_eq!(client(&[b"10.0.0.5, 10.0.0.6"]), ip("10.0.0.5"));
        assert_eq!(client(&[b"203.0.113.9:4711"]), ip("203.0.113.9"));
        assert_eq!(client(&[b"[2001:db8::7]:443"]), ip("2001:db8::7"));
        assert_eq!(client(&[b"::ffff:203.0.113.9"]), ip("203.0.113.9"));
        assert_eq!(client(&[]), peer, "no header: the proxy itself");
    }

    #[test]
    fn malformed_forwarded_values_fall_back_to_the_peer() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let peer = ip("10.0.0.2");
        for malformed in [
            &b"unknown"[..],
            b"",
            b"203.0.113.9, ",
            b"203.0.113.9 garbage",
            b"\xff\xfe",
            b"1.2.3.4, not-an-ip, 10.0.0.3",
        ] {
            assert_eq!(
                trusted.client_address(peer, &[malformed]),
                peer,
                "{}",
                String::from_utf8_lossy(malformed)
            );
        }
        assert_eq!(
            trusted.client_address(peer, &[b"not-an-ip, 203.0.113.9"]),
            ip("203.0.113.9"),
            "garbage left of the client is the client's own and does not matter"
        );
    }
}
