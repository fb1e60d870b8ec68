//! A small reader for the reference CSV files shipped with the migrations.
//!
//! The files are ours and simple (a header, commas, fields quoted only when they hold a
//! comma), so a dependency on a CSV crate would buy nothing.

/// Splits `text` into records of fields, skipping the header line and blank lines.
pub fn records(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(fields)
        .collect()
}

fn fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(character) = chars.next() {
        match character {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => fields.push(std::mem::take(&mut current)),
            other => current.push(other),
        }
    }
    fields.push(current);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_keep_their_commas() {
        let parsed = records("a,b\n0302,\"Telecom, broadcasting\"\n");
        assert_eq!(
            parsed,
            vec![vec!["0302".to_owned(), "Telecom, broadcasting".to_owned()]]
        );
    }

    #[test]
    fn every_shipped_sector_has_four_fields() {
        let sectors = records(include_str!("../reference/sectors.csv"));
        assert_eq!(sectors.len(), 37);
        assert!(sectors.iter().all(|record| record.len() == 4));
    }

    #[test]
    fn every_shipped_country_has_seven_fields() {
        let countries = records(include_str!("../reference/countries.csv"));
        assert_eq!(countries.len(), 12);
        assert!(countries.iter().all(|record| record.len() == 7));
    }
}
