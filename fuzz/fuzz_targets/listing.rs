//! Fuzz target `listing`: see `exim_log_fuzz::check_listing` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| exim_log_fuzz::check_listing(data));
