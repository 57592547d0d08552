//! Fuzz target `selector`: see `exim_log_fuzz::check_selector` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| exim_log_fuzz::check_selector(data));
