//! Hostile requests against the real `infoharbor` binary, one table row per class of attack:
//! each must be refused with a public code (never `INTERNAL`, never a 5xx) within a second,
//! cost the server less than 100 MB of resident memory, and leave it up.
//!
//! Memory is the server process's `VmRSS` from `/proc/<pid>/status`: a thread samples it every
//! 10 ms while a row runs, and the row's figure is that peak minus the value just before the
//! row. Each row speaks from a loopback address of its own (127.0.1.N), as a separate attacker
//! would, so that one row's throttling (20 failed logins, 100 sign-ups) cannot decide another
//! row's answer. Every row runs even when an earlier one fails (a server that went down is
//! started again), so one run gives the whole picture; the figures are printed to stderr
//! (`--nocapture` shows them when the test passes). Set INFOHARBOR_TEST_DATABASE_URL to run
//! on PostgreSQL.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::http::header::SEC_WEBSOCKET_PROTOCOL;
use tokio_tungstenite::tungstenite::{self, Message};

use support::{Workspace, login, terminate, wait_ready};

/// The longest a single hostile request may take to be answered.
const ANSWER_WITHIN: Duration = Duration::from_secs(1);
/// How much resident memory one row may cost the server at its peak.
const RSS_GROWTH_LIMIT_BYTES: u64 = 100 * 1000 * 1000;
/// How much one row may grow the data dir (checked on SQLite, whose database lives there).
const DISK_GROWTH_LIMIT_BYTES: u64 = 1000 * 1000;
/// The server's default request body limit (`HARBOR_MAX_BODY_BYTES`).
const BODY_LIMIT_BYTES: usize = 1024 * 1024;
/// How often the memory sampler reads `VmRSS`.
const SAMPLE_EVERY: Duration = Duration::from_millis(10);
/// How long the client waits for an answer before calling it none: far past every bound
/// above (and the server's own 30 s request timeout), so that a slow answer is measured and
/// reported rather than cut off.
const GIVE_UP_AFTER: Duration = Duration::from_secs(60);
/// How long `/healthz` may take after a row before the server counts as down.
const HEALTH_WITHIN: Duration = Duration::from_secs(10);

const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
const RATE_LIMITED: &str = "RATE_LIMITED";
const UNAUTHENTICATED: &str = "UNAUTHENTICATED";

const SEARCH: &str = "query($q: String) { search(query: $q) { totalCount } }";
const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }";
const REGISTER: &str =
    "mutation($e: String!, $p: String!) { register(email: $e, password: $p) { accessToken } }";
const CREATE_OPPORTUNITY: &str =
    "mutation($i: OpportunityInput!) { createOpportunity(input: $i) { id } }";
/// Twelve characters, a valid password.
const TWELVE_CHARACTERS: &str = "twelve-chars";

// ---- the table ------------------------------------------------------------------------------

/// Who sends a row's requests.
#[derive(Clone, Copy)]
enum Caller {
    Anonymous,
    Secretariat,
    /// A correspondent for Viet Nam (VN) and the sector category 05.
    Correspondent,
}

/// One request of a row.
enum Probe {
    /// `POST /graphql` with this body, sent byte for byte as `application/json`.
    Post { caller: Caller, body: String },
    /// graphql-transport-ws over `/graphql/ws`: `connection_init`, then `subscribe` with this
    /// payload.
    Subscribe { payload: Value },
}

enum Pace {
    /// Each request once the previous one is answered; each within [`ANSWER_WITHIN`].
    OneAfterAnother,
    /// All requests at once; the whole batch answered within the bound.
    AllAtOnce { within: Duration },
}

