//! The NIF resources: a tensor handle, and the owner that keeps a
//! zero-copy binary's bytes alive.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use rustler::ResourceArc;
use viva_tensor_core::storage::Storage;
use viva_tensor_core::{DType, Tensor, TensorError};

static LIVE_HANDLES: AtomicU64 = AtomicU64::new(0);

/// A tensor as the BEAM holds it.
///
/// Shape and dtype stay readable after `deallocate` (metadata calls never
/// fail); the data is behind a lock so `deallocate` can drop this handle's
/// reference to the storage without waiting for garbage collection.
pub struct TensorResource {
    pub shape: Vec<usize>,
    pub strides: Vec<isize>,
    pub dtype: DType,
    pub contiguous: bool,
    data: RwLock<Option<Tensor>>,
}

#[rustler::resource_impl]
impl rustler::Resource for TensorResource {}

/// The handle type passed to and from Erlang.
pub type TensorRef = ResourceArc<TensorResource>;

impl TensorResource {
    /// Wraps a tensor in a new handle.
    pub fn wrap(t: Tensor) -> TensorRef {
        LIVE_HANDLES.fetch_add(1, Ordering::Relaxed);
        ResourceArc::new(TensorResource {
            shape: t.shape().to_vec(),
            strides: t.strides().to_vec(),
            dtype: t.dtype(),
            contiguous: t.is_contiguous(),
            data: RwLock::new(Some(t)),
        })
    }

    /// The tensor (a cheap clone sharing storage).
    ///
    /// Errors: `Deallocated` after [`TensorResource::release`].
    pub fn tensor(&self) -> Result<Tensor, TensorError> {
        self.data
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(TensorError::Deallocated)
    }

    /// Drops this handle's reference to the storage. Returns false when it
    /// was already released. Other views keep the storage alive.
    pub fn release(&self) -> bool {
        self.data
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .is_some()
    }

    /// True once released.
    pub fn is_released(&self) -> bool {
        self.data
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    /// Number of element.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

impl Drop for TensorResource {
    fn drop(&mut self) {
        LIVE_HANDLES.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Tensor handles alive now (released ones included until collected).
pub fn live_handles() -> u64 {
    LIVE_HANDLES.load(Ordering::Relaxed)
}

/// Keeps a storage alive for as long as a binary made from it exists.
pub struct BinaryOwner {
    storage: Arc<Storage>,
    range: Range<usize>,
}

#[rustler::resource_impl]
impl rustler::Resource for BinaryOwner {}

impl BinaryOwner {
    /// An owner exposing `range` (bytes) of `storage`.
    pub fn new(storage: Arc<Storage>, range: Range<usize>) -> ResourceArc<BinaryOwner> {
        ResourceArc::new(BinaryOwner { storage, range })
    }

    /// The bytes the binary shows.
    pub fn bytes(&self) -> &[u8] {
        &self.storage.buffer().as_bytes()[self.range.clone()]
    }
}
