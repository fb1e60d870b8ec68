//! Reference data: countries and the sector classification.

use serde_json::json;

use crate::harness::spawn_app;

#[tokio::test]
async fn countries_are_china_and_the_eleven_asean_members_with_localised_names() {
    let app = spawn_app().await;
    let data = app
        .ok(
            None,
            "{ countries { code en: name zh: name(lang: \"zh\") th: name(lang: \"th\") } }",
            json!({}),
        )
        .await;
    let countries = data["countries"].as_array().unwrap();
    let codes: Vec<&str> = countries
        .iter()
        .map(|country| country["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "CN", "BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN", "TL"
        ]
    );
    let thailand = countries
        .iter()
        .find(|country| country["code"] == "TH")
        .unwrap();
    assert_eq!(thailand["en"], "Thailand");
    assert_eq!(thailand["zh"], "泰国");
    assert_eq!(thailand["th"], "ประเทศไทย");
    let vietnam = countries
        .iter()
        .find(|country| country["code"] == "VN")
        .unwrap();
    assert_eq!(
        vietnam["th"], "Viet Nam",
        "a language the country does not speak falls back to English"
    );
}

#[tokio::test]
async fn sectors_form_five_categories_with_their_sub_categories() {
    let app = spawn_app().await;
    let data = app
        .ok(None, "{ sectors { code name zh: name(lang: \"zh\") vi: name(lang: \"vi\") parent { code } children { code parent { code } } } }", json!({}))
        .await;
    let categories = data["sectors"].as_array().unwrap();
    assert_eq!(
        categories
            .iter()
            .map(|sector| sector["code"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["01", "02", "03", "04", "05"]
    );
    let sub_categories: usize = categories
        .iter()
        .map(|sector| sector["children"].as_array().unwrap().len())
        .sum();
    assert_eq!(sub_categories, 32);
    let efficiency = &categories[4];
    assert_eq!(efficiency["zh"], "数字化效率提升业");
    assert_eq!(
        efficiency["vi"], efficiency["name"],
        "names fall back to English"
    );
    assert!(efficiency["parent"].is_null());
    let logistics = efficiency["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|sector| sector["code"] == "0504")
        .unwrap();
    assert_eq!(logistics["parent"]["code"], "05");
}
