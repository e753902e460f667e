//! How far a configuration's runs spread, and the warning when they disagree
//! by more than a quiet machine's noise.

use super::report::thousands;

/// Runs whose largest figure exceeds their smallest by more than this factor
/// disagree: repeated runs on a quiet machine stay well inside it, while a
/// move of the VM's CPUs between host placements (async1 between ~2 M and
/// ~10 M pings/s) or another process lands far outside.
pub const DISAGREEMENT: f64 = 1.5;

/// One configuration's runs, summarised.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dispersion {
    /// Runs counted (finite values only).
    pub runs: usize,
    /// The middle value (the mean of the middle two for an even count).
    pub median: f64,
    /// The least value.
    pub min: f64,
    /// The greatest value.
    pub max: f64,
    /// The arithmetic mean.
    pub mean: f64,
    /// The sample standard deviation (n − 1); 0 for a single run.
    pub sd: f64,
}

impl Dispersion {
    /// Summarises `values`, ignoring any that are not finite; `None` if
    /// none is.
    pub fn of(values: &[f64]) -> Option<Dispersion> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let runs = sorted.len();
        let median = if runs % 2 == 1 {
            sorted[runs / 2]
        } else {
            (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2.0
        };
        let mean = sorted.iter().sum::<f64>() / runs as f64;
        let sd = if runs < 2 {
            0.0
        } else {
            let squares: f64 = sorted.iter().map(|v| (v - mean) * (v - mean)).sum();
            (squares / (runs - 1) as f64).sqrt()
        };
        Some(Dispersion {
            runs,
            median,
            min: sorted[0],
            max: sorted[runs - 1],
            mean,
            sd,
        })
    }

    /// The largest over the smallest value (infinite when the smallest is
    /// 0 and the largest is not; 1 for equal values).
    pub fn max_over_min(&self) -> f64 {
        if self.max == self.min {
            1.0
        } else {
            self.max / self.min
        }
    }

    /// Whether the runs disagree: two or more whose extremes are further
    /// apart than [`DISAGREEMENT`].
    pub fn disagrees(&self) -> bool {
        self.runs >= 2 && self.max_over_min() > DISAGREEMENT
    }

    /// `"5,012,345 ± 412,000"`, for rates and other large counts.
    pub fn mean_sd_count(&self) -> String {
        format!(
            "{} ± {}",
            thousands(whole(self.mean)),
            thousands(whole(self.sd))
        )
    }

    /// `"12.3 ± 0.4"`, `"0.77 ± 0.03"`, for small figures: as many decimals
    /// as the mean's size calls for.
    pub fn mean_sd(&self) -> String {
        let decimals = match self.mean.abs() {
            m if m >= 100.0 => 0,
            m if m >= 10.0 => 1,
            _ => 2,
        };
        format!("{:.*} ± {:.*}", decimals, self.mean, decimals, self.sd)
    }
}

/// A non-negative finite value rounded to a whole number; anything else 0.
fn whole(v: f64) -> u64 {
    if v.is_finite() && v >= 0.0 {
        v.round() as u64
    } else {
        0
    }
}

/// One line warning that some of the `rows` (a label and its runs) disagree,
/// naming the worst, the likely causes and what to do; `None` when all agree.
pub fn warning<S: AsRef<str>>(rows: impl IntoIterator<Item = (S, Dispersion)>) -> Option<String> {
    let mut total = 0;
    let mut disagreeing = 0;
    let mut worst: Option<(S, f64)> = None;
    for (label, d) in rows {
        total += 1;
        if d.disagrees() {
            disagreeing += 1;
            let ratio = d.max_over_min();
            if worst.as_ref().is_none_or(|(_, w)| ratio > *w) {
                worst = Some((label, ratio));
            }
        }
    }
    let (label, ratio) = worst?;
    let label = label.as_ref();
    Some(format!(
        "warning: the runs of {disagreeing} of {total} rows disagree (max/min over {DISAGREEMENT}; worst {label}: {ratio:.2}x): \
         the VM's CPUs may have moved between host placements, or another process ran; \
         run more (--repeat 9), pin the threads (taskset -c 0,1), and keep the machine quiet"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_mean_and_sample_deviation() {
        let d = Dispersion::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!((d.runs, d.median, d.min, d.max), (8, 4.5, 2.0, 9.0));
        assert_eq!(d.mean, 5.0);
        // Sum of squares 32 over n - 1 = 7.
        assert!((d.sd - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert_eq!(Dispersion::of(&[3.0]).unwrap().sd, 0.0);
        assert_eq!(
            Dispersion::of(&[0.75, 0.8]).unwrap().mean_sd(),
            "0.78 ± 0.04"
        );
        assert_eq!(
            Dispersion::of(&[12.0, 13.0]).unwrap().mean_sd(),
            "12.5 ± 0.7"
        );
        assert_eq!(
            Dispersion::of(&[1e6, 2e6]).unwrap().mean_sd_count(),
            "1,500,000 ± 707,107"
        );
        assert_eq!(Dispersion::of(&[f64::NAN]), None);
        assert_eq!(Dispersion::of(&[]), None);
    }

    #[test]
    fn a_made_up_spread_beyond_the_threshold_warns() {
        let near_and_far = Dispersion::of(&[10.0e6, 2.1e6, 9.8e6, 9.9e6, 10.2e6]).unwrap();
        let steady = Dispersion::of(&[5.0e6, 5.2e6, 4.9e6]).unwrap();
        assert!(near_and_far.disagrees());
        assert!(!steady.disagrees());
        let line = warning([("async2 futex", steady), ("async1 futex", near_and_far)])
            .expect("a spread of 4.9x warns");
        assert!(
            line.starts_with("warning: the runs of 1 of 2 rows disagree"),
            "{line}"
        );
        assert!(line.contains("worst async1 futex: 4.86x"), "{line}");
        assert!(
            line.contains("--repeat") && line.contains("taskset"),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }

    #[test]
    fn agreeing_runs_and_single_runs_do_not_warn() {
        let steady = Dispersion::of(&[5.0e6, 5.2e6, 4.9e6]).unwrap();
        let one = Dispersion::of(&[1.0]).unwrap();
        let at_threshold = Dispersion::of(&[1.0, DISAGREEMENT]).unwrap();
        assert_eq!(
            warning([("a", steady), ("b", one), ("c", at_threshold)]),
            None
        );
        let zero_and_one = Dispersion::of(&[0.0, 1.0]).unwrap();
        assert!(zero_and_one.disagrees(), "an infinite max/min disagrees");
    }
}
