//! Countries and sectors as the schema shows them.

use async_graphql::{Context, Object};

use crate::graphql::context::state;
use crate::reference;

pub struct Country(pub reference::Country);

#[Object]
impl Country {
    /// ISO 3166-1 alpha-2 code.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The name in `lang` (zh, en or the country's own language), English otherwise.
    async fn name(&self, lang: Option<String>) -> &str {
        self.0.name(lang.as_deref())
    }

    /// The name in the country's own language and script.
    async fn local_name(&self) -> &str {
        &self.0.name_local
    }

    /// ISO 4217 code of the national currency.
    async fn currency(&self) -> &str {
        &self.0.currency
    }
}

pub struct Sector(pub reference::Sector);

#[Object]
impl Sector {
    /// 01–05 for a category, 0101–0509 for a sub-category.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The name in `lang` (zh or en), English otherwise.
    async fn name(&self, lang: Option<String>) -> &str {
        self.0.name(lang.as_deref())
    }

    /// The category of a sub-category; null for a category.
    async fn parent(&self, context: &Context<'_>) -> async_graphql::Result<Option<Sector>> {
        let reference = &state(context)?.reference;
        Ok(self
            .0
            .parent_code
            .as_deref()
            .and_then(|code| reference.sector(code))
            .cloned()
            .map(Sector))
    }

    /// The sub-categories of a category; empty for a sub-category.
    #[graphql(complexity = "crate::limits::SECTOR_CHILDREN_MAX * child_complexity")]
    async fn children(&self, context: &Context<'_>) -> async_graphql::Result<Vec<Sector>> {
        let reference = &state(context)?.reference;
        Ok(reference
            .children(&self.0.code)
            .cloned()
            .map(Sector)
            .collect())
    }
}

pub struct Region(pub reference::Region);

#[Object]
impl Region {
    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn name(&self, lang: Option<String>) -> &str {
        match lang.as_deref().map(reference::primary_subtag).as_deref() {
            Some("zh") => &self.0.name_zh,
            _ => &self.0.name_en,
        }
    }

    #[graphql(complexity = "crate::limits::COUNTRIES_MAX * child_complexity")]
    async fn countries(&self, context: &Context<'_>) -> async_graphql::Result<Vec<Country>> {
        let reference = &state(context)?.reference;
        Ok(self
            .0
            .countries
            .iter()
            .filter_map(|code| reference.country(code))
            .cloned()
            .map(Country)
            .collect())
    }
}
