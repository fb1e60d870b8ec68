//! The `infoharbor` binary as an operator uses it: `migrate`, `user add` with the password on
//! stdin, `seed --demo` (twice), and `serve` that shuts down cleanly on SIGTERM.
//!
//! These live beside the binary (not in `tests/`) because only here does cargo build it
//! and say where it is. Set INFOHARBOR_TEST_DATABASE_URL to run them on PostgreSQL.

mod support;

use std::process::Command;

use serde_json::{Value, json};

use support::{BINARY, Workspace, graphql, login, terminate, wait_ready};

#[tokio::test]
async fn an_operator_migrates_adds_a_trusted_correspondent_who_then_publishes() {
    let workspace = Workspace::new().await;
    let migrated = workspace.run(&["migrate"], "");
    assert!(String::from_utf8_lossy(&migrated.stdout).contains("up to date"));
    workspace.run(
        &[
            "user",
            "add",
            "--email",
            "Writer@Example.org",
            "--role",
            "correspondent",
            "--name",
            "Writer",
            "--org",
            "Nanning Office",
            "--countries",
            "CN,VN",
            "--sectors",
            "03",
            "--trusted",
        ],
        "a long enough password\n",
    );
    let (server, base_url) = workspace.serve();
    let token = login(&base_url, "writer@example.org", "a long enough password").await;
    let input = json!({ "content": { "title": "Cloud migration partner", "summary": "s", "body": "b", "language": "zh", "countries": ["VN"], "sectors": ["0304"] }, "opportunityType": "PARTNERSHIP" });
    let created = graphql(
        &base_url,
        Some(&token),
        "mutation($i: OpportunityInput!) { createOpportunity(input: $i) { id } }",
        json!({ "i": input }),
    )
    .await;
    let id = created["data"]["createOpportunity"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let published = graphql(
        &base_url,
        Some(&token),
        "mutation($id: ID!) { publishContent(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(published["data"]["publishContent"]["status"], "PUBLISHED");
    let outside = json!({ "content": { "title": "t", "summary": "s", "body": "b", "language": "en", "countries": ["TH"], "sectors": ["0304"] }, "opportunityType": "PARTNERSHIP" });
    let refused = graphql(
        &base_url,
        Some(&token),
        "mutation($i: OpportunityInput!) { createOpportunity(input: $i) { id } }",
        json!({ "i": outside }),
    )
    .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "--countries limits the scope"
    );
    terminate(server);
}

#[tokio::test]
async fn the_generated_secret_is_private_and_survives_a_restart() {
    use std::os::unix::fs::PermissionsExt;
    let workspace = Workspace::new().await;
    workspace.run(
        &[
            "user",
            "add",
            "--email",
            "reader@example.org",
            "--role",
            "user",
        ],
        "another long password\n",
    );
    let secret = workspace.data_dir.path().join("jwt-secret");
    if workspace.database_url.is_none() {
        assert_eq!(
            std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
            0o600
        );
    } else {
        // On PostgreSQL the secret is the cluster's, kept in the database: no node keeps a
        // copy of its own, so every node checks the others' tokens.
        assert!(
            !secret.exists(),
            "on PostgreSQL the secret stays out of the data dir"
        );
    }
    let (server, base_url) = workspace.serve();
    let token = login(&base_url, "reader@example.org", "another long password").await;
    terminate(server);
    let (server, base_url) = workspace.serve();
    let me = graphql(&base_url, Some(&token), "{ me { email role } }", json!({})).await;
    assert_eq!(
        me["data"]["me"],
        json!({ "email": "reader@example.org", "role": "USER" }),
        "a token from before the restart still works"
    );
    terminate(server);
}

#[tokio::test]
async fn seeding_the_demo_twice_adds_it_once() {
    let workspace = Workspace::new().await;
    let first = workspace.run(&["seed", "--demo"], "");
    let first_output = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(first_output.contains("295 items added"), "{first_output}");
    assert!(
        first_output.contains("member@demo.infoharbor.example / demo-member-2026"),
        "the demo passwords are printed"
    );
    assert!(
        String::from_utf8_lossy(&first.stderr).contains("demo items: 295/295"),
        "progress is shown"
    );
    let second = workspace.run(&["seed", "--demo"], "");
    assert!(String::from_utf8_lossy(&second.stdout).contains("0 items added, 295 already there"));

    let (server, base_url) = workspace.serve();
    let counts = "{ opportunities(filter: { includeExpired: true }) { totalCount } policies { totalCount } researchResults { totalCount } events { totalCount } }";
    let total = |answer: &Value| {
        ["opportunities", "policies", "researchResults", "events"]
            .iter()
            .map(|kind| answer["data"][kind]["totalCount"].as_i64().unwrap())
            .sum::<i64>()
    };
    let anonymous = total(&graphql(&base_url, None, counts, json!({})).await);
    let member_token = login(
        &base_url,
        "member@demo.infoharbor.example",
        "demo-member-2026",
    )
    .await;
    let member = total(&graphql(&base_url, Some(&member_token), counts, json!({})).await);
    assert!(
        anonymous > 100,
        "most demo items are public and published: {anonymous}"
    );
    assert!(
        member > anonymous,
        "members see member-only items too: {member} vs {anonymous}"
    );
    terminate(server);
}

async fn found(base_url: &str, word: &str) -> Vec<String> {
    let answer = graphql(
        base_url,
        None,
        "query($q: String) { search(query: $q) { edges { node { id } } } }",
        json!({ "q": word }),
    )
    .await;
    answer["data"]["search"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Creates an item with `word` in its title; publishes it when asked. Returns its id once
/// every step was acknowledged.
async fn write(base_url: &str, token: &str, word: &str, publish: bool) -> Option<String> {
    let input = json!({ "content": { "title": format!("Crash test {word}"), "summary": "s", "body": "b", "language": "en", "countries": ["VN"], "sectors": ["0304"] }, "opportunityType": "PARTNERSHIP" });
    let client = reqwest::Client::new();
    let send = |query: &'static str, variables: Value| {
        client
            .post(format!("{base_url}/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
    };
    let created: Value = send(
        "mutation($i: OpportunityInput!) { createOpportunity(input: $i) { id } }",
        json!({ "i": input }),
    )
    .await
    .ok()?
    .json()
    .await
    .ok()?;
    let id = created["data"]["createOpportunity"]["id"]
        .as_str()?
        .to_owned();
    if publish {
        let published: Value = send(
            "mutation($id: ID!) { publishContent(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await
        .ok()?
        .json()
        .await
        .ok()?;
        (published["data"]["publishContent"]["status"] == "PUBLISHED").then_some(())?;
    }
    Some(id)
}

#[tokio::test]
async fn acknowledged_writes_survive_a_kill_and_a_deleted_index_is_rebuilt() {
    let workspace = Workspace::new().await;
    workspace.run(
        &[
            "user",
            "add",
            "--email",
            "w@example.org",
            "--role",
            "correspondent",
            "--countries",
            "VN",
            "--trusted",
        ],
        "crash test password\n",
    );
    let (mut server, base_url) = workspace.serve();
    wait_ready(&base_url).await;
    let token = login(&base_url, "w@example.org", "crash test password").await;

    let acknowledged =
        std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, String, bool)>::new()));
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let (base_url, token, acknowledged) =
                (base_url.clone(), token.clone(), acknowledged.clone());
            tokio::spawn(async move {
                for round in 0..1_000 {
                    let publish = round % 3 != 2;
                    let word =
                        format!("w{writer}r{round}{}", if publish { "pub" } else { "draft" });
                    match write(&base_url, &token, &word, publish).await {
                        Some(id) => acknowledged.lock().unwrap().push((word, id, publish)),
                        None => return,
                    }
                }
            })
        })
        .collect();
    // Kill the server mid-stream, right after a batch of acknowledgements.
    let enough = 40;
    let started = std::time::Instant::now();
    while acknowledged.lock().unwrap().len() < enough {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "the writers made no progress"
        );
        tokio::task::yield_now().await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    for writer in writers {
        let _ = writer.await;
    }

    let (server, base_url) = workspace.serve();
    wait_ready(&base_url).await;
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= enough);
    for (word, id, published) in &acknowledged {
        let hits = found(&base_url, word).await;
        if *published {
            assert_eq!(
                hits,
                vec![id.clone()],
                "acknowledged {word} is searchable after the crash"
            );
        } else {
            assert!(hits.is_empty(), "unpublished {word} is not searchable");
        }
    }
    terminate(server);

    std::fs::remove_dir_all(workspace.data_dir.path().join("index")).unwrap();
    let (server, base_url) = workspace.serve();
    wait_ready(&base_url).await;
    let (word, id, _) = acknowledged
        .iter()
        .find(|(_, _, published)| *published)
        .unwrap();
    assert_eq!(
        found(&base_url, word).await,
        vec![id.clone()],
        "a deleted index is rebuilt at start"
    );
    terminate(server);

    std::fs::write(
        workspace.data_dir.path().join("index").join("meta.json"),
        b"{ not json",
    )
    .unwrap();
    let (server, base_url) = workspace.serve();
    wait_ready(&base_url).await;
    assert_eq!(
        found(&base_url, word).await,
        vec![id.clone()],
        "a damaged index is rebuilt at start"
    );
    terminate(server);

    let reindexed = workspace.run(&["reindex"], "");
    assert!(String::from_utf8_lossy(&reindexed.stdout).contains("search index rebuilt"));
}

