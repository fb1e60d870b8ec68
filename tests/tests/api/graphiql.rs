//! GraphiQL in a real browser: headless Chromium opens `GET /graphql` of a spawned server with
//! every host but loopback unresolvable, runs a query, opens the documentation explorer and
//! saves a screenshot. It proves the page needs nothing from the internet.
//!
//! Chromium is driven over the DevTools protocol by the small client below (a websocket and
//! JSON, nothing more). The browser is Debian's `chromium`; CI (`.ci/run`) installs it when
//! missing. Elsewhere, without it, the browser test says it is skipped and passes.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::harness::spawn_app;

const CHROMIUM_CANDIDATES: [&str; 2] = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

/// How long one step (start, render, query, introspection) may take in a slow CI.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// The query the test types into GraphiQL: reference data every fresh database has. English
/// names, since a test machine may have no CJK fonts for the screenshot.
const QUERY: &str = "{\n  countries {\n    code\n    name(lang: \"en\")\n  }\n}\n";

fn chromium_path() -> Option<PathBuf> {
    CHROMIUM_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
}

/// Chromium with no network but loopback: every name resolves to nothing except 127.0.0.1,
/// and QUIC, sync, component updates and other background fetches are off.
async fn launch_chromium(executable: &Path, profile_dir: &Path) -> anyhow::Result<(Child, String)> {
    let mut child = Command::new(executable)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=1400,900",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile_dir.display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("failed to start chromium")?;
    let stderr = child.stderr.take().context("chromium's stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let devtools_url = tokio::time::timeout(STEP_TIMEOUT, async {
        while let Some(line) = lines.next_line().await? {
            if let Some((_, url)) = line.split_once("DevTools listening on ") {
                return Ok(url.trim().to_owned());
            }
        }
        bail!("chromium exited before listening for DevTools")
    })
    .await
    .context("chromium did not start in time")??;
    // Keep draining stderr so that a chatty browser never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, devtools_url))
}

/// A DevTools protocol client on one page, attached through the browser's socket.
struct DevTools {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    session_id: Option<String>,
    /// Every URL the page requested, from `Network.requestWillBeSent`.
    requested_urls: Vec<String>,
    /// Exceptions and console errors, shown when the test fails.
    page_errors: Vec<String>,
}

impl DevTools {
    async fn connect(browser_url: &str) -> anyhow::Result<Self> {
        let (socket, _) = connect_async(browser_url)
            .await
            .context("failed to connect to chromium's DevTools socket")?;
        Ok(Self {
            socket,
            next_id: 0,
            session_id: None,
            requested_urls: Vec::new(),
            page_errors: Vec::new(),
        })
    }

    /// Opens a new tab and sends every later command to it.
    async fn open_page(&mut self) -> anyhow::Result<()> {
        let target = self
            .call("Target.createTarget", json!({ "url": "about:blank" }))
            .await?;
        let attached = self
            .call(
                "Target.attachToTarget",
                json!({ "targetId": target["targetId"], "flatten": true }),
            )
            .await?;
        let session_id = attached["sessionId"]
            .as_str()
            .context("attachToTarget gave no session")?;
        self.session_id = Some(session_id.to_owned());
        Ok(())
    }

    async fn call(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({ "id": id, "method": method, "params": params });
        if let Some(session_id) = &self.session_id {
            command["sessionId"] = json!(session_id);
        }
        self.socket
            .send(Message::text(command.to_string()))
            .await
            .with_context(|| format!("failed to send {method}"))?;
        loop {
            let message = tokio::time::timeout(STEP_TIMEOUT, self.socket.next())
                .await
                .with_context(|| format!("no answer to {method}"))?
                .context("chromium closed the DevTools socket")??;
            let Message::Text(text) = message else {
                continue;
            };
            let message: Value = serde_json::from_str(&text)?;
            if message["id"] == json!(id) {
                if let Some(error) = message.get("error") {
                    bail!("{method} failed: {error}");
                }
                return Ok(message["result"].clone());
            }
            self.record_event(&message);
        }
    }

