//! Generated content for benchmarks and load tests, deterministic by seed: items of every
//! kind in the project's ten languages, countries and sectors, with realistic lengths (bodies
//! of 300–1,500 characters) and word frequencies (words drawn by Zipf's law, function words
//! first). `cargo run --release -p corpus -- --items 100000 --seed 1 > corpus.ndjson` writes
//! the NDJSON that `infoharbor import` loads.

use serde_json::{Value, json};

/// Function words first, then the domain's words, roughly from common to rare: the rank in
/// this list is the rank in the Zipf distribution the texts are drawn from.
pub const ENGLISH_WORDS: &str = "\
    the of and to in for a with on is by from as at will are this that be an market project \
    investment trade development partner company region services digital local new support \
    business province growth industry cooperation network production capacity supply chain \
    logistics infrastructure energy finance platform export import port agriculture \
    technology training programme policy public private sector manufacturing products \
    quality standards customers investors capital fund bank loan equity joint venture zone \
    park corridor border customs transport shipping rail road airport warehouse storage cold \
    processing factory plant equipment machinery components electronics software data cloud \
    payment mobile online commerce retail wholesale distribution tourism hotel health \
    medical education university research innovation startup incubator talent skills \
    workforce rice rubber palm coffee tea fruit seafood fishery livestock fertiliser \
    irrigation water solar wind hydropower grid battery vehicle electric charging mining \
    nickel steel cement construction housing urban rural village cooperative farmers \
    smallholders women youth small medium enterprises exporters buyers suppliers \
    distributors agents licence permit tariff agreement contract tender bid procurement \
    deadline proposal application grant subsidy incentive tax exemption regulation \
    compliance certification halal organic traceability packaging branding marketing fair \
    exhibition forum summit delegation mission visit meeting workshop seminar webinar report \
    survey study analysis forecast outlook trends demand prices volume revenue profit costs \
    margin risk insurance guarantee credit currency exchange remittance blockchain security \
    privacy semiconductor assembly testing design engineering consulting legal accounting \
    audit governance transparency sustainability carbon emissions climate resilience flood \
    drought recovery reform";

/// The same for Chinese (joined without spaces; jieba cuts them again at indexing).
pub const CHINESE_WORDS: &str = "\
    的 和 在 与 为 将 及 对 市场 项目 投资 贸易 发展 合作 企业 地区 \
    服务 数字 本地 支持 业务 省份 增长 产业 网络 生产 能力 供应链 物流 基础设施 能源 金融 \
    平台 出口 进口 港口 农业 技术 培训 政策 公共 私营 部门 制造 产品 质量 标准 客户 \
    投资者 资本 基金 银行 贷款 股权 合资 园区 走廊 边境 海关 运输 航运 铁路 公路 机场 \
    仓储 冷链 加工 工厂 设备 机械 零部件 电子 软件 数据 云 支付 移动 电商 零售 批发 \
    分销 旅游 酒店 医疗 教育 大学 研究 创新 孵化 人才 技能 大米 橡胶 棕榈油 咖啡 茶叶 \
    水果 海产品 渔业 畜牧 化肥 灌溉 水资源 太阳能 风电 水电 电网 电池 汽车 充电 矿业 镍 \
    钢铁 水泥 建筑 住房 城市 农村 合作社 农民 中小企业 出口商 买家 供应商 许可证 关税 协议 合同 \
    招标 采购 截止日期 申请 补贴 税收 法规 认证 清真 有机 溯源 包装 品牌 营销 博览会 论坛 \
    峰会 代表团 会议 研讨会 报告 调查 分析 预测 需求 价格 收入 利润 成本 风险 保险 担保 \
    信贷 货币 汇率 区块链 安全 半导体 设计 工程 咨询 法律 审计 治理 可持续 碳排放 气候 韧性 \
    洪水 干旱 改革";

const SYLLABLES: &str = "\
    ba ko ri ta mun sel dor pha vin lu ne kra so tem ha gi por an ul ke";

/// splitmix64: a fixed seed gives the same corpus on every run, with no dependency.
pub struct Random(pub u64);

