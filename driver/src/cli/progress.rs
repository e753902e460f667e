//! The one-line progress display: redrawn in place on stderr while a long
//! benchmark runs, only when stderr is a terminal and the output is not JSON.
//! Drawing is a write from the thread that runs the benchmarks, between
//! runs: no thread of its own disturbs the timing.

use std::io::Write;

/// Erases the terminal's current line and returns to its start.
const ERASE_LINE: &str = "\r\x1b[2K";

/// A progress line on `err`, or nothing when disabled.
pub struct Progress<'a> {
    err: &'a mut dyn Write,
    enabled: bool,
    drawn: bool,
}

impl<'a> Progress<'a> {
    /// A display on `err`; `enabled` false draws nothing.
    pub fn new(err: &'a mut dyn Write, enabled: bool) -> Progress<'a> {
        Progress {
            err,
            enabled,
            drawn: false,
        }
    }

    /// Replaces the line with `text`.
    pub fn show(&mut self, text: &str) {
        if self.enabled {
            let _ = write!(self.err, "{ERASE_LINE}{text}");
            let _ = self.err.flush();
            self.drawn = true;
        }
    }

    /// Erases the line, before results are printed to the same terminal.
    pub fn clear(&mut self) {
        if self.drawn {
            let _ = write!(self.err, "{ERASE_LINE}");
            let _ = self.err.flush();
            self.drawn = false;
        }
    }

    /// Prints a line that stays (a warning), below no progress text.
    pub fn note(&mut self, line: &str) {
        self.clear();
        let _ = writeln!(self.err, "{line}");
    }
}

impl Drop for Progress<'_> {
    fn drop(&mut self) {
        self.clear();
    }
}

/// `"round 2/5"`, or `"warm-up 1/1"` while warming up.
pub fn round_label(plan: &super::Plan, round: u32) -> String {
    if plan.warming_up(round) {
        format!("warm-up {}/{}", round + 1, plan.warmup)
    } else {
        format!("round {}/{}", round + 1 - plan.warmup, plan.repeat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_in_place_and_erases_itself() {
        let mut err = Vec::new();
        {
            let mut progress = Progress::new(&mut err, true);
            progress.show("[1/2] async1");
            progress.show("[2/2] async2");
        }
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "\r\x1b[2K[1/2] async1\r\x1b[2K[2/2] async2\r\x1b[2K"
        );
    }

    #[test]
    fn disabled_draws_nothing() {
        let mut err = Vec::new();
        {
            let mut progress = Progress::new(&mut err, false);
            progress.show("[1/2] async1");
        }
        assert!(err.is_empty());
    }
}
