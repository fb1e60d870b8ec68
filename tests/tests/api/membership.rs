//! The membership lifecycle, from application to expulsion, and what it opens and closes.

use serde_json::{Value, json};

use crate::fixtures::{opportunity_input, published_opportunity};
use crate::harness::{TestApp, TestUser, spawn_app};

const APPLY: &str = "mutation($input: MembershipApplicationInput!) { applyForMembership(input: $input) { id name membershipStatus liaison { email } } }";

fn application(name: &str) -> Value {
    json!({ "input": { "name": name, "country": "VN", "organisationType": "enterprise", "description": "Logistics software for the Mekong.",
        "businessLicenceNumber": "0312345678", "report": "Ten years of digital freight platforms in Viet Nam and Laos." } })
}

async fn sees_member_item(app: &TestApp, user: &TestUser, id: &str) -> bool {
    let node = app
        .ok(
            Some(&user.token),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    let total = app
        .ok(
            Some(&user.token),
            "{ opportunities(filter: { visibility: MEMBERS }) { totalCount } }",
            json!({}),
        )
        .await;
    let search = app
        .ok(
            Some(&user.token),
            "{ search(query: \"confidential\") { totalCount } }",
            json!({}),
        )
        .await;
    let seen = [
        node["node"].is_object(),
        total["opportunities"]["totalCount"] == 1,
        search["search"]["totalCount"] == 1,
    ];
    assert!(
        seen.iter().all(|path| *path == seen[0]),
        "every path must agree: {seen:?}"
    );
    seen[0]
}

#[tokio::test]
async fn an_organisation_applies_is_reviewed_admitted_and_expelled_with_access_following_at_once() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let applicant = app.user(api::auth::Role::Member, Default::default()).await;
    let secret = published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input("Confidential pipeline", &["VN"], &["0504"], "MEMBERS"),
    )
    .await;

    let applied = app
        .ok(
            Some(&applicant.token),
            APPLY,
            application("Mekong Freight Tech"),
        )
        .await["applyForMembership"]
        .clone();
    assert_eq!(applied["membershipStatus"], "APPLIED");
    assert_eq!(applied["liaison"]["email"], applicant.email.as_str());
    let organisation = applied["id"].as_str().unwrap().to_owned();
    assert!(
        !sees_member_item(&app, &applicant, &secret).await,
        "applicants are not members yet"
    );
    assert_eq!(
        app.error_code(Some(&applicant.token), APPLY, application("Second Try"))
            .await,
        "CONFLICT"
    );

    let review = "mutation($id: ID!, $ok: Boolean!, $note: String) { reviewMembership(organisationId: $id, recommend: $ok, note: $note) { membershipStatus } }";
    assert_eq!(
        app.error_code(
            Some(&applicant.token),
            review,
            json!({ "id": organisation, "ok": true })
        )
        .await,
        "FORBIDDEN"
    );
    let queue = app
        .ok(
            Some(&secretariat.token),
            "{ organisations(statuses: [APPLIED]) { totalCount edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        queue["organisations"],
        json!({ "totalCount": 1, "edges": [{ "node": { "name": "Mekong Freight Tech" } }] })
    );
    let reviewed = app
        .ok(
            Some(&secretariat.token),
            review,
            json!({ "id": organisation, "ok": true }),
        )
        .await;
    assert_eq!(
        reviewed["reviewMembership"]["membershipStatus"],
        "UNDER_COUNCIL_REVIEW"
    );

    let decide = "mutation($id: ID!) { decideMembership(organisationId: $id, approve: true, certificateNumber: \"CADEA-2026-0042\", tier: VICE_CHAIR) { membershipStatus tier certificateNumber } }";
    let decided = app
        .ok(
            Some(&secretariat.token),
            decide,
            json!({ "id": organisation }),
        )
        .await;
    assert_eq!(
        decided["decideMembership"],
        json!({ "membershipStatus": "MEMBER", "tier": "VICE_CHAIR", "certificateNumber": "CADEA-2026-0042" })
    );
    assert!(
        sees_member_item(&app, &applicant, &secret).await,
        "members see member-only content at once"
    );
    assert_eq!(
        app.error_code(
            Some(&secretariat.token),
            decide,
            json!({ "id": organisation })
        )
        .await,
        "CONFLICT",
        "decided once"
    );

    let expel = "mutation($id: ID!, $why: String!) { expelMember(organisationId: $id, reason: $why) { membershipStatus statusReason } }";
    assert_eq!(
        app.error_code(
            Some(&secretariat.token),
            expel,
            json!({ "id": organisation, "why": " " })
        )
        .await,
        "BAD_USER_INPUT"
    );
    let expelled = app
        .ok(
            Some(&secretariat.token),
            expel,
            json!({ "id": organisation, "why": "leaked member-only information" }),
        )
        .await;
    assert_eq!(
        expelled["expelMember"]["statusReason"],
        "leaked member-only information"
    );
    assert!(
        !sees_member_item(&app, &applicant, &secret).await,
        "the expelled organisation's users lose member access at once"
    );
    let contact = app
        .ok(
            Some(&applicant.token),
            "{ opportunities { edges { node { contact } } } }",
            json!({}),
        )
        .await;
    assert!(
        contact.to_string().contains("null")
            || contact["opportunities"]["edges"]
                .as_array()
                .unwrap()
                .is_empty()
    );

    let log = app
        .ok(
            Some(&secretariat.token),
            "{ auditLog(action: \"MEMBERSHIP\") { totalCount edges { node { detail } } } }",
            json!({}),
        )
        .await;
    let details: Vec<&str> = log["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["detail"].as_str().unwrap())
        .collect();
    assert_eq!(log["auditLog"]["totalCount"], 4);
    assert_eq!(
        details.len(),
        4,
        "applied, reviewed, decided, expelled: {details:?}"
    );
    assert!(
        details[0].contains("expulsion") && details[0].contains("leaked"),
        "{details:?}"
    );
}

