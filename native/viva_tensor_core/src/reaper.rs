//! Frees large buffers on a background thread.
//!
//! Returning a 100 MB buffer to the OS (`munmap`) takes tens of
//! milliseconds. Buffers are dropped wherever their last reference goes —
//! often a BEAM normal scheduler running `deallocate` or a garbage
//! collection — and a normal scheduler must not stall that long. So
//! buffers above [`REAP_MIN_BYTES`] are sent to one long-lived thread that
//! frees them; smaller ones are freed in place (cheaper than the hand-off).

use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, OnceLock};

use crate::storage::Buffer;

/// Buffers at least this large are freed off the calling thread.
pub const REAP_MIN_BYTES: usize = 1 << 20;

/// Anything the reaper thread can drop.
type Garbage = Box<dyn Send>;

static REAPER: OnceLock<Mutex<Sender<Garbage>>> = OnceLock::new();

fn reaper() -> &'static Mutex<Sender<Garbage>> {
    REAPER.get_or_init(|| {
        let (tx, rx) = channel::<Garbage>();
        std::thread::Builder::new()
            .name("viva-tensor-reaper".into())
            .spawn(move || {
                for garbage in rx {
                    drop(garbage);
                }
            })
            .expect("spawning the buffer reaper thread");
        Mutex::new(tx)
    })
}

/// Drops `value` on the reaper thread instead of here. For large
/// allocations whose owner may die on a BEAM normal scheduler (a tensor
/// buffer, a quantized tensor's payload). If the reaper is gone (process
/// shutdown), drops it here.
pub fn defer_drop<T: Send + 'static>(value: T) {
    let sender = reaper().lock().unwrap_or_else(|p| p.into_inner());
    if let Err(returned) = sender.send(Box::new(value)) {
        drop(returned.0);
    }
}

/// Frees `buffer` now if small, else on the reaper thread.
pub(crate) fn release(buffer: Buffer) {
    if buffer.as_bytes().len() >= REAP_MIN_BYTES {
        defer_drop(buffer);
    }
}