impl Random {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        mixed ^ (mixed >> 31)
    }

    /// A number in `from..=to`.
    pub fn between(&mut self, from: usize, to: usize) -> usize {
        from + (self.next_u64() % (to - from + 1) as u64) as usize
    }

    pub fn percent(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Words drawn with probability proportional to 1 / rank, as in natural text.
pub struct Vocabulary {
    words: Vec<String>,
    cumulative_weights: Vec<f64>,
}

impl Vocabulary {
    pub fn zipf(words: Vec<String>) -> Vocabulary {
        let mut total = 0.0;
        let cumulative_weights = (1..=words.len())
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect();
        Vocabulary {
            words,
            cumulative_weights,
        }
    }

    /// The English words, then 4,000 made-up ones for the long tail of rare terms.
    pub fn english() -> Vocabulary {
        let syllables: Vec<&str> = SYLLABLES.split_whitespace().collect();
        let mut words: Vec<String> = ENGLISH_WORDS.split_whitespace().map(String::from).collect();
        for first in &syllables {
            for second in &syllables {
                for third in &syllables[..10] {
                    words.push(format!("{first}{second}{third}"));
                }
            }
        }
        Vocabulary::zipf(words)
    }

    pub fn chinese() -> Vocabulary {
        Vocabulary::zipf(CHINESE_WORDS.split_whitespace().map(String::from).collect())
    }

    pub fn pick(&self, random: &mut Random) -> &str {
        let total = self.cumulative_weights.last().copied().unwrap_or(0.0);
        let target = random.unit() * total;
        let rank = self
            .cumulative_weights
            .partition_point(|weight| *weight <= target)
            .min(self.words.len() - 1);
        &self.words[rank]
    }
}

const GLOSSARY: &str = include_str!("../../search/data/glossary.txt");
const SECTOR_NAMES: &str = include_str!("../../search/data/sector_names.csv");
const COUNTRY_NAMES: &str = include_str!("../../search/data/country_names.csv");

/// The languages items are written in, with their share of the corpus in percent.
pub const LANGUAGES: [(&str, u64); 10] = [
    ("en", 35),
    ("zh", 25),
    ("th", 6),
    ("vi", 6),
    ("id", 6),
    ("ms", 4),
    ("fil", 4),
    ("km", 5),
    ("lo", 5),
    ("my", 4),
];

/// The most frequent words of each of the other languages, most frequent first.
fn function_words(language: &str) -> &'static str {
    match language {
        "th" => "และ ของ ใน ที่ เพื่อ การ ได้ จะ มี กับ โดย ให้ เป็น จาก",
        "vi" => "và của trong các cho với được là những một để từ có này",
        "id" => "dan yang di untuk dengan dari ini akan pada dalam adalah oleh ke",
        "ms" => "dan yang di untuk dengan dari ini akan pada dalam ialah oleh ke",
        "fil" => "ang ng sa mga at para na ay ito isang ni kay upang",
        "km" => "និង របស់ ក្នុង ដើម្បី ជា នៃ បាន ការ មាន ទៅ ពី នេះ",
        "lo" => "ແລະ ຂອງ ໃນ ທີ່ ເພື່ອ ການ ໄດ້ ຈະ ມີ ກັບ ໂດຍ ໃຫ້ ເປັນ",
        "my" => "နှင့် ၏ တွင် အတွက် သည် ကို များ ရန် ဖြင့် မှ လည်း",
        _ => "",
    }
}

/// Whether `language` writes without spaces between words.
fn unspaced(language: &str) -> bool {
    matches!(language, "zh" | "th" | "lo" | "km" | "my")
}

impl Vocabulary {
    /// A language's words: English and Chinese from their lists; the others from their
    /// function words, then the glossary's terms and the sectors' and countries' names in
    /// that language.
    pub fn of(language: &str) -> Vocabulary {
        match language {
            "en" => return Vocabulary::english(),
            "zh" => return Vocabulary::chinese(),
            _ => {}
        }
        let mut words: Vec<String> = function_words(language)
            .split_whitespace()
            .map(String::from)
            .collect();
        let tag = format!("{language}:");
        for line in GLOSSARY.lines().filter(|line| !line.starts_with('#')) {
            words.extend(
                line.split(" | ")
                    .filter_map(|term| term.trim().strip_prefix(&tag))
                    .map(String::from),
            );
        }
        for table in [SECTOR_NAMES, COUNTRY_NAMES] {
            let mut lines = table.lines();
            let Some(column) = lines
                .next()
                .and_then(|header| header.split(',').position(|name| name == language))
            else {
                continue;
            };
            words.extend(lines.filter_map(|line| line.split(',').nth(column).map(String::from)));
        }
        words.dedup();
        Vocabulary::zipf(words)
    }
}

const COUNTRIES: [&str; 12] = [
    "CN", "BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN", "TL",
];
const TAGS: [&str; 12] = [
    "cross-border",
    "fintech",
    "logistics",
    "e-commerce",
    "smart-city",
    "agritech",
    "cloud",
    "cybersecurity",
    "5g",
    "ai",
    "green",
    "sme",
];
const CURRENCIES: [&str; 5] = ["USD", "CNY", "THB", "VND", "MYR"];
const OPPORTUNITY_TYPES: [&str; 5] = [
    "INVESTMENT",
    "PARTNERSHIP",
    "PROCUREMENT",
    "TECHNOLOGY_OFFER",
    "TECHNOLOGY_REQUEST",
];
const POLICY_TYPES: [&str; 5] = ["LAW", "REGULATION", "INCENTIVE", "STANDARD", "GUIDELINE"];
const EVENT_TYPES: [&str; 6] = [
    "ANNUAL_MEETING",
    "FORUM",
    "SEMINAR",
    "TECHNOLOGY_LAUNCH",
    "EXPO",
    "TRAINING",
];
const DAY_MICROS: i64 = 86_400_000_000;

