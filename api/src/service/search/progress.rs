//! How far this node's index has applied the change log, which numbers it still waits for,
//! and how far behind it is.
//!
//! Sequence numbers are taken when a transaction appends to the log, but the transactions
//! commit in their own order: under PostgreSQL, entry 11 can be visible while entry 10's
//! transaction is still open (or about to roll back, leaving 10 unused for good). A missing
//! number below one already seen is a *gap*. It is neither skipped (its transaction may still
//! commit) nor waited on forever: with it is kept the transaction-id horizon of a snapshot
//! assigned just after it was found missing (every writer takes its transaction id before its
//! change-log number, so the transaction that holds it has an id below that). Once the oldest
//! transaction still running is past that horizon (`xmin` of a later snapshot), the
//! transaction that held it has ended: if a read made after that moment still does not see
//! it, it rolled back, and the number is a hole. SQLite lets one writer at
//! a time commit, so there a missing number is a hole at once.
//!
//! `settled` is the resumable point: every entry up to it is applied or a hole. It is what
//! the index records with its commits, what a restarted node replays after, and what the
//! node reports to the cluster so that compaction keeps everything after it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// The change feed's state, for `/readyz` and `/metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedStatus {
    /// Every entry up to this one is applied (or will never exist).
    pub applied_seq: i64,
    /// The newest entry this node has seen.
    pub head_seq: i64,
    /// How long the index has been behind a change it knows of (zero when current).
    pub lag: Duration,
    /// Numbers still waited for: transactions that took them and have not ended.
    pub open_gaps: usize,
    /// Entries up to this one were removed from the log by compaction.
    pub trimmed_seq: i64,
    /// Full rebuilds of the index since start.
    pub rebuilds: u64,
}

pub struct Progress {
    settled: i64,
    /// Applied entries (and holes) after `settled`.
    applied: BTreeSet<i64>,
    /// Missing numbers after `settled`, with the horizon each waits for.
    gaps: BTreeMap<i64, i64>,
    /// Entries this process wrote, claimed before their commit: its writes announce them,
    /// so the follower, should it read one first, does not announce it again.
    own: BTreeSet<i64>,
    head: i64,
    trimmed: i64,
    /// When the newest read that found nothing left to apply started.
    caught_up_at: Instant,
    /// Since when a change is known (announced) that no finished read has applied yet.
    behind_since: Option<Instant>,
    /// A node that has not finished a read for this long cannot claim to be current.
    stale_after: Duration,
}

impl Progress {
    pub fn new(settled: i64) -> Self {
        Self {
            settled,
            applied: BTreeSet::new(),
            gaps: BTreeMap::new(),
            own: BTreeSet::new(),
            head: settled,
            trimmed: 0,
            caught_up_at: Instant::now(),
            behind_since: None,
            stale_after: Duration::from_secs(5),
        }
    }

    pub fn settled(&self) -> i64 {
        self.settled
    }

    pub fn set_stale_after(&mut self, stale_after: Duration) {
        self.stale_after = stale_after;
    }

    pub fn is_applied(&self, seq: i64) -> bool {
        seq <= self.settled || self.applied.contains(&seq)
    }

    /// An entry this process is writing (called before its transaction commits).
    pub fn claim_own(&mut self, seq: i64) {
        if seq > self.settled {
            self.own.insert(seq);
        }
    }

    pub fn unclaim_own(&mut self, seq: i64) {
        self.own.remove(&seq);
    }

    pub fn is_own(&self, seq: i64) -> bool {
        self.own.contains(&seq)
    }

    /// Records entries as applied.
    pub fn mark_applied(&mut self, seqs: impl IntoIterator<Item = i64>) {
        for seq in seqs {
            self.head = self.head.max(seq);
            if seq > self.settled {
                self.applied.insert(seq);
                self.gaps.remove(&seq);
            }
        }
        self.advance();
    }

    /// Whether a read of the entries after `after` (`rows`, in order) skipped a number that
    /// is neither applied nor already waited for.
    pub fn missing_in(&self, rows: &[entities::change_log::Model], after: i64) -> bool {
        let mut expected = after.max(self.settled) + 1;
        for row in rows {
            if row.seq > expected
                && (expected..row.seq)
                    .any(|seq| !self.applied.contains(&seq) && !self.gaps.contains_key(&seq))
            {
                return true;
            }
            expected = expected.max(row.seq + 1);
        }
        false
    }

