//! An organisation: a member of the alliance, an applicant, or a former member.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub country_code: Option<String>,
    pub org_type: String,
    pub membership_status: String,
    pub tier: Option<String>,
    pub created_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    pub business_licence_number: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub report: Option<String>,
    pub liaison_user_id: Option<String>,
    pub certificate_number: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub status_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
