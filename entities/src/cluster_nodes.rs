//! The API nodes serving one database: how far each has applied the change log and when it
//! was last heard of (compaction keeps what a live node still needs).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cluster_nodes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub node_id: String,
    pub applied_seq: i64,
    pub heartbeat_at: DateTimeUtc,
    pub started_at: DateTimeUtc,
    pub address: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
