//! The openCypher text graphferry sends to Neptune. Labels and types cannot be parameters, so
//! they are written into the text, backquoted; values always travel as parameters.
//!
//! Writes are `UNWIND $rows AS row ...` batches keyed on `~id` (NEPTUNE.md's fast path) and end
//! in `RETURN count(*)`, so the sink can check that every row was written: a relationship
//! whose endpoint is missing would otherwise vanish without an error. Properties stored as
//! DateTime travel as text in the row's `t` map (JSON has no DateTime) and are set one by one
//! through `datetime(...)`; every row of a request carries the same such properties.

use crate::connector::WriteMode;
use crate::model::bookkeeping::BOOKKEEPING_NODE_LABELS;

/// `name` as a backquoted openCypher identifier.
pub fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `, x.`p` = datetime(row.t.`p`)` for each of `datetimes`: sets them as Neptune DateTimes.
fn set_datetimes(var: &str, datetimes: &[String]) -> String {
    datetimes.iter().map(|p| format!(", {var}.{q} = datetime(row.t.{q})", q = quote(p))).collect()
}

/// Writes a batch of nodes that all carry exactly `labels`. Rows are `{id, p, t}`, `t` holding
/// the text of the `datetimes` properties.
///
/// The MERGE pattern names every label rather than merging on one and adding the others with
/// `SET n:L`: re-runs see the same label set, and relabelling an existing node is the costly,
/// conflict-prone operation on Neptune. (A node whose labels changed in the source since the
/// last copy therefore fails with ConstraintViolationException on its `~id`, instead of keeping
/// stale labels silently.)
pub fn write_nodes(labels: &[String], mode: WriteMode, datetimes: &[String]) -> String {
    let labels: String = labels.iter().map(|l| format!(":{}", quote(l))).collect();
    let verb = match mode {
        WriteMode::Merge => "MERGE",
        WriteMode::Create => "CREATE",
    };
    format!(
        "UNWIND $rows AS row {verb} (n{labels} {{`~id`: row.id}}) SET n += row.p{} RETURN count(*) AS written",
        set_datetimes("n", datetimes)
    )
}

/// How a copied relationship is identified in the target.
#[derive(Debug, Clone, Copy)]
pub enum RelIdentity<'a> {
    /// Neptune Database: the source id is the relationship's `~id`.
    Id,
    /// Neptune Analytics (no custom relationship ids): a property holds the source id.
    Property(&'a str),
}

/// Writes a batch of relationships of one type. Rows are `{id, s, e, p, t}` with `s`/`e` the
/// endpoints' `~id`s and `t` the text of the `datetimes` properties.
pub fn write_relationships(
    rel_type: &str,
    identity: RelIdentity<'_>,
    mode: WriteMode,
    datetimes: &[String],
) -> String {
    let key = match identity {
        RelIdentity::Id => "`~id`".to_string(),
        RelIdentity::Property(p) => quote(p),
    };
    let verb = match mode {
        WriteMode::Merge => "MERGE",
        WriteMode::Create => "CREATE",
    };
    format!(
        "UNWIND $rows AS row MATCH (a {{`~id`: row.s}}) MATCH (b {{`~id`: row.e}}) \
         {verb} (a)-[r:{} {{{key}: row.id}}]->(b) SET r += row.p{} RETURN count(*) AS written",
        quote(rel_type),
        set_datetimes("r", datetimes)
    )
}

/// Whether the target already holds nodes of `label` (create mode refuses a non-empty target).
pub fn any_node(label: &str) -> String {
    format!("MATCH (n:{}) RETURN id(n) AS id LIMIT 1", quote(label))
}

/// Whether the target already holds relationships of `rel_type`.
pub fn any_relationship(rel_type: &str) -> String {
    format!("MATCH ()-[r:{}]->() RETURN id(r) AS id LIMIT 1", quote(rel_type))
}

/// `NOT n:`__NodestreamMigration__` AND ...`: `n` is not nodestream's bookkeeping, which
/// describes the database and is never read or counted as data.
fn not_bookkeeping() -> String {
    let tests: Vec<String> = BOOKKEEPING_NODE_LABELS.iter().map(|l| format!("NOT n:{}", quote(l))).collect();
    tests.join(" AND ")
}