/// Writes items: one vocabulary per language, the sector codes, and the authors to credit.
pub struct Generator {
    vocabularies: Vec<(&'static str, Vocabulary)>,
    sectors: Vec<String>,
    authors: Vec<String>,
    /// The instant the corpus is written for (microseconds since the epoch): publications lie
    /// in the two years before it, deadlines and events around it.
    now_micros: i64,
}

impl Generator {
    pub fn new(authors: Vec<String>, now_micros: i64) -> Generator {
        let sectors = SECTOR_NAMES
            .lines()
            .skip(1)
            .filter_map(|line| line.split(',').next())
            .filter(|code| code.len() == 4)
            .map(String::from)
            .collect();
        Generator {
            vocabularies: LANGUAGES
                .iter()
                .map(|(language, _)| (*language, Vocabulary::of(language)))
                .collect(),
            sectors,
            authors,
            now_micros,
        }
    }

    fn vocabulary(&self, language: &str) -> &Vocabulary {
        &self
            .vocabularies
            .iter()
            .find(|(name, _)| *name == language)
            .unwrap_or(&self.vocabularies[0])
            .1
    }

    /// `count` words of `language`, joined as the language writes them.
    fn words(&self, random: &mut Random, language: &str, count: usize) -> String {
        let vocabulary = self.vocabulary(language);
        let words: Vec<&str> = (0..count).map(|_| vocabulary.pick(random)).collect();
        // Unspaced scripts still break between phrases now and then; Chinese never does.
        match (language, unspaced(language)) {
            ("zh", _) => words.concat(),
            (_, true) => words
                .chunks(4)
                .map(|phrase| phrase.concat())
                .collect::<Vec<_>>()
                .join(" "),
            _ => words.join(" "),
        }
    }

    /// Sentences of `language` until the text holds at least `characters` characters.
    fn text(&self, random: &mut Random, language: &str, characters: usize) -> String {
        let full_stop = match language {
            "zh" => "。",
            "th" | "lo" | "km" | "my" => " ",
            _ => ". ",
        };
        let mut text = String::new();
        while text.chars().count() < characters {
            let words = random.between(6, 16);
            text.push_str(&self.words(random, language, words));
            text.push_str(full_stop);
        }
        text.trim_end().to_owned()
    }

    fn language(random: &mut Random) -> &'static str {
        let mut roll = random.next_u64() % 100;
        for (language, share) in LANGUAGES {
            if roll < share {
                return language;
            }
            roll -= share;
        }
        "en"
    }

    fn date(&self, days_from_now: i64) -> String {
        let days = self.now_micros.div_euclid(DAY_MICROS) + days_from_now;
        civil_date(days)
    }

    fn instant(&self, micros: i64) -> String {
        let days = micros.div_euclid(DAY_MICROS);
        let rest = micros.rem_euclid(DAY_MICROS) / 1_000_000;
        format!(
            "{}T{:02}:{:02}:{:02}Z",
            civil_date(days),
            rest / 3600,
            rest / 60 % 60,
            rest % 60
        )
    }

