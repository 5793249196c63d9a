//! The spool between concurrent writes and the final files. A file set's header names every
//! property column with its type, which is known only once every record has been seen, and
//! writes arrive from concurrent tasks in no fixed order. So each write encodes its records
//! (the costly part, done in parallel) into a chunk file of its own, per file set, already as
//! final rows for the columns known at that moment (sorted by name and type); `finish` then
//! writes each file set's header and its chunks in a fixed order (the source id of their first
//! record), so the same input always gives the same files. A chunk written once every column
//! was known, whose cells the format takes as they are, is copied whole; any other is split
//! into its cells and laid out again (its missing columns absent, cells made final).
//!
//! A property seen with two types in one file set (an `age` that is an integer here and a
//! string there) cannot share one typed column: such a file set is written as one file set per
//! combination of types its rows hold, each with a header of its own.
//!
//! Memory: one index entry per chunk and one per property column, whatever the record count.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::cell;
use super::parts::{PartOptions, Parts};

/// Nodes or relationships: files of one kind are loaded before the other's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Nodes,
    Relationships,
}

impl Kind {
    pub fn folder(self) -> &'static str {
        match self {
            Kind::Nodes => "nodes",
            Kind::Relationships => "relationships",
        }
    }
}

/// What records share one file set: a node label set (sorted), or a relationship type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Group {
    pub kind: Kind,
    pub names: Vec<String>,
}

/// One property cell: its column's name and format type, and its text (borrowed from the
/// record where the text is the value as it is).
#[derive(Debug, Clone, PartialEq)]
pub struct Property<'a> {
    pub name: &'a str,
    pub type_name: Cow<'static, str>,
    pub text: Cow<'a, str>,
}

/// How a sink wrote one chunk's cells: its own `tag` for the cells' form (handed back to
/// [`Layout::property_cell`]), and the group cells it wrote after each row's system cells (as
/// the final layout would write them, or as far as the sink can tell while writing).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Form {
    pub tag: u8,
    pub group_cells: Vec<Option<String>>,
}

/// One record as a format encodes it: its system cells (ids) and its property cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row<'a> {
    pub system: Vec<Cow<'a, str>>,
    pub properties: Vec<Property<'a>>,
}

/// What differs between the two formats' files.
pub trait Layout: Sync {
    /// Header cells of the system columns each row starts with (the spooled ones, then the
    /// group's own).
    fn system_header(&self, kind: Kind) -> Vec<String>;
    /// The cells every row of `group` has after its spooled system cells (`:LABEL`, `:TYPE`);
    /// `None` is an empty cell.
    fn group_cells(&self, group: &Group) -> Vec<Option<String>>;
    fn property_header(&self, name: &str, type_name: &str) -> String;
    /// Whether a property cell of `type_name` spooled in `form` is already final.
    fn cell_final(&self, _type_name: &str, _form: u8) -> bool {
        true
    }
    /// The final text of a property cell spooled in `form` that is not ([`Layout::cell_final`]).
    fn property_cell<'a>(&self, _type_name: &str, spooled: &'a str, _form: u8) -> Cow<'a, str> {
        Cow::Borrowed(spooled)
    }
    /// Whether the header goes in a file of its own (neo4j-admin) or atop every part (Neptune).
    fn header_file(&self) -> bool;
}

/// One file set as written: its group, its header file (if apart), its parts, its rows.
#[derive(Debug, Clone)]
pub struct FileSet {
    pub group: Group,
    pub header: Option<PathBuf>,
    pub parts: Vec<PathBuf>,
    pub rows: u64,
}

#[derive(Default)]
struct GroupState {
    columns: Vec<(String, String)>,
    /// Property name → (type, column number): looked up without allocating, once per cell.
    index: HashMap<String, Vec<(String, usize)>>,
    /// Every column number, sorted by name and type: the property columns of a chunk now.
    sorted: Arc<Vec<usize>>,
    chunks: Vec<Chunk>,
}

struct Chunk {
    /// The source id of its first record: the chunk's place among the group's others.
    first: String,
    path: PathBuf,
    /// Its property columns, in order (the group's [`GroupState::sorted`] when it was written).
    columns: Arc<Vec<usize>>,
    form: Form,
    rows: u64,
}

pub struct Spool {
    dir: PathBuf,
    groups: Mutex<BTreeMap<Group, GroupState>>,
    next_chunk: AtomicU64,
}

