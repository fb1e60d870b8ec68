//! The four content kinds, one module each. A kind's module holds everything the kind adds to
//! the shared core: its input and validation, its details table's writes and reads, its part
//! of a search document, its list filters, and its GraphQL fields. Adding a field to a kind
//! touches that one module (plus its migration and entity).
//!
//! The shared core (title, texts, countries, sectors, tags, visibility, workflow) lives in
//! `service::content`; the rules of who sees and does what in `service::access`.

pub mod event;
pub mod opportunity;
pub mod policy;
pub mod research;

use entities::content;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    Select, Value,
};

use crate::error::Result;
use crate::service::content::ListFilter;

/// What a content kind provides to the shared content path. Implemented by each kind's
/// module on a marker type; the path dispatches on `Kind` and calls these statically.
pub(crate) trait ContentKind {
    /// The kind's details, validated: only the kind's input builds one.
    type Draft;
    /// The kind's details table.
    type Entity: EntityTrait;

    /// Countries the details name besides the item's own (a policy's jurisdiction, an event's
    /// venue): a correspondent's scope must cover these too.
    fn named_countries(row: &<Self::Entity as EntityTrait>::Model) -> Vec<String>;

    /// The details a draft holds (its content id not set yet).
    fn details(draft: &Self::Draft) -> &<Self::Entity as EntityTrait>::Model;

    /// The details row to store for `content_id`.
    fn row(content_id: &str, draft: &Self::Draft) -> <Self::Entity as EntityTrait>::Model;

    /// The column holding the content id in the details table.
    fn content_id_column() -> <Self::Entity as EntityTrait>::Column;

    /// Fills what the kind adds to a search document.
    fn index(row: &<Self::Entity as EntityTrait>::Model, document: &mut search::Document);

    /// Narrows a list of this kind by the kind's own filter fields; the details table is
    /// joined already.
    fn narrow(query: Select<content::Entity>, filter: &ListFilter) -> Select<content::Entity>;
}

/// Stores the details of `content_id`, replacing what was there on update.
pub(crate) async fn write_details<K: ContentKind>(
    connection: &impl ConnectionTrait,
    content_id: &str,
    draft: &K::Draft,
    replace: bool,
) -> Result<()>
where
    <K::Entity as EntityTrait>::Model: IntoActiveModel<<K::Entity as EntityTrait>::ActiveModel>,
    <K::Entity as EntityTrait>::ActiveModel: ActiveModelTrait<Entity = K::Entity> + Send,
{
    if replace {
        K::Entity::delete_many()
            .filter(K::content_id_column().eq(content_id))
            .exec(connection)
            .await?;
    }
    K::Entity::insert(K::row(content_id, draft).into_active_model())
        .exec_without_returning(connection)
        .await?;
    Ok(())
}

/// The details rows of the items `ids`.
pub(crate) async fn load_details<K: ContentKind>(
    connection: &impl ConnectionTrait,
    ids: Vec<String>,
) -> Result<Vec<<K::Entity as EntityTrait>::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(K::Entity::find()
        .filter(K::content_id_column().is_in(ids))
        .all(connection)
        .await?)
}

/// `from <= column <= to`, each bound optional.
pub(crate) fn within<V: Into<Value>>(
    query: Select<content::Entity>,
    column: impl ColumnTrait,
    from: Option<V>,
    to: Option<V>,
) -> Select<content::Entity> {
    let query = match from {
        Some(from) => query.filter(column.gte(from)),
        None => query,
    };
    match to {
        Some(to) => query.filter(column.lte(to)),
        None => query,
    }
}

/// Days since 1970-01-01: how the index stores dates.
pub(crate) fn days_since_epoch(date: chrono::NaiveDate) -> i64 {
    date.signed_duration_since(chrono::NaiveDate::default())
        .num_days()
}
