//! The dump's line records, and a reader that checks the file's shape as it goes: a header
//! first, every node before any relationship, an end record last whose counts match what was
//! read, no id twice. A truncated or corrupted dump is an error naming the line, never a short
//! copy.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::json::{DumpProperties, ParsedProperties};
use crate::model::{bump, Node, Relationship};

pub const FORMAT: &str = "graphferry-dump";
pub const VERSION: u32 = 1;

#[derive(Serialize)]
pub struct HeaderLine {
    pub kind: &'static str,
    pub format: &'static str,
    pub version: u32,
}

impl HeaderLine {
    pub fn new() -> Self {
        HeaderLine { kind: "header", format: FORMAT, version: VERSION }
    }
}

#[derive(Serialize)]
pub struct NodeLine<'a> {
    pub kind: &'static str,
    pub id: &'a str,
    pub labels: &'a [String],
    pub properties: DumpProperties<'a>,
}

impl<'a> NodeLine<'a> {
    pub fn new(n: &'a Node) -> Self {
        NodeLine { kind: "node", id: &n.id, labels: &n.labels, properties: DumpProperties(&n.properties) }
    }
}

#[derive(Serialize)]
pub struct RelationshipLine<'a> {
    pub kind: &'static str,
    pub id: &'a str,
    #[serde(rename = "type")]
    pub rel_type: &'a str,
    pub start: &'a str,
    pub end: &'a str,
    pub properties: DumpProperties<'a>,
}

impl<'a> RelationshipLine<'a> {
    pub fn new(r: &'a Relationship) -> Self {
        RelationshipLine {
            kind: "relationship",
            id: &r.id,
            rel_type: &r.rel_type,
            start: &r.start,
            end: &r.end,
            properties: DumpProperties(&r.properties),
        }
    }
}

/// The last line: totals, so a reader can tell a complete dump from a cut one and report a
/// dump's contents without reading it all.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EndLine {
    pub kind: String,
    pub nodes: u64,
    pub relationships: u64,
    pub node_labels: BTreeMap<String, u64>,
    pub relationship_types: BTreeMap<String, u64>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Header,
    Node,
    Relationship,
    End,
}

/// Any line, parsed loosely, then checked by kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnyLine {
    kind: Kind,
    format: Option<String>,
    version: Option<u32>,
    id: Option<String>,
    labels: Option<Vec<String>>,
    #[serde(rename = "type")]
    rel_type: Option<String>,
    start: Option<String>,
    end: Option<String>,
    properties: Option<ParsedProperties>,
    nodes: Option<u64>,
    relationships: Option<u64>,
    node_labels: Option<BTreeMap<String, u64>>,
    relationship_types: Option<BTreeMap<String, u64>>,
}

pub enum Record {
    Node(Node),
    Relationship(Relationship),
}

#[derive(Debug, thiserror::Error)]
#[error("{}{}: {message}", path.display(), if *line > 0 { format!(":{line}") } else { String::new() })]
pub struct DumpError {
    pub path: PathBuf,
    pub line: u64,
    pub message: String,
}

/// A place in a dump: where the next line starts (byte offset and lines read), and how many
/// records came before it. A file source's resume token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    pub offset: u64,
    pub line: u64,
    pub nodes: u64,
    pub relationships: u64,
}

/// Reads a dump record by record. Lines are numbered from 1 (the header).
pub struct DumpReader {
    path: PathBuf,
    input: BufReader<File>,
    buf: String,
    line: u64,
    offset: u64,
    seen_relationship: bool,
    nodes: u64,
    relationships: u64,
    end: Option<EndLine>,
    /// The line of each node and relationship id read so far: ids are unique (docs/FORMAT.md),
    /// and a second record with one would merge into the first in one target and break a key
    /// constraint in another. Ids only, never records, to keep memory small. A reader that
    /// [`seek`](Self::seek)s checks only what it reads after the position.
    node_lines: HashMap<String, u64>,
    relationship_lines: HashMap<String, u64>,
}

impl DumpReader {
    pub fn open(path: &Path) -> Result<Self, DumpError> {
        let file = File::open(path).map_err(|e| DumpError {
            path: path.to_path_buf(),
            line: 0,
            message: format!("cannot open dump: {e}"),
        })?;
        let mut reader = DumpReader {
            path: path.to_path_buf(),
            input: BufReader::with_capacity(256 * 1024, file),
            buf: String::new(),
            line: 0,
            offset: 0,
            seen_relationship: false,
            nodes: 0,
            relationships: 0,
            end: None,
            node_lines: HashMap::new(),
            relationship_lines: HashMap::new(),
        };
        reader.read_header()?;
        Ok(reader)
    }

    fn error(&self, message: impl Into<String>) -> DumpError {
        DumpError { path: self.path.clone(), line: self.line, message: message.into() }
    }

    fn missing(&self, kind: &str, field: &str) -> DumpError {
        self.error(format!("a {kind} record needs `{field}`"))
    }

