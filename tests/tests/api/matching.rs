//! Matching: investor profiles, interest in opportunities and its answers, the contacts an
//! acceptance releases, the inbox, recommendations, related items and the secretariat's view
//! of opportunities nobody asked about; and, as a table, who may do which of these.

use api::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::{
    create_opportunity, ids_of, in_days, opportunity_input, published_opportunity, transition,
};
use crate::harness::{TestApp, TestUser, UserSpec, spawn_app};

const SET_PROFILE: &str = "mutation($input: InvestorProfileInput!) { setInvestorProfile(input: $input) { id investorProfile { countries { code } sectors { code } ticketMin { amount currency } ticketMax { amount currency } stages opportunityTypes thesis updatedAt } } }";
const USER_PROFILE: &str =
    "query($id: ID!) { node(id: $id) { ... on User { investorProfile { thesis } } } }";
const EXPRESS: &str = "mutation($id: ID!, $message: String!) { expressInterest(opportunityId: $id, message: $message) { id status message opportunity { id } } }";
const RESPOND: &str = "mutation($id: ID!, $accept: Boolean!, $note: String) { respondToInterest(id: $id, accept: $accept, note: $note) { id status responseNote respondedAt } }";
const WITHDRAW: &str = "mutation($id: ID!) { withdrawInterest(id: $id) { id status } }";
const INTEREST_NODE: &str = "query($id: ID!) { node(id: $id) { id ... on Interest { status requesterContact opportunityContact } } }";
const OPPORTUNITY_INTERESTS: &str = "query($id: ID!) { node(id: $id) { ... on Opportunity { interests { totalCount edges { node { id status } } } interestSummary { total pending accepted declined withdrawn firstInterestAt firstResponseAt secondsToFirstResponse } } } }";
const SENT: &str = "query($statuses: [InterestStatus!], $first: Int, $after: String) { interestsSent(statuses: $statuses, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id status opportunity { id } requester { id } } } } }";
const RECEIVED: &str = "query($statuses: [InterestStatus!], $first: Int, $after: String) { interestsReceived(statuses: $statuses, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id status opportunity { id } requester { id } } } } }";
const INBOX: &str = "query($unreadOnly: Boolean) { notifications(unreadOnly: $unreadOnly) { totalCount unreadCount edges { node { id kind read message subject { id } } } } }";
const MARK_READ: &str = "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }";
const RECOMMENDATIONS: &str =
    "query($first: Int) { recommendations(first: $first) { score reasons content { id title } } }";
const RELATED: &str = "query($id: ID!, $first: Int) { related(id: $id, first: $first) { id } }";
const SET_RATE: &str = "mutation($currency: String!, $rate: String!) { setExchangeRate(currency: $currency, usdPerUnit: $rate) { currency usdPerUnit updatedAt } }";
const WITHOUT_INTEREST: &str = "query($days: Int) { opportunities(filter: { withoutInterestForDays: $days }) { totalCount edges { node { id } } } }";

const THESIS: &str = "cloud payments platform for small merchants";

/// A profile looking for growth-stage digital investments in Viet Nam of USD 0.5–1.5 m.
fn investor_profile(thesis: &str) -> Value {
    json!({
        "countries": ["VN"],
        "sectors": ["05"],
        "ticketMin": "500000",
        "ticketMax": "1500000",
        "currency": "USD",
        "stages": ["GROWTH"],
        "opportunityTypes": ["INVESTMENT"],
        "thesis": thesis,
    })
}

/// Saves `input` as `user`'s investor profile; the `User` the mutation answers.
async fn set_profile(app: &TestApp, user: &TestUser, input: Value) -> Value {
    app.ok(Some(&user.token), SET_PROFILE, json!({ "input": input }))
        .await["setInvestorProfile"]
        .clone()
}

/// A user of the member organisation `organisation` (created in good standing), so that
/// users of different organisations are strangers to each other.
async fn member_of(app: &TestApp, organisation: &str) -> TestUser {
    app.user(
        Role::Member,
        UserSpec {
            organisation: Some(organisation.into()),
            ..UserSpec::default()
        },
    )
    .await
}

/// The global id of `user`, as `node` takes it.
async fn global_id(app: &TestApp, user: &TestUser) -> String {
    app.ok(Some(&user.token), "{ me { id } }", json!({})).await["me"]["id"]
        .as_str()
        .expect("a user id")
        .to_owned()
}

/// An opportunity `author` (a trusted correspondent) writes and publishes themself, so no
/// review by the secretariat puts anything in the author's inbox.
async fn own_published(app: &TestApp, author: &TestUser, input: Value) -> String {
    published_opportunity(app, author, author, input).await
}

fn interest_in(opportunity: &str) -> Value {
    json!({ "id": opportunity, "message": "We would like to talk about this." })
}

/// `requester` expresses interest in `opportunity`; the new interest's id.
async fn express(app: &TestApp, requester: &TestUser, opportunity: &str) -> String {
    let interest = app
        .ok(Some(&requester.token), EXPRESS, interest_in(opportunity))
        .await["expressInterest"]
        .clone();
    assert_eq!(interest["status"], "PENDING");
    assert_eq!(interest["opportunity"]["id"], opportunity);
    interest["id"].as_str().expect("an interest id").to_owned()
}

/// `actor` accepts or declines `interest`; the interest as the mutation answers it.
async fn respond(app: &TestApp, actor: &TestUser, interest: &str, accept: bool) -> Value {
    app.ok(
        Some(&actor.token),
        RESPOND,
        json!({ "id": interest, "accept": accept, "note": "Thank you for writing." }),
    )
    .await["respondToInterest"]
        .clone()
}

/// `interest` as `viewer` gets it from `node`: null when they may not see it.
async fn interest_seen_by(app: &TestApp, viewer: &TestUser, interest: &str) -> Value {
    app.ok(
        Some(&viewer.token),
        INTEREST_NODE,
        json!({ "id": interest }),
    )
    .await["node"]
        .clone()
}

/// The interest connection `field` answers `user` for `document`.
async fn interests_page(
    app: &TestApp,
    user: &TestUser,
    document: &str,
    variables: Value,
    field: &str,
) -> Value {
    app.ok(Some(&user.token), document, variables).await[field].clone()
}

/// Moves a published opportunity's deadline into the past. An edit is how an item expires
/// without waiting for time (creation refuses a past deadline), and it goes through the one
/// write path, so the search index learns of it as the database does.
async fn expire(app: &TestApp, secretariat: &TestUser, id: &str, mut input: Value) {
    input["deadline"] = json!(in_days(-1));
    let edited = app
        .ok(
            Some(&secretariat.token),
            "mutation($id: ID!, $input: OpportunityInput!) { updateOpportunity(id: $id, input: $input) { status expired } }",
            json!({ "id": id, "input": input }),
        )
        .await;
    assert_eq!(
        edited["updateOpportunity"],
        json!({ "status": "PUBLISHED", "expired": true })
    );
}

fn sorted_codes(list: &Value) -> Vec<String> {
    let mut codes: Vec<String> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|entry| entry["code"].as_str().expect("a code").to_owned())
        .collect();
    codes.sort();
    codes
}

