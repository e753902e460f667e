//! The reference model of one loop driven from one thread: what every
//! operation must return, which callbacks run in which order, and every slot's
//! ledger. Checked against the real loop by the `loop_ops` fuzz target and the
//! state-machine property test.

use rearm_core::{Action, DIRECT_SLOTS, Error, Exit, Ledger, Notified, RunMode, SlotState};

/// Bits in one bitmap word of the loop's ready set.
///
/// The order in which a loop runs its callbacks follows the ready set's
/// layout (`core/src/ready.rs`): the direct slots in the park word first,
/// then bitmap groups of `BITS` slots, by summary classes of
/// `GROUPS_PER_CLASS` groups. The model states that layout rather than
/// reading the core's private constants: were the loop's layout to change,
/// the model would disagree with it at the first run that crosses a group.
const BITS: usize = usize::BITS as usize;

/// Summary bits in the park word, beside its 2 flag bits and the direct slots.
const SUMMARY_BITS: usize = 8;
const _: () = assert!(
    2 + DIRECT_SLOTS + SUMMARY_BITS == 32,
    "the park word's layout"
);

/// Group words one summary bit covers.
const GROUPS_PER_CLASS: usize = BITS / SUMMARY_BITS;

/// Slots one summary bit of the park word covers.
const CLASS_SLOTS: usize = BITS * GROUPS_PER_CLASS;

/// Slots of the modelled loop: enough for two summary classes of the bitmap.
pub const CAP: usize = CLASS_SLOTS + 2;

/// Bitmap groups of the modelled loop, and summary classes over them.
const GROUPS: usize = CAP.div_ceil(BITS);
const CLASSES: usize = GROUPS.div_ceil(GROUPS_PER_CLASS);

/// Slots operations aim at: both edges of the direct slots (in the park word),
/// the first bitmap group beneath them, a second group, both edges of the first
/// summary class, a slot inside the second, then two that do not exist. The
/// first eight are valid.
pub const SLOTS: [usize; 10] = [
    0,
    DIRECT_SLOTS - 1,
    DIRECT_SLOTS,
    BITS,
    CLASS_SLOTS - 1,
    CLASS_SLOTS,
    CLASS_SLOTS + 1,
    1,
    CAP,
    4096,
];

/// Passes after which a run is deemed not to end (callbacks notifying each
/// other forever); the model forbids such runs.
const MAX_PASSES: usize = 16;

/// One operation on the loop, from its own thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Arm a slot.
    Arm(usize),
    /// Arm the lowest dead slot.
    Add,
    /// Disarm a slot from outside its callback.
    Disarm(usize),
    /// Notify a slot.
    Notify(usize),
    /// Notify a slot with `notify_kept`: it keeps notifications from now on.
    NotifyKept(usize),
    /// What `slot`'s callback does from now on: notify `chain`, then reply.
    Script {
        /// A valid slot.
        slot: usize,
        /// What the callback returns.
        reply: Action,
        /// A valid slot the callback notifies first.
        chain: Option<usize>,
    },
    /// Request a stop.
    Stop,
    /// Run the loop.
    Run(RunMode),
}

/// What an operation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing (scripts, stops).
    None,
    /// `arm`, `disarm`.
    Unit(Result<(), Error>),
    /// `add`.
    Added(Result<usize, Error>),
    /// `handle(slot)` then `notify()`.
    Notify(Result<Notified, Error>),
    /// `run`.
    Exit(Exit),
}

/// A fingerprint of a sequence of callbacks: their number and an FNV-1a hash
/// of each one's slot and what its chained notification became.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trace {
    /// Callbacks run.
    pub count: u64,
    /// Hash of the sequence.
    pub hash: u64,
}

impl Default for Trace {
    fn default() -> Self {
        Trace {
            count: 0,
            hash: 0xcbf2_9ce4_8422_2325,
        }
    }
}

