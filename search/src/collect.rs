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
    /// Per field, a count per term ordinal: the fields have a few dozen values, and indexing
    /// an array was a tenth of a search's time when it was a hash map (found with perf).
    counts: Vec<Vec<u64>>,
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
        let counts = columns
            .iter()
            .map(|column| vec![0; column.as_ref().map_or(0, |column| column.num_terms())])
            .collect();
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
                if let Some(count) = counts.get_mut(*ordinal as usize) {
                    *count += 1;
                }
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
                    for (ordinal, count) in counts.into_iter().enumerate() {
                        if count > 0
                            && column
                                .ord_to_str(ordinal as u64, &mut text)
                                .unwrap_or(false)
                        {
                            values.insert(text.clone(), count);
                        }
                    }
                }
                values
            })
            .collect()
    }
}
