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

static REAPER: OnceLock<Mutex<Sender<Buffer>>> = OnceLock::new();

fn reaper() -> &'static Mutex<Sender<Buffer>> {
    REAPER.get_or_init(|| {
        let (tx, rx) = channel::<Buffer>();
        std::thread::Builder::new()
            .name("viva-tensor-reaper".into())
            .spawn(move || {
                for buffer in rx {
                    drop(buffer);
                }
            })
            .expect("spawning the buffer reaper thread");
        Mutex::new(tx)
    })
}

/// Frees `buffer` now if small, else on the reaper thread. If the reaper
/// is gone (process shutdown), frees it here.
pub(crate) fn release(buffer: Buffer) {
    if buffer.as_bytes().len() < REAP_MIN_BYTES {
        return;
    }
    let sender = reaper().lock().unwrap_or_else(|p| p.into_inner());
    if let Err(returned) = sender.send(buffer) {
        drop(returned.0);
    }
}
