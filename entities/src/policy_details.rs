//! What only a policy has.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_details")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub content_id: String,
    #[sea_orm(column_type = "Text")]
    pub issuing_authority: String,
    pub jurisdiction_code: Option<String>,
    pub policy_type: String,
    pub document_number: Option<String>,
    pub effective_date: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
