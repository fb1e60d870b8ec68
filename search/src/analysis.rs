//! Text analysis for the region's languages.
//!
//! tantivy's default tokenizer splits on anything that is not alphanumeric, which drops
//! Chinese and Lao and cuts Thai at its vowel marks. This tokenizer routes each run of text
//! by script: Han through jieba in search mode (so 农业 is found inside 中国农业发展银行),
//! Thai, Lao, Khmer and Burmese through ICU's dictionary word segmenter, and everything else
//! (Latin, Vietnamese, digits) on word boundaries. Every token is then lower-cased, and Latin
//! letters lose their diacritics, so "ha noi" finds "Hà Nội".

use std::sync::LazyLock;

use icu_segmenter::WordSegmenter;
use icu_segmenter::options::WordBreakInvariantOptions;
use jieba_rs::Jieba;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer, Token, TokenStream, Tokenizer,
};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Bumped whenever tokens change: an index built by another version is rebuilt at start.
pub const ANALYZER_VERSION: u32 = 1;

/// The name the multilingual analyzer is registered under.
pub const MULTILINGUAL: &str = "ih_multilingual";
/// The name of the English analyzer (with stemming) used on English text only.
pub const ENGLISH: &str = "ih_english";

/// Alliance terms jieba must keep whole (and, in search mode, also split).
const CHINESE_TERMS: &[&str] = &[
    "东盟",
    "东盟博览会",
    "中国东盟",
    "数字经济",
    "跨境电商",
    "智慧物流",
    "智慧农业",
    "智慧城市",
    "数字政府",
    "金融科技",
    "一带一路",
    "澜湄合作",
    "北部湾",
    "数据中心",
    "人工智能",
    "新基建",
    "东博会",
    "数字化转型",
    "产业园",
];

static JIEBA: LazyLock<Jieba> = LazyLock::new(|| {
    let mut jieba = Jieba::new();
    for term in CHINESE_TERMS {
        jieba.add_word(term, Some(20_000), None);
    }
    jieba
});

/// Builds the analyzers; register them on every index before writing or searching.
pub fn register(index: &tantivy::Index) {
    index.tokenizers().register(
        MULTILINGUAL,
        TextAnalyzer::builder(MultilingualTokenizer)
            .filter(RemoveLongFilter::limit(80))
            .build(),
    );
    index.tokenizers().register(
        ENGLISH,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(80))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(Stemmer::new(Language::English))
            .build(),
    );
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Han,
    /// Thai, Lao, Khmer, Burmese: no spaces between words.
    SoutheastAsian,
    /// Letters and digits of every other script, Latin and Vietnamese above all.
    Word,
    Separator,
}

fn script_of(character: char) -> Script {
    match character as u32 {
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF => Script::Han,
        0x0E00..=0x0EFF
        | 0x1000..=0x109F
        | 0x1780..=0x17FF
        | 0x19E0..=0x19FF
        | 0xA9E0..=0xA9FF
        | 0xAA60..=0xAA7F => Script::SoutheastAsian,
        _ if character.is_alphanumeric() || is_combining_mark(character) => Script::Word,
        _ => Script::Separator,
    }
}

fn is_latin(character: char) -> bool {
    matches!(character, 'A'..='Z' | 'a'..='z' | '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}')
}

/// Lower-cases and strips diacritics from Latin letters only: the marks of Thai, Lao,
/// Khmer and Burmese are part of their words and stay.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut after_latin = false;
    for character in text.nfd() {
        if is_combining_mark(character) {
            if !after_latin {
                folded.push(character);
            }
            continue;
        }
        after_latin = is_latin(character);
        match character {
            'đ' | 'Đ' => folded.push('d'),
            other => folded.extend(other.to_lowercase()),
        }
    }
    folded.nfc().collect()
}

