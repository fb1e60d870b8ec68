//! GraphiQL served entirely by the binary: the page `GET /graphql` shows a browser, and the
//! scripts and styles it loads from `GET /graphql/assets/{file}`, so it works without internet
//! (on an intranet, or where unpkg.com is unreachable).
//!
//! The files are the production builds of GraphiQL and React committed in
//! `api/assets/graphiql/` (their versions, registry hashes and checksums are in its
//! `PROVENANCE.md`) and embedded at build time; nothing is downloaded by `cargo build`.
//! They are embedded gzip-compressed (about 1 MB instead of 4 MB) and sent as they are to
//! clients that accept gzip, which every browser does.
//!
//! Each asset's URL carries a prefix of its content's sha256, so a URL names one content
//! forever and browsers may cache it for a year without asking again; the page itself is
//! revalidated on every load so that a new release's URLs are picked up.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Where the assets are served; the page links to `{ASSET_PATH}/{hash}-{name}`.
pub const ASSET_PATH: &str = "/graphql/assets";

/// The endpoints the page's GraphiQL talks to.
const GRAPHQL_ENDPOINT: &str = "/graphql";
const SUBSCRIPTION_ENDPOINT: &str = "/graphql/ws";

/// Hex digits of the content hash in an asset's URL: 48 bits, enough that two versions of
/// one file never share a URL.
const HASH_PREFIX_LENGTH: usize = 12;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The page loads nothing but its own assets and talks to nothing but this server. GraphiQL
/// sets inline styles and uses data: URLs for icons, hence the two exceptions.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One committed file as embedded.
struct EmbeddedFile {
    /// The name it is served under (after the hash prefix).
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    /// The bytes are gzip-compressed (`Content-Encoding: gzip`).
    gzipped: bool,
}

/// The page's scripts and styles, in the order the page loads them (React before
/// ReactDOM before GraphiQL before the script that starts it).
const FILES: [EmbeddedFile; 5] = [
    EmbeddedFile {
        name: "react-18.3.1.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/react-18.3.1.production.min.js.gz"),
        gzipped: true,
    },
    EmbeddedFile {
        name: "react-dom-18.3.1.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/react-dom-18.3.1.production.min.js.gz"),
        gzipped: true,
    },
    EmbeddedFile {
        name: "graphiql-3.8.3.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/graphiql-3.8.3.min.js.gz"),
        gzipped: true,
    },
    EmbeddedFile {
        name: "infoharbor-graphiql.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/infoharbor-graphiql.js"),
        gzipped: false,
    },
    EmbeddedFile {
        name: "graphiql-3.8.3.min.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/graphiql-3.8.3.min.css.gz"),
        gzipped: true,
    },
];

/// An embedded file with the URL segment that names it.
struct Asset {
    file: &'static EmbeddedFile,
    /// `{hash prefix}-{name}`, the `{file}` of `/graphql/assets/{file}`.
    segment: String,
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|file| {
            let digest = Sha256::digest(file.bytes);
            let hash: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
            Asset {
                file,
                segment: format!("{}-{}", &hash[..HASH_PREFIX_LENGTH], file.name),
            }
        })
        .collect()
});

static PAGE: LazyLock<String> = LazyLock::new(page_html);

fn asset_url(name: &str) -> String {
    let asset = ASSETS
        .iter()
        .find(|asset| asset.file.name == name)
        .expect("the page links only to embedded files");
    format!("{ASSET_PATH}/{}", asset.segment)
}

fn page_html() -> String {
    let stylesheet = asset_url("graphiql-3.8.3.min.css");
    let scripts: String = FILES
        .iter()
        .filter(|file| file.name.ends_with(".js"))
        .map(|file| format!("    <script src=\"{}\"></script>\n", asset_url(file.name)))
        .collect();
    format!(
        r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="no-referrer">
    <title>infoharbor · GraphiQL</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="{stylesheet}">
    <style>html, body, #graphiql {{ height: 100%; margin: 0; overflow: hidden; }}</style>
  </head>
  <body>
    <div id="graphiql" data-endpoint="{GRAPHQL_ENDPOINT}" data-subscription-endpoint="{SUBSCRIPTION_ENDPOINT}">Loading GraphiQL…</div>
{scripts}  </body>
</html>
"#
    )
}

/// The GraphiQL page.
pub fn page() -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        // Revalidated on every load, so a new release's asset URLs are seen at once.
        (header::CACHE_CONTROL, "no-cache"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    (headers, PAGE.as_str()).into_response()
}

/// `GET /graphql/assets/{file}`: one of the page's scripts or styles.
pub async fn asset(Path(segment): Path<String>, request_headers: HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|asset| asset.segment == segment) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let file = asset.file;
    let mut response = file.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !file.gzipped {
        return response;
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if !accepts_gzip(&request_headers) {
        // Only the compressed bytes are embedded (decompressing would need an inflate
        // implementation in the binary for clients no browser is); say what to send.
        return (
            StatusCode::NOT_ACCEPTABLE,
            [(header::VARY, "accept-encoding")],
            "this asset is served gzip-compressed only: send Accept-Encoding: gzip",
        )
            .into_response();
    }
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    response
}

/// Whether `Accept-Encoding` allows gzip: `gzip` or `*` listed without `q=0`.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default().to_ascii_lowercase();
            let refused = parts.any(|parameter| {
                let parameter = parameter.replace(' ', "").to_ascii_lowercase();
                parameter
                    .strip_prefix("q=")
                    .and_then(|weight| weight.parse::<f32>().ok())
                    .is_some_and(|weight| weight == 0.0)
            });
            (name == "gzip" || name == "x-gzip" || name == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept_encoding(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
        headers
    }

    #[test]
    fn gzip_is_accepted_when_listed_or_wildcarded_without_zero_weight() {
        assert!(accepts_gzip(&accept_encoding("gzip, deflate, br, zstd")));
        assert!(accepts_gzip(&accept_encoding("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&accept_encoding("*")));
        assert!(!accepts_gzip(&accept_encoding("gzip;q=0, br")));
        assert!(!accepts_gzip(&accept_encoding("identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn every_embedded_file_is_linked_from_the_page_under_its_content_hash() {
        let page = page_html();
        for asset in ASSETS.iter() {
            assert!(page.contains(&format!("{ASSET_PATH}/{}", asset.segment)));
        }
    }

    #[test]
    fn gzipped_files_are_gzip_streams() {
        for file in FILES.iter().filter(|file| file.gzipped) {
            assert_eq!(&file.bytes[..2], &[0x1f, 0x8b], "{}", file.name);
        }
    }
}
