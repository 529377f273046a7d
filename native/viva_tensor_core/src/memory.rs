//! Process-wide account of tensor memory: live buffers, live bytes, peak.
//!
//! Every [`crate::storage::Storage`] adds itself on creation and removes
//! itself on drop, so the numbers are the bytes really held, views included
//! only once (they share a buffer).

use std::sync::atomic::{AtomicU64, Ordering};

static LIVE_BUFFERS: AtomicU64 = AtomicU64::new(0);
static LIVE_BYTES: AtomicU64 = AtomicU64::new(0);
static PEAK_BYTES: AtomicU64 = AtomicU64::new(0);
static TOTAL_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// A snapshot of the memory account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryStats {
    /// Storage buffers alive now (views share one).
    pub live_buffers: u64,
    /// Bytes held by those buffers.
    pub live_bytes: u64,
    /// Highest `live_bytes` seen since start or the last [`reset_peak`].
    pub peak_bytes: u64,
    /// Buffers ever allocated.
    pub total_allocations: u64,
}

pub(crate) fn record_alloc(bytes: u64) {
    LIVE_BUFFERS.fetch_add(1, Ordering::Relaxed);
    TOTAL_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    let now = LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK_BYTES.fetch_max(now, Ordering::Relaxed);
}

pub(crate) fn record_free(bytes: u64) {
    LIVE_BUFFERS.fetch_sub(1, Ordering::Relaxed);
    LIVE_BYTES.fetch_sub(bytes, Ordering::Relaxed);
}

/// Reads the account (a few atomic loads; cheap).
pub fn stats() -> MemoryStats {
    MemoryStats {
        live_buffers: LIVE_BUFFERS.load(Ordering::Relaxed),
        live_bytes: LIVE_BYTES.load(Ordering::Relaxed),
        peak_bytes: PEAK_BYTES.load(Ordering::Relaxed),
        total_allocations: TOTAL_ALLOCATIONS.load(Ordering::Relaxed),
    }
}

/// Sets the peak to the current live bytes, so a later peak measures one phase.
pub fn reset_peak() {
    PEAK_BYTES.store(LIVE_BYTES.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// An entry in the account for bytes held outside tensor storage (a
/// quantized tensor's packed codes and scales, for instance): it counts as
/// one live buffer of `bytes` from [`Accounted::new`] until it is dropped.
/// Hold one beside the data it stands for.
#[derive(Debug)]
pub struct Accounted {
    bytes: u64,
}

impl Accounted {
    /// Adds `bytes` (and one buffer, one allocation) to the account.
    pub fn new(bytes: u64) -> Accounted {
        record_alloc(bytes);
        Accounted { bytes }
    }

    /// The bytes this entry accounts for.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl Drop for Accounted {
    fn drop(&mut self) {
        record_free(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounted_records_while_alive() {
        // Other tests allocate concurrently, so only monotonic facts and
        // lower bounds are checked.
        let before = stats();
        let a = Accounted::new(1 << 40);
        let during = stats();
        assert_eq!(a.bytes(), 1 << 40);
        assert!(during.live_bytes >= 1 << 40);
        assert!(during.peak_bytes >= 1 << 40);
        assert!(during.total_allocations > before.total_allocations);
        drop(a);
        assert!(stats().live_bytes < 1 << 40);
    }
}