#[test]
fn an_unusable_data_dir_stops_the_server_at_once_with_a_clear_message() {
    // A data dir under a regular file can never be created, whoever runs the test (root
    // ignores permission bits, so a read-only folder would not do).
    let file = tempfile::NamedTempFile::new().unwrap();
    let data_dir = file.path().join("data");
    let stderr = start_failure(&data_dir);
    assert!(
        stderr.contains("failed to create the data dir")
            && stderr.contains(data_dir.to_str().unwrap()),
        "{stderr}"
    );
}

/// A small tmpfs mounted for one test (the test runs as root, as CI does).
struct Mount {
    path: std::path::PathBuf,
}

impl Mount {
    fn tmpfs(options: &str) -> Mount {
        let path = std::env::temp_dir().join(format!("ih-mount-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).unwrap();
        let status = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                options,
                "tmpfs",
                path.to_str().unwrap(),
            ])
            .status()
            .unwrap();
        assert!(status.success(), "mounting a tmpfs needs root, as CI runs");
        Mount { path }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn start_failure(data_dir: &std::path::Path) -> String {
    let output = Command::new(BINARY)
        .args([
            "--data-dir",
            data_dir.to_str().unwrap(),
            "serve",
            "--bind",
            "127.0.0.1:0",
        ])
        .env_remove("DATABASE_URL")
        .env_remove("HARBOR_JWT_SECRET")
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "the server must not start on {}",
        data_dir.display()
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
        .unwrap_or(false)
}

#[test]
fn a_full_or_read_only_disk_stops_the_server_with_a_clear_message() {
    if !is_root() {
        eprintln!("skipped: mounting a small disk needs root (CI runs as root)");
        return;
    }
    let full = Mount::tmpfs("size=64k");
    let mut filler = std::fs::File::create(full.path.join("filler")).unwrap();
    let block = vec![0u8; 4096];
    while std::io::Write::write_all(&mut filler, &block).is_ok() {}
    drop(filler);
    let stderr = start_failure(&full.path.join("data"));
    assert!(
        stderr.contains("failed to") && stderr.to_lowercase().contains("full")
            || stderr.contains("No space left"),
        "{stderr}"
    );

    let read_only = Mount::tmpfs("size=64k,ro");
    let stderr = start_failure(&read_only.path.join("data"));
    assert!(
        stderr.contains("failed to create the data dir")
            && stderr.contains("Read-only file system"),
        "{stderr}"
    );
}

#[tokio::test]
async fn an_import_writes_the_valid_lines_reports_the_others_and_indexes_them() {
    let workspace = Workspace::new().await;
    for (email, role) in [
        ("writer@example.org", "correspondent"),
        ("reader@example.org", "member"),
    ] {
        workspace.run(
            &[
                "user",
                "add",
                "--email",
                email,
                "--role",
                role,
                "--org",
                "Importers",
            ],
            "a long enough password\n",
        );
    }
    let content = |title: &str, visibility: &str| json!({ "title": title, "summary": "s", "body": "b", "language": "en", "countries": ["VN"], "sectors": ["0505"], "visibility": visibility });
    let lines = [
        // 1: published in 2024, its deadline long past: old content comes in as it was.
        json!({ "kind": "OPPORTUNITY", "author": "writer@example.org", "publishedAt": "2024-05-01T08:00:00Z",
                "content": content("Quokkaimport payment gateway", "PUBLIC"), "opportunityType": "INVESTMENT", "deadline": "2024-06-30" }).to_string(),
        // 2: a draft.
        json!({ "kind": "POLICY", "author": "writer@example.org", "status": "DRAFT",
                "content": content("Quokkaimport draft rule", "PUBLIC"), "policyType": "LAW", "issuingAuthority": "Ministry" }).to_string(),
        "{ not json".to_owned(),
        json!({ "author": "writer@example.org", "content": content("No kind", "PUBLIC") }).to_string(),
        json!({ "kind": "RESEARCH", "author": "writer@example.org", "content": { "title": "t", "summary": "s", "body": "b", "language": "en", "countries": ["XX"], "sectors": ["0505"] }, "institutions": ["U"] }).to_string(),
        json!({ "kind": "RESEARCH", "author": "nobody@example.org", "content": content("Unknown author", "PUBLIC"), "institutions": ["U"] }).to_string(),
        json!({ "kind": "RESEARCH", "author": "reader@example.org", "content": content("A member as author", "PUBLIC"), "institutions": ["U"] }).to_string(),
        String::new(),
        // 9: member-only and published.
        json!({ "kind": "EVENT", "author": "writer@example.org", "content": content("Quokkaimport members forum", "MEMBERS"),
                "eventType": "FORUM", "startsAt": "2027-03-01T09:00:00Z", "endsAt": "2027-03-01T17:00:00Z", "online": true }).to_string(),
        // 10: archived.
        json!({ "kind": "RESEARCH", "author": "writer@example.org", "status": "ARCHIVED", "content": content("Quokkaimport archived study", "PUBLIC"), "institutions": ["U"] }).to_string(),
    ];
    let file = workspace.data_dir.path().join("items.ndjson");
    // 11: not UTF-8.
    let mut bytes = lines.join("\n").into_bytes();
    bytes.extend_from_slice(b"\n\xff\xfe{}");
    std::fs::write(&file, bytes).unwrap();
    let output = workspace.run(&["import", file.to_str().unwrap(), "--batch", "2"], "");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("imported 4 items (2 published) from 11 lines"),
        "{stdout}"
    );
    assert!(stdout.contains("skipped 6 lines:"), "{stdout}");
    for expected in [
        "line 3: not JSON",
        "line 4: kind: required",
        "line 5: content.countries",
        "line 6: author: no user nobody@example.org",
        "line 7: author: reader@example.org is a member",
        "line 11: not UTF-8 text",
    ] {
        assert!(stdout.contains(expected), "{expected} in {stdout}");
    }

    let (server, base_url) = workspace.serve();
    let find = "{ search(query: \"quokkaimport\", filter: { includeExpired: true }) { totalCount edges { node { title publishedAt } } } }";
    let anonymous = graphql(&base_url, None, find, json!({})).await;
    assert_eq!(
        anonymous["data"]["search"]["totalCount"], 1,
        "only the published public item: {anonymous}"
    );
    assert_eq!(
        anonymous["data"]["search"]["edges"][0]["node"]["publishedAt"],
        "2024-05-01T08:00:00Z"
    );
    let token = login(&base_url, "reader@example.org", "a long enough password").await;
    let member = graphql(&base_url, Some(&token), find, json!({})).await;
    assert_eq!(member["data"]["search"]["totalCount"], 2, "{member}");
    let listed = graphql(
        &base_url,
        None,
        "{ opportunities { totalCount } expired: opportunities(filter: { includeExpired: true }) { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(listed["data"]["opportunities"]["totalCount"], 0, "expired");
    assert_eq!(listed["data"]["expired"]["totalCount"], 1);
    terminate(server);
}
