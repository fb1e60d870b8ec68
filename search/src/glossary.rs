//! The cross-language glossary: groups of equivalent terms in Chinese, English and the ASEAN
//! languages. A query term found in it also matches its equivalents. Every sector of the
//! classification and every country joins it with its names in every language
//! (`crate::names`), and a query naming one also finds the items filed under its code.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use crate::analysis::{self, fold, is_latin_word};
use crate::budget::MAX_GLOSSARY_TERMS;
use crate::edits;
use crate::names::{self, Concept};

const SHIPPED: &str = include_str!("../data/glossary.txt");

/// The languages a glossary term may be tagged with (`zh:数字经济`).
pub const LANGUAGES: &[&str] = &["zh", "en", "th", "vi", "id", "ms", "fil", "km", "lo", "my"];

/// Equivalent terms, the languages they cover, and the sectors and countries they name.
#[derive(Debug, Clone, Default)]
pub struct Group {
    pub terms: Vec<String>,
    pub languages: BTreeSet<String>,
    pub concepts: Vec<(Concept, String)>,
    /// The terms as the index holds them, analysed once, when a query first uses the group
    /// (segmenting a dozen terms in five scripts for every query cost more than searching).
    analysed: OnceLock<Vec<Analysed>>,
}

/// One term as the index holds it.
#[derive(Debug, Clone)]
pub struct Analysed {
    /// Its words (folded tokens).
    pub words: Vec<String>,
    /// Its bigrams per run, when every run of it is unspaced text (`None` otherwise).
    pub inside: Option<Vec<Vec<String>>>,
}

