//! How far apart two words are: the measure behind "did you mean" and the glossary's
//! tolerance of misspelt terms.

/// The optimal-string-alignment distance of two words (a swap of neighbours counts one).
pub fn distance(left: &str, right: &str) -> usize {
    let left: Vec<char> = left.chars().collect();
    let right: Vec<char> = right.chars().collect();
    let mut rows = vec![vec![0; right.len() + 1]; left.len() + 1];
    for (index, row) in rows.iter_mut().enumerate() {
        row[0] = index;
    }
    for (index, cell) in rows[0].iter_mut().enumerate() {
        *cell = index;
    }
    for i in 1..=left.len() {
        for j in 1..=right.len() {
            let cost = usize::from(left[i - 1] != right[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && left[i - 1] == right[j - 2] && left[i - 2] == right[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[left.len()][right.len()]
}

/// The edits a misspelling of a `length`-letter word may have and still name it: none below
/// seven letters (export and expert, trade and grade are different words), one below twelve
/// (Indonesian and Malay affixes put many words two edits apart: perikanan, pernikahan).
pub fn misspelling_allowance(length: usize) -> usize {
    match length {
        0..=6 => 0,
        7..=11 => 1,
        _ => 2,
    }
}

/// Whether `word` is a misspelling of `term` within the allowance for its length.
pub fn misspells(word: &str, term: &str) -> bool {
    let allowance = misspelling_allowance(word.chars().count());
    allowance > 0
        && word.chars().count().abs_diff(term.chars().count()) <= allowance
        && distance(word, term) <= allowance
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_count_swaps_once() {
        assert_eq!(distance("logistics", "logistcs"), 1);
        assert_eq!(distance("fintech", "fintehc"), 1);
        assert_eq!(distance("harbour", "harbor"), 1);
        assert_eq!(distance("solar", "polar"), 1);
        assert_eq!(distance("abc", "xyz"), 3);
    }

    #[test]
    fn only_long_words_are_taken_for_misspellings() {
        assert!(misspells("cybersecurty", "cybersecurity"));
        assert!(misspells("remitance", "remittance"));
        assert!(!misspells("expert", "export"));
        assert!(!misspells("cybersecurity", "cybercrime"));
    }
}
