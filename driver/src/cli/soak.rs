//! `driver --soak DURATION`: cycle through every backend, thread count and
//! benchmark, with and without injected faults, then sparse arrivals and the
//! mailbox on every backend, checking every run, for as long as asked. A soak
//! passes only with zero violations, stalls and panics.

use crate::bench::mailbox::{self, MailboxContender};
use crate::bench::sparse::{self, SparseContender};
use crate::bench::{self, Config, Mode};
use crate::cli::report::thousands;
use crate::sys::BackendKind;
use rearm_core::{DIRECT_SLOTS, SpinPolicy};
use std::io::Write;
use std::time::{Duration, Instant};

/// What a soak did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Soak {
    /// Wall-clock time spent.
    pub elapsed: Duration,
    /// Runs completed or failed.
    pub runs: u64,
    /// Pings (ping-pong, all contexts), callbacks (pummel), notifications
    /// received (sparse) and messages (mailbox) of the runs that passed.
    pub events: u64,
    /// Runs with injected faults.
    pub faulty_runs: u64,
    /// Every failed run: what it was and why.
    pub failures: Vec<String>,
}

/// Contexts whose main-loop slots reach past the park word's direct slots
/// into the first group word: the summary-bit path, under the soak too.
const BITMAP_THREADS: usize = DIRECT_SLOTS + 2;

/// Sparse arrivals in the soak: notifications this far apart, where the
/// default wait alternates between spinning and parking, ...
const SPARSE_GAP: Duration = Duration::from_micros(20);
/// ... this many per run.
const SPARSE_NOTIFICATIONS: u64 = 5_000;

/// The mailbox in the soak: this many senders (more than the CPUs of a small
/// machine, so senders are preempted mid-send) ...
const MAILBOX_SENDERS: usize = 3;
/// ... sending this many messages per run.
const MAILBOX_MESSAGES: u64 = 200_000;

/// Every benchmark configuration of the cycle, in order; each cycle then runs
/// sparse arrivals on every backend.
fn cycle() -> Vec<(BackendKind, Mode, usize, bool)> {
    let mut all = Vec::new();
    for faults in [false, true] {
        for mode in [Mode::PingPong, Mode::Pummel] {
            for threads in [1, 2, 4, BITMAP_THREADS] {
                // 24 notifiers that never wait, on a machine with a few CPUs,
                // starve a main loop whose parker injects yields and delays
                // (~1,300 callbacks/s on 2 CPUs): a scheduling test, not a
                // protocol one, and it would take most of the soak.
                if mode == Mode::Pummel && faults && threads == BITMAP_THREADS {
                    continue;
                }
                for backend in BackendKind::ALL {
                    all.push((backend, mode, threads, faults));
                }
            }
        }
    }
    all
}

