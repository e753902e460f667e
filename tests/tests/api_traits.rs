//! What the API promises about thread safety, checked by the compiler, for
//! every public type of rearm-core and rearm-linux: what may cross threads
//! does, and what must not cannot (this file does not build otherwise).
//! A loop is never `Clone` (its slots are its identity).
#![cfg(not(rearm_loom))]

use core::cell::Cell;
use driver::sys::{EventfdPark, FutexPark};
use rearm_core::mailbox::{
    AsyncSignal, Mailbox, MailboxCounts, OneReceiver, OneSender, OneSenderMailbox,
    OwnedOneReceiver, OwnedOneSender, OwnedReceiver, OwnedSender, RecvError, RecvTimeoutError,
    Signal, TryRecvError, TrySendError,
};
use rearm_core::park::{Park, ParkWord, SpinPark, ThreadPark, WakerPark};
use rearm_core::relax::{Spin, Yield};
use rearm_core::{
    Action, CallbackRunner, Error, Exit, HandlerRunner, Ledger, Loop, Notified, OwnedSlotHandle,
    RunMode, SlotHandle, SlotState, SpinBound, SpinPolicy, TimerCounts, Unbalanced, WaitCounts,
};
use std::rc::Rc;

fn shareable<T: Send + Sync>() {}
fn movable<T: Send>() {}

/// Fails to build when `$t` implements `$auto`: naming the method is then
/// ambiguous between the blanket impl and the one for `$auto` types.
macro_rules! assert_not {
    ($auto:path: $($t:ty),+ $(,)?) => {$(
        const _: fn() = || {
            trait Ambiguous<Marker> {
                fn check() {}
            }
            impl<T: ?Sized> Ambiguous<()> for T {}
            struct WhenImplemented;
            impl<T: ?Sized + $auto> Ambiguous<WhenImplemented> for T {}
            let _ = <$t as Ambiguous<_>>::check;
        };
    )+};
}

/// A parker that is `Send` but not `Sync`: it shows that a loop's thread
/// safety is its parker's.
struct CellPark {
    parks: Cell<u64>,
}

impl Park for CellPark {
    fn park(&self, _word: &ParkWord, _expected: u32) {
        self.parks.set(self.parks.get() + 1);
    }
    fn unpark(&self, _word: &ParkWord) {}
}

type Handle = SlotHandle<'static, ThreadPark, 4>;

#[test]
fn loops_and_handles_with_thread_parkers_are_send_and_sync() {
    shareable::<Loop<SpinPark, 4>>();
    shareable::<Loop<ThreadPark, 4>>();
    shareable::<Loop<FutexPark, 4>>();
    shareable::<Loop<EventfdPark, 4>>();
    shareable::<Loop<WakerPark, 4>>();
    shareable::<SlotHandle<'static, SpinPark, 4>>();
    shareable::<SlotHandle<'static, FutexPark, 64>>();
    shareable::<SlotHandle<'static, EventfdPark, 1>>();
    shareable::<OwnedSlotHandle<ThreadPark, 4>>();
}

/// A runtime moves its handler runner to the thread that runs it.
#[test]
fn a_handler_runner_moves_to_the_loop_thread() {
    shareable::<HandlerRunner<'static, ThreadPark, 4>>();
    shareable::<HandlerRunner<'static, FutexPark, 4>>();
}

#[test]
fn plain_values_cross_threads() {
    shareable::<Action>();
    shareable::<RunMode>();
    shareable::<Exit>();
    shareable::<SlotState>();
    shareable::<Notified>();
    shareable::<Error>();
    shareable::<Ledger>();
    shareable::<Unbalanced>();
    shareable::<TimerCounts>();
    shareable::<SpinPolicy>();
    shareable::<SpinBound>();
    shareable::<WaitCounts>();
    shareable::<MailboxCounts>();
    shareable::<RecvError>();
    shareable::<RecvTimeoutError>();
    shareable::<TryRecvError>();
    shareable::<TrySendError<u64>>();
}

