//! Property test: random sequences of operations on one loop, each checked
//! against the reference model of `rearm_tests::fuzzing` (the same model the
//! `loop_ops` fuzz target uses): slot states, the active count, which
//! callbacks run in which order, what each notification became, run exits,
//! errors, and the ledger of every slot, after every step.
//!
//! Everything runs on the test thread; callbacks may notify other slots of the
//! same loop (including their own). The slots used (`fuzzing::SLOTS`) take
//! every path of the ready set: the park word, two bitmap words, and two
//! summary bits.
#![cfg(not(rearm_loom))]

use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use rearm_core::{Action, CallbackRunner, Ledger, Loop, RunMode};
use rearm_tests::fuzzing::{self, CAP, Executor, MAX_OPS, Model, NeverPark, Op, SLOTS, Script};
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread;

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
            5 => slot.clone().prop_map(Op::Notify),
            2 => slot.clone().prop_map(Op::NotifyKept),
            2 => (valid.clone(), reply, proptest::option::of(valid))
                .prop_map(|(slot, reply, chain)| Op::Script { slot, reply, chain }),
            1 => Just(Op::Stop),
            4 => mode.prop_map(Op::Run),
        ]
        .boxed()
    }

    fn preconditions(state: &Model, op: &Op) -> bool {
        state.allows(op)
    }

    fn apply(mut state: Model, op: &Op) -> Model {
        state.apply(op);
        state
    }
}

/// The real loop lives on a thread of its own, which owns it and its callbacks
/// on its stack (a runner borrows both for the loop's whole life), applies each
/// operation sent to it, checks the result against the model sent along, and
/// answers. Dropping the sender ends the thread and frees everything.
struct Sut {
    ops: mpsc::Sender<(Op, Model)>,
    verdicts: mpsc::Receiver<Result<(), String>>,
    thread: Option<thread::JoinHandle<()>>,
}

fn executor_thread(ops: mpsc::Receiver<(Op, Model)>, verdicts: mpsc::Sender<Result<(), String>>) {
    let lp: Loop<NeverPark, CAP> = Loop::new(NeverPark);
    let script = Script::default();
    let slots: [Cell<usize>; MAX_OPS] = std::array::from_fn(|_| Cell::new(0));
    let mut callbacks = fuzzing::callbacks(&lp, &script, &slots);
    let mut executor = Executor::new(&lp, &script, &slots, &mut callbacks);
    for (op, model) in ops {
        let verdict = catch_unwind(AssertUnwindSafe(|| {
            let got = executor.apply(op).expect("fewer operations than callbacks");
            assert_eq!(got, model.last_outcome(), "outcome of {op:?}");
            executor.check(&model);
        }))
        .map_err(|payload| {
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into())
        });
        let failed = verdict.is_err();
        if verdicts.send(verdict).is_err() || failed {
            return;
        }
    }
}

struct LoopTest;

impl StateMachineTest for LoopTest {
    type SystemUnderTest = Sut;
    type Reference = LoopModel;

    fn init_test(_ref_state: &Model) -> Sut {
        let (ops, ops_rx) = mpsc::channel();
        let (verdicts_tx, verdicts) = mpsc::channel();
        let thread = thread::spawn(move || executor_thread(ops_rx, verdicts_tx));
        Sut {
            ops,
            verdicts,
            thread: Some(thread),
        }
    }

    /// Proptest hands over the model after `op`, whose `last_outcome` is what
    /// the real loop must have returned.
    fn apply(sut: Sut, model: &Model, op: Op) -> Sut {
        sut.ops
            .send((op, model.clone()))
            .expect("executor thread alive");
        match sut.verdicts.recv() {
            Ok(Ok(())) => sut,
            Ok(Err(failure)) => panic!("{failure}"),
            Err(_) => panic!("executor thread died"),
        }
    }

    fn teardown(mut sut: Sut, _model: Model) {
        drop(sut.ops);
        if let Some(thread) = sut.thread.take() {
            thread.join().expect("executor thread");
        }
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

/// The ledger check is not vacuous: a ledger that lost one notification does
/// not balance.
#[test]
fn ledger_check_catches_a_lost_notification() {
    let lp: Loop<NeverPark, 4> = Loop::new(NeverPark);
    let mut calls = 0;
    let mut cb = || {
        calls += 1;
        Action::Rearm
    };
    let mut runner = CallbackRunner::new(&lp).unwrap();
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
