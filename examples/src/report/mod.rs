//! The aggregations behind the example programs, one module per report.
//!
//! Each report has an aggregator fed one message ([`exim_log::assemble::Message`])
//! or one line at a time, and a `report()` method returning a plain,
//! `Serialize`-able result: the `--json` output is that result, and the human
//! text is printed from it.

pub mod abuse;
pub mod bounded;
pub mod classify;
pub mod spam;
pub mod summary;
pub mod text;
