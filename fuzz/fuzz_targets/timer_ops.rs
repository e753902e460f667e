//! Timers set, cancelled and fired on a virtual clock, checked step by step
//! against the reference model.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rearm_tests::fuzzing::timer_bytes(data));
