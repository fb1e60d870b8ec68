//! What only an opportunity has.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunity_details")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub content_id: String,
    pub opportunity_type: String,
    pub amount_min: Option<String>,
    pub amount_max: Option<String>,
    pub currency: Option<String>,
    pub stage: Option<String>,
    pub deadline: Option<Date>,
    #[sea_orm(column_type = "Text")]
    pub contact: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
