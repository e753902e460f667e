//! Peers built on channels: main receives context ids on one channel; each
//! worker receives on its own.

use super::{Counters, timed};
use crate::cpu::CpuUse;
use std::sync::Mutex;
use std::time::Duration;

pub(crate) fn run_std(contexts: &[Counters], pings: u64) -> (Duration, CpuUse) {
    use std::sync::mpsc;
    let n = contexts.len();
    let (to_main, from_workers) = mpsc::channel::<usize>();
    let (to_workers, receivers): (Vec<_>, Vec<_>) = (0..n).map(|_| mpsc::channel::<()>()).unzip();
    let receivers: Vec<Mutex<Option<mpsc::Receiver<()>>>> =
        receivers.into_iter().map(|r| Mutex::new(Some(r))).collect();
    let mut finished = vec![false; n];
    timed(
        n,
        |i, ready| {
            let inbox = receivers[i]
                .lock()
                .unwrap()
                .take()
                .expect("one worker per context");
            let to_main = to_main.clone();
            ready();
            let counters = &contexts[i];
            let _ = to_main.send(i);
            while inbox.recv().is_ok() {
                counters.worker_seen();
                let _ = to_main.send(i);
                if counters.worker_sent() >= pings {
                    break;
                }
            }
        },
        || {
            let mut done = 0;
            while done < n {
                let Ok(i) = from_workers.recv() else { break };
                if finished[i] {
                    continue; // the worker's last reply
                }
                contexts[i].main_seen();
                let _ = to_workers[i].send(());
                if contexts[i].main_sent() >= pings {
                    finished[i] = true;
                    done += 1;
                }
            }
        },
    )
}

pub(crate) fn run_crossbeam(contexts: &[Counters], pings: u64) -> (Duration, CpuUse) {
    use crossbeam_channel as cb;
    let n = contexts.len();
    let (to_main, from_workers) = cb::unbounded::<usize>();
    let (to_workers, receivers): (Vec<_>, Vec<_>) = (0..n).map(|_| cb::unbounded::<()>()).unzip();
    let mut finished = vec![false; n];
    timed(
        n,
        |i, ready| {
            let inbox = &receivers[i];
            ready();
            let counters = &contexts[i];
            let _ = to_main.send(i);
            while inbox.recv().is_ok() {
                counters.worker_seen();
                let _ = to_main.send(i);
                if counters.worker_sent() >= pings {
                    break;
                }
            }
        },
        || {
            let mut done = 0;
            while done < n {
                let Ok(i) = from_workers.recv() else { break };
                if finished[i] {
                    continue;
                }
                contexts[i].main_seen();
                let _ = to_workers[i].send(());
                if contexts[i].main_sent() >= pings {
                    finished[i] = true;
                    done += 1;
                }
            }
        },
    )
}
