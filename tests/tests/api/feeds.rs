//! Atom feeds of newly published PUBLIC content, read with a real feed parser (feed-rs):
//! per country, per sector and per kind, never a member-only or unpublished item.

use feed_rs::model::{Feed, FeedType};

use crate::fixtures::{create_opportunity, opportunity_input, published_opportunity, transition};
use crate::harness::{TestApp, spawn_app};

/// The feed at `path`, parsed; panics unless it is served as Atom and parses as Atom.
async fn feed(app: &TestApp, path: &str) -> Feed {
    let response = app
        .http
        .get(app.url(path))
        .send()
        .await
        .expect("a response");
    assert_eq!(response.status(), 200, "{path}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/atom+xml"),
        "{content_type}"
    );
    let body = response.bytes().await.expect("a body");
    let parsed = feed_rs::parser::parse(&body[..]).expect("a valid feed");
    assert_eq!(parsed.feed_type, FeedType::Atom);
    parsed
}

fn titles(feed: &Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|entry| entry.title.as_ref().expect("a title").content.clone())
        .collect()
}

#[tokio::test]
async fn feeds_carry_published_public_items_per_country_sector_and_kind() {
    let app = spawn_app().await;
    let secretariat = app.secretariat().await;
    let author = app.correspondent(true).await;
    let public_title = "Cloud <R&D> centre seeks \"partners\" in Da Nang";
    let public = published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input(public_title, &["VN"], &["0505"], "PUBLIC"),
    )
    .await;
    published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input("Members-only fintech stake", &["VN"], &["0505"], "MEMBERS"),
    )
    .await;
    create_opportunity(
        &app,
        &author,
        opportunity_input("Unpublished draft tender", &["VN"], &["0505"], "PUBLIC"),
    )
    .await;
    published_opportunity(
        &app,
        &author,
        &secretariat,
        opportunity_input("Bangkok smart logistics hub", &["TH"], &["0506"], "PUBLIC"),
    )
    .await;

    let viet_nam = feed(&app, "/feeds/countries/VN.atom").await;
    assert_eq!(titles(&viet_nam), vec![public_title.to_owned()]);
    assert!(viet_nam.id.starts_with("tag:"), "{}", viet_nam.id);
    let entry = &viet_nam.entries[0];
    assert!(entry.id.starts_with("urn:uuid:"), "{}", entry.id);
    let published = entry.published.expect("a published time");
    assert!(viet_nam.updated.expect("the feed's updated") >= entry.updated.expect("updated"));
    assert!(entry.updated.expect("updated") >= published);
    let terms: Vec<&str> = entry.categories.iter().map(|c| c.term.as_str()).collect();
    for term in ["OPPORTUNITY", "VN", "0505"] {
        assert!(terms.contains(&term), "{terms:?}");
    }
    assert!(
        viet_nam
            .links
            .iter()
            .any(|link| link.rel.as_deref() == Some("self")
                && link.href.ends_with("/feeds/countries/VN.atom")),
        "{:?}",
        viet_nam.links
    );

    // A category's feed holds its sub-categories' items; every feed leaves out the rest.
    assert_eq!(
        titles(&feed(&app, "/feeds/sectors/05.atom").await),
        vec![
            "Bangkok smart logistics hub".to_owned(),
            public_title.to_owned()
        ]
    );
    let everything = titles(&feed(&app, "/feeds/all.atom").await);
    assert_eq!(everything.len(), 2, "{everything:?}");
    assert_eq!(
        titles(&feed(&app, "/feeds/kinds/opportunities.atom").await).len(),
        2
    );
    let policies = feed(&app, "/feeds/kinds/policies.atom").await;
    assert!(policies.entries.is_empty());
    assert!(policies.updated.is_some(), "an empty feed still says when");

    // Archived, an item leaves its feeds.
    transition(&app, &author, "archiveContent", &public).await;
    assert!(
        feed(&app, "/feeds/countries/VN.atom")
            .await
            .entries
            .is_empty()
    );

    for missing in [
        "/feeds/countries/XX.atom",
        "/feeds/countries/VN.rss",
        "/feeds/planets/VN.atom",
        "/feeds/sectors/9999.atom",
        "/feeds/kinds/rumours.atom",
    ] {
        let status = app
            .http
            .get(app.url(missing))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404, "{missing}");
    }
}
