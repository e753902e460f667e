//! Property test: random sequences of operations on one loop, each checked
//! against a reference model: slot states, the active count, which callbacks
//! run in which order, what each notification became, run exits, errors, and the
//! ledger of every slot, after every step.
//!
//! Everything runs on the test thread; callbacks may notify other slots of the
//! same loop (including their own), which exercises the ready set's three
//! levels: the slots used sit in three different group words.
#![cfg(not(loom))]

use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use rearm_core::{
    Action, Async, Error, Exit, Ledger, Loop, Notified, Park, ParkWord, RunMode, Runner,
    SpinPolicy, State,
};
use std::cell::RefCell;
use std::rc::Rc;

const CAP: usize = 130;
/// Slots the operations use: three bitmap groups (0..64, 64..128, 128..130),
/// their edges, and two that do not exist.
const SLOTS: [usize; 10] = [0, 1, 2, 63, 64, 65, 127, 129, 130, 4096];
/// Passes after which a run is deemed not to end (callbacks notifying each
/// other forever); the model then forbids it.
const MAX_PASSES: usize = 64;

/// A parker that must never be reached: every run the model allows ends without
/// waiting for another thread. A wait here means the loop lost track of work.
struct NeverPark;

impl Park for NeverPark {
    fn park(&self, _word: &ParkWord, _expected: u32) {
        panic!("the loop parked although the model says work was ready");
    }
    fn unpark(&self, _word: &ParkWord) {}
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Arm(usize),
    Add,
    Disarm(usize),
    Notify(usize),
    /// What `slot`'s callback does from now on: notify `chain` (if any), reply.
    Script {
        slot: usize,
        reply: Action,
        chain: Option<usize>,
    },
    Stop,
    Run(RunMode),
}

/// What the last operation must have returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    None,
    Unit(Result<(), Error>),
    Added(Result<usize, Error>),
    Notify(Result<Notified, Error>),
    Exit(Exit),
}

#[derive(Clone, Debug)]
struct Model {
    active: Vec<bool>,
    pending: Vec<bool>,
    reply: Vec<Action>,
    chain: Vec<Option<usize>>,
    stop: bool,
    ledger: Vec<Ledger>,
    /// Every callback run so far: its slot and what its chained notify became.
    calls: Vec<(usize, Option<Notified>)>,
    outcome: Outcome,
}

impl Model {
    fn new() -> Model {
        Model {
            active: vec![false; CAP],
            pending: vec![false; CAP],
            reply: vec![Action::Rearm; CAP],
            chain: vec![None; CAP],
            stop: false,
            ledger: vec![Ledger::default(); CAP],
            calls: Vec::new(),
            outcome: Outcome::None,
        }
    }

