//! What one search may cost. Every part of a query text costs work and memory when the
//! query is built: a typo-tolerant word builds a Levenshtein automaton per text field (about
//! a megabyte at edit distance 2), a glossary term adds every equivalent in every language, a
//! phrase adds positional matching. The text is measured against these limits before any of
//! that is built; a query over one is refused, never cut silently.

use crate::analysis::{self, fold, is_latin_word};
use crate::glossary::Glossary;
use crate::query::parse;

/// Characters of query text: a long question fits, a pasted document does not.
pub const MAX_QUERY_CHARS: usize = 500;
/// Words, counting those in phrases and exclusions.
pub const MAX_QUERY_WORDS: usize = 32;
/// Words that tolerate typos (Latin words of 5 letters or more).
pub const MAX_TYPO_WORDS: usize = 8;
/// Quoted phrases.
pub const MAX_PHRASES: usize = 8;
/// Glossary terms expanded in one query (each brings its equivalents in every language);
/// further terms are matched as the plain words they are.
pub const MAX_GLOSSARY_TERMS: usize = 6;

/// The limit a query text exceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverBudget {
    /// What was counted, in words a person reads ("words", "quoted phrases").
    pub what: &'static str,
    pub max: usize,
}

fn at_most(what: &'static str, count: usize, max: usize) -> Result<(), OverBudget> {
    if count > max {
        return Err(OverBudget { what, max });
    }
    Ok(())
}

/// Whether a word of the query tolerates typos (see `SearchIndex::token_query`).
pub(crate) fn tolerates_typos(token: &str) -> bool {
    is_latin_word(token) && token.chars().count() >= 5
}

/// Checks `text` against every limit, cheapest first.
pub fn check(text: &str, glossary: &Glossary) -> Result<(), OverBudget> {
    at_most(
        "characters",
        text.chars().take(MAX_QUERY_CHARS + 1).count(),
        MAX_QUERY_CHARS,
    )?;
    let (plain, phrases, excluded) = parse(text);
    at_most("quoted phrases", phrases.len(), MAX_PHRASES)?;
    let phrase_words: Vec<String> = phrases
        .iter()
        .flat_map(|phrase| analysis::tokens(phrase))
        .collect();
    let (_, rest) = glossary.extract(&fold(&plain));
    let plain_words = analysis::tokens(&plain);
    at_most(
        "words",
        plain_words.len() + phrase_words.len() + excluded.len(),
        MAX_QUERY_WORDS,
    )?;
    // Glossary equivalents are matched exactly; the caller's own words and single-word
    // phrases tolerate typos.
    let typo_words = analysis::tokens(&rest)
        .iter()
        .chain(&phrase_words)
        .filter(|token| tolerates_typos(token))
        .count();
    at_most("words that tolerate typos", typo_words, MAX_TYPO_WORDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_queries_pass() {
        let glossary = Glossary::shipped();
        for text in [
            "cold chain logistics in Vietnam",
            "\"digital economy\" -tender 数字经济 smart port",
            "ha noi fintech",
            "",
        ] {
            assert_eq!(check(text, &glossary), Ok(()), "{text}");
        }
    }

    #[test]
    fn each_limit_names_itself() {
        let glossary = Glossary::shipped();
        let long = "a".repeat(MAX_QUERY_CHARS + 1);
        assert_eq!(check(&long, &glossary).unwrap_err().what, "characters");
        let many = "ab ".repeat(MAX_QUERY_WORDS + 1);
        assert_eq!(check(&many, &glossary).unwrap_err().what, "words");
        let typos = "harbours ".repeat(MAX_TYPO_WORDS + 1);
        assert_eq!(
            check(&typos, &glossary).unwrap_err().what,
            "words that tolerate typos"
        );
        let phrases = "\"a b\" ".repeat(MAX_PHRASES + 1);
        assert_eq!(
            check(&phrases, &glossary).unwrap_err().what,
            "quoted phrases"
        );
    }
}
