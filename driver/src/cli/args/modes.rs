//! One validation per mode: the flags it refuses, and the [`Work`] it builds
//! from the rest.

use super::{
    ArrivalsArg, BackendArg, DEFAULT_PEER_PINGS, DEFAULT_PINGS, DEFAULT_WAKE_ROUNDS, ModeArg,
    Parsed, PolicyArg, REPORTING, conflict, run_flags,
};
use crate::bench::Mode;
use crate::bench::mailbox::{self, MailboxContender};
use crate::bench::sparse::SparseContender;
use crate::bench::timers::{DEFAULT_SLACK_US, TimerContender};
use crate::cli::plan::{AsyncWork, MailboxWork, SparseWork, TimerWork, Work};
use crate::harness::arrivals::Spacing;
use crate::peers::Peer;
use crate::peers::sparse::SPARSE_PEERS;
use crate::sys::BackendKind;
use std::time::Duration;

/// `--soak DURATION`.
pub(super) fn soak(p: &Parsed, duration: Duration) -> Result<Work, clap::Error> {
    p.refuse_unused(
        "--soak",
        "it cycles through every backend, benchmark and thread count itself",
        &["--soak", "--timeout"],
    )?;
    Ok(Work::Soak(duration, p.args.timeout))
}

/// `--peers` (the ping-pong beside every peer).
pub(super) fn peers(p: &Parsed, chosen: &[Peer]) -> Result<Work, clap::Error> {
    if p.args.mode != ModeArg::Pingpong {
        return Err(conflict(
            "--peers compares the ping-pong, or with --mode sparse the sparse arrivals: it cannot take another --mode",
        ));
    }
    if p.args.backend == BackendArg::All {
        return Err(conflict(
            "--peers runs rearm on one backend: name it (futex, eventfd, spin or thread), not all",
        ));
    }
    let uses = [&run_flags()[..], &["--peers"]].concat();
    p.refuse_unused("--peers", "asyncs are for --mode wake", &uses)?;
    // Each peer once, in report order; none named means all of them.
    let peers: Vec<Peer> = Peer::ALL
        .iter()
        .copied()
        .filter(|peer| chosen.is_empty() || chosen.contains(peer))
        .collect();
    Ok(Work::Peers {
        // With "all", rearm is represented by its default backend.
        backend: p.backends[0],
        peers,
        threads: p.args.threads.clone(),
        config: p.config(1, p.args.pings.unwrap_or(DEFAULT_PEER_PINGS)),
    })
}

/// `--mode pingpong` and `--mode pummel`.
pub(super) fn runs(p: &Parsed, mode: Mode) -> Result<Work, clap::Error> {
    let name = if mode == Mode::PingPong {
        "--mode pingpong"
    } else {
        "--mode pummel"
    };
    p.refuse_unused(name, "asyncs are for --mode wake", &run_flags())?;
    let pings = p.args.pings.unwrap_or(DEFAULT_PINGS);
    let mut runs = Vec::new();
    for &backend in &p.backends {
        for &threads in &p.args.threads {
            runs.push((backend, mode, p.config(threads, pings)));
        }
    }
    Ok(Work::Runs(runs))
}

/// `--mode wake`.
pub(super) fn wake(p: &Parsed) -> Result<Work, clap::Error> {
    p.refuse_unused(
        "--mode wake",
        "it times notify and callback on one thread that parks at once",
        &[REPORTING, &["--backend", "--asyncs", "--pings", "--plot"]].concat(),
    )?;
    Ok(Work::Wake {
        backends: p.backends.clone(),
        asyncs: p.args.asyncs.clone(),
        rounds: p.args.pings.unwrap_or(DEFAULT_WAKE_ROUNDS),
    })
}

/// `--mode idle`.
pub(super) fn idle(p: &Parsed) -> Result<Work, clap::Error> {
    p.refuse_unused(
        "--mode idle",
        "it times one loop with nothing to do, with the default wait",
        &[
            "--mode",
            "--backend",
            "--repeat",
            "--json",
            "--save",
            "--baseline",
        ],
    )?;
    Ok(Work::Idle(p.backends.clone()))
}

/// `--mode mailbox`.
pub(super) fn mailbox(p: &Parsed) -> Result<Work, clap::Error> {
    let args = p.args;
    let flags: Vec<&str> = run_flags()
        .into_iter()
        .chain(["--capacity", "--reply"])
        .collect();
    p.refuse_unused(
        "--mode mailbox",
        "its contenders are fixed (rearm's mailboxes, crossbeam, std, flume, kanal, thingbuf)",
        &flags,
    )?;
    if args.reply && args.inject_faults {
        return Err(conflict(
            "--reply does not take --inject-faults (the disrupted receiver \
             drains a stream; its request/reply server is not written): \
             leave one out",
        ));
    }
    let senders = if p.given.contains(&"--threads") {
        args.threads.clone()
    } else {
        vec![1, 2, 4]
    };
    // Faults go into rearm's parkers and receiver: the channels have
    // neither, so they sit out.
    let peers = if args.inject_faults {
        Vec::new()
    } else {
        MailboxContender::PEERS.to_vec()
    };
    let contenders = p
        .backends
        .iter()
        .flat_map(|&backend| MailboxContender::rearm(backend))
        .filter(|contender| !args.inject_faults || contender.takes_faults())
        .chain(peers)
        .collect();
    Ok(Work::Mailbox(MailboxWork {
        contenders,
        capacities: args.capacity.clone(),
        senders,
        reply: args.reply,
        messages: args.pings.unwrap_or(mailbox::DEFAULT_MESSAGES),
        policy: p.policy(args.spin_policy.unwrap_or(PolicyArg::Default)),
        timeout: args.timeout,
        faults: args.inject_faults,
    }))
}

