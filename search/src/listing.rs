//! Lists' pages from the index: the first matches of a list in its order, with their total,
//! in one pass over the matching documents' fast fields. The database then reads the page
//! from among only these ids (see the api's `content::list`), so a page costs neither a walk
//! of the table nor a count of it.
//!
//! Lists order by a value (a date or an instant) and then by id. The index cannot compare
//! ids as strings, so it orders by the value and the id's first 64 bits (`id_order`), which
//! orders ids as their strings do wherever the two differ: whatever the database puts between
//! two of the index's matches, the index puts there too. Where 64 bits do not decide, the
//! answer says so (`decided`), and the caller reads the page the slow way.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::Result;
use crate::index::SearchIndex;
use crate::query::Request;

/// The value a list is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListSort {
    /// When it was published, in microseconds.
    Published,
    /// Its last update, in microseconds.
    Updated,
    /// An opportunity's deadline in days since the epoch; those without one sort as
    /// [`NO_DEADLINE_DAYS`], as the database's lists sort them.
    Deadline,
    /// An event's start, in microseconds.
    Starts,
}

/// Days from the epoch to 9999-12-31: where lists put opportunities without a deadline.
pub const NO_DEADLINE_DAYS: i64 = 2_932_896;

impl ListSort {
    fn field(self) -> &'static str {
        match self {
            ListSort::Published => "published_at",
            ListSort::Updated => "updated_at",
            ListSort::Deadline => "deadline",
            ListSort::Starts => "starts_at",
        }
    }
}

/// Where a walk of a list starts, and how far it goes.
#[derive(Debug, Clone)]
pub struct ListWalk {
    pub sort: ListSort,
    pub descending: bool,
    /// The item the page follows: its sort value and id. Items equal to it in value and
    /// `id_order` are all returned (the database tells them apart by their ids).
    pub after: Option<(i64, String)>,
    /// How many matches past `after` to return.
    pub take: usize,
}

/// A walk's answer.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Every match of the request, wherever it sorts.
    pub count: usize,
    /// The matches level with `after`, then the first `take` past it, in the walk's order.
    pub ids: Vec<String>,
    /// Whether `ids` hold every match past `after`.
    pub complete: bool,
    /// False when the last match taken and the next one share their value and `id_order`:
    /// the index cannot say which of them the page holds.
    pub decided: bool,
}

/// The first 64 bits of an id as its string orders them: the sixteen hex digits of a UUID,
/// dashes skipped (every item's id is one). Any other id is ordered by its first 8 bytes.
pub fn id_order(id: &str) -> u64 {
    let digits: Vec<u8> = id.bytes().filter(|byte| *byte != b'-').take(16).collect();
    let is_uuid = id.len() == 36
        && id
            .bytes()
            .all(|byte| byte == b'-' || byte.is_ascii_hexdigit())
        && digits.len() == 16;
    if is_uuid {
        return digits.iter().fold(0, |order, digit| {
            let value = (*digit as char).to_digit(16).unwrap_or(0);
            (order << 4) | u64::from(value)
        });
    }
    let mut bytes = [0u8; 8];
    for (slot, byte) in bytes.iter_mut().zip(id.bytes()) {
        *slot = byte;
    }
    u64::from_be_bytes(bytes)
}

/// A document's place in the walk: larger comes first.
type Place = (i64, u64);

fn place(value: i64, order: u64, descending: bool) -> Place {
    if descending {
        (value, order)
    } else {
        // Bitwise negation reverses both orders exactly.
        (!value, !order)
    }
}

struct ListCollector {
    sort: ListSort,
    descending: bool,
    after: Option<Place>,
    /// The heap keeps one more than asked, to see whether the last taken is decided.
    keep: usize,
}

#[derive(Default)]
struct Walked {
    count: usize,
    level: Vec<DocAddress>,
    /// The best `keep` past the start, smallest on top.
    best: BinaryHeap<Reverse<(Place, DocAddress)>>,
    past: usize,
}

struct ListSegmentCollector {
    segment: SegmentOrdinal,
    values: Option<Column<i64>>,
    dates: Option<Column<tantivy::DateTime>>,
    orders: Option<Column<u64>>,
    sort: ListSort,
    descending: bool,
    after: Option<Place>,
    keep: usize,
    walked: Walked,
    buffers: Buffers,
}

/// A block's values, kept from block to block.
#[derive(Default)]
struct Buffers {
    values: Vec<Option<i64>>,
    dates: Vec<Option<tantivy::DateTime>>,
    orders: Vec<Option<u64>>,
}