    /// Refuses an id already read on an earlier line, naming both lines.
    fn unique(&mut self, kind: Kind, id: &str) -> Result<(), DumpError> {
        let (noun, seen) = match kind {
            Kind::Relationship => ("relationship", &mut self.relationship_lines),
            _ => ("node", &mut self.node_lines),
        };
        match seen.get(id) {
            Some(&first) => Err(self.error(format!(
                "{noun} id `{id}` is already on line {first}: ids in a dump are unique (docs/FORMAT.md)"
            ))),
            None => {
                seen.insert(id.to_owned(), self.line);
                Ok(())
            }
        }
    }

    fn next_line(&mut self) -> Result<Option<AnyLine>, DumpError> {
        loop {
            self.buf.clear();
            let read = self.input.read_line(&mut self.buf).map_err(|e| self.error(format!("cannot read: {e}")))?;
            if read == 0 {
                return Ok(None);
            }
            self.line += 1;
            self.offset += read as u64;
            if !self.buf.ends_with('\n') {
                return Err(self.error("the line is cut off (no newline at its end): the dump is truncated"));
            }
            if self.buf.trim().is_empty() {
                continue;
            }
            return serde_json::from_str(&self.buf).map(Some).map_err(|e| self.error(format!("invalid record: {e}")));
        }
    }

    fn read_header(&mut self) -> Result<(), DumpError> {
        match self.next_line()? {
            Some(AnyLine { kind: Kind::Header, format: Some(f), version: Some(v), .. }) if f == FORMAT => {
                if v != VERSION {
                    return Err(self.error(format!("dump format version {v} is not supported (this graphferry reads version {VERSION})")));
                }
                Ok(())
            }
            None => Err(self.error("the file is empty: expected a graphferry dump header")),
            _ => Err(self.error(format!("not a graphferry dump: the first line must be {{\"kind\":\"header\",\"format\":\"{FORMAT}\",\"version\":{VERSION}}}"))),
        }
    }

    /// The next node or relationship; `None` after the end record. Errors on anything malformed,
    /// on a node after a relationship, and on a file that stops before its end record.
    pub fn next_record(&mut self) -> Result<Option<Record>, DumpError> {
        if self.end.is_some() {
            return Ok(None);
        }
        let Some(line) = self.next_line()? else {
            return Err(self.error("the dump ends without its end record: it is truncated"));
        };
        match line.kind {
            Kind::Node => {
                if self.seen_relationship {
                    return Err(
                        self.error("a node after a relationship: every node must come before the first relationship")
                    );
                }
                self.nodes += 1;
                let node = self.to_node(line)?;
                self.unique(Kind::Node, &node.id)?;
                Ok(Some(Record::Node(node)))
            }
            Kind::Relationship => {
                self.seen_relationship = true;
                self.relationships += 1;
                let relationship = self.to_relationship(line)?;
                self.unique(Kind::Relationship, &relationship.id)?;
                Ok(Some(Record::Relationship(relationship)))
            }
            Kind::End => {
                let end = EndLine {
                    kind: "end".into(),
                    nodes: line.nodes.ok_or_else(|| self.missing("end", "nodes"))?,
                    relationships: line.relationships.ok_or_else(|| self.missing("end", "relationships"))?,
                    node_labels: line.node_labels.unwrap_or_default(),
                    relationship_types: line.relationship_types.unwrap_or_default(),
                };
                if (end.nodes, end.relationships) != (self.nodes, self.relationships) {
                    return Err(self.error(format!(
                        "the end record counts {} nodes and {} relationships, but the dump holds {} and {}: records are missing or extra",
                        end.nodes, end.relationships, self.nodes, self.relationships
                    )));
                }
                if self.next_line()?.is_some() {
                    return Err(self.error("records after the end record"));
                }
                self.end = Some(end);
                Ok(None)
            }
            Kind::Header => Err(self.error("a second header record")),
        }
    }

    fn to_node(&self, line: AnyLine) -> Result<Node, DumpError> {
        Ok(Node {
            id: line.id.ok_or_else(|| self.missing("node", "id"))?,
            labels: line.labels.unwrap_or_default(),
            properties: line.properties.map(|p| p.0).unwrap_or_default(),
        })
    }

    fn to_relationship(&self, line: AnyLine) -> Result<Relationship, DumpError> {
        Ok(Relationship {
            id: line.id.ok_or_else(|| self.missing("relationship", "id"))?,
            rel_type: line.rel_type.ok_or_else(|| self.missing("relationship", "type"))?,
            start: line.start.ok_or_else(|| self.missing("relationship", "start"))?,
            end: line.end.ok_or_else(|| self.missing("relationship", "end"))?,
            properties: line.properties.map(|p| p.0).unwrap_or_default(),
        })
    }

