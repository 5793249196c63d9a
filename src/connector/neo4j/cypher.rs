//! The Cypher text graphferry sends. Labels, relationship types and property names are user data
//! that cannot be parameters in Cypher, so they are spliced into the text, always through
//! [`quote`]; every value travels as a parameter.

use crate::model::bookkeeping::BOOKKEEPING_NODE_LABELS;

/// A label, relationship type or property name as a Cypher identifier: in backticks, with each
/// backtick doubled, so any name (spaces, backticks, unicode, keywords) is taken literally.
pub fn quote(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('`');
    for c in name.chars() {
        if c == '`' {
            out.push('`');
        }
        out.push(c);
    }
    out.push('`');
    out
}

/// `:A:B` for a node pattern (empty for no labels).
pub fn labels(labels: &[String]) -> String {
    labels.iter().map(|l| format!(":{}", quote(l))).collect()
}

/// `:T1|T2` for a relationship pattern.
fn types(types: &[String]) -> String {
    let quoted: Vec<String> = types.iter().map(|t| quote(t)).collect();
    format!(":{}", quoted.join("|"))
}

pub const LABELS: &str = "CALL db.labels() YIELD label RETURN label";
pub const RELATIONSHIP_TYPES: &str = "CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType";
pub const COUNT_RELATIONSHIPS: &str = "MATCH ()-[r]->() RETURN count(r) AS c";
pub const PING: &str = "RETURN 1 AS c";

/// `NOT n:`__NodestreamMigration__` AND ...`: `n` is not a nodestream bookkeeping node. A label
/// test rather than a check of `labels(n)`, so the server can answer it from its label store.
fn not_bookkeeping() -> String {
    let tests: Vec<String> = BOOKKEEPING_NODE_LABELS.iter().map(|l| format!("NOT n:{}", quote(l))).collect();
    tests.join(" AND ")
}

/// Every node but nodestream's bookkeeping.
pub fn count_nodes() -> String {
    format!("MATCH (n) WHERE {} RETURN count(n) AS c", not_bookkeeping())
}

pub fn count_label(label: &str) -> String {
    format!("MATCH (n:{}) RETURN count(n) AS c", quote(label))
}

pub fn count_type(rel_type: &str) -> String {
    format!("MATCH ()-[r:{}]->() RETURN count(r) AS c", quote(rel_type))
}

/// Whether any node carries `label` (create mode's emptiness check).
pub fn any_with_label(label: &str) -> String {
    format!("MATCH (n:{}) RETURN count(n) > 0 AS c LIMIT 1", quote(label))
}

/// Which nodes one streamed scan covers: every node (a whole-graph copy: one scan, as cheap as
/// a read gets), or, for a selection, one label at a time. A node is read by the first scan
/// whose label it carries, so label scans exclude labels already scanned (`$earlier`); the last
/// scan takes nodes with no label but graphferry's own identity label (`$marker`), which is
/// never copied as data. No scan reads nodestream's bookkeeping nodes (migration history, lock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scanned {
    Every,
    Label(String),
    Unlabelled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeScan {
    pub of: Scanned,
    /// Only nodes with a relationship of one of these types (endpoints of a relationship
    /// selection); empty: no such condition.
    pub adjacent_to: Vec<String>,
}

impl NodeScan {
    /// Parameters: `$earlier` (labels of earlier scans), `$marker`, `$after` (the key to read
    /// on after; -1 from the start). Rows come in key order, with the key in `k`.
    pub fn query(&self) -> String {
        let (pattern, mut conditions) = match &self.of {
            Scanned::Every => ("(n)".to_string(), vec![not_bookkeeping()]),
            Scanned::Label(l) => (
                format!("(n:{})", quote(l)),
                vec!["none(l IN labels(n) WHERE l IN $earlier)".to_string(), not_bookkeeping()],
            ),
            Scanned::Unlabelled => ("(n)".to_string(), vec!["all(l IN labels(n) WHERE l = $marker)".to_string()]),
        };
        if !self.adjacent_to.is_empty() {
            conditions.push(format!("EXISTS {{ (n)-[{}]-() }}", types(&self.adjacent_to)));
        }
        let mut text = format!("MATCH {pattern}");
        if !conditions.is_empty() {
            text.push_str(&format!(" WHERE {}", conditions.join(" AND ")));
        }
        text.push_str(&format!(
            " {KEYSET_N} RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props, k"
        ));
        text
    }
}

