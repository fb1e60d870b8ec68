//! Reference data held in memory: countries, regions and sectors are small, read on almost
//! every request, and change only through migrations or the secretariat.

use std::collections::{BTreeMap, HashMap};

use entities::{countries, region_countries, regions, sectors};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, QueryOrder};

#[derive(Debug, Clone)]
pub struct Country {
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    pub name_local: String,
    pub local_language: String,
    pub currency: String,
}

impl Country {
    /// The name in `lang`: Chinese, English or the country's own language; English otherwise.
    pub fn name(&self, lang: Option<&str>) -> &str {
        let primary = lang.map(primary_subtag);
        match primary.as_deref() {
            Some("zh") => &self.name_zh,
            Some(language) if language == self.local_language => &self.name_local,
            _ => &self.name_en,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Sector {
    pub code: String,
    pub parent_code: Option<String>,
    pub name_zh: String,
    pub name_en: String,
}

impl Sector {
    /// The name in `lang`: Chinese or English (the classification has only these two).
    pub fn name(&self, lang: Option<&str>) -> &str {
        match lang.map(primary_subtag).as_deref() {
            Some("zh") => &self.name_zh,
            _ => &self.name_en,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Region {
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    pub countries: Vec<String>,
}

/// The primary language subtag, lower-cased: `zh-Hans-CN` → `zh`.
pub fn primary_subtag(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

#[derive(Debug, Clone, Default)]
pub struct Reference {
    pub countries: Vec<Country>,
    pub sectors: Vec<Sector>,
    pub regions: Vec<Region>,
    country_index: HashMap<String, usize>,
    sector_index: HashMap<String, usize>,
}

impl Reference {
    pub async fn load(db: &DatabaseConnection) -> Result<Self, DbErr> {
        let countries: Vec<Country> = countries::Entity::find()
            .order_by_asc(countries::Column::Position)
            .all(db)
            .await?
            .into_iter()
            .map(|row| Country {
                code: row.code,
                name_en: row.name_en,
                name_zh: row.name_zh,
                name_local: row.name_local,
                local_language: row.local_language,
                currency: row.currency,
            })
            .collect();
        let sectors: Vec<Sector> = sectors::Entity::find()
            .order_by_asc(sectors::Column::Position)
            .all(db)
            .await?
            .into_iter()
            .map(|row| Sector {
                code: row.code,
                parent_code: row.parent_code,
                name_zh: row.name_zh,
                name_en: row.name_en,
            })
            .collect();
        let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for link in region_countries::Entity::find().all(db).await? {
            members
                .entry(link.region_code)
                .or_default()
                .push(link.country_code);
        }
        let regions = regions::Entity::find()
            .order_by_asc(regions::Column::Code)
            .all(db)
            .await?
            .into_iter()
            .map(|row| Region {
                countries: members.remove(&row.code).unwrap_or_default(),
                code: row.code,
                name_en: row.name_en,
                name_zh: row.name_zh,
            })
            .collect();
        Ok(Self::new(countries, sectors, regions))
    }

    pub fn new(countries: Vec<Country>, sectors: Vec<Sector>, regions: Vec<Region>) -> Self {
        let country_index = countries
            .iter()
            .enumerate()
            .map(|(index, country)| (country.code.clone(), index))
            .collect();
        let sector_index = sectors
            .iter()
            .enumerate()
            .map(|(index, sector)| (sector.code.clone(), index))
            .collect();
        Self {
            countries,
            sectors,
            regions,
            country_index,
            sector_index,
        }
    }

    pub fn country(&self, code: &str) -> Option<&Country> {
        self.country_index
            .get(code)
            .map(|&index| &self.countries[index])
    }

    pub fn sector(&self, code: &str) -> Option<&Sector> {
        self.sector_index
            .get(code)
            .map(|&index| &self.sectors[index])
    }

    pub fn region(&self, code: &str) -> Option<&Region> {
        self.regions.iter().find(|region| region.code == code)
    }

    pub fn children(&self, code: &str) -> impl Iterator<Item = &Sector> {
        self.sectors
            .iter()
            .filter(move |sector| sector.parent_code.as_deref() == Some(code))
    }

    /// The codes a sector filter matches: the code itself and, for a category, its
    /// sub-categories.
    pub fn sector_with_descendants(&self, code: &str) -> Vec<String> {
        std::iter::once(code.to_owned())
            .chain(self.children(code).map(|child| child.code.clone()))
            .collect()
    }

    /// Whether `code` is `scope` or lies under it.
    pub fn sector_covers(&self, scope: &str, code: &str) -> bool {
        scope == code
            || self
                .sector(code)
                .and_then(|sector| sector.parent_code.as_deref())
                == Some(scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Reference {
        let sector = |code: &str, parent: Option<&str>| Sector {
            code: code.into(),
            parent_code: parent.map(Into::into),
            name_zh: format!("zh {code}"),
            name_en: format!("en {code}"),
        };
        Reference::new(
            vec![],
            vec![
                sector("05", None),
                sector("0501", Some("05")),
                sector("0504", Some("05")),
                sector("04", None),
            ],
            vec![],
        )
    }

    #[test]
    fn a_category_matches_its_sub_categories() {
        assert_eq!(
            sample().sector_with_descendants("05"),
            vec!["05", "0501", "0504"]
        );
        assert_eq!(sample().sector_with_descendants("0504"), vec!["0504"]);
    }

    #[test]
    fn a_category_scope_covers_its_sub_categories_only() {
        let reference = sample();
        assert!(reference.sector_covers("05", "0504"));
        assert!(!reference.sector_covers("04", "0504"));
        assert!(!reference.sector_covers("0504", "05"));
    }

    #[test]
    fn names_fall_back_to_english() {
        let reference = sample();
        let sector = reference.sector("0501").unwrap();
        assert_eq!(sector.name(Some("zh-Hans")), "zh 0501");
        assert_eq!(sector.name(Some("th")), "en 0501");
        assert_eq!(sector.name(None), "en 0501");
    }
}
