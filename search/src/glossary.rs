//! The cross-language glossary: groups of equivalent terms in Chinese, English and the ASEAN
//! languages. A query term found in it also matches its equivalents.

use crate::analysis::fold;

const SHIPPED: &str = include_str!("../data/glossary.txt");

#[derive(Debug, Clone, Default)]
pub struct Glossary {
    groups: Vec<Vec<String>>,
    /// (folded term, group), longest first, so that the longest term wins.
    terms: Vec<(String, usize)>,
}

impl Glossary {
    /// The glossary shipped with the project (`search/data/glossary.txt`).
    pub fn shipped() -> Glossary {
        Glossary::parse(SHIPPED)
    }

    /// One group a line, terms separated by `|`; `#` starts a comment line.
    pub fn parse(text: &str) -> Glossary {
        let groups: Vec<Vec<String>> = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| {
                line.split('|')
                    .map(str::trim)
                    .filter(|term| !term.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .filter(|group| group.len() > 1)
            .collect();
        let mut terms: Vec<(String, usize)> = groups
            .iter()
            .enumerate()
            .flat_map(|(index, group)| group.iter().map(move |term| (fold(term), index)))
            .collect();
        terms.sort_by(|left, right| {
            right
                .0
                .len()
                .cmp(&left.0.len())
                .then_with(|| left.0.cmp(&right.0))
        });
        Glossary { groups, terms }
    }

    pub fn group(&self, index: usize) -> &[String] {
        &self.groups[index]
    }

    /// Finds the glossary terms in `query` (already folded): the groups found, and the query
    /// with those terms cut out.
    pub fn extract(&self, folded_query: &str) -> (Vec<usize>, String) {
        let mut rest = folded_query.to_owned();
        let mut found = Vec::new();
        for (term, group) in &self.terms {
            while let Some(start) = find_whole(&rest, term) {
                rest.replace_range(start..start + term.len(), " ");
                if !found.contains(group) {
                    found.push(*group);
                }
            }
        }
        (found, rest)
    }
}

/// The first occurrence of `term` in `text` that is not part of a longer Latin word.
fn find_whole(text: &str, term: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = text[from..].find(term) {
        let start = from + found;
        let end = start + term.len();
        let latin_edge = |character: Option<char>| {
            character.is_some_and(|character| character.is_ascii_alphanumeric())
        };
        let glued = (latin_edge(term.chars().next())
            && latin_edge(text[..start].chars().next_back()))
            || (latin_edge(term.chars().next_back()) && latin_edge(text[end..].chars().next()));
        if !glued {
            return Some(start);
        }
        from = start + term.chars().next().map(char::len_utf8).unwrap_or(1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_term_is_found_and_cut_out_of_the_query() {
        let glossary = Glossary::parse("数字经济 | digital economy\nASEAN | 东盟");
        let (groups, rest) = glossary.extract(&fold("Digital Economy forum"));
        assert_eq!(groups, vec![0]);
        assert_eq!(rest.trim(), "forum");
        let (groups, _) = glossary.extract("东盟数字经济");
        assert_eq!(groups.len(), 2);
    }

    #[test]
    fn latin_terms_match_whole_words_only() {
        let glossary = Glossary::parse("东盟 | asean");
        assert!(glossary.extract("aseanic").0.is_empty());
        assert_eq!(glossary.extract("the asean way").0, vec![0]);
    }

    #[test]
    fn the_shipped_glossary_has_the_core_terms() {
        let glossary = Glossary::shipped();
        let (groups, _) = glossary.extract("数字经济");
        assert!(
            glossary
                .group(groups[0])
                .iter()
                .any(|term| term == "digital economy")
        );
    }
}
