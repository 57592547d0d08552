//! Fuzz target `spool`: see `exim_log_fuzz::check_spool` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| exim_log_fuzz::check_spool(data));
