//! The search query: multilingual relevance, filters, facets, highlights, sorting, cursors,
//! read-your-writes, and visibility computed inside the index.

use serde_json::{Value, json};

use crate::fixtures::{in_days, transition};
use crate::harness::{TestApp, TestUser, spawn_app};

pub(crate) const SEARCH: &str =
    "query($q: String, $filter: SearchFilter, $sort: SearchSort, $first: Int, $after: String) {
  search(query: $q, filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount
    facets { kinds { value count } countries { value count } sectors { value count } }
    pageInfo { hasNextPage endCursor }
    edges { cursor score highlights { field snippet } node { id kind title } } } }";

/// An item to publish for a search test.
pub(crate) struct Item<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub language: &'a str,
    pub countries: &'a [&'a str],
    pub sectors: &'a [&'a str],
    pub visibility: &'a str,
}

impl<'a> Item<'a> {
    pub(crate) fn new(title: &'a str, language: &'a str) -> Self {
        Item {
            title,
            body: "",
            language,
            countries: &["SG"],
            sectors: &["0303"],
            visibility: "PUBLIC",
        }
    }
}

/// Creates an opportunity from `item`; publishes it unless `publish` is false. Returns its id.
pub(crate) async fn opportunity(
    app: &TestApp,
    author: &TestUser,
    item: Item<'_>,
    publish: bool,
) -> String {
    let input = json!({
        "content": {
            "title": item.title, "summary": item.title, "body": if item.body.is_empty() { item.title } else { item.body },
            "language": item.language, "countries": item.countries, "sectors": item.sectors, "visibility": item.visibility,
        },
        "opportunityType": "PARTNERSHIP",
        "deadline": in_days(60),
    });
    let data = app
        .ok(
            Some(&author.token),
            "mutation($input: OpportunityInput!) { createOpportunity(input: $input) { id } }",
            json!({ "input": input }),
        )
        .await;
    let id = data["createOpportunity"]["id"].as_str().unwrap().to_owned();
    if publish {
        transition(app, author, "publishContent", &id).await;
    }
    id
}

pub(crate) async fn search(app: &TestApp, token: Option<&str>, variables: Value) -> Value {
    app.ok(token, SEARCH, variables).await["search"].clone()
}

pub(crate) fn hit_ids(results: &Value) -> Vec<String> {
    results["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn facet(results: &Value, facet: &str, value: &str) -> i64 {
    results["facets"][facet]
        .as_array()
        .unwrap()
        .iter()
        .find(|count| count["value"] == value)
        .map(|count| count["count"].as_i64().unwrap())
        .unwrap_or(0)
}

#[tokio::test]
async fn each_language_finds_its_own_items() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let items = [
        ("zh", "中国农业发展银行支持广西智慧物流项目"),
        ("th", "โครงการเกษตรอัจฉริยะในภาคอีสาน"),
        ("vi", "Trung tâm dữ liệu xanh tại Hà Nội"),
        ("km", "កសិកម្មឌីជីថលនៅកម្ពុជា"),
        ("lo", "ການລົງທຶນໃນລາວ ພະລັງງານສະອາດ"),
        ("my", "မြန်မာနိုင်ငံတွင်ဒီဂျစ်တယ်ငွေပေးချေမှု"),
        ("id", "Pusat data hijau di Batam mencari investor"),
        ("ms", "Pelaburan dalam bandar pintar di Johor"),
        ("en", "Cold-chain logistics hub in Hai Phong"),
        ("en", "Digital economy forum for young founders"),
    ];
    let mut ids = Vec::new();
    for (language, title) in items {
        ids.push(opportunity(&app, &author, Item::new(title, language), true).await);
    }
    // (query, the items it must find, by their index above)
    let cases: &[(&str, &[usize])] = &[
        // The glossary: កសិកម្ម is Khmer for agriculture; its Thai การเกษตร is found inside
        // โครงการเกษตร (which cuts it across a word boundary, but the item is agricultural).
        ("农业", &[0, 1, 3]),
        ("物流", &[0, 8]),
        ("智慧物流", &[0]), // smart logistics, and the English item is not smart
        ("เกษตร", &[1]),
        ("อีสาน", &[1]),
        ("ha noi", &[2]),
        ("Hà Nội", &[2]),
        ("du lieu", &[2]),
        ("កសិកម្ម", &[0, 1, 3]), // and back: 农业 is in the Chinese title
        ("ລາວ", &[4]),
        ("ການລົງທຶນ", &[4, 7]),
        ("မြန်မာနိုင်ငံ", &[5]),
        ("pusat data", &[2, 6]),
        ("bandar pintar", &[7]),
        // English stemming, and a word no item holds taken for the glossary's "logistics",
        // which finds 物流 too.
        ("logistic", &[0, 8]),
        ("logisitcs", &[0, 8]), // a typo, likewise
        ("\"cold chain\"", &[8]),
        ("数字经济", &[9]),
        ("logistics -phong", &[0]),
    ];
    for (query, expected) in cases {
        let results = search(&app, None, json!({ "q": query, "first": 20 })).await;
        let mut found = hit_ids(&results);
        found.sort();
        let mut wanted: Vec<String> = expected.iter().map(|index| ids[*index].clone()).collect();
        wanted.sort();
        assert_eq!(
            found, wanted,
            "query {query:?} found {:#}",
            results["edges"]
        );
        assert_eq!(results["totalCount"], expected.len() as i64, "{query:?}");
    }
    let none = search(&app, None, json!({ "q": "\"chain cold\"" })).await;
    assert_eq!(none["totalCount"], 0, "a phrase keeps its word order");
}

