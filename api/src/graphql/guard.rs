//! A request's guard: the limits on a request's shape that async-graphql's own (complexity,
//! directives) do not cover. Before validation it refuses a directive repeated at one location
//! (the spec's "Directives Are Unique Per Location"; none of ours is repeatable), selection
//! sets wider than the limit (alias and duplicate floods, `__typename` included, which the
//! complexity limit counts too late to stop the parse's follow-up work), and documents nested
//! deeper than the depth and recursion limits, measured with the introspection rule below.
//! While executing, it counts the text a response carries and refuses the rest once the
//! response would outgrow its budget.
//!
//! ## Introspection
//!
//! The standard introspection query every client tool sends (graphql-js's
//! `getIntrospectionQuery`, graphql-core's `get_introspection_query`) names a field's type
//! through a chain of nine (or seven) nested `ofType`s, deeper than the depth and recursion
//! limits. That chain is cheap: a type reference is at most a few wrappers (`[Sector!]!`) deep,
//! and each level past the named type resolves to null, so nothing below it runs. So:
//!
//! 1. inside `__schema` and `__type`, an `ofType` counts no level of depth or recursion;
//! 2. a type reached by reference (`type`, `ofType`, `interfaces`, `possibleTypes`,
//!    `queryType`, `mutationType`, `subscriptionType`) only names itself (`kind`, `name`,
//!    other leaves and `ofType`): its fields, arguments and values are listed once, under
//!    `types` or `__type`, never again through a reference, so nesting cannot multiply them;
//! 3. a field with a selection (`__schema`, `__type`, `types`, `fields`, …) appears once per
//!    selection set, fragments included, under whatever alias: an alias or a repeat would
//!    walk the schema again, and introspection lists have no page size to charge it by.
//!
//! Together these bound an introspection query's answer by the schema itself (one walk of
//! its types, their fields and arguments, with short type references), whatever the text
//! asks; the standard queries fit, repeated or re-entrant walks are refused with
//! `QUERY_TOO_COMPLEX` before anything runs.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextResolve, ResolveInfo,
};
use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Positioned, ServerError, ServerResult, Value, Variables};

use crate::error::Code;
use crate::limits::{
    MAX_COMPLEXITY, MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_RECURSIVE_DEPTH, MAX_SELECTIONS_PER_SET,
    RESPONSE_TEXT_MAX_BYTES,
};

/// Installs a fresh guard on every request.
pub struct RequestGuard;

impl ExtensionFactory for RequestGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Guard {
            text_bytes: AtomicUsize::new(0),
        })
    }
}

struct Guard {
    /// Bytes of text the response carries so far.
    text_bytes: AtomicUsize,
}

fn refusal(code: Code, message: String, position: async_graphql::Pos) -> ServerError {
    let mut error = ServerError::new(message, Some(position));
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code.as_str());
    error
}

fn unique_directives(directives: &[Positioned<Directive>]) -> ServerResult<()> {
    let mut seen = HashSet::new();
    for directive in directives {
        if !seen.insert(directive.node.name.node.as_str()) {
            return Err(refusal(
                Code::BadUserInput,
                format!(
                    "the directive @{} appears twice at one location; directives are unique per location",
                    directive.node.name.node
                ),
                directive.pos,
            ));
        }
    }
    Ok(())
}

fn check_selection_set(set: &Positioned<SelectionSet>) -> ServerResult<()> {
    let width = set.node.items.len();
    if width > MAX_SELECTIONS_PER_SET {
        return Err(refusal(
            Code::QueryTooComplex,
            format!(
                "too many selections in one selection set: at most {MAX_SELECTIONS_PER_SET}, got {width} (aliases, repeats and __typename included)"
            ),
            set.pos,
        ));
    }
    for selection in &set.node.items {
        match &selection.node {
            Selection::Field(field) => {
                unique_directives(&field.node.directives)?;
                check_selection_set(&field.node.selection_set)?;
            }
            Selection::FragmentSpread(spread) => unique_directives(&spread.node.directives)?,
            Selection::InlineFragment(fragment) => {
                unique_directives(&fragment.node.directives)?;
                check_selection_set(&fragment.node.selection_set)?;
            }
        }
    }
    Ok(())
}

fn check_document(document: &ExecutableDocument) -> ServerResult<()> {
    for (_, operation) in document.operations.iter() {
        unique_directives(&operation.node.directives)?;
        for variable in &operation.node.variable_definitions {
            unique_directives(&variable.node.directives)?;
        }
        check_selection_set(&operation.node.selection_set)?;
    }
    for fragment in document.fragments.values() {
        unique_directives(&fragment.node.directives)?;
        check_selection_set(&fragment.node.selection_set)?;
    }
    Ok(())
}

