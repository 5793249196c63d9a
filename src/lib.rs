//! graphferry: move graph data between graph databases without loss.
//!
//! The binary (`main.rs`) parses the command line and calls into these modules; integration
//! tests and benchmarks use them directly.

pub mod cli;
pub mod config;
pub mod connector;
pub mod migrations;
pub mod model;
pub mod pipeline;
pub mod ui;
pub mod verify;
