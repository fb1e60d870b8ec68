//! Inputs and documents the tests share.

use serde_json::{Value, json};

use crate::harness::{TestApp, TestUser};

pub const CORE_FIELDS: &str = "id kind title summary body language status visibility publishedAt updatedAt countries { code } sectors { code } tags translations { language title }";

pub fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .date_naive()
        .to_string()
}

pub fn content(title: &str, countries: &[&str], sectors: &[&str], visibility: &str) -> Value {
    json!({
        "title": title,
        "summary": format!("Summary of {title}"),
        "body": format!("Body of {title}, with the details a reader needs."),
        "language": "en",
        "countries": countries,
        "sectors": sectors,
        "tags": ["cross-border"],
        "visibility": visibility,
    })
}

pub fn opportunity_input(
    title: &str,
    countries: &[&str],
    sectors: &[&str],
    visibility: &str,
) -> Value {
    json!({
        "content": content(title, countries, sectors, visibility),
        "opportunityType": "INVESTMENT",
        "amountMin": "250000",
        "amountMax": "1500000.50",
        "currency": "USD",
        "deadline": in_days(30),
        "contact": "Ms. Lan, lan@example.vn",
    })
}

pub async fn create_opportunity(app: &TestApp, author: &TestUser, input: Value) -> Value {
    let document = format!(
        "mutation($input: OpportunityInput!) {{ createOpportunity(input: $input) {{ {CORE_FIELDS} opportunityType amountMin {{ amount currency }} amountMax {{ amount currency }} deadline contact }} }}"
    );
    app.ok(Some(&author.token), &document, json!({ "input": input }))
        .await["createOpportunity"]
        .clone()
}

/// Creates an opportunity and has `publisher` (the secretariat) publish it; returns its id.
pub async fn published_opportunity(
    app: &TestApp,
    author: &TestUser,
    publisher: &TestUser,
    input: Value,
) -> String {
    let id = create_opportunity(app, author, input).await["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    transition(app, publisher, "publishContent", &id).await;
    id
}

/// Runs a workflow mutation that must succeed; returns the item's new status.
pub async fn transition(app: &TestApp, actor: &TestUser, mutation: &str, id: &str) -> String {
    let document = format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ status }} }}");
    let data = app
        .ok(Some(&actor.token), &document, json!({ "id": id }))
        .await;
    data[mutation]["status"]
        .as_str()
        .expect("a status")
        .to_owned()
}

pub fn ids_of(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"]["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// The secretariat expels the organisation `member` belongs to: its users lose member access.
pub async fn expel_organisation_of(app: &TestApp, secretariat: &TestUser, member: &TestUser) {
    let organisation = app
        .ok(
            Some(&member.token),
            "{ me { organisation { id } } }",
            json!({}),
        )
        .await["me"]["organisation"]["id"]
        .clone();
    assert!(
        organisation.is_string(),
        "the user belongs to an organisation"
    );
    app.ok(
        Some(&secretariat.token),
        "mutation($id: ID!) { expelMember(organisationId: $id, reason: \"breach of the charter\") { id } }",
        json!({ "id": organisation }),
    )
    .await;
}