impl Trace {
    /// Adds one callback run to the sequence.
    pub fn record(&mut self, slot: usize, chained: Option<Notified>) {
        let code = match chained {
            None => 0u64,
            Some(Notified::Queued) => 1,
            Some(Notified::Coalesced) => 2,
            Some(Notified::Dropped) => 3,
            Some(Notified::Kept) => 4,
            Some(other) => unreachable!("no trace code for {other:?}: give it one"),
        };
        for byte in ((slot as u64) << 3 | code).to_le_bytes() {
            self.hash = (self.hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        self.count += 1;
    }
}

/// The expected state of the loop.
#[derive(Clone, Debug)]
pub struct Model {
    active: [bool; CAP],
    pending: [bool; CAP],
    /// Slots that keep notifications while dead.
    keeps: [bool; CAP],
    /// A notification kept for the slot's next arm.
    kept: [bool; CAP],
    /// Summary bits of the park word: a group of the class went from empty to
    /// non-empty since the last pass began.
    marked: [bool; CLASSES],
    reply: [Action; CAP],
    chain: [Option<usize>; CAP],
    stop: bool,
    ledger: [Ledger; CAP],
    /// Every callback run so far.
    pub trace: Trace,
    outcome: Outcome,
}

impl Default for Model {
    fn default() -> Self {
        Model {
            active: [false; CAP],
            pending: [false; CAP],
            keeps: [false; CAP],
            kept: [false; CAP],
            marked: [false; CLASSES],
            reply: [Action::Rearm; CAP],
            chain: [None; CAP],
            stop: false,
            ledger: [Ledger::default(); CAP],
            trace: Trace::default(),
            outcome: Outcome::None,
        }
    }
}

impl Model {
    /// A loop with every slot dead.
    pub fn new() -> Model {
        Model::default()
    }

    /// The expected state of `slot` (which must be below [`CAP`]).
    pub fn state(&self, slot: usize) -> SlotState {
        if self.active[slot] {
            SlotState::Active
        } else {
            SlotState::Dead
        }
    }

    /// The expected ledger of `slot` (which must be below [`CAP`]).
    pub fn ledger(&self, slot: usize) -> Ledger {
        self.ledger[slot]
    }

    /// Active completions.
    pub fn active_count(&self) -> usize {
        self.active.iter().filter(|a| **a).count()
    }

    /// Whether `op` can run on one thread: a run must end without waiting for
    /// another thread, in a bounded number of passes.
    pub fn allows(&self, op: &Op) -> bool {
        match op {
            Op::Run(mode) => self.clone().run(*mode).is_some(),
            _ => true,
        }
    }

    /// What the last [`apply`](Self::apply) returned.
    pub fn last_outcome(&self) -> Outcome {
        self.outcome
    }

    /// Applies `op` and returns what the loop must return for it. `op` must be
    /// [allowed](Self::allows).
    pub fn apply(&mut self, op: &Op) -> Outcome {
        self.outcome = self.outcome_of(op);
        self.outcome
    }

    fn outcome_of(&mut self, op: &Op) -> Outcome {
        match *op {
            Op::Arm(slot) => Outcome::Unit(self.arm(slot)),
            Op::Add => Outcome::Added(match self.active.iter().position(|a| !a) {
                Some(slot) => self.arm(slot).map(|()| slot),
                None => Err(Error::Full { capacity: CAP }),
            }),
            Op::Disarm(slot) => Outcome::Unit(slot_ok(slot).and_then(|()| {
                if self.active[slot] {
                    self.active[slot] = false;
                    Ok(())
                } else {
                    Err(Error::IllegalTransition {
                        slot,
                        from: SlotState::Dead,
                        to: SlotState::Dead,
                    })
                }
            })),
            Op::Notify(slot) => Outcome::Notify(slot_ok(slot).map(|()| self.notify(slot))),
            Op::NotifyKept(slot) => Outcome::Notify(slot_ok(slot).map(|()| {
                self.keeps[slot] = true;
                self.notify(slot)
            })),
            Op::Script { slot, reply, chain } => {
                if slot < CAP && chain.is_none_or(|c| c < CAP) {
                    self.reply[slot] = reply;
                    self.chain[slot] = chain;
                }
                Outcome::None
            }
            Op::Stop => {
                self.stop = true;
                Outcome::None
            }
            // A run the model does not allow would wait forever; it is reported
            // as a stop so that a caller that skipped `allows` notices.
            Op::Run(mode) => Outcome::Exit(self.run(mode).unwrap_or(Exit::Stopped)),
        }
    }

    fn notify(&mut self, slot: usize) -> Notified {
        self.ledger[slot].notified += 1;
        if self.active[slot] {
            self.mark(slot)
        } else if !self.keeps[slot] {
            self.ledger[slot].dropped += 1;
            Notified::Dropped
        } else {
            self.keep(slot)
        }
    }

    /// Sets `slot`'s ready bit, or merges with the one already set.
    fn mark(&mut self, slot: usize) -> Notified {
        if self.pending[slot] {
            self.ledger[slot].coalesced += 1;
            return Notified::Coalesced;
        }
        if slot >= DIRECT_SLOTS && !group(slot / BITS).any(|s| self.pending[s]) {
            self.marked[slot / BITS / GROUPS_PER_CLASS] = true;
        }
        self.pending[slot] = true;
        self.ledger[slot].pending += 1;
        Notified::Queued
    }

    /// Keeps a notification of dead `slot` for its next arm, or merges with
    /// the one already kept.
    fn keep(&mut self, slot: usize) -> Notified {
        if self.kept[slot] {
            self.ledger[slot].coalesced += 1;
            return Notified::Coalesced;
        }
        self.kept[slot] = true;
        self.ledger[slot].pending += 1;
        Notified::Kept
    }

    fn arm(&mut self, slot: usize) -> Result<(), Error> {
        slot_ok(slot)?;
        if self.active[slot] {
            return Err(Error::IllegalTransition {
                slot,
                from: SlotState::Active,
                to: SlotState::Active,
            });
        }
        self.active[slot] = true;
        if core::mem::take(&mut self.kept[slot]) {
            self.ledger[slot].pending -= 1;
            self.mark(slot);
        }
        Ok(())
    }

    /// One look at the ready set: first the direct slots set when it began, in
    /// order; then each group of the classes marked when it began, in order,
    /// and within a group the bits set when it is reached (a callback's
    /// notification of a group not yet reached is handed on in the same look,
    /// and marks its class again if the group was empty).
    fn pass(&mut self) -> (bool, usize) {
        let stop = core::mem::take(&mut self.stop);
        let marked = core::mem::take(&mut self.marked);
        let mut direct = [false; DIRECT_SLOTS];
        for (s, taken) in direct.iter_mut().enumerate() {
            *taken = self.take(s);
        }
        let mut ran = 0;
        for s in (0..DIRECT_SLOTS).filter(|&s| direct[s]) {
            ran += self.deliver(s);
        }
        for g in (0..GROUPS).filter(|&g| marked[g / GROUPS_PER_CLASS]) {
            let mut taken = [false; BITS];
            for s in group(g) {
                taken[s % BITS] = self.take(s);
            }
            for s in group(g).filter(|&s| taken[s % BITS]) {
                ran += self.deliver(s);
            }
        }
        (stop, ran)
    }

    /// Takes `slot`'s pending notification, if any.
    fn take(&mut self, slot: usize) -> bool {
        let taken = core::mem::take(&mut self.pending[slot]);
        if taken {
            self.ledger[slot].pending -= 1;
        }
        taken
    }

    /// Hands a taken notification on: a callback if the slot is active, else
    /// kept for the next arm (a slot that keeps) or dropped. Returns the
    /// callbacks run.
    fn deliver(&mut self, slot: usize) -> usize {
        if !self.active[slot] {
            if self.keeps[slot] {
                self.keep(slot);
            } else {
                self.ledger[slot].dropped += 1;
            }
            return 0;
        }
        self.ledger[slot].delivered += 1;
        let chained = self.chain[slot].map(|k| self.notify(k));
        self.trace.record(slot, chained);
        if self.reply[slot] == Action::Disarm {
            self.active[slot] = false;
        }
        1
    }

    /// What `run(mode)` returns, or `None` if it would wait for another thread
    /// (none exists here) or not end.
    fn run(&mut self, mode: RunMode) -> Option<Exit> {
        for _ in 0..MAX_PASSES {
            let (stop, ran) = self.pass();
            if stop {
                return Some(Exit::Stopped);
            }
            if self.active_count() == 0 {
                return Some(Exit::Done);
            }
            match mode {
                RunMode::NoWait => return Some(Exit::Ran),
                RunMode::Once if ran > 0 => return Some(Exit::Ran),
                _ if !self.pending.iter().any(|p| *p) => return None,
                _ => {}
            }
        }
        None
    }
}

/// The slots of bitmap group `g`: those below the direct slots live in the
/// park word instead.
fn group(g: usize) -> core::ops::Range<usize> {
    (g * BITS).max(DIRECT_SLOTS)..((g + 1) * BITS).min(CAP)
}

fn slot_ok(slot: usize) -> Result<(), Error> {
    if slot < CAP {
        Ok(())
    } else {
        Err(Error::NoSuchSlot {
            slot,
            capacity: CAP,
        })
    }
}