#[tokio::test]
async fn applications_are_declined_with_reasons_and_members_may_withdraw() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let first = app.user(api::auth::Role::User, Default::default()).await;
    let second = app.user(api::auth::Role::User, Default::default()).await;
    let third = app.user(api::auth::Role::User, Default::default()).await;
    let id_of = |answer: Value| {
        answer["applyForMembership"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let declined_early = id_of(
        app.ok(Some(&first.token), APPLY, application("Early Decline Co"))
            .await,
    );
    let review = "mutation($id: ID!, $note: String) { reviewMembership(organisationId: $id, recommend: false, note: $note) { membershipStatus statusReason } }";
    assert_eq!(
        app.error_code(
            Some(&secretariat.token),
            review,
            json!({ "id": declined_early })
        )
        .await,
        "BAD_USER_INPUT",
        "a decline needs a reason"
    );
    let declined = app
        .ok(
            Some(&secretariat.token),
            review,
            json!({ "id": declined_early, "note": "no licence" }),
        )
        .await;
    assert_eq!(
        declined["reviewMembership"],
        json!({ "membershipStatus": "DECLINED", "statusReason": "no licence" })
    );

    let council_declined = id_of(
        app.ok(
            Some(&second.token),
            APPLY,
            application("Council Decline Co"),
        )
        .await,
    );
    app.ok(
        Some(&secretariat.token),
        "mutation($id: ID!) { reviewMembership(organisationId: $id, recommend: true) { id } }",
        json!({ "id": council_declined }),
    )
    .await;
    let decline = "mutation($id: ID!) { decideMembership(organisationId: $id, approve: false, reason: \"outside the alliance's field\") { membershipStatus } }";
    assert_eq!(
        app.ok(
            Some(&secretariat.token),
            decline,
            json!({ "id": council_declined })
        )
        .await["decideMembership"]["membershipStatus"],
        "DECLINED"
    );

    let withdrawing = id_of(
        app.ok(Some(&third.token), APPLY, application("Withdrawing Co"))
            .await,
    );
    let withdraw = "mutation($id: ID!) { withdrawMembership(organisationId: $id, reason: \"merged\") { membershipStatus } }";
    assert_eq!(
        app.error_code(Some(&first.token), withdraw, json!({ "id": withdrawing }))
            .await,
        "NOT_FOUND",
        "another organisation's is invisible"
    );
    assert_eq!(
        app.ok(Some(&third.token), withdraw, json!({ "id": withdrawing }))
            .await["withdrawMembership"]["membershipStatus"],
        "WITHDRAWN"
    );
    let own = app
        .ok(
            Some(&third.token),
            "{ me { organisation { name membershipStatus statusReason } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        own["me"]["organisation"],
        json!({ "name": "Withdrawing Co", "membershipStatus": "WITHDRAWN", "statusReason": "merged" })
    );
}
