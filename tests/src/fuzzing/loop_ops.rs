//! The `loop_ops` harness: operations decoded from bytes, applied to a real
//! loop and to the [`Model`], compared after every step.

use super::model::{CAP, Model, Op, Outcome, SLOTS, Trace};
use core::cell::Cell;
use rearm_core::park::{Park, ParkWord};
use rearm_core::{Action, CallbackRunner, Loop, RunMode, SpinPolicy};

/// Operations one input may hold (and callbacks one input may arm).
pub const MAX_OPS: usize = 256;

/// A parker that must never be reached: every run the model allows ends
/// without waiting for another thread, so a park means the loop lost track of
/// ready work.
#[derive(Debug)]
pub struct NeverPark;

impl Park for NeverPark {
    fn park(&self, _word: &ParkWord, _expected: u32) {
        panic!("the loop parked although the model says work was ready");
    }
    fn unpark(&self, _word: &ParkWord) {}
}

/// What the callbacks do (per slot) and what they did (a trace); shared by
/// every callback through a shared reference.
#[derive(Debug)]
pub struct Script {
    reply: [Cell<Action>; CAP],
    chain: [Cell<Option<usize>>; CAP],
    trace: Cell<Trace>,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            reply: core::array::from_fn(|_| Cell::new(Action::Rearm)),
            chain: core::array::from_fn(|_| Cell::new(None)),
            trace: Cell::new(Trace::default()),
        }
    }
}

impl Script {
    fn call(&self, lp: &Loop<NeverPark, CAP>, slot: usize) -> Action {
        let chained = self.chain[slot]
            .get()
            .and_then(|k| lp.handle(k).ok())
            .map(|h| h.notify());
        let mut trace = self.trace.get();
        trace.record(slot, chained);
        self.trace.set(trace);
        self.reply[slot].get()
    }
}

/// Callbacks to arm, one per arming operation an input may hold (a runner
/// keeps a callback's borrow until it is dropped), each told its slot through
/// a cell just before it is armed.
pub struct Pool<'a, F> {
    slots: &'a [Cell<usize>; MAX_OPS],
    callbacks: core::iter::Enumerate<core::slice::IterMut<'a, F>>,
}

impl<'a, F: FnMut() -> Action> Pool<'a, F> {
    fn next(&mut self, slot: usize) -> Option<&'a mut F> {
        let (k, callback) = self.callbacks.next()?;
        self.slots[k].set(slot);
        Some(callback)
    }
}

/// Callback `k` of a [`Pool`]: calls the script for the slot its cell names.
pub fn callback<'a>(
    lp: &'a Loop<NeverPark, CAP>,
    script: &'a Script,
    slots: &'a [Cell<usize>; MAX_OPS],
    k: usize,
) -> impl FnMut() -> Action + 'a {
    move || script.call(lp, slots[k].get())
}

/// Every callback of a [`Pool`].
pub fn callbacks<'a>(
    lp: &'a Loop<NeverPark, CAP>,
    script: &'a Script,
    slots: &'a [Cell<usize>; MAX_OPS],
) -> [impl FnMut() -> Action + 'a; MAX_OPS] {
    core::array::from_fn(move |k| callback(lp, script, slots, k))
}

/// The system under test: a real loop, its runner, and the callbacks.
pub struct Executor<'a, F: FnMut() -> Action> {
    lp: &'a Loop<NeverPark, CAP>,
    runner: CallbackRunner<'a, 'a, NeverPark, CAP>,
    script: &'a Script,
    pool: Pool<'a, F>,
    /// Slots some operation named (or `Add` chose): the only ones that can
    /// differ from a fresh slot unless the loop is broken.
    touched: [bool; CAP],
}

