//! Helpers shared by the block quantizers: the finiteness check, block
//! iteration with zero padding of the last block, and the rayon switch.

use rayon::prelude::*;

use crate::{Result, TensorError};

/// Inputs with at least this many elements are processed in parallel over
/// blocks. Every block is computed independently by the same code, so the
/// parallel result is bit-identical to the serial one.
pub const PAR_MIN_ELEMS: usize = 1 << 16;

/// Elements per task of the element-wise parallel passes (64 KiB of f32).
pub const PAR_CHUNK: usize = 1 << 14;

/// Blocks per task in [`encode_blocks`] and [`decode_blocks`].
const BLOCKS_PER_TASK: usize = 512;

/// Values per task of [`encode_runs_checked_side`] (64 KiB of f32), rounded
/// to whole groups of [`KERNEL_GROUP_BLOCKS`] blocks.
const ENCODE_TASK_ELEMS: usize = PAR_CHUNK;

/// The AVX2 encoders work on groups of this many blocks and hand a shorter
/// remainder to the portable per-block code, so tasks hold whole groups.
const KERNEL_GROUP_BLOCKS: usize = 8;

/// Blocks per task of [`encode_runs_checked_side`] for blocks of `block`
/// values: about [`ENCODE_TASK_ELEMS`] values, and whole kernel groups even
/// when blocks are large (rows of 4096 would otherwise make tasks of 4
/// blocks, all of which would fall to the portable remainder).
fn encode_blocks_per_task(block: usize) -> usize {
    (ENCODE_TASK_ELEMS / block.max(1))
        .max(KERNEL_GROUP_BLOCKS)
        .next_multiple_of(KERNEL_GROUP_BLOCKS)
}

/// Fails with [`TensorError::NonFinite`] naming the first NaN or infinity.
///
/// The common case (all finite) is one branch-free pass that the compiler
/// vectorizes (the largest exponent field, compared once per chunk), in
/// parallel from [`PAR_MIN_ELEMS`] elements; only a failing input is
/// searched element by element for the index.
pub fn check_finite(x: &[f32]) -> Result<()> {
    const EXP: u32 = 0x7F80_0000;
    let finite = |c: &[f32]| c.iter().fold(0u32, |m, v| m.max(v.to_bits() & EXP)) < EXP;
    let ok = if x.len() >= PAR_MIN_ELEMS {
        x.par_chunks(PAR_CHUNK).all(finite)
    } else {
        finite(x)
    };
    if ok {
        return Ok(());
    }
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
    // A task encodes BLOCKS_PER_TASK consecutive blocks.
    let task = |(t, o): (usize, &mut [u8])| -> Vec<S> {
        o.chunks_mut(bytes_per_block)
            .enumerate()
            .map(|(j, ob)| work((t * BLOCKS_PER_TASK + j, ob)))
            .collect()
    };
    let side: Vec<S> = if bytes_per_block == 0 {
        // Degenerate (no packed bytes): still one call per block.
        (0..nb).map(|i| work((i, &mut []))).collect()
    } else if x.len() >= PAR_MIN_ELEMS {
        let parts: Vec<Vec<S>> = out
            .par_chunks_mut(BLOCKS_PER_TASK * bytes_per_block)
            .enumerate()
            .map(task)
            .collect();
        parts.into_iter().flatten().collect()
    } else {
        task((0, &mut out))
    };
    (out, side)
}

/// Encodes `x` with a kernel that checks finiteness as it goes: `run(xs,
/// out)` encodes the whole blocks `xs` (a multiple of `block` values; a task
/// of about [`ENCODE_TASK_ELEMS`] values, in whole groups of
/// [`KERNEL_GROUP_BLOCKS`] blocks) into `out` and returns `false` if it met
/// a NaN or infinity. The last partial block is zero-padded into a scratch
/// run of one block. Runs are encoded in parallel from [`PAR_MIN_ELEMS`]
/// elements; each block's bytes depend only on its values, so the result is
/// identical to the serial one.
///
/// Fusing the check into the kernel saves the separate read of `x` that
/// [`check_finite`] costs (a quarter of the time of a kernel that runs near
/// memory speed). On failure the error names the first non-finite element,
/// exactly as [`check_finite`] does.
pub fn encode_runs_checked<F>(
    x: &[f32],
    block: usize,
    bytes_per_block: usize,
    run: F,
) -> Result<Vec<u8>>
where
    F: Fn(&[f32], &mut [u8]) -> bool + Sync,
{
    encode_runs_checked_side::<u8, (), _>(x, block, bytes_per_block, |xs, o, _| run(xs, o))
        .map(|(out, _)| out)
}

