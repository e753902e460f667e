//! The `driver` command line: parse, validate before any thread starts, run,
//! print. Beside it: the reports (all text and JSON), the comparison with
//! peers, the soak and the plots.

mod args;
mod async_pingpong;
pub mod compare;
pub mod dispersion;
mod execute;
#[doc(hidden)]
pub mod fuzzing;
mod mailbox;
mod plan;
pub mod plot;
mod progress;
pub mod render;
pub mod report;
pub mod saved;
pub mod soak;
mod sparse;
mod timers;

pub use args::{parse, parse_seconds};
pub use execute::{EXIT_FAILED, execute};
pub use plan::{AsyncWork, MailboxWork, Plan, SparseWork, TimerWork, Work};