struct Row {
    what: &'static str,
    /// The codes a refusal may carry; every error of every answer must have one of them.
    codes: &'static [&'static str],
    /// Whether an answer may also be a plain success: only for sign-ups, which are legitimate
    /// one by one and hostile only in a crowd.
    may_succeed: bool,
    pace: Pace,
    probes: fn() -> Vec<Probe>,
    /// A harmless sibling of the hostile request, sent first, which must succeed: it shows the
    /// refusal is for the hostile part, not for the caller's scope or a mistake in the fixture.
    control: Option<fn() -> Probe>,
    /// Whether the data dir may grow by at most [`DISK_GROWTH_LIMIT_BYTES`] (SQLite only).
    bounds_disk: bool,
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            what: "1 search, 1,000 nine-letter words",
            codes: &[BAD_USER_INPUT],
            may_succeed: false,
            pace: Pace::OneAfterAnother,
            probes: || vec![search(&nine_letter_words(1_000))],
            control: Some(|| search("digital economy")),
            bounds_disk: false,
        },
        Row {
            what: "2 search, 120 kB text; 1 MiB body",
            codes: &[BAD_USER_INPUT],
            may_succeed: false,
            pace: Pace::OneAfterAnother,
            probes: || vec![search(&prose(120_000)), search_filling_the_body_limit()],
            control: None,
            bounds_disk: false,
        },
        Row {
            what: "3 sector cycles, 20 and 400 aliases",
            codes: &[QUERY_TOO_COMPLEX, BAD_USER_INPUT],
            may_succeed: false,
            pace: Pace::OneAfterAnother,
            probes: || {
                vec![
                    anonymous(&sector_cycles(20), json!({})),
                    anonymous(&sector_cycles(400), json!({})),
                ]
            },
            control: Some(|| anonymous("{ sectors { code children { code } } }", json!({}))),
            bounds_disk: false,
        },
        Row {
            what: "4 login, 500 kB email, 20 times",
            codes: &[BAD_USER_INPUT, RATE_LIMITED, UNAUTHENTICATED],
            may_succeed: false,
            pace: Pace::OneAfterAnother,
            probes: || {
                let email = format!("{}@example.org", "a".repeat(500_000 - 12));
                let credentials = json!({ "e": email, "p": "not the password" });
                (0..20)
                    .map(|_| anonymous(LOGIN, credentials.clone()))
                    .collect()
            },
            control: None,
            bounds_disk: true,
        },
        Row {
            what: "5 register, 100 at once",
            codes: &[RATE_LIMITED, BAD_USER_INPUT],
            may_succeed: true,
            pace: Pace::AllAtOnce {
                within: Duration::from_secs(10),
            },
            probes: || {
                (0..100)
                    .map(|index| register(&format!("crowd-{index}@example.org")))
                    .collect()
            },
            control: None,
            bounds_disk: false,
        },
        Row {
            what: "6 opportunities, 40,000 tags",
            // Inline, the list makes a document longer than the document limit.
            codes: &[BAD_USER_INPUT, QUERY_TOO_COMPLEX],
            may_succeed: false,
            pace: Pace::OneAfterAnother,
            probes: || {
                let inline = within_body_limit("tags inline", 40_000, |count| {
                    let tags = serde_json::to_string(&short_tags(count)).unwrap();
                    request_body(
                        &format!(
                            "{{ opportunities(filter: {{ tags: {tags} }}) {{ totalCount }} }}"
                        ),
                        json!({}),
                    )
                });
                let variable = within_body_limit("tags in a variable", 40_000, |count| {
                    request_body(
                        "query($t: [String!]) { opportunities(filter: { tags: $t }) { totalCount } }",
                        json!({ "t": short_tags(count) }),
                    )
                });
                [inline, variable]
                    .into_iter()
                    .map(|body| Probe::Post {
                        caller: Caller::Anonymous,
                        body,
                    })
                    .collect()
            },
            control: Some(|| {
                anonymous(
                    "{ opportunities(filter: { tags: [\"a\", \"b\"] }) { totalCount } }",
                    json!({}),
                )
            }),
            bounds_disk: false,
        },
        Row {
            what: "7 auditLog(before: 2^40), secretariat",
            codes: &[BAD_USER_INPUT],
            may_succeed: false,
            pace: Pace::OneAfterAnother,
            probes: || {
                vec![as_caller(
                    Caller::Secretariat,
                    "{ auditLog(before: 1099511627776) { totalCount } }",
                    json!({}),
                )]
            },
            control: Some(|| {
                as_caller(
                    Caller::Secretariat,
                    "{ auditLog(first: 1) { totalCount } }",
                    json!({}),
                )
            }),
            bounds_disk: false,
        },
        Row {
            what: "8 createOpportunity, NUL in title",
            codes: &[BAD_USER_INPUT],
            may_succeed: false,
            pace: Pace::OneAfterAnother,
            probes: || vec![create_opportunity("Cloud\u{0}partner")],
            control: Some(|| create_opportunity("Cloud partner")),
            bounds_disk: false,
        },
        Row {
            what: "9 register, zero-width space in email",
            codes: &[BAD_USER_INPUT],
            may_succeed: false,
            pace: Pace::OneAfterAnother,
            probes: || vec![register("a\u{200B}b@example.org")],
            control: Some(|| register("zero-width-control@example.org")),
            bounds_disk: false,
        },
        Row {
            what: "10 @skip twice on one field",
            codes: &[BAD_USER_INPUT, QUERY_TOO_COMPLEX],
            may_succeed: false,
            pace: Pace::OneAfterAnother,
            probes: || {
                vec![anonymous(
                    "{ __typename @skip(if: false) @skip(if: false) }",
                    json!({}),
                )]
            },
            control: Some(|| anonymous("{ __typename @skip(if: false) }", json!({}))),
            bounds_disk: false,
        },
        Row {
            what: "11 20,000 duplicates; 50,000 aliases",
            codes: &[QUERY_TOO_COMPLEX, BAD_USER_INPUT],
            may_succeed: false,
            pace: Pace::OneAfterAnother,
            probes: || {
                let duplicates = within_body_limit("duplicate fields", 20_000, |count| {
                    request_body(&format!("{{ {}}}", "__typename ".repeat(count)), json!({}))
                });
                let aliases = within_body_limit("aliases", 50_000, |count| {
                    let fields: String = (0..count)
                        .map(|index| format!("a{index}: __typename "))
                        .collect();
                    request_body(&format!("{{ {fields}}}"), json!({}))
                });
                [duplicates, aliases]
                    .into_iter()
                    .map(|body| Probe::Post {
                        caller: Caller::Anonymous,
                        body,
                    })
                    .collect()
            },
            control: Some(|| anonymous("{ a0: __typename a1: __typename }", json!({}))),
            bounds_disk: false,
        },
        Row {
            what: "12 a query over the websocket",
            codes: &[BAD_USER_INPUT],
            may_succeed: false,
            pace: Pace::OneAfterAnother,
            probes: || {
                vec![Probe::Subscribe {
                    payload: json!({ "query": "{ __typename }" }),
                }]
            },
            control: None,
            bounds_disk: false,
        },
    ]
}

