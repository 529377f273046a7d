//! The global allocator of this library's Rust code: mimalloc below
//! [`LARGE_BYTES`], the system allocator (glibc) from there up.
//!
//! Why not glibc alone: ERTS sets glibc's trim threshold and top pad
//! (`+MYtt`, `+MYtp`), which turns off glibc's sliding mmap threshold, so
//! inside the VM every allocation of 128 KiB or more is a fresh `mmap` —
//! page faults on first touch and a TLB shootdown at `munmap` — on every
//! call. A batch-64 `qmatmul` makes 256 GEMM calls, each allocating its
//! packing buffers: on the 2-vCPU Xeon of 2026-12-03 it took 29 ms in the
//! VM against 11 ms for the same code in a plain Rust program, 13 ms with
//! mimalloc.
//!
//! Why not mimalloc alone: it hands a freed 64 MiB block out again, which
//! `alloc_zeroed` must then clear with a `memset`, where a fresh mapping
//! from the kernel is already zero; dequantizing a 4096 × 4096 q4_0 weight
//! fell from ~8.5 to ~5.5 GB/s (alternated runs of both builds). Tensor
//! outputs of that size are written once and kept, so the cost of a fresh
//! mapping is paid once per tensor anyway; the blocks that churn (scratch,
//! packing buffers, small outputs) are far below it.
//!
//! A block is freed (and reallocated) by the allocator its size at
//! allocation chose: `GlobalAlloc` passes the same layout to `dealloc`, and
//! `realloc` across the threshold moves the block. The VM's own allocators
//! and other NIFs are untouched. mimalloc is built with local-dynamic TLS
//! because the NIF is loaded with `dlopen`.

use std::alloc::{GlobalAlloc, Layout, System};

use mimalloc::MiMalloc;

/// Blocks of at least this many bytes come from the system allocator.
pub const LARGE_BYTES: usize = 4 << 20;

/// mimalloc for blocks below [`LARGE_BYTES`], the system allocator above.
pub struct SplitAllocator;

fn large(size: usize) -> bool {
    size >= LARGE_BYTES
}

// SAFETY: every method forwards to one of two allocators chosen by the
// block's size, and a block's size at deallocation (or reallocation) is the
// one it was allocated or last reallocated with (the `GlobalAlloc`
// contract), so each block returns to the allocator that made it; a
// reallocation that crosses the threshold allocates with the other one,
// copies the smaller of the two sizes and frees the old block.
unsafe impl GlobalAlloc for SplitAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if large(layout.size()) {
            System.alloc(layout)
        } else {
            MiMalloc.alloc(layout)
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if large(layout.size()) {
            System.alloc_zeroed(layout)
        } else {
            MiMalloc.alloc_zeroed(layout)
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if large(layout.size()) {
            System.dealloc(ptr, layout)
        } else {
            MiMalloc.dealloc(ptr, layout)
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match (large(layout.size()), large(new_size)) {
            (true, true) => System.realloc(ptr, layout, new_size),
            (false, false) => MiMalloc.realloc(ptr, layout, new_size),
            _ => {
                // SAFETY (caller): new_size, rounded up to the alignment,
                // does not overflow isize, so this layout is valid
                let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                let new = self.alloc(new_layout);
                if !new.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                new
            }
        }
    }
}
