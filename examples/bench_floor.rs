//! The floor that `bench/run.sh` measures graphferry against: what a bare client does with the
//! same data and no pipeline, conversions, identity checks or progress.
//!
//! ```text
//! bench_floor headline   --nodes N --rels M --out F.jsonl   # issue 8's Person/KNOWS dump (seed 8)
//! bench_floor load-headline --nodes N --rels M --db DB      # the same graph, plain, into ArcadeDB
//! bench_floor read-bolt  --db DB                            # one streamed neo4rs query per kind
//! bench_floor read-file  --path F.jsonl                     # every line parsed to serde_json
//! bench_floor write --from bolt:DB|file:F --sink bolt:DB|neptune:URL|file:F \
//!             [--batch 1000] [--mode merge|create] [--concurrency 4]
//! ```
//!
//! Each prints one JSON line `{"seconds", "records", ...}` for the timed phase only: `write`
//! reads everything into memory first (untimed), then times writing it. Values travel as JSON
//! scalars and lists (temporal values as ISO strings), the cheapest form each sink accepts.
//! ArcadeDB settings come from the same variables as the tests (`ARCADEDB_BOLT`,
//! `ARCADEDB_ROOT_PASSWORD`); `FLOOR_BOLT_URI`, `FLOOR_BOLT_USER` and `FLOOR_BOLT_PASSWORD`
//! override them for another Bolt server (Neo4j in bench/neo4j.sh).

use std::collections::HashMap;
use std::io::{BufRead, BufWriter, Write};
use std::time::Instant;