#[tokio::test]
async fn any_query_string_is_searched_leniently() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    opportunity(
        &app,
        &author,
        Item::new("Robotics partner wanted", "en"),
        true,
    )
    .await;
    for query in [
        "title:robotics",
        "robotics AND (",
        "\"unclosed robotics",
        "-",
        "*",
        "~~~",
        "robotics^5 [1 TO 2]",
        "\u{0}\u{1f}",
    ] {
        let answer = app.graphql(None, SEARCH, json!({ "q": query })).await;
        assert!(answer.get("errors").is_none(), "{query:?}: {answer:#}");
    }
    let found = search(&app, None, json!({ "q": "partner:robotics" })).await;
    assert_eq!(
        found["totalCount"], 1,
        "field syntax is just text: both words match"
    );
}

#[tokio::test]
async fn highlights_mark_matches_and_escape_everything_else() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let item = Item {
        body: "Partners for <script>alert(1)</script> & smart logistics in Laos.",
        ..Item::new("Smart <b>logistics</b> & more", "en")
    };
    opportunity(&app, &author, item, true).await;
    let results = search(&app, None, json!({ "q": "logistics" })).await;
    let highlights = results["edges"][0]["highlights"].as_array().unwrap();
    let title = highlights
        .iter()
        .find(|highlight| highlight["field"] == "title")
        .expect("the title matched");
    assert_eq!(
        title["snippet"],
        "Smart &lt;b&gt;<mark>logistics</mark>&lt;/b&gt; &amp; more"
    );
    let body = highlights
        .iter()
        .find(|highlight| highlight["field"] == "body")
        .expect("the body matched")
        .clone();
    let snippet = body["snippet"].as_str().unwrap();
    assert!(
        snippet.contains("&lt;script&gt;") && !snippet.contains("<script>"),
        "{snippet}"
    );
    assert!(snippet.contains("<mark>logistics</mark>"));
}