// ---- building the requests ------------------------------------------------------------------

fn request_body(query: &str, variables: Value) -> String {
    json!({ "query": query, "variables": variables }).to_string()
}

fn as_caller(caller: Caller, query: &str, variables: Value) -> Probe {
    Probe::Post {
        caller,
        body: request_body(query, variables),
    }
}

fn anonymous(query: &str, variables: Value) -> Probe {
    as_caller(Caller::Anonymous, query, variables)
}

fn search(text: &str) -> Probe {
    anonymous(SEARCH, json!({ "q": text }))
}

fn register(email: &str) -> Probe {
    anonymous(REGISTER, json!({ "e": email, "p": TWELVE_CHARACTERS }))
}

/// An opportunity within the correspondent's scope (VN, a sub-category of 05).
fn create_opportunity(title: &str) -> Probe {
    let input = json!({
        "content": { "title": title, "summary": "s", "body": "b", "language": "en", "countries": ["VN"], "sectors": ["0504"] },
        "opportunityType": "PARTNERSHIP",
    });
    as_caller(
        Caller::Correspondent,
        CREATE_OPPORTUNITY,
        json!({ "i": input }),
    )
}

/// `count` distinct-looking words of nine letters (the length that earns two typos), from a
/// fixed pseudo-random sequence so every run sends the same text.
fn nine_letter_words(count: usize) -> String {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next_letter = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        char::from(b'a' + ((state >> 33) % 26) as u8)
    };
    (0..count)
        .map(|_| (0..9).map(|_| next_letter()).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Ordinary words, exactly `bytes` long (ASCII, so as many characters).
fn prose(bytes: usize) -> String {
    let mut text = "digital economy partnership investment ".repeat(bytes / 39 + 1);
    text.truncate(bytes);
    text
}

/// A search whose body is exactly the body limit: the largest request the server must read.
fn search_filling_the_body_limit() -> Probe {
    let overhead = request_body(SEARCH, json!({ "q": "" })).len();
    let body = request_body(SEARCH, json!({ "q": prose(BODY_LIMIT_BYTES - overhead) }));
    assert_eq!(body.len(), BODY_LIMIT_BYTES);
    Probe::Post {
        caller: Caller::Anonymous,
        body,
    }
}

/// `count` aliases of a query that walks the sector tree down, up and down again.
fn sector_cycles(count: usize) -> String {
    let fields: String = (0..count)
        .map(|index| {
            format!(
                "a{index}: sectors {{ children {{ parent {{ children {{ parent {{ children {{ code }} }} }} }} }} }} "
            )
        })
        .collect();
    format!("{{ {fields}}}")
}

/// `count` one-letter tags, "a" to "z" over and over.
fn short_tags(count: usize) -> Vec<String> {
    (0..count)
        .map(|index| char::from(b'a' + (index % 26) as u8).to_string())
        .collect()
}

/// The body `build` makes for `wanted` items, or for as many as fit the body limit.
fn within_body_limit(what: &str, wanted: usize, build: impl Fn(usize) -> String) -> String {
    let mut count = wanted;
    loop {
        let body = build(count);
        if body.len() <= BODY_LIMIT_BYTES {
            if count < wanted {
                eprintln!("{what}: {count} of {wanted} fit in the body limit");
            }
            return body;
        }
        count = (count * BODY_LIMIT_BYTES / body.len()).min(count - 1);
    }
}

// ---- the answers ----------------------------------------------------------------------------

enum Reply {
    /// An HTTP answer: its status, the `extensions.code` of each GraphQL error in it
    /// (`<none>` for an error without one), whether it carries data, and the first error's
    /// message for the report.
    Http {
        status: u16,
        codes: Vec<String>,
        data: bool,
        first_message: Option<String>,
    },
    /// A websocket `error`, or `next` without data, with the codes of its errors.
    WebSocketRefused { codes: Vec<String> },
    /// A websocket `next` that carries data: the operation ran.
    WebSocketExecuted,
    /// The server closed the websocket (with this close code, if any).
    WebSocketClosed { code: Option<u16> },
    /// Anything else the websocket said.
    WebSocketOther(String),
    /// No answer at all: a dropped connection or a timeout.
    Nothing(String),
}

struct Answer {
    reply: Reply,
    took: Duration,
}

fn codes_of(errors: &Value) -> Vec<String> {
    errors
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|error| {
                    error["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn http_reply(status: u16, body: &[u8]) -> Reply {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let first_message = json["errors"][0]["message"]
        .as_str()
        .map(|message| message.chars().take(160).collect());
    Reply::Http {
        status,
        codes: codes_of(&json["errors"]),
        data: json["data"].is_object(),
        first_message,
    }
}

fn distinct(codes: &[String]) -> String {
    codes
        .iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .cloned()
        .collect::<Vec<_>>()
        .join("+")
}

impl Reply {
    /// A short description, the same for equal answers, to count them in the table.
    fn describe(&self) -> String {
        match self {
            Reply::Http { status, codes, .. } if !codes.is_empty() => {
                format!("{status} {}", distinct(codes))
            }
            Reply::Http {
                status, data: true, ..
            } => format!("{status} data"),
            Reply::Http { status, .. } => format!("{status}"),
            Reply::WebSocketRefused { codes } => format!("ws {}", distinct(codes)),
            Reply::WebSocketExecuted => "ws next with data".to_owned(),
            Reply::WebSocketClosed { code: Some(code) } => format!("ws close {code}"),
            Reply::WebSocketClosed { code: None } => "ws dropped".to_owned(),
            Reply::WebSocketOther(what) => format!("ws {what}"),
            Reply::Nothing(why) => format!("no answer ({why})"),
        }
    }

    /// Whether this is an answer the row allows; if not, why.
    fn judge(&self, row: &Row) -> Result<(), String> {
        let unexpected = |codes: &[String]| {
            codes
                .iter()
                .find(|code| !row.codes.contains(&code.as_str()))
                .cloned()
        };
        let detail = match self {
            Reply::Http { first_message, .. } => first_message
                .as_deref()
                .map(|message| format!(" (\"{message}\")"))
                .unwrap_or_default(),
            _ => String::new(),
        };
        let verdict = match self {
            Reply::Http { status, .. } if *status >= 500 => Err("a server error".to_owned()),
            Reply::Http { status, codes, .. } if (400..500).contains(status) => {
                match unexpected(codes) {
                    Some(code) => Err(format!("a refusal with the code {code}")),
                    None => Ok(()),
                }
            }
            Reply::Http {
                status: 200, codes, ..
            } if !codes.is_empty() => match unexpected(codes) {
                Some(code) => Err(format!("an error with the code {code}")),
                None => Ok(()),
            },
            Reply::Http {
                status: 200,
                data: true,
                ..
            } if row.may_succeed => Ok(()),
            Reply::Http {
                status: 200,
                data: true,
                ..
            } => Err("executed: data and no error".to_owned()),
            Reply::Http { .. } => Err("neither a refusal nor a GraphQL answer".to_owned()),
            Reply::WebSocketRefused { codes } if codes.is_empty() => {
                Err("an error without errors".to_owned())
            }
            Reply::WebSocketRefused { codes } => match unexpected(codes) {
                Some(code) => Err(format!("an error with the code {code}")),
                None => Ok(()),
            },
            Reply::WebSocketClosed { .. } => Ok(()),
            Reply::WebSocketExecuted => Err("the query ran over the websocket".to_owned()),
            Reply::WebSocketOther(_) | Reply::Nothing(_) => Err("not an answer".to_owned()),
        };
        verdict.map_err(|why| format!("{why}: {}{detail}", self.describe()))
    }
}

// ---- sending --------------------------------------------------------------------------------

struct Tokens {
    secretariat: String,
    correspondent: String,
}

impl Tokens {
    fn of(&self, caller: Caller) -> Option<&str> {
        match caller {
            Caller::Anonymous => None,
            Caller::Secretariat => Some(&self.secretariat),
            Caller::Correspondent => Some(&self.correspondent),
        }
    }
}

/// What a row sends from: its client address, the server, the tokens.
struct Sender<'a> {
    http: reqwest::Client,
    address: Ipv4Addr,
    base_url: &'a str,
    tokens: &'a Tokens,
}

impl Sender<'_> {
    async fn deliver(&self, probe: &Probe) -> Answer {
        let started = Instant::now();
        let reply = match probe {
            Probe::Post { caller, body } => self.post(*caller, body.clone()).await,
            Probe::Subscribe { payload } => {
                match tokio::time::timeout(GIVE_UP_AFTER, self.subscribe(payload)).await {
                    Ok(Ok(reply)) => reply,
                    Ok(Err(error)) => Reply::Nothing(error),
                    Err(_) => Reply::Nothing(format!("nothing within {GIVE_UP_AFTER:?}")),
                }
            }
        };
        Answer {
            reply,
            took: started.elapsed(),
        }
    }

    async fn post(&self, caller: Caller, body: String) -> Reply {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base_url))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(token) = self.tokens.of(caller) {
            request = request.bearer_auth(token);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return Reply::Nothing(error.to_string()),
        };
        let status = response.status().as_u16();
        match response.bytes().await {
            Ok(body) => http_reply(status, &body),
            Err(error) => Reply::Nothing(format!("{status}, then the body failed: {error}")),
        }
    }

    /// The graphql-transport-ws exchange: `connection_init`, its `connection_ack`, then
    /// `subscribe`, and the server's first word about it.
    async fn subscribe(&self, payload: &Value) -> Result<Reply, String> {
        let host = self.base_url.trim_start_matches("http://");
        let server: SocketAddr = host.parse().map_err(|error| format!("{host}: {error}"))?;
        let socket = tokio::net::TcpSocket::new_v4().map_err(|error| error.to_string())?;
        socket
            .bind(SocketAddr::new(IpAddr::V4(self.address), 0))
            .map_err(|error| error.to_string())?;
        let stream = socket
            .connect(server)
            .await
            .map_err(|error| error.to_string())?;
        let mut request = format!("ws://{host}/graphql/ws")
            .into_client_request()
            .map_err(|error| error.to_string())?;
        request.headers_mut().insert(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let mut websocket = match tokio_tungstenite::client_async(request, stream).await {
            Ok((websocket, _response)) => websocket,
            Err(tungstenite::Error::Http(response)) => {
                let body = response.body().clone().unwrap_or_default();
                return Ok(http_reply(response.status().as_u16(), &body));
            }
            Err(error) => return Err(error.to_string()),
        };
        let send = |message: Value| Message::text(message.to_string());
        websocket
            .send(send(json!({ "type": "connection_init", "payload": {} })))
            .await
            .map_err(|error| error.to_string())?;
        match next_message(&mut websocket).await {
            Incoming::Json(message) if message["type"] == "connection_ack" => {}
            Incoming::Json(message) => {
                return Ok(Reply::WebSocketOther(format!("{message} before the ack")));
            }
            Incoming::Closed(code) => return Ok(Reply::WebSocketClosed { code }),
            Incoming::Other(what) => return Ok(Reply::WebSocketOther(what)),
        }
        websocket
            .send(send(
                json!({ "type": "subscribe", "id": "1", "payload": payload }),
            ))
            .await
            .map_err(|error| error.to_string())?;
        Ok(match next_message(&mut websocket).await {
            Incoming::Json(message) if message["type"] == "error" => Reply::WebSocketRefused {
                codes: codes_of(&message["payload"]),
            },
            Incoming::Json(message)
                if message["type"] == "next" && !message["payload"]["data"].is_null() =>
            {
                Reply::WebSocketExecuted
            }
            Incoming::Json(message) if message["type"] == "next" => Reply::WebSocketRefused {
                codes: codes_of(&message["payload"]["errors"]),
            },
            Incoming::Json(message) => Reply::WebSocketOther(message.to_string()),
            Incoming::Closed(code) => Reply::WebSocketClosed { code },
            Incoming::Other(what) => Reply::WebSocketOther(what),
        })
    }
}

