//! Helpers shared by the block quantizers: the finiteness check, block
//! iteration with zero padding of the last block, and the rayon switch.

use rayon::prelude::*;

use crate::{Result, TensorError};

/// Inputs with at least this many elements are processed in parallel over
/// blocks. Every block is computed independently by the same code, so the
/// parallel result is bit-identical to the serial one.
pub const PAR_MIN_ELEMS: usize = 1 << 16;

/// Fails with [`TensorError::NonFinite`] naming the first NaN or infinity.
pub fn check_finite(x: &[f32]) -> Result<()> {
    match x.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(TensorError::NonFinite(format!(
            "quantizer input element at index {i} is {}",
            x[i]
        ))),
    }
}

/// Number of `block`-sized blocks covering `n` elements (the last may be partial).
pub fn n_blocks(n: usize, block: usize) -> usize {
    n.div_ceil(block)
}

/// Runs `f(block_values, block_out)` for every block of `x` and returns the
/// concatenated `bytes_per_block` outputs plus what `f` returned per block.
///
/// `block_values` always holds exactly `block` values: the last block, when
/// `block` does not divide `x.len()`, is zero-padded.
pub fn encode_blocks<S, F>(
    x: &[f32],
    block: usize,
    bytes_per_block: usize,
    f: F,
) -> (Vec<u8>, Vec<S>)
where
    S: Send,
    F: Fn(&[f32], &mut [u8]) -> S + Sync,
{
    let nb = n_blocks(x.len(), block);
    let mut out = vec![0u8; nb * bytes_per_block];
    let work = |(i, o): (usize, &mut [u8])| -> S {
        let start = i * block;
        let end = (start + block).min(x.len());
        if end - start == block {
            f(&x[start..end], o)
        } else {
            let mut tmp = vec![0f32; block];
            tmp[..end - start].copy_from_slice(&x[start..end]);
            f(&tmp, o)
        }
    };
    let side: Vec<S> = if bytes_per_block == 0 {
        // Degenerate (no packed bytes): still one call per block.
        (0..nb).map(|i| work((i, &mut []))).collect()
    } else if x.len() >= PAR_MIN_ELEMS {
        out.par_chunks_mut(bytes_per_block)
            .enumerate()
            .map(work)
            .collect()
    } else {
        out.chunks_mut(bytes_per_block)
            .enumerate()
            .map(work)
            .collect()
    };
    (out, side)
}

/// Runs `f(block_index, block_bytes, block_out)` for every block and returns
/// the first `n` decoded values (the padding of the last block is dropped).
///
/// `packed` must hold exactly `n_blocks(n, block) * bytes_per_block` bytes.
pub fn decode_blocks<F>(
    packed: &[u8],
    bytes_per_block: usize,
    block: usize,
    n: usize,
    f: F,
) -> Vec<f32>
where
    F: Fn(usize, &[u8], &mut [f32]) + Sync,
{
    let nb = n_blocks(n, block);
    debug_assert_eq!(packed.len(), nb * bytes_per_block);
    let mut out = vec![0f32; nb * block];
    if bytes_per_block == 0 {
        out.chunks_mut(block)
            .enumerate()
            .for_each(|(i, o)| f(i, &[], o));
    } else if n >= PAR_MIN_ELEMS {
        out.par_chunks_mut(block)
            .zip(packed.par_chunks(bytes_per_block))
            .enumerate()
            .for_each(|(i, (o, b))| f(i, b, o));
    } else {
        out.chunks_mut(block)
            .zip(packed.chunks(bytes_per_block))
            .enumerate()
            .for_each(|(i, (o, b))| f(i, b, o));
    }
    out.truncate(n);
    out
}

/// Checks that a packed buffer has the length `n` elements need.
pub fn check_packed_len(
    what: &str,
    got: usize,
    n: usize,
    block: usize,
    bytes_per_block: usize,
) -> Result<()> {
    let want = n_blocks(n, block)
        .checked_mul(bytes_per_block)
        .ok_or_else(|| TensorError::invalid_argument(format!("{what}: size overflow")))?;
    if got != want {
        return Err(TensorError::invalid_argument(format!(
            "{what}: {n} elements need {want} bytes, got {got}"
        )));
    }
    Ok(())
}

/// Checks a side array (scales, absmaxes, ...) has the expected length.
pub fn check_side_len(what: &str, got: usize, want: usize) -> Result<()> {
    if got != want {
        return Err(TensorError::invalid_argument(format!(
            "{what}: expected {want} entries, got {got}"
        )));
    }
    Ok(())
}

/// Largest |x| of a slice (0 for an empty one); NaN-free input assumed.
pub fn absmax(x: &[f32]) -> f32 {
    x.iter()
        .fold(0f32, |m, v| if v.abs() > m { v.abs() } else { m })
}

/// Rounds to the nearest integer, ties to even (like `f32::round_ties_even`,
/// which is newer than this crate's MSRV).
pub fn round_ties_even(x: f32) -> f32 {
    let r = x.round(); // ties away from zero
    if (x - x.trunc()).abs() == 0.5 {
        // exact tie: pick the even neighbour
        let t = x.trunc();
        if t % 2.0 == 0.0 {
            t
        } else {
            r
        }
    } else {
        r
    }
}
