//! A bare-metal embedding: no heap, no OS, a `static` loop and a `static`
//! mailbox bound to one of its slots, a parker of your own, an interrupt
//! handler that sends the bytes it receives. `main` plays the hardware.
use core::sync::atomic::Ordering;
use rearm_core::mailbox::Mailbox;
use rearm_core::park::{Park, ParkWord};
use rearm_core::{Action, CallbackRunner, Loop, RunMode, SlotHandle};

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
const UART: usize = 0; // the slot the UART's bytes notify
/// The bytes the UART received, waiting for the loop: notifications
/// coalesce, so the data travels in a mailbox beside them. A `static` too:
/// both constructors are `const fn`s.
static RX: Mailbox<u8, SlotHandle<'static, WfePark, 8>, 16> =
    Mailbox::new(match LOOP.handle(UART) {
        Ok(uart) => uart,
        Err(_) => panic!("the loop has a slot for the UART"),
    });

/// The UART's interrupt handler: O(1), never blocks, never allocates.
fn uart_interrupt(byte: u8) {
    // Full: the byte comes back in the `Err`; a real driver counts an overrun.
    let _ = RX.send(byte);
}

fn main() {
    let mut received = [0u8; 3];
    let mut count = 0;
    let mut on_uart = || {
        RX.drain(|byte| {
            received[count] = byte;
            count += 1;
        });
        if count == received.len() {
            Action::Disarm
        } else {
            Action::Rearm
        }
    };
    let mut runner = CallbackRunner::new(&LOOP).expect("the loop's only runner");
    runner.arm(UART, &mut on_uart).expect("a free slot");
    let hardware = std::thread::spawn(|| {
        for byte in *b"hi!" {
            std::thread::sleep(std::time::Duration::from_millis(1));
            uart_interrupt(byte);
        }
    });
    runner.run(RunMode::UntilDone); // until the callback disarms
    drop(runner);
    hardware.join().unwrap();
    println!(
        "received {:?}; {}",
        core::str::from_utf8(&received).unwrap(),
        LOOP.ledger_total()
    );
    assert!(received == *b"hi!" && LOOP.ledger_total().is_conserved());
}