#[tokio::test]
async fn investor_profile_is_private_to_its_owner_and_the_secretariat() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let investor = app.user(Role::Investor, UserSpec::default()).await;
    let other_member = app.member().await;

    let mut input = investor_profile(THESIS);
    input["countries"] = json!(["VN", "TH"]);
    let saved = set_profile(&app, &investor, input).await;
    let investor_id = global_id(&app, &investor).await;
    assert_eq!(saved["id"], investor_id.as_str());
    let profile = &saved["investorProfile"];
    assert_eq!(sorted_codes(&profile["countries"]), vec!["TH", "VN"]);
    assert_eq!(sorted_codes(&profile["sectors"]), vec!["05"]);
    assert_eq!(
        profile["ticketMin"],
        json!({ "amount": "500000", "currency": "USD" })
    );
    assert_eq!(
        profile["ticketMax"],
        json!({ "amount": "1500000", "currency": "USD" })
    );
    assert_eq!(profile["stages"], json!(["GROWTH"]));
    assert_eq!(profile["opportunityTypes"], json!(["INVESTMENT"]));
    assert_eq!(profile["thesis"], THESIS);
    assert!(profile["updatedAt"].is_string());

    let own = app
        .ok(
            Some(&investor.token),
            "{ me { investorProfile { thesis } } }",
            json!({}),
        )
        .await;
    assert_eq!(own["me"]["investorProfile"]["thesis"], THESIS);

    for (who, token) in [
        ("another member", Some(other_member.token.as_str())),
        ("anonymous", None),
    ] {
        let seen = app
            .ok(token, USER_PROFILE, json!({ "id": investor_id }))
            .await;
        assert!(
            seen["node"].is_null() || seen["node"]["investorProfile"].is_null(),
            "{who} must not see the profile: {seen:#}"
        );
    }
    let seen_by_secretariat = app
        .ok(
            Some(&secretariat.token),
            USER_PROFILE,
            json!({ "id": investor_id }),
        )
        .await;
    assert_eq!(
        seen_by_secretariat["node"]["investorProfile"]["thesis"],
        THESIS
    );
    let without_profile = app
        .ok(
            Some(&other_member.token),
            "{ me { investorProfile { thesis } } }",
            json!({}),
        )
        .await;
    assert!(without_profile["me"]["investorProfile"].is_null());

    // Saving replaces the whole profile: what the new input leaves out is gone.
    let replaced = set_profile(
        &app,
        &investor,
        json!({ "countries": ["KH"], "sectors": ["0505"] }),
    )
    .await["investorProfile"]
        .clone();
    assert_eq!(sorted_codes(&replaced["countries"]), vec!["KH"]);
    assert!(replaced["thesis"].is_null(), "{replaced:#}");
    assert!(replaced["ticketMin"].is_null(), "{replaced:#}");
    assert_eq!(replaced["stages"], json!([]));

    let invalid = [
        ("an unknown country", json!({ "countries": ["XX"] })),
        (
            "a minimum ticket above the maximum",
            json!({ "ticketMin": "2000000", "ticketMax": "1000000" }),
        ),
        ("a ticket without a currency", json!({ "currency": null })),
    ];
    for (what, change) in invalid {
        let mut input = investor_profile(THESIS);
        for (field, value) in change.as_object().expect("an object") {
            input[field.as_str()] = value.clone();
        }
        assert_eq!(
            app.error_code(
                Some(&investor.token),
                SET_PROFILE,
                json!({ "input": input })
            )
            .await,
            "BAD_USER_INPUT",
            "{what}"
        );
    }
    let unchanged = app
        .ok(
            Some(&investor.token),
            "{ me { investorProfile { countries { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        sorted_codes(&unchanged["me"]["investorProfile"]["countries"]),
        vec!["KH"],
        "a refused profile changes nothing"
    );

    assert_eq!(
        app.error_code(
            None,
            SET_PROFILE,
            json!({ "input": investor_profile(THESIS) })
        )
        .await,
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn only_the_secretariat_sets_exchange_rates_and_anyone_reads_them() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let member = app.member().await;
    let rate_of = |rates: &Value, currency: &str| -> Vec<f64> {
        rates["exchangeRates"]
            .as_array()
            .expect("a list")
            .iter()
            .filter(|rate| rate["currency"] == currency)
            .map(|rate| {
                rate["usdPerUnit"]
                    .as_str()
                    .expect("a decimal string")
                    .parse::<f64>()
                    .expect("a number")
            })
            .collect()
    };

    let set = app
        .ok(
            Some(&secretariat.token),
            SET_RATE,
            json!({ "currency": "VND", "rate": "0.00004" }),
        )
        .await;
    assert_eq!(set["setExchangeRate"]["currency"], "VND");
    assert!(set["setExchangeRate"]["updatedAt"].is_string());
    let rates = app
        .ok(None, "{ exchangeRates { currency usdPerUnit } }", json!({}))
        .await;
    assert_eq!(rate_of(&rates, "VND"), vec![0.00004]);

    app.ok(
        Some(&secretariat.token),
        SET_RATE,
        json!({ "currency": "VND", "rate": "0.00005" }),
    )
    .await;
    let rates = app
        .ok(
            Some(&member.token),
            "{ exchangeRates { currency usdPerUnit } }",
            json!({}),
        )
        .await;
    assert_eq!(
        rate_of(&rates, "VND"),
        vec![0.00005],
        "a new rate replaces the old one"
    );

    let attempt = json!({ "currency": "THB", "rate": "0.028" });
    assert_eq!(
        app.error_code(Some(&member.token), SET_RATE, attempt.clone())
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        app.error_code(None, SET_RATE, attempt).await,
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn only_members_and_investors_may_express_interest_and_only_once_while_open() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let member = member_of(&app, "Saigon Merchants Co").await;
    let investor = app.user(Role::Investor, UserSpec::default()).await;
    let plain_user = app.user(Role::User, UserSpec::default()).await;
    let public = own_published(
        &app,
        &author,
        opportunity_input("Open banking gateway", &["VN"], &["0505"], "PUBLIC"),
    )
    .await;
    let members_only = own_published(
        &app,
        &author,
        opportunity_input("Member-only payments tender", &["VN"], &["0505"], "MEMBERS"),
    )
    .await;

    let first = express(&app, &member, &public).await;
    assert_eq!(
        app.error_code(Some(&member.token), EXPRESS, interest_in(&public))
            .await,
        "CONFLICT",
        "one open interest per requester and opportunity"
    );
    let refused = [
        ("anonymous", None, "UNAUTHENTICATED"),
        (
            "a plain user without an investor profile",
            Some(plain_user.token.as_str()),
            "FORBIDDEN",
        ),
        ("the author", Some(author.token.as_str()), "FORBIDDEN"),
        (
            "the secretariat",
            Some(secretariat.token.as_str()),
            "FORBIDDEN",
        ),
    ];
    for (who, token, code) in refused {
        assert_eq!(
            app.error_code(token, EXPRESS, interest_in(&public)).await,
            code,
            "{who}"
        );
    }

    express(&app, &investor, &public).await;
    assert_eq!(
        app.error_code(Some(&investor.token), EXPRESS, interest_in(&members_only))
            .await,
        "NOT_FOUND",
        "an investor without a member organisation cannot see member-only items"
    );

    for message in ["   ".to_owned(), "x".repeat(2001)] {
        assert_eq!(
            app.error_code(
                Some(&member.token),
                EXPRESS,
                json!({ "id": members_only, "message": message })
            )
            .await,
            "BAD_USER_INPUT",
            "a blank or overlong message ({} characters)",
            message.len()
        );
    }

    // An investor profile is enough, whatever the role.
    set_profile(&app, &plain_user, investor_profile(THESIS)).await;
    express(&app, &plain_user, &public).await;

    let withdrawn = app
        .ok(Some(&member.token), WITHDRAW, json!({ "id": first }))
        .await;
    assert_eq!(withdrawn["withdrawInterest"]["status"], "WITHDRAWN");
    let again = express(&app, &member, &public).await;
    assert_ne!(
        again, first,
        "a new interest, not the withdrawn one reopened"
    );
}

#[tokio::test]
async fn expired_and_archived_opportunities_take_no_new_interest() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let early = member_of(&app, "Early Bird Capital").await;
    let late = member_of(&app, "Late Comer Partners").await;
    let input = opportunity_input("Payments switch upgrade", &["VN"], &["0505"], "PUBLIC");
    let expiring = own_published(&app, &author, input.clone()).await;
    express(&app, &early, &expiring).await;
    expire(&app, &secretariat, &expiring, input).await;
    assert_eq!(
        app.error_code(Some(&late.token), EXPRESS, interest_in(&expiring))
            .await,
        "CONFLICT",
        "an expired opportunity is past taking interest"
    );

    let archived = own_published(
        &app,
        &author,
        opportunity_input("Archived wallet pilot", &["VN"], &["0505"], "PUBLIC"),
    )
    .await;
    assert_eq!(
        transition(&app, &author, "archiveContent", &archived).await,
        "ARCHIVED"
    );
    assert_eq!(
        app.error_code(Some(&late.token), EXPRESS, interest_in(&archived))
            .await,
        "NOT_FOUND"
    );

    let draft = create_opportunity(
        &app,
        &author,
        opportunity_input("Unpublished lending idea", &["VN"], &["0505"], "PUBLIC"),
    )
    .await["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_eq!(
        app.error_code(Some(&late.token), EXPRESS, interest_in(&draft))
            .await,
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn only_the_publisher_side_may_respond_and_only_the_requester_may_withdraw() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let requester = member_of(&app, "Mekong Retail Group").await;
    let unrelated = member_of(&app, "Unrelated Holdings").await;
    let investor = app.user(Role::Investor, UserSpec::default()).await;
    let opportunity = own_published(
        &app,
        &author,
        opportunity_input(
            "QR payments for street vendors",
            &["VN"],
            &["0505"],
            "PUBLIC",
        ),
    )
    .await;
    let interest = express(&app, &requester, &opportunity).await;
    let acceptance = json!({ "id": interest, "accept": true, "note": "Let us meet in Hanoi" });

    assert_eq!(
        app.error_code(Some(&requester.token), RESPOND, acceptance.clone())
            .await,
        "FORBIDDEN",
        "the requester does not answer their own interest"
    );
    assert_eq!(
        app.error_code(Some(&unrelated.token), RESPOND, acceptance.clone())
            .await,
        "NOT_FOUND"
    );
    assert_eq!(
        app.error_code(Some(&unrelated.token), WITHDRAW, json!({ "id": interest }))
            .await,
        "NOT_FOUND"
    );

    let accepted = app
        .ok(Some(&author.token), RESPOND, acceptance.clone())
        .await["respondToInterest"]
        .clone();
    assert_eq!(accepted["status"], "ACCEPTED");
    assert_eq!(accepted["responseNote"], "Let us meet in Hanoi");
    assert!(accepted["respondedAt"].is_string());
    assert_eq!(
        app.error_code(
            Some(&author.token),
            RESPOND,
            json!({ "id": interest, "accept": false })
        )
        .await,
        "CONFLICT",
        "an answered interest is answered once"
    );
    assert_eq!(
        app.error_code(Some(&author.token), WITHDRAW, json!({ "id": interest }))
            .await,
        "FORBIDDEN"
    );

    let second = express(&app, &investor, &opportunity).await;
    assert_eq!(
        app.error_code(Some(&secretariat.token), WITHDRAW, json!({ "id": second }))
            .await,
        "FORBIDDEN"
    );
    let declined = respond(&app, &secretariat, &second, false).await;
    assert_eq!(declined["status"], "DECLINED");
    assert_eq!(
        app.error_code(Some(&investor.token), WITHDRAW, json!({ "id": second }))
            .await,
        "CONFLICT",
        "a declined interest is closed"
    );

    let withdrawn = app
        .ok(Some(&requester.token), WITHDRAW, json!({ "id": interest }))
        .await;
    assert_eq!(
        withdrawn["withdrawInterest"]["status"], "WITHDRAWN",
        "an accepted interest may still be withdrawn"
    );
    assert_eq!(
        app.error_code(Some(&requester.token), WITHDRAW, json!({ "id": interest }))
            .await,
        "CONFLICT"
    );

    let log = app
        .ok(
            Some(&secretariat.token),
            "{ auditLog(action: \"INTEREST\") { totalCount edges { node { action } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        log["auditLog"]["totalCount"], 5,
        "two expressed, one accepted, one declined, one withdrawn: {log:#}"
    );
    assert!(
        log["auditLog"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .all(|edge| edge["node"]["action"] == "INTEREST")
    );
}

#[tokio::test]
async fn contacts_are_released_only_on_acceptance_on_both_sides() {
    const CONTACT: &str = "Ms. Lan, lan@example.vn";
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let requester = member_of(&app, "Hanoi Payments JSC").await;
    let declined_requester = app.user(Role::Investor, UserSpec::default()).await;
    let mut input = opportunity_input(
        "Merchant acquiring partnership",
        &["VN"],
        &["0505"],
        "PUBLIC",
    );
    input["contact"] = json!(CONTACT);
    let opportunity = own_published(&app, &author, input).await;

    let interest = express(&app, &requester, &opportunity).await;
    assert!(
        interest_seen_by(&app, &author, &interest).await["requesterContact"].is_null(),
        "not before acceptance"
    );
    assert!(interest_seen_by(&app, &secretariat, &interest).await["requesterContact"].is_null());
    assert!(interest_seen_by(&app, &requester, &interest).await["opportunityContact"].is_null());

    respond(&app, &author, &interest, true).await;
    for viewer in [&author, &secretariat] {
        let seen = interest_seen_by(&app, viewer, &interest).await;
        let released = seen["requesterContact"]
            .as_str()
            .expect("the requester's contact");
        assert!(released.contains(&requester.email), "{released}");
        assert!(released.contains("Test member"), "{released}");
    }
    assert_eq!(
        interest_seen_by(&app, &requester, &interest).await["opportunityContact"],
        CONTACT
    );

    let refused = express(&app, &declined_requester, &opportunity).await;
    respond(&app, &author, &refused, false).await;
    assert!(interest_seen_by(&app, &author, &refused).await["requesterContact"].is_null());
    assert!(
        interest_seen_by(&app, &declined_requester, &refused).await["opportunityContact"].is_null()
    );
}

#[tokio::test]
async fn interests_sent_and_received_are_connections_filtered_by_status() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let pending_requester = member_of(&app, "Pending Partners").await;
    let accepted_requester = member_of(&app, "Accepted Ventures").await;
    let bystander = member_of(&app, "Bystander Trading").await;
    let opportunity = own_published(
        &app,
        &author,
        opportunity_input("Cross-border remittance app", &["VN"], &["0505"], "PUBLIC"),
    )
    .await;
    let pending = express(&app, &pending_requester, &opportunity).await;
    let accepted = express(&app, &accepted_requester, &opportunity).await;
    respond(&app, &author, &accepted, true).await;

    let pending_received = interests_page(
        &app,
        &author,
        RECEIVED,
        json!({ "statuses": ["PENDING"] }),
        "interestsReceived",
    )
    .await;
    assert_eq!(pending_received["totalCount"], 1);
    assert_eq!(ids_of(&pending_received), vec![pending.clone()]);
    let requester_id = global_id(&app, &pending_requester).await;
    assert_eq!(
        pending_received["edges"][0]["node"]["requester"]["id"],
        requester_id.as_str()
    );
    assert_eq!(
        pending_received["edges"][0]["node"]["opportunity"]["id"],
        opportunity.as_str()
    );

    // Page by page, the author receives both.
    let first_page = interests_page(
        &app,
        &author,
        RECEIVED,
        json!({ "first": 1 }),
        "interestsReceived",
    )
    .await;
    assert_eq!(first_page["totalCount"], 2);
    assert_eq!(first_page["pageInfo"]["hasNextPage"], true);
    let cursor = first_page["pageInfo"]["endCursor"].clone();
    let second_page = interests_page(
        &app,
        &author,
        RECEIVED,
        json!({ "first": 1, "after": cursor }),
        "interestsReceived",
    )
    .await;
    assert_eq!(second_page["pageInfo"]["hasNextPage"], false);
    let mut received = [ids_of(&first_page), ids_of(&second_page)].concat();
    received.sort();
    let mut both = vec![pending.clone(), accepted.clone()];
    both.sort();
    assert_eq!(received, both);

    let all_for_secretariat =
        interests_page(&app, &secretariat, RECEIVED, json!({}), "interestsReceived").await;
    assert_eq!(all_for_secretariat["totalCount"], 2);
    let received_by_requester = interests_page(
        &app,
        &pending_requester,
        RECEIVED,
        json!({}),
        "interestsReceived",
    )
    .await;
    assert_eq!(
        received_by_requester["totalCount"], 0,
        "a requester wrote no opportunity"
    );

    for (requester, own) in [
        (&pending_requester, &pending),
        (&accepted_requester, &accepted),
    ] {
        let sent = interests_page(&app, requester, SENT, json!({}), "interestsSent").await;
        assert_eq!(sent["totalCount"], 1);
        assert_eq!(ids_of(&sent), vec![own.clone()]);
    }
    let accepted_sent = interests_page(
        &app,
        &accepted_requester,
        SENT,
        json!({ "statuses": ["ACCEPTED"] }),
        "interestsSent",
    )
    .await;
    assert_eq!(ids_of(&accepted_sent), vec![accepted.clone()]);
    let none_accepted = interests_page(
        &app,
        &pending_requester,
        SENT,
        json!({ "statuses": ["ACCEPTED"] }),
        "interestsSent",
    )
    .await;
    assert_eq!(none_accepted["totalCount"], 0);
    assert!(ids_of(&none_accepted).is_empty());
    let sent_by_author = interests_page(&app, &author, SENT, json!({}), "interestsSent").await;
    assert_eq!(sent_by_author["totalCount"], 0);

    let by_author = app
        .ok(
            Some(&author.token),
            OPPORTUNITY_INTERESTS,
            json!({ "id": opportunity }),
        )
        .await["node"]
        .clone();
    assert_eq!(by_author["interests"]["totalCount"], 2);
    let summary = &by_author["interestSummary"];
    assert_eq!(summary["total"], 2);
    assert_eq!(summary["pending"], 1);
    assert_eq!(summary["accepted"], 1);
    assert_eq!(summary["declined"], 0);
    assert_eq!(summary["withdrawn"], 0);
    assert!(summary["firstInterestAt"].is_string());
    assert!(summary["firstResponseAt"].is_string());
    assert!(
        summary["secondsToFirstResponse"]
            .as_i64()
            .is_some_and(|seconds| seconds >= 0),
        "{summary:#}"
    );

    let by_bystander = app
        .ok(
            Some(&bystander.token),
            OPPORTUNITY_INTERESTS,
            json!({ "id": opportunity }),
        )
        .await["node"]
        .clone();
    assert!(by_bystander.is_object(), "the opportunity itself is public");
    assert!(by_bystander["interests"].is_null());
    assert!(by_bystander["interestSummary"].is_null());
    let requester_view = app
        .ok(
            Some(&pending_requester.token),
            OPPORTUNITY_INTERESTS,
            json!({ "id": opportunity }),
        )
        .await["node"]
        .clone();
    assert!(
        requester_view["interests"].is_null(),
        "a requester does not see who else asked"
    );

    assert!(interest_seen_by(&app, &bystander, &pending).await.is_null());
    assert!(
        interest_seen_by(&app, &accepted_requester, &pending)
            .await
            .is_null(),
        "another requester's interest"
    );
    assert_eq!(
        interest_seen_by(&app, &pending_requester, &pending).await["id"],
        pending.as_str()
    );
    assert_eq!(
        interest_seen_by(&app, &author, &pending).await["status"],
        "PENDING"
    );
}

/// `user`'s inbox: the whole notification connection.
async fn inbox(app: &TestApp, user: &TestUser, unread_only: bool) -> Value {
    app.ok(
        Some(&user.token),
        INBOX,
        json!({ "unreadOnly": unread_only }),
    )
    .await["notifications"]
        .clone()
}

fn notifications_of(inbox: &Value) -> Vec<Value> {
    inbox["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

fn of_kind(inbox: &Value, kind: &str) -> Vec<Value> {
    notifications_of(inbox)
        .into_iter()
        .filter(|notification| notification["kind"] == kind)
        .collect()
}

async fn mark_read(app: &TestApp, user: &TestUser, ids: Value) -> Value {
    app.ok(Some(&user.token), MARK_READ, json!({ "ids": ids }))
        .await["markNotificationsRead"]
        .clone()
}

#[tokio::test]
async fn the_inbox_records_interests_answers_reviews_and_membership_decisions() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let first_requester = member_of(&app, "Delta Importers").await;
    let second_requester = app.user(Role::Investor, UserSpec::default()).await;
    let opportunity = own_published(
        &app,
        &author,
        opportunity_input(
            "Invoice financing marketplace",
            &["VN"],
            &["0505"],
            "PUBLIC",
        ),
    )
    .await;

    let first = express(&app, &first_requester, &opportunity).await;
    let received = inbox(&app, &author, false).await;
    assert_eq!(received["totalCount"], 1, "{received:#}");
    assert_eq!(received["unreadCount"], 1);
    let notifications = notifications_of(&received);
    let notification = &notifications[0];
    assert_eq!(notification["kind"], "INTEREST_RECEIVED");
    assert_eq!(notification["subject"]["id"], first.as_str());
    assert_eq!(notification["read"], false);
    assert!(
        notification["message"]
            .as_str()
            .is_some_and(|message| !message.trim().is_empty())
    );
    let first_notification = notification["id"].as_str().expect("an id").to_owned();

    respond(&app, &author, &first, true).await;
    let answered = inbox(&app, &first_requester, false).await;
    assert_eq!(
        of_kind(&answered, "INTEREST_ANSWERED").len(),
        1,
        "{answered:#}"
    );
    assert_eq!(answered["unreadCount"], 1);

    let second = express(&app, &second_requester, &opportunity).await;
    let two = inbox(&app, &author, false).await;
    assert_eq!(two["totalCount"], 2);
    assert_eq!(two["unreadCount"], 2);
    let second_notification = notifications_of(&two)
        .into_iter()
        .find(|notification| notification["subject"]["id"] == second.as_str())
        .expect("a notification about the second interest")["id"]
        .as_str()
        .expect("an id")
        .to_owned();

    assert_eq!(
        mark_read(&app, &author, json!([first_notification])).await,
        1
    );
    assert_eq!(
        mark_read(&app, &author, json!([first_notification])).await,
        0,
        "already read"
    );
    let after_one = inbox(&app, &author, false).await;
    assert_eq!(after_one["totalCount"], 2);
    assert_eq!(after_one["unreadCount"], 1);
    let unread = inbox(&app, &author, true).await;
    let unread_subjects: Vec<Value> = notifications_of(&unread)
        .iter()
        .map(|notification| notification["subject"]["id"].clone())
        .collect();
    assert_eq!(unread_subjects, vec![json!(second)]);

    assert_eq!(
        mark_read(&app, &first_requester, json!([second_notification])).await,
        0,
        "another user's notification is not theirs to mark"
    );
    assert_eq!(inbox(&app, &author, false).await["unreadCount"], 1);
    assert_eq!(mark_read(&app, &author, Value::Null).await, 1);
    let all_read = inbox(&app, &author, false).await;
    assert_eq!(all_read["unreadCount"], 0);
    assert!(
        notifications_of(&all_read)
            .iter()
            .all(|notification| notification["read"] == true)
    );
    assert!(notifications_of(&inbox(&app, &author, true).await).is_empty());

    app.ok(
        Some(&second_requester.token),
        WITHDRAW,
        json!({ "id": second }),
    )
    .await;
    let withdrawn = inbox(&app, &author, true).await;
    assert_eq!(
        of_kind(&withdrawn, "INTEREST_WITHDRAWN").len(),
        1,
        "{withdrawn:#}"
    );

    // The secretariat's review reaches an author who had to submit.
    let reviewed_author = app.correspondent(false).await;
    let mut reviewed = Vec::new();
    for title in ["Approved e-wallet study", "Rejected e-wallet study"] {
        let id = create_opportunity(
            &app,
            &reviewed_author,
            opportunity_input(title, &["TH"], &["0505"], "PUBLIC"),
        )
        .await["id"]
            .as_str()
            .expect("an id")
            .to_owned();
        transition(&app, &reviewed_author, "submitContent", &id).await;
        reviewed.push(id);
    }
    transition(&app, &secretariat, "approveContent", &reviewed[0]).await;
    app.ok(
        Some(&secretariat.token),
        "mutation($id: ID!) { rejectContent(id: $id, reason: \"name the source\") { status } }",
        json!({ "id": reviewed[1] }),
    )
    .await;
    let reviews = inbox(&app, &reviewed_author, false).await;
    let mut subjects: Vec<String> = of_kind(&reviews, "CONTENT_REVIEWED")
        .iter()
        .map(|notification| {
            notification["subject"]["id"]
                .as_str()
                .expect("the reviewed item")
                .to_owned()
        })
        .collect();
    subjects.sort();
    let mut expected_subjects = reviewed.clone();
    expected_subjects.sort();
    assert_eq!(subjects, expected_subjects, "{reviews:#}");

    // A membership decision reaches the organisation's users.
    let applicant = app.user(Role::User, UserSpec::default()).await;
    let organisation = app
        .ok(
            Some(&applicant.token),
            "mutation($input: MembershipApplicationInput!) { applyForMembership(input: $input) { id } }",
            json!({ "input": { "name": "Mekong Freight Tech", "country": "VN", "organisationType": "enterprise",
                "description": "Logistics software for the Mekong.", "businessLicenceNumber": "0312345678",
                "report": "Ten years of digital freight platforms in Viet Nam and Laos." } }),
        )
        .await["applyForMembership"]["id"]
        .clone();
    app.ok(
        Some(&secretariat.token),
        "mutation($id: ID!) { reviewMembership(organisationId: $id, recommend: true) { id } }",
        json!({ "id": organisation }),
    )
    .await;
    app.ok(
        Some(&secretariat.token),
        "mutation($id: ID!) { decideMembership(organisationId: $id, approve: true, certificateNumber: \"CADEA-2026-0077\") { membershipStatus } }",
        json!({ "id": organisation }),
    )
    .await;
    let decided = inbox(&app, &applicant, false).await;
    assert_eq!(
        of_kind(&decided, "MEMBERSHIP_DECIDED").len(),
        1,
        "{decided:#}"
    );
    app.ok(
        Some(&secretariat.token),
        "mutation($id: ID!) { expelMember(organisationId: $id, reason: \"unpaid dues\") { id } }",
        json!({ "id": organisation }),
    )
    .await;
    let expelled = inbox(&app, &applicant, false).await;
    assert_eq!(
        of_kind(&expelled, "MEMBERSHIP_DECIDED").len(),
        2,
        "{expelled:#}"
    );

    assert_eq!(
        app.error_code(None, INBOX, json!({})).await,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        app.error_code(None, MARK_READ, json!({ "ids": null }))
            .await,
        "UNAUTHENTICATED"
    );
}

/// An opportunity like the investor's thesis; the other fields come from the fixture.
fn payments_opportunity(
    title: &str,
    country: &str,
    sector: &str,
    visibility: &str,
    (amount_min, amount_max, currency): (&str, &str, &str),
    stage: &str,
) -> Value {
    let mut input = opportunity_input(title, &[country], &[sector], visibility);
    input["amountMin"] = json!(amount_min);
    input["amountMax"] = json!(amount_max);
    input["currency"] = json!(currency);
    input["stage"] = json!(stage);
    input
}

async fn recommendations(app: &TestApp, user: &TestUser) -> Vec<Value> {
    app.ok(Some(&user.token), RECOMMENDATIONS, json!({ "first": 20 }))
        .await["recommendations"]
        .as_array()
        .expect("a list")
        .clone()
}

fn recommended_ids(recommendations: &[Value]) -> Vec<String> {
    recommendations
        .iter()
        .map(|recommendation| {
            recommendation["content"]["id"]
                .as_str()
                .expect("an id")
                .to_owned()
        })
        .collect()
}

fn reasons_of(recommendation: &Value) -> Vec<String> {
    recommendation["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|reason| reason.as_str().expect("a reason").to_owned())
        .collect()
}

fn best_first(recommendations: &[Value]) -> bool {
    let scores: Vec<f64> = recommendations
        .iter()
        .map(|recommendation| recommendation["score"].as_f64().expect("a score"))
        .collect();
    scores.windows(2).all(|pair| pair[0] >= pair[1])
}

#[tokio::test]
async fn recommendations_rank_the_best_fit_first_with_reasons() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    app.ok(
        Some(&secretariat.token),
        SET_RATE,
        json!({ "currency": "VND", "rate": "0.00004" }),
    )
    .await;
    let member_investor = app
        .user(
            Role::Investor,
            UserSpec {
                organisation: Some("Lotus Ventures".into()),
                ..UserSpec::default()
            },
        )
        .await;
    let outside_investor = app.user(Role::Investor, UserSpec::default()).await;
    for investor in [&member_investor, &outside_investor] {
        set_profile(&app, investor, investor_profile(THESIS)).await;
    }
    let fitting_ticket = ("500000", "1500000", "USD");

    // The distractors first, so the best fit is also the newest.
    let other_sector = own_published(
        &app,
        &author,
        payments_opportunity(
            "Accounting software for rice cooperatives",
            "VN",
            "0301",
            "PUBLIC",
            fitting_ticket,
            "GROWTH",
        ),
    )
    .await;
    let other_country = own_published(
        &app,
        &author,
        payments_opportunity(
            "Digital lending for Thai farmers",
            "TH",
            "0505",
            "PUBLIC",
            fitting_ticket,
            "GROWTH",
        ),
    )
    .await;
    let ticket_too_large = own_published(
        &app,
        &author,
        payments_opportunity(
            "Regional card network acquisition",
            "VN",
            "0505",
            "PUBLIC",
            ("50000000", "60000000", "USD"),
            "GROWTH",
        ),
    )
    .await;
    let expired_input = payments_opportunity(
        "Cloud payments platform for small merchants, last round",
        "VN",
        "0505",
        "PUBLIC",
        fitting_ticket,
        "GROWTH",
    );
    let expired = own_published(&app, &author, expired_input.clone()).await;
    expire(&app, &secretariat, &expired, expired_input).await;
    // Fits on every criterion, a little less closely to the thesis's words, and only members
    // may see it.
    let members_only = own_published(
        &app,
        &author,
        payments_opportunity(
            "Payments platform for merchants across the Mekong",
            "VN",
            "0505",
            "MEMBERS",
            fitting_ticket,
            "GROWTH",
        ),
    )
    .await;
    // USD 0.8–1.2 m at the rate above.
    let mut expected_input = payments_opportunity(
        "Cloud payments platform for small merchants",
        "VN",
        "0505",
        "PUBLIC",
        ("20000000000", "30000000000", "VND"),
        "GROWTH",
    );
    expected_input["content"]["summary"] = json!(
        "A cloud payments platform for small merchants in Ho Chi Minh City seeks growth capital."
    );
    let expected = own_published(&app, &author, expected_input).await;

    for (who, investor) in [
        ("the member investor", &member_investor),
        (
            "the investor outside any member organisation",
            &outside_investor,
        ),
    ] {
        let recommended = recommendations(&app, investor).await;
        let ids = recommended_ids(&recommended);
        assert_eq!(
            ids.first(),
            Some(&expected),
            "{who}: the best fit first: {recommended:#?}"
        );
        assert!(best_first(&recommended), "{who}: {recommended:#?}");
        let reasons = reasons_of(&recommended[0]);
        assert!(
            reasons.iter().any(|reason| reason.contains("0505")),
            "{who}: {reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|reason| reason.to_lowercase().contains("ticket")),
            "{who}: the VND range overlaps at the rate set: {reasons:?}"
        );
        assert!(!ids.contains(&expired), "{who}: never an expired item");
        if let Some(position) = ids.iter().position(|id| *id == ticket_too_large) {
            let reasons = reasons_of(&recommended[position]);
            assert!(
                !reasons
                    .iter()
                    .any(|reason| reason.to_lowercase().contains("ticket")),
                "{who}: USD 50–60 m is no fit for a USD 0.5–1.5 m ticket: {reasons:?}"
            );
        }
        for distractor in [&other_sector, &other_country, &ticket_too_large] {
            if let Some(position) = ids.iter().position(|id| id == distractor) {
                assert!(position > 0, "{who}");
            }
        }
    }
    assert!(
        recommended_ids(&recommendations(&app, &member_investor).await).contains(&members_only),
        "a member is recommended member-only items"
    );
    assert!(
        !recommended_ids(&recommendations(&app, &outside_investor).await).contains(&members_only),
        "never an item the caller may not see"
    );

    // Once asked about, an item is no longer recommended.
    express(&app, &outside_investor, &expected).await;
    assert!(!recommended_ids(&recommendations(&app, &outside_investor).await).contains(&expected));

    assert_eq!(
        app.error_code(None, RECOMMENDATIONS, json!({})).await,
        "UNAUTHENTICATED"
    );
    let without_profile = app.user(Role::User, UserSpec::default()).await;
    assert!(recommendations(&app, &without_profile).await.is_empty());
    assert_eq!(
        app.error_code(
            Some(&member_investor.token),
            RECOMMENDATIONS,
            json!({ "first": 51 })
        )
        .await,
        "BAD_USER_INPUT"
    );
}

/// The ids `related` answers for `id`.
async fn related_ids(
    app: &TestApp,
    token: Option<&str>,
    id: &str,
    first: Option<i64>,
) -> Vec<String> {
    let answer = app
        .ok(token, RELATED, json!({ "id": id, "first": first }))
        .await;
    answer["related"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// Whether `earlier` is in `ids` ahead of `later` (or `later` is not there at all).
fn comes_before(ids: &[String], earlier: &str, later: &str) -> bool {
    let position = |wanted: &str| ids.iter().position(|id| id == wanted);
    match (position(earlier), position(later)) {
        (Some(earlier_position), Some(later_position)) => earlier_position < later_position,
        (Some(_), None) => true,
        _ => false,
    }
}

#[tokio::test]
async fn related_items_share_words_and_places_and_respect_visibility() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let member = app.member().await;
    let invoicing = |title: &str, visibility: &str| {
        let mut input = opportunity_input(title, &["VN", "LA"], &["0506"], visibility);
        input["content"]["summary"] =
            json!("Cross-border e-invoicing between Viet Nam and Laos for exporters.");
        input
    };
    let public = own_published(
        &app,
        &author,
        invoicing("Cross-border e-invoicing hub", "PUBLIC"),
    )
    .await;
    let public_twin = own_published(
        &app,
        &author,
        invoicing("Cross-border e-invoicing standards pilot", "PUBLIC"),
    )
    .await;
    let members_twin = own_published(
        &app,
        &author,
        invoicing("Cross-border e-invoicing clearing for members", "MEMBERS"),
    )
    .await;
    let mut unrelated_input =
        opportunity_input("Durian cold chain sensors", &["TH"], &["0501"], "PUBLIC");
    unrelated_input["content"]["tags"] = json!(["agriculture"]);
    let unrelated = own_published(&app, &author, unrelated_input).await;

    let for_anonymous = related_ids(&app, None, &public, None).await;
    assert!(for_anonymous.contains(&public_twin), "{for_anonymous:?}");
    assert!(!for_anonymous.contains(&public), "never itself");
    assert!(
        !for_anonymous.contains(&members_twin),
        "never what the caller may not see"
    );
    assert!(
        comes_before(&for_anonymous, &public_twin, &unrelated),
        "{for_anonymous:?}"
    );
    assert_eq!(
        related_ids(&app, None, &public, Some(1)).await,
        vec![public_twin.clone()]
    );

    let member_token = Some(member.token.as_str());
    let for_member = related_ids(&app, member_token, &public, None).await;
    assert!(for_member.contains(&public_twin), "{for_member:?}");
    assert!(for_member.contains(&members_twin), "{for_member:?}");
    assert!(!for_member.contains(&public));
    assert!(
        comes_before(&for_member, &members_twin, &unrelated),
        "{for_member:?}"
    );
    let from_members_item = related_ids(&app, member_token, &members_twin, None).await;
    assert!(from_members_item.contains(&public) && from_members_item.contains(&public_twin));
    assert!(!from_members_item.contains(&members_twin));

    assert_eq!(
        app.error_code(None, RELATED, json!({ "id": members_twin }))
            .await,
        "NOT_FOUND"
    );
    assert_eq!(
        app.error_code(None, RELATED, json!({ "id": public, "first": 51 }))
            .await,
        "BAD_USER_INPUT"
    );
}

#[tokio::test]
async fn the_secretariat_sees_opportunities_without_interest() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let member = member_of(&app, "Curious Buyers").await;
    let quiet = own_published(
        &app,
        &author,
        opportunity_input("Nobody asked about this", &["KH"], &["0504"], "PUBLIC"),
    )
    .await;
    let asked = own_published(
        &app,
        &author,
        opportunity_input("Somebody asked about this", &["KH"], &["0504"], "PUBLIC"),
    )
    .await;
    let asked_then_withdrawn = own_published(
        &app,
        &author,
        opportunity_input("Somebody asked and withdrew", &["KH"], &["0504"], "PUBLIC"),
    )
    .await;
    create_opportunity(
        &app,
        &author,
        opportunity_input("A draft nobody can ask about", &["KH"], &["0504"], "PUBLIC"),
    )
    .await;
    express(&app, &member, &asked).await;
    let withdrawn = express(&app, &member, &asked_then_withdrawn).await;
    app.ok(Some(&member.token), WITHDRAW, json!({ "id": withdrawn }))
        .await;

    let without_interest = app
        .ok(
            Some(&secretariat.token),
            WITHOUT_INTEREST,
            json!({ "days": 0 }),
        )
        .await["opportunities"]
        .clone();
    assert_eq!(ids_of(&without_interest), vec![quiet]);
    assert_eq!(without_interest["totalCount"], 1);
    let older_than_a_day = app
        .ok(
            Some(&secretariat.token),
            WITHOUT_INTEREST,
            json!({ "days": 1 }),
        )
        .await["opportunities"]
        .clone();
    assert_eq!(
        older_than_a_day["totalCount"], 0,
        "everything here was published today"
    );

    for (who, token) in [("a member", &member.token), ("the author", &author.token)] {
        assert_eq!(
            app.error_code(Some(token), WITHOUT_INTEREST, json!({ "days": 0 }))
                .await,
            "FORBIDDEN",
            "{who}"
        );
    }
}

#[tokio::test]
async fn an_expelled_requester_loses_their_interests_in_member_only_opportunities() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let requester = member_of(&app, "Soon Expelled Capital").await;
    let members_only = own_published(
        &app,
        &author,
        opportunity_input(
            "Members-only data centre stake",
            &["MY"],
            &["0502"],
            "MEMBERS",
        ),
    )
    .await;
    let public = own_published(
        &app,
        &author,
        opportunity_input(
            "Public logistics software tender",
            &["MY"],
            &["0506"],
            "PUBLIC",
        ),
    )
    .await;
    let members_interest = express(&app, &requester, &members_only).await;
    let public_interest = express(&app, &requester, &public).await;
    assert!(
        interest_seen_by(&app, &requester, &members_interest)
            .await
            .is_object()
    );

    crate::fixtures::expel_organisation_of(&app, &secretariat, &requester).await;

    assert!(
        interest_seen_by(&app, &requester, &members_interest)
            .await
            .is_null(),
        "the member-only opportunity must not show through the interest"
    );
    assert!(
        interest_seen_by(&app, &requester, &public_interest)
            .await
            .is_object()
    );
    let sent = interests_page(&app, &requester, SENT, json!({}), "interestsSent").await;
    assert_eq!(sent["totalCount"], 1);
    assert_eq!(ids_of(&sent), vec![public_interest.clone()]);
    assert_eq!(
        app.error_code(
            Some(&requester.token),
            WITHDRAW,
            json!({ "id": members_interest })
        )
        .await,
        "NOT_FOUND"
    );
    // The publisher side still sees it, and may decline it.
    assert!(
        interest_seen_by(&app, &author, &members_interest)
            .await
            .is_object()
    );
    assert_eq!(
        respond(&app, &author, &members_interest, false).await["status"],
        "DECLINED"
    );
}

/// The callers of the interest matrix, in the order of a row's columns.
const INTEREST_CALLERS: [&str; 7] = [
    "anonymous",
    "user",
    "investor without a member organisation",
    "member (the requester)",
    "correspondent who is not the author",
    "author",
    "secretariat",
];

#[derive(Debug, Clone, Copy)]
enum Action {
    /// On a PUBLIC opportunity.
    ExpressInterest,
    /// `node` on the member's interest.
    SeeInterestByNode,
    /// Accept a fresh pending interest of the member's.
    Respond,
    /// Withdraw a fresh pending interest of the member's.
    Withdraw,
    SeeOpportunityInterests,
    SeeInterestSummary,
    ReadOwnNotifications,
    AskForRecommendations,
    AskForRelated,
    /// On a PUBLIC event with seats.
    RegisterForPublicEvent,
    /// On a MEMBERS event.
    RegisterForMembersEvent,
    /// An event's attendee list (the organiser is the author).
    SeeAttendees,
    SaveSearch,
    /// A PUBLIC event's `.ics` (HTTP status as the outcome).
    DownloadPublicCalendar,
    /// A PUBLIC event's attendee CSV (HTTP status as the outcome).
    DownloadAttendees,
}

/// The request succeeded and answered something.
const OK: &str = "ok";
/// The request succeeded and answered null.
const HIDDEN: &str = "null";
const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
const FORBIDDEN: &str = "FORBIDDEN";
const NOT_FOUND: &str = "NOT_FOUND";

/// Caller × action → outcome: an error code, or what a successful answer held. Columns
/// follow `INTEREST_CALLERS`.
#[rustfmt::skip]
const INTEREST_MATRIX: &[(Action, [&str; 7])] = &[
    //                                anon             user       investor   member     corr       author     secretariat
    (Action::ExpressInterest,         [UNAUTHENTICATED, FORBIDDEN, OK,        OK,        FORBIDDEN, FORBIDDEN, FORBIDDEN]),
    (Action::SeeInterestByNode,       [HIDDEN,          HIDDEN,    HIDDEN,    OK,        HIDDEN,    OK,        OK]),
    (Action::Respond,                 [UNAUTHENTICATED, NOT_FOUND, NOT_FOUND, FORBIDDEN, NOT_FOUND, OK,        OK]),
    (Action::Withdraw,                [UNAUTHENTICATED, NOT_FOUND, NOT_FOUND, OK,        NOT_FOUND, FORBIDDEN, FORBIDDEN]),
    (Action::SeeOpportunityInterests, [HIDDEN,          HIDDEN,    HIDDEN,    HIDDEN,    HIDDEN,    OK,        OK]),
    (Action::SeeInterestSummary,      [HIDDEN,          HIDDEN,    HIDDEN,    HIDDEN,    HIDDEN,    OK,        OK]),
    (Action::ReadOwnNotifications,    [UNAUTHENTICATED, OK,        OK,        OK,        OK,        OK,        OK]),
    (Action::AskForRecommendations,   [UNAUTHENTICATED, OK,        OK,        OK,        OK,        OK,        OK]),
    (Action::AskForRelated,           [OK,              OK,        OK,        OK,        OK,        OK,        OK]),
    (Action::RegisterForPublicEvent,  [UNAUTHENTICATED, OK,        OK,        OK,        OK,        OK,        OK]),
    (Action::RegisterForMembersEvent, [UNAUTHENTICATED, NOT_FOUND, NOT_FOUND, OK,        NOT_FOUND, OK,        OK]),
    (Action::SeeAttendees,            [HIDDEN,          HIDDEN,    HIDDEN,    HIDDEN,    HIDDEN,    OK,        OK]),
    (Action::SaveSearch,              [UNAUTHENTICATED, OK,        OK,        OK,        OK,        OK,        OK]),
    (Action::DownloadPublicCalendar,  ["200",           "200",     "200",     "200",     "200",     "200",     "200"]),
    (Action::DownloadAttendees,       ["401",           "403",     "403",     "403",     "403",     "200",     "200"]),
];

/// What one request came to: the first error's code, or whether the value at `pointer`
/// inside `data` was there and not null.
async fn outcome(
    app: &TestApp,
    token: Option<&str>,
    document: &str,
    variables: Value,
    pointer: &str,
) -> String {
    let answer = app.graphql(token, document, variables).await;
    if let Some(errors) = answer.get("errors") {
        return errors[0]["extensions"]["code"]
            .as_str()
            .unwrap_or("an error without a code")
            .to_owned();
    }
    match answer["data"].pointer(pointer) {
        None | Some(Value::Null) => HIDDEN.to_owned(),
        Some(_) => OK.to_owned(),
    }
}

/// A published event with seats for everyone, written by `author` (its organiser).
async fn matrix_event(app: &TestApp, author: &TestUser, visibility: &str) -> String {
    let starts = chrono::Utc::now() + chrono::Duration::days(20);
    app.ok(
        Some(&author.token),
        "mutation($input: EventInput!) { createEvent(input: $input, publish: true) { id } }",
        json!({ "input": {
            "content": crate::fixtures::content("Matrix seminar", &["SG"], &["0303"], visibility),
            "eventType": "SEMINAR",
            "startsAt": starts.to_rfc3339(),
            "endsAt": (starts + chrono::Duration::hours(2)).to_rfc3339(),
            "city": "Singapore",
            "capacity": 100,
        } }),
    )
    .await["createEvent"]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

async fn matrix_opportunity(app: &TestApp, author: &TestUser, title: &str) -> String {
    own_published(
        app,
        author,
        opportunity_input(title, &["SG"], &["0303"], "PUBLIC"),
    )
    .await
}

#[tokio::test]
async fn each_role_may_do_exactly_what_the_interest_matrix_says() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let other_correspondent = app.correspondent(false).await;
    let member = member_of(&app, "Matrix Members Ltd").await;
    let investor = app.user(Role::Investor, UserSpec::default()).await;
    let plain_user = app.user(Role::User, UserSpec::default()).await;
    let callers: [Option<&TestUser>; 7] = [
        None,
        Some(&plain_user),
        Some(&investor),
        Some(&member),
        Some(&other_correspondent),
        Some(&author),
        Some(&secretariat),
    ];
    let shared = matrix_opportunity(&app, &author, "Shared matrix opportunity").await;
    let public_event = matrix_event(&app, &author, "PUBLIC").await;
    let members_event = matrix_event(&app, &author, "MEMBERS").await;
    let with_interest =
        matrix_opportunity(&app, &author, "Matrix opportunity with an interest").await;
    let seen_interest = express(&app, &member, &with_interest).await;

    let mut mismatches = Vec::new();
    for (action, expected) in INTEREST_MATRIX {
        for (index, caller) in callers.iter().copied().enumerate() {
            let token = caller.map(|user| user.token.as_str());
            let got = match action {
                Action::ExpressInterest => {
                    outcome(
                        &app,
                        token,
                        EXPRESS,
                        interest_in(&shared),
                        "/expressInterest",
                    )
                    .await
                }
                Action::SeeInterestByNode => {
                    let variables = json!({ "id": seen_interest });
                    outcome(&app, token, INTEREST_NODE, variables, "/node").await
                }
                Action::Respond | Action::Withdraw => {
                    let title = format!("{action:?} by the {}", INTEREST_CALLERS[index]);
                    let fresh_opportunity = matrix_opportunity(&app, &author, &title).await;
                    let fresh = express(&app, &member, &fresh_opportunity).await;
                    match action {
                        Action::Respond => {
                            let variables = json!({ "id": fresh, "accept": true });
                            outcome(&app, token, RESPOND, variables, "/respondToInterest").await
                        }
                        _ => {
                            let variables = json!({ "id": fresh });
                            outcome(&app, token, WITHDRAW, variables, "/withdrawInterest").await
                        }
                    }
                }
                Action::SeeOpportunityInterests | Action::SeeInterestSummary => {
                    let pointer = match action {
                        Action::SeeOpportunityInterests => "/node/interests",
                        _ => "/node/interestSummary",
                    };
                    let variables = json!({ "id": shared });
                    outcome(&app, token, OPPORTUNITY_INTERESTS, variables, pointer).await
                }
                Action::ReadOwnNotifications => {
                    outcome(&app, token, INBOX, json!({}), "/notifications").await
                }
                Action::AskForRecommendations => {
                    outcome(&app, token, RECOMMENDATIONS, json!({}), "/recommendations").await
                }
                Action::AskForRelated => {
                    outcome(&app, token, RELATED, json!({ "id": shared }), "/related").await
                }
                Action::RegisterForPublicEvent | Action::RegisterForMembersEvent => {
                    let event = match action {
                        Action::RegisterForPublicEvent => &public_event,
                        _ => &members_event,
                    };
                    let document =
                        "mutation($id: ID!) { registerForEvent(eventId: $id) { status } }";
                    outcome(
                        &app,
                        token,
                        document,
                        json!({ "id": event }),
                        "/registerForEvent",
                    )
                    .await
                }
                Action::SeeAttendees => {
                    let document = "query($id: ID!) { node(id: $id) { ... on Event { attendees { totalCount } } } }";
                    let variables = json!({ "id": public_event });
                    outcome(&app, token, document, variables, "/node/attendees").await
                }
                Action::SaveSearch => {
                    let document =
                        "mutation { saveSearch(name: \"Matrix\", query: \"tender\") { id } }";
                    outcome(&app, token, document, json!({}), "/saveSearch").await
                }
                Action::DownloadPublicCalendar | Action::DownloadAttendees => {
                    let file = match action {
                        Action::DownloadPublicCalendar => "calendar.ics",
                        _ => "attendees.csv",
                    };
                    let mut request = app
                        .http
                        .get(app.url(&format!("/events/{public_event}/{file}")));
                    if let Some(token) = token {
                        request = request.bearer_auth(token);
                    }
                    request
                        .send()
                        .await
                        .expect("an answer")
                        .status()
                        .as_u16()
                        .to_string()
                }
            };
            if got != expected[index] {
                mismatches.push(format!(
                    "{} × {action:?}: expected {}, got {got}",
                    INTEREST_CALLERS[index], expected[index]
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "the interest matrix does not hold:\n{}",
        mismatches.join("\n")
    );
}
