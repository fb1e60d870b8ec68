//! Listing one kind of content as a Relay connection: filters, orders, and keyset cursors
//! that stay correct while content is added or removed between pages.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use entities::{content, content_countries, content_sectors, event_details};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, RelationDef, Select, Value,
};
use serde::{Deserialize, Serialize};

use super::read::load_records;
use super::types::{
    ContentRecord, Details, EventType, Kind, OpportunityType, PolicyType, Status, Visibility,
};
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::kinds::{
    ContentKind, event::Events, opportunity::Opportunities, policy::Policies,
    research::ResearchResults, within,
};
use crate::reference::Reference;
use crate::service::access;
use crate::service::search::SearchService;
use std::sync::Arc;

pub use crate::limits::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// What a list may be narrowed by. Kind-specific fields are refused on other kinds.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub countries: Vec<String>,
    /// A category code also matches its sub-categories.
    pub sectors: Vec<String>,
    /// Honoured for the secretariat and correspondents (who see their own items in any
    /// status); everyone else always gets published content.
    pub statuses: Vec<Status>,
    pub languages: Vec<String>,
    pub visibility: Option<Visibility>,
    pub tags: Vec<String>,
    pub published_from: Option<DateTime<Utc>>,
    pub published_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
    /// Only the caller's own items.
    pub mine: bool,
    pub opportunity_types: Vec<OpportunityType>,
    pub deadline_from: Option<NaiveDate>,
    pub deadline_to: Option<NaiveDate>,
    /// Opportunities past their deadline are left out unless this is set.
    pub include_expired: bool,
    /// The secretariat's matching view: opportunities published at least this many days ago
    /// with no interest at all.
    pub without_interest_for_days: Option<i64>,
    pub policy_types: Vec<PolicyType>,
    pub effective_from: Option<NaiveDate>,
    pub effective_to: Option<NaiveDate>,
    pub event_types: Vec<EventType>,
    pub starts_from: Option<DateTime<Utc>>,
    pub starts_to: Option<DateTime<Utc>>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, async_graphql::Enum, Serialize, Deserialize,
)]
#[graphql(name = "ContentOrder")]
pub enum Order {
    /// Most recently published first (drafts by creation time).
    #[default]
    Newest,
    Oldest,
    RecentlyUpdated,
    /// Opportunities only: the nearest deadline first, those without one last.
    DeadlineSoonest,
    /// Events only: the earliest start first.
    StartsSoonest,
}

#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub records: Vec<ContentRecord>,
    pub cursors: Vec<String>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub total_count: u64,
    /// What counted `total_count`: the index, the database, or nothing (`None`: not asked).
    pub total_from_index: Option<bool>,
    /// Whether the index named the page's candidates (else the database walked the table).
    pub page_from_index: bool,
}

/// Where a page starts: the sort value and id of the item next to it.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    #[serde(rename = "o")]
    order: Order,
    #[serde(rename = "k")]
    key: String,
    #[serde(rename = "i")]
    id: String,
}

/// Deadline stand-in for opportunities without one, so that they sort last.
const NO_DEADLINE: &str = "9999-12-31";

/// How a list is counted. Its total, when asked for, comes from the search index when the
/// list is of published content and the index is caught up (see [`index_request`]), from the
/// database otherwise. The same walk of the index gives the page's candidates (see
/// [`list`]), so it is taken whenever the index can, asked or not.
pub struct Counting {
    pub index: Option<Arc<SearchService>>,
    /// Whether `totalCount` was asked for; when not, the page says 0.
    pub total: bool,
}

/// Which items the page query may return.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Candidates {
    /// Whatever the conditions admit. The filters on link tables (countries, sectors, tags)
    /// are `EXISTS` conditions, so that the database walks the list's order until the page
    /// is full: 0.1 ms for the 12,000 opportunities about Vietnam at 100,000 items, where
    /// SQLite ran `id IN (subquery)` by collecting and sorting every match (57 ms).
    All,
    /// The same, written for counting them all: link filters as `id IN (subquery)`, which
    /// SQLite collects once instead of probing per row (the database's totals).
    Counted,
    /// Only these items: the index's first matches in the list's order.
    Among(Vec<String>),
}

