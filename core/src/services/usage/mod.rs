//! Usage: counting in memory and flushing (verifications and served requests), the hour and
//! day rollups, the reports the charts read, and quota warnings.

pub mod aggregator;
pub mod alerts;
pub mod analytics;
pub mod request_log;
pub mod rollup;
pub mod traffic;

pub use aggregator::*;
