//! What only a research result has.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "research_details")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub content_id: String,
    #[sea_orm(column_type = "Text")]
    pub institutions: String,
    #[sea_orm(column_type = "Text")]
    pub authors: String,
    pub readiness_level: Option<i32>,
    pub ip_status: Option<String>,
    pub open_to_commercialisation: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