#[tokio::test]
async fn filters_and_facets_agree_with_the_database() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let plan: &[(&[&str], &[&str])] = &[
        (&["VN"], &["0504"]),
        (&["VN", "LA"], &["0501"]),
        (&["TH"], &["0504"]),
        (&["LA"], &["0301"]),
        (&["VN"], &["0301"]),
    ];
    for (index, (countries, sectors)) in plan.iter().enumerate() {
        let title = format!("Project {index}");
        opportunity(
            &app,
            &author,
            Item {
                countries,
                sectors,
                ..Item::new(&title, "en")
            },
            true,
        )
        .await;
    }
    opportunity(
        &app,
        &author,
        Item {
            countries: &["VN"],
            ..Item::new("Unpublished draft", "en")
        },
        false,
    )
    .await;

    let everything = search(&app, None, json!({ "first": 50 })).await;
    assert_eq!(everything["totalCount"], 5, "drafts are not in the index");
    for country in ["VN", "LA", "TH"] {
        let listed = app
            .ok(
                None,
                "query($c: [String!]) { opportunities(filter: { countries: $c }) { totalCount } }",
                json!({ "c": [country] }),
            )
            .await;
        assert_eq!(
            facet(&everything, "countries", country),
            listed["opportunities"]["totalCount"].as_i64().unwrap(),
            "{country}"
        );
    }
    for sector in ["0504", "0501", "0301"] {
        let listed = app
            .ok(
                None,
                "query($s: [String!]) { opportunities(filter: { sectors: $s }) { totalCount } }",
                json!({ "s": [sector] }),
            )
            .await;
        assert_eq!(
            facet(&everything, "sectors", sector),
            listed["opportunities"]["totalCount"].as_i64().unwrap(),
            "{sector}"
        );
    }
    assert_eq!(facet(&everything, "kinds", "OPPORTUNITY"), 5);

    let vietnam = search(&app, None, json!({ "filter": { "countries": ["VN"] } })).await;
    assert_eq!(vietnam["totalCount"], 3);
    assert_eq!(
        facet(&vietnam, "countries", "LA"),
        1,
        "facets count within the filtered set"
    );
    let category = search(&app, None, json!({ "filter": { "sectors": ["05"] } })).await;
    assert_eq!(
        category["totalCount"], 3,
        "a category matches its sub-categories"
    );
    let both = search(
        &app,
        None,
        json!({ "filter": { "sectors": ["03"], "countries": ["LA"] } }),
    )
    .await;
    assert_eq!(both["totalCount"], 1);
    let policies = search(&app, None, json!({ "filter": { "kinds": ["POLICY"] } })).await;
    assert_eq!(policies["totalCount"], 0);
}