use futures::stream::{self, StreamExt, TryStreamExt};
use graphferry::connector::file::DumpWriter;
use graphferry::model::{Node, Properties, Relationship, Value};
use neo4rs::{query, BoltList, BoltMap, BoltString, BoltType, ConfigBuilder, Graph};
use serde_json::{json, Map, Value as Json};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// One record as the floor holds it: labels (one type for a relationship) and JSON properties.
struct Rec {
    id: String,
    labels: Vec<String>,
    ends: Option<(String, String)>,
    props: Map<String, Json>,
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn need(args: &[String], name: &str) -> Result<String, Error> {
    arg(args, name).ok_or_else(|| format!("{name} is required").into())
}

fn bolt() -> Result<Graph, Error> {
    // FLOOR_BOLT_* point the floor at another Bolt server (bench/neo4j.sh: Neo4j 5, user neo4j).
    let env = |a: &str, b: &str, d: &str| std::env::var(a).or_else(|_| std::env::var(b)).unwrap_or_else(|_| d.into());
    let uri = env("FLOOR_BOLT_URI", "ARCADEDB_BOLT", "bolt://127.0.0.1:7687");
    let pw = env("FLOOR_BOLT_PASSWORD", "ARCADEDB_ROOT_PASSWORD", "graphferry-test");
    let user = env("FLOOR_BOLT_USER", "FLOOR_BOLT_USER", "root");
    let config = ConfigBuilder::default().uri(uri).user(user).password(pw).fetch_size(1000).max_connections(8);
    Ok(Graph::connect(config.build()?)?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = match args.first().map(String::as_str) {
        Some("headline") => headline(&args)?,
        Some("load-headline") => load_headline(&args).await?,
        Some("read-bolt") => {
            let started = Instant::now();
            let n = read_bolt(&bolt()?, &need(&args, "--db")?).await?.len();
            json!({ "seconds": started.elapsed().as_secs_f64(), "records": n })
        }
        Some("read-file") => {
            let started = Instant::now();
            let n = read_file(&need(&args, "--path")?)?.len();
            json!({ "seconds": started.elapsed().as_secs_f64(), "records": n })
        }
        Some("write") => write(&args).await?,
        _ => return Err("usage: bench_floor headline|read-bolt|read-file|write ... (see the file's docs)".into()),
    };
    println!("{out}");
    Ok(())
}

/// 20,000 `Person {id, name, age, score, tags, active}` and `KNOWS {since}` between distinct
/// random pairs (no self-loops, no repeated pair), as issue 8 specifies; fixed seed.
fn headline_graph(nodes: u64, rels: u64) -> (Vec<Node>, Vec<Relationship>) {
    let mut rng = fastrand::Rng::with_seed(8);
    let s = Value::String;
    let people: Vec<Node> = (0..nodes)
        .map(|i| Node {
            id: format!("p{i}"),
            labels: vec!["Person".into()],
            properties: Properties::from([
                ("id".to_string(), Value::Int(i as i64)),
                ("name".to_string(), s(format!("person {i}"))),
                ("age".to_string(), Value::Int(rng.i64(18..90))),
                ("score".to_string(), Value::Float(rng.f64() * 100.0)),
                (
                    "tags".to_string(),
                    Value::List(vec![s(format!("t{}", rng.u8(..20))), s(format!("u{}", rng.u8(..20)))]),
                ),
                ("active".to_string(), Value::Bool(rng.bool())),
            ]),
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut knows = Vec::with_capacity(rels as usize);
    while (knows.len() as u64) < rels {
        let (a, b) = (rng.u64(0..nodes), rng.u64(0..nodes));
        if a == b || !seen.insert((a, b)) {
            continue;
        }
        knows.push(Relationship {
            id: format!("k{}", knows.len()),
            rel_type: "KNOWS".into(),
            start: format!("p{a}"),
            end: format!("p{b}"),
            properties: Properties::from([("since".to_string(), Value::Int(rng.i64(1990..2025)))]),
        });
    }
    (people, knows)
}

fn headline(args: &[String]) -> Result<Json, Error> {
    let (nodes, rels) = (need(args, "--nodes")?.parse()?, need(args, "--rels")?.parse()?);
    let (people, knows) = headline_graph(nodes, rels);
    let mut w = DumpWriter::create(std::path::Path::new(&need(args, "--out")?))?;
    w.write_nodes(&people)?;
    w.write_relationships(&knows)?;
    w.finish()?;
    Ok(json!({ "nodes": nodes, "relationships": rels }))
}

fn plain(v: &Value) -> BoltType {
    match v {
        Value::Int(i) => BoltType::from(*i),
        Value::Float(f) => BoltType::from(*f),
        Value::Bool(b) => BoltType::from(*b),
        Value::String(s) => BoltType::from(s.as_str()),
        Value::List(l) => BoltType::List(BoltList { value: l.iter().map(plain).collect() }),
        _ => BoltType::Null(neo4rs::BoltNull),
    }
}

/// Loads the headline graph into `--db` as plain Cypher data, as any application would hold it:
/// `(:Person {id, ...})-[:KNOWS {since}]->(:Person)`, no identity labels or properties of any tool.
async fn load_headline(args: &[String]) -> Result<Json, Error> {
    let (nodes, rels) = (need(args, "--nodes")?.parse()?, need(args, "--rels")?.parse()?);
    let db = need(args, "--db")?;
    let (people, knows) = headline_graph(nodes, rels);
    let g = bolt()?;
    g.run_on(db.as_str(), query("CREATE INDEX IF NOT EXISTS FOR (n:Person) ON (n.id)")).await?;
    for chunk in people.chunks(2000) {
        let rows = chunk
            .iter()
            .map(|n| {
                BoltType::Map(n.properties.iter().map(|(k, v)| (BoltString::from(k.as_str()), plain(v))).collect())
            })
            .collect();
        let q = query("UNWIND $rows AS row CREATE (n:Person) SET n = row")
            .param("rows", BoltType::List(BoltList { value: rows }));
        g.run_on(db.as_str(), q).await?;
    }
    let num = |id: &str| id[1..].parse::<i64>().unwrap_or(-1);
    for chunk in knows.chunks(2000) {
        let rows = chunk
            .iter()
            .map(|r| {
                let mut m = BoltMap::new();
                m.put("a".into(), BoltType::from(num(&r.start)));
                m.put("b".into(), BoltType::from(num(&r.end)));
                m.put("since".into(), plain(&r.properties["since"]));
                BoltType::Map(m)
            })
            .collect();
        let q = query(
            "UNWIND $rows AS row MATCH (a:Person {id: row.a}) MATCH (b:Person {id: row.b}) CREATE (a)-[:KNOWS {since: row.since}]->(b)",
        )
        .param("rows", BoltType::List(BoltList { value: rows }));
        g.run_on(db.as_str(), q).await?;
    }
    Ok(json!({ "nodes": nodes, "relationships": rels }))
}

fn bolt_to_json(v: BoltType) -> Json {
    match v {
        BoltType::String(s) => Json::String(s.value),
        BoltType::Boolean(b) => Json::Bool(b.value),
        BoltType::Integer(i) => Json::from(i.value),
        BoltType::Float(f) => json!(f.value),
        BoltType::Null(_) => Json::Null,
        BoltType::List(l) => Json::Array(l.value.into_iter().map(bolt_to_json).collect()),
        BoltType::Map(m) => Json::Object(m.value.into_iter().map(|(k, v)| (k.value, bolt_to_json(v))).collect()),
        BoltType::LocalDateTime(_) => chrono::NaiveDateTime::try_from(v)
            .map_or(Json::Null, |t| Json::String(t.format("%Y-%m-%dT%H:%M:%S%.f").to_string())),
        BoltType::DateTime(_) => {
            chrono::DateTime::<chrono::FixedOffset>::try_from(v).map_or(Json::Null, |t| Json::String(t.to_rfc3339()))
        }
        other => Json::String(format!("{other:?}")),
    }
}

/// The bare read: one streamed query for all nodes, one for all relationships.
async fn read_bolt(g: &Graph, db: &str) -> Result<Vec<Rec>, Error> {
    let mut out = Vec::new();
    for (text, rel) in [
        ("MATCH (n) RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props", false),
        (
            "MATCH (a)-[r]->(b) RETURN elementId(r) AS id, type(r) AS t, elementId(a) AS s, elementId(b) AS e, properties(r) AS props",
            true,
        ),
    ] {
        let mut txn = g.start_txn_on(db).await?;
        let mut rows = txn.execute(query(text)).await?;
        while let Some(row) = rows.next(txn.handle()).await? {
            let props = match bolt_to_json(row.get::<BoltType>("props")?) {
                Json::Object(m) => m,
                _ => Map::new(),
            };
            let id: String = row.get("id")?;
            out.push(if rel {
                Rec { id, labels: vec![row.get("t")?], ends: Some((row.get("s")?, row.get("e")?)), props }
            } else {
                Rec { id, labels: row.get("labels")?, ends: None, props }
            });
        }
        txn.commit().await?;
    }
    Ok(out)
}

/// The bare file read: every line of a graphferry dump parsed into a generic JSON value.
fn read_file(path: &str) -> Result<Vec<Rec>, Error> {
    let mut out = Vec::new();
    for line in std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?).lines() {
        let mut v: Json = serde_json::from_str(&line?)?;
        if v["kind"] != "node" && v["kind"] != "relationship" {
            continue; // the header and end lines
        }
        let take = |v: &mut Json, k: &str| v.get_mut(k).map(Json::take).unwrap_or(Json::Null);
        let props = match take(&mut v, "properties") {
            Json::Object(m) => m,
            _ => Map::new(),
        };
        let id = take(&mut v, "id").as_str().unwrap_or_default().to_string();
        let ends = v
            .get("start")
            .and_then(Json::as_str)
            .map(|s| (s.to_string(), v.get("end").and_then(Json::as_str).unwrap_or_default().to_string()));
        let labels = match (&ends, take(&mut v, "labels"), take(&mut v, "type")) {
            (Some(_), _, Json::String(t)) => vec![t],
            (_, Json::Array(l), _) => l.into_iter().filter_map(|l| l.as_str().map(str::to_string)).collect(),
            _ => vec![],
        };
        out.push(Rec { id, labels, ends, props });
    }
    Ok(out)
}

fn json_to_bolt(v: &Json) -> BoltType {
    match v {
        Json::Null => BoltType::Null(neo4rs::BoltNull),
        Json::Bool(b) => BoltType::from(*b),
        Json::Number(n) => n.as_i64().map_or_else(|| BoltType::from(n.as_f64().unwrap_or(f64::NAN)), BoltType::from),
        Json::String(s) => BoltType::from(s.as_str()),
        Json::Array(a) => BoltType::List(BoltList { value: a.iter().map(json_to_bolt).collect() }),
        Json::Object(m) => BoltType::Map(BoltMap {
            value: m.iter().map(|(k, v)| (BoltString::from(k.as_str()), json_to_bolt(v))).collect(),
        }),
    }
}

fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Batches of records that share labels (nodes) or a type (relationships), nodes first.
fn batches(recs: &[Rec], size: usize) -> Vec<(bool, String, Vec<&Rec>)> {
    let mut groups: Vec<((bool, String), Vec<&Rec>)> = Vec::new();
    let mut index: HashMap<(bool, String), usize> = HashMap::new();
    for r in recs {
        let key = (r.ends.is_some(), r.labels.iter().map(|l| format!(":{}", quote(l))).collect::<String>());
        let i = *index.entry(key.clone()).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(r);
    }
    groups.sort_by_key(|((rel, _), _)| *rel);
    let mut out = Vec::new();
    for ((rel, labels), members) in groups {
        for chunk in members.chunks(size.max(1)) {
            out.push((rel, labels.clone(), chunk.to_vec()));
        }
    }
    out
}

async fn write(args: &[String]) -> Result<Json, Error> {
    let from = need(args, "--from")?;
    let sink = need(args, "--sink")?;
    let batch: usize = arg(args, "--batch").map_or(Ok(1000), |b| b.parse())?;
    let concurrency: usize = arg(args, "--concurrency").map_or(Ok(4), |c| c.parse())?;
    let merge = arg(args, "--mode").is_none_or(|m| m == "merge");
    let recs = match from.split_once(':') {
        // FLOOR_BOLT_SOURCE_URI: read from another Bolt server than the one written to.
        Some(("bolt", db)) => match std::env::var("FLOOR_BOLT_SOURCE_URI") {
            Ok(uri) => {
                let user = std::env::var("FLOOR_BOLT_USER").unwrap_or_else(|_| "root".into());
                let pw = std::env::var("FLOOR_BOLT_PASSWORD").unwrap_or_else(|_| "graphferry-test".into());
                let c = ConfigBuilder::default().uri(uri).user(user).password(pw).fetch_size(1000);
                read_bolt(&Graph::connect(c.build()?)?, db).await?
            }
            Err(_) => read_bolt(&bolt()?, db).await?,
        },
        Some(("file", path)) => read_file(path)?,
        _ => return Err("--from bolt:DB or file:PATH".into()),
    };
    let started = Instant::now();
    let (written, retries) = match sink.split_once(':') {
        Some(("bolt", db)) => write_bolt(&recs, db, batch, concurrency, merge).await?,
        Some(("neptune", url)) => write_neptune(&recs, url, batch, concurrency, merge).await?,
        Some(("file", path)) => (write_file(&recs, path)?, 0),
        _ => return Err("--sink bolt:DB, neptune:URL or file:PATH".into()),
    };
    let seconds = started.elapsed().as_secs_f64();
    if written != recs.len() as u64 {
        return Err(format!("wrote {written} of {} records", recs.len()).into());
    }
    Ok(json!({
        "seconds": seconds, "records": recs.len(), "batch": batch, "concurrency": concurrency, "merge": merge,
        "retries": retries,
    }))
}

/// Nodes keyed on an indexed `_fid` under one marker label, as any idempotent Bolt writer must;
/// relationships matched on it.
/// Returns the records written and the retries.
async fn write_bolt(
    recs: &[Rec],
    db: &str,
    batch: usize,
    concurrency: usize,
    merge: bool,
) -> Result<(u64, u64), Error> {
    let g = bolt()?;
    g.run_on(db, query("CREATE CONSTRAINT IF NOT EXISTS FOR (n:_F) REQUIRE n._fid IS UNIQUE")).await?;
    let verb = if merge { "MERGE" } else { "CREATE" };
    let mut counts: Vec<(u64, u64)> = Vec::new();
    // Nodes, then relationships: a relationship batch must find its endpoints committed.
    for phase in [false, true] {
        let make = |(rel, labels, chunk): (bool, String, Vec<&Rec>)| {
            let g = g.clone();
            let texts = if rel {
                vec![format!(
                    "UNWIND $rows AS row MATCH (a:_F {{_fid: row.s}}) MATCH (b:_F {{_fid: row.e}}) \
                 {verb} (a)-[r{labels} {{_fid: row.id}}]->(b) SET r += row.p RETURN count(*) AS c"
                )]
            } else if merge {
                // An upsert as update-then-create on the marker's index: ArcadeDB plans a MERGE on
                // several labels as a scan (see graphferry's neo4j/cypher.rs), which no client would
                // keep.
                vec![
                    "UNWIND $rows AS row MATCH (n:_F {_fid: row.id}) SET n += row.p RETURN count(*) AS c".to_string(),
                    format!(
                        "UNWIND $rows AS row OPTIONAL MATCH (old:_F {{_fid: row.id}}) WITH row WHERE old IS NULL \
                     CREATE (n:_F{labels} {{_fid: row.id}}) SET n += row.p RETURN count(*) AS c"
                    ),
                ]
            } else {
                vec![format!(
                    "UNWIND $rows AS row CREATE (n:_F{labels} {{_fid: row.id}}) SET n += row.p RETURN count(*) AS c"
                )]
            };
            let rows: Vec<BoltType> = chunk.iter().map(|r| bolt_row(r)).collect();
            async move {
                let rows = BoltType::List(BoltList { value: rows });
                // Concurrent batches conflict on ArcadeDB now and then (a transient error); any
                // client must retry those.
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    match bolt_batch(&g, db, &texts, rows.clone()).await {
                        Ok(c) => return Ok::<(u64, u64), Error>((c, attempt - 1)),
                        Err(e) if attempt < 10 && format!("{e:?}").contains("Transient") => {
                            tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        };
        // ArcadeDB creates a type on the first write of a label set or relationship type, and
        // two transactions doing so at once fail one with a SemanticError no retry clears: the
        // first batch of each shape runs alone, as graphferry's Bolt sink does.
        let (mut first, mut rest) = (Vec::new(), Vec::new());
        let mut seen = std::collections::HashSet::new();
        for b in batches(recs, batch).into_iter().filter(|b| b.0 == phase) {
            if seen.insert(b.1.clone()) {
                first.push(b)
            } else {
                rest.push(b)
            }
        }
        counts.extend(stream::iter(first.into_iter().map(make)).buffered(1).try_collect::<Vec<_>>().await?);
        counts.extend(stream::iter(rest.into_iter().map(make)).buffered(concurrency).try_collect::<Vec<_>>().await?);
    }
    Ok((counts.iter().map(|c| c.0).sum(), counts.iter().map(|c| c.1).sum()))
}

/// Runs `texts` in one transaction; the sum of their counts.
async fn bolt_batch(g: &Graph, db: &str, texts: &[String], rows: BoltType) -> Result<u64, Error> {
    let mut txn = g.start_txn_on(db).await?;
    let mut total = 0;
    for text in texts {
        let mut stream = txn.execute(query(text).param("rows", rows.clone())).await?;
        let c: i64 = stream.next(txn.handle()).await?.ok_or("no count")?.get("c")?;
        while stream.next(txn.handle()).await?.is_some() {}
        total += c as u64;
    }
    txn.commit().await?;
    Ok(total)
}

fn bolt_row(r: &Rec) -> BoltType {
    let mut m = BoltMap::new();
    m.put("id".into(), BoltType::from(r.id.as_str()));
    if let Some((s, e)) = &r.ends {
        m.put("s".into(), BoltType::from(s.as_str()));
        m.put("e".into(), BoltType::from(e.as_str()));
    }
    m.put("p".into(), json_to_bolt(&Json::Object(r.props.clone())));
    BoltType::Map(m)
}

/// Neptune's fast path (NEPTUNE.md): `UNWIND $rows` keyed on `~id`, form-encoded, ending in
/// `RETURN count(*)` so the count is known, like graphferry's sink.
async fn write_neptune(
    recs: &[Rec],
    url: &str,
    batch: usize,
    concurrency: usize,
    merge: bool,
) -> Result<(u64, u64), Error> {
    let http = reqwest::Client::new();
    let verb = if merge { "MERGE" } else { "CREATE" };
    let endpoint = format!("{}/openCypher", url.trim_end_matches('/'));
    let mut counts: Vec<(u64, u64)> = Vec::new();
    // Nodes, then relationships: a relationship batch must find its endpoints committed.
    for phase in [false, true] {
        let work = batches(recs, batch).into_iter().filter(|b| b.0 == phase).map(|(rel, labels, chunk)| {
            let text = if rel {
                format!(
                    "UNWIND $rows AS row MATCH (a {{`~id`: row.s}}) MATCH (b {{`~id`: row.e}}) \
                 {verb} (a)-[r{labels} {{`~id`: row.id}}]->(b) SET r += row.p RETURN count(*) AS written"
                )
            } else {
                format!(
                "UNWIND $rows AS row {verb} (n{labels} {{`~id`: row.id}}) SET n += row.p RETURN count(*) AS written"
            )
            };
            let rows: Vec<Json> = chunk
                .iter()
                .map(|r| match &r.ends {
                    Some((s, e)) => json!({ "id": r.id, "s": s, "e": e, "p": r.props }),
                    None => json!({ "id": r.id, "p": r.props }),
                })
                .collect();
            let (http, endpoint) = (http.clone(), endpoint.clone());
            async move {
                let body = form_urlencoded(&text, &json!({ "rows": rows }).to_string());
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    let r = http
                        .post(&endpoint)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(body.clone())
                        .send()
                        .await?;
                    let status = r.status();
                    let v: Json = r.json().await?;
                    if status.is_success() {
                        return Ok::<(u64, u64), Error>((
                            v["results"][0]["written"].as_u64().unwrap_or(0),
                            attempt - 1,
                        ));
                    }
                    // Neptune's retriable answers (NEPTUNE.md): concurrent modification, throttling.
                    let retriable = v["code"] == "ConcurrentModificationException" || status.as_u16() == 429;
                    if !retriable || attempt >= 10 {
                        return Err(format!("{status}: {v}").into());
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
                }
            }
        });
        counts.extend(stream::iter(work).buffered(concurrency).try_collect::<Vec<_>>().await?);
    }
    Ok((counts.iter().map(|c| c.0).sum(), counts.iter().map(|c| c.1).sum()))
}

fn form_urlencoded(query: &str, params: &str) -> String {
    let enc = |s: &str| {
        let mut o = String::with_capacity(s.len() + s.len() / 4);
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => o.push(b as char),
                b' ' => o.push('+'),
                _ => o.push_str(&format!("%{b:02X}")),
            }
        }
        o
    };
    format!("query={}&parameters={}", enc(query), enc(params))
}

/// The bare file write: one JSON line per record through a buffered writer.
fn write_file(recs: &[Rec], path: &str) -> Result<u64, Error> {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    for r in recs {
        let line = match &r.ends {
            Some((s, e)) => {
                json!({ "kind": "relationship", "id": r.id, "type": r.labels.first(), "start": s, "end": e, "properties": r.props })
            }
            None => json!({ "kind": "node", "id": r.id, "labels": r.labels, "properties": r.props }),
        };
        serde_json::to_writer(&mut w, &line)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(recs.len() as u64)
}