    /// The record on the line starting at byte `offset` (taken earlier with
    /// [`position`](Self::position)), for random access; the file's shape was checked when the
    /// offsets were taken.
    pub fn record_at(&mut self, offset: u64) -> Result<Record, DumpError> {
        // A forward move within the buffer keeps it: lookups in file order read each block once.
        let moved = match i64::try_from(offset).ok().zip(i64::try_from(self.offset).ok()) {
            Some((to, from)) if to >= from => self.input.seek_relative(to - from),
            _ => self.input.seek(SeekFrom::Start(offset)).map(|_| ()),
        };
        moved.map_err(|e| self.error(format!("cannot seek: {e}")))?;
        self.offset = offset;
        match self.next_line()? {
            Some(line) if line.kind == Kind::Node => Ok(Record::Node(self.to_node(line)?)),
            Some(line) if line.kind == Kind::Relationship => Ok(Record::Relationship(self.to_relationship(line)?)),
            _ => Err(self.error(format!("no record at byte {offset}: the dump changed while it was read"))),
        }
    }

    /// Where the next line starts, with what was read before it.
    pub fn position(&self) -> Position {
        Position { offset: self.offset, line: self.line, nodes: self.nodes, relationships: self.relationships }
    }

    /// Continues reading from a position taken earlier with [`position`](Self::position) on the
    /// same file, counting the records before it as already read (the end record's counts are
    /// still checked).
    pub fn seek(&mut self, to: Position) -> Result<(), DumpError> {
        self.input.seek(SeekFrom::Start(to.offset)).map_err(|e| self.error(format!("cannot seek: {e}")))?;
        self.offset = to.offset;
        self.line = to.line;
        self.nodes = to.nodes;
        self.relationships = to.relationships;
        self.seen_relationship = to.relationships > 0;
        Ok(())
    }
}

/// Reads only the end record, from the file's tail: the counts of a dump without reading it all.
/// `None` when the last line is not an end record (the full read will then report why).
pub fn read_end(path: &Path) -> std::io::Result<Option<EndLine>> {
    let mut file = File::open(path)?;
    let len = file.seek(SeekFrom::End(0))?;
    let mut tail_len = 64 * 1024u64;
    loop {
        let start = len.saturating_sub(tail_len);
        file.seek(SeekFrom::Start(start))?;
        let mut tail = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut tail)?;
        let text = String::from_utf8_lossy(&tail);
        let trimmed = text.trim_end_matches('\n');
        match trimmed.rfind('\n') {
            Some(i) => return Ok(serde_json::from_str::<EndLine>(&trimmed[i + 1..]).ok().filter(|e| e.kind == "end")),
            None if start == 0 => return Ok(None),
            None => tail_len *= 4,
        }
    }
}

/// Writes a dump: the header on creation, records in order, the end record on `finish`.
/// Callers that want atomicity write to a temporary path and rename (see the file sink).
pub struct DumpWriter {
    out: BufWriter<File>,
    end: EndLine,
}

impl DumpWriter {
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        serde_json::to_writer(&mut out, &HeaderLine::new())?;
        out.write_all(b"\n")?;
        Ok(DumpWriter { out, end: EndLine { kind: "end".into(), ..EndLine::default() } })
    }

    /// Appends already-encoded lines (see [`encode_nodes`]) and counts what they hold.
    pub fn append_nodes(&mut self, encoded: &[u8], batch: &[Node]) -> std::io::Result<()> {
        self.out.write_all(encoded)?;
        self.end.nodes += batch.len() as u64;
        for label in batch.iter().flat_map(|n| &n.labels) {
            bump(&mut self.end.node_labels, label);
        }
        Ok(())
    }

    pub fn append_relationships(&mut self, encoded: &[u8], batch: &[Relationship]) -> std::io::Result<()> {
        self.out.write_all(encoded)?;
        self.end.relationships += batch.len() as u64;
        for r in batch {
            bump(&mut self.end.relationship_types, &r.rel_type);
        }
        Ok(())
    }

    pub fn write_nodes(&mut self, batch: &[Node]) -> std::io::Result<()> {
        self.append_nodes(&encode_nodes(batch)?, batch)
    }

    pub fn write_relationships(&mut self, batch: &[Relationship]) -> std::io::Result<()> {
        self.append_relationships(&encode_relationships(batch)?, batch)
    }

    /// Writes the end record, flushes and syncs the file to disk.
    pub fn finish(mut self) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, &self.end)?;
        self.out.write_all(b"\n")?;
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    }
}

/// Encodes node lines, newline-terminated. Separate from appending so concurrent writers can
/// encode in parallel and hold the file lock only to copy bytes.
pub fn encode_nodes(batch: &[Node]) -> std::io::Result<Vec<u8>> {
    encode(batch.iter().map(NodeLine::new))
}

pub fn encode_relationships(batch: &[Relationship]) -> std::io::Result<Vec<u8>> {
    encode(batch.iter().map(RelationshipLine::new))
}

fn encode<T: Serialize>(lines: impl Iterator<Item = T>) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(64 * 1024);
    for line in lines {
        serde_json::to_writer(&mut buf, &line)?;
        buf.push(b'\n');
    }
    Ok(buf)
}
