//! Creating and updating each of the four kinds, and what bad input gets.

use serde_json::json;

use crate::fixtures::{CORE_FIELDS, content, create_opportunity, in_days, opportunity_input};
use crate::harness::spawn_app;

#[tokio::test]
async fn a_correspondent_creates_an_opportunity_as_a_draft_with_exact_money() {
    let app = spawn_app().await;
    let correspondent = app.correspondent(false).await;
    let mut input = opportunity_input(
        "Cold-chain hub in Hai Phong",
        &["VN", "CN"],
        &["0504"],
        "PUBLIC",
    );
    input["content"]["translations"] = json!([{ "language": "zh", "title": "海防冷链枢纽", "summary": "冷链项目", "body": "寻找投资者。" }]);
    let created = create_opportunity(&app, &correspondent, input).await;
    assert_eq!(created["kind"], "OPPORTUNITY");
    assert_eq!(created["status"], "DRAFT");
    assert!(created["publishedAt"].is_null());
    assert_eq!(
        created["amountMin"],
        json!({ "amount": "250000", "currency": "USD" })
    );
    assert_eq!(
        created["amountMax"],
        json!({ "amount": "1500000.5", "currency": "USD" })
    );
    assert_eq!(created["deadline"], in_days(30));
    assert_eq!(
        created["contact"], "Ms. Lan, lan@example.vn",
        "the author sees the contact"
    );
    assert_eq!(
        created["countries"],
        json!([{ "code": "CN" }, { "code": "VN" }])
    );
    assert_eq!(
        created["translations"],
        json!([{ "language": "zh", "title": "海防冷链枢纽" }])
    );
    let updated_at = created["updatedAt"].as_str().unwrap();
    assert!(
        updated_at.ends_with('Z'),
        "timestamps are RFC 3339 in UTC: {updated_at}"
    );
}

