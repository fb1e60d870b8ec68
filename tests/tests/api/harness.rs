//! `spawn_app()`: a real server on a random port, with its own database (a SQLite file, or a
//! fresh PostgreSQL database when INFOHARBOR_TEST_DATABASE_URL is set) and its own data dir.

use std::net::SocketAddr;

use api::app::Application;
use api::auth::Role;
use api::config::{ServeConfig, StorageConfig};
use api::service::users::{self, NewUser};
use api::state::AppState;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

/// Set to a PostgreSQL server URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run the
/// suite against PostgreSQL; each test then gets a database of its own on that server.
pub const POSTGRES_ENV: &str = "INFOHARBOR_TEST_DATABASE_URL";

pub struct TestApp {
    pub base_url: String,
    /// The secret access tokens are signed with, for tests that forge tokens.
    pub jwt_secret: String,
    pub http: reqwest::Client,
    pub state: AppState,
    /// The database it serves (for a second server beside it).
    database_url: String,
    _data_dir: tempfile::TempDir,
    postgres_database: Option<(String, String)>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// A signed-in test user.
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub token: String,
}

/// Options for a user beyond its role.
#[derive(Default, Clone)]
pub struct UserSpec {
    pub organisation: Option<String>,
    pub countries: Vec<String>,
    pub regions: Vec<String>,
    pub sectors: Vec<String>,
    pub trusted: bool,
}

async fn fresh_postgres_database(server_url: &str) -> (String, String) {
    let name = format!("ih_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(server_url)
        .await
        .expect("connect to the PostgreSQL test server");
    admin
        .execute_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("CREATE DATABASE {name}"),
        ))
        .await
        .expect("create a test database");
    admin.close().await.ok();
    let (base, _) = server_url
        .rsplit_once('/')
        .expect("a PostgreSQL URL ends with /database");
    (name.clone(), format!("{base}/{name}"))
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// `spawn_app` with changed server settings.
pub async fn spawn_app_with(configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
    let server_url = std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|url| !url.is_empty());
    spawn_app_on(server_url.as_deref(), configure).await
}

/// `spawn_app` on the PostgreSQL server at `server_url` (a fresh database there), or on
/// SQLite when `None`.
pub async fn spawn_app_on(
    server_url: Option<&str>,
    configure: impl FnOnce(&mut ServeConfig),
) -> TestApp {
    let data_dir = tempfile::tempdir().expect("a temporary data dir");
    let postgres_database = match server_url {
        Some(server_url) => {
            let (name, url) = fresh_postgres_database(server_url).await;
            Some((server_url.to_owned(), name, url))
        }
        None => None,
    };
    let storage = StorageConfig {
        data_dir: data_dir.path().to_path_buf(),
        database_url: postgres_database.as_ref().map(|(_, _, url)| url.clone()),
    };
    let jwt_secret = format!("test-secret-{}", uuid::Uuid::new_v4().simple());
    let mut serve = ServeConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        jwt_secret: Some(jwt_secret.clone()),
        ..ServeConfig::default()
    };
    configure(&mut serve);
    start(
        storage,
        serve,
        data_dir,
        postgres_database.map(|(server, name, _)| (server, name)),
    )
    .await
}

