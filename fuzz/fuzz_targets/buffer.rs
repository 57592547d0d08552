//! Fuzz target `buffer`: see `exim_log_fuzz::check_buffer` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| exim_log_fuzz::check_buffer(data));
