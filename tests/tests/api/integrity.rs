//! Rules that hostile or careless callers tried to get around: review that approves what it
//! saw, scope on every country field, archive as final, bounded and normalised inputs, a
//! request budget for search text and selections, and private files.

use api::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::{content, create_opportunity, opportunity_input, transition};
use crate::harness::{TestApp, TestUser, UserSpec, spawn_app};

const EDIT: &str = "mutation($id: ID!, $input: OpportunityInput!) { updateOpportunity(id: $id, input: $input) { status updatedAt } }";
const HISTORY: &str = "query($id: ID!) { node(id: $id) { ... on Opportunity { status updatedAt contact history { fromStatus toStatus reason } } } }";

fn code_of(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

/// An opportunity `author` wrote and submitted for review; its id.
async fn submitted(app: &TestApp, author: &TestUser, title: &str) -> String {
    let created = create_opportunity(
        app,
        author,
        opportunity_input(title, &["VN"], &["0501"], "PUBLIC"),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    transition(app, author, "submitContent", &id).await;
    id
}

#[tokio::test]
async fn an_edit_after_submission_returns_the_item_to_draft_so_review_never_approves_unseen_text() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(false).await;
    let id = &submitted(&app, &author, "Reviewed tender").await;
    let seen = app
        .ok(Some(&secretariat.token), HISTORY, json!({ "id": id }))
        .await["node"]["updatedAt"]
        .clone();

    let mut edited = opportunity_input("Reviewed tender", &["VN"], &["0501"], "MEMBERS");
    edited["contact"] = json!("someone-else@example.org");
    let after_edit = app
        .ok(
            Some(&author.token),
            EDIT,
            json!({ "id": id, "input": edited }),
        )
        .await;
    assert_eq!(after_edit["updateOpportunity"]["status"], "DRAFT");

    let approve = "mutation($id: ID!, $seen: DateTime) { approveContent(id: $id, expectedUpdatedAt: $seen) { status } }";
    let refused = app
        .graphql(
            Some(&secretariat.token),
            approve,
            json!({ "id": id, "seen": seen }),
        )
        .await;
    assert_eq!(code_of(&refused), "CONFLICT", "{refused}");
    let history = app
        .ok(Some(&secretariat.token), HISTORY, json!({ "id": id }))
        .await["node"]["history"]
        .clone();
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["fromStatus"], "SUBMITTED");
    assert_eq!(last["toStatus"], "DRAFT");
    assert!(last["reason"].as_str().unwrap().contains("edited"));
}

