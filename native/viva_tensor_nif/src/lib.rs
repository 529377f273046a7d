//! rustler glue between `viva_tensor_core` and the BEAM.
//!
//! - [`resource`]: the tensor handle and zero-copy binary owner
//! - [`decode`] / [`error`]: term conversion and error mapping
//! - [`create`], [`convert`], [`views`], [`meta`]: the NIFs, by concern
//! - [`math`], [`reduce`], [`linalg`], [`select`]: tensor math
//! - [`quant`]: quantized tensors (their own resource), metrics
//! - [`quant_matmul`]: linear layers on quantized weights (`qmatmul`,
//!   `qmatmul_int8`)
//!
//! Every data-touching NIF exists twice (`name` and `name_dirty`, see
//! [`dual`]); the Erlang module `vtensor` chooses by size.

/// The Rust allocations of this library (tensor buffers, kernel scratch,
/// the GEMM's packing buffers) come from mimalloc, not the VM's malloc.
///
/// Why: ERTS sets glibc's trim threshold and top pad (`+MYtt`, `+MYtp`),
/// which turns off glibc's sliding mmap threshold, so every allocation of
/// 128 KiB or more is a fresh `mmap` — page faults on first touch and a
/// TLB shootdown at `munmap` — on every call. A batch-64 `qmatmul` makes 256
/// GEMM calls, each allocating its packing buffers: on the 2-vCPU Xeon of
/// 2026-12-03 it took 29 ms in the VM against 11 ms for the same code in a
/// plain Rust program; with mimalloc 13 ms (the README's "Quantized matmul"
/// has the bench). mimalloc keeps freed memory for reuse and returns it to
/// the OS after a short delay; `local_dynamic_tls` because the NIF is loaded
/// with `dlopen`. Only this library's Rust code uses it: the VM's own
/// allocators and other NIFs are untouched.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod atoms;
mod convert;
mod create;
mod decode;
mod dual;
mod error;
mod hrr;
mod indices;
mod linalg;
mod math;
mod meta;
mod quant;
mod quant_matmul;
mod reduce;
mod resource;
mod select;
mod views;

/// Refuses to load when the loader expects another version (`load_info` is
/// the application's vsn as a binary, or `undefined` to skip the check), so
/// a stale library never replaces the stubs.
///
/// Also installs the panic hook: panics are caught at the NIF boundary and
/// returned as `{error, {internal, Msg}}`; the default hook would print a
/// backtrace into the VM's stderr, so print one line instead.
fn on_load(_env: rustler::Env, info: rustler::Term) -> bool {
    if let Ok(expected) = info.decode::<String>() {
        if expected != env!("CARGO_PKG_VERSION") {
            return false;
        }
    }
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("viva_tensor: internal panic{location} (returned as {{error, {{internal, _}}}})");
    }));
    true
}

rustler::init!("viva_tensor_nif", load = on_load);
