//! Facet counts: how many matching documents carry each value of a fast string field,
//! computed by the index over exactly the documents the query matched.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Counts per value for several fields at once.
pub struct FacetCollector {
    pub fields: Vec<&'static str>,
}

pub struct FacetSegmentCollector {
    columns: Vec<Option<StrColumn>>,
    counts: Vec<HashMap<u64, u64>>,
    ordinals: Vec<u64>,
}

/// Per field, value → count.
pub type FacetCounts = Vec<HashMap<String, u64>>;

impl Collector for FacetCollector {
    type Fruit = FacetCounts;
    type Child = FacetSegmentCollector;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCollector> {
        let columns = self
            .fields
            .iter()
            .map(|field| reader.fast_fields().str(field))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let counts = vec![HashMap::new(); columns.len()];
        Ok(FacetSegmentCollector {
            columns,
            counts,
            ordinals: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetCounts>) -> tantivy::Result<FacetCounts> {
        let mut merged: FacetCounts = vec![HashMap::new(); self.fields.len()];
        for fruit in fruits {
            for (total, counts) in merged.iter_mut().zip(fruit) {
                for (value, count) in counts {
                    *total.entry(value).or_default() += count;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = FacetCounts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for (column, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            let Some(column) = column else { continue };
            self.ordinals.clear();
            self.ordinals.extend(column.term_ords(doc));
            // A document counts once per value, however often it repeats it.
            self.ordinals.sort_unstable();
            self.ordinals.dedup();
            for ordinal in &self.ordinals {
                *counts.entry(*ordinal).or_default() += 1;
            }
        }
    }

    fn harvest(self) -> FacetCounts {
        self.columns
            .iter()
            .zip(self.counts)
            .map(|(column, counts)| {
                let mut values = HashMap::new();
                if let Some(column) = column {
                    let mut text = String::new();
                    for (ordinal, count) in counts {
                        if column.ord_to_str(ordinal, &mut text).unwrap_or(false) {
                            values.insert(text.clone(), count);
                        }
                    }
                }
                values
            })
            .collect()
    }
}
