//! Text analysis for the region's languages.
//!
//! tantivy's default tokenizer splits on anything that is not alphanumeric, which drops
//! Chinese and Lao and cuts Thai at its vowel marks. This tokenizer routes each run of text
//! by script: Han through jieba in search mode (so 农业 is found inside 中国农业发展银行),
//! Thai, Lao, Khmer and Burmese through ICU's dictionary word segmenter, and everything else
//! (Latin, Vietnamese, digits) on word boundaries. Every token is then lower-cased, and Latin
//! letters lose their diacritics, so "ha noi" finds "Hà Nội". Folding also meets the
//! variants users type: traditional Chinese characters become simplified ones, Thai and Lao
//! sara am and the Lao ligatures ໜ ໝ become the letters people also type for them, and the
//! Lao ຣ of the old spelling becomes ລ.
//!
//! Two more analyses sit beside the words: grapheme bigrams of the unspaced scripts
//! ([`grams`]), the fallback that finds a word inside unspaced text however the dictionary
//! cut it, and light Indonesian and Malay stems ([`crate::stem`]).

use std::sync::LazyLock;

use icu_segmenter::options::WordBreakInvariantOptions;
use icu_segmenter::{GraphemeClusterSegmenter, WordSegmenter};
use jieba_rs::Jieba;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer, Token, TokenStream, Tokenizer,
};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Bumped whenever tokens change: an index built by another version is rebuilt at start.
pub const ANALYZER_VERSION: u32 = 2;

/// The name the multilingual analyzer is registered under.
pub const MULTILINGUAL: &str = "ih_multilingual";
/// The name of the English analyzer (with stemming) used on English text only.
pub const ENGLISH: &str = "ih_english";
/// The name of the grapheme-bigram analyzer of unspaced text.
pub const GRAMS: &str = "ih_grams";
/// The name of the Indonesian and Malay analyzer (light stems) used on their text only.
pub const MALAY: &str = "ih_malay";

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
    index
        .tokenizers()
        .register(GRAMS, TextAnalyzer::from(GramTokenizer));
    index
        .tokenizers()
        .register(MALAY, TextAnalyzer::from(MalayTokenizer));
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
    // ASCII has no marks to drop and nothing to normalise: lowercasing is the whole fold
    // (most of an English text's tokens; the normalisations were a tenth of indexing time).
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
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
            other if is_unspaced(other) => fold_unspaced(other, &mut folded),
            other => folded.extend(other.to_lowercase()),
        }
    }
    folded.nfc().collect()
}

/// Folds a character of Chinese or of the unspaced Southeast Asian scripts.
fn fold_unspaced(character: char, folded: &mut String) {
    match character {
        // The old Lao spelling's ຣ (ro) is ລ (lo) in today's.
        'ຣ' => folded.push('ລ'),
        // Sara am (Thai, Lao) and the Lao ligatures ໜ ໝ: people also type them as two
        // characters, which is what their compatibility decomposition gives.
        '\u{0E33}' | '\u{0EB3}' | '\u{0EDC}' | '\u{0EDD}' => {
            folded.extend(std::iter::once(character).nfkc());
        }
        // A compatibility ideograph is its unified one (as `fold`'s normalisation makes it).
        _ if script_of(character) == Script::Han => {
            folded.extend(std::iter::once(character).nfc().map(simplified));
        }
        other => folded.push(other),
    }
}

/// The first and last code points of the CJK Unified Ideographs block, where nearly every
/// Chinese character of real text is.
const UNIFIED_IDEOGRAPHS: (u32, u32) = (0x4E00, 0x9FFF);

/// Each unified ideograph's simplified form, looked up once: `fast2s::convert` allocates a
/// string per call, which made it a tenth of a search's time (highlighting tokenises every
/// hit's text).
static SIMPLIFIED: LazyLock<Vec<char>> = LazyLock::new(|| {
    (UNIFIED_IDEOGRAPHS.0..=UNIFIED_IDEOGRAPHS.1)
        .filter_map(char::from_u32)
        .map(convert_one)
        .collect()
});

fn convert_one(character: char) -> char {
    let mut buffer = [0; 4];
    fast2s::convert(character.encode_utf8(&mut buffer))
        .chars()
        .next()
        .unwrap_or(character)
}

