//! Neptune connector tests from the CLI against the Neptune-protocol test server
//! (tools/neptune-test-server), each test with a server instance and database of its own. They
//! need ArcadeDB (`scripts/test-servers.sh start`) and fail, never skip, without it.

mod bolt;
mod copy;
mod encoding;
pub mod expect;
mod finalize;
mod migrate;
mod rollback;
mod seed_flow;
pub mod server;
mod source;
mod verify;