impl Spool {
    pub fn create(dir: &Path) -> io::Result<Spool> {
        std::fs::create_dir_all(dir)?;
        Ok(Spool { dir: dir.to_path_buf(), groups: Mutex::new(BTreeMap::new()), next_chunk: AtomicU64::new(0) })
    }

    /// Spools `rows` of `group`, in their source order, written in `form`; `first_source_id`
    /// orders this chunk among the group's others.
    pub fn append(&self, group: &Group, first_source_id: &str, form: &Form, rows: &[Row<'_>]) -> io::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        // Column numbers first (short lock), then the encoding and the write without it.
        let (numbered, columns, known) = {
            let mut groups = self.groups.lock().expect("spool lock poisoned");
            let state = groups.entry(group.clone()).or_default();
            let mut added = false;
            let mut numbered = Vec::with_capacity(rows.len());
            for row in rows {
                let mut numbers = Vec::with_capacity(row.properties.len());
                for p in &row.properties {
                    let types = state.index.get(p.name);
                    let i = match types.and_then(|t| t.iter().find(|(t, _)| *t == p.type_name)) {
                        Some(&(_, i)) => i,
                        None => {
                            let i = state.columns.len();
                            state.columns.push((p.name.to_string(), p.type_name.to_string()));
                            state.index.entry(p.name.to_string()).or_default().push((p.type_name.to_string(), i));
                            added = true;
                            i
                        }
                    };
                    numbers.push(i);
                }
                numbered.push(numbers);
            }
            if added {
                let mut order: Vec<usize> = (0..state.columns.len()).collect();
                order.sort_by(|&a, &b| state.columns[a].cmp(&state.columns[b]));
                state.sorted = Arc::new(order);
            }
            (numbered, state.sorted.clone(), state.columns.len())
        };
        let mut position = vec![0; known];
        for (at, &c) in columns.iter().enumerate() {
            position[c] = at;
        }
        let mut cells: Vec<Option<&str>> = vec![None; columns.len()];
        let mut text = String::with_capacity(rows.len() * 128);
        for (row, numbers) in rows.iter().zip(&numbered) {
            for s in &row.system {
                cell::value(&mut text, s);
            }
            for g in &form.group_cells {
                match g {
                    Some(t) => cell::value(&mut text, t),
                    None => cell::absent(&mut text),
                }
            }
            cells.fill(None);
            for (p, &c) in row.properties.iter().zip(numbers) {
                cells[position[c]] = Some(&p.text);
            }
            for c in &cells {
                match c {
                    Some(t) => cell::value(&mut text, t),
                    None => cell::absent(&mut text),
                }
            }
            cell::end(&mut text);
        }
        let path = self.dir.join(format!("{}.chunk", self.next_chunk.fetch_add(1, Ordering::Relaxed)));
        std::fs::write(&path, text)?;
        let chunk =
            Chunk { first: first_source_id.to_string(), path, columns, form: form.clone(), rows: rows.len() as u64 };
        self.groups.lock().expect("spool lock poisoned").entry(group.clone()).or_default().chunks.push(chunk);
        Ok(())
    }

    /// Writes every file set into `out` (`nodes/`, `relationships/`), groups in parallel, and
    /// removes the spool. File sets come back in group order.
    pub fn finish(self, layout: &dyn Layout, out: &Path, options: PartOptions) -> io::Result<Vec<FileSet>> {
        let groups: Vec<(usize, Group, GroupState)> = {
            let groups = self.groups.into_inner().expect("spool lock poisoned");
            let mut numbers: HashMap<Kind, usize> = HashMap::new();
            groups
                .into_iter()
                .map(|(g, s)| {
                    let n = numbers.entry(g.kind).or_default();
                    *n += 1;
                    (*n, g, s)
                })
                .collect()
        };
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(groups.len().max(1));
        let queue = Mutex::new(groups.into_iter());
        let results: Mutex<Vec<(usize, Kind, Vec<FileSet>)>> = Mutex::new(Vec::new());
        let failure: Mutex<Option<io::Error>> = Mutex::new(None);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| loop {
                    if failure.lock().expect("poisoned").is_some() {
                        return;
                    }
                    let Some((n, group, state)) = queue.lock().expect("poisoned").next() else { return };
                    let kind = group.kind;
                    match write_group(layout, out, options, n, group, state) {
                        Ok(sets) => results.lock().expect("poisoned").push((n, kind, sets)),
                        Err(e) => *failure.lock().expect("poisoned") = Some(e),
                    }
                });
            }
        });
        if let Some(e) = failure.into_inner().expect("poisoned") {
            return Err(e);
        }
        std::fs::remove_dir_all(&self.dir)?;
        let mut results = results.into_inner().expect("poisoned");
        results.sort_by_key(|(n, kind, _)| (*kind, *n));
        Ok(results.into_iter().flat_map(|(_, _, sets)| sets).collect())
    }
}