/// Splits `text` into words with their byte ranges, by script. Used for indexing, for
/// queries and for highlighting alike, so all three agree.
pub fn words(text: &str) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let mut run_start = 0;
    let mut run_script = Script::Separator;
    for (offset, character) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        let script = script_of(character);
        // Combining marks continue the run they follow, whatever their block.
        let continues = script == run_script
            || (is_combining_mark(character) && run_script != Script::Separator);
        if continues {
            continue;
        }
        split_run(text, run_start, offset, run_script, &mut words);
        run_start = offset;
        run_script = script;
    }
    words
}

fn split_run(
    text: &str,
    start: usize,
    end: usize,
    script: Script,
    words: &mut Vec<(usize, usize)>,
) {
    let run = &text[start..end];
    match script {
        Script::Separator => {}
        Script::Word => words.push((start, end)),
        Script::Han => {
            for token in JIEBA.cut_for_search(run, true) {
                if token.word.chars().any(char::is_alphanumeric) {
                    words.push((start + token.byte_start, start + token.byte_end));
                }
            }
        }
        Script::SoutheastAsian => {
            let segmenter = WordSegmenter::new_dictionary(WordBreakInvariantOptions::default());
            let mut previous = 0;
            for (breakpoint, word_type) in segmenter.segment_str(run).iter_with_word_type() {
                if breakpoint > previous && word_type.is_word_like() {
                    words.push((start + previous, start + breakpoint));
                }
                previous = breakpoint;
            }
        }
    }
}

/// Whether a token is a word of Latin letters (the script where typos are tolerated).
pub fn is_latin_word(token: &str) -> bool {
    token
        .chars()
        .all(|character| character.is_ascii_alphabetic())
}

/// Whether `text` holds any Han character (phrases of those are matched as word sets: jieba's
/// overlapping search-mode tokens have no stable positions).
pub fn has_han(text: &str) -> bool {
    text.chars()
        .any(|character| script_of(character) == Script::Han)
}

/// The multilingual tokenizer (see the module comment).
#[derive(Clone)]
pub struct MultilingualTokenizer;

pub struct Tokens {
    tokens: Vec<Token>,
    /// 1-based position of the current token; 0 before the first `advance`.
    cursor: usize,
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        self.cursor += 1;
        self.cursor <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.cursor - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.cursor - 1]
    }
}

impl Tokenizer for MultilingualTokenizer {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        let tokens = words(text)
            .into_iter()
            .enumerate()
            .map(|(position, (from, to))| Token {
                offset_from: from,
                offset_to: to,
                position,
                text: fold(&text[from..to]),
                position_length: 1,
            })
            .collect();
        Tokens { tokens, cursor: 0 }
    }
}

/// The folded tokens of `text`, as the index stores them.
pub fn tokens(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .map(|(from, to)| fold(&text[from..to]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_cut_in_search_mode() {
        let tokens = tokens("中国农业发展银行支持智慧物流");
        assert!(tokens.contains(&"农业".to_owned()), "{tokens:?}");
        assert!(tokens.contains(&"物流".to_owned()), "{tokens:?}");
        assert!(tokens.contains(&"智慧物流".to_owned()), "{tokens:?}");
    }

    #[test]
    fn thai_lao_khmer_and_burmese_are_split_into_words() {
        for (text, word) in [
            ("เกษตรอัจฉริยะในภาคอีสาน", "เกษตร"),
            ("ການລົງທຶນໃນລາວ", "ລາວ"),
            ("កសិកម្មឌីជីថលនៅកម្ពុជា", "កសិកម្ម"),
            ("မြန်မာနိုင်ငံတွင်ရင်းနှီးမြှုပ်နှံမှု", "တွင်"),
        ] {
            let tokens = tokens(text);
            assert!(tokens.len() > 1, "{text} was not split: {tokens:?}");
            assert!(
                tokens.iter().any(|token| token == word),
                "{text}: {tokens:?}"
            );
        }
    }

    #[test]
    fn latin_diacritics_fold_but_other_marks_stay() {
        assert_eq!(tokens("Hà Nội, Đà Nẵng"), ["ha", "noi", "da", "nang"]);
        assert_eq!(fold("ที่"), "ที่");
        assert_eq!(tokens("5G网络 e-Commerce"), ["5g", "网络", "e", "commerce"]);
    }
}