    fn record_event(&mut self, event: &Value) {
        let params = &event["params"];
        match event["method"].as_str() {
            Some("Network.requestWillBeSent") => {
                if let Some(url) = params["request"]["url"].as_str() {
                    self.requested_urls.push(url.to_owned());
                }
            }
            Some("Network.webSocketCreated") => {
                if let Some(url) = params["url"].as_str() {
                    self.requested_urls.push(url.to_owned());
                }
            }
            Some("Runtime.exceptionThrown") => {
                self.page_errors
                    .push(params["exceptionDetails"].to_string());
            }
            Some("Log.entryAdded") if params["entry"]["level"] == "error" => {
                let entry = &params["entry"];
                self.page_errors
                    .push(format!("{} ({})", entry["text"], entry["url"]));
            }
            _ => {}
        }
    }

    /// Evaluates `expression` in the page and returns its (JSON) value.
    async fn evaluate(&mut self, expression: &str) -> anyhow::Result<Value> {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await?;
        if let Some(exception) = result.get("exceptionDetails") {
            bail!("the page threw: {exception}");
        }
        Ok(result["result"]["value"].clone())
    }

    /// Waits until `expression` is true in the page.
    async fn wait_for(&mut self, what: &str, expression: &str) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        loop {
            if self.evaluate(expression).await? == json!(true) {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                bail!(
                    "timed out waiting for {what}; page errors: {:?}",
                    self.page_errors
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The text of the CodeMirror editor inside `container` (a CSS selector), or "".
fn editor_text(container: &str) -> String {
    format!(
        "(() => {{ const editor = document.querySelector('{container} .CodeMirror'); \
         return editor ? editor.CodeMirror.getValue() : ''; }})()"
    )
}

/// Standard base64, as DevTools encodes screenshots.
fn decode_base64(text: &str) -> anyhow::Result<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bytes = Vec::with_capacity(text.len() / 4 * 3);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for character in text.bytes().filter(|character| *character != b'=') {
        let value = ALPHABET
            .iter()
            .position(|letter| *letter == character)
            .context("not base64")?;
        buffer = (buffer << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Ok(bytes)
}

/// Where a person finds the last screenshot: the workspace's `target/`.
fn shared_screenshot_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/graphiql-screenshot.png")
}

#[tokio::test]
async fn graphiql_runs_a_query_and_shows_the_docs_without_internet() -> anyhow::Result<()> {
    let Some(chromium) = chromium_path() else {
        if std::env::var_os("CI").is_some() {
            bail!("chromium is not installed (`.ci/run` installs it)");
        }
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
        return Ok(());
    };
    let app = spawn_app().await;
    let browser_dir = tempfile::tempdir()?;
    let (mut browser, devtools_url) = launch_chromium(&chromium, browser_dir.path()).await?;
    let mut devtools = DevTools::connect(&devtools_url).await?;
    devtools.open_page().await?;
    for domain in ["Page", "Runtime", "Network", "Log"] {
        devtools
            .call(&format!("{domain}.enable"), json!({}))
            .await?;
    }
    devtools
        .call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": false }),
        )
        .await?;

    devtools
        .call("Page.navigate", json!({ "url": app.url("/graphql") }))
        .await?;
    devtools
        .wait_for(
            "GraphiQL's query editor",
            "!!document.querySelector('.graphiql-query-editor .CodeMirror')",
        )
        .await?;

    // The header editor is open and shows where the token goes, and that hint is not sent
    // (the anonymous query below would be refused with it).
    let headers = devtools
        .evaluate(&editor_text(
            ".graphiql-editor-tool .graphiql-editor:not(.hidden)",
        ))
        .await?;
    assert!(
        headers
            .as_str()
            .unwrap_or_default()
            .contains("Bearer <token>"),
        "the header editor shows the token hint, not {headers}"
    );

    let set_query = format!(
        "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue({})",
        json!(QUERY)
    );
    devtools.evaluate(&set_query).await?;
    devtools
        .evaluate("document.querySelector('.graphiql-execute-button').click()")
        .await?;
    let response_has_countries = format!(
        "{}.includes('\"VN\"') && {}.includes('Viet Nam')",
        editor_text(".graphiql-response"),
        editor_text(".graphiql-response")
    );
    devtools
        .wait_for("the query's result", &response_has_countries)
        .await?;

    devtools
        .evaluate(
            "document.querySelector('.graphiql-sidebar button[aria-label=\"Show Documentation Explorer\"]').click()",
        )
        .await?;
    devtools
        .wait_for(
            "the documentation explorer's root types",
            "!!document.querySelector('.graphiql-doc-explorer-root-type + a.graphiql-doc-explorer-type-name')",
        )
        .await?;
    // Into the Query type, so the screenshot shows the fields a client starts from.
    devtools
        .evaluate("document.querySelector('.graphiql-doc-explorer-root-type + a.graphiql-doc-explorer-type-name').click()")
        .await?;
    devtools
        .wait_for(
            "the Query type's fields in the documentation explorer",
            "[...document.querySelectorAll('.graphiql-doc-explorer-field-name')].some(field => field.textContent === 'countries')",
        )
        .await?;

    let screenshot = devtools
        .call("Page.captureScreenshot", json!({ "format": "png" }))
        .await?;
    let png = decode_base64(screenshot["data"].as_str().context("no screenshot data")?)?;
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(browser_dir.path().join("graphiql-screenshot.png"), &png)?;
    let shared_path = shared_screenshot_path();
    std::fs::write(&shared_path, &png)
        .with_context(|| format!("failed to write {}", shared_path.display()))?;
    eprintln!("screenshot: {}", shared_path.display());

    // Everything the page loaded came from the spawned server.
    let server_origin = app.url("");
    let websocket_origin = server_origin.replacen("http://", "ws://", 1);
    let foreign: Vec<&String> = devtools
        .requested_urls
        .iter()
        .filter(|url| {
            !url.starts_with(&server_origin)
                && !url.starts_with(&websocket_origin)
                && !url.starts_with("data:")
                && !url.starts_with("about:")
        })
        .collect();
    assert!(
        foreign.is_empty(),
        "requests beyond the server: {foreign:?}"
    );
    assert!(
        devtools.page_errors.is_empty(),
        "the page logged errors: {:?}",
        devtools.page_errors
    );

    browser.kill().await.ok();
    Ok(())
}

#[tokio::test]
async fn graphiql_assets_are_served_immutable_with_their_content_type() {
    let app = spawn_app().await;
    let page = app.http.get(app.url("/graphql")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    let html = page.text().await.unwrap();
    assert!(!html.contains("unpkg.com"), "nothing is loaded from a CDN");
    let asset_paths: Vec<&str> = html
        .split('"')
        .filter(|part| part.starts_with("/graphql/assets/"))
        .collect();
    assert_eq!(
        asset_paths.len(),
        5,
        "React, ReactDOM, GraphiQL, its start and styles"
    );
    for path in asset_paths {
        let response = app
            .http
            .get(app.url(path))
            .header("accept-encoding", "gzip, deflate, br")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        let expected = if path.ends_with(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert!(content_type.starts_with(expected), "{path}: {content_type}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{path}"
        );
    }
    // Browsers get the embedded gzip bytes as they are; a client that cannot take gzip is
    // told what to send rather than handed bytes it cannot read.
    let graphiql_script = html
        .split('"')
        .find(|part| part.ends_with("-graphiql-3.8.3.min.js"))
        .expect("the page loads GraphiQL");
    let compressed = app
        .http
        .get(app.url(graphiql_script))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "gzip");
    let uncompressed = app.http.get(app.url(graphiql_script)).send().await.unwrap();
    assert_eq!(uncompressed.status(), 406);

    let unknown = app
        .http
        .get(app.url("/graphql/assets/000000000000-graphiql.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}
