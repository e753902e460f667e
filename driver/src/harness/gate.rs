//! The start line: threads arrive, wait, and are either all released or all
//! sent home (when setup failed part-way, so no thread is left waiting).

use std::sync::{Condvar, Mutex, PoisonError};

#[derive(Debug, Default)]
struct State {
    arrived: usize,
    verdict: Option<bool>,
}

/// A one-shot start gate. Blocking, allocation-free (futex-based std locks).
#[derive(Debug, Default)]
pub struct Gate {
    state: Mutex<State>,
    changed: Condvar,
}

impl Gate {
    /// Marks the caller ready and waits for the verdict: `true` means go.
    pub fn arrive_and_wait(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.arrived += 1;
        self.changed.notify_all();
        loop {
            if let Some(go) = state.verdict {
                return go;
            }
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Waits until `count` threads have arrived.
    pub fn wait_for(&self, count: usize) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while state.arrived < count {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Releases every thread that arrived or will arrive: `go` says whether to run.
    pub fn open(&self, go: bool) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.verdict.get_or_insert(go);
        self.changed.notify_all();
    }
}
