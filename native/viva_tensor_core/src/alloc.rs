//! Output buffers for kernels: zeroed vectors that ask the kernel for
//! transparent huge pages when large.
//!
//! Why: a fresh 256 MiB output is 65 536 first-touch page faults with 4 KiB
//! pages, and on the reference VM that fault cost alone made an element-wise
//! add run at ~40% of NumPy's speed (NumPy asks for huge pages the same way,
//! `madvise(MADV_HUGEPAGE)`, for arrays of 4 MiB and more). With THP in its
//! common `madvise` mode, the advice turns those faults into 128 of 2 MiB.
//! Where THP is off or the call fails, nothing changes but speed.

use bytemuck::Zeroable;

/// Buffers of at least this many bytes get the huge-page advice.
const HUGE_MIN_BYTES: usize = 4 << 20;

/// A vector of `n` zeroed elements. At least [`HUGE_MIN_BYTES`] long, it is
/// allocated zeroed (fresh pages from the OS, not written by us) and advised
/// to use huge pages before anything touches it.
pub fn zeroed_vec<T: Zeroable + Clone>(n: usize) -> Vec<T> {
    let bytes = n.saturating_mul(std::mem::size_of::<T>());
    if bytes < HUGE_MIN_BYTES {
        return vec![T::zeroed(); n];
    }
    let layout = std::alloc::Layout::array::<T>(n).expect("buffer size overflows isize");
    // SAFETY: `layout` has a non-zero size (bytes >= HUGE_MIN_BYTES). The
    // memory comes from the global allocator with exactly the layout `Vec`
    // will free it with (`Layout::array::<T>(n)`, capacity n), and all-zero
    // bytes are a valid `T` (`Zeroable`), so the `n` elements are initialized.
    unsafe {
        let ptr = std::alloc::alloc_zeroed(layout);
        if ptr.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        advise_huge_pages(ptr, bytes);
        Vec::from_raw_parts(ptr.cast::<T>(), n, n)
    }
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, bytes: usize) {
    const PAGE: usize = 4096;
    let start = (ptr as usize).div_ceil(PAGE) * PAGE;
    let end = (ptr as usize + bytes) / PAGE * PAGE;
    if end > start {
        // SAFETY: [start, end) lies inside the allocation just made; the
        // advice only changes how its pages are backed, never their contents
        // (they are untouched zero pages). A failure (THP disabled, old
        // kernel) is harmless and ignored.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_buffers_are_zero_and_usable() {
        for n in [0usize, 1, 1000, (HUGE_MIN_BYTES / 4) + 3] {
            let mut v: Vec<f32> = zeroed_vec(n);
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|&x| x == 0.0));
            v.iter_mut().enumerate().for_each(|(i, x)| *x = i as f32);
            v.push(1.0); // reallocation through the global allocator works
            assert_eq!(v[n], 1.0);
        }
        let h: Vec<half::bf16> = zeroed_vec(HUGE_MIN_BYTES);
        assert!(h.iter().all(|x| x.to_f32() == 0.0));
    }
}
