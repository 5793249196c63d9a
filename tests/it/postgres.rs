//! PostgreSQL source tests against the throwaway cluster `scripts/test-servers.sh start` runs
//! (PG_TEST_URL): each test loads a fixture (tests/fixtures/postgres/) into a database of its
//! own, copies it from the CLI to a dump, the Bolt server or the Neptune test server, and reads
//! what landed back with an independent reader. They fail, never skip, when a server is down.

mod copy;
mod mapping;
mod resume;
pub mod server;
