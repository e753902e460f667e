//! A runner as a future: runs what is ready, then registers the task and
//! announces its wait, instead of sleeping.

use crate::completion::{Exit, RunMode};
use crate::runner::CallbackRunner;
use crate::runner::Callbacks;
use crate::slot_runner::{Handler, HandlerRunner};
use crate::task::WakerPark;
use core::task::{Context, Poll};

/// Passes a poll makes over a loop that keeps finding work before it
/// yields to the executor (waking itself): other tasks on the executor's
/// thread get their turn while notifications keep coming.
const PASSES_PER_POLL: u32 = 32;

impl<P, const CAP: usize> HandlerRunner<'_, P, CAP>
where
    P: core::borrow::Borrow<WakerPark> + crate::park::Park,
{
    /// Runs what is ready, as [`run`](HandlerRunner::run) with `mode` would,
    /// inside an async task: where `run` would wait, it registers the
    /// task's waker with the loop's [`WakerPark`], announces the wait (see
    /// [`prepare_block`](HandlerRunner::prepare_block)) and returns `Pending`;
    /// the next notification, or a [`stop`](crate::Loop::stop), wakes the
    /// task, and its next poll goes on. `Ready` with what `run` would have
    /// returned: [`Exit::Done`], [`Exit::Stopped`], or, for
    /// [`RunMode::Once`] and [`RunMode::NoWait`], [`Exit::Ran`].
    ///
    /// It never spins, yields or sleeps: that is the executor's business. A
    /// loop that keeps finding work hands the executor back its thread
    /// every few dozen passes (waking itself first). It needs no heap and
    /// runs on bare metal.
    ///
    /// # Panics
    ///
    /// Only with the handler's own panic, which leaves its notification
    /// pending, as in [`run`](HandlerRunner::run).
    ///
    /// # Examples
    ///
    /// ```
    /// use rearm_core::park::WakerPark;
    /// use rearm_core::{Action, Exit, HandlerRunner, Loop, RunMode};
    /// use core::task::{Context, Poll, Waker};
    ///
    /// let lp: Loop<WakerPark, 2> = Loop::new(WakerPark::new());
    /// let mut runner = HandlerRunner::new(&lp)?;
    /// runner.arm(1)?;
    /// let mut on_event = |_slot: usize| Action::Disarm;
    /// let mut cx = Context::from_waker(Waker::noop());
    /// // Nothing notified: the task would sleep, its waker with the parker.
    /// assert_eq!(runner.poll_run(&mut cx, RunMode::UntilDone, &mut on_event), Poll::Pending);
    /// assert!(lp.parker().is_registered());
    /// lp.handle(1)?.notify(); // wakes the task, from any thread
    /// assert!(!lp.parker().is_registered());
    /// assert_eq!(runner.poll_run(&mut cx, RunMode::UntilDone, &mut on_event), Poll::Ready(Exit::Done));
    /// # Ok::<(), rearm_core::Error>(())
    /// ```
    pub fn poll_run<H: Handler + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        mode: RunMode,
        handler: &mut H,
    ) -> Poll<Exit> {
        for _ in 0..PASSES_PER_POLL {
            let (stop, ran) = self.dispatch(handler);
            if stop {
                return Poll::Ready(Exit::Stopped);
            }
            if self.active() == 0 {
                return Poll::Ready(Exit::Done);
            }
            match mode {
                RunMode::NoWait => return Poll::Ready(Exit::Ran),
                RunMode::Once if ran > 0 => return Poll::Ready(Exit::Ran),
                RunMode::Once | RunMode::UntilDone => {}
            }
            let lp = self.event_loop();
            if lp
                .parker
                .borrow()
                .register_then(cx.waker(), || lp.ready.announce_park())
            {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// [`poll_run`](HandlerRunner::poll_run) as a future:
    /// `runner.run_async(RunMode::UntilDone, &mut handler).await`.
    pub async fn run_async<H: Handler + ?Sized>(&mut self, mode: RunMode, handler: &mut H) -> Exit {
        core::future::poll_fn(|cx| self.poll_run(cx, mode, handler)).await
    }
}

impl<P, const CAP: usize> CallbackRunner<'_, '_, P, CAP>
where
    P: core::borrow::Borrow<WakerPark> + crate::park::Park,
{
    /// Runs what is ready inside an async task; see
    /// [`HandlerRunner::poll_run`].
    pub fn poll_run(&mut self, cx: &mut Context<'_>, mode: RunMode) -> Poll<Exit> {
        self.slots
            .poll_run(cx, mode, &mut Callbacks(&mut self.callbacks))
    }

    /// [`poll_run`](CallbackRunner::poll_run) as a future:
    /// `runner.run_async(RunMode::UntilDone).await`.
    pub async fn run_async(&mut self, mode: RunMode) -> Exit {
        core::future::poll_fn(|cx| self.poll_run(cx, mode)).await
    }
}