/// ` WHERE <after> AND NOT n:L ... AND <not bookkeeping>`: a node carrying one of `excluded`
/// belongs to another scan; bookkeeping belongs to none. Filtered on the server, so a page of
/// `limit` rows still means more may follow.
fn conditions(after: Option<&str>, excluded: &[String]) -> String {
    let all: Vec<String> = after
        .map(str::to_string)
        .into_iter()
        .chain(excluded.iter().map(|l| format!("NOT n:{}", quote(l))))
        .chain([not_bookkeeping()])
        .collect();
    format!(" WHERE {}", all.join(" AND "))
}

const AFTER_N: Option<&str> = Some("id(n) > $after");

/// `:A|B`, the relationship types of a pattern.
fn types(rel_types: &[String]) -> String {
    let quoted: Vec<String> = rel_types.iter().map(|t| quote(t)).collect();
    format!(":{}", quoted.join("|"))
}

/// One page of nodes after `$after` in `~id` order (keyset pagination: no deep SKIP): every
/// node, or (`label`) those labelled `label` and none of `earlier`. The filter runs on the
/// server, before the sort, so a page holds only selected nodes.
pub fn node_page(label: Option<&str>, earlier: &[String], limit: usize) -> String {
    let pattern = label.map(|l| format!(":{}", quote(l))).unwrap_or_default();
    format!("MATCH (n{pattern}){} RETURN n ORDER BY id(n) LIMIT {limit}", conditions(AFTER_N, earlier))
}

/// One page, in `~id` order, of the nodes at either end of a relationship of `rel_types` that
/// carry none of `selected` (those are read by the label scans).
pub fn endpoint_page(rel_types: &[String], selected: &[String], limit: usize) -> String {
    format!(
        "MATCH (n)-[{}]-(){} WITH DISTINCT n RETURN n ORDER BY id(n) LIMIT {limit}",
        types(rel_types),
        conditions(AFTER_N, selected)
    )
}

/// [`node_page`]'s nodes counted per label set (columns `labels`, `c`).
pub fn node_counts(label: Option<&str>, earlier: &[String]) -> String {
    let pattern = label.map(|l| format!(":{}", quote(l))).unwrap_or_default();
    format!("MATCH (n{pattern}){} RETURN labels(n) AS labels, count(*) AS c", conditions(None, earlier))
}

/// [`endpoint_page`]'s nodes counted per label set (columns `labels`, `c`).
pub fn endpoint_counts(rel_types: &[String], selected: &[String]) -> String {
    format!(
        "MATCH (n)-[{}]-(){} WITH DISTINCT n RETURN labels(n) AS labels, count(*) AS c",
        types(rel_types),
        conditions(None, selected)
    )
}

/// One page of relationships (of `rel_type`, or of any type) after `$after`, in `~id` order.
pub fn relationship_page(rel_type: Option<&str>, limit: usize) -> String {
    let pattern = rel_type.map(|t| format!(":{}", quote(t))).unwrap_or_default();
    format!("MATCH ()-[r{pattern}]->() WHERE id(r) > $after RETURN r ORDER BY id(r) LIMIT {limit}")
}

/// Every relationship leaving the next `limit` nodes after `$after` (in `~id` order), one row
/// per relationship, ordered by the start node's id `k`. Of any type, a node without one comes
/// back with `r` null; of `rel_type`, only nodes with such a relationship are paged through.
pub fn relationships_by_start(rel_type: Option<&str>, limit: usize) -> String {
    match rel_type {
        None => format!(
            "MATCH (a) WHERE id(a) > $after WITH a ORDER BY id(a) LIMIT {limit} \
             OPTIONAL MATCH (a)-[r]->() RETURN id(a) AS k, r ORDER BY k"
        ),
        Some(t) => format!(
            "MATCH (a)-[:{t}]->() WHERE id(a) > $after WITH DISTINCT a ORDER BY id(a) LIMIT {limit} \
             MATCH (a)-[r:{t}]->() RETURN id(a) AS k, r ORDER BY k",
            t = quote(t)
        ),
    }
}

