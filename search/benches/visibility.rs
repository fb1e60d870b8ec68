//! `cargo bench -p search --bench visibility`: what relevance over the visible set costs.
//! An anonymous search filters to PUBLIC documents and computes its BM25 statistics over
//! them (`VisibleStatistics`); a member's search sees everything and keeps tantivy's
//! index-wide statistics, so it is the baseline. Both run the same query text on one on-disk
//! index of 100,000 generated documents, interleaved, and the report gives each audience's
//! median and p90 latency and the ratio anonymous / member of the medians.

use std::hint::black_box;
use std::time::{Duration, Instant};

use search::glossary::Glossary;
use search::{Change, Document, Indexer, OpenState, Request, SearchIndex, Text};

const DOCUMENTS: usize = 100_000;
const BATCH: usize = 10_000;
const RUNS: usize = 200;
const WARM_UP_RUNS: usize = 20;
/// The first page as the api asks for it (`DEFAULT_PAGE_SIZE`).
const PAGE_SIZE: usize = 20;
/// 2026-11-29 in days since the epoch: opportunities with an earlier deadline are expired.
const TODAY_DAYS: i64 = 20_786;
const SEED: u64 = 0x1f0_4a2b_0e55;
const AUTHORS: usize = 6;
/// One document in this many mentions `RARE_WORD` (it is in no vocabulary).
const RARE_EVERY: usize = 1_000;
const RARE_WORD: &str = "durian";

/// The queries, each with what it stands for in the report.
const QUERIES: &[(&str, &str)] = &[
    ("common English word", "market"),
    ("rare word", RARE_WORD),
    ("three words", "rice export partner"),
    ("Chinese term", "港口"),
    ("Chinese word inside unspaced text", UNSPACED_WORD),
    // Matches nothing and is too short for typos: what is left is the per-search cost that
    // does not depend on the query's terms (the visible set and the fields' token totals).
    ("no match (fixed cost)", "qzx"),
];

/// Function words first, then the domain's words, roughly from common to rare: the rank in
/// this list is the rank in the Zipf distribution the texts are drawn from.
const ENGLISH_WORDS: &str = "\
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
const CHINESE_WORDS: &str = "\
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

