//! The driver's command line: never panics, accepts only valid plans.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| driver::cli::fuzzing::cli_args(data));
