//! Keeping two threads' data off each other's cache lines.

/// Keeps `T` on cache lines of its own, so two threads' counters never share
/// one (128 bytes: two lines, for CPUs that fetch lines in pairs).
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct CachePadded<T>(pub T);