/// The simplified form of a traditional Chinese character; other characters unchanged.
fn simplified(character: char) -> char {
    let code = character as u32;
    if (UNIFIED_IDEOGRAPHS.0..=UNIFIED_IDEOGRAPHS.1).contains(&code) {
        return SIMPLIFIED[(code - UNIFIED_IDEOGRAPHS.0) as usize];
    }
    if script_of(character) == Script::Han {
        return convert_one(character);
    }
    character
}

fn is_unspaced(character: char) -> bool {
    matches!(script_of(character), Script::Han | Script::SoutheastAsian)
}

/// A run of `text` in one script: its byte range and whether the script is written without
/// spaces between words (Chinese, Thai, Lao, Khmer, Burmese).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub from: usize,
    pub to: usize,
    pub unspaced: bool,
    script: Script,
}

impl Run {
    /// Whether the run is Chinese.
    pub fn is_han(&self) -> bool {
        self.script == Script::Han
    }
}

/// Splits `text` into runs of one script, separators dropped.
pub fn runs(text: &str) -> Vec<Run> {
    let mut runs = Vec::new();
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
        if run_script != Script::Separator {
            runs.push(Run {
                from: run_start,
                to: offset,
                unspaced: matches!(run_script, Script::Han | Script::SoutheastAsian),
                script: run_script,
            });
        }
        run_start = offset;
        run_script = script;
    }
    runs
}

/// Splits `text` into words with their byte ranges, by script. Used for indexing, for
/// queries and for highlighting alike, so all three agree.
pub fn words(text: &str) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    for run in runs(text) {
        run_words(text, run, &mut words);
    }
    words
}

