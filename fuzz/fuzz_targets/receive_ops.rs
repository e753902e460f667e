//! Sends, closes, polls and blocking receives on mailboxes whose receiver
//! waits by itself (an awaiting task, a blocked thread), checked step by
//! step against a reference queue and the task's registered waker.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rearm_tests::fuzzing::receive_bytes(data));
