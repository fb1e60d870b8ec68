//! `loadgen`: drives a running infoharbor over HTTP with N concurrent clients for a fixed
//! time and reports throughput and latency percentiles (HDR histograms, microsecond
//! resolution). Every response is checked: an HTTP error, a GraphQL error or missing data
//! counts as an error, the first few are printed, and any error makes the exit status 1.
//!
//! ```text
//! loadgen --url http://127.0.0.1:8080/graphql --scenario search --clients 4 --seconds 20 \
//!         [--warm-up 3] [--email E --password P]
//! ```
//!
//! Scenarios: `floor` (`{ __typename }`), `search` (a mix of 48 queries in ten languages,
//! half of them filtered, always with facets and highlights), `list` (pages of 20
//! opportunities with countries, sectors and `totalCount`, under eight filters; its baseline is
//! the same scenario against a server started with `--list-source database`), `node` (look-ups
//! of items found by a list first), `publish` (create and publish an opportunity: needs a
//! trusted correspondent's or the secretariat's sign-in; every 20th item is then searched for,
//! and must be found, when its mutation has returned), `publish-at-once` (the same in one
//! mutation, `createOpportunity(publish: true)`), `related` (five items like each of the items
//! `node` looks up), `recommendations` (ten for a signed-in investor, whose profile the run
//! sets first: two countries, a sector category, a ticket size, a stage, a type and a thesis).
//! The search mix's baselines, without the server: `search-floor --index DIR` (the engine in
//! process on the server's index), `search-postgres --database-url URL` and `search-sqlite
//! --database-url URL` (the databases' own full-text search); see `baseline`.

mod baseline;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{Value, json};

/// Errors printed in full; the rest are only counted.
const ERRORS_SHOWN: u64 = 5;
/// Every this many publications, the item is searched for at once.
const VERIFY_EVERY: u64 = 20;

const SEARCH: &str = "query($q: String, $f: SearchFilter) { search(query: $q, first: 10, filter: $f) { totalCount facets { kinds { value count } countries { value count } sectors { value count } } edges { score highlights { field snippet } node { id title } } } }";

/// The search mix: words of each of the ten languages, single words and phrases, common and
/// rare, glossary terms and plain words.
const QUERIES: [&str; 48] = [
    "market",
    "investment partner",
    "cold chain logistics",
    "digital economy",
    "rice export",
    "port",
    "smart city platform",
    "payment",
    "solar energy",
    "cross-border e-commerce",
    "data centre",
    "training programme",
    "数字经济",
    "港口",
    "冷链",
    "跨境电商",
    "人工智能",
    "投资 合作",
    "物流",
    "数据中心",
    "เศรษฐกิจดิจิทัล",
    "โลจิสติกส์",
    "การลงทุน",
    "ท่าเรือ",
    "kinh tế số",
    "thương mại điện tử",
    "đầu tư",
    "logistik",
    "ekonomi digital",
    "pelaburan",
    "perdagangan elektronik",
    "kewangan digital",
    "ekonomiyang digital",
    "pamumuhunan",
    "សេដ្ឋកិច្ចឌីជីថល",
    "ការវិនិយោគ",
    "ເສດຖະກິດດິຈິຕອນ",
    "ການລົງທຶນ",
    "ဒီဂျစ်တယ်စီးပွားရေး",
    "ရင်းနှီးမြှုပ်နှံမှု",
    "ASEAN",
    "blockchain",
    "cybersecurity",
    "fintech",
    "semiconductor",
    "agriculture technology",
    "tender",
    "qzxw",
];

/// Filters the search mix and the lists cycle through (`null`: none).
fn filter(index: usize) -> Value {
    match index % 8 {
        0 => json!({ "countries": ["VN"] }),
        1 => json!({ "sectors": ["05"] }),
        2 => json!({ "countries": ["TH", "LA"], "sectors": ["0505"] }),
        3 => json!({ "opportunityTypes": ["INVESTMENT"] }),
        _ => Value::Null,
    }
}

const LIST: &str = "query($f: ContentFilter) { opportunities(first: 20, filter: $f) { totalCount edges { cursor node { id title publishedAt countries { code name } sectors { code name } } } } }";
const NODE: &str = "query($id: ID!) { node(id: $id) { id ... on Opportunity { title summary opportunityType deadline countries { code } sectors { code } } } }";
const CREATE: &str =
    "mutation($input: OpportunityInput!) { createOpportunity(input: $input) { id } }";
