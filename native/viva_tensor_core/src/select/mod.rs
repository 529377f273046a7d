//! Copying shape operations, indexing and nearest-neighbour search.
//!
//! - joining and cutting ([`concat`](mod@concat) module): [`concat()`],
//!   [`stack`], [`split`], [`split_sizes`]
//! - indexing ([`gather`] module): [`index_select`], [`take`], [`pad`]
//! - selection ([`topk`] module): [`top_k`]
//! - search ([`similarity`] module): [`similarity_search`] over a memory of
//!   row vectors
//!
//! Every operation takes any strided view; mixed dtypes are rejected with
//! `InvalidDtype` (there is no promotion).

/// Runs `$body` with the type alias `$T` bound to the Rust type of `$dtype`.
macro_rules! for_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::dtype::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::dtype::DType::F64 => {
                type $T = f64;
                $body
            }
            $crate::dtype::DType::F16 => {
                type $T = half::f16;
                $body
            }
            $crate::dtype::DType::BF16 => {
                type $T = half::bf16;
                $body
            }
        }
    };
}

pub mod concat;
pub mod gather;
pub mod similarity;
pub mod topk;

pub use concat::{concat, split, split_sizes, stack};
pub use gather::{index_select, pad, take};
pub use similarity::{similarity_search, Metric};
pub use topk::top_k;