/// [`encode_runs_checked`] for formats that also return one side value per
/// block (NF4's absmax, NVFP4's scale byte, int8's scale) or whose output
/// elements are not bytes (int8's `i8` codes): `run(xs, out, side)` writes
/// `out_per_block` elements of `T` and fills `side[i]` for block `i` of the
/// run. Same parallel split, padding and error as [`encode_runs_checked`]
/// (which is this with `T = u8`, `S = ()`). The output holds
/// `n_blocks · out_per_block` elements, the padding of the last block
/// included.
pub fn encode_runs_checked_side<T, S, F>(
    x: &[f32],
    block: usize,
    out_per_block: usize,
    run: F,
) -> Result<(Vec<T>, Vec<S>)>
where
    T: bytemuck::Zeroable + Copy + Send,
    S: Copy + Default + Send,
    F: Fn(&[f32], &mut [T], &mut [S]) -> bool + Sync,
{
    let nb = n_blocks(x.len(), block);
    // fresh pages with huge-page advice: fewer first-touch faults
    let mut out: Vec<T> = crate::alloc::zeroed_vec(nb * out_per_block);
    let mut side = vec![S::default(); nb];
    let blocks_per_task = encode_blocks_per_task(block);
    let per_task = blocks_per_task * block;
    let task = |(t, (o, s)): (usize, (&mut [T], &mut [S]))| -> bool {
        let start = t * per_task;
        let xs = &x[start..(start + per_task).min(x.len())];
        let whole = xs.len() / block;
        let (o_whole, o_tail) = o.split_at_mut(whole * out_per_block);
        let (s_whole, s_tail) = s.split_at_mut(whole);
        let mut ok = run(&xs[..whole * block], o_whole, s_whole);
        if whole * block < xs.len() {
            let mut tmp = vec![0f32; block];
            tmp[..xs.len() - whole * block].copy_from_slice(&xs[whole * block..]);
            ok &= run(&tmp, o_tail, s_tail);
        }
        ok
    };
    let chunk = (blocks_per_task * out_per_block).max(1);
    let ok = if x.len() >= PAR_MIN_ELEMS {
        out.par_chunks_mut(chunk)
            .zip(side.par_chunks_mut(blocks_per_task))
            .enumerate()
            .map(task)
            .reduce(|| true, |a, b| a & b)
    } else {
        out.chunks_mut(chunk)
            .zip(side.chunks_mut(blocks_per_task))
            .enumerate()
            .map(task)
            .fold(true, |a, b| a & b)
    };
    if !ok {
        check_finite(x)?;
        return Err(TensorError::Internal(
            "quantizer kernel reported a non-finite input that check_finite did not find".into(),
        ));
    }
    Ok((out, side))
}

