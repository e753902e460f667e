//! Notifications interleaved with every step of the loop's wait, deterministically.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rearm_tests::fuzzing::notify_interleave(data));
