//! The shape of a bare-metal embedding: no heap, no OS, a `static` loop, a
//! parker of your own, and an interrupt handler that notifies the loop. Only
//! `core` is used below `main`, which stands in for the hardware with a thread.
use core::sync::atomic::{AtomicU32, Ordering};
use rearm_core::{Action, Loop, Park, ParkWord, RunMode, Runner};

/// The one seam to the platform: sleep while the word holds `expected`; wake.
/// On a Cortex-M core `park` would execute WFE and `unpark` SEV.
struct WfePark;

impl Park for WfePark {
    fn park(&self, word: &ParkWord, expected: u32) {
        while word.load(Ordering::Acquire) == expected {
            core::hint::spin_loop(); // wfe
        }
    }
    fn unpark(&self, _word: &ParkWord) {} // sev
}

/// No heap: the loop is a static, the notifier needs no handle of its own.
static LOOP: Loop<WfePark, 8> = Loop::new(WfePark);
const UART: usize = 0; // the slot the UART's interrupt notifies
/// Bytes the interrupt received and the loop has not taken. Notifications
/// coalesce, so data travels beside them, never in them.
static RX_PENDING: AtomicU32 = AtomicU32::new(0);

/// The UART's interrupt handler: O(1), never blocks, never allocates.
fn uart_interrupt() {
    RX_PENDING.fetch_add(1, Ordering::Release);
    if let Ok(uart) = LOOP.handle(UART) {
        uart.notify();
    }
}

fn main() {
    const BYTES: u32 = 3;
    let mut received = 0;
    let mut on_uart = || {
        received += RX_PENDING.swap(0, Ordering::Acquire);
        if received == BYTES {
            Action::Disarm
        } else {
            Action::Rearm
        }
    };
    let mut runner = Runner::new(&LOOP).expect("the loop's only runner");
    runner
        .arm(UART, &mut on_uart)
        .expect("slot 0 exists and is free");
    // The hardware: three bytes arrive, a millisecond apart.
    let uart = std::thread::spawn(|| {
        for _ in 0..BYTES {
            std::thread::sleep(std::time::Duration::from_millis(1));
            uart_interrupt();
        }
    });
    runner.run(RunMode::UntilDone); // returns once the callback disarmed
    drop(runner);
    uart.join().unwrap();
    let ledger = LOOP.ledger_total();
    println!("received {received} bytes; {ledger}");
    assert!(received == BYTES && ledger.is_conserved());
}