impl Group {
    /// The terms, analysed (in the order of `terms`).
    pub fn analysed(&self) -> &[Analysed] {
        self.analysed.get_or_init(|| {
            self.terms
                .iter()
                .map(|term| Analysed {
                    words: analysis::tokens(term),
                    inside: analysis::runs(term)
                        .into_iter()
                        .map(|run| {
                            run.unspaced.then(|| {
                                analysis::grams(&term[run.from..run.to])
                                    .into_iter()
                                    .map(|gram| gram.text)
                                    .collect()
                            })
                        })
                        .collect(),
                })
                .collect()
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct Glossary {
    groups: Vec<Group>,
    /// (folded term, group), longest first, so that the longest term wins.
    terms: Vec<(String, usize)>,
    /// The indexes in `terms` of the terms starting with each character.
    by_first_char: HashMap<char, Vec<usize>>,
}

impl Glossary {
    /// The glossary shipped with the project (`search/data/glossary.txt`) and the names of
    /// the classification's sectors and of the countries.
    pub fn shipped() -> Glossary {
        Glossary::with_reference(SHIPPED)
    }

    /// The groups of `text` (see [`Glossary::parse`]) and the names of every sector and
    /// country: an operator's own glossary file never loses the classification.
    pub fn with_reference(text: &str) -> Glossary {
        let mut groups = parse_groups(text);
        groups.extend(names::all().iter().map(|named| {
            Group {
                terms: named.names.iter().map(|(_, name)| name.clone()).collect(),
                languages: named
                    .names
                    .iter()
                    .map(|(language, _)| language.clone())
                    .collect(),
                concepts: vec![(named.concept, named.code.clone())],
                ..Group::default()
            }
        }));
        Glossary::build(groups)
    }

    /// One group a line, terms separated by `|`, each optionally tagged with its language
    /// (`zh:数字经济 | en:digital economy`); `#` starts a comment line.
    pub fn parse(text: &str) -> Glossary {
        Glossary::build(parse_groups(text))
    }

    /// Merges groups that share a term (a sector's English name may also be a line of the
    /// glossary), then indexes the terms.
    fn build(groups: Vec<Group>) -> Glossary {
        let mut merged: Vec<Group> = Vec::new();
        let mut owner: HashMap<String, usize> = HashMap::new();
        for group in groups {
            let existing = group
                .terms
                .iter()
                .find_map(|term| owner.get(&fold(term)).copied());
            let index = existing.unwrap_or_else(|| {
                merged.push(Group::default());
                merged.len() - 1
            });
            let target = &mut merged[index];
            for term in group.terms {
                let folded = fold(&term);
                if folded.trim().is_empty() || owner.contains_key(&folded) {
                    continue;
                }
                owner.insert(folded, index);
                target.terms.push(term);
            }
            target.languages.extend(group.languages);
            for concept in group.concepts {
                if !target.concepts.contains(&concept) {
                    target.concepts.push(concept);
                }
            }
        }
        let mut terms: Vec<(String, usize)> = owner.into_iter().collect();
        terms.sort_by(|left, right| {
            right
                .0
                .len()
                .cmp(&left.0.len())
                .then_with(|| left.0.cmp(&right.0))
        });
        let mut by_first_char: HashMap<char, Vec<usize>> = HashMap::new();
        for (index, (term, _)) in terms.iter().enumerate() {
            if let Some(first) = term.chars().next() {
                by_first_char.entry(first).or_default().push(index);
            }
        }
        Glossary {
            groups: merged,
            terms,
            by_first_char,
        }
    }

    pub fn group(&self, index: usize) -> &Group {
        &self.groups[index]
    }

    /// Per language, how many groups have a term in it: the README's coverage table.
    pub fn coverage(&self) -> Vec<(&'static str, usize)> {
        LANGUAGES
            .iter()
            .map(|language| {
                let covered = self
                    .groups
                    .iter()
                    .filter(|group| group.languages.contains(*language))
                    .count();
                (*language, covered)
            })
            .collect()
    }

    /// The number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Finds the glossary terms in `query` (already folded), longest first and at most
    /// [`MAX_GLOSSARY_TERMS`] groups (a longer query's further terms stay plain words): the
    /// groups found, and the query with their terms cut out.
    pub fn extract(&self, folded_query: &str) -> (Vec<usize>, String) {
        let mut rest = folded_query.to_owned();
        let mut found = Vec::new();
        // Only the terms that start with a character of the query, still longest first:
        // looking for all of them in every query was a twentieth of a search's time.
        let mut candidates: Vec<usize> = folded_query
            .chars()
            .collect::<BTreeSet<char>>()
            .iter()
            .filter_map(|first| self.by_first_char.get(first))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        for (term, group) in candidates.into_iter().map(|index| &self.terms[index]) {
            if found.len() >= MAX_GLOSSARY_TERMS && !found.contains(group) {
                continue;
            }
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

impl Glossary {
    /// Glossary terms that the rest of a query (after [`Glossary::extract`]) misspells:
    /// a run of Latin words matching a term's words, each exactly or as a misspelling (see
    /// `edits::misspells`) of a word `known` says no item holds. At most `limit` groups; the
    /// groups found and the words that remain.
    pub fn extract_misspelt(
        &self,
        folded_rest: &str,
        limit: usize,
        mut known: impl FnMut(&str) -> bool,
    ) -> (Vec<usize>, String) {
        let words: Vec<&str> = folded_rest.split_whitespace().collect();
        let mut used = vec![false; words.len()];
        let mut found = Vec::new();
        let mut unknown: HashMap<&str, bool> = HashMap::new();
        let could_be_misspelt = |word: &str| {
            is_latin_word(word) && edits::misspelling_allowance(word.chars().count()) > 0
        };
        if !words.iter().any(|word| could_be_misspelt(word)) {
            return (found, folded_rest.to_owned());
        }
        for (term, group) in &self.terms {
            if found.len() >= limit {
                break;
            }
            let term_words: Vec<&str> = term.split_whitespace().collect();
            if term_words.is_empty()
                || term_words.len() > words.len()
                || !term_words.iter().all(|word| is_latin_word(word))
            {
                continue;
            }
            for start in 0..=words.len() - term_words.len() {
                let window = start..start + term_words.len();
                if used[window.clone()].iter().any(|taken| *taken) {
                    continue;
                }
                let mut misspelt = 0;
                let matches =
                    words[window.clone()]
                        .iter()
                        .zip(&term_words)
                        .all(|(word, term_word)| {
                            if word == term_word {
                                return true;
                            }
                            let near = could_be_misspelt(word)
                                && edits::misspells(word, term_word)
                                && *unknown.entry(word).or_insert_with(|| !known(word));
                            misspelt += usize::from(near);
                            near
                        });
                if matches && misspelt > 0 {
                    used[window].iter_mut().for_each(|taken| *taken = true);
                    if !found.contains(group) {
                        found.push(*group);
                    }
                }
            }
        }
        let rest = words
            .iter()
            .zip(&used)
            .filter(|(_, taken)| !**taken)
            .map(|(word, _)| *word)
            .collect::<Vec<_>>()
            .join(" ");
        (found, rest)
    }
}

fn parse_groups(text: &str) -> Vec<Group> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let mut group = Group::default();
            for term in line
                .split('|')
                .map(str::trim)
                .filter(|term| !term.is_empty())
            {
                let tagged = term
                    .split_once(':')
                    .filter(|(language, _)| LANGUAGES.contains(language));
                match tagged {
                    Some((language, term)) => {
                        group.languages.insert(language.to_owned());
                        group.terms.push(term.trim().to_owned());
                    }
                    None => group.terms.push(term.to_owned()),
                }
            }
            group
        })
        .filter(|group| group.terms.len() > 1)
        .collect()
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
    fn terms_past_the_budget_stay_plain_words() {
        let text: String = (0..MAX_GLOSSARY_TERMS + 2)
            .map(|group| format!("term{group}a | term{group}b\n"))
            .collect();
        let glossary = Glossary::parse(&text);
        let query: Vec<String> = (0..MAX_GLOSSARY_TERMS + 2)
            .map(|group| format!("term{group}a"))
            .collect();
        let (groups, rest) = glossary.extract(&query.join(" "));
        assert_eq!(groups.len(), MAX_GLOSSARY_TERMS);
        assert_eq!(rest.split_whitespace().count(), 2);
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
                .terms
                .iter()
                .any(|term| term == "digital economy")
        );
    }

    #[test]
    fn sectors_and_countries_join_in_every_language() {
        let glossary = Glossary::with_reference("");
        for query in [
            "数字金融",
            "數字金融",
            "digital finance",
            "tai chinh so",
            "kewangan digital",
        ] {
            let (groups, _) = glossary.extract(&fold(query));
            assert_eq!(groups.len(), 1, "{query}");
            let group = glossary.group(groups[0]);
            assert!(
                group
                    .concepts
                    .contains(&(Concept::Sector, "0505".to_owned())),
                "{query}"
            );
            assert!(
                group.terms.iter().any(|term| term == "Digital finance"),
                "{query}"
            );
        }
        let (groups, _) = glossary.extract(&fold("ກຳປູເຈຍ"));
        let group = glossary.group(groups[0]);
        assert_eq!(group.concepts, [(Concept::Country, "KH".to_owned())]);
    }

    #[test]
    fn a_misspelt_term_is_found_when_no_item_has_the_word() {
        let glossary = Glossary::parse("zh:网络安全 | en:cybersecurity\nzh:冷链 | en:cold chain");
        let (groups, rest) = glossary.extract_misspelt("cybersecurty training", 6, |_| false);
        assert_eq!((groups, rest.as_str()), (vec![0], "training"));
        let (groups, _) = glossary.extract_misspelt("cybersecurty", 6, |_| true);
        assert!(
            groups.is_empty(),
            "a word some item holds is taken as written"
        );
        let (groups, _) = glossary.extract_misspelt("cold chian", 6, |_| false);
        assert!(
            groups.is_empty(),
            "short words are not taken for misspellings"
        );
    }

    #[test]
    fn terms_may_name_their_language() {
        let glossary = Glossary::parse("zh:冷链 | en:cold chain | chaîne du froid");
        let (groups, _) = glossary.extract("cold chain");
        let group = glossary.group(groups[0]);
        assert_eq!(group.terms, ["冷链", "cold chain", "chaîne du froid"]);
        assert_eq!(
            group.languages.iter().collect::<Vec<_>>(),
            [&"en".to_owned(), &"zh".to_owned()]
        );
        let coverage = glossary.coverage();
        assert!(coverage.contains(&("zh", 1)) && coverage.contains(&("th", 0)));
    }

    #[test]
    fn groups_that_share_a_term_merge() {
        let glossary = Glossary::with_reference("智慧物流 | smart logistics | logistik pintar");
        let (groups, _) = glossary.extract("smart logistics");
        let group = glossary.group(groups[0]);
        assert!(group.terms.iter().any(|term| term == "logistik pintar"));
        assert_eq!(group.concepts, [(Concept::Sector, "0504".to_owned())]);
    }

    /// The README's coverage table, as the shipped glossary computes it.
    fn coverage_table(glossary: &Glossary) -> String {
        let coverage = glossary.coverage();
        let header: Vec<&str> = coverage.iter().map(|(language, _)| *language).collect();
        let counts: Vec<String> = coverage
            .iter()
            .map(|(_, count)| count.to_string())
            .collect();
        format!(
            "  | language | {} |\n  |---|{}\n  | groups with a term in it (of {}) | {} |\n",
            header.join(" | "),
            "---|".repeat(header.len()),
            glossary.len(),
            counts.join(" | ")
        )
    }

    #[test]
    fn glossary_coverage_is_what_the_readme_says() {
        let readme = include_str!("../../README.md");
        let table = coverage_table(&Glossary::shipped());
        assert!(
            readme.contains(&table),
            "the README's glossary coverage table should read:\n{table}"
        );
    }
}
