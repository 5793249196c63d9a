//! A load's work: reading the files, checking each record as the loader does, and writing the
//! records into the engine through the same query steps as `/openCypher` (so loaded data reads
//! back exactly as data written by queries), node files before relationship files.
//!
//! Error codes in `errorLogs`: `PARSING_ERROR` (a malformed file or record), `DATATYPE_MISMATCH`
//! (a value not of its column's type) and `FROM_OR_TO_VERTEX_ARE_MISSING` (a relationship whose
//! endpoint is not in the graph), the names of the Neptune loader's error and feed messages
//! page (https://docs.aws.amazon.com/neptune/latest/userguide/loader-message.html); `recordNum`
//! counts a file's data records from 1.
//!
//! Differences from Neptune, all on the side of strictness or simplicity: a node id seen twice
//! is MERGEd with the same label set (Neptune merges label sets and keeps any one value per
//! property); the whole load runs in one process, batch by batch, whatever `parallelism` says.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};
use tokio::sync::Mutex;

use super::csv::{self, Column, Type};
use super::{Counts, ErrorLog, Job, LoadRequest};
use crate::cypher;
use crate::error::NeptuneError;
use crate::routes::App;

const BATCH: usize = 500;

/// Runs the load; the status it ends with.
pub async fn run(app: &App, request: &LoadRequest, job: &Arc<Mutex<Job>>) -> &'static str {
    let mut files = Vec::new();
    if let Err(e) = list(&request.source, &mut files) {
        job.lock().await.error(ErrorLog {
            code: "PARSING_ERROR",
            message: format!("cannot list the source: {e}"),
            file: String::new(),
            record: 0,
        });
        return "LOAD_FAILED";
    }
    files.sort();
    let mut texts = Vec::new();
    for f in files {
        let name = f.display().to_string();
        match read(&f) {
            Ok(text) => texts.push((name, text)),
            Err(e) => {
                job.lock().await.error(ErrorLog { code: "PARSING_ERROR", message: e, file: name.clone(), record: 0 });
                job.lock().await.failed_feeds.push((name, Counts { parsing: 1, ..Counts::default() }));
                if request.fail_on_error {
                    return "LOAD_FAILED";
                }
            }
        }
    }
    // Node files first: a relationship needs its endpoints.
    let is_rel = |text: &str| text.lines().next().is_some_and(|h| h.split(',').any(|c| c == ":START_ID"));
    texts.sort_by_key(|(name, text)| (is_rel(text), name.clone()));
    for (name, text) in texts {
        let ok = load_file(app, request, job, &name, &text).await;
        if !ok {
            let mut j = job.lock().await;
            if !j.failed_feeds.iter().any(|(f, _)| *f == name) {
                let errors = j.errors.iter().filter(|e| e.file == name).count() as u64;
                j.failed_feeds.push((name.clone(), Counts { insert: errors, ..Counts::default() }));
            }
            if request.fail_on_error {
                return "LOAD_FAILED";
            }
        }
    }
    "LOAD_COMPLETED"
}

