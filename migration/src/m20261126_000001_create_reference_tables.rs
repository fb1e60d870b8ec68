//! Reference data: countries, regions (named sets of countries) and the digital-economy
//! sector classification, created and seeded from the CSV files in `migration/reference/`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{boolean, integer, string, string_null};

use crate::reference_csv;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Countries {
    Table,
    Code,
    NameEn,
    NameZh,
    NameLocal,
    LocalLanguage,
    Currency,
    AseanMember,
    Position,
}

#[derive(DeriveIden)]
enum Regions {
    Table,
    Code,
    NameEn,
    NameZh,
}

#[derive(DeriveIden)]
enum RegionCountries {
    Table,
    RegionCode,
    CountryCode,
}

#[derive(DeriveIden)]
enum Sectors {
    Table,
    Code,
    ParentCode,
    NameZh,
    NameEn,
    Position,
}

/// The regions the brief names; the secretariat edits them later, so they are rows, not code.
const REGIONS: &[(&str, &str, &str, &[&str])] = &[
    (
        "ASEAN",
        "ASEAN",
        "东盟",
        &[
            "BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN", "TL",
        ],
    ),
    (
        "MEKONG",
        "Mekong subregion",
        "湄公河次区域",
        &["KH", "LA", "MM", "TH", "VN"],
    ),
    (
        "MARITIME",
        "Maritime ASEAN",
        "海上东盟",
        &["BN", "ID", "MY", "PH", "SG", "TL"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Countries::Table)
                    .col(string(Countries::Code).primary_key())
                    .col(string(Countries::NameEn))
                    .col(string(Countries::NameZh))
                    .col(string(Countries::NameLocal))
                    .col(string(Countries::LocalLanguage))
                    .col(string(Countries::Currency))
                    .col(boolean(Countries::AseanMember))
                    // The CSV order (China first, then ASEAN) is the order clients list them in.
                    .col(integer(Countries::Position))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Regions::Table)
                    .col(string(Regions::Code).primary_key())
                    .col(string(Regions::NameEn))
                    .col(string(Regions::NameZh))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RegionCountries::Table)
                    .col(string(RegionCountries::RegionCode))
                    .col(string(RegionCountries::CountryCode))
                    .primary_key(
                        Index::create()
                            .col(RegionCountries::RegionCode)
                            .col(RegionCountries::CountryCode),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RegionCountries::Table, RegionCountries::RegionCode)
                            .to(Regions::Table, Regions::Code)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RegionCountries::Table, RegionCountries::CountryCode)
                            .to(Countries::Table, Countries::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sectors::Table)
                    .col(string(Sectors::Code).primary_key())
                    // A category (two digits) has no parent; a sub-category (four) has one.
                    .col(string_null(Sectors::ParentCode))
                    .col(string(Sectors::NameZh))
                    .col(string(Sectors::NameEn))
                    .col(integer(Sectors::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sectors::Table, Sectors::ParentCode)
                            .to(Sectors::Table, Sectors::Code),
                    )
                    .to_owned(),
            )
            .await?;
        seed(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RegionCountries::Table.into_iden(),
            Regions::Table.into_iden(),
            Sectors::Table.into_iden(),
            Countries::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn seed(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut countries = Query::insert()
        .into_table(Countries::Table)
        .columns([
            Countries::Code,
            Countries::NameEn,
            Countries::NameZh,
            Countries::NameLocal,
            Countries::LocalLanguage,
            Countries::Currency,
            Countries::AseanMember,
            Countries::Position,
        ])
        .to_owned();
    for (position, record) in reference_csv::records(include_str!("../reference/countries.csv"))
        .into_iter()
        .enumerate()
    {
        let [
            code,
            name_en,
            name_zh,
            name_local,
            local_language,
            currency,
            asean,
        ] = <[String; 7]>::try_from(record)
            .map_err(|_| DbErr::Migration("countries.csv: a row without 7 fields".into()))?;
        countries.values_panic([
            code.into(),
            name_en.into(),
            name_zh.into(),
            name_local.into(),
            local_language.into(),
            currency.into(),
            (asean == "true").into(),
            (position as i32).into(),
        ]);
    }
    manager.exec_stmt(countries).await?;

    let mut sectors = Query::insert()
        .into_table(Sectors::Table)
        .columns([
            Sectors::Code,
            Sectors::ParentCode,
            Sectors::NameZh,
            Sectors::NameEn,
            Sectors::Position,
        ])
        .to_owned();
    for (position, record) in reference_csv::records(include_str!("../reference/sectors.csv"))
        .into_iter()
        .enumerate()
    {
        let [code, parent, name_zh, name_en] = <[String; 4]>::try_from(record)
            .map_err(|_| DbErr::Migration("sectors.csv: a row without 4 fields".into()))?;
        let parent = (!parent.is_empty()).then_some(parent);
        sectors.values_panic([
            code.into(),
            parent.into(),
            name_zh.into(),
            name_en.into(),
            (position as i32).into(),
        ]);
    }
    manager.exec_stmt(sectors).await?;

    for (code, name_en, name_zh, members) in REGIONS {
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Regions::Table)
                    .columns([Regions::Code, Regions::NameEn, Regions::NameZh])
                    .values_panic([(*code).into(), (*name_en).into(), (*name_zh).into()])
                    .to_owned(),
            )
            .await?;
        let mut links = Query::insert()
            .into_table(RegionCountries::Table)
            .columns([RegionCountries::RegionCode, RegionCountries::CountryCode])
            .to_owned();
        for country in *members {
            links.values_panic([(*code).into(), (*country).into()]);
        }
        manager.exec_stmt(links).await?;
    }
    Ok(())
}
