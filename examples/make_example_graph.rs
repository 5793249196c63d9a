//! Writes graphferry's example graph dumps.
//!
//! ```text
//! cargo run --example make_example_graph                       # examples/movies.graphferry.jsonl
//! cargo run --release --example make_example_graph -- --nodes 500000 --relationships 500000 --out /tmp/big.jsonl
//! ```
//!
//! The movies graph is small but realistic and deliberately awkward: people, movies and reviews
//! with every value type, multi-label and unlabelled nodes, parallel relationships, self-loops
//! and unicode. It is deterministic (fixed seed), so the committed file can be regenerated
//! byte for byte. The synthetic mode streams a graph of any size for memory and speed checks.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{FixedOffset, NaiveDate, NaiveTime, TimeZone};
use graphferry::connector::file::DumpWriter;
use graphferry::model::{
    sample_values, Duration, Node, OffsetTime, Point, Properties, Relationship, Value, ZonedDateTime,
};

const FIRST: &[&str] = &[
    "Ada",
    "Björn",
    "Chloé",
    "Dmitri",
    "Élodie",
    "Fatima",
    "Giorgos",
    "Hana",
    "Ivan",
    "José",
    "Kenji",
    "Léa",
    "Magnús",
    "Nkechi",
    "Olga",
    "Pål",
    "Qin",
    "Ravi",
    "Søren",
    "Tomás",
    "Ümit",
    "Valentina",
    "Wei",
    "Xochitl",
    "Yuki",
    "Zoë",
    "美咲",
    "Андрей",
    "محمد",
    "Ζωή",
];
const LAST: &[&str] = &[
    "Nakamura",
    "Øster",
    "García",
    "Müller",
    "O'Brien",
    "Kowalski",
    "Nguyễn",
    "Dubois",
    "Sørensen",
    "Rossi",
    "Ivanova",
    "Haddad",
    "Papadopoulos",
    "Smith",
    "Zhang",
    "Leclerc",
];
const TITLES: &[&str] = &[
    "Amélie",
    "千と千尋の神隠し",
    "Léon",
    "The Matrix",
    "Crouching Tiger",
    "Das Boot",
    "Cidade de Deus",
    "Oldboy",
    "La Haine",
    "Пётр",
    "Parasite",
    "Ran",
    "Roma",
    "Tár",
    "Smörgåsbord",
];
const GENRES: &[&str] = &["drama", "comedy", "thriller", "sci-fi", "animation", "romance", "war", "crime"];

struct Args {
    out: PathBuf,
    synthetic: Option<(u64, u64)>,
}

fn parse_args() -> Result<Args, String> {
    let mut out = PathBuf::from("examples/movies.graphferry.jsonl");
    let (mut nodes, mut rels) = (None, None);
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--out" => out = PathBuf::from(value()?),
            "--nodes" => nodes = Some(value()?.parse::<u64>().map_err(|e| e.to_string())?),
            "--relationships" => rels = Some(value()?.parse::<u64>().map_err(|e| e.to_string())?),
            other => return Err(format!("unknown argument {other}; use --out PATH [--nodes N --relationships M]")),
        }
    }
    let synthetic = match (nodes, rels) {
        (Some(n), Some(r)) => Some((n, r)),
        (None, None) => None,
        _ => return Err("--nodes and --relationships go together".into()),
    };
    Ok(Args { out, synthetic })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let mut writer = DumpWriter::create(&args.out)?;
    match args.synthetic {
        Some((nodes, rels)) => synthetic(&mut writer, nodes, rels)?,
        None => movies(&mut writer)?,
    }
    writer.finish()?;
    eprintln!("wrote {}", args.out.display());
    Ok(())
}

