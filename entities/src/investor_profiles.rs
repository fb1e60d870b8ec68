//! What an investor looks for: countries, sectors, ticket size, stages, types and a thesis.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "investor_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    /// Codes separated by commas, as are the next three.
    #[sea_orm(column_type = "Text")]
    pub countries: String,
    #[sea_orm(column_type = "Text")]
    pub sectors: String,
    #[sea_orm(column_type = "Text")]
    pub stages: String,
    #[sea_orm(column_type = "Text")]
    pub opportunity_types: String,
    pub ticket_min: Option<String>,
    pub ticket_max: Option<String>,
    pub currency: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub thesis: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