const CREATE_PUBLISHED: &str = "mutation($input: OpportunityInput!) { createOpportunity(input: $input, publish: true) { id status } }";
const PUBLISH: &str = "mutation($id: ID!) { publishContent(id: $id) { status } }";
const RELATED: &str =
    "query($id: ID!) { related(id: $id, first: 5) { id title countries { code } } }";
const RECOMMENDATIONS: &str = "{ recommendations(first: 10) { score reasons content { id title countries { code } sectors { code } } } }";
const PROFILE: &str =
    "mutation($input: InvestorProfileInput!) { setInvestorProfile(input: $input) { id } }";

struct Options {
    url: String,
    scenario: String,
    clients: usize,
    seconds: u64,
    warm_up: u64,
    email: Option<String>,
    password: Option<String>,
    /// What a baseline runs on: the index folder (`search-floor`) or the database URL.
    target: Option<String>,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        url: "http://127.0.0.1:8080/graphql".into(),
        scenario: String::new(),
        clients: 4,
        seconds: 10,
        warm_up: 2,
        email: None,
        password: None,
        target: None,
    };
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let value = arguments
            .next()
            .ok_or_else(|| format!("{argument} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{argument}: not a number: {value}"))
        };
        match argument.as_str() {
            "--url" => options.url = value.clone(),
            "--scenario" => options.scenario = value.clone(),
            "--clients" => options.clients = number()?.max(1) as usize,
            "--seconds" => options.seconds = number()?.max(1),
            "--warm-up" => options.warm_up = number()?,
            "--email" => options.email = Some(value.clone()),
            "--password" => options.password = Some(value.clone()),
            "--index" | "--database-url" => options.target = Some(value.clone()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    const SCENARIOS: [&str; 11] = [
        "floor",
        "search",
        "list",
        "node",
        "publish",
        "publish-at-once",
        "related",
        "recommendations",
        "search-floor",
        "search-postgres",
        "search-sqlite",
    ];
    if !SCENARIOS.contains(&options.scenario.as_str()) {
        return Err(format!("--scenario: one of {}", SCENARIOS.join(", ")));
    }
    if options.scenario.starts_with("search-") && options.target.is_none() {
        return Err(format!(
            "{} needs --index DIR (the floor) or --database-url URL",
            options.scenario
        ));
    }
    Ok(options)
}

/// One client's connection to the server, signed in or not.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    url: String,
    token: Option<String>,
}

impl Client {
    /// Runs a GraphQL request; its data, or why it failed.
    async fn run(&self, query: &str, variables: Value) -> Result<Value, String> {
        let mut request = self
            .http
            .post(&self.url)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|error| error.to_string())?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|error| format!("HTTP {status}: {error}"))?;
        if !status.is_success() || body.get("errors").is_some() || body["data"].is_null() {
            return Err(format!("HTTP {status}: {body}"));
        }
        Ok(body["data"].clone())
    }
}

/// What the clients share: the ids `node` looks up, the baseline engine, and the counters.
struct Shared {
    ids: Vec<String>,
    baseline: Option<baseline::Baseline>,
    errors: AtomicU64,
    published: AtomicU64,
    /// Unique titles across clients.
    serial: AtomicU64,
}

impl Shared {
    fn error(&self, scenario: &str, error: &str) {
        let count = self.errors.fetch_add(1, Ordering::Relaxed);
        if count < ERRORS_SHOWN {
            eprintln!("{scenario}: error: {error}");
        }
    }
}

/// The `number`th search of the mix: its text and filter. Half the queries are filtered, in
/// a cycle not aligned with the queries'.
fn search_mix(number: usize) -> (&'static str, Value) {
    let query = QUERIES[number % QUERIES.len()];
    let filter = if number.is_multiple_of(2) {
        Value::Null
    } else {
        filter(number / 2)
    };
    (query, filter)
}

