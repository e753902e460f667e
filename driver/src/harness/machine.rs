//! A one-line description of the machine, for reports and plots.

/// `"AMD EPYC, 2 CPUs (2 usable), Linux 6.1.0"`: the CPU model, how many CPUs
/// the machine has and how many this process may run on (fewer under
/// `taskset`), and the kernel.
pub fn describe() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let online = std::fs::read_to_string("/proc/cpuinfo")
        .map(|info| info.lines().filter(|l| l.starts_with("processor")).count())
        .unwrap_or(0);
    let usable = usable_cpus();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    format!("{model}, {online} CPUs ({usable} usable), Linux {kernel}")
}

/// CPUs this process may run on.
pub fn usable_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
