//! Operations on a loop, checked step by step against the reference model.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rearm_tests::fuzzing::loop_ops(data));