/// How many relationships of `rel_type` there are (column `c`).
pub fn type_count(rel_type: &str) -> String {
    format!("MATCH ()-[r:{}]->() RETURN count(r) AS c", quote(rel_type))
}

/// Nodes per label set, bookkeeping left out.
pub fn label_counts() -> String {
    format!("MATCH (n) WHERE {} RETURN labels(n) AS labels, count(*) AS c", not_bookkeeping())
}
pub const TYPE_COUNTS: &str = "MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS c";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_writes_name_every_label() {
        let labels = vec!["Actor".to_string(), "Per`son".to_string()];
        assert_eq!(
            write_nodes(&labels, WriteMode::Merge, &[]),
            "UNWIND $rows AS row MERGE (n:`Actor`:`Per``son` {`~id`: row.id}) SET n += row.p RETURN count(*) AS written"
        );
        assert!(
            write_nodes(&labels, WriteMode::Create, &[]).starts_with("UNWIND $rows AS row CREATE (n:`Actor`:`Per``son` {")
        );
        assert!(write_nodes(&[], WriteMode::Merge, &[]).contains("MERGE (n {`~id`: row.id})"));
    }

    #[test]
    fn node_reads_and_counts_leave_bookkeeping_out() {
        let not = "NOT n:`__NodestreamMigration__` AND NOT n:`__NodestreamMigrationLock__`";
        assert_eq!(
            node_page(None, &[], 10),
            format!("MATCH (n) WHERE id(n) > $after AND {not} RETURN n ORDER BY id(n) LIMIT 10")
        );
        assert_eq!(label_counts(), format!("MATCH (n) WHERE {not} RETURN labels(n) AS labels, count(*) AS c"));
    }

    #[test]
    fn label_scans_exclude_earlier_labels_on_the_server() {
        let not = "NOT n:`__NodestreamMigration__` AND NOT n:`__NodestreamMigrationLock__`";
        let earlier = vec!["A".to_string(), "B`".to_string()];
        assert_eq!(
            node_page(Some("C"), &earlier, 10),
            format!("MATCH (n:`C`) WHERE id(n) > $after AND NOT n:`A` AND NOT n:`B``` AND {not} RETURN n ORDER BY id(n) LIMIT 10")
        );
        let types = vec!["T".to_string(), "U".to_string()];
        assert!(endpoint_page(&types, &earlier, 3)
            .starts_with("MATCH (n)-[:`T`|`U`]-() WHERE id(n) > $after AND NOT n:`A` AND NOT n:`B``` AND NOT n:`__Nodestream"));
        assert_eq!(
            node_counts(Some("C"), &[]),
            format!("MATCH (n:`C`) WHERE {not} RETURN labels(n) AS labels, count(*) AS c")
        );
    }

    #[test]
    fn relationship_identity_per_mode() {
        assert!(write_relationships("KNOWS", RelIdentity::Id, WriteMode::Merge, &[])
            .contains("MERGE (a)-[r:`KNOWS` {`~id`: row.id}]->(b)"));
        assert!(write_relationships("KNOWS", RelIdentity::Property("_graphferry_id"), WriteMode::Create, &[])
            .contains("CREATE (a)-[r:`KNOWS` {`_graphferry_id`: row.id}]->(b)"));
    }

    #[test]
    fn datetime_properties_are_set_through_datetime_with_quoted_names() {
        let names = vec!["born".to_string(), "we`ird p".to_string()];
        assert_eq!(
            write_nodes(&["P".to_string()], WriteMode::Merge, &names),
            "UNWIND $rows AS row MERGE (n:`P` {`~id`: row.id}) SET n += row.p, n.`born` = datetime(row.t.`born`), \
             n.`we``ird p` = datetime(row.t.`we``ird p`) RETURN count(*) AS written"
        );
        assert!(write_relationships("R", RelIdentity::Id, WriteMode::Create, &names[..1])
            .ends_with("SET r += row.p, r.`born` = datetime(row.t.`born`) RETURN count(*) AS written"));
    }
}