    /// Item `number` of the corpus seeded with `random`'s seed: half opportunities, the rest
    /// policies, research results and events; one in five member-only; one in twenty not
    /// published (drafts and items in review); one in four with an English or Chinese
    /// translation.
    pub fn item(&self, random: &mut Random, number: usize) -> Value {
        let language = Self::language(random);
        let title_words = random.between(4, 12);
        let summary_words = random.between(15, 40);
        let body_characters = random.between(300, 1_500);
        let countries: Vec<&str> = (0..random.between(1, 2))
            .map(|_| COUNTRIES[random.between(0, COUNTRIES.len() - 1)])
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let sectors: Vec<&str> = (0..random.between(1, 2))
            .map(|_| self.sectors[random.between(0, self.sectors.len() - 1)].as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let tags: Vec<&str> = (0..random.between(0, 3))
            .map(|_| TAGS[random.between(0, TAGS.len() - 1)])
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        // Titles are at most 300 characters; long terms of unspaced scripts can exceed that.
        let title: String = self
            .words(random, language, title_words)
            .chars()
            .take(200)
            .collect();
        let mut content = json!({
            "title": title.trim(),
            "summary": self.words(random, language, summary_words),
            "body": self.text(random, language, body_characters),
            "language": language,
            "countries": countries,
            "sectors": sectors,
            "tags": tags,
            "visibility": if random.percent(20) { "MEMBERS" } else { "PUBLIC" },
        });
        if random.percent(25) {
            let other = if language == "en" { "zh" } else { "en" };
            let (title, summary) = (random.between(4, 12), random.between(15, 40));
            let body = random.between(300, 1_500);
            content["translations"] = json!([{
                "language": other,
                "title": self.words(random, other, title),
                "summary": self.words(random, other, summary),
                "body": self.text(random, other, body),
            }]);
        }
        let status = match random.between(0, 99) {
            0..=2 => "DRAFT",
            3 | 4 => "SUBMITTED",
            _ => "PUBLISHED",
        };
        let published_micros = self.now_micros - (random.unit() * 730.0 * DAY_MICROS as f64) as i64;
        let mut item = json!({
            "author": self.authors[number % self.authors.len().max(1)],
            "status": status,
            "publishedAt": self.instant(published_micros),
            "content": content,
        });
        let fields = item.as_object_mut().expect("an object");
        match random.between(0, 9) {
            0..=4 => {
                fields.insert("kind".into(), json!("OPPORTUNITY"));
                fields.insert(
                    "opportunityType".into(),
                    json!(OPPORTUNITY_TYPES[random.between(0, OPPORTUNITY_TYPES.len() - 1)]),
                );
                let minimum = random.between(1, 500) * 10_000;
                fields.insert("amountMin".into(), json!(minimum.to_string()));
                fields.insert(
                    "amountMax".into(),
                    json!((minimum * random.between(2, 10)).to_string()),
                );
                fields.insert(
                    "currency".into(),
                    json!(CURRENCIES[random.between(0, CURRENCIES.len() - 1)]),
                );
                // One in six has expired; one in five has no deadline.
                if !random.percent(20) {
                    let days = random.between(0, 240) as i64 - 40;
                    fields.insert("deadline".into(), json!(self.date(days)));
                }
                fields.insert(
                    "contact".into(),
                    json!(format!("contact{number}@example.org")),
                );
            }
            5 | 6 => {
                fields.insert("kind".into(), json!("POLICY"));
                fields.insert(
                    "policyType".into(),
                    json!(POLICY_TYPES[random.between(0, POLICY_TYPES.len() - 1)]),
                );
                fields.insert(
                    "issuingAuthority".into(),
                    json!(self.words(random, language, 3)),
                );
                if random.percent(70) {
                    let days = random.between(0, 900) as i64 - 700;
                    fields.insert("effectiveDate".into(), json!(self.date(days)));
                }
            }
            7 => {
                fields.insert("kind".into(), json!("RESEARCH"));
                fields.insert(
                    "institutions".into(),
                    json!([self.words(random, language, 3)]),
                );
                fields.insert("readinessLevel".into(), json!(random.between(1, 9)));
            }
            _ => {
                fields.insert("kind".into(), json!("EVENT"));
                fields.insert(
                    "eventType".into(),
                    json!(EVENT_TYPES[random.between(0, EVENT_TYPES.len() - 1)]),
                );
                let starts = self.now_micros + (random.between(0, 400) as i64 - 200) * DAY_MICROS;
                fields.insert("startsAt".into(), json!(self.instant(starts)));
                fields.insert(
                    "endsAt".into(),
                    json!(self.instant(starts + random.between(2, 48) as i64 * 3_600_000_000)),
                );
                let online = random.percent(40);
                fields.insert("online".into(), json!(online));
                if !online {
                    let city = self.words(random, language, 2);
                    fields.insert("city".into(), json!(city));
                    fields.insert("country".into(), json!(countries[0]));
                }
            }
        }
        item
    }
}

/// The date `days` after 1970-01-01 (the proleptic Gregorian calendar), as `YYYY-MM-DD`.
fn civil_date(days: i64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_the_calendar_s() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_786), "2026-11-29");
        assert_eq!(civil_date(-1), "1969-12-31");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }

    #[test]
    fn the_same_seed_gives_the_same_items() {
        let generator = Generator::new(vec!["a@example.org".into()], 20_786 * DAY_MICROS);
        let items = |seed| {
            let mut random = Random(seed);
            (0..50)
                .map(|number| generator.item(&mut random, number))
                .collect::<Vec<_>>()
        };
        assert_eq!(items(7), items(7));
        assert_ne!(items(7), items(8));
    }

    #[test]
    fn every_language_has_words() {
        for (language, _) in LANGUAGES {
            assert!(
                Vocabulary::of(language).words.len() >= 100,
                "{language} has too few words"
            );
        }
    }
}
