//! Sends, receives, drains and loop turns on a mailbox, checked step by step
//! against a reference queue.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rearm_tests::fuzzing::mailbox_bytes(data));