/// Runs `f(first_block_index, run_bytes, run_out)` over runs of consecutive
/// whole blocks (up to 512 per call, so a format decodes a run with one
/// vector kernel call instead of one call per block) and returns the first
/// `n` decoded values (the padding of the last block is dropped). Parallel
/// over runs from [`PAR_MIN_ELEMS`] values; the output is allocated with
/// huge-page advice ([`crate::alloc::zeroed_vec`]), which halved the time of
/// a 64 MiB dequantize that was dominated by first-touch page faults.
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
    let mut out: Vec<f32> = crate::alloc::zeroed_vec(nb * block);
    let run = BLOCKS_PER_TASK;
    if bytes_per_block == 0 || block == 0 {
        out.chunks_mut(run * block.max(1))
            .enumerate()
            .for_each(|(i, o)| f(i * run, &[], o));
    } else if n >= PAR_MIN_ELEMS {
        out.par_chunks_mut(run * block)
            .zip(packed.par_chunks(run * bytes_per_block))
            .enumerate()
            .for_each(|(i, (o, b))| f(i * run, b, o));
    } else {
        out.chunks_mut(run * block)
            .zip(packed.chunks(run * bytes_per_block))
            .enumerate()
            .for_each(|(i, (o, b))| f(i * run, b, o));
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

/// Largest |x| of a slice (0 for an empty one); NaN or infinity when the
/// slice holds one (as a bit-pattern maximum a NaN ranks above infinity).
///
/// Compares the bit patterns of `|x|` as integers, which order exactly like
/// the non-negative floats they encode (infinity included), so the result is
/// the float maximum while the loop vectorizes (a float `max` reduction does
/// not, because of NaN semantics).
#[inline]
pub fn absmax(x: &[f32]) -> f32 {
    f32::from_bits(abs_bits_max(x))
}

/// Largest `|x|` bit pattern of `x` (0 when empty), by the portable integer
/// fold of [`absmax`].
#[inline]
fn abs_bits_max(x: &[f32]) -> u32 {
    x.iter().fold(0u32, |m, v| m.max(v.to_bits() & 0x7FFF_FFFF))
}

/// The kernel for [`tensor_abs_bits_max`]'s chunks on this CPU: the AVX2
/// one where the CPU has it, else the portable fold (the same value).
fn abs_bits_max_kernel() -> fn(&[f32]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if super::encode_avx2::has_encode_simd() {
        // SAFETY: the CPU supports AVX2, FMA and F16C (checked just above)
        return |c| unsafe { super::encode_avx2_dense::abs_bits_max_run(c) };
    }
    abs_bits_max
}

/// Largest |x| of a whole tensor, in parallel from
/// [`PAR_MIN_ELEMS`] elements; the same value as [`absmax`].
pub fn tensor_absmax(x: &[f32]) -> f32 {
    f32::from_bits(tensor_abs_bits_max(x))
}

/// Largest `|x|` bit pattern of a whole tensor (any input): at or above
/// `0x7F80_0000` exactly when `x` holds a NaN or an infinity, so one pass
/// gives both the maximum and the finiteness check. Parallel from
/// [`PAR_MIN_ELEMS`] elements (an integer maximum, so any order agrees).
pub fn tensor_abs_bits_max(x: &[f32]) -> u32 {
    let bits = abs_bits_max_kernel();
    if x.len() >= PAR_MIN_ELEMS {
        x.par_chunks(PAR_CHUNK).map(bits).reduce(|| 0, u32::max)
    } else {
        bits(x)
    }
}

/// `x.round()` (nearest, ties away from zero, as C `roundf`) without the
/// libm call that `f32::round` compiles to on baseline x86-64, so loops
/// around it vectorize. Exact for |x| < 2^31 (the truncation and the
/// fraction `x - trunc(x)` are exact there); beyond that it returns a value
/// of the same sign and magnitude ≥ 2^31 (±infinity included), and NaN gives
/// ±0, so callers that clamp to a small range and map NaN to 0 get the same
/// result as with `round()`.
#[inline]
pub fn round_half_away(x: f32) -> f32 {
    let t = x as i32 as f32; // truncation (saturating; NaN → 0)
    let f = x - t;
    // copysign: a negative x that rounds to zero gives -0.0, as round() does
    (t + ((f >= 0.5) as i32 - (f <= -0.5) as i32) as f32).copysign(x)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_half_away_matches_round() {
        // every f32 in [-300, 300] with a fractional part near .5, plus
        // integers, ties and the edges
        for i in -300 * 64..=300 * 64 {
            for d in [-2i32, -1, 0, 1, 2] {
                let x = f32::from_bits(((i as f32 / 64.0).to_bits() as i32 + d) as u32);
                if x.is_nan() {
                    continue; // a neighbour of ±0.0's bit pattern
                }
                assert_eq!(round_half_away(x).to_bits(), x.round().to_bits(), "{x}");
            }
        }
        for x in [
            0.5f32,
            -0.5,
            1.5,
            2.5,
            0.49999997,
            -0.49999997,
            8388607.5,
            2147483520.0,
        ] {
            assert_eq!(round_half_away(x), x.round(), "{x}");
        }
        assert_eq!(round_half_away(f32::NAN), 0.0);
        assert_eq!(round_half_away(-0.25).to_bits(), (-0.0f32).to_bits());
        assert!(round_half_away(f32::INFINITY) >= 2147483648.0);
        assert!(round_half_away(-1e30) <= -2147483648.0);
    }

    #[test]
    fn check_finite_finds_the_first() {
        let mut x = vec![1.0f32; PAR_MIN_ELEMS + 5];
        assert!(check_finite(&x).is_ok());
        x[PAR_MIN_ELEMS + 1] = f32::NEG_INFINITY;
        x[PAR_MIN_ELEMS + 3] = f32::NAN;
        let e = check_finite(&x).unwrap_err().to_string();
        assert!(e.contains(&format!("index {}", PAR_MIN_ELEMS + 1)), "{e}");
        assert!(check_finite(&[f32::MAX, f32::MIN_POSITIVE, -0.0]).is_ok());
    }

    proptest! {
        #[test]
        fn round_half_away_is_round(x in -3e9f32..3e9, y in -200f32..200.0) {
            prop_assert_eq!(round_half_away(y).to_bits(), y.round().to_bits());
            if x.abs() < 2147483520.0 {
                prop_assert_eq!(round_half_away(x).to_bits(), x.round().to_bits());
            }
        }

        #[test]
        fn absmax_is_the_float_max(x in proptest::collection::vec(-1e30f32..1e30, 0..300)) {
            let want = x.iter().fold(0f32, |m, v| if v.abs() > m { v.abs() } else { m });
            prop_assert_eq!(absmax(&x).to_bits(), want.to_bits());
            prop_assert_eq!(tensor_absmax(&x).to_bits(), want.to_bits());
        }
    }
}