    /// After a read of every entry from `after` on up to `through`: the numbers in between
    /// that it did not `see` and that are not applied are gaps, waiting on `horizon` (none:
    /// the database commits one writer at a time, so they are holes already).
    pub fn note_read(
        &mut self,
        seen: &BTreeSet<i64>,
        after: i64,
        through: i64,
        horizon: Option<i64>,
    ) {
        for seq in after.max(self.settled) + 1..through {
            if seen.contains(&seq) || self.applied.contains(&seq) || self.gaps.contains_key(&seq) {
                continue;
            }
            match horizon {
                Some(horizon) => {
                    self.gaps.entry(seq).or_insert(horizon);
                }
                None => {
                    self.applied.insert(seq);
                }
            }
        }
        self.head = self.head.max(through);
        self.advance();
    }

    /// Every transaction with an id below `finished_below` has ended, and a read made after
    /// that did not find the gaps that waited on it: they are holes.
    pub fn close_gaps(&mut self, finished_below: i64) {
        let closed: Vec<i64> = self
            .gaps
            .iter()
            .filter(|(_, horizon)| **horizon <= finished_below)
            .map(|(seq, _)| *seq)
            .collect();
        for seq in closed {
            self.gaps.remove(&seq);
            self.applied.insert(seq);
        }
        self.advance();
    }

    /// After a rebuild that read the tables once every entry up to `newest` was committed
    /// but for those not in `present` (from `from` on): those are waited for as gaps.
    pub fn restart_from(&mut self, from: i64, present: impl IntoIterator<Item = i64>) {
        self.settled = from;
        self.applied = present.into_iter().filter(|seq| *seq > from).collect();
        self.gaps.clear();
        self.advance();
    }

    pub fn note_trimmed(&mut self, trimmed: i64) {
        self.trimmed = self.trimmed.max(trimmed);
    }

    /// A change was announced; the index is behind until a read that started after now ends.
    pub fn note_announced(&mut self) {
        self.behind_since.get_or_insert_with(Instant::now);
    }

    /// A read that started at `started` applied everything it found.
    pub fn caught_up(&mut self, started: Instant) {
        self.caught_up_at = self.caught_up_at.max(started);
        if self.behind_since.is_some_and(|since| since <= started) {
            self.behind_since = None;
        }
    }

    pub fn status(&self, rebuilds: u64) -> FeedStatus {
        let since_read = self.caught_up_at.elapsed();
        let lag = match self.behind_since {
            Some(since) => since.elapsed().max(stale(since_read, self.stale_after)),
            None => stale(since_read, self.stale_after),
        };
        FeedStatus {
            applied_seq: self.settled,
            head_seq: self.head.max(self.settled),
            lag,
            open_gaps: self.gaps.len(),
            trimmed_seq: self.trimmed,
            rebuilds,
        }
    }

    fn advance(&mut self) {
        while self.applied.remove(&(self.settled + 1)) {
            self.settled += 1;
        }
        // Holes and applied entries below `settled` need no memory.
        self.gaps.retain(|seq, _| *seq > self.settled);
        let settled = self.settled;
        self.own.retain(|seq| *seq > settled);
    }
}