/// Where a selection set sits, for the introspection rule (see the module header).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// The API's own data, or the operation's root.
    Data,
    /// Below `__schema` or `__type`: a full type, field, argument or directive.
    Introspection,
    /// A type reached by reference, which only names itself.
    TypeReference,
}

/// Introspection fields whose value is a type named by reference.
const TYPE_REFERENCES: &[&str] = &[
    "type",
    "ofType",
    "interfaces",
    "possibleTypes",
    "queryType",
    "mutationType",
    "subscriptionType",
];

/// Measures one operation as async-graphql would run it, fragments inlined: its depth (fields
/// within fields), its nesting (selection sets within selection sets, a fragment spread
/// counting one, as async-graphql's recursion limit counts), and the introspection rule.
struct ShapeCheck<'a> {
    document: &'a ExecutableDocument,
    /// Fields visited with fragments inlined: each costs at least one in complexity, so a walk
    /// past the complexity limit stops here instead of multiplying through fragments.
    fields_visited: usize,
}

/// Where a walk is: the field depth above the set, and the set's nesting.
#[derive(Clone, Copy)]
struct Level {
    place: Place,
    depth: usize,
    nesting: usize,
}

impl<'a> ShapeCheck<'a> {
    fn walk(
        &mut self,
        set: &'a Positioned<SelectionSet>,
        level: Level,
        expanded: &mut HashSet<&'a str>,
    ) -> ServerResult<()> {
        if level.nesting > MAX_RECURSIVE_DEPTH {
            return Err(refusal(
                Code::QueryTooComplex,
                format!(
                    "the query recurses too deeply: at most {MAX_RECURSIVE_DEPTH} levels of selections and fragments"
                ),
                set.pos,
            ));
        }
        for selection in &set.node.items {
            match &selection.node {
                Selection::Field(field) => self.field(field, level, expanded)?,
                Selection::FragmentSpread(spread) => {
                    // An unknown fragment is validation's to report.
                    if let Some(fragment) =
                        self.document.fragments.get(&spread.node.fragment_name.node)
                    {
                        let inner = Level {
                            nesting: level.nesting + 1,
                            ..level
                        };
                        self.walk(&fragment.node.selection_set, inner, expanded)?;
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let inner = Level {
                        nesting: level.nesting + 1,
                        ..level
                    };
                    self.walk(&fragment.node.selection_set, inner, expanded)?;
                }
            }
        }
        Ok(())
    }

    fn field(
        &mut self,
        field: &'a Positioned<async_graphql::parser::types::Field>,
        level: Level,
        expanded: &mut HashSet<&'a str>,
    ) -> ServerResult<()> {
        self.fields_visited += 1;
        if self.fields_visited > MAX_COMPLEXITY {
            return Err(refusal(
                Code::QueryTooComplex,
                format!(
                    "the query is too complex: at most {MAX_COMPLEXITY}, where every field counts once and a list's fields once per item of its page"
                ),
                field.pos,
            ));
        }
        let name = field.node.name.node.as_str();
        let has_selection = !field.node.selection_set.node.items.is_empty();
        let in_introspection = level.place != Place::Data;
        let place = match level.place {
            Place::Data if name == "__schema" || name == "__type" => Place::Introspection,
            Place::Data => Place::Data,
            Place::Introspection | Place::TypeReference if TYPE_REFERENCES.contains(&name) => {
                Place::TypeReference
            }
            Place::Introspection | Place::TypeReference => Place::Introspection,
        };
        if has_selection && place != Place::Data && !expanded.insert(name) {
            return Err(refusal(
                Code::QueryTooComplex,
                format!(
                    "introspection selects `{name}` twice in one selection set; each part of the schema is listed once per query"
                ),
                field.pos,
            ));
        }
        if has_selection && level.place == Place::TypeReference && name != "ofType" {
            return Err(refusal(
                Code::QueryTooComplex,
                format!(
                    "a type reference in introspection only names its type (kind, name, ofType), so `{name}` is not listed through it; list types through `types` or `__type`"
                ),
                field.pos,
            ));
        }
        // An `ofType` chain is bounded by the schema's wrappers (see the module header).
        let chain_step = in_introspection && name == "ofType";
        let depth = if chain_step {
            level.depth
        } else {
            level.depth + 1
        };
        if depth > MAX_DEPTH {
            return Err(refusal(
                Code::QueryTooComplex,
                format!("the query is nested too deep: at most {MAX_DEPTH} levels"),
                field.pos,
            ));
        }
        if !has_selection {
            return Ok(());
        }
        let inner = Level {
            place,
            depth,
            nesting: if chain_step {
                level.nesting
            } else {
                level.nesting + 1
            },
        };
        self.walk(&field.node.selection_set, inner, &mut HashSet::new())
    }
}

/// Depth, nesting and the introspection rule, for every operation of a document.
fn check_shape(document: &ExecutableDocument) -> ServerResult<()> {
    for (_, operation) in document.operations.iter() {
        let mut check = ShapeCheck {
            document,
            fields_visited: 0,
        };
        let root = Level {
            place: Place::Data,
            depth: 0,
            nesting: 0,
        };
        check.walk(&operation.node.selection_set, root, &mut HashSet::new())?;
    }
    Ok(())
}

/// The bytes of text a resolved leaf adds to the response: strings, and lists of them.
/// Objects are not counted here: their own fields pass through this guard one by one.
fn text_bytes(value: &Value) -> usize {
    match value {
        Value::String(text) => text.len(),
        Value::List(items) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => text.len(),
                _ => 0,
            })
            .sum(),
        _ => 0,
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Guard {
    async fn parse_query(
        &self,
        context: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        // Parsing costs time in proportion to the text: a document longer than any real one
        // is refused before it is parsed (the values of a write travel in variables).
        if query.len() > MAX_DOCUMENT_BYTES {
            return Err(refusal(
                Code::QueryTooComplex,
                format!(
                    "the query document is {} bytes long: at most {MAX_DOCUMENT_BYTES}; send values as variables",
                    query.len()
                ),
                async_graphql::Pos { line: 1, column: 1 },
            ));
        }
        let document = next.run(context, query, variables).await?;
        check_document(&document)?;
        check_shape(&document)?;
        Ok(document)
    }

    async fn resolve(
        &self,
        context: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let position = info.field.name.pos;
        let value = next.run(context, info).await?;
        let added = value.as_ref().map_or(0, text_bytes);
        let total = self.text_bytes.fetch_add(added, Ordering::Relaxed) + added;
        if total > RESPONSE_TEXT_MAX_BYTES {
            return Err(refusal(
                Code::QueryTooComplex,
                format!(
                    "the response would carry more than {RESPONSE_TEXT_MAX_BYTES} bytes of text; ask for fewer items or fields"
                ),
                position,
            ));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(query: &str) -> ServerResult<()> {
        let document = async_graphql::parser::parse_query(query).unwrap();
        check_document(&document)
    }

    #[test]
    fn a_repeated_directive_at_one_location_is_refused() {
        assert!(checked("{ __typename @skip(if: false) @include(if: true) }").is_ok());
        assert!(checked("{ __typename @skip(if: false) @skip(if: false) }").is_err());
        assert!(
            checked("query { ... on Query @skip(if: false) @skip(if: true) { __typename } }")
                .is_err()
        );
    }

    fn shaped(query: &str) -> ServerResult<()> {
        let document = async_graphql::parser::parse_query(query).unwrap();
        check_shape(&document)
    }

    #[test]
    fn the_standard_introspection_queries_fit() {
        let graphql_js =
            include_str!("../../../tests/tests/api/clients/graphql-js-introspection.graphql");
        let graphql_core =
            include_str!("../../../tests/tests/api/clients/graphql-core-introspection.graphql");
        assert!(shaped(graphql_js).is_ok());
        assert!(shaped(graphql_core).is_ok());
    }

    #[test]
    fn introspection_walks_the_schema_once() {
        let twice = "{ a: __schema { types { name } } b: __schema { types { name } } }";
        assert!(shaped(twice).is_err());
        let reentrant = "{ __schema { types { fields { type { ofType { fields { name } } } } } } }";
        assert!(shaped(reentrant).is_err());
        let through_fragments = "{ __schema { ...A ...B } } fragment A on __Schema { types { name } } fragment B on __Schema { types { kind } }";
        assert!(shaped(through_fragments).is_err());
    }

    #[test]
    fn of_type_is_exempt_from_depth_only_inside_introspection() {
        let chain = format!(
            "{{ __type(name: \"Query\") {{ fields {{ type {{ {} name {} }} }} }} }}",
            "ofType { ".repeat(20),
            "} ".repeat(20)
        );
        assert!(shaped(&chain).is_ok());
        let data = format!(
            "{{ a {{ {} b {} }} }}",
            "ofType { ".repeat(20),
            "} ".repeat(20)
        );
        let error = shaped(&data).unwrap_err();
        assert!(
            error.message.contains("nested too deep"),
            "{}",
            error.message
        );
    }

    #[test]
    fn wide_selection_sets_are_refused_at_any_depth() {
        let wide = format!(
            "{{ sectors {{ {} }} }}",
            "code ".repeat(MAX_SELECTIONS_PER_SET + 1)
        );
        let error = checked(&wide).unwrap_err();
        assert!(error.message.contains("too many selections"));
        let fits = format!("{{ {} }}", "__typename ".repeat(MAX_SELECTIONS_PER_SET));
        assert!(checked(&fits).is_ok());
    }
}