#[tokio::test]
async fn sorts_and_cursors_hold_while_the_index_changes() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let mut ids = Vec::new();
    for index in 0..5 {
        ids.push(
            opportunity(
                &app,
                &author,
                Item::new(&format!("Fintech sandbox {index}"), "en"),
                true,
            )
            .await,
        );
    }
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    let first = search(
        &app,
        None,
        json!({ "q": "fintech", "sort": "NEWEST", "first": 2 }),
    )
    .await;
    assert_eq!(hit_ids(&first), newest_first[0..2]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    // A new item lands on page one's side of the cursor; page two is unaffected.
    opportunity(&app, &author, Item::new("Fintech sandbox late", "en"), true).await;
    let second = search(&app, None, json!({ "q": "fintech", "sort": "NEWEST", "first": 2, "after": first["pageInfo"]["endCursor"] })).await;
    assert_eq!(hit_ids(&second), newest_first[2..4]);
    let third = search(&app, None, json!({ "q": "fintech", "sort": "NEWEST", "first": 2, "after": second["pageInfo"]["endCursor"] })).await;
    assert_eq!(hit_ids(&third), newest_first[4..5]);
    assert_eq!(third["pageInfo"]["hasNextPage"], false);
    assert_eq!(third["totalCount"], 6);

    let relevance = search(&app, None, json!({ "q": "fintech", "first": 3 })).await;
    let scores: Vec<f64> = relevance["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|pair| pair[0] >= pair[1]) && scores[0] > 0.0,
        "{scores:?}"
    );
    let rest = search(
        &app,
        None,
        json!({ "q": "fintech", "first": 10, "after": relevance["pageInfo"]["endCursor"] }),
    )
    .await;
    let mut all = hit_ids(&relevance);
    all.extend(hit_ids(&rest));
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 6, "relevance pages cover every hit once");

    let mismatched = app
        .error_code(
            None,
            SEARCH,
            json!({ "q": "fintech", "sort": "DEADLINE", "after": first["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(mismatched, "BAD_USER_INPUT");
    assert_eq!(
        app.error_code(None, SEARCH, json!({ "first": 101 })).await,
        "BAD_USER_INPUT"
    );
}

#[tokio::test]
async fn deadline_order_and_expired_opportunities() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let secretariat = app.secretariat().await;
    let mut ids = Vec::new();
    for days in [40, 10, 25] {
        let input = json!({ "content": { "title": format!("Tender closing in {days} days"), "summary": "s", "body": "b", "language": "en", "countries": ["PH"], "sectors": ["0508"] },
            "opportunityType": "PROCUREMENT", "deadline": in_days(days) });
        let data = app
            .ok(
                Some(&author.token),
                "mutation($input: OpportunityInput!) { createOpportunity(input: $input) { id } }",
                json!({ "input": input }),
            )
            .await;
        let id = data["createOpportunity"]["id"].as_str().unwrap().to_owned();
        transition(&app, &author, "publishContent", &id).await;
        ids.push(id);
    }
    let by_deadline = search(&app, None, json!({ "q": "tender", "sort": "DEADLINE" })).await;
    assert_eq!(
        hit_ids(&by_deadline),
        vec![ids[1].clone(), ids[2].clone(), ids[0].clone()]
    );

    let expired_input = json!({ "content": { "title": "Tender closing in 10 days", "summary": "s", "body": "b", "language": "en", "countries": ["PH"], "sectors": ["0508"] },
        "opportunityType": "PROCUREMENT", "deadline": in_days(-1) });
    app.ok(Some(&secretariat.token), "mutation($id: ID!, $input: OpportunityInput!) { updateOpportunity(id: $id, input: $input) { id } }", json!({ "id": ids[1], "input": expired_input })).await;
    assert_eq!(
        search(&app, None, json!({ "q": "tender" })).await["totalCount"],
        2,
        "expired opportunities drop out"
    );
    assert_eq!(
        search(
            &app,
            None,
            json!({ "q": "tender", "filter": { "includeExpired": true } })
        )
        .await["totalCount"],
        3
    );
}

#[tokio::test]
async fn every_write_is_searchable_when_its_mutation_returns() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    for round in 0..15 {
        let word = format!("zebra{round}x");
        let id = opportunity(
            &app,
            &author,
            Item::new(&format!("Project {word}"), "en"),
            true,
        )
        .await;
        assert_eq!(
            hit_ids(&search(&app, None, json!({ "q": word })).await),
            vec![id],
            "round {round}"
        );
    }
    let writers = (0..8).map(|writer| {
        let app = &app;
        let author = &author;
        async move {
            let word = format!("okapi{writer}y");
            let id = opportunity(
                app,
                author,
                Item::new(&format!("Concurrent {word}"), "en"),
                true,
            )
            .await;
            assert_eq!(
                hit_ids(&search(app, None, json!({ "q": word })).await),
                vec![id]
            );
        }
    });
    futures_util::future::join_all(writers).await;
}

#[tokio::test]
async fn archived_and_edited_items_leave_the_index() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let id = opportunity(
        &app,
        &author,
        Item::new("Quantum sensing pilot", "en"),
        true,
    )
    .await;
    assert_eq!(
        search(&app, None, json!({ "q": "quantum" })).await["totalCount"],
        1
    );
    let input = json!({ "content": { "title": "Photonic sensing pilot", "summary": "s", "body": "b", "language": "en", "countries": ["SG"], "sectors": ["0303"] }, "opportunityType": "PARTNERSHIP" });
    app.ok(Some(&author.token), "mutation($id: ID!, $input: OpportunityInput!) { updateOpportunity(id: $id, input: $input) { id } }", json!({ "id": id, "input": input })).await;
    assert_eq!(
        search(&app, None, json!({ "q": "quantum" })).await["totalCount"],
        0,
        "the old text is gone"
    );
    assert_eq!(
        search(&app, None, json!({ "q": "photonic" })).await["totalCount"],
        1
    );
    transition(&app, &author, "archiveContent", &id).await;
    assert_eq!(
        search(&app, None, json!({ "q": "photonic" })).await["totalCount"],
        0,
        "archived items leave the index"
    );
    assert_eq!(search(&app, None, json!({})).await["totalCount"], 0);
}

