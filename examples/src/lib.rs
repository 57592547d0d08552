//! Shared code of the example programs (`spam-sources`, `abuse-report`,
//! `summary`): argument handling ([`cli`]) and the aggregations behind each
//! report (its text, [`report`]; the counting is [`exim_log::report`]), kept out of the binaries so they can be unit-tested.
//!
//! Every report is built while streaming: [`exim_log::reader`] yields lines,
//! [`exim_log::assemble::Assembler`] groups them into messages, and each
//! aggregator keeps only bounded tables ([`exim_log::report::bounded`]), so memory stays
//! flat whatever the size of the log.
#![forbid(unsafe_code)]

pub mod cli;
pub mod report;