/// A file-name-safe rendering of a group's names (the exact names are in the files).
fn stem(n: usize, group: &Group) -> String {
    let names = if group.names.is_empty() { "unlabelled".to_string() } else { group.names.join("_") };
    let safe: String = names
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .take(60)
        .collect();
    format!("{}-{n:04}-{safe}", group.kind.folder())
}

/// A property seen with several types: which types, in column order.
struct Conflicts(BTreeMap<String, Vec<usize>>);

/// One file set of a group: its parts, and its property columns (spooled column numbers).
struct Variant {
    parts: Parts,
    at: Vec<usize>,
    rows: u64,
    header: Option<PathBuf>,
}

fn write_group(
    layout: &dyn Layout,
    out: &Path,
    options: PartOptions,
    n: usize,
    group: Group,
    mut state: GroupState,
) -> io::Result<Vec<FileSet>> {
    let dir = out.join(group.kind.folder());
    std::fs::create_dir_all(&dir)?;
    // Columns sorted by name and type, so the header does not depend on arrival order.
    let order = state.sorted.clone();
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &c in order.iter() {
        by_name.entry(state.columns[c].0.clone()).or_default().push(c);
    }
    let conflicts = Conflicts(by_name.into_iter().filter(|(_, cs)| cs.len() > 1).collect());
    state.chunks.sort_by(|a, b| (&a.first, &a.path).cmp(&(&b.first, &b.path)));
    let group_cells = layout.group_cells(&group);
    let system_width = layout.system_header(group.kind).len() - group_cells.len();
    let base = stem(n, &group);
    let mut variants: Vec<(Vec<usize>, Variant)> = Vec::new();
    let open = |variants: &mut Vec<(Vec<usize>, Variant)>, key: &[usize]| -> io::Result<usize> {
        if let Some(i) = variants.iter().position(|(k, _)| fits(k, key)) {
            return Ok(i);
        }
        let number = variants.len();
        let v = open_variant(layout, &dir, &base, options, &group, &state.columns, &order, &conflicts, key, number)?;
        variants.push((key.to_vec(), v));
        Ok(number)
    };
    let mut line = String::new();
    let mut at: Vec<Option<usize>> = vec![None; state.columns.len()];
    for chunk in &state.chunks {
        let text = std::fs::read_to_string(&chunk.path)?;
        let whole = conflicts.0.is_empty()
            && chunk.columns == order
            && chunk.form.group_cells == group_cells
            && chunk.columns.iter().all(|&c| layout.cell_final(&state.columns[c].1, chunk.form.tag));
        if whole {
            let i = open(&mut variants, &[])?;
            let variant = &mut variants[i].1;
            variant.parts.rows(&text)?;
            variant.rows += chunk.rows;
            continue;
        }
        at.fill(None);
        for (i, &c) in chunk.columns.iter().enumerate() {
            at[c] = Some(i);
        }
        let properties_from = system_width + chunk.form.group_cells.len();
        let mut cells: Vec<&str> = Vec::new();
        for row in cell::lines(&text) {
            cells.clear();
            cell::split(row, &mut cells);
            let cell_of = |c: usize| at[c].map(|i| cells[properties_from + i]).filter(|raw| !raw.is_empty());
            // Which type of each conflicting property this row holds (0: none). A row goes to
            // the first file set (in creation order) holding its types; lacking a property
            // fits any.
            let key: Vec<usize> = conflicts
                .0
                .values()
                .map(|cs| cs.iter().position(|&c| cell_of(c).is_some()).map_or(0, |p| p + 1))
                .collect();
            let i = open(&mut variants, &key)?;
            let variant = &mut variants[i].1;
            line.clear();
            for raw in &cells[..system_width] {
                cell::raw(&mut line, raw);
            }
            for g in &group_cells {
                match g {
                    Some(t) => cell::value(&mut line, t),
                    None => cell::absent(&mut line),
                }
            }
            for &c in &variant.at {
                match cell_of(c) {
                    None => cell::absent(&mut line),
                    Some(raw) if layout.cell_final(&state.columns[c].1, chunk.form.tag) => cell::raw(&mut line, raw),
                    Some(raw) => {
                        let value = cell::unquote(raw);
                        cell::value(&mut line, &layout.property_cell(&state.columns[c].1, &value, chunk.form.tag));
                    }
                }
            }
            cell::end(&mut line);
            variant.parts.row(&line)?;
            variant.rows += 1;
        }
    }
    let mut sets = Vec::with_capacity(variants.len());
    for (_, v) in variants {
        sets.push(FileSet { group: group.clone(), header: v.header, parts: v.parts.finish()?, rows: v.rows });
    }
    Ok(sets)
}