/// One operation of `scenario`, the `step`th of client `client`.
async fn operation(
    scenario: &str,
    client: &Client,
    shared: &Shared,
    number: usize,
) -> Result<(), String> {
    match scenario {
        "floor" => client.run("{ __typename }", json!({})).await.map(drop),
        "search" => {
            let (query, filter) = search_mix(number);
            client
                .run(SEARCH, json!({ "q": query, "f": filter }))
                .await
                .map(drop)
        }
        "search-floor" | "search-postgres" | "search-sqlite" => {
            let (query, filter) = search_mix(number);
            match &shared.baseline {
                Some(baseline) => baseline.search(query, &filter).await,
                None => Err("no baseline engine".into()),
            }
        }
        "list" => {
            let data = client.run(LIST, json!({ "f": filter(number) })).await?;
            if data["opportunities"]["totalCount"].as_i64().is_none() {
                return Err(format!("no total: {data}"));
            }
            Ok(())
        }
        "node" => {
            let id = &shared.ids[number % shared.ids.len()];
            let data = client.run(NODE, json!({ "id": id })).await?;
            if data["node"]["id"] != json!(id) {
                return Err(format!("{id} not found: {data}"));
            }
            Ok(())
        }
        "publish" | "publish-at-once" => {
            let serial = shared.serial.fetch_add(1, Ordering::Relaxed);
            let marker = format!("loadgen{serial}x{}", std::process::id());
            let input = json!({
                "content": {
                    "title": format!("Warehouse robotics partner {marker}"),
                    "summary": "A logistics park seeks a partner for automated storage.",
                    "body": "The park handles cold-chain and bonded goods for cross-border trade and wants to automate its storage with robotics and a warehouse management system.",
                    "language": "en",
                    "countries": ["VN"],
                    "sectors": ["0506"],
                },
                "opportunityType": "PARTNERSHIP",
            });
            let status = if scenario == "publish-at-once" {
                let created = client
                    .run(CREATE_PUBLISHED, json!({ "input": input }))
                    .await?;
                created["createOpportunity"]["status"].clone()
            } else {
                let created = client.run(CREATE, json!({ "input": input })).await?;
                let id = created["createOpportunity"]["id"].clone();
                let published = client.run(PUBLISH, json!({ "id": id })).await?;
                published["publishContent"]["status"].clone()
            };
            if status != "PUBLISHED" {
                return Err(format!("not published: {status}"));
            }
            shared.published.fetch_add(1, Ordering::Relaxed);
            if serial.is_multiple_of(VERIFY_EVERY) {
                let found = client
                    .run(
                        "query($q: String) { search(query: $q) { totalCount } }",
                        json!({ "q": marker }),
                    )
                    .await?;
                if found["search"]["totalCount"] != 1 {
                    return Err(format!("{marker} not searchable once published: {found}"));
                }
            }
            Ok(())
        }
        "related" => {
            let id = &shared.ids[number % shared.ids.len()];
            let data = client.run(RELATED, json!({ "id": id })).await?;
            if !data["related"].is_array() {
                return Err(format!("no related items for {id}: {data}"));
            }
            Ok(())
        }
        "recommendations" => {
            let data = client.run(RECOMMENDATIONS, json!({})).await?;
            match data["recommendations"].as_array() {
                Some(found) if !found.is_empty() => Ok(()),
                _ => Err(format!("nothing recommended: {data}")),
            }
        }
        other => Err(format!("unknown scenario {other}")),
    }
}

/// The investor profile `recommendations` ranks by.
async fn set_profile(client: &Client) -> Result<(), String> {
    let input = json!({
        "countries": ["VN", "TH"],
        "sectors": ["05"],
        "ticketMin": "100000",
        "ticketMax": "5000000",
        "currency": "USD",
        "stages": ["GROWTH"],
        "opportunityTypes": ["INVESTMENT"],
        "thesis": "Cloud payments and cold chain logistics platforms for small merchants and farmers, cross-border e-commerce, growth stage.",
    });
    client
        .run(PROFILE, json!({ "input": input }))
        .await
        .map(drop)
}

