//! The names of the sectors of the classification and of the countries in every language of
//! the project (`search/data/sector_names.csv`, `search/data/country_names.csv`): they join
//! the glossary, and suggestions offer them.

use std::sync::LazyLock;

const SECTORS: &str = include_str!("../data/sector_names.csv");
const COUNTRIES: &str = include_str!("../data/country_names.csv");

/// What a set of names stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Concept {
    Sector,
    Country,
}

/// One sector or country and its names, as (language, name).
#[derive(Debug, Clone)]
pub struct Named {
    pub concept: Concept,
    pub code: String,
    pub names: Vec<(String, String)>,
}

impl Named {
    /// The name in `language`, English otherwise.
    pub fn name(&self, language: &str) -> &str {
        let find = |wanted: &str| {
            self.names
                .iter()
                .find(|(language, _)| language == wanted)
                .map(|(_, name)| name.as_str())
        };
        find(language).or_else(|| find("en")).unwrap_or(&self.code)
    }
}

static ALL: LazyLock<Vec<Named>> = LazyLock::new(|| {
    let mut all = parse(Concept::Sector, SECTORS);
    all.extend(parse(Concept::Country, COUNTRIES));
    all
});

/// Every sector, then every country.
pub fn all() -> &'static [Named] {
    &ALL
}

/// Rows of `code,<language>,<language>…` with a header; a field may be double-quoted.
fn parse(concept: Concept, text: &str) -> Vec<Named> {
    let mut lines = text.lines().filter(|line| !line.trim().is_empty());
    let header = fields(lines.next().unwrap_or_default());
    lines
        .map(|line| {
            let values = fields(line);
            Named {
                concept,
                code: values.first().cloned().unwrap_or_default(),
                names: header
                    .iter()
                    .skip(1)
                    .cloned()
                    .zip(values.into_iter().skip(1))
                    .filter(|(_, name)| !name.is_empty())
                    .collect(),
            }
        })
        .collect()
}

fn fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut characters = line.chars().peekable();
    while let Some(character) = characters.next() {
        match (character, quoted) {
            ('"', true) if characters.peek() == Some(&'"') => {
                characters.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (other, _) => fields.last_mut().unwrap().push(other),
        }
    }
    fields
        .into_iter()
        .map(|field| field.trim().to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sector_and_country_is_named_in_every_language() {
        let languages = ["zh", "en", "th", "vi", "id", "ms", "fil", "km", "lo", "my"];
        let sectors = all()
            .iter()
            .filter(|named| named.concept == Concept::Sector);
        assert_eq!(sectors.count(), 37);
        for named in all() {
            for language in languages {
                assert!(
                    named
                        .names
                        .iter()
                        .any(|(name_language, name)| name_language == language && !name.is_empty()),
                    "{} has no name in {language}",
                    named.code
                );
            }
        }
        let telecom = all().iter().find(|named| named.code == "0302").unwrap();
        assert_eq!(
            telecom.name("en"),
            "Telecommunications, broadcasting and satellite transmission"
        );
    }
}
