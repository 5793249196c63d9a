//! Bolt (Neo4j protocol) connector tests against the real ArcadeDB Bolt server.
