//! One workflow transition of a content item: who, when, from, to and why.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "content_status_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub content_id: String,
    pub actor_id: Option<String>,
    pub from_status: Option<String>,
    pub to_status: String,
    #[sea_orm(column_type = "Text")]
    pub reason: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
