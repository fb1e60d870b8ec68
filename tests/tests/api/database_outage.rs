//! PostgreSQL going away under load and coming back: requests fail cleanly with INTERNAL,
//! `/readyz` says not ready, and the service resumes by itself. The test runs its own
//! PostgreSQL cluster (it stops and starts it), and only in the PostgreSQL pass of the suite.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{POSTGRES_ENV, TestApp, spawn_app_on};

/// A throwaway PostgreSQL cluster owned by the `postgres` system user.
struct Cluster {
    directory: PathBuf,
    port: u16,
    bin: PathBuf,
}

fn postgres_bin() -> Option<PathBuf> {
    let versions = std::fs::read_dir("/usr/lib/postgresql").ok()?;
    versions
        .filter_map(Result::ok)
        .map(|version| version.path().join("bin"))
        .find(|bin| bin.join("initdb").exists())
}

fn as_postgres(bin: &Path, tool: &str, arguments: &[&str]) -> std::process::Output {
    Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(bin.join(tool))
        .args(arguments)
        .output()
        .expect("runuser runs")
}

impl Cluster {
    fn start() -> Option<Cluster> {
        let bin = postgres_bin()?;
        let directory =
            std::env::temp_dir().join(format!("ih-outage-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&directory).ok()?;
        Command::new("chown")
            .args(["postgres:postgres", directory.to_str()?])
            .status()
            .ok()?
            .success()
            .then_some(())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let data = directory.join("data");
        let initialised = as_postgres(
            &bin,
            "initdb",
            &["-D", data.to_str()?, "-A", "trust", "-U", "postgres"],
        );
        assert!(
            initialised.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&initialised.stderr)
        );
        let cluster = Cluster {
            directory,
            port,
            bin,
        };
        cluster.pg_ctl("start");
        Some(cluster)
    }

    fn pg_ctl(&self, action: &str) {
        let data = self.directory.join("data");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.directory.display()
        );
        let log = self.directory.join("log");
        let mut arguments = vec![
            "-D",
            data.to_str().unwrap(),
            "-w",
            "-l",
            log.to_str().unwrap(),
            "-o",
            &options,
            action,
        ];
        if action == "stop" {
            arguments.extend(["-m", "fast"]);
        }
        let output = as_postgres(&self.bin, "pg_ctl", &arguments);
        assert!(
            output.status.success(),
            "pg_ctl {action}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.directory.join("data");
        let _ = as_postgres(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap_or_default(),
                "-m",
                "immediate",
                "stop",
            ],
        );
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

async fn ready(app: &TestApp) -> u16 {
    app.http
        .get(app.url("/readyz"))
        .send()
        .await
        .map(|response| response.status().as_u16())
        .unwrap_or(0)
}

#[tokio::test]
async fn the_database_going_away_fails_requests_cleanly_and_service_resumes_by_itself() {
    if std::env::var(POSTGRES_ENV)
        .map(|url| url.is_empty())
        .unwrap_or(true)
    {
        return; // A PostgreSQL fault: it belongs to the PostgreSQL pass.
    }
    let Some(cluster) = Cluster::start() else {
        panic!(
            "could not start a private PostgreSQL cluster (needs root, runuser and the server binaries)"
        );
    };
    let app = spawn_app_on(Some(&cluster.url()), |_| {}).await;
    let author = app.correspondent(true).await;
    let create = "mutation($input: OpportunityInput!) { createOpportunity(input: $input) { id } }";
    let input = || json!({ "input": crate::fixtures::opportunity_input("Outage test", &["VN"], &["0504"], "PUBLIC") });
    app.ok(Some(&author.token), create, input()).await;
    assert_eq!(ready(&app).await, 200);

    cluster.pg_ctl("stop");
    for _ in 0..2 {
        let response = app
            .http
            .post(app.url("/graphql"))
            .json(&json!({ "query": "{ opportunities { totalCount } }" }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: serde_json::Value = response
            .json()
            .await
            .expect("a JSON answer, not a dropped connection");
        assert!(status == 200 || status == 500, "{status}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "INTERNAL",
            "{body}"
        );
        let text = body.to_string().to_lowercase();
        assert!(
            !text.contains("postgres")
                && !text.contains("connection refused")
                && !text.contains("sqlx"),
            "{text}"
        );
    }
    assert_eq!(
        ready(&app).await,
        503,
        "not ready while the database is away"
    );

    cluster.pg_ctl("start");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = app
            .graphql(
                Some(&author.token),
                "{ opportunities(filter: { statuses: [DRAFT] }) { totalCount } }",
                json!({}),
            )
            .await;
        if answer.get("errors").is_none() {
            assert_eq!(
                answer["data"]["opportunities"]["totalCount"], 1,
                "nothing acknowledged was lost"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the service did not resume: {answer}"
        );
        // Waiting for another process (the database) to come back; nothing here to await.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.ok(Some(&author.token), create, input()).await;
    // Ready again once the index has read the change log since the outage (its next poll,
    // or the notification of the write above once the listener has reconnected).
    let deadline = Instant::now() + Duration::from_secs(5);
    while ready(&app).await != 200 {
        assert!(
            Instant::now() < deadline,
            "/readyz did not recover within 5 s of the database's return"
        );
        // Waiting for the server's own background follower; nothing here to await.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
