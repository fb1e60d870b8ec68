//! Search finds what people mean: words inside unspaced text whatever the dictionary made of
//! them, traditional Chinese, Thai and Lao spelling variants, Indonesian and Malay affixes,
//! sector and country names in every language, suggestions as a person types, and "did you
//! mean"; each only from what the caller may see. The relevance set (`api/tests/relevance.rs`)
//! measures the same over the demo corpus.

use serde_json::{Value, json};

use crate::harness::{TestApp, spawn_app};
use crate::search::{Item, hit_ids, opportunity, search};

const SUGGEST: &str = "query($p: String!, $first: Int, $filter: SearchFilter) {
  suggest(prefix: $p, first: $first, filter: $filter) {
    kind text code language count node { id title } } }";

async fn suggest(app: &TestApp, token: Option<&str>, prefix: &str) -> Vec<Value> {
    app.ok(token, SUGGEST, json!({ "p": prefix })).await["suggest"]
        .as_array()
        .unwrap()
        .clone()
}

fn texts(suggestions: &[Value], kind: &str) -> Vec<String> {
    suggestions
        .iter()
        .filter(|suggestion| suggestion["kind"] == kind)
        .map(|suggestion| suggestion["text"].as_str().unwrap().to_owned())
        .collect()
}

fn snippets(results: &Value) -> String {
    results["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|edge| edge["highlights"].as_array().unwrap().clone())
        .map(|highlight| highlight["snippet"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[tokio::test]
async fn a_word_inside_unspaced_text_is_found_whatever_the_dictionary_cut() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    // jieba cuts 受冷链监测 as 受冷|链|监测: the word 冷链 is not one of its tokens.
    let inside = opportunity(
        &app,
        &author,
        Item::new("东南亚水产品受冷链监测覆盖", "zh"),
        true,
    )
    .await;
    let whole = opportunity(&app, &author, Item::new("冷链物流中心招商", "zh"), true).await;
    let apart = opportunity(
        &app,
        &author,
        Item::new("冷藏设备与区块链溯源平台", "zh"),
        true,
    )
    .await;
    // A Lao province name inside a longer unspaced title.
    let lao = opportunity(
        &app,
        &author,
        Item::new("ໂຄງການກະສິກຳອັດສະລິຍະແຂວງສະຫວັນນະເຂດປີນີ້", "lo"),
        true,
    )
    .await;

    let results = search(&app, None, json!({ "q": "冷链" })).await;
    let found = hit_ids(&results);
    assert_eq!(
        found,
        vec![whole.clone(), inside.clone()],
        "the whole word ranks first, the word inside text is found too: {results}"
    );
    assert!(
        !found.contains(&apart),
        "冷 and 链 apart are not the word: no noise from single characters"
    );
    assert!(
        snippets(&results).contains("受<mark>冷链</mark>监测"),
        "the match inside text is marked: {}",
        snippets(&results)
    );
    let results = search(&app, None, json!({ "q": "ສະຫວັນນະເຂດ" })).await;
    assert_eq!(hit_ids(&results), vec![lao]);
}

#[tokio::test]
async fn variants_people_type_find_the_same_items() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let chinese = opportunity(&app, &author, Item::new("跨境电商数字经济合作", "zh"), true).await;
    let thai = opportunity(&app, &author, Item::new("การทำเกษตรแม่นยำ", "th"), true).await;
    let lao = opportunity(&app, &author, Item::new("ໜອງຄາຍ ສູນໂລຈິສຕິກ", "lo"), true).await;
    let indonesian = opportunity(
        &app,
        &author,
        Item::new("Sistem pembayaran digital untuk pasar tradisional", "id"),
        true,
    )
    .await;
    let malay = opportunity(
        &app,
        &author,
        Item::new("Syarikat mengembangkan platform logistik", "ms"),
        true,
    )
    .await;
    for (query, expected, why) in [
        ("跨境電商", &chinese, "traditional characters"),
        (
            "數字經濟",
            &chinese,
            "traditional characters of a glossary term",
        ),
        ("การทํา", &thai, "Thai sara am typed as two characters"),
        ("ຫນອງຄາຍ", &lao, "Lao ໜ typed as ຫ and ນ"),
        (
            "membayar",
            &indonesian,
            "Indonesian affix: membayar for pembayaran",
        ),
        (
            "pengembangan",
            &malay,
            "Malay affix: pengembangan for mengembangkan",
        ),
    ] {
        let results = search(&app, None, json!({ "q": query })).await;
        assert!(
            hit_ids(&results).contains(expected),
            "{why}: {query} → {results}"
        );
    }
}

#[tokio::test]
async fn sector_and_country_names_in_every_language_find_their_items() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let named = opportunity(
        &app,
        &author,
        Item {
            sectors: &["0505"],
            ..Item::new("Digital finance sandbox for rural lenders", "en")
        },
        true,
    )
    .await;
    // Filed under 0505 but never naming it, in another language.
    let filed = opportunity(
        &app,
        &author,
        Item {
            sectors: &["0505"],
            countries: &["KH"],
            ..Item::new("ប្រព័ន្ធទូទាត់តាម QR សម្រាប់ផ្សារ", "km")
        },
        true,
    )
    .await;
    let other = opportunity(
        &app,
        &author,
        Item {
            sectors: &["0501"],
            ..Item::new("Rice farm sensors", "en")
        },
        true,
    )
    .await;
    for query in ["tài chính số", "数字金融", "การเงินดิจิทัล", "kewangan digital"]
    {
        let found = hit_ids(&search(&app, None, json!({ "q": query })).await);
        assert!(
            found.contains(&named) && found.contains(&filed),
            "{query}: {found:?}"
        );
        assert!(!found.contains(&other), "{query}");
    }
    // The equivalent term is marked in the item's own language.
    let results = search(&app, None, json!({ "q": "tài chính số" })).await;
    assert!(
        snippets(&results).contains("<mark>Digital</mark> <mark>finance</mark>"),
        "{}",
        snippets(&results)
    );
    // A country's name in another language finds the items filed under it.
    let found = hit_ids(&search(&app, None, json!({ "q": "柬埔寨" })).await);
    assert_eq!(found, vec![filed]);
}

#[tokio::test]
async fn suggestions_complete_what_is_typed_from_what_the_caller_may_see() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let member = app.member().await;
    let public = opportunity(
        &app,
        &author,
        Item {
            countries: &["KH"],
            sectors: &["0504"],
            ..Item::new("Cold-chain warehouse in Phnom Penh", "en")
        },
        true,
    )
    .await;
    let secret = opportunity(
        &app,
        &author,
        Item {
            countries: &["MM"],
            sectors: &["0403"],
            visibility: "MEMBERS",
            ..Item::new("Confidential cold storage acquisition", "en")
        },
        true,
    )
    .await;
    let anonymous = suggest(&app, None, "cold").await;
    let titles = texts(&anonymous, "TITLE");
    assert_eq!(titles, vec!["Cold-chain warehouse in Phnom Penh"]);
    let title = anonymous
        .iter()
        .find(|suggestion| suggestion["kind"] == "TITLE")
        .unwrap();
    assert_eq!(title["node"]["id"], public.as_str());
    assert!(
        !json!(anonymous).to_string().contains("Confidential"),
        "a member-only title is never suggested to the public"
    );
    let members = suggest(&app, Some(&member.token), "cold").await;
    assert!(texts(&members, "TITLE").contains(&"Confidential cold storage acquisition".to_owned()));
    assert!(
        members
            .iter()
            .any(|suggestion| suggestion["node"]["id"] == secret.as_str())
    );

    // Countries and sectors by their names in any language, only where something is visible.
    let cambodia = suggest(&app, None, "Camb").await;
    let country = cambodia
        .iter()
        .find(|suggestion| suggestion["kind"] == "COUNTRY")
        .unwrap_or_else(|| panic!("{cambodia:?}"));
    assert_eq!(
        (country["code"].as_str(), country["count"].as_i64()),
        (Some("KH"), Some(1))
    );
    let myanmar = suggest(&app, None, "Myan").await;
    assert!(
        texts(&myanmar, "COUNTRY").is_empty(),
        "no public item is filed under Myanmar: {myanmar:?}"
    );
    assert_eq!(
        texts(&suggest(&app, Some(&member.token), "Myan").await, "COUNTRY"),
        ["Myanmar"]
    );
    let sector = suggest(&app, None, "智慧物").await;
    let found = sector
        .iter()
        .find(|suggestion| suggestion["kind"] == "SECTOR")
        .unwrap_or_else(|| panic!("{sector:?}"));
    assert_eq!(
        (found["code"].as_str(), found["language"].as_str()),
        (Some("0504"), Some("zh"))
    );

    // Limits are named, and an empty prefix suggests nothing.
    assert!(suggest(&app, None, "  ").await.is_empty());
    for variables in [
        json!({ "p": "x".repeat(101) }),
        json!({ "p": "a b c d e f g h i" }),
        json!({ "p": "cold", "first": 21 }),
    ] {
        assert_eq!(
            app.error_code(None, SUGGEST, variables).await,
            "BAD_USER_INPUT"
        );
    }
}

