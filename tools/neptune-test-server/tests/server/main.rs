//! Integration tests: each starts the server binary on an ephemeral port with its own ArcadeDB
//! database and drives it over plain HTTP, checking both the answers and the data that landed.
//! Requires ArcadeDB (`scripts/test-servers.sh start`); fails, never skips, without it.

mod datetime;
mod discard;
mod endpoints;
mod errors;
mod faults;
mod functions;
mod harness;
mod iam;
mod names;
mod rules;
mod tls;
