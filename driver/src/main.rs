//! `driver`: times cross-thread wakeups on rearm (`driver --help`).

use driver::harness::alloc_count::CountingAlloc;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

fn main() -> ExitCode {
    let plan = match driver::cli::parse(std::env::args_os()) {
        Ok(plan) => plan,
        Err(e) => e.exit(),
    };
    let status = driver::cli::execute(&plan, &mut std::io::stdout(), &mut std::io::stderr());
    ExitCode::from(status)
}
