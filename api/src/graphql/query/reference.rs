//! Reference data: countries, sectors and regions, open to everyone.

use async_graphql::{Context, Object};

use crate::graphql::context::state;
use crate::graphql::types::reference::{Country, Region, Sector};

#[derive(Default)]
pub struct ReferenceQuery;

#[Object]
impl ReferenceQuery {
    /// China and the ASEAN members, China first.
    #[graphql(complexity = "crate::limits::COUNTRIES_MAX * child_complexity")]
    async fn countries(&self, context: &Context<'_>) -> async_graphql::Result<Vec<Country>> {
        Ok(state(context)?
            .reference
            .countries
            .iter()
            .cloned()
            .map(Country)
            .collect())
    }

    /// The digital-economy classification: the five categories, each with its sub-categories
    /// as `children`.
    #[graphql(complexity = "crate::limits::SECTOR_CATEGORIES_MAX * child_complexity")]
    async fn sectors(&self, context: &Context<'_>) -> async_graphql::Result<Vec<Sector>> {
        let reference = &state(context)?.reference;
        Ok(reference
            .sectors
            .iter()
            .filter(|sector| sector.parent_code.is_none())
            .cloned()
            .map(Sector)
            .collect())
    }

    /// One sector by code, category or sub-category.
    async fn sector(
        &self,
        context: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Option<Sector>> {
        Ok(state(context)?
            .reference
            .sector(code.trim())
            .cloned()
            .map(Sector))
    }

    /// Named sets of countries, such as the Mekong subregion.
    #[graphql(complexity = "crate::limits::REGIONS_MAX * child_complexity")]
    async fn regions(&self, context: &Context<'_>) -> async_graphql::Result<Vec<Region>> {
        Ok(state(context)?
            .reference
            .regions
            .iter()
            .cloned()
            .map(Region)
            .collect())
    }
}