/// `--mode async`.
pub(super) fn async_pingpong(p: &Parsed) -> Result<Work, clap::Error> {
    p.refuse_unused(
        "--mode async",
        "two tokio runtimes pass one value back and forth through each contender",
        &[REPORTING, &["--pings", "--timeout"]].concat(),
    )?;
    Ok(Work::Async(AsyncWork {
        round_trips: p
            .args
            .pings
            .unwrap_or(crate::bench::async_pingpong::DEFAULT_ROUND_TRIPS),
        timeout: p.args.timeout,
    }))
}

/// `--mode timers`.
pub(super) fn timers(p: &Parsed) -> Result<Work, clap::Error> {
    p.refuse_unused(
        "--mode timers",
        "one loop runs its timers with the default wait, beside std, tokio and (with its feature) libuv",
        &[REPORTING, &["--backend", "--timers", "--periods", "--timer-slack"]].concat(),
    )?;
    if p.backends.contains(&BackendKind::Spin) && p.args.backend != BackendArg::All {
        return Err(conflict(
            "--mode timers: the spin backend's parker has no clock, so it runs no \
             timers; name futex, eventfd or thread",
        ));
    }
    // "all": every backend whose parker has a clock; the slack row on the
    // first of them only: it shows what the slack costs and saves.
    let backends: Vec<BackendKind> = p
        .backends
        .iter()
        .copied()
        .filter(|&b| b != BackendKind::Spin)
        .collect();
    let slack = Duration::from_micros(p.args.timer_slack.unwrap_or(DEFAULT_SLACK_US));
    let slack_row = backends
        .first()
        .filter(|_| !slack.is_zero())
        .map(|&b| TimerContender::RearmWithSlack(b, slack));
    let contenders = backends
        .iter()
        .map(|&b| TimerContender::Rearm(b))
        .chain(slack_row)
        .chain(TimerContender::PEERS.iter().copied())
        .collect();
    Ok(Work::Timers(TimerWork {
        contenders,
        counts: p.args.timers.clone(),
        periods: p
            .args
            .periods
            .iter()
            .map(|&us| Duration::from_micros(us))
            .collect(),
    }))
}

/// `--mode sparse`, with or without `--peers`.
pub(super) fn sparse(p: &Parsed) -> Result<Work, clap::Error> {
    let args = p.args;
    // A ping-pong run's flags but the thread count and the faults, and the
    // peers and gaps.
    let sparse_flags: Vec<&str> = run_flags()
        .into_iter()
        .filter(|flag| !["--threads", "--inject-faults"].contains(flag))
        .chain(["--peers", "--gaps", "--arrivals"])
        .collect();
    p.refuse_unused(
        "--mode sparse",
        "one producer notifies one loop; it runs no ping-pong and injects no faults",
        &sparse_flags,
    )?;
    let presets = match args.spin_policy {
        Some(preset) => vec![preset],
        None => vec![PolicyArg::Default, PolicyArg::LowLatency],
    };
    // Every backend unless one is named; the low-latency row on the first
    // backend only: it shows what the cap costs and saves.
    let backends = if p.given.contains(&"--backend") {
        p.backends.clone()
    } else {
        BackendKind::ALL.to_vec()
    };
    let rearm = |backend, preset: PolicyArg, mailbox, predict| SparseContender::Rearm {
        backend,
        policy_name: preset.name(),
        policy: p.policy(preset),
        mailbox,
        predict,
    };
    let mut contenders = Vec::new();
    for (i, &preset) in presets.iter().enumerate() {
        for &backend in backends.iter().take(if i == 0 { usize::MAX } else { 1 }) {
            contenders.push(rearm(backend, preset, false, false));
        }
    }
    // The first preset, predicting steady arrivals, on the first backend:
    // what the prediction gains and costs.
    contenders.push(rearm(backends[0], presets[0], false, true));
    // The first preset again with a value carried through a mailbox, on
    // every backend: what a mailbox adds to a wake.
    for &backend in &backends {
        contenders.push(rearm(backend, presets[0], true, false));
    }
    let chosen = args.peers.clone().unwrap_or_default();
    for peer in SPARSE_PEERS {
        if chosen.is_empty() || chosen.contains(&peer) {
            contenders.push(SparseContender::Peer(peer));
        }
    }
    if let Some(other) = chosen.iter().find(|peer| !SPARSE_PEERS.contains(peer)) {
        return Err(conflict(&format!(
            "--mode sparse: {} has no sparse form (it never sleeps); the sparse peers are {}",
            other.key(),
            SPARSE_PEERS.map(Peer::key).join(", ")
        )));
    }
    Ok(Work::Sparse(SparseWork {
        contenders,
        gaps: args
            .arrivals
            .iter()
            .flat_map(|&arrivals| {
                args.gaps.iter().map(move |&us| Spacing {
                    gap: Duration::from_micros(us),
                    jitter: arrivals == ArrivalsArg::Jittered,
                })
            })
            .collect(),
        count: args.pings,
        timeout: args.timeout,
    }))
}