#[tokio::test]
async fn member_only_items_never_show_in_an_anonymous_search() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let member = app.member().await;
    let plain_user = app.user(api::auth::Role::User, Default::default()).await;
    let public = opportunity(
        &app,
        &author,
        Item {
            countries: &["MY"],
            ..Item::new("Open semiconductor partnership", "en")
        },
        true,
    )
    .await;
    let secret = opportunity(
        &app,
        &author,
        Item {
            countries: &["ID"],
            sectors: &["0105"],
            visibility: "MEMBERS",
            ..Item::new("Confidential semiconductor deal", "en")
        },
        true,
    )
    .await;

    for token in [None, Some(plain_user.token.as_str())] {
        let results = search(&app, token, json!({ "q": "semiconductor" })).await;
        assert_eq!(hit_ids(&results), vec![public.clone()]);
        assert_eq!(results["totalCount"], 1);
        assert_eq!(
            facet(&results, "countries", "ID"),
            0,
            "facets count only what the caller may see"
        );
        assert_eq!(facet(&results, "sectors", "0105"), 0);
        assert!(
            !results.to_string().contains("Confidential"),
            "not in highlights either"
        );
        let targeted = search(
            &app,
            token,
            json!({ "q": "confidential", "filter": { "countries": ["ID"] } }),
        )
        .await;
        assert_eq!(targeted["totalCount"], 0);
    }
    let results = search(&app, Some(&member.token), json!({ "q": "semiconductor" })).await;
    let mut found = hit_ids(&results);
    found.sort();
    let mut both = vec![public, secret];
    both.sort();
    assert_eq!(found, both);
    assert_eq!(facet(&results, "countries", "ID"), 1);
}

#[tokio::test]
async fn amounts_and_opportunity_types_narrow_a_search() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let mut ids = Vec::new();
    for (kind, min, max, currency) in [
        ("INVESTMENT", "100000", "500000", "USD"),
        ("INVESTMENT", "2000000", "9000000", "USD"),
        ("PROCUREMENT", "100000", "500000", "THB"),
    ] {
        let input = json!({ "content": { "title": format!("Solar {kind} {min}"), "summary": "s", "body": "b", "language": "en", "countries": ["TH"], "sectors": ["0507"] },
            "opportunityType": kind, "amountMin": min, "amountMax": max, "currency": currency });
        let data = app
            .ok(
                Some(&author.token),
                "mutation($input: OpportunityInput!) { createOpportunity(input: $input) { id } }",
                json!({ "input": input }),
            )
            .await;
        let id = data["createOpportunity"]["id"].as_str().unwrap().to_owned();
        transition(&app, &author, "publishContent", &id).await;
        ids.push(id);
    }
    let small_usd = search(&app, None, json!({ "q": "solar", "filter": { "amountMin": "50000", "amountMax": "1000000", "currency": "USD" } })).await;
    assert_eq!(
        hit_ids(&small_usd),
        vec![ids[0].clone()],
        "ranges overlap in the same currency only"
    );
    let large = search(
        &app,
        None,
        json!({ "q": "solar", "filter": { "amountMin": "3000000.50", "currency": "usd" } }),
    )
    .await;
    assert_eq!(hit_ids(&large), vec![ids[1].clone()]);
    let procurement = search(
        &app,
        None,
        json!({ "q": "solar", "filter": { "opportunityTypes": ["PROCUREMENT"] } }),
    )
    .await;
    assert_eq!(hit_ids(&procurement), vec![ids[2].clone()]);
    let no_currency = app
        .error_code(None, SEARCH, json!({ "filter": { "amountMin": "1" } }))
        .await;
    assert_eq!(no_currency, "BAD_USER_INPUT");
}
