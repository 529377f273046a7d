//! rustler glue between `viva_tensor_core` and the BEAM.
//!
//! - [`resource`]: the tensor handle and zero-copy binary owner
//! - [`decode`] / [`error`]: term conversion and error mapping
//! - [`create`], [`convert`], [`views`], [`meta`]: the NIFs, by concern
//! - [`math`], [`reduce`], [`linalg`], [`select`]: tensor math
//! - [`quant`]: quantized tensors (their own resource), metrics
//! - [`quant_matmul`]: linear layers on quantized weights (`qmatmul`,
//!   `qmatmul_int8`, `qmatmul_q8`)
//!
//! Every data-touching NIF exists twice (`name` and `name_dirty`, see
//! [`dual`]); the Erlang module `vtensor` chooses by size.

/// This library's Rust allocations: mimalloc for small and medium blocks,
/// glibc for tensors of 4 MiB and more (see [`allocator`] for why).
#[global_allocator]
static ALLOCATOR: allocator::SplitAllocator = allocator::SplitAllocator;

mod allocator;
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
