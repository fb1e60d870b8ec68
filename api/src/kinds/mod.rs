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

/// How a kind's validated details reach its table; written by [`details_storage!`].
pub(crate) trait Storage {
    /// The kind's details, validated: only the kind's input builds one.
    type Draft;
    /// The kind's details table.
    type Entity: EntityTrait;

    /// The details row to store for `content_id`.
    fn row(content_id: &str, draft: &Self::Draft) -> <Self::Entity as EntityTrait>::Model;

    /// The details a draft holds (its content id not set yet).
    fn details(draft: &Self::Draft) -> &<Self::Entity as EntityTrait>::Model;

    /// The column holding the content id in the details table.
    fn content_id_column() -> <Self::Entity as EntityTrait>::Column;
}

/// What a content kind adds to the shared content path beyond storage; a kind with nothing
/// to add keeps the defaults.
pub(crate) trait ContentKind: Storage {
    /// Countries the details name besides the item's own (a policy's jurisdiction, an event's
    /// venue): a correspondent's scope must cover these too.
    fn named_countries(_row: &<Self::Entity as EntityTrait>::Model) -> Vec<String> {
        Vec::new()
    }

    /// Fills what the kind adds to a search document.
    fn index(_row: &<Self::Entity as EntityTrait>::Model, _document: &mut search::Document) {}

    /// Narrows a list of this kind by the kind's own filter fields; the details table is
    /// joined already.
    fn narrow(query: Select<content::Entity>, _filter: &ListFilter) -> Select<content::Entity> {
        query
    }

    /// The same narrowing as [`ContentKind::narrow`], as a search request's filters: a list's
    /// total is counted by the index (`service::content::list`), and must agree.
    fn narrow_index(_filter: &ListFilter, _request: &mut search::Request) {}
}

/// A list filter's dates as days since the epoch, the index's unit.
pub(crate) fn days_between(
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> (Option<i64>, Option<i64>) {
    (from.map(days_since_epoch), to.map(days_since_epoch))
}

/// Declares a kind's marker type, its validated `Draft` (a details row whose fields only the
/// kind's module sets), and the [`Storage`] between the two.
macro_rules! details_storage {
    ($(#[$meta:meta])* $marker:ident, $table:ident) => {
        $(#[$meta])*
        pub struct $marker;

        /// The kind's validated details; only the kind's input builds one.
        #[derive(Debug, Clone)]
        pub struct Draft($table::Model);

        impl $crate::kinds::Storage for $marker {
            type Draft = Draft;
            type Entity = $table::Entity;

            fn row(content_id: &str, draft: &Draft) -> $table::Model {
                $table::Model {
                    content_id: content_id.to_owned(),
                    ..draft.0.clone()
                }
            }

            fn details(draft: &Draft) -> &$table::Model {
                &draft.0
            }

            fn content_id_column() -> $table::Column {
                $table::Column::ContentId
            }
        }
    };
}
pub(crate) use details_storage;

/// Stores the details of `content_id`, replacing what was there on update.
pub(crate) async fn write_details<K: Storage>(
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
pub(crate) async fn load_details<K: Storage>(
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

/// Items whose `column` is one of `values` (all items when there are none).
pub(crate) fn any_of<'a>(
    query: Select<content::Entity>,
    column: impl ColumnTrait,
    values: impl ExactSizeIterator<Item = &'a str>,
) -> Select<content::Entity> {
    if values.len() == 0 {
        return query;
    }
    query.filter(column.is_in(values))
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