/// A page's place in its list: the walk's direction and where it starts.
struct Walk {
    order: Order,
    /// The direction the rows are read in (the list's, reversed for `last`/`before`).
    descending: bool,
    /// The cursor's field (`after` or `before`) and the cursor itself.
    from: Option<(&'static str, Cursor)>,
    size: usize,
}

/// A page of a list. Where the search index holds the list (published content, the index
/// caught up), the index walks its matches in the list's order and names the first
/// `size + 1` past the cursor, with every match level with the cursor, and counts them all;
/// the database then reads the page from among only those ids, every condition and the
/// cursor still applied. That is the database's own answer whenever it returns a full page
/// (whatever else matches sorts after the index's last candidate) or the index named every
/// match past the cursor; otherwise (the index holds an item the database no longer lists,
/// or the index's order cannot decide a tie) the page is read by walking the table. An item
/// the index does not hold yet (another node's write, until this node's follower applies it:
/// within a second) is not on the page meanwhile, as it is not in the total.
#[allow(clippy::too_many_arguments)]
pub async fn list(
    connection: &impl ConnectionTrait,
    caller: &Caller,
    reference: &Reference,
    kind: Kind,
    filter: &ListFilter,
    order: Order,
    page: &PageRequest,
    counting: Counting,
) -> Result<Page> {
    check_applies(kind, filter, order)?;
    let (size, backwards) = page_size(page)?;
    let descending = matches!(order, Order::Newest | Order::RecentlyUpdated);
    let (field, boundary) = if backwards {
        ("before", &page.before)
    } else {
        ("after", &page.after)
    };
    let from = match boundary {
        Some(encoded) => Some((field, decode_cursor(field, encoded, order)?)),
        None => None,
    };
    let walk = Walk {
        order,
        // Going backwards walks the order in reverse from `before`, then flips the page.
        descending: descending != backwards,
        from,
        size,
    };
    let listed = match (counting.index, index_request(caller, kind, filter)) {
        (Some(search), Some(request)) if search.counts_lists() => {
            let index_walk = index_walk(&walk)?;
            Some(
                tokio::task::spawn_blocking(move || search.index.list(&request, &index_walk))
                    .await
                    .map_err(|error| Error::Internal(error.into()))?
                    .map_err(|error| Error::Internal(error.into()))?,
            )
        }
        _ => None,
    };
    let mut rows = None;
    if let Some(listed) = &listed
        && listed.decided
    {
        let candidates = Candidates::Among(listed.ids.clone());
        let found = page_rows(
            connection,
            filtered(caller, reference, kind, filter, candidates)?,
            &walk,
        )
        .await?;
        if found.len() > size || listed.complete {
            rows = Some(found);
        }
    }
    let page_from_index = rows.is_some();
    let mut rows = match rows {
        Some(rows) => rows,
        None => {
            let query = filtered(caller, reference, kind, filter, Candidates::All)?;
            page_rows(connection, query, &walk).await?
        }
    };
    let (total_count, total_from_index) = match (counting.total, &listed) {
        (false, _) => (0, None),
        (true, Some(listed)) => (listed.count as u64, Some(true)),
        (true, None) => (
            filtered(caller, reference, kind, filter, Candidates::Counted)?
                .count(connection)
                .await?,
            Some(false),
        ),
    };

    let has_more = rows.len() > size;
    rows.truncate(size);
    if backwards {
        rows.reverse();
    }
    let records = load_records(connection, rows).await?;
    let cursors = records
        .iter()
        .map(|record| encode_cursor(order, record))
        .collect();
    Ok(Page {
        records,
        cursors,
        has_next_page: if backwards {
            page.before.is_some()
        } else {
            has_more
        },
        has_previous_page: if backwards {
            has_more
        } else {
            page.after.is_some()
        },
        total_count,
        total_from_index,
        page_from_index,
    })
}

/// Up to `size + 1` rows of `query` in the walk's order, past its cursor.
async fn page_rows(
    connection: &impl ConnectionTrait,
    query: Select<content::Entity>,
    walk: &Walk,
) -> Result<Vec<content::Model>> {
    let direction = if walk.descending {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let key = sort_expression(walk.order);
    let id_column = Expr::col((content::Entity, content::Column::Id));
    let mut query = query
        .order_by(key.clone(), direction.clone())
        .order_by(id_column.clone(), direction);
    if let Some((field, cursor)) = &walk.from {
        let value = cursor_value(field, walk.order, &cursor.key)?;
        let id = cursor.id.clone();
        let past = if walk.descending {
            Condition::any()
                .add(key.clone().lt(value.clone()))
                .add(Condition::all().add(key.eq(value)).add(id_column.lt(id)))
        } else {
            Condition::any()
                .add(key.clone().gt(value.clone()))
                .add(Condition::all().add(key.eq(value)).add(id_column.gt(id)))
        };
        query = query.filter(past);
    }
    Ok(query.limit(walk.size as u64 + 1).all(connection).await?)
}

/// The walk as the index takes it: the list's order by the same values, the cursor's value
/// in the index's units.
fn index_walk(walk: &Walk) -> Result<search::ListWalk> {
    let sort = match walk.order {
        Order::Newest | Order::Oldest => search::ListSort::Published,
        Order::RecentlyUpdated => search::ListSort::Updated,
        Order::DeadlineSoonest => search::ListSort::Deadline,
        Order::StartsSoonest => search::ListSort::Starts,
    };
    let after = match &walk.from {
        Some((field, cursor)) => {
            let invalid = || Error::bad_input(*field, "not a cursor of this list");
            let value = match walk.order {
                Order::DeadlineSoonest => crate::kinds::days_since_epoch(
                    cursor.key.parse::<NaiveDate>().map_err(|_| invalid())?,
                ),
                _ => cursor
                    .key
                    .parse::<DateTime<Utc>>()
                    .map_err(|_| invalid())?
                    .timestamp_micros(),
            };
            Some((value, cursor.id.clone()))
        }
        None => None,
    };
    Ok(search::ListWalk {
        sort,
        descending: walk.descending,
        after,
        take: walk.size + 1,
    })
}

fn page_size(page: &PageRequest) -> Result<(usize, bool)> {
    if page.last.is_none() && page.before.is_some() && page.after.is_some() {
        return Err(Error::bad_input("before", "give after or before, not both"));
    }
    let (size, backwards) = crate::service::page_window(page.first, page.last)?;
    // With neither size given, `before` alone reads backwards too.
    let unsized_backwards = page.first.is_none() && page.last.is_none() && page.before.is_some();
    Ok((size, backwards || unsized_backwards))
}

fn check_applies(kind: Kind, filter: &ListFilter, order: Order) -> Result<()> {
    let refuse = |field: &str, only: Kind| {
        Err(Error::bad_input(
            field,
            format!("applies only to {} lists", only.as_str().to_lowercase()),
        ))
    };
    if filter.without_interest_for_days.is_some() && kind != Kind::Opportunity {
        return refuse("filter.withoutInterestForDays", Kind::Opportunity);
    }
    if kind != Kind::Opportunity {
        if !filter.opportunity_types.is_empty() {
            return refuse("filter.opportunityTypes", Kind::Opportunity);
        }
        if filter.deadline_from.is_some() || filter.deadline_to.is_some() {
            return refuse("filter.deadlineFrom", Kind::Opportunity);
        }
        if order == Order::DeadlineSoonest {
            return refuse("orderBy", Kind::Opportunity);
        }
    }
    if kind != Kind::Policy
        && (!filter.policy_types.is_empty()
            || filter.effective_from.is_some()
            || filter.effective_to.is_some())
    {
        return refuse("filter.policyTypes", Kind::Policy);
    }
    if kind != Kind::Event {
        if !filter.event_types.is_empty()
            || filter.starts_from.is_some()
            || filter.starts_to.is_some()
        {
            return refuse("filter.eventTypes", Kind::Event);
        }
        if order == Order::StartsSoonest {
            return refuse("orderBy", Kind::Event);
        }
    }
    Ok(())
}

/// The items that have one of `values` in `column` of the link table `entity`, as
/// `candidates` wants the condition written.
fn linked<E: EntityTrait>(
    candidates: &Candidates,
    entity: E,
    content_id: E::Column,
    column: E::Column,
    values: Vec<String>,
) -> sea_orm::sea_query::SimpleExpr {
    let mut links = Query::select();
    links.from(entity).and_where(column.is_in(values));
    if *candidates == Candidates::Counted {
        return content::Column::Id.in_subquery(links.column(content_id).to_owned());
    }
    Expr::exists(
        links
            .expr(Expr::val(1))
            .and_where(
                Expr::col((entity, content_id)).equals((content::Entity, content::Column::Id)),
            )
            .to_owned(),
    )
}

/// Joins the kind's details table (its filters and orders read it) and applies the kind's
/// own filter fields, through the kind's module.
fn narrowed_to_kind(
    query: Select<content::Entity>,
    kind: Kind,
    filter: &ListFilter,
) -> Select<content::Entity> {
    fn joined<K: ContentKind>(
        query: Select<content::Entity>,
        filter: &ListFilter,
    ) -> Select<content::Entity> {
        let relation: RelationDef = content::Entity::belongs_to(K::Entity::default())
            .from(content::Column::Id)
            .to(K::content_id_column())
            .into();
        K::narrow(query.join(JoinType::InnerJoin, relation), filter)
    }
    match kind {
        Kind::Opportunity => joined::<Opportunities>(query, filter),
        Kind::Policy => joined::<Policies>(query, filter),
        Kind::Research => joined::<ResearchResults>(query, filter),
        Kind::Event => joined::<Events>(query, filter),
    }
}

/// The search request whose `count` is the total of the list `filtered` selects, or `None`
/// when the list holds more than published content (the index holds published items only,
/// with every field a list filters by). The visibility is the access module's, as for search.
fn index_request(caller: &Caller, kind: Kind, filter: &ListFilter) -> Option<search::Request> {
    // The index knows nothing of interests.
    if statuses(caller, filter) != [Status::Published.as_str()]
        || filter.without_interest_for_days.is_some()
    {
        return None;
    }
    let author = if filter.mine {
        Some(caller.user.as_ref()?.id.clone())
    } else {
        None
    };
    let micros = |instant: Option<DateTime<Utc>>| instant.map(|value| value.timestamp_micros());
    let mut request = search::Request {
        kinds: vec![kind.as_str().to_owned()],
        countries: filter.countries.clone(),
        sectors: filter.sectors.clone(),
        published_from_micros: micros(filter.published_from),
        published_to_micros: micros(filter.published_to),
        today_days: crate::service::search::today_days(),
        list: search::ListFilters {
            languages: filter.languages.clone(),
            visibility: filter
                .visibility
                .map(|visibility| visibility.as_str().to_owned()),
            tags: filter.tags.iter().map(|tag| tag.to_lowercase()).collect(),
            author,
            updated_from_micros: micros(filter.updated_from),
            updated_to_micros: micros(filter.updated_to),
            ..search::ListFilters::default()
        },
        ..search::Request::default()
    };
    // Only opportunities expire; the index files other kinds as never expiring.
    request.include_expired = true;
    fn narrowed<K: ContentKind>(filter: &ListFilter, request: &mut search::Request) {
        K::narrow_index(filter, request);
    }
    match kind {
        Kind::Opportunity => narrowed::<Opportunities>(filter, &mut request),
        Kind::Policy => narrowed::<Policies>(filter, &mut request),
        Kind::Research => narrowed::<ResearchResults>(filter, &mut request),
        Kind::Event => narrowed::<Events>(filter, &mut request),
    }
    access::search_scope(&caller.audience, &mut request);
    Some(request)
}

/// The statuses a list holds: those asked for where the caller may ask, else published.
fn statuses(caller: &Caller, filter: &ListFilter) -> Vec<&'static str> {
    if access::may_filter_by_status(&caller.audience) && !filter.statuses.is_empty() {
        let mut statuses: Vec<&str> = filter
            .statuses
            .iter()
            .map(|status| status.as_str())
            .collect();
        statuses.sort_unstable();
        statuses.dedup();
        statuses
    } else {
        vec![Status::Published.as_str()]
    }
}

/// Published opportunities at least `days` old that no one has expressed interest in: the
/// secretariat's view of what the matching leaves unmatched.
fn without_interest(
    caller: &Caller,
    query: Select<content::Entity>,
    days: i64,
) -> Result<Select<content::Entity>> {
    caller.require_secretariat()?;
    let published_before = Utc::now() - chrono::Duration::days(days);
    let interest = Query::select()
        .expr(Expr::val(1))
        .from(entities::interests::Entity)
        .and_where(
            Expr::col((
                entities::interests::Entity,
                entities::interests::Column::OpportunityId,
            ))
            .equals((content::Entity, content::Column::Id)),
        )
        .to_owned();
    Ok(query
        .filter(content::Column::Status.eq(Status::Published.as_str()))
        .filter(content::Column::PublishedAt.lte(published_before))
        .filter(Expr::exists(interest).not()))
}

fn filtered(
    caller: &Caller,
    reference: &Reference,
    kind: Kind,
    filter: &ListFilter,
    candidates: Candidates,
) -> Result<Select<content::Entity>> {
    let mut query = narrowed_to_kind(
        content::Entity::find().filter(content::Column::Kind.eq(kind.as_str())),
        kind,
        filter,
    );
    query = query
        .filter(access::content_rows(&caller.audience))
        .filter(content::Column::Status.is_in(statuses(caller, filter)));
    if filter.mine {
        let user = caller.require_user()?;
        query = query.filter(content::Column::AuthorId.eq(user.id.clone()));
    }
    if let Some(days) = filter.without_interest_for_days {
        query = without_interest(caller, query, days)?;
    }
    if let Candidates::Among(ids) = &candidates {
        query = query.filter(content::Column::Id.is_in(ids.clone()));
    }
    if !filter.countries.is_empty() {
        query = query.filter(linked(
            &candidates,
            content_countries::Entity,
            content_countries::Column::ContentId,
            content_countries::Column::CountryCode,
            filter.countries.clone(),
        ));
    }
    if !filter.sectors.is_empty() {
        let codes: Vec<String> = filter
            .sectors
            .iter()
            .flat_map(|code| reference.sector_with_descendants(code))
            .collect();
        query = query.filter(linked(
            &candidates,
            content_sectors::Entity,
            content_sectors::Column::ContentId,
            content_sectors::Column::SectorCode,
            codes,
        ));
    }
    if !filter.tags.is_empty() {
        let tags = filter.tags.iter().map(|tag| tag.to_lowercase()).collect();
        query = query.filter(linked(
            &candidates,
            entities::content_tags::Entity,
            entities::content_tags::Column::ContentId,
            entities::content_tags::Column::Tag,
            tags,
        ));
    }
    if !filter.languages.is_empty() {
        query = query.filter(content::Column::Language.is_in(filter.languages.clone()));
    }
    if let Some(visibility) = filter.visibility {
        query = query.filter(content::Column::Visibility.eq(visibility.as_str()));
    }
    query = within(
        query,
        content::Column::PublishedAt,
        filter.published_from,
        filter.published_to,
    );
    query = within(
        query,
        content::Column::UpdatedAt,
        filter.updated_from,
        filter.updated_to,
    );
    Ok(query)
}

fn sort_expression(order: Order) -> Expr {
    match order {
        Order::Newest | Order::Oldest => Expr::col((content::Entity, content::Column::ListedAt)),
        Order::RecentlyUpdated => Expr::col((content::Entity, content::Column::UpdatedAt)),
        Order::DeadlineSoonest => Expr::cust(format!(
            "COALESCE(\"opportunity_details\".\"deadline\", '{NO_DEADLINE}')"
        )),
        Order::StartsSoonest => Expr::col((event_details::Entity, event_details::Column::StartsAt)),
    }
}

fn sort_key(order: Order, record: &ContentRecord) -> String {
    let timestamp =
        |value: DateTime<Utc>| value.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    match (order, &record.details) {
        (Order::Newest | Order::Oldest, _) => timestamp(record.core.listed_at),
        (Order::RecentlyUpdated, _) => timestamp(record.core.updated_at),
        (Order::DeadlineSoonest, Details::Opportunity(details)) => details
            .deadline
            .map(|date| date.to_string())
            .unwrap_or_else(|| NO_DEADLINE.to_owned()),
        (Order::StartsSoonest, Details::Event(details)) => timestamp(details.starts_at),
        // check_applies keeps kind-specific orders to their kind.
        (Order::DeadlineSoonest | Order::StartsSoonest, _) => timestamp(record.core.listed_at),
    }
}

fn cursor_value(field: &str, order: Order, key: &str) -> Result<Value> {
    let invalid = || Error::bad_input(field, "not a cursor of this list");
    Ok(match order {
        Order::DeadlineSoonest => Value::from(key.parse::<NaiveDate>().map_err(|_| invalid())?),
        // Instants are stored to the microsecond: a finer cursor would place itself between
        // items differently in the index and in the database.
        _ => Value::from(
            key.parse::<DateTime<Utc>>()
                .map_err(|_| invalid())?
                .trunc_subsecs(6),
        ),
    })
}

fn encode_cursor(order: Order, record: &ContentRecord) -> String {
    let cursor = Cursor {
        order,
        key: sort_key(order, record),
        id: record.core.id.clone(),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).unwrap_or_default())
}

fn decode_cursor(field: &str, encoded: &str, order: Order) -> Result<Cursor> {
    let invalid = || Error::bad_input(field, "not a cursor of this list");
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded.as_bytes())
        .map_err(|_| invalid())?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if cursor.order != order {
        return Err(Error::bad_input(
            field,
            "the cursor belongs to a list in another order",
        ));
    }
    Ok(cursor)
}