    fn active_count(&self) -> usize {
        self.active.iter().filter(|a| **a).count()
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

    fn notify(&mut self, slot: usize) -> Notified {
        let ledger = &mut self.ledger[slot];
        ledger.notified += 1;
        if !self.active[slot] {
            ledger.dropped += 1;
            Notified::Dropped
        } else if self.pending[slot] {
            ledger.coalesced += 1;
            Notified::Coalesced
        } else {
            self.pending[slot] = true;
            ledger.pending = 1;
            Notified::Pending
        }
    }

    fn arm(&mut self, slot: usize) -> Result<(), Error> {
        Self::slot_ok(slot)?;
        if self.active[slot] {
            return Err(Error::IllegalTransition {
                slot,
                from: State::Active,
                to: State::Active,
            });
        }
        self.active[slot] = true;
        Ok(())
    }

    /// One look at the ready set: groups that were non-empty when it began, in
    /// order; within a group, the bits set when it was taken, in order.
    fn pass(&mut self) -> (bool, usize) {
        let stop = std::mem::take(&mut self.stop);
        let groups: Vec<usize> = (0..CAP.div_ceil(64))
            .filter(|g| (g * 64..((g + 1) * 64).min(CAP)).any(|s| self.pending[s]))
            .collect();
        let mut ran = 0;
        for g in groups {
            let taken: Vec<usize> = (g * 64..((g + 1) * 64).min(CAP))
                .filter(|&s| self.pending[s])
                .collect();
            for &s in &taken {
                self.pending[s] = false;
                self.ledger[s].pending = 0;
            }
            for s in taken {
                if !self.active[s] {
                    self.ledger[s].dropped += 1;
                    continue;
                }
                self.ledger[s].delivered += 1;
                ran += 1;
                let chained = self.chain[s].map(|k| self.notify(k));
                self.calls.push((s, chained));
                if self.reply[s] == Action::Disarm {
                    self.active[s] = false;
                }
            }
        }
        (stop, ran)
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

struct LoopModel;

impl ReferenceStateMachine for LoopModel {
    type State = Model;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model::new()).boxed()
    }

    fn transitions(_state: &Model) -> BoxedStrategy<Op> {
        let slot = proptest::sample::select(SLOTS.to_vec());
        let valid = proptest::sample::select(SLOTS[..8].to_vec());
        let mode = prop_oneof![
            Just(RunMode::NoWait),
            Just(RunMode::Once),
            Just(RunMode::UntilDone)
        ];
        let reply = prop_oneof![3 => Just(Action::Rearm), 1 => Just(Action::Disarm)];
        prop_oneof![
            3 => slot.clone().prop_map(Op::Arm),
            1 => Just(Op::Add),
            1 => slot.clone().prop_map(Op::Disarm),
            6 => slot.clone().prop_map(Op::Notify),
            2 => (valid.clone(), reply, proptest::option::of(valid))
                .prop_map(|(slot, reply, chain)| Op::Script { slot, reply, chain }),
            1 => Just(Op::Stop),
            4 => mode.prop_map(Op::Run),
        ]
        .boxed()
    }

    fn preconditions(state: &Model, op: &Op) -> bool {
        match op {
            Op::Run(mode) => state.clone().run(*mode).is_some(),
            _ => true,
        }
    }

    fn apply(mut state: Model, op: &Op) -> Model {
        state.outcome = match *op {
            Op::Arm(slot) => Outcome::Unit(state.arm(slot)),
            Op::Add => Outcome::Added(match state.active.iter().position(|a| !a) {
                Some(slot) => state.arm(slot).map(|()| slot),
                None => Err(Error::Full { capacity: CAP }),
            }),
            Op::Disarm(slot) => Outcome::Unit(Model::slot_ok(slot).and_then(|()| {
                if state.active[slot] {
                    state.active[slot] = false;
                    Ok(())
                } else {
                    Err(Error::IllegalTransition {
                        slot,
                        from: State::Dead,
                        to: State::Dead,
                    })
                }
            })),
            Op::Notify(slot) => Outcome::Notify(Model::slot_ok(slot).map(|()| state.notify(slot))),
            Op::Script { slot, reply, chain } => {
                state.reply[slot] = reply;
                state.chain[slot] = chain;
                Outcome::None
            }
            Op::Stop => {
                state.stop = true;
                Outcome::None
            }
            Op::Run(mode) => Outcome::Exit(state.run(mode).expect("precondition")),
        };
        state
    }
}

/// Scripts and call log shared by the callbacks and the test.
struct Shared {
    reply: Vec<Action>,
    chain: Vec<Option<usize>>,
    calls: Vec<(usize, Option<Notified>)>,
}

struct Sut {
    lp: &'static Loop<NeverPark, CAP>,
    runner: Runner<'static, 'static, NeverPark, CAP>,
    shared: Rc<RefCell<Shared>>,
    handles: Vec<Async<'static, NeverPark, CAP>>,
}

impl Sut {
    /// A callback for `slot`, leaked: the runner borrows callbacks for as long
    /// as the (leaked) loop lives. A test case leaks a few hundred bytes.
    fn callback(&self, slot: usize) -> &'static mut dyn FnMut() -> Action {
        let shared = Rc::clone(&self.shared);
        let handles = self.handles.clone();
        Box::leak(Box::new(move || {
            let (reply, chain) = {
                let s = shared.borrow();
                (s.reply[slot], s.chain[slot])
            };
            let chained = chain.map(|k| handles[k].notify());
            shared.borrow_mut().calls.push((slot, chained));
            reply
        }))
    }
}

