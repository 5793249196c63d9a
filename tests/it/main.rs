//! Integration tests: they start from the CLI (assert_cmd) and assert the data that landed.
//! Server-backed modules need `scripts/test-servers.sh start` (the README's test command does
//! it); they fail, never skip, when a server is missing.

mod batch_errors;
pub mod bolt;
mod bulk;
mod cli;
mod file;
mod keys;
mod migrations;
mod names;
pub mod neptune;
mod postgres;
mod properties;
mod resume;
mod support;
mod transform;
mod verify;