fn props(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Properties {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn s(text: impl Into<String>) -> Value {
    Value::String(text.into())
}

fn movies(w: &mut DumpWriter) -> std::io::Result<()> {
    let mut rng = fastrand::Rng::with_seed(42);
    let mut nodes = Vec::new();
    let mut rels = Vec::new();
    let base = NaiveDate::from_ymd_opt(1940, 1, 1).expect("valid date");
    let tz = |h: i32| FixedOffset::east_opt(h * 3600).expect("valid offset");

    for i in 0..150 {
        let mut labels = vec!["Person".to_string()];
        if i % 3 == 0 {
            labels.push("Actor".into());
        }
        if i % 10 == 0 {
            labels.push("Director".into());
        }
        let name = format!("{} {}", FIRST[rng.usize(..FIRST.len())], LAST[rng.usize(..LAST.len())]);
        let mut p = props([
            ("name", s(name.clone())),
            ("born", Value::Int(rng.i64(1930..2005))),
            ("height_m", Value::Float((150 + rng.u32(0..50)) as f64 / 100.0)),
            ("active", Value::Bool(rng.bool())),
            ("email", s(format!("{}{}@example.org", name.to_lowercase().replace([' ', '\''], "."), i))),
            (
                "nicknames",
                Value::List(
                    (0..rng.usize(0..3))
                        .map(|k| s(format!("{}{k}", &name[..name.char_indices().nth(2).map_or(name.len(), |c| c.0)])))
                        .collect(),
                ),
            ),
            ("birthday", Value::Date(base + chrono::Duration::days(rng.i64(0..25_000)))),
            (
                "home",
                Value::Point(Point { srid: 4326, x: rng.f64() * 360.0 - 180.0, y: rng.f64() * 180.0 - 90.0, z: None }),
            ),
        ]);
        if i % 25 == 0 {
            p.insert("photo_thumbnail".into(), Value::Bytes((0..16).map(|_| rng.u8(..)).collect()));
        }
        nodes.push(Node { id: format!("person-{i}"), labels, properties: p });
    }
    for i in 0..60 {
        let local = base.and_hms_opt(20, 30, 0).expect("valid") + chrono::Duration::days(rng.i64(0..30_000));
        let zone = ["Europe/Paris", "Asia/Tokyo", "America/Sao_Paulo"][i % 3];
        let offset = tz([1, 9, -3][i % 3]);
        let mut p = props([
            ("title", s(format!("{} {}", TITLES[i % TITLES.len()], i / TITLES.len() + 1))),
            ("released", Value::Int(1950 + rng.i64(0..74))),
            ("rating", Value::Float((rng.f64() * 90.0).round() / 10.0)),
            ("genres", Value::List(vec![s(GENRES[rng.usize(..GENRES.len())]), s(GENRES[rng.usize(..GENRES.len())])])),
            (
                "runtime",
                Value::Duration(Duration { months: 0, days: 0, seconds: rng.i64(4_800..11_000), nanoseconds: 0 }),
            ),
            (
                "premiere",
                Value::DateTime(ZonedDateTime {
                    datetime: offset.from_local_datetime(&local).single().expect("fixed"),
                    zone: Some(zone.into()),
                }),
            ),
        ]);
        if i == 7 {
            p.insert("rating".into(), Value::Float(f64::NAN)); // not rated yet
        }
        nodes.push(Node { id: format!("movie-{i}"), labels: vec!["Movie".into()], properties: p });
    }
    for i in 0..120 {
        let written = base.and_hms_opt(0, 0, 0).expect("valid")
            + chrono::Duration::seconds(rng.i64(1_500_000_000..2_300_000_000));
        let p = props([
            ("text", s(["Loved it! 😍", "Trop long.", "素晴らしい", "Meh.", "A \"masterpiece\"\nreally"][i % 5])),
            ("stars", Value::Int(rng.i64(1..6))),
            ("written_at", Value::LocalDateTime(written)),
            (
                "published_at",
                Value::DateTime(ZonedDateTime {
                    datetime: tz(2).from_local_datetime(&written).single().expect("fixed"),
                    zone: None,
                }),
            ),
            (
                "reading_time",
                Value::LocalTime(
                    NaiveTime::from_num_seconds_from_midnight_opt(rng.u32(0..86_400), rng.u32(0..1_000_000_000))
                        .expect("valid"),
                ),
            ),
            (
                "daily_digest_at",
                Value::Time(OffsetTime {
                    time: NaiveTime::from_hms_opt(7, 30, 0).expect("valid"),
                    offset_seconds: 19_800,
                }),
            ),
            ("helpful_votes", Value::List(vec![Value::Int(rng.i64(0..50)), Value::Int(rng.i64(0..50))])),
        ]);
        nodes.push(Node { id: format!("review-{i}"), labels: vec!["Review".into()], properties: p });
    }
    // One node holding every value type the model knows, and a few with no label at all.
    nodes.push(Node {
        id: "showcase".into(),
        labels: vec!["Showcase".into(), "Value Types".into()],
        properties: sample_values().into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    });
    for i in 0..5 {
        nodes.push(Node {
            id: format!("orphan-{i}"),
            labels: vec![],
            properties: props([("note", s(format!("a node with no label #{i}")))]),
        });
    }

    let mut rid = 0;
    let mut rel = |t: &str, a: String, b: String, p: Properties| {
        rid += 1;
        Relationship { id: format!("r{rid}"), rel_type: t.to_string(), start: a, end: b, properties: p }
    };
    for m in 0..60 {
        for _ in 0..4 {
            let actor = rng.usize(0..50) * 3; // actors are every third person
            rels.push(rel(
                "ACTED_IN",
                format!("person-{actor}"),
                format!("movie-{m}"),
                props([("roles", Value::List(vec![s(format!("Character {}", rng.u32(1..99)))]))]),
            ));
        }
        // Parallel relationships: the same actor in the same movie twice, as two credits.
        if m % 6 == 0 {
            for credit in ["lead", "cameo"] {
                rels.push(rel(
                    "ACTED_IN",
                    "person-3".into(),
                    format!("movie-{m}"),
                    props([("roles", Value::List(vec![s(credit)]))]),
                ));
            }
        }
        rels.push(rel(
            "DIRECTED",
            format!("person-{}", rng.usize(0..15) * 10),
            format!("movie-{m}"),
            Properties::new(),
        ));
    }
    for r in 0..120 {
        rels.push(rel("WROTE", format!("person-{}", rng.usize(0..150)), format!("review-{r}"), Properties::new()));
        rels.push(rel(
            "REVIEWS",
            format!("review-{r}"),
            format!("movie-{}", rng.usize(0..60)),
            props([("spoilers", Value::Bool(r % 7 == 0))]),
        ));
    }
    for _ in 0..200 {
        let (a, b) = (rng.usize(0..150), rng.usize(0..150));
        let since = Value::Date(base + chrono::Duration::days(rng.i64(20_000..30_000)));
        rels.push(rel(
            "KNOWS",
            format!("person-{a}"),
            format!("person-{b}"),
            props([("since", since), ("strength", Value::Float(rng.f64()))]),
        ));
    }
    for p in (0..150).step_by(30) {
        // Self-loops.
        rels.push(rel("FOLLOWS", format!("person-{p}"), format!("person-{p}"), props([("muted", Value::Bool(false))])));
    }
    rels.push(rel(
        "DESCRIBES",
        "showcase".into(),
        "orphan-0".into(),
        sample_values()
            .into_iter()
            .filter(|(_, v)| !matches!(v, Value::Null))
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>(),
    ));
    rels.push(rel("LINKS TO", "orphan-1".into(), "orphan-2".into(), Properties::new()));

    w.write_nodes(&nodes)?;
    w.write_relationships(&rels)
}

/// A graph of `nodes` Person nodes and `rels` KNOWS relationships between random pairs, streamed.
fn synthetic(w: &mut DumpWriter, nodes: u64, rels: u64) -> std::io::Result<()> {
    let mut rng = fastrand::Rng::with_seed(7);
    let epoch = FixedOffset::east_opt(0).expect("utc").with_ymd_and_hms(2020, 1, 1, 0, 0, 0).single().expect("valid");
    const CHUNK: u64 = 10_000;
    for start in (0..nodes).step_by(CHUNK as usize) {
        let batch: Vec<Node> = (start..(start + CHUNK).min(nodes))
            .map(|i| Node {
                id: i.to_string(),
                labels: vec![if i % 5 == 0 { "Company" } else { "Person" }.to_string()],
                properties: props([
                    ("id", Value::Int(i as i64)),
                    ("name", s(format!("{} {}", FIRST[rng.usize(..FIRST.len())], LAST[rng.usize(..LAST.len())]))),
                    ("age", Value::Int(rng.i64(18..90))),
                    ("score", Value::Float(rng.f64() * 100.0)),
                    (
                        "tags",
                        Value::List(vec![s(GENRES[rng.usize(..GENRES.len())]), s(GENRES[rng.usize(..GENRES.len())])]),
                    ),
                    ("active", Value::Bool(rng.bool())),
                    (
                        "created",
                        Value::DateTime(ZonedDateTime {
                            datetime: epoch + chrono::Duration::seconds(rng.i64(0..150_000_000)),
                            zone: None,
                        }),
                    ),
                ]),
            })
            .collect();
        w.write_nodes(&batch)?;
    }
    for start in (0..rels).step_by(CHUNK as usize) {
        let batch: Vec<Relationship> = (start..(start + CHUNK).min(rels))
            .map(|i| {
                // Skewed degrees: the square of a uniform draw favours low ids.
                let a = ((rng.f64().powi(2)) * nodes as f64) as u64;
                let b = rng.u64(0..nodes.max(1));
                Relationship {
                    id: format!("k{i}"),
                    rel_type: if i % 4 == 0 { "WORKS_AT" } else { "KNOWS" }.into(),
                    start: a.to_string(),
                    end: b.to_string(),
                    properties: props([("since", Value::Int(rng.i64(1990..2025)))]),
                }
            })
            .collect();
        w.write_relationships(&batch)?;
    }
    Ok(())
}
