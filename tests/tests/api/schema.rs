//! The committed `schema.graphql` is the schema the code serves.

#[test]
fn schema_graphql_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let committed =
        std::fs::read_to_string(path).expect("schema.graphql exists at the repository root");
    let served = api::graphql::sdl();
    assert!(
        committed == served,
        "schema.graphql is stale: run `cargo run -p api -- schema > schema.graphql` and commit it"
    );
}
