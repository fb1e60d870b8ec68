//! The visibility matrix: one table of caller × path × visibility → seen or not, which drives
//! the test. What a caller may not see must not show on any path: lists, totals, `node`,
//! search hits, search totals, facets, highlights, suggestions, "did you mean", contact
//! details, who wrote an item and who moved it, related items, recommendations, and even
//! relevance scores. A new path is one row of `MATRIX` and one arm of
//! `Sight::on`.

use api::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::{opportunity_input, published_opportunity};
use crate::harness::{TestApp, TestUser, UserSpec, spawn_app};

/// The callers, in the order of a row's columns.
const CALLERS: [&str; 8] = [
    "anonymous",
    "user",
    "investor without a member organisation",
    "user of an expelled organisation",
    "correspondent who is not the author",
    "member",
    "author",
    "secretariat",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    InList,
    InListTotal,
    ByNode,
    InSearch,
    InSearchTotal,
    InFacets,
    InHighlights,
    /// Among the suggestions for the first letters of its title.
    InSuggestions,
    /// Its word offered as "did you mean" for a query that finds nothing.
    InDidYouMean,
    Contact,
    /// The author's public face (name, role, organisation).
    Author,
    AuthorEmail,
    History,
    /// The email of the secretariat, who published the item, in its history.
    PublisherEmailInHistory,
    /// The item's relevance score stays the same when MEMBERS items with the same words are
    /// published: the caller's scores depend only on what the caller may see.
    ScoreUnmovedByMembersItems,
    /// Among the items `related` offers for another item in its sector.
    InRelated,
    /// Among the caller's recommendations, for a profile naming its country and sector (the
    /// anonymous have none; nobody is recommended their own items).
    InRecommendations,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Public,
    Members,
}

const Y: bool = true;
const N: bool = false;

/// Caller × path × visibility → seen. Columns follow `CALLERS`.
#[rustfmt::skip]
const MATRIX: &[(Path, Shown, [bool; 8])] = &[
    //                                                anon user inv  expl corr mem  auth secr
    (Path::InList,                    Shown::Public,  [Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y]),
    (Path::InList,                    Shown::Members, [N,   N,   N,   N,   N,   Y,   Y,   Y]),
    (Path::InListTotal,               Shown::Public,  [Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y]),
    (Path::InListTotal,               Shown::Members, [N,   N,   N,   N,   N,   Y,   Y,   Y]),
    (Path::ByNode,                    Shown::Public,  [Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y]),
    (Path::ByNode,                    Shown::Members, [N,   N,   N,   N,   N,   Y,   Y,   Y]),
    (Path::InSearch,                  Shown::Public,  [Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y]),
    (Path::InSearch,                  Shown::Members, [N,   N,   N,   N,   N,   Y,   Y,   Y]),
    (Path::InSearchTotal,             Shown::Public,  [Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y]),
    (Path::InSearchTotal,             Shown::Members, [N,   N,   N,   N,   N,   Y,   Y,   Y]),
    (Path::InFacets,                  Shown::Public,  [Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y]),
    (Path::InFacets,                  Shown::Members, [N,   N,   N,   N,   N,   Y,   Y,   Y]),
    (Path::InHighlights,              Shown::Public,  [Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y]),
    (Path::InHighlights,              Shown::Members, [N,   N,   N,   N,   N,   Y,   Y,   Y]),
    (Path::InSuggestions,             Shown::Public,  [Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y]),
    (Path::InSuggestions,             Shown::Members, [N,   N,   N,   N,   N,   Y,   Y,   Y]),
    (Path::InDidYouMean,              Shown::Public,  [Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y]),
    (Path::InDidYouMean,              Shown::Members, [N,   N,   N,   N,   N,   Y,   Y,   Y]),
    (Path::Contact,                   Shown::Public,  [N,   N,   N,   N,   N,   Y,   Y,   Y]),
    (Path::Contact,                   Shown::Members, [N,   N,   N,   N,   N,   Y,   Y,   Y]),
    (Path::Author,                    Shown::Public,  [N,   N,   N,   N,   N,   Y,   Y,   Y]),
    (Path::Author,                    Shown::Members, [N,   N,   N,   N,   N,   Y,   Y,   Y]),
    (Path::AuthorEmail,               Shown::Public,  [N,   N,   N,   N,   N,   N,   Y,   Y]),
    (Path::AuthorEmail,               Shown::Members, [N,   N,   N,   N,   N,   N,   Y,   Y]),
    (Path::History,                   Shown::Public,  [N,   N,   N,   N,   N,   N,   Y,   Y]),
    (Path::History,                   Shown::Members, [N,   N,   N,   N,   N,   N,   Y,   Y]),
    (Path::PublisherEmailInHistory,   Shown::Public,  [N,   N,   N,   N,   N,   N,   N,   Y]),
    (Path::PublisherEmailInHistory,   Shown::Members, [N,   N,   N,   N,   N,   N,   N,   Y]),
    (Path::ScoreUnmovedByMembersItems, Shown::Public, [Y,   Y,   Y,   Y,   Y,   N,   N,   N]),
    (Path::InRelated,                 Shown::Public,  [Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y]),
    (Path::InRelated,                 Shown::Members, [N,   N,   N,   N,   N,   Y,   Y,   Y]),
    (Path::InRecommendations,         Shown::Public,  [N,   Y,   Y,   Y,   Y,   Y,   N,   Y]),
    (Path::InRecommendations,         Shown::Members, [N,   N,   N,   N,   N,   Y,   N,   Y]),
];