fn list(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            list(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// A file's text, gunzipped when it starts with gzip's magic bytes; it must be UTF-8.
fn read(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_end(&mut out).map_err(|e| format!("bad gzip: {e}"))?;
        out
    } else {
        bytes
    };
    String::from_utf8(bytes).map_err(|_| "the file is not UTF-8".to_string())
}

/// One parsed record on its way into the engine.
struct Pending {
    record: usize,
    row: Value,
}

/// Loads one file; false when it had an error.
async fn load_file(app: &App, request: &LoadRequest, job: &Arc<Mutex<Job>>, name: &str, text: &str) -> bool {
    let fail =
        |code: &'static str, record: usize, message: String| ErrorLog { code, message, file: name.to_string(), record };
    let records = match csv::records(text) {
        Ok(r) => r,
        Err((line, m)) => {
            job.lock().await.error(fail("PARSING_ERROR", 0, format!("line {line}: {m}")));
            return false;
        }
    };
    let Some(((_, header), data)) = records.split_first() else { return true };
    let columns: Result<Vec<Column>, String> = header.iter().map(|c| csv::column(&c.text)).collect();
    let columns = match columns.and_then(|c| check_header(c, request.edge_ids)) {
        Ok(c) => c,
        Err(m) => {
            job.lock().await.error(fail("PARSING_ERROR", 0, format!("header: {m}")));
            return false;
        }
    };
    let is_rel = columns.contains(&Column::StartId);
    // Rows grouped by what their query depends on: labels or type, and DateTime property names.
    let mut groups: BTreeMap<(Vec<String>, Vec<String>), Vec<Pending>> = BTreeMap::new();
    let mut ok = true;
    for (i, (line, cells)) in data.iter().enumerate() {
        let record = i + 1;
        job.lock().await.counts.records += 1;
        match parse_row(&columns, cells, request.edge_ids) {
            Ok((key, row)) => {
                let group = groups.entry(key).or_default();
                group.push(Pending { record, row });
                if group.len() >= BATCH {
                    let key = groups.keys().find(|k| groups[*k].len() >= BATCH).cloned().expect("a full group");
                    let rows = groups.remove(&key).expect("present");
                    ok &= write(app, job, name, is_rel, request.edge_ids, &key, rows).await;
                }
            }
            Err((code, m)) => {
                job.lock().await.error(fail(code, record, format!("line {line}: {m}")));
                ok = false;
            }
        }
        if !ok && request.fail_on_error {
            return false;
        }
    }
    for (key, rows) in groups {
        ok &= write(app, job, name, is_rel, request.edge_ids, &key, rows).await;
        if !ok && request.fail_on_error {
            return false;
        }
    }
    ok
}

/// The header rules of the format: each system column at most once; a node file has `:ID`; a
/// relationship file has `:START_ID`, `:END_ID`, `:TYPE`, and `:ID` exactly when
/// `userProvidedEdgeIds` is true; no `:LABEL` in a relationship file, no `:TYPE` in a node file.
fn check_header(columns: Vec<Column>, edge_ids: bool) -> Result<Vec<Column>, String> {
    let count = |c: &Column| columns.iter().filter(|x| *x == c).count();
    for c in [Column::Id, Column::Label, Column::StartId, Column::EndId, Column::Type] {
        if count(&c) > 1 {
            return Err(format!("system column {c:?} appears more than once"));
        }
    }
    let mut names: Vec<&str> =
        columns.iter().filter_map(|c| if let Column::Property(n, _) = c { Some(n.as_str()) } else { None }).collect();
    names.sort();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err("a property has two columns".into());
    }
    let rel = count(&Column::StartId) == 1;
    if rel {
        if count(&Column::EndId) != 1 || count(&Column::Type) != 1 {
            return Err("a relationship file needs :START_ID, :END_ID and :TYPE".into());
        }
        if count(&Column::Label) > 0 {
            return Err(":LABEL is not allowed in a relationship file".into());
        }
        if edge_ids && count(&Column::Id) == 0 {
            return Err(":ID is required in relationship files when userProvidedEdgeIds is TRUE".into());
        }
        if !edge_ids && count(&Column::Id) > 0 {
            return Err(":ID is not allowed in relationship files when userProvidedEdgeIds is FALSE".into());
        }
    } else {
        if count(&Column::Id) == 0 {
            return Err("a node file needs :ID".into());
        }
        if count(&Column::EndId) + count(&Column::Type) > 0 {
            return Err(":END_ID or :TYPE without :START_ID".into());
        }
    }
    Ok(columns)
}

type Parsed = ((Vec<String>, Vec<String>), Value);

fn parse_row(columns: &[Column], cells: &[csv::Cell], edge_ids: bool) -> Result<Parsed, (&'static str, String)> {
    if cells.len() != columns.len() {
        return Err(("PARSING_ERROR", format!("{} fields where the header has {}", cells.len(), columns.len())));
    }
    let mut row = Map::new();
    let (mut p, mut t) = (Map::new(), Map::new());
    let mut names = Vec::new();
    let mut datetimes = Vec::new();
    for (column, cell) in columns.iter().zip(cells) {
        let absent = cell.text.is_empty() && !cell.quoted;
        let required = |field: &str| -> Result<Value, (&'static str, String)> {
            if cell.text.is_empty() {
                return Err(("PARSING_ERROR", format!("empty {field}")));
            }
            Ok(Value::String(cell.text.clone()))
        };
        match column {
            Column::Id if edge_ids || !columns.contains(&Column::StartId) => {
                drop(row.insert("id".into(), required(":ID")?))
            }
            Column::Id => {}
            Column::StartId => drop(row.insert("s".into(), required(":START_ID")?)),
            Column::EndId => drop(row.insert("e".into(), required(":END_ID")?)),
            Column::Type => names.push(required(":TYPE")?.as_str().expect("a string").to_string()),
            Column::Label if absent => {}
            Column::Label => {
                let mut labels: Vec<String> =
                    cell.text.split(';').filter(|l| !l.is_empty()).map(String::from).collect();
                labels.sort();
                labels.dedup();
                names = labels;
            }
            Column::Property(..) if absent => {}
            Column::Property(name, ty) => {
                let value =
                    csv::value(*ty, &cell.text).map_err(|m| ("DATATYPE_MISMATCH", format!("property {name}: {m}")))?;
                if *ty == Type::DateTime {
                    datetimes.push(name.clone());
                    t.insert(name.clone(), value);
                } else {
                    p.insert(name.clone(), value);
                }
            }
        }
    }
    row.insert("p".into(), Value::Object(p));
    row.insert("t".into(), Value::Object(t));
    Ok(((names, datetimes), Value::Object(row)))
}

fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn query(is_rel: bool, edge_ids: bool, names: &[String], datetimes: &[String]) -> String {
    let var = if is_rel { "r" } else { "n" };
    let sets: String = datetimes.iter().map(|d| format!(", {var}.{q} = datetime(row.t.{q})", q = quote(d))).collect();
    if is_rel {
        let id = if edge_ids { " {`~id`: row.id}" } else { "" };
        format!(
            "UNWIND $rows AS row MATCH (a {{`~id`: row.s}}) MATCH (b {{`~id`: row.e}}) MERGE (a)-[r:{}{id}]->(b) \
             SET r += row.p{sets} RETURN count(*) AS written",
            quote(&names[0])
        )
    } else {
        let labels: String = names.iter().map(|l| format!(":{}", quote(l))).collect();
        format!(
            "UNWIND $rows AS row MERGE (n{labels} {{`~id`: row.id}}) SET n += row.p{sets} RETURN count(*) AS written"
        )
    }
}

