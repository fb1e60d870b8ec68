//! The workflow: draft, submit, approve or reject, publish, archive, who may do each, and
//! the history it leaves.

use api::auth::Role;
use serde_json::json;

use crate::fixtures::{create_opportunity, opportunity_input, transition};
use crate::harness::{UserSpec, spawn_app};

const HISTORY: &str = "query($id: ID!) { node(id: $id) { ... on Opportunity { status publishedAt history { fromStatus toStatus reason actor { name role organisationName email } } } } }";

#[tokio::test]
async fn a_draft_is_submitted_rejected_resubmitted_approved_and_archived_with_its_history() {
    let app = spawn_app().await;
    let correspondent = app.correspondent(false).await;
    let secretariat = app.secretariat().await;
    let id = create_opportunity(
        &app,
        &correspondent,
        opportunity_input("Fintech sandbox partner", &["SG"], &["0505"], "PUBLIC"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(
        transition(&app, &correspondent, "submitContent", &id).await,
        "SUBMITTED"
    );
    let rejected = app
        .ok(
            Some(&secretariat.token),
            "mutation($id: ID!) { rejectContent(id: $id, reason: \"add the source\") { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(rejected["rejectContent"]["status"], "REJECTED");
    assert_eq!(
        transition(&app, &correspondent, "submitContent", &id).await,
        "SUBMITTED"
    );
    assert_eq!(
        transition(&app, &secretariat, "approveContent", &id).await,
        "PUBLISHED"
    );
    assert_eq!(
        transition(&app, &correspondent, "archiveContent", &id).await,
        "ARCHIVED"
    );

    let data = app
        .ok(Some(&correspondent.token), HISTORY, json!({ "id": id }))
        .await;
    let history = data["node"]["history"].as_array().unwrap();
    let steps: Vec<(serde_json::Value, serde_json::Value)> = history
        .iter()
        .map(|step| (step["fromStatus"].clone(), step["toStatus"].clone()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (json!(null), json!("DRAFT")),
            (json!("DRAFT"), json!("SUBMITTED")),
            (json!("SUBMITTED"), json!("REJECTED")),
            (json!("REJECTED"), json!("SUBMITTED")),
            (json!("SUBMITTED"), json!("PUBLISHED")),
            (json!("PUBLISHED"), json!("ARCHIVED")),
        ]
    );
    assert_eq!(history[2]["reason"], "add the source");
    // The author sees who rejected it as a public face, never the reviewer's email.
    assert_eq!(
        history[2]["actor"],
        json!({ "name": "Test secretariat", "role": "SECRETARIAT", "organisationName": "Alliance Secretariat", "email": null })
    );
    assert_eq!(history[1]["actor"]["email"], correspondent.email.as_str());
    let seen_by_secretariat = app
        .ok(Some(&secretariat.token), HISTORY, json!({ "id": id }))
        .await;
    assert_eq!(
        seen_by_secretariat["node"]["history"][2]["actor"]["email"],
        secretariat.email.as_str()
    );
    assert!(
        data["node"]["publishedAt"].is_string(),
        "the publication time is kept after archiving"
    );
}

#[tokio::test]
async fn only_the_secretariat_approves_or_rejects() {
    let app = spawn_app().await;
    let correspondent = app.correspondent(true).await;
    let id = create_opportunity(
        &app,
        &correspondent,
        opportunity_input("Robotics line", &["TH"], &["0502"], "PUBLIC"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    transition(&app, &correspondent, "submitContent", &id).await;
    let approve = "mutation($id: ID!) { approveContent(id: $id) { status } }";
    assert_eq!(
        app.error_code(Some(&correspondent.token), approve, json!({ "id": id }))
            .await,
        "FORBIDDEN"
    );
    let reject = "mutation($id: ID!) { rejectContent(id: $id, reason: \"no\") { status } }";
    assert_eq!(
        app.error_code(Some(&correspondent.token), reject, json!({ "id": id }))
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        app.error_code(None, approve, json!({ "id": id })).await,
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn publishing_directly_needs_a_trusted_correspondent_or_the_secretariat() {
    let app = spawn_app().await;
    let untrusted = app.correspondent(false).await;
    let trusted = app.correspondent(true).await;
    let secretariat = app.secretariat().await;
    let publish = "mutation($id: ID!) { publishContent(id: $id) { status publishedAt } }";

    let untrusted_item = create_opportunity(
        &app,
        &untrusted,
        opportunity_input("E-wallet rollout", &["PH"], &["0505"], "PUBLIC"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.error_code(
            Some(&untrusted.token),
            publish,
            json!({ "id": untrusted_item })
        )
        .await,
        "FORBIDDEN"
    );
    assert_eq!(
        transition(&app, &secretariat, "publishContent", &untrusted_item).await,
        "PUBLISHED"
    );

    let trusted_item = create_opportunity(
        &app,
        &trusted,
        opportunity_input("Satellite ground station", &["ID"], &["0302"], "PUBLIC"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let published = app
        .ok(Some(&trusted.token), publish, json!({ "id": trusted_item }))
        .await;
    assert_eq!(published["publishContent"]["status"], "PUBLISHED");
    assert!(published["publishContent"]["publishedAt"].is_string());
}

#[tokio::test]
async fn transitions_from_the_wrong_status_are_conflicts() {
    let app = spawn_app().await;
    let correspondent = app.correspondent(false).await;
    let secretariat = app.secretariat().await;
    let id = create_opportunity(
        &app,
        &correspondent,
        opportunity_input("Port community system", &["KH"], &["0504"], "PUBLIC"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for mutation in ["approveContent", "archiveContent"] {
        let document = format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ status }} }}");
        let answer = app
            .graphql(Some(&secretariat.token), &document, json!({ "id": id }))
            .await;
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "CONFLICT",
            "{mutation}: {answer:#}"
        );
        assert!(
            answer["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("DRAFT"),
            "the message says the current status"
        );
    }
    transition(&app, &correspondent, "submitContent", &id).await;
    let again = app
        .error_code(
            Some(&correspondent.token),
            "mutation($id: ID!) { submitContent(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(again, "CONFLICT");
}

#[tokio::test]
async fn a_rejection_needs_a_reason() {
    let app = spawn_app().await;
    let correspondent = app.correspondent(false).await;
    let secretariat = app.secretariat().await;
    let id = create_opportunity(
        &app,
        &correspondent,
        opportunity_input("Smart grid pilot", &["LA"], &["0507"], "PUBLIC"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    transition(&app, &correspondent, "submitContent", &id).await;
    let code = app
        .error_code(
            Some(&secretariat.token),
            "mutation($id: ID!) { rejectContent(id: $id, reason: \"  \") { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
}

#[tokio::test]
async fn only_correspondents_and_the_secretariat_write_and_only_within_scope() {
    let app = spawn_app().await;
    let create = "mutation($input: OpportunityInput!) { createOpportunity(input: $input) { id } }";
    let input =
        json!({ "input": opportunity_input("Agritech in Yunnan", &["CN"], &["0501"], "PUBLIC") });
    assert_eq!(
        app.error_code(None, create, input.clone()).await,
        "UNAUTHENTICATED"
    );
    let member = app.member().await;
    assert_eq!(
        app.error_code(Some(&member.token), create, input.clone())
            .await,
        "FORBIDDEN"
    );

    let mekong_agriculture = app
        .user(
            Role::Correspondent,
            UserSpec {
                regions: vec!["MEKONG".into()],
                sectors: vec!["05".into()],
                ..UserSpec::default()
            },
        )
        .await;
    assert_eq!(
        app.error_code(Some(&mekong_agriculture.token), create, input)
            .await,
        "FORBIDDEN",
        "China is outside the Mekong region"
    );
    let outside_sector =
        json!({ "input": opportunity_input("Chip plant", &["VN"], &["0105"], "PUBLIC") });
    assert_eq!(
        app.error_code(Some(&mekong_agriculture.token), create, outside_sector)
            .await,
        "FORBIDDEN"
    );
    let inside = json!({ "input": opportunity_input("Rice traceability in the delta", &["VN", "KH"], &["0501"], "PUBLIC") });
    app.ok(Some(&mekong_agriculture.token), create, inside)
        .await;

    let unassigned = app.user(Role::Correspondent, UserSpec::default()).await;
    let anywhere = json!({ "input": opportunity_input("Anything", &["SG"], &["0301"], "PUBLIC") });
    assert_eq!(
        app.error_code(Some(&unassigned.token), create, anywhere)
            .await,
        "FORBIDDEN"
    );
}

#[tokio::test]
async fn a_correspondent_edits_only_their_own_unpublished_items() {
    let app = spawn_app().await;
    let author = app.correspondent(false).await;
    let other = app.correspondent(false).await;
    let secretariat = app.secretariat().await;
    let id = create_opportunity(
        &app,
        &author,
        opportunity_input("Logistics app", &["MM"], &["0504"], "PUBLIC"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let update = "mutation($id: ID!, $input: OpportunityInput!) { updateOpportunity(id: $id, input: $input) { title } }";
    let input = |title: &str| json!({ "id": id, "input": opportunity_input(title, &["MM"], &["0504"], "PUBLIC") });

    assert_eq!(
        app.error_code(Some(&other.token), update, input("hijacked"))
            .await,
        "NOT_FOUND",
        "another's draft is invisible"
    );
    app.ok(Some(&author.token), update, input("Logistics app v2"))
        .await;
    transition(&app, &secretariat, "publishContent", &id).await;
    assert_eq!(
        app.error_code(Some(&other.token), update, input("hijacked"))
            .await,
        "FORBIDDEN",
        "visible once published, still not theirs"
    );
    assert_eq!(
        app.error_code(Some(&author.token), update, input("late edit"))
            .await,
        "FORBIDDEN",
        "untrusted authors cannot edit published items"
    );
    let edited = app
        .ok(
            Some(&secretariat.token),
            update,
            input("Logistics app, edited by the secretariat"),
        )
        .await;
    assert_eq!(
        edited["updateOpportunity"]["title"],
        "Logistics app, edited by the secretariat"
    );
}

#[tokio::test]
async fn trusted_writers_publish_as_they_create_and_no_one_else_does() {
    let app = spawn_app().await;
    let trusted = app.correspondent(true).await;
    let untrusted = app.correspondent(false).await;
    let member = app.member().await;
    let secretariat = app.secretariat().await;
    let create = "mutation($input: OpportunityInput!) { createOpportunity(input: $input, publish: true) { id status publishedAt } }";
    let input = |title: &str| opportunity_input(title, &["VN"], &["0505"], "PUBLIC");

    for (writer, title) in [
        (&trusted, "Zebrafinch payments hub"),
        (&secretariat, "Zebrafinch customs portal"),
    ] {
        let created = app
            .ok(
                Some(&writer.token),
                create,
                json!({ "input": input(title) }),
            )
            .await["createOpportunity"]
            .clone();
        assert_eq!(created["status"], "PUBLISHED");
        assert!(created["publishedAt"].is_string());
        let history = app
            .ok(
                Some(&secretariat.token),
                HISTORY,
                json!({ "id": created["id"] }),
            )
            .await["node"]["history"]
            .clone();
        assert_eq!(
            history[1]["fromStatus"], "DRAFT",
            "created, then published: {history}"
        );
        assert_eq!(history[1]["toStatus"], "PUBLISHED");
    }
    let found = app
        .ok(
            None,
            "{ search(query: \"zebrafinch\") { totalCount } opportunities { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        found["search"]["totalCount"], 2,
        "searchable when the mutation returns"
    );
    assert_eq!(found["opportunities"]["totalCount"], 2);

    assert_eq!(
        app.error_code(
            Some(&untrusted.token),
            create,
            json!({ "input": input("Zebrafinch draft") })
        )
        .await,
        "FORBIDDEN"
    );
    assert_eq!(
        app.error_code(
            Some(&member.token),
            create,
            json!({ "input": input("Zebrafinch member") })
        )
        .await,
        "FORBIDDEN"
    );
    let mine = app
        .ok(
            Some(&untrusted.token),
            "{ opportunities(filter: { mine: true, statuses: [DRAFT, SUBMITTED, PUBLISHED] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine["opportunities"]["totalCount"], 0,
        "a refused create-and-publish creates nothing"
    );
    let log = app
        .ok(
            Some(&secretariat.token),
            "{ auditLog(action: \"CONTENT_TRANSITION\", first: 10) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        log["auditLog"]["totalCount"], 2,
        "each publication is audited"
    );
}
