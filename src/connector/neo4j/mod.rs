//! `database: neo4j` targets, reached over Bolt.

mod config;

pub use config::Neo4jConfig;
