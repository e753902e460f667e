//! A one-line description of the machine, for reports and plots.

/// `"AMD EPYC, 2 CPUs (2 usable), Linux 6.1.0"`: the CPU model, how many CPUs
/// the machine has and how many this process may run on (fewer under
/// `taskset`), and the kernel.
pub fn describe() -> String {
    let (model, online) = super::environment::cpu();
    format!(
        "{model}, {online} CPUs ({} usable), Linux {}",
        usable_cpus(),
        super::environment::kernel()
    )
}

/// CPUs this process may run on.
pub fn usable_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