/// Time since the last finished read counts as lag once it is longer than reads come.
fn stale(since_read: Duration, stale_after: Duration) -> Duration {
    if since_read > stale_after {
        since_read
    } else {
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(seqs: &[i64]) -> BTreeSet<i64> {
        seqs.iter().copied().collect()
    }

    #[test]
    fn applied_entries_in_order_move_the_settled_point() {
        let mut progress = Progress::new(0);
        progress.mark_applied([1, 2, 3]);
        assert_eq!(progress.settled(), 3);
        progress.mark_applied([5]);
        assert_eq!(progress.settled(), 3, "4 is not applied yet");
        assert!(progress.is_applied(5) && !progress.is_applied(4));
        progress.mark_applied([4]);
        assert_eq!(progress.settled(), 5);
    }

    #[test]
    fn a_number_missing_under_postgresql_is_waited_for_until_its_horizon_has_passed() {
        let mut progress = Progress::new(0);
        // 1 and 3 committed; 2's transaction is open. The snapshot after the read: xmax 100.
        progress.mark_applied([1, 3]);
        progress.note_read(&seen(&[1, 3]), 0, 3, Some(100));
        assert_eq!(progress.settled(), 1);
        assert_eq!(progress.status(0).open_gaps, 1);
        // Transactions below 90 have ended: 2's may not have.
        progress.close_gaps(90);
        assert_eq!(progress.settled(), 1);
        // It commits and is read: applied.
        progress.mark_applied([2]);
        assert_eq!(progress.settled(), 3);
        assert_eq!(progress.status(0).open_gaps, 0);
    }

    #[test]
    fn a_rolled_back_number_becomes_a_hole_once_every_older_transaction_ended() {
        let mut progress = Progress::new(10);
        progress.mark_applied([12]);
        progress.note_read(&seen(&[12]), 10, 12, Some(500));
        assert_eq!(progress.settled(), 10);
        progress.close_gaps(500);
        assert_eq!(
            progress.settled(),
            12,
            "11 rolled back: never waited on again"
        );
        assert_eq!(progress.status(0).open_gaps, 0);
    }

    #[test]
    fn claims_of_own_writes_are_forgotten_once_settled_even_when_they_rolled_back() {
        let mut progress = Progress::new(0);
        progress.claim_own(1);
        progress.claim_own(2);
        assert!(progress.is_own(1) && progress.is_own(2));
        // 1 committed and was applied; 2 rolled back and became a hole.
        progress.mark_applied([1, 3]);
        progress.note_read(&seen(&[1, 3]), 0, 3, None);
        assert_eq!(progress.settled(), 3);
        assert!(!progress.is_own(1) && !progress.is_own(2));
    }

    #[test]
    fn under_sqlite_a_missing_number_is_a_hole_at_once() {
        let mut progress = Progress::new(0);
        progress.mark_applied([1, 4]);
        progress.note_read(&seen(&[1, 4]), 0, 4, None);
        assert_eq!(progress.settled(), 4);
    }

    #[test]
    fn a_gap_stays_a_gap_when_a_later_read_finds_nothing_new_missing() {
        let mut progress = Progress::new(0);
        progress.mark_applied([2]);
        progress.note_read(&seen(&[2]), 0, 2, Some(50));
        // The next read sees 2 and 3 and nothing else missing: no new horizon is taken.
        progress.mark_applied([3]);
        progress.note_read(&seen(&[2, 3]), 0, 3, None);
        assert_eq!(progress.settled(), 0, "1 is still waited for");
        assert_eq!(progress.status(0).open_gaps, 1);
    }

    #[test]
    fn a_gap_keeps_the_horizon_it_was_first_found_with() {
        let mut progress = Progress::new(0);
        progress.mark_applied([2]);
        progress.note_read(&seen(&[2]), 0, 2, Some(50));
        progress.note_read(&seen(&[2]), 0, 2, Some(80));
        progress.close_gaps(60);
        assert_eq!(progress.settled(), 2);
    }

    #[test]
    fn a_rebuild_restarts_from_its_overlap_and_waits_for_what_was_missing() {
        let mut progress = Progress::new(0);
        progress.restart_from(90, [91, 92, 94]);
        assert_eq!(progress.settled(), 92);
        assert!(!progress.is_applied(93));
        progress.mark_applied([93]);
        assert_eq!(progress.settled(), 94);
    }

    #[test]
    fn an_announced_change_is_lag_until_a_later_read_ends() {
        let mut progress = Progress::new(0);
        let before = Instant::now();
        progress.note_announced();
        progress.caught_up(before);
        assert!(
            progress.status(0).lag > Duration::ZERO || progress.behind_since.is_some(),
            "a read that started before the announcement does not clear it"
        );
        progress.caught_up(Instant::now());
        assert_eq!(progress.status(0).lag, Duration::ZERO);
        assert!(progress.behind_since.is_none());
    }

    #[test]
    fn no_finished_read_for_longer_than_reads_come_is_lag() {
        let mut progress = Progress::new(0);
        progress.set_stale_after(Duration::ZERO);
        progress.caught_up_at = Instant::now() - Duration::from_secs(30);
        assert!(progress.status(0).lag >= Duration::from_secs(30));
    }
}
