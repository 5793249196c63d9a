//! Micro-benchmarks of graphferry's per-value hot paths: encoding property values into Bolt
//! parameters and into Neptune JSON, and encoding and parsing dump lines.
//!
//! `cargo bench --bench encoding` (criterion; `-- --quick` for a fast pass). Inputs are a batch
//! of 1,000 records shaped like `examples/make_example_graph.rs`'s synthetic graph (strings,
//! ints, floats, bools, a list, a zoned datetime) plus one record holding every value type.

use std::hint::black_box;

use chrono::{FixedOffset, TimeZone};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use graphferry::connector::file::{encode_nodes, encode_relationships, DumpReader, DumpWriter};
use graphferry::connector::neo4j::value::{properties_from_bolt, properties_to_bolt};
use graphferry::connector::neptune::encoding::encode_properties;
use graphferry::connector::neptune::TemporalEncoding;
use graphferry::connector::Conversions;
use graphferry::model::json::{DumpProperties, ParsedProperties};
use graphferry::model::{sample_values, Node, Properties, Relationship, Value, ZonedDateTime};

const BATCH: usize = 1000;

fn nodes() -> Vec<Node> {
    let mut rng = fastrand::Rng::with_seed(3);
    let epoch =
        FixedOffset::east_opt(3600).expect("offset").with_ymd_and_hms(2020, 1, 1, 0, 0, 0).single().expect("date");
    (0..BATCH)
        .map(|i| Node {
            id: format!("n{i}"),
            labels: vec!["Person".into()],
            properties: Properties::from([
                ("id".to_string(), Value::Int(i as i64)),
                ("name".to_string(), Value::String(format!("Zoë Sørensen {i}"))),
                ("age".to_string(), Value::Int(rng.i64(18..90))),
                ("score".to_string(), Value::Float(rng.f64() * 100.0)),
                ("tags".to_string(), Value::List(vec![Value::String("drama".into()), Value::String("sci-fi".into())])),
                ("active".to_string(), Value::Bool(rng.bool())),
                (
                    "created".to_string(),
                    Value::DateTime(ZonedDateTime {
                        datetime: epoch + chrono::Duration::seconds(rng.i64(0..150_000_000)),
                        zone: None,
                    }),
                ),
            ]),
        })
        .collect()
}

fn relationships() -> Vec<Relationship> {
    (0..BATCH)
        .map(|i| Relationship {
            id: format!("r{i}"),
            rel_type: "KNOWS".into(),
            start: format!("n{i}"),
            end: format!("n{}", (i * 7) % BATCH),
            properties: Properties::from([("since".to_string(), Value::Int(1990 + (i % 35) as i64))]),
        })
        .collect()
}

fn every_type() -> Properties {
    sample_values().into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn bolt(c: &mut Criterion) {
    let batch = nodes();
    let mut g = c.benchmark_group("bolt");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("properties_to_bolt/1000 nodes", |b| {
        b.iter(|| batch.iter().map(|n| properties_to_bolt(black_box(&n.properties))).collect::<Vec<_>>())
    });
    let encoded: Vec<_> = batch.iter().map(|n| properties_to_bolt(&n.properties)).collect();
    g.bench_function("properties_from_bolt/1000 nodes", |b| {
        b.iter(|| encoded.iter().map(|m| properties_from_bolt(black_box(m)).expect("decodes")).collect::<Vec<_>>())
    });
    g.throughput(Throughput::Elements(1));
    let all = every_type();
    g.bench_function("properties_to_bolt/every value type", |b| b.iter(|| properties_to_bolt(black_box(&all))));
    g.finish();
}

fn neptune(c: &mut Criterion) {
    let batch = nodes();
    let mut g = c.benchmark_group("neptune");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("encode_properties/1000 nodes", |b| {
        b.iter(|| {
            let mut conversions = Conversions::new();
            batch
                .iter()
                .map(|n| {
                    encode_properties(
                        black_box(&n.properties),
                        "Person",
                        TemporalEncoding::DateTime,
                        false,
                        &mut conversions,
                    )
                    .expect("encodes")
                })
                .collect::<Vec<_>>()
        })
    });
    g.throughput(Throughput::Elements(1));
    let all = every_type();
    g.bench_function("encode_properties/every value type", |b| {
        b.iter(|| {
            encode_properties(black_box(&all), "Showcase", TemporalEncoding::DateTime, false, &mut Conversions::new())
                .expect("encodes")
        })
    });
    g.finish();
}

fn dump(c: &mut Criterion) {
    let (ns, rs) = (nodes(), relationships());
    let mut g = c.benchmark_group("dump");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("encode_nodes/1000", |b| b.iter(|| encode_nodes(black_box(&ns)).expect("encodes")));
    g.bench_function("encode_relationships/1000", |b| {
        b.iter(|| encode_relationships(black_box(&rs)).expect("encodes"))
    });
    let lines: Vec<String> =
        ns.iter().map(|n| serde_json::to_string(&DumpProperties(&n.properties)).expect("encodes")).collect();
    g.bench_function("parse_properties/1000 nodes", |b| {
        b.iter(|| {
            lines
                .iter()
                .map(|l| serde_json::from_str::<ParsedProperties>(black_box(l)).expect("parses").0)
                .collect::<Vec<_>>()
        })
    });
    // The whole reader: header check, line splitting, record parsing, from a page-cached file.
    let dir = std::env::temp_dir().join(format!("graphferry-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bench.jsonl");
    let mut w = DumpWriter::create(&path).expect("create");
    w.write_nodes(&ns).expect("write");
    w.write_relationships(&rs).expect("write");
    w.finish().expect("finish");
    g.throughput(Throughput::Elements(2 * BATCH as u64));
    g.bench_function("read_records/1000 nodes + 1000 relationships", |b| {
        b.iter_batched(
            || DumpReader::open(&path).expect("open"),
            |mut reader| {
                let mut n = 0;
                while let Some(record) = reader.next_record().expect("reads") {
                    black_box(&record);
                    n += 1;
                }
                assert_eq!(n, 2 * BATCH);
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bolt, neptune, dump);
criterion_main!(benches);