/// The words of one run, with their byte ranges in `text`.
pub fn run_words(text: &str, run: Run, words: &mut Vec<(usize, usize)>) {
    let Run {
        from: start,
        to: end,
        script,
        ..
    } = run;
    let run = &text[start..end];
    match script {
        Script::Separator => {}
        Script::Word => words.push((start, end)),
        Script::Han => {
            // jieba knows simplified Chinese: a traditional run is cut in its simplified form,
            // character for character, so the cuts map back onto the run.
            let simple: String = run.chars().map(simplified).collect();
            let original: Vec<usize> = run
                .char_indices()
                .map(|(offset, _)| offset)
                .chain(std::iter::once(run.len()))
                .collect();
            let converted: Vec<usize> = simple
                .char_indices()
                .map(|(offset, _)| offset)
                .chain(std::iter::once(simple.len()))
                .collect();
            let back = |offset: usize| {
                converted
                    .binary_search(&offset)
                    .map_or(run.len(), |index| original[index])
            };
            let mut cut: Vec<(usize, usize)> = JIEBA
                .cut_for_search(&simple, true)
                .into_iter()
                .filter(|token| token.word.chars().any(char::is_alphanumeric))
                .map(|token| (start + back(token.byte_start), start + back(token.byte_end)))
                .collect();
            // Search mode gives a compound after its parts (数据, 保护, 数据保护); in text order
            // instead, as the snippet generator needs (it panicked on a compound that began
            // before the fragment its last part started).
            cut.sort_unstable();
            words.extend(cut);
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

/// A grapheme bigram of unspaced text: its folded text and its byte range in the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gram {
    pub text: String,
    pub from: usize,
    pub to: usize,
    /// Runs are one position apart, so a phrase of bigrams never spans two runs.
    pub position: usize,
}

/// The grapheme bigrams of every unspaced run of `text`, folded: 冷链监测 gives 冷链, 链监,
/// 监测 whatever the dictionary made of it. A run of one grapheme gives none.
pub fn grams(text: &str) -> Vec<Gram> {
    let segmenter = GraphemeClusterSegmenter::new();
    let mut grams = Vec::new();
    let mut position = 0;
    for run in runs(text).into_iter().filter(|run| run.unspaced) {
        // The folded run, and for each of its characters the original character's range.
        let mut folded = String::new();
        let mut origin: Vec<(usize, usize, usize)> = Vec::new();
        for (offset, character) in text[run.from..run.to].char_indices() {
            let from = run.from + offset;
            let at = folded.len();
            if is_combining_mark(character) {
                folded.push(character);
            } else {
                fold_unspaced(character, &mut folded);
            }
            origin.push((at, from, from + character.len_utf8()));
        }
        // A bound inside a character that folded into two (ໜ into ຫນ) takes in all of it.
        let original = |offset: usize, end: bool| -> usize {
            if offset >= folded.len() {
                return run.to;
            }
            match origin.binary_search_by_key(&offset, |(at, _, _)| *at) {
                Ok(index) => origin[index].1,
                Err(index) if end => origin[index - 1].2,
                Err(index) => origin[index - 1].1,
            }
        };
        let bounds: Vec<usize> = segmenter.segment_str(&folded).collect();
        for window in bounds.windows(3) {
            grams.push(Gram {
                text: folded[window[0]..window[2]].to_owned(),
                from: original(window[0], false),
                to: original(window[2], true),
                position,
            });
            position += 1;
        }
        position += 1;
    }
    grams
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

impl Tokens {
    /// A stream of (byte range, position, text) tokens.
    fn of(tokens: impl IntoIterator<Item = (usize, usize, usize, String)>) -> Tokens {
        let tokens = tokens
            .into_iter()
            .map(|(offset_from, offset_to, position, text)| Token {
                offset_from,
                offset_to,
                position,
                text,
                position_length: 1,
            })
            .collect();
        Tokens { tokens, cursor: 0 }
    }
}

impl Tokenizer for MultilingualTokenizer {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        Tokens::of(
            words(text)
                .into_iter()
                .enumerate()
                .map(|(position, (from, to))| (from, to, position, fold(&text[from..to]))),
        )
    }
}

/// The grapheme-bigram tokenizer of unspaced text (see [`grams`]).
#[derive(Clone)]
pub struct GramTokenizer;

impl Tokenizer for GramTokenizer {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        Tokens::of(
            grams(text)
                .into_iter()
                .map(|gram| (gram.from, gram.to, gram.position, gram.text)),
        )
    }
}

/// The Indonesian and Malay tokenizer: every Latin word's light stems, at its position.
#[derive(Clone)]
pub struct MalayTokenizer;

impl Tokenizer for MalayTokenizer {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        Tokens::of(
            words(text)
                .into_iter()
                .enumerate()
                .flat_map(|(position, (from, to))| {
                    crate::stem::malay_stems(&fold(&text[from..to]))
                        .into_iter()
                        .map(move |stem| (from, to, position, stem))
                }),
        )
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
    fn words_come_in_text_order() {
        let text = "《个人信息保护法》规定个人数据保护义务，数据保护影响评估和数据中心安全。";
        let words = words(text);
        assert!(words.windows(2).all(|pair| pair[0] <= pair[1]), "{words:?}");
        assert!(words.len() > 10);
    }

    #[test]
    fn variants_people_type_fold_together() {
        assert_eq!(tokens("數字經濟"), tokens("数字经济"));
        assert!(tokens("跨境電商平台").contains(&"跨境电商".to_owned()));
        assert_eq!(
            fold("ทํา"),
            fold("ทำ"),
            "Thai sara am typed as two characters"
        );
        assert_eq!(fold("ຫນອງຄາຍ"), fold("ໜອງຄາຍ"), "Lao ໜ typed as ຫ and ນ");
        assert_eq!(fold("ອາເມຣິກາ"), fold("ອາເມລິກາ"), "Lao old spelling");
    }

    #[test]
    fn bigrams_find_a_word_however_the_dictionary_cut_it() {
        let texts = |text: &str| {
            grams(text)
                .into_iter()
                .map(|gram| gram.text)
                .collect::<Vec<_>>()
        };
        assert_eq!(texts("受冷链监测"), ["受冷", "冷链", "链监", "监测"]);
        assert!(!texts("Nanning 冷链 and 物流").is_empty());
        // Graphemes, not code points: a Thai consonant keeps its marks.
        assert_eq!(texts("ที่ดิน"), ["ที่ดิ", "ดิน"]);
        // Offsets point into the original text, also where folding changed it.
        let text = "a 冷鏈 b";
        let gram = &grams(text)[0];
        assert_eq!(
            (gram.text.as_str(), &text[gram.from..gram.to]),
            ("冷链", "冷鏈")
        );
        // Runs do not join: the last gram of one and the first of the next are two apart.
        let positions: Vec<usize> = grams("冷链 物流")
            .iter()
            .map(|gram| gram.position)
            .collect();
        assert_eq!(positions, [0, 2]);
    }

    #[test]
    fn latin_diacritics_fold_but_other_marks_stay() {
        assert_eq!(tokens("Hà Nội, Đà Nẵng"), ["ha", "noi", "da", "nang"]);
        assert_eq!(fold("ที่"), "ที่");
        assert_eq!(tokens("5G网络 e-Commerce"), ["5g", "网络", "e", "commerce"]);
    }
}