/// Soaks for `duration`, each run with the stall `timeout`, reporting each run
/// on `out`.
pub fn soak(duration: Duration, timeout: Duration, out: &mut dyn Write) -> Soak {
    let start = Instant::now();
    let mut soak = Soak::default();
    let configurations = cycle();
    'soak: loop {
        for &(backend, mode, threads, faults) in &configurations {
            if start.elapsed() >= duration {
                break 'soak;
            }
            let pings = match (mode, faults) {
                (Mode::PingPong, false) => 200_000,
                (Mode::PingPong, true) => 50_000,
                (Mode::Pummel, _) => 200_000,
            };
            let mut config = Config::new(threads, pings);
            config.timeout = timeout;
            config.hard_exit_after = Some(Duration::from_secs(5));
            config.inject_faults = faults;
            soak.runs += 1;
            soak.faulty_runs += u64::from(faults);
            let label = format!(
                "{} on {backend}{}",
                mode.label(threads),
                if faults { " with faults" } else { "" }
            );
            let at = start.elapsed();
            match bench::run(backend, mode, &config) {
                Ok(report) => {
                    let rate = format!("{}/s", thousands(report.rate().round() as u64));
                    soak.passed(at, &label, report.events(), &rate, out);
                }
                Err(e) => soak.failed(&label, &e.to_string(), out),
            }
        }
        for backend in BackendKind::ALL {
            if start.elapsed() >= duration {
                break 'soak;
            }
            soak.runs += 1;
            let contender = SparseContender::Rearm {
                backend,
                policy_name: "default",
                policy: SpinPolicy::default(),
                mailbox: false,
                predict: false,
            };
            let label = format!("sparse on {backend}, {} µs gaps", SPARSE_GAP.as_micros());
            match sparse::measure(
                contender,
                crate::harness::arrivals::Spacing::steady(SPARSE_GAP),
                SPARSE_NOTIFICATIONS,
                timeout,
            ) {
                Ok(point) => {
                    let counts =
                        format!("{} received, {} coalesced", point.received, point.coalesced);
                    soak.passed(start.elapsed(), &label, point.received, &counts, out);
                }
                Err(e) => soak.failed(&label, &e, out),
            }
        }
        let mailboxes = BackendKind::ALL
            .into_iter()
            .flat_map(MailboxContender::rearm)
            .flat_map(|contender| {
                let senders = if contender.takes(MAILBOX_SENDERS) {
                    MAILBOX_SENDERS
                } else {
                    1
                };
                [(contender, senders, false), (contender, senders, true)]
                    .into_iter()
                    .filter(|&(contender, _, faults)| !faults || contender.takes_faults())
            });
        for (contender, senders, faults) in mailboxes {
            if start.elapsed() >= duration {
                break 'soak;
            }
            soak.runs += 1;
            soak.faulty_runs += u64::from(faults);
            let label = format!(
                "{contender}, {senders} sender(s){}",
                if faults {
                    ", faults injected (restarts, disarms, panicking drains)"
                } else {
                    ""
                }
            );
            let policy = SpinPolicy::default();
            // The small queue: senders find it full, and wait, more often.
            let capacity = mailbox::CAPACITIES[0];
            match mailbox::measure(
                contender,
                capacity,
                senders,
                MAILBOX_MESSAGES,
                timeout,
                policy,
                faults,
            ) {
                Ok(point) => {
                    let rate = format!("{}/s", thousands(point.rate().round() as u64));
                    soak.passed(start.elapsed(), &label, point.messages, &rate, out);
                }
                Err(e) => soak.failed(&label, &e, out),
            }
        }
    }
    soak.elapsed = start.elapsed();
    soak
}

impl Soak {
    /// Records a run that passed `at` into the soak, with its `events` and a
    /// word on how it went.
    fn passed(&mut self, at: Duration, label: &str, events: u64, how: &str, out: &mut dyn Write) {
        self.events += events;
        let at = at.as_secs();
        let _ = writeln!(
            out,
            "soak {:>3}:{:02} run {:>5}: {label}: ok, {how}",
            at / 60,
            at % 60,
            self.runs
        );
    }

    fn failed(&mut self, label: &str, why: &str, out: &mut dyn Write) {
        let _ = writeln!(out, "soak run {}: {label}: FAILED: {why}", self.runs);
        self.failures
            .push(format!("run {}: {label}: {why}", self.runs));
    }
}

/// Parses a soak duration: seconds (`600`, `600s`), minutes (`10m`) or hours
/// (`1h`), from a second to a week.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let seconds = crate::cli::parse_seconds(s)?;
    // At least a second: a soak shorter than one run checks nothing, and a
    // tiny positive number would round to a zero Duration.
    if !(1.0..=7.0 * 86_400.0).contains(&seconds) {
        return Err(format!(
            "'{s}': must be at least 1 second and at most a week"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cycle_reaches_bitmap_slots_with_and_without_faults() {
        let all = cycle();
        for faults in [false, true] {
            assert!(
                all.iter()
                    .any(|&(_, mode, threads, f)| mode == Mode::PingPong
                        && f == faults
                        && threads > DIRECT_SLOTS),
                "no ping-pong past the direct slots with faults={faults}"
            );
        }
        assert!(
            all.iter()
                .all(|&(_, _, threads, _)| threads <= crate::bench::MAX_THREADS)
        );
    }

    #[test]
    fn durations_parse_with_and_without_units() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("10d").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("9999h").is_err());
        assert!(parse_duration("0.5").is_err());
    }

    /// Regression (found by the `cli_args` fuzz target): a duration of
    /// 7e-18 s passed the "more than zero" check and became a zero `Duration`.
    #[test]
    fn soak_duration_rounding_to_zero_is_refused() {
        assert!(parse_duration("00000.00000000000000007000000").is_err());
        assert!(parse_duration("1e-30").is_err());
    }
}
