//! libuv itself, the program rearm reimplements: its `uv_async_t` ping-pong
//! (after libuv's own `test/benchmark-async.c`) and its `uv_timer_t` timers.
//! Behind the optional `libuv` feature (libuv-sys2 builds libuv and needs
//! libclang for its bindings), never a default dependency.
//!
//! This is the driver's one piece of `unsafe`: libuv is a C library. Every
//! block argues its safety.

use super::{PeerError, timed};
use crate::harness::CpuUse;
use crate::harness::PingCounters;
use crate::harness::lateness::{Lateness, TimerPoint, run_length};
use crate::sys;
use libuv_sys2 as uv;
use std::cell::{RefCell, UnsafeCell};
use std::mem::MaybeUninit;
use std::os::raw::c_void;
use std::time::Duration;

/// One context: main's async for it, the worker's loop and async, and the
/// counters. Libuv keeps their addresses: they live in a `Vec` built once and
/// never grown, so they never move.
struct Context<'a> {
    main_async: UnsafeCell<uv::uv_async_t>,
    worker_loop: UnsafeCell<uv::uv_loop_t>,
    worker_async: UnsafeCell<uv::uv_async_t>,
    counters: &'a PingCounters,
    pings: u64,
}

/// The contexts, shared with the worker threads.
struct Contexts<'a>(Vec<Context<'a>>);

// SAFETY: each context's worker loop and worker async are touched only by its
// worker thread once set up; its main async and the main loop only by the main
// thread, except through `uv_async_send`, which libuv documents as the one
// function safe to call from any thread. Setup happens before the start gate,
// which orders it before every use on another thread.
unsafe impl Sync for Contexts<'_> {}

/// A zeroed libuv struct: plain C data that `uv_*_init` then initializes.
fn zeroed<T>() -> UnsafeCell<T> {
    // SAFETY: libuv's handle and loop structs are C structs of integers,
    // pointers and arrays of them, for which all-zero is a valid bit pattern;
    // libuv overwrites them in uv_loop_init / uv_async_init before any use.
    UnsafeCell::new(unsafe { MaybeUninit::zeroed().assume_init() })
}