struct LoopTest;

impl StateMachineTest for LoopTest {
    type SystemUnderTest = Sut;
    type Reference = LoopModel;

    fn init_test(_ref_state: &Model) -> Sut {
        let lp: &'static Loop<NeverPark, CAP> = Box::leak(Box::new(Loop::new(NeverPark)));
        let runner = Runner::new(lp)
            .expect("a fresh loop has no runner")
            .with_spin_policy(SpinPolicy::PARK_AT_ONCE);
        let handles = (0..CAP).map(|s| lp.handle(s).unwrap()).collect();
        Sut {
            lp,
            runner,
            shared: Rc::new(RefCell::new(Shared {
                reply: vec![Action::Rearm; CAP],
                chain: vec![None; CAP],
                calls: Vec::new(),
            })),
            handles,
        }
    }

    fn apply(mut sut: Sut, model: &Model, op: Op) -> Sut {
        let outcome = match op {
            Op::Arm(slot) => {
                let cb = sut.callback(slot.min(CAP - 1));
                Outcome::Unit(sut.runner.arm(slot, cb))
            }
            Op::Add => {
                let slot = (0..CAP).find(|&s| sut.runner.state(s) == Ok(State::Dead));
                let cb = sut.callback(slot.unwrap_or(0));
                Outcome::Added(sut.runner.add(cb))
            }
            Op::Disarm(slot) => Outcome::Unit(sut.runner.disarm(slot)),
            Op::Notify(slot) => Outcome::Notify(sut.lp.handle(slot).map(|h| h.notify())),
            Op::Script { slot, reply, chain } => {
                let mut shared = sut.shared.borrow_mut();
                shared.reply[slot] = reply;
                shared.chain[slot] = chain;
                Outcome::None
            }
            Op::Stop => {
                sut.lp.stop();
                Outcome::None
            }
            Op::Run(mode) => Outcome::Exit(sut.runner.run(mode)),
        };
        assert_eq!(outcome, model.outcome, "outcome of {op:?}");
        sut
    }

    fn check_invariants(sut: &Sut, model: &Model) {
        assert_eq!(sut.runner.active(), model.active_count(), "active count");
        let mut total = Ledger::default();
        for slot in 0..CAP {
            let want = if model.active[slot] {
                State::Active
            } else {
                State::Dead
            };
            assert_eq!(sut.runner.state(slot), Ok(want), "runner state of {slot}");
            assert_eq!(sut.lp.state(slot), Ok(want), "shared state of {slot}");
            let ledger = sut.lp.ledger(slot).unwrap();
            assert_eq!(ledger, model.ledger[slot], "ledger of slot {slot}");
            assert!(ledger.is_conserved(), "slot {slot}: {ledger}");
            total = total + ledger;
        }
        assert_eq!(sut.lp.ledger_total(), total);
        assert_eq!(sut.shared.borrow().calls, model.calls, "callbacks run");
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    #[test]
    fn loop_matches_reference_model(sequential 1..80 => LoopTest);
}

/// The model is not vacuous: a loop that loses a notification is caught. Here
/// the "loss" is simulated by comparing against a model that forgot one.
#[test]
fn ledger_check_catches_a_lost_notification() {
    let lp: Loop<NeverPark, 4> = Loop::new(NeverPark);
    let mut calls = 0;
    let mut cb = || {
        calls += 1;
        Action::Rearm
    };
    let mut runner = Runner::new(&lp).unwrap();
    runner.arm(0, &mut cb).unwrap();
    lp.handle(0).unwrap().notify();
    lp.handle(0).unwrap().notify();
    runner.run(RunMode::NoWait);
    drop(runner);
    let real = lp.ledger(0).unwrap();
    assert_eq!(calls, 1);
    assert_eq!(
        real,
        Ledger {
            notified: 2,
            delivered: 1,
            coalesced: 1,
            dropped: 0,
            pending: 0
        }
    );
    let lost = Ledger {
        coalesced: 0,
        ..real
    };
    assert!(!lost.is_conserved());
}
