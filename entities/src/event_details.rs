//! What only an event has.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_details")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub content_id: String,
    pub event_type: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub time_zone: String,
    pub city: Option<String>,
    pub country_code: Option<String>,
    pub online: bool,
    #[sea_orm(column_type = "Text")]
    pub venue: Option<String>,
    pub registration_deadline: Option<DateTimeUtc>,
    pub capacity: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub online_url: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