#[tokio::test]
async fn a_query_with_no_hits_gets_a_correction_that_has_some() {
    let app = spawn_app().await;
    let author = app.correspondent(true).await;
    let member = app.member().await;
    opportunity(
        &app,
        &author,
        Item::new("Warehouse robotics for ports", "en"),
        true,
    )
    .await;
    opportunity(
        &app,
        &author,
        Item {
            visibility: "MEMBERS",
            ..Item::new("Confidential chip merger", "en")
        },
        true,
    )
    .await;
    const QUERY: &str = "query($q: String) { search(query: $q) { totalCount didYouMean } }";
    let ask = |token: Option<&str>, query: &str| {
        let variables = json!({ "q": query });
        let app = &app;
        let token = token.map(str::to_owned);
        async move { app.ok(token.as_deref(), QUERY, variables).await["search"].clone() }
    };
    // Two edits in words of 6 and 7 letters: more than typo tolerance forgives.
    let answer = ask(None, "wrehuse robtcs").await;
    assert_eq!(answer["totalCount"], 0);
    assert_eq!(answer["didYouMean"], "warehouse robotics");
    let answer = ask(None, "warehouse robotics").await;
    assert_eq!(answer["didYouMean"], Value::Null, "hits need no correction");
    // Words only in a member-only item are never offered to the public.
    let answer = ask(None, "chip mrgeer").await;
    assert_eq!(answer["totalCount"], 0);
    assert_eq!(answer["didYouMean"], Value::Null, "{answer}");
    let answer = ask(Some(&member.token), "chip mrgeer").await;
    assert_eq!(answer["didYouMean"], "chip merger", "{answer}");
}