enum Incoming {
    Json(Value),
    Closed(Option<u16>),
    Other(String),
}

async fn next_message<S>(websocket: &mut tokio_tungstenite::WebSocketStream<S>) -> Incoming
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match websocket.next().await {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(Message::Text(text))) => {
                return match serde_json::from_str(text.as_str()) {
                    Ok(message) => Incoming::Json(message),
                    Err(_) => Incoming::Other(format!("not JSON: {text}")),
                };
            }
            Some(Ok(Message::Close(frame))) => {
                return Incoming::Closed(frame.map(|frame| u16::from(frame.code)));
            }
            Some(Ok(other)) => return Incoming::Other(format!("{other:?}")),
            Some(Err(_)) | None => return Incoming::Closed(None),
        }
    }
}

// ---- watching the server --------------------------------------------------------------------

/// The resident memory of process `pid` in bytes (`VmRSS`), or `None` once it is gone.
fn resident_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kibibytes: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    Some(kibibytes * 1024)
}

/// Samples a process's resident memory on a thread of its own until finished, keeping the peak.
struct MemoryWatch {
    before: u64,
    stop: Arc<AtomicBool>,
    sampler: std::thread::JoinHandle<u64>,
}

impl MemoryWatch {
    fn start(pid: u32) -> Option<MemoryWatch> {
        let before = resident_bytes(pid)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop_seen = stop.clone();
        let sampler = std::thread::spawn(move || {
            let mut peak = before;
            loop {
                peak = peak.max(resident_bytes(pid).unwrap_or(0));
                if stop_seen.load(Ordering::Relaxed) {
                    return peak;
                }
                // The sampling interval, not a wait for an event: memory has no event to wait on.
                std::thread::sleep(SAMPLE_EVERY);
            }
        });
        Some(MemoryWatch {
            before,
            stop,
            sampler,
        })
    }