/// Writes one group's rows; a relationship batch that wrote fewer rows than given is retried
/// row by row to name the records whose endpoints are missing.
async fn write(
    app: &App,
    job: &Arc<Mutex<Job>>,
    file: &str,
    is_rel: bool,
    edge_ids: bool,
    key: &(Vec<String>, Vec<String>),
    rows: Vec<Pending>,
) -> bool {
    let text = query(is_rel, edge_ids, &key.0, &key.1);
    let all: Vec<Value> = rows.iter().map(|r| r.row.clone()).collect();
    let expected = all.len() as u64;
    let error =
        |code: &'static str, record: usize, message: String| ErrorLog { code, message, file: file.to_string(), record };
    match execute(app, &text, all).await {
        Ok(n) if n == expected => true,
        Ok(_) if is_rel => {
            let mut ok = true;
            for r in rows {
                match execute(app, &text, vec![r.row]).await {
                    Ok(1) => {}
                    Ok(_) => {
                        job.lock().await.error(error(
                            "FROM_OR_TO_VERTEX_ARE_MISSING",
                            r.record,
                            "an endpoint node is not in the graph".into(),
                        ));
                        ok = false;
                    }
                    Err(e) => {
                        job.lock().await.error(error("INSERT_ERROR", r.record, format!("{}: {}", e.code, e.message)));
                        ok = false;
                    }
                }
            }
            ok
        }
        Ok(n) => {
            let first = rows.first().map_or(0, |r| r.record);
            job.lock().await.error(error("INSERT_ERROR", first, format!("only {n} of {expected} nodes were written")));
            false
        }
        Err(e) => {
            let first = rows.first().map_or(0, |r| r.record);
            job.lock().await.error(error("INSERT_ERROR", first, format!("{}: {}", e.code, e.message)));
            false
        }
    }
}

/// The steps of `/openCypher` a write goes through (without faults and counters).
async fn execute(app: &App, text: &str, rows: Vec<Value>) -> Result<u64, NeptuneError> {
    let engine = app.engine.as_ref().ok_or_else(|| NeptuneError::bad_request("no storage"))?;
    let analysis = cypher::analyze(text)?;
    let mut params = Map::new();
    params.insert("rows".into(), Value::Array(rows));
    cypher::remove_key::apply(&analysis.key_removals, &mut params)?;
    cypher::datetime::apply(&analysis.datetimes, &mut params)?;
    crate::types::check_params(&params)?;
    cypher::assign::check(&analysis.assignments, &params)?;
    if !analysis.labels.is_empty() || !analysis.rel_types.is_empty() {
        engine.ensure_types(&analysis.labels, &analysis.rel_types).await.map_err(|e| e.to_neptune())?;
    }
    let raw = engine.run("cypher", &analysis.text, Some(&Value::Object(params))).await.map_err(|e| e.to_neptune())?;
    let rows =
        crate::results::encode(raw, analysis.single_column.as_deref(), engine).await.map_err(|e| e.to_neptune())?;
    Ok(rows.first().and_then(|r| r.get("written")).and_then(Value::as_u64).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cells(texts: &[&str]) -> Vec<csv::Cell> {
        texts.iter().map(|t| csv::Cell { text: t.to_string(), quoted: false }).collect()
    }

    #[test]
    fn header_rules() {
        let cols = |h: &[&str]| h.iter().map(|c| csv::column(c).unwrap()).collect::<Vec<_>>();
        assert!(check_header(cols(&[":ID", ":LABEL", "a:Int"]), true).is_ok());
        assert!(check_header(cols(&[":LABEL", "a:Int"]), true).is_err());
        assert!(check_header(cols(&[":START_ID", ":END_ID", ":TYPE"]), true).is_err(), ":ID needed");
        assert!(check_header(cols(&[":ID", ":START_ID", ":END_ID", ":TYPE"]), false).is_err(), ":ID refused");
        assert!(check_header(cols(&[":ID", "a:Int", "a:String"]), true).is_err());
    }

    #[test]
    fn rows_name_their_problem() {
        let columns = vec![Column::Id, Column::Label, Column::Property("n".into(), Type::Int)];
        let ((labels, _), row) = parse_row(&columns, &cells(&["x", "B;A", "7"]), true).unwrap();
        assert_eq!(labels, ["A", "B"]);
        assert_eq!(row, json!({"id": "x", "p": {"n": 7}, "t": {}}));
        assert_eq!(parse_row(&columns, &cells(&["x", "A", "seven"]), true).unwrap_err().0, "DATATYPE_MISMATCH");
        assert_eq!(parse_row(&columns, &cells(&["x", "A"]), true).unwrap_err().0, "PARSING_ERROR");
    }
}
