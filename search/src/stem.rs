//! Light stemming for Indonesian and Malay: a word and its affixed forms (bayar, membayar,
//! pembayaran; kembang, dikembangkan, pengembangan) meet on a common stem. It is light on
//! purpose: the possessive -nya, one suffix and one prefix at most, no dictionary, and no
//! particles (-lah, -kah end too many roots: sekolah, masalah). Where a nasal prefix hides the
//! root's first letter (memasarkan: pasar; mengirim: kirim; but mengatur: atur) every
//! reading is kept, and where a prefix may be part of the root (digital, terminal) so is the
//! word itself: a stem that matches too much is rarer than one that misses.

/// The shortest stem an affix may leave: shorter remainders keep the affix (kerja, jalan).
const MIN_STEM: usize = 4;

const POSSESSIVES: &[&str] = &["nya"];
/// Longest first, so "-isasi" is tried before "-si" would be.
const SUFFIXES: &[&str] = &["isasi", "kan", "an"];

fn is_vowel(letter: u8) -> bool {
    matches!(letter, b'a' | b'e' | b'i' | b'o' | b'u')
}

fn strip_suffix<'a>(word: &'a str, suffixes: &[&str]) -> &'a str {
    suffixes
        .iter()
        .find_map(|suffix| {
            word.strip_suffix(suffix)
                .filter(|rest| rest.len() >= MIN_STEM)
        })
        .unwrap_or(word)
}

/// The stems of one lower-cased, diacritic-free word; the word itself when it is not a
/// plain Latin word long enough to carry affixes.
pub fn malay_stems(word: &str) -> Vec<String> {
    if word.len() <= MIN_STEM || !word.bytes().all(|byte| byte.is_ascii_lowercase()) {
        return vec![word.to_owned()];
    }
    let word = strip_suffix(word, POSSESSIVES);
    let word = strip_suffix(word, SUFFIXES);
    let mut stems = prefixed_stems(word);
    stems.retain(|stem| stem.len() >= MIN_STEM);
    if stems.is_empty() {
        stems.push(word.to_owned());
    }
    stems.dedup();
    stems
}

/// The readings of `word` without one prefix.
fn prefixed_stems(word: &str) -> Vec<String> {
    let bytes = word.as_bytes();
    let after = |prefix: &str| bytes.get(prefix.len()).copied().unwrap_or(b' ');
    let rest = |prefix: &str| word[prefix.len()..].to_owned();
    let with = |letter: &str, prefix: &str| format!("{letter}{}", &word[prefix.len()..]);
    for nasal in ["meny", "peny"] {
        if word.starts_with(nasal) && is_vowel(after(nasal)) {
            return vec![with("s", nasal)];
        }
    }
    for (nasal, hidden, kept) in [
        ("meng", "k", b"ghk".as_slice()),
        ("peng", "k", b"ghk".as_slice()),
        ("mem", "p", b"bpf".as_slice()),
        ("pem", "p", b"bpf".as_slice()),
        ("men", "t", b"cdjtz".as_slice()),
        ("pen", "t", b"cdjtz".as_slice()),
    ] {
        if word.starts_with(nasal) {
            let next = after(nasal);
            if is_vowel(next) {
                // memasarkan: pasar; memajukan: maju (me- before m); mengatur: atur.
                let same = &nasal[nasal.len() - 1..];
                return vec![rest(nasal), with(hidden, nasal), with(same, nasal)];
            }
            if kept.contains(&next) {
                return vec![rest(nasal)];
            }
        }
    }
    for prefix in ["ber", "per", "me", "pe"] {
        if word.starts_with(prefix) && !is_vowel(after(prefix)) {
            return vec![rest(prefix)];
        }
    }
    // A prefix or the start of the root: digital, terminal, kerajaan.
    for prefix in ["di", "ter", "ke"] {
        if word.starts_with(prefix) {
            return vec![rest(prefix), word.to_owned()];
        }
    }
    vec![word.to_owned()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meet(left: &str, right: &str) -> bool {
        let left = malay_stems(left);
        malay_stems(right).iter().any(|stem| left.contains(stem))
    }

    #[test]
    fn affixed_forms_meet_their_root() {
        for (affixed, root) in [
            ("pembayaran", "bayar"),
            ("membayar", "bayar"),
            ("pembayarannya", "pembayaran"),
            ("dikembangkan", "pengembangan"),
            ("mengembangkan", "kembang"),
            ("memasarkan", "pasar"),
            ("pemasaran", "pasar"),
            ("pertanian", "petani"),
            ("digitalisasi", "digital"),
            ("pendigitalan", "digital"),
            ("pelaburan", "melabur"),
            ("berniaga", "niaga"),
            ("perdagangan", "dagang"),
            ("pemerintahan", "pemerintah"),
            ("keselamatan", "selamat"),
            ("menyediakan", "sedia"),
            ("memajukan", "maju"),
        ] {
            assert!(
                meet(affixed, root),
                "{affixed} {:?} and {root} {:?}",
                malay_stems(affixed),
                malay_stems(root)
            );
        }
    }

    #[test]
    fn short_and_unrelated_words_stay_apart() {
        assert_eq!(malay_stems("data"), ["data"]);
        assert_eq!(malay_stems("kerja"), ["kerja"]);
        assert_eq!(malay_stems("jalan"), ["jalan"]);
        assert!(!meet("pasar", "bayar"));
        assert!(!meet("digital", "data"));
    }
}