/// Everything one caller sees of one item, read once over every path.
struct Sight {
    list_edge: Option<Value>,
    list_total: Value,
    node: Value,
    search: Value,
    score: Option<f64>,
    suggestions: Value,
    did_you_mean: Value,
    related: Value,
    recommendations: Value,
}

const ITEM_FIELDS: &str = "id ... on Opportunity { contact author { name role organisationName email } history { toStatus actor { role email } } }";

async fn sight(
    app: &TestApp,
    token: Option<&str>,
    item: (&str, &str, &str),
    anchor: &str,
) -> Sight {
    let (id, word, country) = item;
    let list = app
        .ok(
            token,
            &format!("query($c: [String!]) {{ opportunities(filter: {{ countries: $c }}) {{ totalCount edges {{ node {{ {ITEM_FIELDS} }} }} }} }}"),
            json!({ "c": [country] }),
        )
        .await;
    let list_edge = list["opportunities"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|edge| edge["node"]["id"] == id)
        .cloned();
    let node = app
        .ok(
            token,
            &format!("query($id: ID!) {{ node(id: $id) {{ {ITEM_FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await["node"]
        .clone();
    let search = app
        .ok(token, "query($q: String) { search(query: $q) { totalCount facets { countries { value count } } edges { score node { id } highlights { snippet } } } }", json!({ "q": word }))
        .await["search"]
        .clone();
    let score = search["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|edge| edge["node"]["id"] == id)
        .and_then(|edge| edge["score"].as_f64());
    let suggestions = app
        .ok(
            token,
            "query($p: String!) { suggest(prefix: $p) { kind text node { id } } }",
            json!({ "p": &word[..6] }),
        )
        .await["suggest"]
        .clone();
    let did_you_mean = app
        .ok(
            token,
            "query($q: String) { search(query: $q) { didYouMean } }",
            json!({ "q": format!("{word} zzqxzq") }),
        )
        .await["search"]["didYouMean"]
        .clone();
    let related = app
        .ok(
            token,
            "query($id: ID!) { related(id: $id, first: 50) { id } }",
            json!({ "id": anchor }),
        )
        .await["related"]
        .clone();
    let recommendations = match token {
        Some(_) => app
            .ok(
                token,
                "{ recommendations(first: 50) { content { id } } }",
                json!({}),
            )
            .await["recommendations"]
            .clone(),
        None => json!([]),
    };
    Sight {
        list_edge,
        list_total: list["opportunities"]["totalCount"].clone(),
        node,
        search,
        score,
        suggestions,
        did_you_mean,
        related,
        recommendations,
    }
}

impl Sight {
    /// The item as the caller got it, from the list or `node`.
    fn item(&self) -> Option<&Value> {
        self.list_edge
            .as_ref()
            .map(|edge| &edge["node"])
            .or_else(|| self.node.is_object().then_some(&self.node))
    }

    /// Whether `path` showed the item (or the part of it `path` names) to the caller.
    fn on(&self, path: Path, id: &str, word: &str, country: &str, publisher_email: &str) -> bool {
        let hits = self.search["edges"].as_array().unwrap();
        let hit = hits.iter().find(|hit| hit["node"]["id"] == id);
        let item = self.item();
        match path {
            Path::InList => self.list_edge.is_some(),
            Path::InListTotal => self.list_total == 1,
            Path::ByNode => self.node.is_object(),
            Path::InSearch => hit.is_some(),
            Path::InSearchTotal => self.search["totalCount"] == 1,
            Path::InFacets => self.search["facets"]["countries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|count| count["value"] == country),
            Path::InHighlights => hits
                .iter()
                .any(|hit| hit["highlights"].to_string().to_lowercase().contains(word)),
            Path::InSuggestions => self
                .suggestions
                .as_array()
                .unwrap()
                .iter()
                .any(|suggestion| suggestion["node"]["id"] == id),
            Path::InDidYouMean => self.did_you_mean.as_str() == Some(word),
            Path::Contact => item.is_some_and(|item| item["contact"].is_string()),
            Path::Author => item.is_some_and(|item| item["author"]["name"].is_string()),
            Path::AuthorEmail => item.is_some_and(|item| item["author"]["email"].is_string()),
            Path::History => item.is_some_and(|item| item["history"].is_array()),
            Path::PublisherEmailInHistory => {
                item.is_some_and(|item| item["history"].to_string().contains(publisher_email))
            }
            Path::InRelated => self
                .related
                .as_array()
                .unwrap()
                .iter()
                .any(|related| related["id"] == id),
            Path::InRecommendations => self
                .recommendations
                .as_array()
                .unwrap()
                .iter()
                .any(|recommended| recommended["content"]["id"] == id),
            Path::ScoreUnmovedByMembersItems => unreachable!("compared across two sights"),
        }
    }
}

#[tokio::test]
async fn each_role_sees_exactly_what_the_matrix_says_on_every_path() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let other_correspondent = app.correspondent(false).await;
    let member = app.member().await;
    let investor = app.user(Role::Investor, UserSpec::default()).await;
    let plain_user = app.user(Role::User, UserSpec::default()).await;
    let expelled = app
        .user(
            Role::Member,
            UserSpec {
                organisation: Some("Soon Expelled Ltd".into()),
                ..UserSpec::default()
            },
        )
        .await;
    crate::fixtures::expel_organisation_of(&app, &secretariat, &expelled).await;

    // Each item in its own country, so lists and facets can be read per item.
    let public = published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input("Openvisible tender", &["BN"], &["0508"], "PUBLIC"),
    )
    .await;
    let members = published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input("Membersecret tender", &["TL"], &["0508"], "MEMBERS"),
    )
    .await;
    // Shares their sector, not their words: what `related` offers for it.
    let anchor = published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input("Anchor tender", &["PH"], &["0508"], "PUBLIC"),
    )
    .await;
    let profile = json!({ "input": { "countries": ["BN", "TL"], "sectors": ["0508"] } });
    for user in [
        &plain_user,
        &investor,
        &expelled,
        &other_correspondent,
        &member,
        &author,
        &secretariat,
    ] {
        app.ok(
            Some(&user.token),
            "mutation($input: InvestorProfileInput!) { setInvestorProfile(input: $input) { id } }",
            profile.clone(),
        )
        .await;
    }
    let items = [
        (Shown::Public, public.as_str(), "openvisible", "BN"),
        (Shown::Members, members.as_str(), "membersecret", "TL"),
    ];

    let callers: [Option<&TestUser>; 8] = [
        None,
        Some(&plain_user),
        Some(&investor),
        Some(&expelled),
        Some(&other_correspondent),
        Some(&member),
        Some(&author),
        Some(&secretariat),
    ];
    let mut before = Vec::new();
    for caller in callers {
        let token = caller.map(|user| user.token.as_str());
        let mut sights = Vec::new();
        for (_, id, word, country) in items {
            sights.push(sight(&app, token, (id, word, country), &anchor).await);
        }
        before.push(sights);
    }

    // Member-only items with the public item's words, published after the first look.
    for country in ["KH", "LA", "MM"] {
        published_opportunity(
            &app,
            &author,
            &secretariat,
            opportunity_input(
                "Openvisible openvisible openvisible tender for members, with a longer title",
                &[country],
                &["0508"],
                "MEMBERS",
            ),
        )
        .await;
    }
    let mut public_scores_after = Vec::new();
    for caller in callers {
        let token = caller.map(|user| user.token.as_str());
        let public_item = (public.as_str(), "openvisible", "BN");
        public_scores_after.push(sight(&app, token, public_item, &anchor).await.score);
    }

    let mut mismatches = Vec::new();
    for (path, shown, expected) in MATRIX {
        let (item_index, (_, id, word, country)) = items
            .iter()
            .enumerate()
            .find(|(_, item)| item.0 == *shown)
            .unwrap();
        for (caller_index, caller) in CALLERS.iter().enumerate() {
            let seen = match path {
                Path::ScoreUnmovedByMembersItems => {
                    let score_before = before[caller_index][item_index].score;
                    assert!(score_before.is_some(), "{caller} finds the public item");
                    score_before == public_scores_after[caller_index]
                }
                _ => before[caller_index][item_index].on(
                    *path,
                    id,
                    word,
                    country,
                    &secretariat.email,
                ),
            };
            if seen != expected[caller_index] {
                mismatches.push(format!(
                    "{caller} × {path:?} × {shown:?}: expected {}, got {seen}",
                    expected[caller_index]
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "the matrix does not hold:\n{}",
        mismatches.join("\n")
    );
}
