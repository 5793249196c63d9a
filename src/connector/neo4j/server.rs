//! Which server answers on the Bolt port: Neo4j or ArcadeDB's Neo4j-compatible plugin, which
//! want different write settings (see `ARCADEDB_WRITE_DEFAULTS`).
//!
//! `CALL dbms.components()` cannot tell them apart: ArcadeDB answers it exactly as Neo4j 5.26
//! Community does (`Neo4j Kernel`, `5.26.0`, `community`, seen on ArcadeDB 26.10), and neo4rs
//! does not expose the Bolt server agent (`Neo4j/5.26.0 compatible (ArcadeDB 26.10.2)`).
//! `CALL dbms.info()` does: ArcadeDB names its server `ArcadeDB_<n>`, Neo4j 5 answers with the
//! name of its `system` database (both seen on the test servers, tests/it/bolt/conflicts.rs).

use neo4rs::query;

use super::client::{column, Client};

/// Whether the server is ArcadeDB. Anything else, a failed probe included (a server or user
/// without the procedure), counts as Neo4j.
pub(super) async fn is_arcadedb(client: &Client) -> bool {
    let rows = match client.rows(query("CALL dbms.info() YIELD name RETURN name")).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::debug!(target = client.target(), error = %e, "dbms.info() failed; taking the server for Neo4j");
            return false;
        }
    };
    let name = rows.first().and_then(|r| column::<String>(client.target(), r, "name").ok()).unwrap_or_default();
    is_arcadedb_name(&name)
}

fn is_arcadedb_name(name: &str) -> bool {
    name.starts_with("ArcadeDB")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbms_info_names() {
        assert!(is_arcadedb_name("ArcadeDB_0"));
        assert!(!is_arcadedb_name("system"));
        assert!(!is_arcadedb_name(""));
    }
}
