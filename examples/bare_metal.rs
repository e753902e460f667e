//! A bare-metal embedding: no heap, no OS, a `static` loop, a parker of your
//! own, an interrupt handler that notifies. `main` plays the hardware.
use core::sync::atomic::{AtomicU32, Ordering};
use rearm_core::{Action, Loop, Park, ParkWord, RunMode, Runner};

/// Sleep while the word holds `expected`; wake. On Cortex-M: WFE and SEV.
struct WfePark;
impl Park for WfePark {
    fn park(&self, word: &ParkWord, expected: u32) {
        while word.load(Ordering::Acquire) == expected {
            core::hint::spin_loop(); // wfe
        }
    }
    fn unpark(&self, _word: &ParkWord) {} // sev
}

static LOOP: Loop<WfePark, 8> = Loop::new(WfePark); // no heap: a static
const UART: usize = 0; // the slot the UART's interrupt notifies
/// Notifications coalesce: data travels beside them (or in a `Mailbox`).
static RX_PENDING: AtomicU32 = AtomicU32::new(0);

/// The UART's interrupt handler: O(1), never blocks, never allocates.
fn uart_interrupt() {
    RX_PENDING.fetch_add(1, Ordering::Release);
    if let Ok(uart) = LOOP.handle(UART) {
        uart.notify();
    }
}

fn main() {
    let mut received = 0;
    let mut on_uart = || {
        received += RX_PENDING.swap(0, Ordering::Acquire);
        if received == 3 {
            Action::Disarm
        } else {
            Action::Rearm
        }
    };
    let mut runner = Runner::new(&LOOP).expect("the loop's only runner");
    runner.arm(UART, &mut on_uart).expect("a free slot");
    let hardware = std::thread::spawn(|| {
        for _ in 0..3 {
            std::thread::sleep(std::time::Duration::from_millis(1));
            uart_interrupt();
        }
    });
    runner.run(RunMode::UntilDone); // until the callback disarms
    drop(runner);
    hardware.join().unwrap();
    println!("received {received} bytes; {}", LOOP.ledger_total());
    assert!(received == 3 && LOOP.ledger_total().is_conserved());
}
