//! A small `block_on` executor whose thread sleeps on a rearm loop. Each task
//! has a slot; its `Waker` is an `OwnedSlotHandle` of that slot, so a future
//! completed on another thread notifies the loop, and the handler polls the
//! task whose slot fired. Wakes coalesce like any notification: a task woken
//! twice before its poll is polled once.
use rearm_core::park::ThreadPark;
use rearm_core::{Action, Exit, Handler, HandlerRunner, Loop, OwnedSlotHandle, RunMode};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

const TASKS: usize = 4;

/// A value another thread delivers, and the waker to call when it does.
#[derive(Default)]
struct Slot {
    value: Option<u64>,
    waker: Option<Waker>,
}

/// A future that completes when [`deliver`] is called, on any thread.
struct Delivery(Arc<Mutex<Slot>>);

impl Future for Delivery {
    type Output = u64;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        let mut slot = self.0.lock().expect("no panics while held");
        match slot.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

fn deliver(to: &Mutex<Slot>, value: u64) {
    let waker = {
        let mut slot = to.lock().expect("no panics while held");
        slot.value = Some(value);
        slot.waker.take()
    };
    if let Some(waker) = waker {
        waker.wake();
    }
}

type Task = Pin<Box<dyn Future<Output = u64> + Send>>;

/// The executor's state: each slot's task, its waker, and its result.
struct Tasks {
    tasks: [Option<Task>; TASKS],
    wakers: [Waker; TASKS],
    results: [Option<u64>; TASKS],
}

impl Handler for Tasks {
    fn on_notify(&mut self, slot: usize) -> Action {
        let Some(task) = self.tasks[slot].as_mut() else {
            return Action::Disarm;
        };
        match task
            .as_mut()
            .poll(&mut Context::from_waker(&self.wakers[slot]))
        {
            Poll::Ready(value) => {
                self.results[slot] = Some(value);
                self.tasks[slot] = None;
                Action::Disarm
            }
            Poll::Pending => Action::Rearm,
        }
    }
}

/// Runs every future to completion on this thread, asleep in between.
fn block_on_all(futures: [Task; TASKS]) -> Result<[Option<u64>; TASKS], rearm_core::Error> {
    let lp: Arc<Loop<ThreadPark, TASKS>> = Arc::new(Loop::new(ThreadPark::new()));
    let mut wakers = Vec::with_capacity(TASKS);
    for slot in 0..TASKS {
        wakers.push(OwnedSlotHandle::new(Arc::clone(&lp), slot)?.waker());
    }
    let mut state = Tasks {
        tasks: futures.map(Some),
        wakers: wakers.try_into().expect("one waker per task"),
        results: [None; TASKS],
    };
    let mut runner = HandlerRunner::new(&lp)?;
    for slot in 0..TASKS {
        runner.arm(slot)?;
        lp.handle(slot)?.notify(); // the first poll
    }
    let exit = runner.run(RunMode::UntilDone, &mut state);
    assert_eq!(exit, Exit::Done);
    Ok(state.results)
}

fn main() {
    let deliveries: Vec<Arc<Mutex<Slot>>> = (0..TASKS).map(|_| Arc::default()).collect();
    let futures: [Task; TASKS] = std::array::from_fn(|i| {
        let delivery = Delivery(Arc::clone(&deliveries[i]));
        Box::pin(async move { delivery.await * 10 }) as Task
    });
    let senders: Vec<_> = deliveries
        .iter()
        .enumerate()
        .map(|(i, to)| {
            let to = Arc::clone(to);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(5 * (TASKS - i) as u64));
                deliver(&to, i as u64 + 1);
            })
        })
        .collect();
    let results = block_on_all(futures).expect("a fresh loop and valid slots");
    for sender in senders {
        sender.join().expect("sender thread");
    }
    println!("results: {results:?}");
    assert_eq!(results, [Some(10), Some(20), Some(30), Some(40)]);
}
