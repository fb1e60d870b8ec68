//! An expression of interest by a member or investor in an opportunity, and its answer.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "interests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub opportunity_id: String,
    pub requester_id: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub status: String,
    #[sea_orm(column_type = "Text")]
    pub response_note: Option<String>,
    pub responded_by: Option<String>,
    pub created_at: DateTimeUtc,
    pub responded_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