#[tokio::test]
async fn titles_come_in_the_requested_language_or_the_original() {
    let app = spawn_app().await;
    let correspondent = app.correspondent(false).await;
    let mut input = opportunity_input("Smart farming in Isan", &["TH"], &["0501"], "PUBLIC");
    input["content"]["translations"] = json!([{ "language": "th", "title": "เกษตรอัจฉริยะในภาคอีสาน", "summary": "สรุป", "body": "รายละเอียด" }]);
    let id = create_opportunity(&app, &correspondent, input).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let data = app
        .ok(
            Some(&correspondent.token),
            "query($id: ID!) { node(id: $id) { ... on Opportunity { th: title(lang: \"th\") thTH: title(lang: \"th-TH\") zh: title(lang: \"zh\") original: title summary(lang: \"th\") } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data["node"]["th"], "เกษตรอัจฉริยะในภาคอีสาน");
    assert_eq!(
        data["node"]["thTH"], "เกษตรอัจฉริยะในภาคอีสาน",
        "a regional tag finds its language"
    );
    assert_eq!(
        data["node"]["zh"], "Smart farming in Isan",
        "no Chinese translation: the original"
    );
    assert_eq!(data["node"]["original"], "Smart farming in Isan");
    assert_eq!(data["node"]["summary"], "สรุป");
}

#[tokio::test]
async fn each_kind_is_created_and_updated_with_its_own_fields() {
    let app = spawn_app().await;
    let correspondent = app.correspondent(false).await;
    let token = Some(correspondent.token.as_str());

    let policy = app
        .ok(
            token,
            &format!("mutation($input: PolicyInput!) {{ createPolicy(input: $input) {{ {CORE_FIELDS} issuingAuthority policyType jurisdiction {{ code }} documentNumber effectiveDate }} }}"),
            json!({ "input": {
                "content": content("Personal data protection decree", &["VN"], &["0406"], "PUBLIC"),
                "issuingAuthority": "Government of Viet Nam", "policyType": "regulation", "jurisdiction": "vn",
                "documentNumber": "13/2023/ND-CP", "effectiveDate": "2023-07-01" } }),
        )
        .await["createPolicy"]
        .clone();
    assert_eq!(policy["kind"], "POLICY");
    assert_eq!(policy["policyType"], "REGULATION");
    assert_eq!(policy["jurisdiction"]["code"], "VN");
    assert_eq!(policy["effectiveDate"], "2023-07-01");

    let research = app
        .ok(
            token,
            "mutation($input: ResearchResultInput!) { createResearchResult(input: $input) { id kind institutions authors readinessLevel ipStatus openToCommercialisation } }",
            json!({ "input": {
                "content": content("Khmer speech recognition", &["KH"], &["0301"], "MEMBERS"),
                "institutions": ["Royal University of Phnom Penh"], "authors": ["S. Dara"], "readinessLevel": 6,
                "ipStatus": "PATENT_PENDING", "openToCommercialisation": true } }),
        )
        .await["createResearchResult"]
        .clone();
    assert_eq!(research["kind"], "RESEARCH");
    assert_eq!(
        research["institutions"],
        json!(["Royal University of Phnom Penh"])
    );
    assert_eq!(research["readinessLevel"], 6);
    assert_eq!(research["openToCommercialisation"], true);

    let starts = chrono::Utc::now() + chrono::Duration::days(40);
    let event = app
        .ok(
            token,
            "mutation($input: EventInput!) { createEvent(input: $input) { id kind eventType startsAt endsAt city timeZone capacity country { code } } }",
            json!({ "input": {
                "content": content("China-ASEAN digital economy forum", &["CN"], &["05"], "PUBLIC"),
                "eventType": "FORUM", "startsAt": starts.to_rfc3339(), "endsAt": (starts + chrono::Duration::hours(6)).to_rfc3339(),
                "city": "Nanning", "country": "CN", "timeZone": "Asia/Shanghai", "capacity": 300 } }),
        )
        .await["createEvent"]
        .clone();
    assert_eq!(event["kind"], "EVENT");
    assert_eq!(event["eventType"], "FORUM");
    assert_eq!(event["capacity"], 300);
    assert_eq!(event["country"]["code"], "CN");

    let updated = app
        .ok(
            token,
            "mutation($id: ID!, $input: ResearchResultInput!) { updateResearchResult(id: $id, input: $input) { title readinessLevel visibility status } }",
            json!({ "id": research["id"], "input": {
                "content": content("Khmer speech recognition, second edition", &["KH"], &["0301"], "PUBLIC"),
                "institutions": ["Royal University of Phnom Penh"], "readinessLevel": 7 } }),
        )
        .await["updateResearchResult"]
        .clone();
    assert_eq!(updated["title"], "Khmer speech recognition, second edition");
    assert_eq!(updated["readinessLevel"], 7);
    assert_eq!(updated["visibility"], "PUBLIC");
    assert_eq!(updated["status"], "DRAFT");

    let updated_policy = app
        .ok(
            token,
            "mutation($id: ID!, $input: PolicyInput!) { updatePolicy(id: $id, input: $input) { policyType documentNumber countries { code } } }",
            json!({ "id": policy["id"], "input": {
                "content": content("Personal data protection decree", &["VN", "LA"], &["0406"], "PUBLIC"),
                "issuingAuthority": "Government of Viet Nam", "policyType": "LAW" } }),
        )
        .await["updatePolicy"]
        .clone();
    assert_eq!(updated_policy["policyType"], "LAW");
    assert!(updated_policy["documentNumber"].is_null());
    assert_eq!(
        updated_policy["countries"],
        json!([{ "code": "LA" }, { "code": "VN" }])
    );

    let updated_event = app
        .ok(
            token,
            "mutation($id: ID!, $input: EventInput!) { updateEvent(id: $id, input: $input) { city online } }",
            json!({ "id": event["id"], "input": {
                "content": content("China-ASEAN digital economy forum (online)", &["CN"], &["05"], "PUBLIC"),
                "eventType": "FORUM", "startsAt": starts.to_rfc3339(), "endsAt": (starts + chrono::Duration::hours(6)).to_rfc3339(), "online": true } }),
        )
        .await["updateEvent"]
        .clone();
    assert_eq!(updated_event, json!({ "city": null, "online": true }));
}

#[tokio::test]
async fn an_update_through_the_id_of_another_kind_is_refused() {
    let app = spawn_app().await;
    let correspondent = app.correspondent(false).await;
    let opportunity = create_opportunity(
        &app,
        &correspondent,
        opportunity_input("Data centre in Johor", &["MY"], &["0405"], "PUBLIC"),
    )
    .await;
    let code = app
        .error_code(
            Some(&correspondent.token),
            "mutation($id: ID!, $input: PolicyInput!) { updatePolicy(id: $id, input: $input) { id } }",
            json!({ "id": opportunity["id"], "input": { "content": content("x", &["MY"], &["0405"], "PUBLIC"), "issuingAuthority": "x", "policyType": "LAW" } }),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let correspondent = app.correspondent(false).await;
    let cases = [
        (
            "content.countries",
            json!({ "content": { "countries": ["XX"] } }),
        ),
        (
            "content.sectors",
            json!({ "content": { "sectors": ["0599"] } }),
        ),
        (
            "content.language",
            json!({ "content": { "language": "de" } }),
        ),
        ("content.title", json!({ "content": { "title": "   " } })),
        ("amountMin", json!({ "amountMin": "-5" })),
        ("amountMin", json!({ "amountMin": "1e6" })),
        (
            "amountMax",
            json!({ "amountMin": "500", "amountMax": "100" }),
        ),
        ("currency", json!({ "currency": "XYZ" })),
        ("currency", json!({ "currency": null })),
        ("deadline", json!({ "deadline": in_days(-1) })),
    ];
    for (field, change) in cases {
        let mut input = opportunity_input("A valid title", &["TH"], &["0501"], "PUBLIC");
        for (key, value) in change.as_object().unwrap() {
            if key == "content" {
                for (content_key, content_value) in value.as_object().unwrap() {
                    input["content"][content_key] = content_value.clone();
                }
            } else {
                input[key] = value.clone();
            }
        }
        let answer = app
            .graphql(
                Some(&correspondent.token),
                "mutation($input: OpportunityInput!) { createOpportunity(input: $input) { id } }",
                json!({ "input": input }),
            )
            .await;
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{field}: {answer:#}"
        );
        assert_eq!(
            answer["errors"][0]["extensions"]["field"], field,
            "{answer:#}"
        );
        assert!(answer["data"].is_null(), "nothing is written");
    }
    let count = app
        .ok(
            Some(&correspondent.token),
            "{ opportunities(filter: { statuses: [DRAFT] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        count["opportunities"]["totalCount"], 0,
        "no refused input was stored"
    );
}

#[tokio::test]
async fn an_event_must_end_after_it_starts() {
    let app = spawn_app().await;
    let correspondent = app.correspondent(false).await;
    let starts = chrono::Utc::now() + chrono::Duration::days(10);
    let answer = app
        .graphql(
            Some(&correspondent.token),
            "mutation($input: EventInput!) { createEvent(input: $input) { id } }",
            json!({ "input": { "content": content("Expo", &["TH"], &["0506"], "PUBLIC"), "eventType": "EXPO",
                "startsAt": starts.to_rfc3339(), "endsAt": (starts - chrono::Duration::hours(1)).to_rfc3339(), "city": "Bangkok" } }),
        )
        .await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(answer["errors"][0]["extensions"]["field"], "endsAt");
}