impl Collector for ListCollector {
    type Fruit = Walked;
    type Child = ListSegmentCollector;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<ListSegmentCollector> {
        let fast = reader.fast_fields();
        let (values, dates) = match self.sort {
            ListSort::Published => (None, Some(fast.date(self.sort.field())?)),
            _ => (Some(fast.i64(self.sort.field())?), None),
        };
        Ok(ListSegmentCollector {
            segment,
            values,
            dates,
            orders: Some(fast.u64("id_order")?),
            sort: self.sort,
            descending: self.descending,
            after: self.after,
            keep: self.keep,
            walked: Walked::default(),
            buffers: Buffers::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    /// Blocks of matches, deleted documents left out, even where the segment has deletions
    /// (tantivy's default then hands them over one by one).
    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Walked> {
        let mut child = self.for_segment(segment, reader)?;
        let alive = reader.alive_bitset();
        let mut kept = Vec::new();
        weight.for_each_no_score(reader, &mut |docs| match alive {
            Some(alive) => {
                kept.clear();
                kept.extend(docs.iter().copied().filter(|doc| alive.is_alive(*doc)));
                child.collect_block(&kept);
            }
            None => child.collect_block(docs),
        })?;
        Ok(child.harvest())
    }

    fn merge_fruits(&self, fruits: Vec<Walked>) -> tantivy::Result<Walked> {
        let mut merged = Walked::default();
        for fruit in fruits {
            merged.count += fruit.count;
            merged.past += fruit.past;
            merged.level.extend(fruit.level);
            for entry in fruit.best {
                push_bounded(&mut merged.best, entry, self.keep);
            }
        }
        Ok(merged)
    }
}

fn push_bounded(
    heap: &mut BinaryHeap<Reverse<(Place, DocAddress)>>,
    entry: Reverse<(Place, DocAddress)>,
    keep: usize,
) {
    if heap.len() < keep {
        heap.push(entry);
    } else if let Some(smallest) = heap.peek()
        && entry.0.0 > smallest.0.0
    {
        heap.pop();
        heap.push(entry);
    }
}

impl ListSegmentCollector {
    /// Places `docs` in the walk, their values read a block at a time (a column read per
    /// document went through the column's index each time: a tenth of a list in `perf`).
    fn place_block(&mut self, docs: &[DocId]) {
        self.walked.count += docs.len();
        let Buffers {
            values,
            dates,
            orders,
        } = &mut self.buffers;
        values.clear();
        values.resize(docs.len(), None);
        orders.clear();
        orders.resize(docs.len(), None);
        match (&self.values, &self.dates) {
            (Some(column), _) => column.first_vals(docs, values),
            (None, Some(column)) => {
                dates.clear();
                dates.resize(docs.len(), None);
                column.first_vals(docs, dates);
                for (value, date) in values.iter_mut().zip(dates.iter()) {
                    *value = date.map(|date| date.into_timestamp_micros());
                }
            }
            (None, None) => {}
        }
        if let Some(column) = &self.orders {
            column.first_vals(docs, orders);
        }
        // Every listed document has its list's value; one without it sorts last.
        let missing = if self.descending { i64::MIN } else { i64::MAX };
        for ((doc, value), order) in docs.iter().zip(values.iter()).zip(orders.iter()) {
            let mut value = value.unwrap_or(missing);
            if self.sort == ListSort::Deadline {
                value = value.min(NO_DEADLINE_DAYS);
            }
            let here = place(value, order.unwrap_or(0), self.descending);
            let address = DocAddress::new(self.segment, *doc);
            match self.after {
                Some(after) if here > after => {}
                Some(after) if here == after => self.walked.level.push(address),
                _ => {
                    self.walked.past += 1;
                    push_bounded(&mut self.walked.best, Reverse((here, address)), self.keep);
                }
            }
        }
    }
}

impl SegmentCollector for ListSegmentCollector {
    type Fruit = Walked;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.place_block(&[doc]);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        self.place_block(docs);
    }

    fn harvest(self) -> Walked {
        self.walked
    }
}

impl SearchIndex {
    /// The matches of `request`'s filters (its text is not used) walked as `walk` says.
    pub fn list(&self, request: &Request, walk: &ListWalk) -> Result<Listed> {
        let query = self.filters_alone(request);
        let collector = ListCollector {
            sort: walk.sort,
            descending: walk.descending,
            after: walk
                .after
                .as_ref()
                .map(|(value, id)| place(*value, id_order(id), walk.descending)),
            keep: walk.take + 1,
        };
        let searcher = self.reader.searcher();
        let walked = searcher.search(&query, &collector)?;
        let mut best: Vec<(Place, DocAddress)> = walked
            .best
            .into_sorted_vec()
            .into_iter()
            .map(|Reverse(entry)| entry)
            .collect();
        let decided = match (best.get(walk.take.wrapping_sub(1)), best.get(walk.take)) {
            (Some(last), Some(next)) => last.0 != next.0,
            _ => true,
        };
        best.truncate(walk.take);
        let addresses = walked
            .level
            .into_iter()
            .chain(best.into_iter().map(|(_, address)| address));
        let ids = self.ids_at(&searcher, addresses)?;
        Ok(Listed {
            count: walked.count,
            ids,
            complete: walked.past <= walk.take,
            decided,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_order_orders_uuids_as_their_strings() {
        let mut ids: Vec<String> = (0..2_000)
            .map(|_| uuid::Uuid::new_v4().to_string())
            .collect();
        ids.extend((0..2_000).map(|_| uuid::Uuid::now_v7().to_string()));
        ids.sort();
        for pair in ids.windows(2) {
            assert!(id_order(&pair[0]) <= id_order(&pair[1]), "{pair:?}");
        }
        assert_eq!(
            id_order("01234567-89ab-cdef-0123-456789abcdef"),
            0x0123_4567_89ab_cdef
        );
    }

    #[test]
    fn the_walk_order_reverses_exactly() {
        let places = [(i64::MIN, 0), (-1, 5), (0, 0), (0, u64::MAX), (i64::MAX, 1)];
        for pair in places.windows(2) {
            let (low, high) = (pair[0], pair[1]);
            assert!(place(low.0, low.1, true) < place(high.0, high.1, true));
            assert!(place(low.0, low.1, false) > place(high.0, high.1, false));
        }
    }
}
