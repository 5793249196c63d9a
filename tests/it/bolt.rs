//! Bolt (Neo4j protocol) connector tests from the CLI, each against ArcadeDB's Bolt plugin and a
//! real Neo4j 5.26 (`on_every_server!`, docs/TESTING.md). Each test works in databases of its
//! own. They fail, never skip, when a server is down.

mod conflicts;
mod exact;
mod finalize;
pub mod graph;
mod migrate;
mod names;
mod nodestream;
mod restart;
pub mod rollback;
mod round_trip;
mod seed_flow;
mod selection;
pub mod server;
mod server_kill;
mod stall;
mod verify;
