//! Catches a panic in any resolver and turns it into an `INTERNAL` error for that field, so
//! one bug neither drops the connection nor answers with a 5xx.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerError, ServerResult, Value};
use futures_util::FutureExt;

use crate::error::Code;

pub struct CatchPanic;

impl ExtensionFactory for CatchPanic {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CatchPanicExtension)
    }
}

struct CatchPanicExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for CatchPanicExtension {
    async fn resolve(
        &self,
        context: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let field = info.path_node.to_string();
        match AssertUnwindSafe(next.run(context, info))
            .catch_unwind()
            .await
        {
            Ok(outcome) => outcome,
            Err(panic) => {
                let cause = panic
                    .downcast_ref::<&str>()
                    .map(|text| (*text).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(%field, %cause, "a resolver panicked");
                let mut error = ServerError::new("internal error", None);
                error
                    .extensions
                    .get_or_insert_with(Default::default)
                    .set("code", Code::Internal.as_str());
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

    use super::CatchPanic;

    struct Query;

    #[Object]
    impl Query {
        async fn fine(&self) -> i32 {
            1
        }
        async fn broken(&self) -> i32 {
            std::hint::black_box(None::<i32>).expect("a bug")
        }
    }

    #[tokio::test]
    async fn a_panicking_resolver_becomes_an_internal_error_and_the_rest_still_answers() {
        let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
            .extension(CatchPanic)
            .finish();
        let response = schema.execute("{ fine broken }").await;
        assert_eq!(response.errors.len(), 1);
        let code = response.errors[0]
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .cloned();
        assert_eq!(code, Some(async_graphql::Value::from("INTERNAL")));
        assert!(
            !response.errors[0].message.contains("a bug"),
            "the panic message stays in the log"
        );
    }
}
