//! What is committed beside the code matches it: `schema.graphql` and the README's toolchain line.

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

/// The README's toolchain line says what `rust-version` in Cargo.toml enforces.
#[test]
fn the_readme_names_the_toolchain_the_workspace_requires() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let manifest = std::fs::read_to_string(format!("{root}/Cargo.toml")).unwrap();
    let required = manifest
        .lines()
        .find_map(|line| line.strip_prefix("rust-version = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("Cargo.toml sets rust-version");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    assert!(
        readme.contains(&format!("Rust toolchain ({required} or newer")),
        "README.md must name Rust {required} or newer"
    );
}