/// Runs operations until `until`; records the latency of those that start after `record_from`.
async fn client_loop(
    scenario: String,
    client: Client,
    shared: Arc<Shared>,
    index: usize,
    record_from: Instant,
    until: Instant,
) -> Histogram<u64> {
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
    // Clients start at different points of the mix.
    let mut number = index * 7;
    while Instant::now() < until {
        let started = Instant::now();
        let outcome = operation(&scenario, &client, &shared, number).await;
        let micros = started.elapsed().as_micros() as u64;
        number += 1;
        match outcome {
            Ok(()) if started >= record_from => {
                let _ = histogram.record(micros.max(1));
            }
            Ok(()) => {}
            Err(error) => shared.error(&scenario, &error),
        }
    }
    histogram
}

async fn sign_in(
    http: &reqwest::Client,
    url: &str,
    options: &Options,
) -> Result<Option<String>, String> {
    let (Some(email), Some(password)) = (&options.email, &options.password) else {
        return Ok(None);
    };
    let client = Client {
        http: http.clone(),
        url: url.to_owned(),
        token: None,
    };
    let data = client
        .run(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            json!({ "e": email, "p": password }),
        )
        .await?;
    Ok(data["login"]["accessToken"].as_str().map(str::to_owned))
}

/// Ids for `node`: the newest opportunities, five pages of 100.
async fn some_ids(client: &Client) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    let mut after = Value::Null;
    for _ in 0..5 {
        let data = client
            .run(
                "query($after: String) { opportunities(first: 100, after: $after) { pageInfo { endCursor hasNextPage } edges { node { id } } } }",
                json!({ "after": after }),
            )
            .await?;
        let page = &data["opportunities"];
        ids.extend(
            page["edges"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|edge| edge["node"]["id"].as_str().map(str::to_owned)),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    if ids.is_empty() {
        return Err("no opportunities to look up".into());
    }
    Ok(ids)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(options.clients)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client");
    let token = match sign_in(&http, &options.url, &options).await {
        Ok(token) => token,
        Err(error) => {
            eprintln!("error: could not sign in: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let client = Client {
        http,
        url: options.url.clone(),
        token,
    };
    if options.scenario == "recommendations"
        && let Err(error) = set_profile(&client).await
    {
        eprintln!("error: could not set the investor profile: {error}");
        return std::process::ExitCode::FAILURE;
    }
    let ids = if matches!(options.scenario.as_str(), "node" | "related") {
        match some_ids(&client).await {
            Ok(ids) => ids,
            Err(error) => {
                eprintln!("error: {error}");
                return std::process::ExitCode::FAILURE;
            }
        }
    } else {
        Vec::new()
    };
    let baseline = match (&options.target, options.scenario.starts_with("search-")) {
        (Some(target), true) => match baseline::Baseline::open(&options.scenario, target).await {
            Ok(baseline) => Some(baseline),
            Err(error) => {
                eprintln!("error: {error}");
                return std::process::ExitCode::FAILURE;
            }
        },
        _ => None,
    };
    let shared = Arc::new(Shared {
        ids,
        baseline,
        errors: AtomicU64::new(0),
        published: AtomicU64::new(0),
        serial: AtomicU64::new(0),
    });
    let started = Instant::now();
    let record_from = started + Duration::from_secs(options.warm_up);
    let until = record_from + Duration::from_secs(options.seconds);
    let clients: Vec<_> = (0..options.clients)
        .map(|index| {
            tokio::spawn(client_loop(
                options.scenario.clone(),
                client.clone(),
                shared.clone(),
                index,
                record_from,
                until,
            ))
        })
        .collect();
    let mut total = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
    for handle in clients {
        if let Ok(histogram) = handle.await {
            let _ = total.add(histogram);
        }
    }
    let milliseconds = |micros: u64| micros as f64 / 1_000.0;
    let errors = shared.errors.load(Ordering::Relaxed);
    println!(
        "scenario={} clients={} seconds={} requests={} rate={:.1}/s p50={:.2}ms p90={:.2}ms p99={:.2}ms max={:.2}ms errors={errors}{}",
        options.scenario,
        options.clients,
        options.seconds,
        total.len(),
        total.len() as f64 / options.seconds as f64,
        milliseconds(total.value_at_quantile(0.50)),
        milliseconds(total.value_at_quantile(0.90)),
        milliseconds(total.value_at_quantile(0.99)),
        milliseconds(total.max()),
        if options.scenario.starts_with("publish") {
            format!(" published={}", shared.published.load(Ordering::Relaxed))
        } else {
            String::new()
        },
    );
    if errors > 0 {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