impl<'a, F: FnMut() -> Action + 'a> Executor<'a, F> {
    /// Drives `lp` (fresh: no runner yet) with callbacks from `callbacks`.
    pub fn new(
        lp: &'a Loop<NeverPark, CAP>,
        script: &'a Script,
        slots: &'a [Cell<usize>; MAX_OPS],
        callbacks: &'a mut [F; MAX_OPS],
    ) -> Self {
        let runner = match CallbackRunner::new(lp) {
            Ok(runner) => runner.with_spin_policy(SpinPolicy::PARK_AT_ONCE),
            Err(e) => panic!("a fresh loop must take a runner: {e}"),
        };
        Executor {
            lp,
            runner,
            script,
            pool: Pool {
                slots,
                callbacks: callbacks.iter_mut().enumerate(),
            },
            touched: [false; CAP],
        }
    }

    /// Applies `op` to the real loop and returns what it returned, or `None`
    /// when the callbacks ran out (the input is over).
    pub fn apply(&mut self, op: Op) -> Option<Outcome> {
        let named = match op {
            Op::Arm(slot) | Op::Disarm(slot) | Op::Notify(slot) | Op::NotifyKept(slot) => {
                [Some(slot), None]
            }
            Op::Script { slot, chain, .. } => [Some(slot), chain],
            Op::Add | Op::Stop | Op::Run(_) => [None, None],
        };
        for slot in named.into_iter().flatten().filter(|&s| s < CAP) {
            self.touched[slot] = true;
        }
        Some(match op {
            Op::Arm(slot) => {
                let callback = self.pool.next(slot.min(CAP - 1))?;
                Outcome::Unit(self.runner.arm(slot, callback))
            }
            Op::Add => {
                let free =
                    (0..CAP).find(|&s| self.runner.state(s) == Ok(rearm_core::SlotState::Dead));
                if let Some(slot) = free {
                    self.touched[slot] = true;
                }
                let callback = self.pool.next(free.unwrap_or(0))?;
                Outcome::Added(self.runner.add(callback))
            }
            Op::Disarm(slot) => Outcome::Unit(self.runner.disarm(slot)),
            Op::Notify(slot) => Outcome::Notify(self.lp.handle(slot).map(|h| h.notify())),
            Op::NotifyKept(slot) => Outcome::Notify(self.lp.handle(slot).map(|h| h.notify_kept())),
            Op::Script { slot, reply, chain } => {
                if slot < CAP && chain.is_none_or(|c| c < CAP) {
                    self.script.reply[slot].set(reply);
                    self.script.chain[slot].set(chain);
                }
                Outcome::None
            }
            Op::Stop => {
                self.lp.stop();
                Outcome::None
            }
            Op::Run(mode) => Outcome::Exit(self.runner.run(mode)),
        })
    }

    /// Panics unless the real loop matches `model`: every slot's state (as the
    /// runner and as notifiers see it) and ledger, the active count, the
    /// callbacks run, and ledger conservation.
    pub fn check(&self, model: &Model) {
        self.check_slots(model, |_| true);
    }

    /// [`check`](Self::check), but only the slots an operation touched so far:
    /// cheap enough to run after every step of a loop with hundreds of slots.
    /// Run a full `check` at the end.
    pub fn check_touched(&self, model: &Model) {
        self.check_slots(model, |slot| self.touched[slot]);
    }

    fn check_slots(&self, model: &Model, wanted: impl Fn(usize) -> bool) {
        assert_eq!(self.runner.active(), model.active_count(), "active count");
        for slot in (0..CAP).filter(|&s| wanted(s)) {
            let want = model.state(slot);
            assert_eq!(self.runner.state(slot), Ok(want), "runner state of {slot}");
            assert_eq!(self.lp.state(slot), Ok(want), "shared state of {slot}");
            let ledger = self.lp.ledger(slot);
            assert_eq!(ledger, Ok(model.ledger(slot)), "ledger of slot {slot}");
            assert!(
                ledger.is_ok_and(|l| l.is_conserved()),
                "slot {slot}: {ledger:?}"
            );
        }
        assert_eq!(self.script.trace.get(), model.trace, "callbacks run");
    }
}

/// Decodes two bytes per operation.
pub fn decode(data: &[u8]) -> impl Iterator<Item = Op> + '_ {
    data.chunks(2).map(|pair| {
        let (kind, arg) = (pair[0], pair.get(1).copied().unwrap_or(0));
        let slot = SLOTS[usize::from(arg) % SLOTS.len()];
        let valid = |x: u8| SLOTS[usize::from(x) % 8];
        match kind % 8 {
            0 => Op::Arm(slot),
            1 => Op::Add,
            2 => Op::Disarm(slot),
            3 => Op::Notify(slot),
            4 => Op::NotifyKept(slot),
            5 => Op::Script {
                slot: valid(arg),
                reply: if arg & 0x80 != 0 {
                    Action::Disarm
                } else {
                    Action::Rearm
                },
                chain: (arg & 0x40 != 0).then(|| valid(arg >> 3)),
            },
            6 => Op::Stop,
            _ => Op::Run(match arg % 3 {
                0 => RunMode::NoWait,
                1 => RunMode::Once,
                _ => RunMode::UntilDone,
            }),
        }
    })
}

/// The `loop_ops` fuzz target: decodes `data` into operations, applies each
/// the model allows to a real loop and to the model, and panics at the first
/// difference.
pub fn loop_ops(data: &[u8]) {
    let lp: Loop<NeverPark, CAP> = Loop::new(NeverPark);
    let script = Script::default();
    let slots: [Cell<usize>; MAX_OPS] = core::array::from_fn(|_| Cell::new(0));
    let mut callbacks = callbacks(&lp, &script, &slots);
    let mut executor = Executor::new(&lp, &script, &slots, &mut callbacks);
    let mut model = Model::new();
    for op in decode(data).take(MAX_OPS) {
        if !model.allows(&op) {
            continue;
        }
        let Some(got) = executor.apply(op) else {
            break;
        };
        let want = model.apply(&op);
        assert_eq!(got, want, "outcome of {op:?}");
        executor.check_touched(&model);
    }
    executor.check(&model);
}
