//! What a saved result needs to be compared later: when, from which commit
//! and compiler, with which features and command line, on which machine.

use serde_json::{Value, json};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// The cargo features the driver was built with.
pub fn features() -> Vec<&'static str> {
    let mut on = Vec::new();
    if cfg!(feature = "bench") {
        on.push("bench");
    }
    if cfg!(feature = "libuv") {
        on.push("libuv");
    }
    on
}

/// The commit the driver was built from (`-dirty` when tracked files had
/// changes), or `None` when it was not built from a git checkout.
pub fn commit() -> Option<&'static str> {
    Some(env!("DRIVER_BUILT_FROM_COMMIT")).filter(|c| !c.is_empty())
}

/// The compiler that built the driver, as `rustc -V` says it.
pub fn rustc() -> Option<&'static str> {
    Some(env!("DRIVER_BUILT_BY_RUSTC")).filter(|v| !v.is_empty())
}

/// The first `model name` of `/proc/cpuinfo`, and how many processors it
/// lists.
pub fn cpu() -> (String, usize) {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or_else(|| "unknown CPU".into(), |(_, v)| v.trim().to_string());
    let count = info.lines().filter(|l| l.starts_with("processor")).count();
    (model, count)
}

/// The running kernel's release.
pub fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or_else(|_| "unknown".into(), |s| s.trim().to_string())
}

/// Now, as RFC 3339 in UTC to the second: `2026-12-06T21:05:09Z`.
pub fn timestamp() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc(secs)
}

/// Seconds since the Unix epoch as RFC 3339 in UTC.
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let of_day = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// Days since 1970-01-01 as a proleptic Gregorian (year, month, day), by
/// counting 400-year eras of 146,097 days from 0000-03-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months counted from March, so that February's leap day comes last.
    let march_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * march_month + 2) / 5 + 1) as u32;
    let month = if march_month < 10 {
        march_month + 3
    } else {
        march_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The environment object every JSON record carries, for a run started by
/// `command_line`.
pub fn describe(command_line: &[String]) -> Value {
    // The machine does not change while the driver runs: read it once.
    static MACHINE: OnceLock<(String, usize, String)> = OnceLock::new();
    let (cpu_model, cpus, kernel) = MACHINE.get_or_init(|| {
        let (model, count) = cpu();
        (model, count, kernel())
    });
    json!({
        "timestamp": timestamp(),
        "commit": commit(),
        "rustc": rustc(),
        "features": features(),
        "command_line": command_line,
        "cpu_model": cpu_model,
        "cpus": cpus,
        "usable_cpus": super::machine::usable_cpus(),
        "kernel": kernel,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(utc(1_796_591_109), "2026-12-06T21:05:09Z");
        assert_eq!(utc(4_102_444_800), "2100-01-01T00:00:00Z");
    }
}
