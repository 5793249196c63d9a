//! The labels nodestream and graphferry keep their own bookkeeping under: migration history, the
//! migration lock, and graphferry's identity label in a Neo4j target. They describe a database,
//! not its data, so no source reads them, no count includes them and `verify` never compares
//! them; a copy that carried a source's history into a target would make the target's
//! `migrations run` believe its schema (key constraints) already exists.

/// nodestream's migration history: one `{name}` node per applied migration.
pub const MIGRATION_HISTORY: &str = "__NodestreamMigration__";
/// nodestream's migration lock: one node while a run holds it.
pub const MIGRATION_LOCK: &str = "__NodestreamMigrationLock__";
/// Nodes of these labels are bookkeeping as a whole and are left out of every read and count.
pub const BOOKKEEPING_NODE_LABELS: [&str; 2] = [MIGRATION_HISTORY, MIGRATION_LOCK];

/// The label a Neo4j target adds to every node graphferry writes (configurable there as
/// `source_id_label`). A node carrying it is data: only the label itself is dropped on reading.
pub const DEFAULT_IDENTITY_LABEL: &str = "_GraphferryNode";

/// Whether a node carrying `label` is bookkeeping, never data.
pub fn is_bookkeeping(label: &str) -> bool {
    BOOKKEEPING_NODE_LABELS.contains(&label)
}

/// Whether `label` is never reported as data: a bookkeeping label, or an identity label
/// (`identity`, a target's own, besides the default one).
pub fn is_internal_label(label: &str, identity: &str) -> bool {
    is_bookkeeping(label) || label == identity || label == DEFAULT_IDENTITY_LABEL
}

/// Whether a node with `labels` is bookkeeping (left out of reads and counts).
pub fn is_bookkeeping_node(labels: &[String]) -> bool {
    labels.iter().any(|l| is_bookkeeping(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bookkeeping_labels() {
        assert!(is_bookkeeping("__NodestreamMigration__"));
        assert!(is_bookkeeping("__NodestreamMigrationLock__"));
        assert!(!is_bookkeeping("_GraphferryNode"), "identity-labelled nodes are data");
        assert!(is_internal_label("_GraphferryNode", "_Mine"));
        assert!(is_internal_label("_Mine", "_Mine"));
        assert!(!is_internal_label("Person", "_GraphferryNode"));
        assert!(is_bookkeeping_node(&["A".into(), MIGRATION_HISTORY.into()]));
        assert!(!is_bookkeeping_node(&[]));
    }
}