/// Starts a server with these settings; `postgres_database` (server URL and name) is dropped
/// with it.
async fn start(
    storage: StorageConfig,
    serve: ServeConfig,
    data_dir: tempfile::TempDir,
    postgres_database: Option<(String, String)>,
) -> TestApp {
    let application = Application::build(&storage, &serve)
        .await
        .expect("the application builds");
    let address = application.local_addr().expect("a bound address");
    let state = application.state().clone();
    // The search index catches up in the background; tests start once it has.
    state.search.wait_ready().await;
    let (shutdown, shutdown_signal) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(application.run_until(async move {
        let _ = shutdown_signal.await;
    }));
    TestApp {
        base_url: format!("http://{address}"),
        jwt_secret: serve.jwt_secret.clone().unwrap_or_default(),
        http: reqwest::Client::new(),
        state,
        database_url: api::db::resolve_url(storage.database_url.as_deref(), &storage.data_dir),
        _data_dir: data_dir,
        postgres_database,
        shutdown: Some(shutdown),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let Some((server_url, name)) = self.postgres_database.take() else {
            return;
        };
        // Drop runs outside async; drop the database from a thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                if let Ok(admin) = Database::connect(&server_url).await {
                    let statement = Statement::from_string(
                        admin.get_database_backend(),
                        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    );
                    let _ = admin.execute_raw(statement).await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

impl TestApp {
    /// A second server on this one's database (its own data dir and index; the same signing
    /// secret, so tokens work on both), with changed settings. It must be dropped first.
    pub async fn beside(&self, configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
        let data_dir = tempfile::tempdir().expect("a temporary data dir");
        let storage = StorageConfig {
            data_dir: data_dir.path().to_path_buf(),
            database_url: Some(self.database_url.clone()),
        };
        let mut serve = ServeConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            jwt_secret: Some(self.jwt_secret.clone()),
            ..ServeConfig::default()
        };
        configure(&mut serve);
        start(storage, serve, data_dir, None).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The value of the `/metrics` line that starts with `series` (a name and its labels).
    pub async fn metric(&self, series: &str) -> u64 {
        let text = self
            .http
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("/metrics answers")
            .text()
            .await
            .expect("/metrics is text");
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("{series} is not exported"))
            .parse()
            .expect("a counter")
    }

    /// Posts a GraphQL request and returns the whole JSON answer (`data` and `errors`).
    /// Waits until the counter `series` of `/metrics` reaches `at_least`: how a test knows
    /// that background work the server reports there (saved-search matching) is done.
    /// Fails after ten seconds.
    pub async fn metric_reaches(&self, series: &str, at_least: u64) {
        let reached = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while self.metric(series).await < at_least {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(reached.is_ok(), "{series} never reached {at_least}");
    }

    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .http
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        assert_eq!(
            response.status(),
            200,
            "GraphQL answers 200 for requests it executes"
        );
        response.json().await.expect("a JSON answer")
    }

    /// The `data` of a request that must succeed.
    pub async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let answer = self.graphql(token, query, variables).await;
        assert!(
            answer.get("errors").is_none(),
            "unexpected errors: {answer:#}"
        );
        answer["data"].clone()
    }

    /// The `extensions.code` of the first error of a request that must fail.
    pub async fn error_code(&self, token: Option<&str>, query: &str, variables: Value) -> String {
        let answer = self.graphql(token, query, variables).await;
        let code = answer["errors"][0]["extensions"]["code"].as_str();
        assert!(
            code.is_some(),
            "expected an error with a code, got {answer:#}"
        );
        code.unwrap_or_default().to_owned()
    }

    /// Creates a user of `role` and signs them in over HTTP.
    pub async fn user(&self, role: Role, spec: UserSpec) -> TestUser {
        let email = format!(
            "{}-{}@test.example",
            role.as_str().to_lowercase(),
            uuid::Uuid::new_v4().simple()
        );
        let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
        let user = users::upsert(
            &self.state,
            NewUser {
                email: email.clone(),
                password: password.clone(),
                role,
                name: Some(format!("Test {}", role.as_str().to_lowercase())),
                organisation: spec.organisation,
                countries: spec.countries,
                regions: spec.regions,
                sectors: spec.sectors,
                trusted: spec.trusted,
            },
        )
        .await
        .expect("the test user is created");
        let data = self
            .ok(None, "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }", json!({ "email": email, "password": password }))
            .await;
        let token = data["login"]["accessToken"]
            .as_str()
            .expect("an access token")
            .to_owned();
        TestUser {
            id: user.id,
            email,
            password,
            token,
        }
    }

    pub async fn secretariat(&self) -> TestUser {
        self.user(
            Role::Secretariat,
            UserSpec {
                organisation: Some("Alliance Secretariat".into()),
                ..UserSpec::default()
            },
        )
        .await
    }

    /// A member in good standing.
    pub async fn member(&self) -> TestUser {
        self.user(
            Role::Member,
            UserSpec {
                organisation: Some("Member Enterprise".into()),
                ..UserSpec::default()
            },
        )
        .await
    }

    /// A correspondent for every country, untrusted unless `trusted`.
    pub async fn correspondent(&self, trusted: bool) -> TestUser {
        let countries = [
            "CN", "BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN", "TL",
        ]
        .map(String::from)
        .to_vec();
        self.user(
            Role::Correspondent,
            UserSpec {
                countries,
                trusted,
                ..UserSpec::default()
            },
        )
        .await
    }
}
