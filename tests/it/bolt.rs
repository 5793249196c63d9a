//! Bolt (Neo4j protocol) connector tests against the real ArcadeDB Bolt server, from the CLI.
//! Each test works in databases of its own. They fail, never skip, when the server is down.

mod conflicts;
mod exact;
mod finalize;
pub mod graph;
mod migrate;
mod names;
mod nodestream;
mod restart;
mod round_trip;
mod seed_flow;
mod selection;
pub mod server;
mod server_kill;
mod stall;
mod verify;
