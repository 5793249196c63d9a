//! `database: neptune` targets: Amazon Neptune Database and Neptune Analytics over openCypher.

mod config;

pub use config::{NeptuneConfig, NeptuneMode};
