//! One row per content change, in commit order: what the search index and other nodes follow.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub content_id: String,
    pub operation: String,
    pub created_at: DateTimeUtc,
    /// The change made the item PUBLISHED: subscribers are told of it.
    pub published: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