#[tokio::test]
async fn a_reviewer_approves_only_the_version_they_saw() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(false).await;
    let id = &submitted(&app, &author, "Versioned tender").await;
    let approve = "mutation($id: ID!, $seen: DateTime) { approveContent(id: $id, expectedUpdatedAt: $seen) { status } }";
    let stale = app
        .graphql(
            Some(&secretariat.token),
            approve,
            json!({ "id": id, "seen": "2020-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(code_of(&stale), "CONFLICT");
    let seen = app
        .ok(Some(&secretariat.token), HISTORY, json!({ "id": id }))
        .await["node"]["updatedAt"]
        .clone();
    let approved = app
        .ok(
            Some(&secretariat.token),
            approve,
            json!({ "id": id, "seen": seen }),
        )
        .await;
    assert_eq!(approved["approveContent"]["status"], "PUBLISHED");
}

#[tokio::test]
async fn only_the_secretariat_brings_back_what_was_archived() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let created = create_opportunity(
        &app,
        &author,
        opportunity_input("Archived tender", &["VN"], &["0501"], "PUBLIC"),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    transition(&app, &author, "publishContent", id).await;
    transition(&app, &secretariat, "archiveContent", id).await;
    let publish = "mutation($id: ID!) { publishContent(id: $id) { status } }";
    let refused = app
        .graphql(Some(&author.token), publish, json!({ "id": id }))
        .await;
    assert_eq!(code_of(&refused), "FORBIDDEN", "{refused}");
    assert_eq!(
        transition(&app, &secretariat, "publishContent", id).await,
        "PUBLISHED"
    );
}

#[tokio::test]
async fn a_correspondents_scope_covers_a_policys_jurisdiction_and_an_events_country() {
    let app = spawn_app().await;
    let vietnam = app
        .user(
            Role::Correspondent,
            UserSpec {
                countries: vec!["VN".into()],
                ..UserSpec::default()
            },
        )
        .await;
    let policy = app
        .graphql(
            Some(&vietnam.token),
            "mutation($input: PolicyInput!) { createPolicy(input: $input) { id } }",
            json!({ "input": { "content": content("Data rules", &["VN"], &["0501"], "PUBLIC"),
                "issuingAuthority": "State Council", "policyType": "REGULATION", "jurisdiction": "CN" } }),
        )
        .await;
    assert_eq!(code_of(&policy), "FORBIDDEN", "{policy}");
    let starts = chrono::Utc::now() + chrono::Duration::days(20);
    let event = app
        .graphql(
            Some(&vietnam.token),
            "mutation($input: EventInput!) { createEvent(input: $input) { id } }",
            json!({ "input": { "content": content("Expo", &["VN"], &["0501"], "PUBLIC"), "eventType": "EXPO",
                "startsAt": starts.to_rfc3339(), "endsAt": (starts + chrono::Duration::hours(5)).to_rfc3339(),
                "city": "Nanning", "country": "CN" } }),
        )
        .await;
    assert_eq!(code_of(&event), "FORBIDDEN", "{event}");
    let inside = app
        .graphql(
            Some(&vietnam.token),
            "mutation($input: PolicyInput!) { createPolicy(input: $input) { id } }",
            json!({ "input": { "content": content("Data rules", &["VN"], &["0501"], "PUBLIC"),
                "issuingAuthority": "Government of Viet Nam", "policyType": "REGULATION", "jurisdiction": "VN" } }),
        )
        .await;
    assert!(inside.get("errors").is_none(), "{inside}");
}

async fn register(app: &TestApp, email: &str) -> Value {
    app.graphql(
        None,
        "mutation($e: String!, $p: String!) { register(email: $e, password: $p, name: \"Ana\") { accessToken } }",
        json!({ "e": email, "p": "a long enough password" }),
    )
    .await
}

#[tokio::test]
async fn emails_are_normalised_and_invisible_characters_and_nul_are_refused() {
    let app = spawn_app().await;
    let zero_width = register(&app, "ana\u{200B}@example.org").await;
    assert_eq!(code_of(&zero_width), "BAD_USER_INPUT");
    // "é" written as e + combining accent, in capitals: the same mailbox as NFC lower case.
    assert!(
        register(&app, "Jose\u{301}@Example.org")
            .await
            .get("errors")
            .is_none()
    );
    let again = register(&app, "jos\u{e9}@example.org").await;
    assert_eq!(code_of(&again), "CONFLICT", "{again}");

    let author = app.correspondent(false).await;
    let nul = app
        .graphql(
            Some(&author.token),
            "mutation($input: OpportunityInput!) { createOpportunity(input: $input) { id } }",
            json!({ "input": opportunity_input("Null\u{0}byte", &["VN"], &["0501"], "PUBLIC") }),
        )
        .await;
    assert_eq!(code_of(&nul), "BAD_USER_INPUT");
}

#[tokio::test]
async fn organisation_names_differing_only_in_case_are_one_organisation() {
    let app = spawn_app().await;
    let apply = "mutation($input: MembershipApplicationInput!) { applyForMembership(input: $input) { id } }";
    let input = |name: &str| {
        json!({ "input": { "name": name, "country": "VN", "organisationType": "ENTERPRISE",
            "description": "We build ports", "businessLicenceNumber": "0101", "report": "Annual report" } })
    };
    let first = app.user(Role::User, UserSpec::default()).await;
    app.ok(Some(&first.token), apply, input("Mekong Ports JSC"))
        .await;
    let second = app.user(Role::User, UserSpec::default()).await;
    let copy = app
        .graphql(Some(&second.token), apply, input("MEKONG PORTS jsc"))
        .await;
    assert_eq!(code_of(&copy), "CONFLICT", "{copy}");
}

#[tokio::test]
async fn list_inputs_and_numbers_are_bounded_before_any_query() {
    let app = spawn_app().await;
    let tags: Vec<String> = (0..40_000).map(|index| format!("t{index}")).collect();
    let many = app
        .graphql(
            None,
            "query($t: [String!]) { opportunities(filter: { tags: $t }) { totalCount } }",
            json!({ "t": tags }),
        )
        .await;
    assert_eq!(code_of(&many), "BAD_USER_INPUT", "{many}");
    assert!(
        many["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("50")
    );

    let secretariat = app.secretariat().await;
    let beyond = app
        .graphql(
            Some(&secretariat.token),
            "{ auditLog(before: 1099511627776) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(code_of(&beyond), "BAD_USER_INPUT", "{beyond}");
}

#[tokio::test]
async fn search_text_has_a_budget_and_each_refusal_names_its_limit() {
    let app = spawn_app().await;
    let search = "query($q: String) { search(query: $q) { totalCount } }";
    for (text, limit) in [
        ("harbours ".repeat(1_000), "characters"),
        ("port ".repeat(40), "words"),
        ("harbours ".repeat(9), "typo"),
        ("\"a b\" ".repeat(9), "phrases"),
    ] {
        let answer = app.graphql(None, search, json!({ "q": text })).await;
        assert_eq!(code_of(&answer), "BAD_USER_INPUT", "{limit}: {answer}");
        assert_eq!(answer["errors"][0]["extensions"]["field"], "query");
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(limit), "{limit}: {message}");
    }
    let fine = app
        .graphql(
            None,
            search,
            json!({ "q": "cold chain logistics in Viet Nam" }),
        )
        .await;
    assert!(fine.get("errors").is_none(), "{fine}");
}

#[tokio::test]
async fn repeated_directives_and_wide_selections_are_refused_before_execution() {
    let app = spawn_app().await;
    let repeated = app
        .graphql(
            None,
            "{ __typename @skip(if: false) @skip(if: false) }",
            json!({}),
        )
        .await;
    assert_eq!(code_of(&repeated), "BAD_USER_INPUT", "{repeated}");
    let duplicates = format!("{{ {} }}", "__typename ".repeat(20_000));
    let answer = app.graphql(None, &duplicates, json!({})).await;
    assert_eq!(code_of(&answer), "QUERY_TOO_COMPLEX", "{answer}");
    let aliases: String = (0..50_000)
        .map(|index| format!("a{index}:__typename "))
        .collect();
    let answer = app
        .graphql(None, &format!("{{ {aliases} }}"), json!({}))
        .await;
    assert_eq!(code_of(&answer), "QUERY_TOO_COMPLEX");
}

#[tokio::test]
async fn the_data_dir_and_database_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    if std::env::var(crate::harness::POSTGRES_ENV).is_ok_and(|url| !url.is_empty()) {
        eprintln!("skipped on PostgreSQL: no database file");
        return;
    }
    let parent = tempfile::tempdir().unwrap();
    let data_dir = parent.path().join("data");
    let storage = api::config::StorageConfig {
        data_dir: data_dir.clone(),
        database_url: None,
    };
    let db = api::app::open_database(&storage).await.unwrap();
    assert!(db.ping().await);
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data_dir), 0o700);
    for name in ["infoharbor.db", "infoharbor.db-wal", "infoharbor.db-shm"] {
        let file = data_dir.join(name);
        if file.exists() {
            assert_eq!(mode(&file), 0o600, "{name}");
        }
    }
    assert!(
        data_dir.join("infoharbor.db-wal").exists(),
        "WAL mode made a WAL file"
    );
}
