//! A request's guard: what async-graphql's own limits (depth, complexity, recursion) do not
//! cover. Before validation it refuses a directive repeated at one location (the spec's
//! "Directives Are Unique Per Location"; none of ours is repeatable) and selection sets wider
//! than the limit (alias and duplicate floods, `__typename` included, which the complexity
//! limit counts too late to stop the parse's follow-up work). While executing, it counts the
//! text a response carries and refuses the rest once the response would outgrow its budget.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextResolve, ResolveInfo,
};
use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Positioned, ServerError, ServerResult, Value, Variables};

use crate::error::Code;
use crate::limits::{MAX_DOCUMENT_BYTES, MAX_SELECTIONS_PER_SET, RESPONSE_TEXT_MAX_BYTES};

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