/// splitmix64: a fixed seed gives the same index on every run, with no new dependency.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        mixed ^ (mixed >> 31)
    }

    /// A number in `from..=to`.
    fn between(&mut self, from: usize, to: usize) -> usize {
        from + (self.next() % (to - from + 1) as u64) as usize
    }

    fn percent(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// A number in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Words drawn with probability proportional to 1 / rank, as in natural text.
struct Vocabulary {
    words: Vec<String>,
    cumulative_weights: Vec<f64>,
}

impl Vocabulary {
    fn zipf(words: Vec<String>) -> Vocabulary {
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
    fn english() -> Vocabulary {
        let syllables: Vec<&str> = SYLLABLES.split_whitespace().collect();
        let mut words: Vec<String> = ENGLISH_WORDS.split_whitespace().map(String::from).collect();
        for first in &syllables {
            for second in &syllables {
                for third in &syllables[..10] {
                    words.push(format!("{first}{second}{third}"));
                }
            }
        }
        words.retain(|word| word != RARE_WORD);
        Vocabulary::zipf(words)
    }

    fn chinese() -> Vocabulary {
        Vocabulary::zipf(CHINESE_WORDS.split_whitespace().map(String::from).collect())
    }

    fn pick(&self, random: &mut Random) -> &str {
        let total = self.cumulative_weights.last().copied().unwrap_or(0.0);
        let target = random.unit() * total;
        let rank = self
            .cumulative_weights
            .partition_point(|weight| *weight <= target)
            .min(self.words.len() - 1);
        &self.words[rank]
    }
}

/// Generates the documents' texts: English words separated by spaces, Chinese ones joined.
struct Writer {
    english: Vocabulary,
    chinese: Vocabulary,
}

impl Writer {
    /// Sentences of `language` until the text holds at least `characters` characters.
    fn text(&self, random: &mut Random, language: &str, characters: usize) -> String {
        let (vocabulary, separator, full_stop) = match language {
            "zh" => (&self.chinese, "", "。"),
            _ => (&self.english, " ", ". "),
        };
        let mut text = String::new();
        let mut length = 0;
        while length < characters {
            let sentence_words = random.between(6, 16);
            let sentence = (0..sentence_words)
                .map(|_| vocabulary.pick(random))
                .collect::<Vec<_>>()
                .join(separator);
            length += sentence.chars().count() + full_stop.chars().count();
            text.push_str(&sentence);
            text.push_str(full_stop);
        }
        text
    }

    fn words(&self, random: &mut Random, language: &str, count: usize) -> String {
        let (vocabulary, separator) = match language {
            "zh" => (&self.chinese, ""),
            _ => (&self.english, " "),
        };
        (0..count)
            .map(|_| vocabulary.pick(random))
            .collect::<Vec<_>>()
            .join(separator)
    }

    fn translation(&self, random: &mut Random, language: &str, mentions_rare_word: bool) -> Text {
        let body_characters = random.between(300, 1_500);
        let title_words = random.between(4, 9);
        let summary_words = random.between(10, 25);
        let mut body = self.text(random, language, body_characters);
        if mentions_rare_word {
            body.push_str(&format!("{RARE_WORD} plantation. "));
        }
        Text {
            language: language.into(),
            title: self.words(random, language, title_words),
            summary: self.words(random, language, summary_words),
            body,
        }
    }

    /// Document `number`: three in four PUBLIC; three in five written in English, the rest
    /// in Chinese; one in three with a translation into the other language.
    fn document(&self, random: &mut Random, number: usize) -> Document {
        let visibility = if random.percent(75) {
            "PUBLIC"
        } else {
            "MEMBERS"
        };
        let language = if random.percent(60) { "en" } else { "zh" };
        let mentions_rare_word = number % RARE_EVERY == RARE_EVERY / 2;
        let mut texts = vec![self.translation(random, language, mentions_rare_word)];
        if random.percent(33) {
            let other_language = if language == "en" { "zh" } else { "en" };
            texts.push(self.translation(random, other_language, false));
        }
        let kind =
            ["OPPORTUNITY", "OPPORTUNITY", "POLICY", "RESEARCH", "EVENT"][random.between(0, 4)];
        let is_opportunity = kind == "OPPORTUNITY";
        let country =
            ["VN", "CN", "TH", "MY", "ID", "PH", "KH", "LA", "MM", "SG"][random.between(0, 9)];
        Document {
            id: format!("item-{number}"),
            version: 1,
            kind: kind.into(),
            visibility: visibility.into(),
            author_id: format!("author-{}", random.between(1, AUTHORS)),
            language: language.into(),
            texts,
            countries: vec![country.into(), "CN".into()],
            sectors: vec!["0504".into()],
            sector_scope: vec!["0504".into(), "05".into()],
            tags: Vec::new(),
            opportunity_type: is_opportunity.then(|| "INVESTMENT".into()),
            currency: is_opportunity.then(|| "USD".into()),
            published_at_micros: 1_700_000_000_000_000 + number as i64 * 1_000_000,
            deadline_days: is_opportunity.then(|| TODAY_DAYS - 100 + random.between(0, 600) as i64),
            amount_min: is_opportunity.then_some(1_000_000),
            amount_max: is_opportunity.then_some(50_000_000),
            starts_at_micros: None,
            ..Document::default()
        }
    }
}

/// A word that the generated Chinese text holds inside longer runs, where jieba sometimes cuts
/// it apart from its neighbours' characters (受冷|链): the bench counts how many items hold it
/// and how many a search finds.
const UNSPACED_WORD: &str = "冷链";

/// Writes the documents in batches of `BATCH`, one commit each, and waits for the merges.
/// Returns, per document number, whether it is PUBLIC, and how many unexpired documents hold
/// [`UNSPACED_WORD`] in any text.
fn build_index(directory: &std::path::Path) -> (Vec<bool>, usize) {
    let (index, state) = SearchIndex::open(directory, Glossary::shipped()).expect("an index");
    assert_eq!(state, OpenState::Fresh);
    let indexer = Indexer::start(&index).expect("a writer");
    let writer = Writer {
        english: Vocabulary::english(),
        chinese: Vocabulary::chinese(),
    };
    let mut random = Random(SEED);
    let mut public = Vec::with_capacity(DOCUMENTS);
    let mut holding_word = 0;
    for batch in 0..DOCUMENTS / BATCH {
        let documents: Vec<Document> = (batch * BATCH..(batch + 1) * BATCH)
            .map(|number| writer.document(&mut random, number))
            .collect();
        public.extend(
            documents
                .iter()
                .map(|document| document.visibility == "PUBLIC"),
        );
        holding_word += documents
            .iter()
            .filter(|document| {
                // Expired opportunities are left out of a search by default.
                let current = document.deadline_days.is_none_or(|days| days >= TODAY_DAYS);
                current
                    && document.texts.iter().any(|text| {
                        [&text.title, &text.summary, &text.body]
                            .iter()
                            .any(|field| field.contains(UNSPACED_WORD))
                    })
            })
            .count();
        let changes = documents
            .into_iter()
            .map(|document| Change::Upsert(Box::new(document)))
            .collect();
        indexer
            .apply_blocking(changes, Some(batch as i64), false)
            .expect("a batch");
    }
    // Dropping the writer waits for its merges, so the searches below see settled segments.
    drop(indexer);
    (public, holding_word)
}

fn request(text: &str, include_members: bool) -> Request {
    Request {
        text: text.into(),
        include_members,
        viewer_id: None,
        today_days: TODAY_DAYS,
        first: PAGE_SIZE,
        ..Request::default()
    }
}

/// Runs `request` once: its latency and its total.
fn timed_search(index: &SearchIndex, request: &Request) -> (Duration, usize) {
    let started = Instant::now();
    let results = index.search(request).expect("a search");
    let elapsed = started.elapsed();
    let total = results.total;
    black_box(results);
    (elapsed, total)
}

/// The value below which `percent` of the sorted `durations` fall (nearest rank), in ms.
fn percentile(sorted_durations: &[Duration], percent: usize) -> f64 {
    let rank = (sorted_durations.len() * percent).div_ceil(100).max(1);
    sorted_durations[rank - 1].as_secs_f64() * 1_000.0
}

struct Measurement {
    label: &'static str,
    text: &'static str,
    member_total: usize,
    anonymous_total: usize,
    member: Vec<Duration>,
    anonymous: Vec<Duration>,
}

/// Runs one query `RUNS` times per audience, alternating which goes first so that noise and
/// cache warmth fall on both alike.
fn measure(
    index: &SearchIndex,
    public: &[bool],
    label: &'static str,
    text: &'static str,
) -> Measurement {
    let member_request = request(text, true);
    let anonymous_request = request(text, false);
    let anonymous_hits = index.search(&anonymous_request).expect("a search").hits;
    for hit in &anonymous_hits {
        let number: usize = hit.id["item-".len()..].parse().expect("a generated id");
        assert!(
            public[number],
            "anonymous search found MEMBERS item {}",
            hit.id
        );
    }
    for _ in 0..WARM_UP_RUNS {
        black_box(timed_search(index, &member_request));
        black_box(timed_search(index, &anonymous_request));
    }
    let mut member = Vec::with_capacity(RUNS);
    let mut anonymous = Vec::with_capacity(RUNS);
    let (mut member_total, mut anonymous_total) = (0, 0);
    for run in 0..RUNS {
        let member_first = run % 2 == 0;
        if !member_first {
            let (elapsed, total) = timed_search(index, &anonymous_request);
            anonymous.push(elapsed);
            anonymous_total = total;
        }
        let (elapsed, total) = timed_search(index, &member_request);
        member.push(elapsed);
        member_total = total;
        if member_first {
            let (elapsed, total) = timed_search(index, &anonymous_request);
            anonymous.push(elapsed);
            anonymous_total = total;
        }
    }
    member.sort();
    anonymous.sort();
    Measurement {
        label,
        text,
        member_total,
        anonymous_total,
        member,
        anonymous,
    }
}

fn print_table(measurements: &[Measurement]) {
    println!(
        "| query | matches (member / anonymous) | member median | member p90 | anonymous median | anonymous p90 | anonymous / member (medians) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for measurement in measurements {
        let member_median = percentile(&measurement.member, 50);
        let anonymous_median = percentile(&measurement.anonymous, 50);
        println!(
            "| {} `{}` | {} / {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2}× |",
            measurement.label,
            measurement.text,
            measurement.member_total,
            measurement.anonymous_total,
            member_median,
            percentile(&measurement.member, 90),
            anonymous_median,
            percentile(&measurement.anonymous, 90),
            anonymous_median / member_median,
        );
    }
}

fn main() {
    let directory = tempfile::tempdir().expect("a temporary dir");
    let started = Instant::now();
    let (public, holding_word) = build_index(directory.path());
    let build_seconds = started.elapsed().as_secs_f64();
    let (index, state) =
        SearchIndex::open(directory.path(), Glossary::shipped()).expect("the index");
    assert!(matches!(state, OpenState::Existing { .. }), "{state:?}");
    let public_count = public.iter().filter(|is_public| **is_public).count();
    println!(
        "index: {} documents ({public_count} PUBLIC) in {} segments, built in {build_seconds:.0} s",
        index.document_count(),
        index.segment_count().expect("segment ids"),
    );
    for (_, text) in QUERIES {
        println!("tokens of `{text}`: {:?}", search::analysis::tokens(text));
    }
    println!("{RUNS} runs per query and audience, after {WARM_UP_RUNS} warm-up runs each\n");
    let measurements: Vec<Measurement> = QUERIES
        .iter()
        .map(|(label, text)| measure(&index, &public, label, text))
        .collect();
    print_table(&measurements);
    // Without the glossary, which adds the English items about cold chains.
    let (literal, _) = SearchIndex::open(directory.path(), Glossary::default()).expect("the index");
    let found = literal
        .search(&request(UNSPACED_WORD, true))
        .expect("a search")
        .total;
    println!(
        "\n`{UNSPACED_WORD}` inside unspaced text: {holding_word} unexpired documents hold it, a member's search without the glossary finds {found} ({} missed)",
        holding_word as i64 - found as i64
    );
}