    /// The peak growth over the value before the row, in bytes.
    fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let peak = self
            .sampler
            .join()
            .expect("the memory sampler does not panic");
        peak.saturating_sub(self.before)
    }
}

/// The bytes of every file under `path`.
fn disk_usage(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(metadata) if metadata.is_dir() => disk_usage(&entry.path()),
            Ok(metadata) => metadata.len(),
            Err(_) => 0,
        })
        .sum()
}

struct Server {
    process: Child,
    base_url: String,
}

impl Server {
    async fn start(workspace: &Workspace) -> Server {
        let (process, base_url) = workspace.serve();
        wait_ready(&base_url).await;
        Server { process, base_url }
    }

    /// Whether the process still runs and `/healthz` answers 200.
    async fn check_up(&mut self) -> Result<(), String> {
        if let Ok(Some(exit)) = self.process.try_wait() {
            return Err(format!("the server exited: {exit}"));
        }
        let health = reqwest::Client::new()
            .get(format!("{}/healthz", self.base_url))
            .timeout(HEALTH_WITHIN)
            .send()
            .await;
        match health {
            Ok(response) if response.status() == 200 => Ok(()),
            Ok(response) => Err(format!("/healthz answered {}", response.status())),
            Err(error) => Err(format!("/healthz did not answer: {error}")),
        }
    }