#[test]
fn parkers_and_signals_are_send_and_sync() {
    shareable::<ParkWord>();
    shareable::<SpinPark<Spin>>();
    shareable::<SpinPark<Yield>>();
    shareable::<ThreadPark>();
    shareable::<WakerPark>();
    shareable::<Signal<ThreadPark>>();
    shareable::<AsyncSignal>();
    shareable::<Spin>();
    shareable::<Yield>();
    shareable::<rearm_linux::FutexPark>();
    shareable::<rearm_linux::EventfdPark>();
    shareable::<rearm_linux::SyscallCounter>();
    shareable::<rearm_linux::BusyClock>();
}

#[test]
fn mailboxes_of_sendable_values_are_shared_and_their_ends_move() {
    shareable::<Mailbox<u64, Handle, 8>>();
    shareable::<Mailbox<Vec<u8>, Signal<ThreadPark>, 8>>();
    shareable::<OneSenderMailbox<u64, 8>>();
    movable::<OneSender<'static, u64, Handle, 8>>();
    movable::<OneReceiver<'static, u64, 8>>();
    movable::<OwnedSender<u64, Handle, 8>>();
    movable::<OwnedReceiver<u64, Handle, 8>>();
    movable::<OwnedOneSender<u64, Handle, 8>>();
    movable::<OwnedOneReceiver<u64, 8>>();
}

// A parker that is not Sync makes a loop that cannot be shared, and handles
// that cannot leave its thread.
assert_not!(Sync: Loop<CellPark, 4>, SlotHandle<'static, CellPark, 4>);
assert_not!(Send: SlotHandle<'static, CellPark, 4>);
// Callbacks run on the loop's own thread, so they may hold what cannot cross
// threads (an `Rc`, a `RefCell`): the runner that borrows them stays there.
assert_not!(Send: CallbackRunner<'static, 'static, ThreadPark, 4>);
assert_not!(Sync: CallbackRunner<'static, 'static, ThreadPark, 4>);
// Values cross threads through a mailbox, so they must be Send.
assert_not!(Sync: Mailbox<Rc<u8>, Handle, 8>, OneSenderMailbox<Rc<u8>, 8>);
assert_not!(Send: Mailbox<Rc<u8>, Handle, 8>, OneSender<'static, Rc<u8>, Handle, 8>);
assert_not!(Send: OneReceiver<'static, Rc<u8>, 8>, OwnedSender<Rc<u8>, Handle, 8>);

/// The Linux parkers moved to `rearm-linux`; `driver::sys` names the very
/// same types, so code written against either path takes the other's
/// parkers (this file does not build otherwise).
#[test]
fn the_driver_sys_paths_name_the_rearm_linux_parkers() {
    let futex: rearm_linux::FutexPark = FutexPark::new();
    let eventfd: rearm_linux::EventfdPark = EventfdPark::new().expect("an eventfd");
    let _: Loop<FutexPark, 1> = Loop::new(futex);
    let _: Loop<EventfdPark, 1> = Loop::new(eventfd);
}

/// The negative checks above are real: the same parker, with its `Cell`,
/// parks through a shared loop on its own thread.
#[test]
fn a_loop_on_a_cell_parker_runs_on_its_own_thread() {
    let lp: Loop<CellPark, 1> = Loop::new(CellPark {
        parks: Cell::new(0),
    });
    let handle = lp.handle(0).expect("slot 0");
    let mut calls = 0;
    let mut count = || {
        calls += 1;
        Action::Disarm
    };
    let mut runner = CallbackRunner::new(&lp).expect("the loop's only runner");
    runner.arm(0, &mut count).expect("a dead slot");
    handle.notify();
    assert_eq!(runner.run(RunMode::UntilDone), Exit::Done);
    drop(runner);
    assert_eq!(calls, 1);
}