/// A scan in key order from `$after` on, so a read can resume after the last key it handed on
/// whatever order the rows lie in or the planner picks (never SKIP, which counts rows in an
/// order nobody promised). The key is `id()`, not `elementId()`: the same number Neo4j 5 puts
/// in its element ids, and ArcadeDB's Bolt plugin (the test server) cannot compare element-id
/// strings in a WHERE (every such comparison is false there). Filtering before ordering lets
/// the server sort only what is left.
const KEYSET_N: &str = "WITH n, id(n) AS k WHERE k > $after WITH n, k ORDER BY k";
const KEYSET_R: &str = "WITH a, r, b, id(r) AS k WHERE k > $after WITH a, r, b, k ORDER BY k";

/// The relationships of one type, or (`None`) every relationship with its type in `t`, in key
/// order from `$after` on (see [`KEYSET_N`]).
pub fn relationship_scan(rel_type: Option<&str>) -> String {
    let (pattern, t) = match rel_type {
        Some(t) => (format!("[r:{}]", quote(t)), ""),
        None => ("[r]".to_string(), "type(r) AS t, "),
    };
    format!(
        "MATCH (a)-{pattern}->(b) {KEYSET_R} RETURN elementId(r) AS id, {t}elementId(a) AS s, elementId(b) AS e, properties(r) AS props, k"
    )
}

/// Counts of the nodes a selection covers, in one pass: `$labels` selected, or adjacent to a
/// relationship of `types`, never a bookkeeping node. Returns the total (`c`), and a query
/// with one row per label (`l`, `c`).
pub fn count_selected_nodes(rel_types: &[String]) -> (String, String) {
    let mut condition = "(any(l IN labels(n) WHERE l IN $labels)".to_string();
    if !rel_types.is_empty() {
        condition.push_str(&format!(" OR EXISTS {{ (n)-[{}]-() }}", types(rel_types)));
    }
    condition.push_str(&format!(") AND {}", not_bookkeeping()));
    (
        format!("MATCH (n) WHERE {condition} RETURN count(n) AS c"),
        format!("MATCH (n) WHERE {condition} UNWIND labels(n) AS l WITH l WHERE l <> $marker RETURN l, count(*) AS c"),
    )
}

/// How nodes are written, given the identity the sink settled on for their label set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeWrite {
    /// MERGE on the identity label and source-id property.
    MergeOnSourceId,
    /// MERGE on migration-declared keys of `label`; the source id is still set, since
    /// relationship endpoints are found by it.
    MergeOnKeys {
        label: String,
        keys: Vec<String>,
    },
    Create,
}

/// The UNWIND writes, run in order in one transaction, that write nodes all carrying
/// `node_labels`. Rows: `{id, props}`. Each returns `c`, the rows it wrote; their sum must be the
/// row count, which the sink checks.
///
/// Source-id identity is an update of the nodes that exist followed by a create of the missing
/// ones, both found through the identity label's unique index: the same upsert as
/// `MERGE (n:M:A {id: row.id})`, which is what Neo4j would plan as an index seek. ArcadeDB quirk:
/// it stores a multi-label node under a combined type (`A~M`) and a MERGE on several labels scans
/// that type instead of using the identity label's index (about 20 ms a node at 20k nodes, so
/// quadratic), while a MATCH on the identity label alone seeks the index; adding the labels
/// after a single-label MERGE is no way out either, as moving the new node into the combined
/// type fails the unique index inside the same transaction.
pub fn write_nodes(write: &NodeWrite, node_labels: &[String], marker: &str, id_property: &str) -> Vec<String> {
    let id = quote(id_property);
    let m = quote(marker);
    let mut all = vec![marker.to_string()];
    all.extend(node_labels.iter().cloned());
    let tail = format!("SET n += row.props, n.{id} = row.id RETURN count(n) AS c");
    match write {
        NodeWrite::MergeOnSourceId => {
            let set_labels =
                if node_labels.is_empty() { String::new() } else { format!("SET n{} ", labels(node_labels)) };
            vec![
                format!("UNWIND $rows AS row MATCH (n:{m} {{{id}: row.id}}) {set_labels}SET n += row.props RETURN count(n) AS c"),
                format!(
                    "UNWIND $rows AS row OPTIONAL MATCH (old:{m} {{{id}: row.id}}) WITH row WHERE old IS NULL \
                     CREATE (n{}) {tail}",
                    labels(&all)
                ),
            ]
        }
        // The same update-then-create upsert, on the key label's uniqueness constraint (which a
        // migration created). ArcadeDB quirk: a MERGE that creates the node and then adds the
        // other labels in the same transaction fails that constraint
        // (ConstraintValidationFailed), while creating the node with all its labels at once
        // works; on Neo4j both are the same upsert.
        NodeWrite::MergeOnKeys { label, keys } => {
            let key_map: Vec<String> = keys.iter().map(|k| format!("{q}: row.props.{q}", q = quote(k))).collect();
            let pattern = format!("{}{{{}}}", labels(std::slice::from_ref(label)), key_map.join(", "));
            let rest: Vec<String> = all.iter().filter(|l| *l != label).cloned().collect();
            let set_labels = if rest.is_empty() { String::new() } else { format!(" SET n{}", labels(&rest)) };
            vec![
                format!("UNWIND $rows AS row MATCH (n{pattern}){set_labels} {tail}"),
                format!(
                    "UNWIND $rows AS row OPTIONAL MATCH (old{pattern}) WITH row WHERE old IS NULL CREATE (n{}) {tail}",
                    labels(&all)
                ),
            ]
        }
        NodeWrite::Create => vec![format!("UNWIND $rows AS row CREATE (n{}) {tail}", labels(&all))],
    }
}