    /// A fresh server on the same data, after this one went down, so later rows still run.
    async fn replace(mut self, workspace: &Workspace) -> Server {
        if let Ok(None) = self.process.try_wait() {
            let _ = self.process.kill();
        }
        let _ = self.process.wait();
        Server::start(workspace).await
    }
}

// ---- running a row --------------------------------------------------------------------------

struct Outcome {
    what: &'static str,
    /// How many answers of each kind (by [`Reply::describe`]).
    answers: BTreeMap<String, usize>,
    slowest: Duration,
    batch: Option<Duration>,
    memory_growth: Option<u64>,
    disk_growth: Option<u64>,
    failures: Vec<String>,
}

async fn run(row: &Row, sender: &Sender<'_>, pid: u32, workspace: &Workspace) -> Outcome {
    let mut failures = Vec::new();
    if let Some(control) = row.control {
        let answer = sender.deliver(&control()).await;
        let succeeded = matches!(
            &answer.reply,
            Reply::Http { status: 200, codes, data: true, .. } if codes.is_empty()
        );
        if !succeeded {
            let why = answer
                .reply
                .judge(row)
                .err()
                .unwrap_or_else(|| answer.reply.describe());
            failures.push(format!("the harmless control request failed: {why}"));
        }
    }
    let probes = (row.probes)();
    let measures_disk = row.bounds_disk && workspace.database_url.is_none();
    let disk_before = measures_disk.then(|| disk_usage(workspace.data_dir.path()));
    let watch = MemoryWatch::start(pid);
    if watch.is_none() {
        failures.push("the server's memory could not be read before the row".to_owned());
    }
    let (answers, batch) = match row.pace {
        Pace::OneAfterAnother => {
            let mut answers = Vec::new();
            for probe in &probes {
                answers.push(sender.deliver(probe).await);
            }
            (answers, None)
        }
        Pace::AllAtOnce { within } => {
            let started = Instant::now();
            let answers =
                futures_util::future::join_all(probes.iter().map(|probe| sender.deliver(probe)))
                    .await;
            let took = started.elapsed();
            if took > within {
                failures.push(format!("the batch took {took:?}, more than {within:?}"));
            }
            (answers, Some(took))
        }
    };
    let memory_growth = watch.map(MemoryWatch::finish);
    let disk_growth =
        disk_before.map(|before| disk_usage(workspace.data_dir.path()).saturating_sub(before));

    let mut counted = BTreeMap::new();
    for (index, answer) in answers.iter().enumerate() {
        *counted.entry(answer.reply.describe()).or_insert(0) += 1;
        if let Err(why) = answer.reply.judge(row) {
            failures.push(format!("request {}: {why}", index + 1));
        }
        if matches!(row.pace, Pace::OneAfterAnother) && answer.took > ANSWER_WITHIN {
            failures.push(format!(
                "request {} took {:?}, more than {ANSWER_WITHIN:?}",
                index + 1,
                answer.took
            ));
        }
    }
    if let Some(growth) = memory_growth
        && growth >= RSS_GROWTH_LIMIT_BYTES
    {
        failures.push(format!(
            "resident memory grew by {:.1} MB, at least {} MB",
            megabytes(growth),
            megabytes(RSS_GROWTH_LIMIT_BYTES)
        ));
    }
    if let Some(growth) = disk_growth
        && growth >= DISK_GROWTH_LIMIT_BYTES
    {
        failures.push(format!(
            "the data dir grew by {:.2} MB, at least {} MB",
            megabytes(growth),
            megabytes(DISK_GROWTH_LIMIT_BYTES)
        ));
    }
    Outcome {
        what: row.what,
        answers: counted,
        slowest: answers
            .iter()
            .map(|answer| answer.took)
            .max()
            .unwrap_or_default(),
        batch,
        memory_growth,
        disk_growth,
        failures,
    }
}

fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

fn print_table(outcomes: &[Outcome]) {
    eprintln!(
        "\n{:<40} {:>9} {:>9} {:>10} {:>9}  {:<4}  answers",
        "row", "slowest", "batch", "peak RSS+", "disk+", "ok"
    );
    for outcome in outcomes {
        let answers: Vec<String> = outcome
            .answers
            .iter()
            .map(|(answer, count)| format!("{count}× {answer}"))
            .collect();
        eprintln!(
            "{:<40} {:>9} {:>9} {:>10} {:>9}  {:<4}  {}",
            outcome.what,
            format!("{:.0} ms", outcome.slowest.as_secs_f64() * 1000.0),
            outcome
                .batch
                .map(|batch| format!("{:.2} s", batch.as_secs_f64()))
                .unwrap_or_else(|| "-".to_owned()),
            outcome
                .memory_growth
                .map(|growth| format!("{:.1} MB", megabytes(growth)))
                .unwrap_or_else(|| "?".to_owned()),
            outcome
                .disk_growth
                .map(|growth| format!("{:.2} MB", megabytes(growth)))
                .unwrap_or_else(|| "-".to_owned()),
            if outcome.failures.is_empty() {
                "yes"
            } else {
                "NO"
            },
            answers.join(", ")
        );
    }
    for outcome in outcomes {
        for failure in &outcome.failures {
            eprintln!("row {}: {failure}", outcome.what);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_hostile_request_takes_more_than_a_second_or_100_mb_or_the_server_down() {
    let workspace = Workspace::new().await;
    workspace.run(
        &[
            "user",
            "add",
            "--email",
            "secretariat@example.org",
            "--role",
            "secretariat",
        ],
        "secretariat password\n",
    );
    workspace.run(
        &[
            "user",
            "add",
            "--email",
            "correspondent@example.org",
            "--role",
            "correspondent",
            "--countries",
            "VN",
            "--sectors",
            "05",
        ],
        "correspondent password\n",
    );
    let mut server = Server::start(&workspace).await;
    let tokens = Tokens {
        secretariat: login(
            &server.base_url,
            "secretariat@example.org",
            "secretariat password",
        )
        .await,
        correspondent: login(
            &server.base_url,
            "correspondent@example.org",
            "correspondent password",
        )
        .await,
    };

    let mut outcomes = Vec::new();
    for (index, row) in rows().iter().enumerate() {
        let address = Ipv4Addr::new(127, 0, 1, u8::try_from(index + 1).unwrap());
        let sender = Sender {
            http: reqwest::Client::builder()
                .local_address(IpAddr::V4(address))
                .timeout(GIVE_UP_AFTER)
                .build()
                .unwrap(),
            address,
            base_url: &server.base_url,
            tokens: &tokens,
        };
        let mut outcome = run(row, &sender, server.process.id(), &workspace).await;
        if let Err(down) = server.check_up().await {
            outcome.failures.push(down);
            server = server.replace(&workspace).await;
        }
        outcomes.push(outcome);
    }
    print_table(&outcomes);
    terminate(server.process);

    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|outcome| !outcome.failures.is_empty())
        .map(|outcome| outcome.what)
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} hostile rows failed (figures and reasons above): {failed:?}",
        failed.len(),
        outcomes.len()
    );
}