/// Whether a row holding the types `row` of the conflicting properties fits the file set made
/// for `variant` (0: the row lacks that property, which fits any).
fn fits(variant: &[usize], row: &[usize]) -> bool {
    variant.iter().zip(row).all(|(v, r)| *r == 0 || v == r)
}

#[allow(clippy::too_many_arguments)]
fn open_variant(
    layout: &dyn Layout,
    dir: &Path,
    base: &str,
    options: PartOptions,
    group: &Group,
    columns: &[(String, String)],
    order: &[usize],
    conflicts: &Conflicts,
    key: &[usize],
    number: usize,
) -> io::Result<Variant> {
    // A conflicting property's column is the type this variant's rows hold (or none).
    let chosen: HashMap<&str, Option<usize>> =
        conflicts.0.iter().zip(key).map(|((name, cs), &k)| (name.as_str(), k.checked_sub(1).map(|i| cs[i]))).collect();
    let mut header = String::new();
    for h in layout.system_header(group.kind) {
        cell::value(&mut header, &h);
    }
    let mut at = Vec::new();
    for &c in order {
        let (name, type_name) = &columns[c];
        if let Some(pick) = chosen.get(name.as_str()) {
            if *pick != Some(c) {
                continue;
            }
        }
        at.push(c);
        cell::value(&mut header, &layout.property_header(name, type_name));
    }
    cell::end(&mut header);
    let stem = if conflicts.0.is_empty() { base.to_string() } else { format!("{base}-types{}", number + 1) };
    let (header_line, header_path) = if layout.header_file() {
        let path = dir.join(Parts::file_name(&stem, "header", false));
        std::fs::write(&path, &header)?;
        (None, Some(path))
    } else {
        (Some(header), None)
    };
    Ok(Variant { parts: Parts::new(dir, stem, header_line, options), at, rows: 0, header: header_path })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Plain;

    impl Layout for Plain {
        fn system_header(&self, _kind: Kind) -> Vec<String> {
            vec![":ID".into()]
        }
        fn group_cells(&self, _group: &Group) -> Vec<Option<String>> {
            vec![]
        }
        fn property_header(&self, name: &str, type_name: &str) -> String {
            format!("{name}:{type_name}")
        }
        fn header_file(&self) -> bool {
            false
        }
    }

    fn row<'a>(id: &'a str, props: &[(&'a str, &str, &'a str)]) -> Row<'a> {
        Row {
            system: vec![id.into()],
            properties: props
                .iter()
                .map(|(n, t, v)| Property { name: n, type_name: t.to_string().into(), text: (*v).into() })
                .collect(),
        }
    }

    #[test]
    fn chunks_come_out_in_source_id_order_with_sorted_columns_and_one_file_set_per_type_mix() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::create(&dir.path().join("spool")).unwrap();
        let g = Group { kind: Kind::Nodes, names: vec!["L".into()] };
        // Arrival order is not source order: the later chunk is appended first.
        spool.append(&g, "b", &Form::default(), &[row("b", &[("z", "Long", "2"), ("age", "String", "old")])]).unwrap();
        spool
            .append(&g, "a", &Form::default(), &[row("a", &[("age", "Long", "1")]), row("a2", &[("z", "Long", "")])])
            .unwrap();
        let sets = spool.finish(&Plain, dir.path(), PartOptions { max_bytes: 1 << 20, gzip: false }).unwrap();
        assert_eq!(sets.len(), 2, "age is a Long in one row and a String in another");
        let read = |s: &FileSet| std::fs::read_to_string(&s.parts[0]).unwrap();
        assert_eq!(read(&sets[0]), ":ID,age:Long,z:Long\r\na,1,\r\na2,,\"\"\r\n");
        assert_eq!(read(&sets[1]), ":ID,age:String,z:Long\r\nb,old,2\r\n");
        assert!(!dir.path().join("spool").exists(), "the spool is removed");
    }
}