extern "C" fn main_async_cb(handle: *mut uv::uv_async_t) {
    // SAFETY: the data pointer was set to this handle's context, which
    // outlives the loop run that calls this callback.
    let ctx = unsafe { &*(uv::uv_handle_get_data(handle.cast()) as *const Context<'_>) };
    ctx.counters.main_seen();
    // SAFETY: the worker async was initialized before the worker's kick, and
    // the kick came before any callback on main's side.
    unsafe { uv::uv_async_send(ctx.worker_async.get()) };
    if ctx.counters.main_sent() >= ctx.pings {
        // SAFETY: a live, initialized handle on this (main) thread's loop.
        unsafe { uv::uv_close(handle.cast(), None) };
    }
}

extern "C" fn worker_async_cb(handle: *mut uv::uv_async_t) {
    // SAFETY: as in `main_async_cb`.
    let ctx = unsafe { &*(uv::uv_handle_get_data(handle.cast()) as *const Context<'_>) };
    ctx.counters.worker_seen();
    // SAFETY: main's async stays initialized, and the main loop open, until
    // every worker has been joined (see `run`). After main closed it, a send
    // is ignored by libuv.
    unsafe { uv::uv_async_send(ctx.main_async.get()) };
    if ctx.counters.worker_sent() >= ctx.pings {
        // SAFETY: a live, initialized handle on this (worker) thread's loop.
        unsafe { uv::uv_close(handle.cast(), None) };
    }
}

fn check(what: &str, status: i32) -> Result<(), PeerError> {
    if status == 0 {
        Ok(())
    } else {
        Err(PeerError::Setup(format!(
            "{what} failed: libuv error {status}"
        )))
    }
}

pub(crate) fn run(contexts: &[PingCounters], pings: u64) -> Result<(Duration, CpuUse), PeerError> {
    let main_loop: Box<UnsafeCell<uv::uv_loop_t>> = Box::new(zeroed());
    // SAFETY: a zeroed, boxed (unmoving) loop struct, initialized once.
    check("uv_loop_init", unsafe { uv::uv_loop_init(main_loop.get()) })?;
    let shared = Contexts(
        contexts
            .iter()
            .map(|counters| Context {
                main_async: zeroed(),
                worker_loop: zeroed(),
                worker_async: zeroed(),
                counters,
                pings,
            })
            .collect(),
    );
    for ctx in &shared.0 {
        let data = (ctx as *const Context<'_>).cast_mut().cast::<c_void>();
        // SAFETY: the loop is initialized; the handle is zeroed, never moves
        // and is initialized once; the data pointer is its context, which
        // outlives the loop.
        check("uv_async_init", unsafe {
            uv::uv_async_init(main_loop.get(), ctx.main_async.get(), Some(main_async_cb))
        })?;
        // SAFETY: an initialized handle.
        unsafe { uv::uv_handle_set_data(ctx.main_async.get().cast(), data) };
    }
    let shared = &shared;
    let measured = timed(
        contexts.len(),
        |i, ready| {
            let ctx = &shared.0[i];
            let data = (ctx as *const Context<'_>).cast_mut().cast::<c_void>();
            // SAFETY: this worker's own zeroed, unmoving loop and handle,
            // initialized once here, before the gate.
            let setup = unsafe {
                uv::uv_loop_init(ctx.worker_loop.get()) == 0
                    && uv::uv_async_init(
                        ctx.worker_loop.get(),
                        ctx.worker_async.get(),
                        Some(worker_async_cb),
                    ) == 0
            };
            assert!(setup, "libuv worker setup failed");
            // SAFETY: an initialized handle; the context outlives the loop.
            unsafe { uv::uv_handle_set_data(ctx.worker_async.get().cast(), data) };
            ready();
            // SAFETY: main's async was initialized before any worker started.
            unsafe { uv::uv_async_send(ctx.main_async.get()) };
            // SAFETY: this thread's initialized loop; it returns once the
            // worker's async is closed, and is then closed exactly once.
            unsafe {
                uv::uv_run(ctx.worker_loop.get(), uv::uv_run_mode_UV_RUN_DEFAULT);
                uv::uv_loop_close(ctx.worker_loop.get());
            }
        },
        || {
            // SAFETY: the main loop, run on the thread that set it up; it
            // returns once every main async is closed.
            unsafe { uv::uv_run(main_loop.get(), uv::uv_run_mode_UV_RUN_DEFAULT) };
        },
    );
    // Every worker is joined: no send can reach the main loop any more.
    // SAFETY: the initialized main loop, all of whose handles are closed.
    unsafe { uv::uv_loop_close(main_loop.get()) };
    Ok(measured)
}

/// What every timer's callback shares: the schedule every contender keeps,
/// and when the run ends. Touched only by the loop's thread.
struct TimerRun {
    lateness: RefCell<Lateness>,
    end: u64,
}

/// One `uv_timer_t` and which timer of the schedule it is.
struct Timer<'a> {
    handle: UnsafeCell<uv::uv_timer_t>,
    index: usize,
    run: &'a TimerRun,
}

/// Milliseconds from the loop's clock to `due_ns`, rounded up: libuv counts
/// timeouts in whole milliseconds of its own clock (`uv_now`, on
/// `CLOCK_MONOTONIC`, coarse where that is precise to a millisecond), so a
/// firing is never early but may be up to a millisecond and a clock tick
/// late.
fn timeout_ms(event_loop: *mut uv::uv_loop_t, due_ns: u64) -> u64 {
    // SAFETY: an initialized loop, on its own thread.
    let now_ms = unsafe {
        uv::uv_update_time(event_loop);
        uv::uv_now(event_loop)
    };
    due_ns.div_ceil(1_000_000).saturating_sub(now_ms)
}

extern "C" fn timer_cb(handle: *mut uv::uv_timer_t) {
    // SAFETY: the data pointer was set to this handle's `Timer`, which
    // outlives the loop run that calls this callback.
    let timer = unsafe { &*(uv::uv_handle_get_data(handle.cast()) as *const Timer<'_>) };
    let now = sys::monotonic_ns();
    let next = timer.run.lateness.borrow_mut().fired(timer.index, now);
    if next < timer.run.end {
        // SAFETY: a live timer on this thread's loop; a timer may be started
        // again from its own callback.
        unsafe {
            let event_loop = uv::uv_handle_get_loop(handle.cast());
            uv::uv_timer_start(handle, Some(timer_cb), timeout_ms(event_loop, next), 0);
        }
    }
}

/// `timers` libuv timers (`uv_timer_t`) of `period` on one loop, each started
/// again from its callback for its next due time on the schedule every
/// contender keeps ([`Lateness`]): what a libuv program does to keep a
/// phase, since a repeating `uv_timer_t` counts its repeat from when it ran
/// and drifts.
pub(crate) fn timers(timers: usize, period: Duration) -> Result<TimerPoint, String> {
    let setup = |what: &str, status: i32| {
        (status == 0)
            .then_some(())
            .ok_or_else(|| format!("{what} failed: libuv error {status}"))
    };
    let start = sys::monotonic_ns() + 1_000_000;
    let run = TimerRun {
        lateness: RefCell::new(Lateness::new(timers, period, start)?),
        end: start + run_length(timers, period).as_nanos() as u64,
    };
    let event_loop: Box<UnsafeCell<uv::uv_loop_t>> = Box::new(zeroed());
    // SAFETY: a zeroed, boxed (unmoving) loop struct, initialized once.
    setup("uv_loop_init", unsafe {
        uv::uv_loop_init(event_loop.get())
    })?;
    // Built once and never grown: libuv keeps the handles' addresses.
    let handles: Vec<Timer<'_>> = (0..timers)
        .map(|index| Timer {
            handle: zeroed(),
            index,
            run: &run,
        })
        .collect();
    let mut started = 0;
    let mut status = Ok(());
    for timer in &handles {
        let first = run.lateness.borrow().first_due(timer.index);
        let data = (timer as *const Timer<'_>).cast_mut().cast::<c_void>();
        // SAFETY: the loop is initialized; the handle is zeroed, never moves
        // and is initialized once; its data is its `Timer`, which outlives
        // the loop.
        status = setup("uv_timer_init", unsafe {
            uv::uv_timer_init(event_loop.get(), timer.handle.get())
        });
        if status.is_err() {
            break;
        }
        started += 1;
        // SAFETY: an initialized handle on this thread's loop.
        unsafe {
            uv::uv_handle_set_data(timer.handle.get().cast(), data);
            uv::uv_timer_start(
                timer.handle.get(),
                Some(timer_cb),
                timeout_ms(event_loop.get(), first),
                0,
            );
        }
    }
    let cpu_before = sys::thread_cpu_ns();
    if status.is_ok() {
        // SAFETY: the initialized loop, on the thread that set it up; it
        // returns once no timer is started again.
        unsafe { uv::uv_run(event_loop.get(), uv::uv_run_mode_UV_RUN_DEFAULT) };
    }
    let cpu = Duration::from_nanos(sys::thread_cpu_ns() - cpu_before);
    // SAFETY: every initialized handle is closed once, the loop runs their
    // close callbacks (none), and is then closed with no handle left.
    unsafe {
        for timer in &handles[..started] {
            uv::uv_close(timer.handle.get().cast(), None);
        }
        uv::uv_run(event_loop.get(), uv::uv_run_mode_UV_RUN_DEFAULT);
        uv::uv_loop_close(event_loop.get());
    }
    status?;
    Ok(run.lateness.into_inner().point(period, cpu, None))
}