/// One UNWIND write of relationships of one type. Rows: `{id, s, e, props}`. Endpoints are
/// found through the identity label's source-id index, whatever their other labels.
pub fn write_relationships(rel_type: &str, create: bool, marker: &str, id_property: &str) -> String {
    let (m, id, t) = (quote(marker), quote(id_property), quote(rel_type));
    let verb =
        if create { format!("CREATE (a)-[r:{t}]->(b)") } else { format!("MERGE (a)-[r:{t} {{{id}: row.id}}]->(b)") };
    format!(
        "UNWIND $rows AS row MATCH (a:{m} {{{id}: row.s}}) MATCH (b:{m} {{{id}: row.e}}) {verb} \
         SET r += row.props, r.{id} = row.id RETURN count(r) AS c"
    )
}

/// The uniqueness constraint behind endpoint lookups and node MERGEs (it also makes a second
/// node with the same source id an error instead of a silent duplicate).
pub fn source_id_constraint(marker: &str, id_property: &str) -> String {
    format!("CREATE CONSTRAINT IF NOT EXISTS FOR (n:{}) REQUIRE n.{} IS UNIQUE", quote(marker), quote(id_property))
}

/// An index (or, on Enterprise, a NODE KEY constraint) on migration-declared keys.
pub fn key_index(label: &str, keys: &[String], enterprise: bool) -> String {
    let props: Vec<String> = keys.iter().map(|k| format!("n.{}", quote(k))).collect();
    if enterprise {
        format!("CREATE CONSTRAINT IF NOT EXISTS FOR (n:{}) REQUIRE ({}) IS NODE KEY", quote(label), props.join(", "))
    } else {
        format!("CREATE INDEX IF NOT EXISTS FOR (n:{}) ON ({})", quote(label), props.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_doubles_backticks() {
        assert_eq!(quote("Person"), "`Person`");
        assert_eq!(quote("we`ird lab"), "`we``ird lab`");
        assert_eq!(quote("``"), "``````");
        assert_eq!(quote("a`) DETACH DELETE (n"), "`a``) DETACH DELETE (n`");
    }

    #[test]
    fn node_scans() {
        let scan = NodeScan { of: Scanned::Label("A b".into()), adjacent_to: vec!["R`1".into(), "S".into()] };
        assert_eq!(
            scan.query(),
            "MATCH (n:`A b`) WHERE none(l IN labels(n) WHERE l IN $earlier) \
             AND NOT n:`__NodestreamMigration__` AND NOT n:`__NodestreamMigrationLock__` AND EXISTS { (n)-[:`R``1`|`S`]-() } \
             WITH n, id(n) AS k WHERE k > $after WITH n, k ORDER BY k \
             RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props, k"
        );
        let unlabelled = NodeScan { of: Scanned::Unlabelled, adjacent_to: vec![] };
        assert!(unlabelled.query().starts_with("MATCH (n) WHERE all(l IN labels(n) WHERE l = $marker) WITH n, id(n)"));
        let every = NodeScan { of: Scanned::Every, adjacent_to: vec![] };
        assert_eq!(
            every.query(),
            "MATCH (n) WHERE NOT n:`__NodestreamMigration__` AND NOT n:`__NodestreamMigrationLock__` \
             WITH n, id(n) AS k WHERE k > $after WITH n, k ORDER BY k \
             RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props, k"
        );
        assert_eq!(
            count_nodes(),
            "MATCH (n) WHERE NOT n:`__NodestreamMigration__` AND NOT n:`__NodestreamMigrationLock__` RETURN count(n) AS c"
        );
        let (total, per_label) = count_selected_nodes(&["R".into()]);
        assert!(total.starts_with(
            "MATCH (n) WHERE (any(l IN labels(n) WHERE l IN $labels) OR EXISTS { (n)-[:`R`]-() }) AND NOT n:`__Nodestream"
        ));
        assert!(per_label.contains("AND NOT n:`__NodestreamMigrationLock__` UNWIND labels(n)"));
    }

    #[test]
    fn relationship_scans() {
        assert_eq!(
            relationship_scan(Some("A`b")),
            "MATCH (a)-[r:`A``b`]->(b) WITH a, r, b, id(r) AS k WHERE k > $after WITH a, r, b, k ORDER BY k \
             RETURN elementId(r) AS id, elementId(a) AS s, elementId(b) AS e, properties(r) AS props, k"
        );
        assert_eq!(
            relationship_scan(None),
            "MATCH (a)-[r]->(b) WITH a, r, b, id(r) AS k WHERE k > $after WITH a, r, b, k ORDER BY k \
             RETURN elementId(r) AS id, type(r) AS t, elementId(a) AS s, elementId(b) AS e, properties(r) AS props, k"
        );
    }

    #[test]
    fn node_writes() {
        let labels = vec!["A".to_string(), "B c".to_string()];
        assert_eq!(
            write_nodes(&NodeWrite::MergeOnSourceId, &labels, "_M", "_id"),
            vec![
                "UNWIND $rows AS row MATCH (n:`_M` {`_id`: row.id}) SET n:`A`:`B c` SET n += row.props RETURN count(n) AS c",
                "UNWIND $rows AS row OPTIONAL MATCH (old:`_M` {`_id`: row.id}) WITH row WHERE old IS NULL \
                 CREATE (n:`_M`:`A`:`B c`) SET n += row.props, n.`_id` = row.id RETURN count(n) AS c",
            ]
        );
        assert!(write_nodes(&NodeWrite::MergeOnSourceId, &[], "_M", "_id")[0]
            .starts_with("UNWIND $rows AS row MATCH (n:`_M` {`_id`: row.id}) SET n += row.props"));
        let keyed = NodeWrite::MergeOnKeys { label: "A".into(), keys: vec!["name".into()] };
        assert_eq!(
            write_nodes(&keyed, &labels, "_M", "_id"),
            vec![
                "UNWIND $rows AS row MATCH (n:`A`{`name`: row.props.`name`}) SET n:`_M`:`B c` \
                 SET n += row.props, n.`_id` = row.id RETURN count(n) AS c",
                "UNWIND $rows AS row OPTIONAL MATCH (old:`A`{`name`: row.props.`name`}) WITH row WHERE old IS NULL \
                 CREATE (n:`_M`:`A`:`B c`) SET n += row.props, n.`_id` = row.id RETURN count(n) AS c",
            ]
        );
        assert!(
            write_nodes(&NodeWrite::Create, &[], "_M", "_id")[0].starts_with("UNWIND $rows AS row CREATE (n:`_M`) SET")
        );
    }

    #[test]
    fn relationship_writes_match_endpoints_by_source_id() {
        assert_eq!(
            write_relationships("KNOWS", false, "_M", "_id"),
            "UNWIND $rows AS row MATCH (a:`_M` {`_id`: row.s}) MATCH (b:`_M` {`_id`: row.e}) MERGE (a)-[r:`KNOWS` {`_id`: row.id}]->(b) \
             SET r += row.props, r.`_id` = row.id RETURN count(r) AS c"
        );
    }
}
