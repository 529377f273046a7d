//! Reference-counted element buffers, the memory every tensor view points into.

use std::sync::Arc;

use half::{bf16, f16};

use crate::dtype::DType;
use crate::memory;

/// A typed, contiguous element buffer.
#[derive(Debug)]
pub enum Buffer {
    F32(Vec<f32>),
    F64(Vec<f64>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
}

/// Runs `$body` with `$v` bound to the buffer's typed slice/vec, whatever its dtype.
#[macro_export]
macro_rules! with_buffer {
    ($buf:expr, $v:ident => $body:expr) => {
        match $buf {
            $crate::storage::Buffer::F32($v) => $body,
            $crate::storage::Buffer::F64($v) => $body,
            $crate::storage::Buffer::F16($v) => $body,
            $crate::storage::Buffer::BF16($v) => $body,
        }
    };
}

impl Buffer {
    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        match self {
            Buffer::F32(_) => DType::F32,
            Buffer::F64(_) => DType::F64,
            Buffer::F16(_) => DType::F16,
            Buffer::BF16(_) => DType::BF16,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        with_buffer!(self, v => v.len())
    }

    /// True when the buffer holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The raw bytes, native endianness (little-endian on x86-64 and arm64).
    pub fn as_bytes(&self) -> &[u8] {
        with_buffer!(self, v => bytemuck::cast_slice(v.as_slice()))
    }
}

/// A buffer registered in the memory account for as long as it lives.
///
/// Tensors hold it through an `Arc`, so views share it and it is freed (and
/// un-accounted) when the last view goes.
#[derive(Debug)]
pub struct Storage {
    buffer: Buffer,
    accounted: u64,
}

impl Storage {
    /// Wraps a buffer, adding its bytes to the account.
    pub fn new(buffer: Buffer) -> Arc<Storage> {
        let accounted = buffer.as_bytes().len() as u64;
        memory::record_alloc(accounted);
        Arc::new(Storage { buffer, accounted })
    }

    /// The buffer.
    pub fn buffer(&self) -> &Buffer {
        &self.buffer
    }

    /// Bytes this storage holds.
    pub fn nbytes(&self) -> usize {
        self.accounted as usize
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        // The bytes leave the account now: no tensor can reach them any
        // more. A large buffer is then returned to the OS by the reaper
        // thread within milliseconds (see `reaper`).
        memory::record_free(self.accounted);
        let buffer = std::mem::replace(&mut self.buffer, Buffer::F32(Vec::new()));
        crate::reaper::release(buffer);
    }
}
