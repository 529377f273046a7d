//! Dot-product kernels of `qmatmul`'s small-batch path: one packed weight
//! row against up to [`MAX_R`] rows of f32 activations, read straight from the
//! packed codes (q4_0, q8_0, q4_1, q5_0, MXFP4, NVFP4, NF4 / NF4-DQ, int8,
//! f16, bf16, FP8) or from a decoded f32 row ([`f32_dot`], for rows that are
//! not whole blocks). The int8 × int8 dots of `qmatmul_int8` are in
//! [`super::int8_dot`].
//!
//! A kernel decodes each code to exactly the value the format's `dequantize`
//! gives before its scale; a block's scale (and int8's / fp8's row or
//! tensor scale, applied by the caller) multiplies the block's sum instead of
//! every weight. Exception: q4_1 decodes the full weight `d · q + m`, see
//! its kernel.
//!
//! The portable kernels are plain Rust written for the vectorizer: eight
//! independent f32 accumulators per activation row (floating-point addition
//! is not reassociated by the compiler, so the lanes must be explicit), the
//! block's codes widened to f32 once and reused for every activation row.
//!
//! On x86-64 CPUs with AVX2, FMA and F16C (detected at run time, never
//! assumed from `target-cpu=native`) the row kernels run the intrinsic
//! versions in [`super::qdot_avx2`] instead: LLVM did not vectorize the
//! nibble unpacking of the portable code well (see that module for the
//! measurement); where the CPU also has AVX-512F, q8_0 runs the kernel of
//! [`super::qdot_avx512`], and q4_0, q4_1, MXFP4, NF4 and NVFP4 the ones
//! there that read activations in an [`Order`] (`*_nibbles_dot`,
//! `*_pairs_dot`).
//! They differ only in f32 rounding (FMA, summation order).

use super::e2m1::DOUBLED;
use super::mxfp4::e8m0_to_f32_half;
use super::nf4::LEVELS as NF4_LEVELS;

/// Most activation rows one kernel call handles.
pub const MAX_R: usize = 4;

/// Lanes of independent accumulators.
const L: usize = 8;

/// f16 bits to f32, exact for every finite f16 (normal and subnormal): the
/// magnitude bits shifted into an f32 and multiplied by 2^112 (exact, a power
/// of two), then the sign. Scales were validated finite on construction.
/// Plain arithmetic, so it inlines into the kernels' block loops (also the
/// AVX2 ones) instead of being a call per block.
#[inline(always)]
pub(crate) fn f16_to_f32(lo: u8, hi: u8) -> f32 {
    let h = u16::from_le_bytes([lo, hi]) as u32;
    let mag = f32::from_bits((h & 0x7FFF) << 13) * f32::from_bits(0x7780_0000);
    f32::from_bits(mag.to_bits() | ((h & 0x8000) << 16))
}

#[inline(always)]
fn lanes_sum(acc: &[f32; L]) -> f32 {
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// `acc[l] += Σ_c x[c·L + l] · w[c·L + l]` over a block of `B` values
/// (`B` a multiple of `L`).
#[inline(always)]
fn block_fma<const B: usize>(acc: &mut [f32; L], x: &[f32], w: &[f32; B]) {
    let x: &[f32; B] = x.try_into().expect("B activations per block");
    for c in 0..B / L {
        for l in 0..L {
            acc[l] += x[c * L + l] * w[c * L + l];
        }
    }
}

/// The block loop shared by the portable packed kernels: `nb` blocks of `B`
/// weights against `xs[..R]` (each at least `B · nb` long).
/// `block(i, w)` writes block `i`'s `B` unscaled code values into `w` and
/// returns its scale `d`; `out[r] = Σ_i d_i · Σ_j x_r[B·i + j] · w_j`.
/// Monomorphized per format, so the decoder inlines into the loop.
#[inline(always)]
fn blocks_row_impl<const R: usize, const B: usize>(
    nb: usize,
    xs: &[&[f32]],
    out: &mut [f32],
    block: impl Fn(usize, &mut [f32; B]) -> f32,
) {
    let mut tot = [[0f32; L]; R];
    for bi in 0..nb {
        let mut w = [0f32; B];
        let d = block(bi, &mut w);
        for r in 0..R {
            let mut acc = [0f32; L];
            block_fma(&mut acc, &xs[r][bi * B..bi * B + B], &w);
            for l in 0..L {
                tot[r][l] += d * acc[l];
            }
        }
    }
    for r in 0..R {
        out[r] = lanes_sum(&tot[r]);
    }
}

/// [`blocks_row_impl`] over a row of self-contained ggml blocks of `BYTES`
/// bytes (32 values each); `block(b, w)` decodes one block's bytes.
#[inline(always)]
fn ggml_row_impl<const R: usize, const BYTES: usize>(
    row: &[u8],
    xs: &[&[f32]],
    out: &mut [f32],
    block: impl Fn(&[u8], &mut [f32; 32]) -> f32,
) {
    blocks_row_impl::<R, 32>(row.len() / BYTES, xs, out, |i, w| {
        block(&row[i * BYTES..(i + 1) * BYTES], w)
    });
}

/// One row of q4_0 blocks (`row.len() = 18 · k / 32`) against `xs[..R]`
/// (each `k` long): `out[r] = Σ_blocks d · Σ_j x_r[j] · (q_j − 8)`.
#[inline(always)]
fn q4_0_row_impl<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    ggml_row_impl::<R, 18>(row, xs, out, |b, w| {
        for j in 0..16 {
            w[j] = ((b[2 + j] & 0x0F) as i32 - 8) as f32;
            w[j + 16] = ((b[2 + j] >> 4) as i32 - 8) as f32;
        }
        f16_to_f32(b[0], b[1])
    });
}

/// One row of q8_0 blocks (`row.len() = 34 · k / 32`) against `xs[..R]`.
#[inline(always)]
fn q8_0_row_impl<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    ggml_row_impl::<R, 34>(row, xs, out, |b, w| {
        for j in 0..32 {
            w[j] = (b[2 + j] as i8) as f32;
        }
        f16_to_f32(b[0], b[1])
    });
}

/// One row of q4_1 blocks (`row.len() = 20 · k / 32`) against `xs[..R]`.
/// The weights are decoded exactly as `dequantize` does (`d · q + m`, two
/// roundings) rather than folding `m · Σx` in after the sum: with the
/// minimum, `d · q` and `m` can nearly cancel, and the folded form's
/// rounding error would then be relative to `Σ|x|·(|d·q| + |m|)`, far above
/// that of a product with the decoded weights.
#[inline(always)]
fn q4_1_row_impl<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    ggml_row_impl::<R, 20>(row, xs, out, |b, w| {
        let d = f16_to_f32(b[0], b[1]);
        let m = f16_to_f32(b[2], b[3]);
        for j in 0..16 {
            w[j] = d * (b[4 + j] & 0x0F) as f32 + m;
            w[j + 16] = d * (b[4 + j] >> 4) as f32 + m;
        }
        1.0
    });
}

/// One row of q5_0 blocks (`row.len() = 22 · k / 32`) against `xs[..R]`:
/// codes `(nibble | qh bit << 4) − 16`, scaled by `d` after the block sum.
#[inline(always)]
fn q5_0_row_impl<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    ggml_row_impl::<R, 22>(row, xs, out, |b, w| {
        let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
        for j in 0..16 {
            let lo = (b[6 + j] & 0x0F) as u32 | (((qh >> j) & 1) << 4);
            let hi = (b[6 + j] >> 4) as u32 | (((qh >> (j + 16)) & 1) << 4);
            w[j] = (lo as i32 - 16) as f32;
            w[j + 16] = (hi as i32 - 16) as f32;
        }
        f16_to_f32(b[0], b[1])
    });
}

/// One row of MXFP4 blocks (`row.len() = 17 · k / 32`) against `xs[..R]`:
/// the doubled E2M1 integers, scaled by `e8m0_to_f32_half(e)` after the sum.
#[inline(always)]
fn mxfp4_row_impl<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    ggml_row_impl::<R, 17>(row, xs, out, |b, w| {
        for j in 0..16 {
            w[j] = DOUBLED[(b[1 + j] & 0x0F) as usize] as f32;
            w[j + 16] = DOUBLED[(b[1 + j] >> 4) as usize] as f32;
        }
        e8m0_to_f32_half(b[0])
    });
}

/// One weight row of a format whose codes and per-block scales are stored
/// apart (nvfp4, nf4, nf4_dq, int8 per block), as the row kernels read it.
#[derive(Clone, Copy, Debug)]
pub struct ScaledRow<'a, T> {
    /// The row's packed codes (nvfp4 / nf4: two per byte; int8: one each).
    pub codes: &'a [T],
    /// One f32 scale per block of the row, applied after the block's sum
    /// (nvfp4: half the effective scale, see [`nvfp4_dot`]).
    pub scales: &'a [f32],
}

/// One weight row whose block scales are stored as byte codes (NVFP4's
/// E4M3 scales), with the f32 value of every code, as the AVX-512 NVFP4
/// kernel reads it (no per-row pass turning codes into scales first).
#[derive(Clone, Copy, Debug)]
pub struct ByteScaledRow<'a> {
    /// The row's packed codes, two per byte.
    pub codes: &'a [u8],
    /// One scale code per block.
    pub scale_codes: &'a [u8],
    /// What each scale code stands for (NVFP4: half the effective scale,
    /// see [`nvfp4_dot`]).
    pub scale_values: &'a [f32; 256],
}

/// One row of NVFP4 codes (16-value blocks, element `2i` in the low nibble)
/// against `xs[..R]`: the doubled E2M1 integers, times `scales[block]`.
#[inline(always)]
fn nvfp4_row_impl<const R: usize>(row: ScaledRow<'_, u8>, xs: &[&[f32]], out: &mut [f32]) {
    blocks_row_impl::<R, 16>(row.scales.len(), xs, out, |i, w| {
        for (j, &byte) in row.codes[i * 8..i * 8 + 8].iter().enumerate() {
            w[2 * j] = DOUBLED[(byte & 0x0F) as usize] as f32;
            w[2 * j + 1] = DOUBLED[(byte >> 4) as usize] as f32;
        }
        row.scales[i]
    });
}

/// One row of NF4 codes (element `2i` in the HIGH nibble; blocks a multiple
/// of 32 values, `codes.len() · 2 / scales.len()` each) against `xs[..R]`:
/// `Σ_blocks absmax · Σ_j x_r[j] · LEVELS[code_j]`, in chunks of 32.
#[inline(always)]
fn nf4_row_impl<const R: usize>(row: ScaledRow<'_, u8>, xs: &[&[f32]], out: &mut [f32]) {
    let chunks = row.codes.len() / 16;
    let per_block = chunks / row.scales.len().max(1);
    blocks_row_impl::<R, 32>(chunks, xs, out, |i, w| {
        for (j, &byte) in row.codes[i * 16..i * 16 + 16].iter().enumerate() {
            w[2 * j] = NF4_LEVELS[(byte >> 4) as usize];
            w[2 * j + 1] = NF4_LEVELS[(byte & 0x0F) as usize];
        }
        row.scales[i / per_block]
    });
}

/// One row of int8 codes with one scale per block (a multiple of 32 values,
/// `codes.len() / scales.len()` each) against `xs[..R]`.
#[inline(always)]
fn i8_blocks_row_impl<const R: usize>(row: ScaledRow<'_, i8>, xs: &[&[f32]], out: &mut [f32]) {
    let chunks = row.codes.len() / 32;
    let per_block = chunks / row.scales.len().max(1);
    blocks_row_impl::<R, 32>(chunks, xs, out, |i, w| {
        for (w, &q) in w.iter_mut().zip(&row.codes[i * 32..i * 32 + 32]) {
            *w = q as f32;
        }
        row.scales[i / per_block]
    });
}

/// bf16 bits to f32 (exact: a bf16 is the top half of an f32).
#[inline(always)]
fn bf16_to_f32(lo: u8, hi: u8) -> f32 {
    f32::from_bits((u16::from_le_bytes([lo, hi]) as u32) << 16)
}

/// FP8 E4M3FN byte to f32, exact for every finite code (all but 0x7F and
/// 0xFF, which scaled-fp8 tensors never hold): the 7 magnitude bits placed
/// as an f32's exponent and top mantissa bits, times 2^120 (the difference
/// of the biases, exact), then the sign. Branch-free, as the AVX2 kernel.
#[inline(always)]
pub(crate) fn e4m3fn_bits_to_f32(b: u8) -> f32 {
    let b = b as u32;
    let mag = f32::from_bits((b & 0x7F) << 20) * f32::from_bits(0x7B80_0000);
    f32::from_bits(mag.to_bits() | ((b & 0x80) << 24))
}

/// FP8 E5M2 byte to f32, exact for every finite code (an E5M2 byte is the
/// top byte of an f16).
#[inline(always)]
pub(crate) fn e5m2_bits_to_f32(b: u8) -> f32 {
    f16_to_f32(0, b)
}

/// `out[r] = Σ_j x_r[j] · dec(bytes of element j)` for a row of `k` values
/// of `SIZE` bytes each (f16, bf16, fp8): whole chunks of 32 through
/// [`blocks_row_impl`] with scale 1, the rest one by one.
#[inline(always)]
fn elems_row_impl<const R: usize, const SIZE: usize>(
    row: &[u8],
    xs: &[&[f32]],
    out: &mut [f32],
    dec: impl Fn(&[u8]) -> f32,
) {
    let k = row.len() / SIZE;
    let whole = k / 32;
    blocks_row_impl::<R, 32>(whole, xs, out, |i, w| {
        for (j, w) in w.iter_mut().enumerate() {
            let e = (32 * i + j) * SIZE;
            *w = dec(&row[e..e + SIZE]);
        }
        1.0
    });
    for r in 0..R {
        let tail: f32 = (32 * whole..k)
            .map(|j| xs[r][j] * dec(&row[j * SIZE..(j + 1) * SIZE]))
            .sum();
        out[r] += tail;
    }
}

#[inline(always)]
fn f16_row_impl<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    elems_row_impl::<R, 2>(row, xs, out, |b| f16_to_f32(b[0], b[1]));
}

#[inline(always)]
fn bf16_row_impl<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    elems_row_impl::<R, 2>(row, xs, out, |b| bf16_to_f32(b[0], b[1]));
}

#[inline(always)]
fn e4m3fn_row_impl<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    elems_row_impl::<R, 1>(row, xs, out, |b| e4m3fn_bits_to_f32(b[0]));
}

#[inline(always)]
fn e5m2_row_impl<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    elems_row_impl::<R, 1>(row, xs, out, |b| e5m2_bits_to_f32(b[0]));
}

/// One row of int8 codes against `xs[..R]`: `out[r] = Σ_j x_r[j] · q_j`
/// (the caller applies the row's scale).
#[inline(always)]
fn i8_row_impl<const R: usize>(row: &[i8], xs: &[&[f32]], out: &mut [f32]) {
    let k = row.len();
    let whole = k / 32 * 32;
    let mut tot = [[0f32; L]; R];
    for (bi, q) in row[..whole].chunks_exact(32).enumerate() {
        let mut w = [0f32; 32];
        for j in 0..32 {
            w[j] = q[j] as f32;
        }
        for r in 0..R {
            block_fma(&mut tot[r], &xs[r][bi * 32..bi * 32 + 32], &w);
        }
    }
    for r in 0..R {
        let tail: f32 = (whole..k).map(|j| xs[r][j] * row[j] as f32).sum();
        out[r] = lanes_sum(&tot[r]) + tail;
    }
}

/// `out[r] = Σ_j x_r[j] · w[j]` for a decoded f32 row `w`.
#[inline(always)]
fn f32_row_impl<const R: usize>(w: &[f32], xs: &[&[f32]], out: &mut [f32]) {
    let k = w.len();
    let whole = k / L * L;
    let mut tot = [[0f32; L]; R];
    for (ci, wc) in w[..whole].chunks_exact(L).enumerate() {
        for r in 0..R {
            let xc = &xs[r][ci * L..ci * L + L];
            for l in 0..L {
                tot[r][l] += xc[l] * wc[l];
            }
        }
    }
    for r in 0..R {
        let tail: f32 = (whole..k).map(|j| xs[r][j] * w[j]).sum();
        out[r] = lanes_sum(&tot[r]) + tail;
    }
}

/// Expands a portable kernel generic over the row count into one that
/// dispatches on `xs.len()` (also what the tests compare the AVX2 kernels to).
macro_rules! portable {
    ($imp:ident, $row:ty, $name:ident) => {
        fn $name(row: $row, xs: &[&[f32]], out: &mut [f32]) {
            match xs.len() {
                1 => $imp::<1>(row, xs, out),
                2 => $imp::<2>(row, xs, out),
                3 => $imp::<3>(row, xs, out),
                4 => $imp::<4>(row, xs, out),
                n => panic!("qdot kernels take 1..={MAX_R} rows, got {n}"),
            }
        }
    };
}

portable!(q4_0_row_impl, &[u8], q4_0_rows);
portable!(q8_0_row_impl, &[u8], q8_0_rows);
portable!(i8_row_impl, &[i8], i8_rows);
portable!(q4_1_row_impl, &[u8], q4_1_rows);
portable!(q5_0_row_impl, &[u8], q5_0_rows);
portable!(mxfp4_row_impl, &[u8], mxfp4_rows);
portable!(nvfp4_row_impl, ScaledRow<'_, u8>, nvfp4_rows);
portable!(nf4_row_impl, ScaledRow<'_, u8>, nf4_rows);
portable!(i8_blocks_row_impl, ScaledRow<'_, i8>, i8_blocks_rows);
portable!(f16_row_impl, &[u8], f16_rows);
portable!(bf16_row_impl, &[u8], bf16_rows);
portable!(e4m3fn_row_impl, &[u8], e4m3fn_rows);
portable!(e5m2_row_impl, &[u8], e5m2_rows);
portable!(f32_row_impl, &[f32], f32_rows);

/// Whether this CPU runs the AVX2+FMA kernels (detected once, cached by std).
#[cfg(target_arch = "x86_64")]
pub fn has_avx2_fma() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

/// Whether this CPU runs the AVX2+FMA kernels (never, off x86-64).
#[cfg(not(target_arch = "x86_64"))]
pub fn has_avx2_fma() -> bool {
    false
}

/// Whether this CPU runs the row kernels of `qdot_avx2`: AVX2, FMA and
/// F16C (for the f16 block scales, `vcvtph2ps`); every AVX2 CPU made has
/// F16C, but it is a separate CPUID bit, so it is checked.
#[cfg(target_arch = "x86_64")]
pub fn has_qdot_avx2() -> bool {
    has_avx2_fma() && std::is_x86_feature_detected!("f16c")
}

/// `$k::<R>(row, xs, out)` for `R = xs.len()` (1..=[`MAX_R`]; more panics):
/// the row-count dispatch every kernel macro below shares.
macro_rules! by_rows {
    ($v:ident :: $k:ident, $row:expr, $xs:expr, $out:expr) => {
        match $xs.len() {
            1 => $v::$k::<1>($row, $xs, $out),
            2 => $v::$k::<2>($row, $xs, $out),
            3 => $v::$k::<3>($row, $xs, $out),
            4 => $v::$k::<4>($row, $xs, $out),
            n => panic!("qdot kernels take 1..={MAX_R} rows, got {n}"),
        }
    };
}

/// Defines the public kernel `$name(row, xs, out)`: dispatches on the number
/// of activation rows (1..=MAX_R) and on the CPU, to the AVX2 kernel
/// `qdot_avx2::$avx` when available, else to the portable `$imp`.
macro_rules! row_kernel {
    ($(#[$m:meta])* $name:ident, $avx:ident, $imp:ident, $row:ty) => {
        $(#[$m])*
        pub fn $name(row: $row, xs: &[&[f32]], out: &mut [f32]) {
            #[cfg(target_arch = "x86_64")]
            if has_qdot_avx2() {
                use super::qdot_avx2 as v;
                // SAFETY: the CPU supports AVX2, FMA and F16C (checked above); the
                // kernel asserts its slice-length preconditions.
                unsafe {
                    by_rows!(v::$avx, row, xs, out)
                }
                return;
            }
            $imp(row, xs, out)
        }
    };
}

/// Defines `$name(row, xs, out)`: the AVX-512 kernel `qdot_avx512::$k`
/// where the CPU has AVX-512F and BW, else `$fallback`, also defined here:
/// the AVX2 kernel `qdot_avx2::$k` or the portable `$k` (a [`row_kernel`]).
macro_rules! avx512_kernel {
    ($(#[$m:meta])* $name:ident, $fallback:ident, $k:ident, $row:ty) => {
        row_kernel!(
            #[doc = concat!("[`", stringify!($name), "`] without the AVX-512 kernel (AVX2 or portable).")]
            $fallback, $k, $k, $row
        );
        $(#[$m])*
        pub fn $name(row: $row, xs: &[&[f32]], out: &mut [f32]) {
            #[cfg(target_arch = "x86_64")]
            if super::qdot_avx512::has_avx512() {
                use super::qdot_avx512 as v;
                // SAFETY: the CPU supports AVX-512F/BW, AVX2, FMA and F16C
                // (checked above); the kernel asserts its slice lengths.
                unsafe {
                    by_rows!(v::$k, row, xs, out)
                }
                return;
            }
            $fallback(row, xs, out)
        }
    };
}

row_kernel!(
    /// `out[r] = x_r · dequant(row)` for one row of q4_0 blocks and
    /// 1..=[`MAX_R`] activation rows of `32 · blocks` values each, in their
    /// own order (AVX2 or portable; see [`q4_0_nibbles_dot`]).
    q4_0_dot, q4_0_rows, q4_0_rows, &[u8]
);
avx512_kernel!(
    /// `out[r] = x_r · dequant(row)` for one row of q8_0 blocks; the
    /// AVX-512 kernel where the CPU has it, else as [`q8_0_dot_avx2`].
    q8_0_dot, q8_0_dot_avx2, q8_0_rows, &[u8]
);
avx512_kernel!(
    /// `out[r] = Σ_j x_r[j] · q[j]` for one row of int8 codes (unscaled).
    i8_dot, i8_dot_avx2, i8_rows, &[i8]
);
row_kernel!(
    /// `out[r] = x_r · w` for a decoded f32 row `w`.
    f32_dot, f32_rows, f32_rows, &[f32]
);

row_kernel!(
    /// `out[r] = x_r · dequant(row)` for one row of q4_1 blocks (20 bytes
    /// per 32 values).
    q4_1_dot, q4_1_rows, q4_1_rows, &[u8]
);
row_kernel!(
    /// `out[r] = x_r · dequant(row)` for one row of q5_0 blocks (22 bytes
    /// per 32 values).
    q5_0_dot, q5_0_rows, q5_0_rows, &[u8]
);
row_kernel!(
    /// `out[r] = x_r · dequant(row)` for one row of MXFP4 blocks (17 bytes
    /// per 32 values), activations in their own order.
    mxfp4_dot, mxfp4_rows, mxfp4_rows, &[u8]
);
row_kernel!(
    /// `out[r] = Σ_b scales[b] · Σ_j x_r[16b + j] · 2·e2m1(code_j)` for one
    /// row of NVFP4 codes (8 bytes per 16 values, element `2i` in the low
    /// nibble), so `scales[b]` must be HALF the block's effective scale
    /// `e4m3(S_b) / global_scale` (the kernel reads the doubled E2M1 values,
    /// small integers, as MXFP4 does); `x_r` at least `16 · scales.len()`.
    nvfp4_dot, nvfp4_rows, nvfp4_rows, ScaledRow<'_, u8>
);
row_kernel!(
    /// `out[r] = Σ_b scales[b] · Σ_j x_r[j] · LEVELS[code_j]` for one row of
    /// NF4 codes (element `2i` in the high nibble) with one absmax per
    /// block; the block, `codes.len() · 2 / scales.len()` values, must be a
    /// multiple of 32 (panics otherwise, on the AVX2 path).
    nf4_dot, nf4_rows, nf4_rows, ScaledRow<'_, u8>
);
/// Whether the kernels that read activations in an [`Order`] run here (the
/// CPU has AVX-512F): [`q4_0_nibbles_dot`], [`q4_1_nibbles_dot`],
/// [`q5_0_nibbles_dot`], [`mxfp4_nibbles_dot`], [`nf4_pairs_dot`], [`nvfp4_pairs_dot`]. When they
/// do not, use the kernels of the same format on activations in their own
/// order.
pub fn has_ordered_kernels() -> bool {
    #[cfg(target_arch = "x86_64")]
    return super::qdot_avx512::has_avx512();
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// The code byte lane `j` of an AVX-512 4-bit kernel reads within each 16
/// code bytes: the bytes arrive as one 128-bit broadcast, and lane `j`
/// shifts its copy of dword `j % 4` right by `8 · (j / 4)` bits.
pub const QUAD: [usize; 16] = {
    let mut q = [0; 16];
    let mut j = 0;
    while j < 16 {
        q[j] = 4 * (j % 4) + j / 4;
        j += 1;
    }
    q
};

/// The order in which an AVX-512 4-bit kernel reads each 32 activations,
/// so that its 16 lanes meet the elements whose codes they hold
/// ([`QUAD`]); [`Order::arrange`] builds it once per call, for every
/// weight row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// ggml blocks (q4_0, q4_1, q5_0, MXFP4): byte `i` holds element `i` in its
    /// low nibble and `16 + i` in its high one. Lane `j` reads element
    /// `QUAD[j]`, then (second 16) `16 + QUAD[j]`.
    Nibbles,
    /// Two neighbours per byte (NF4, NVFP4): byte `i` holds elements `2i`
    /// and `2i + 1`. Lane `j` reads element `2 · QUAD[j]`, then (second 16)
    /// `2 · QUAD[j] + 1`.
    Pairs,
}

impl Order {
    /// The element of a 32-value chunk that position `p` (0..32) of the
    /// arranged chunk holds.
    pub fn source(self, p: usize) -> usize {
        let (half, j) = (p / 16, p % 16);
        match self {
            Order::Nibbles => 16 * half + QUAD[j],
            Order::Pairs => 2 * QUAD[j] + half,
        }
    }

    /// `x` (a multiple of 32 values) with each 32 values in this order.
    ///
    /// # Panics
    /// When `x.len()` is not a multiple of 32.
    pub fn arrange(self, x: &[f32]) -> Vec<f32> {
        let mut out = vec![0f32; x.len()];
        self.arrange_into(x, &mut out);
        out
    }

    /// [`Order::arrange`] into `out` (as long as `x`).
    ///
    /// # Panics
    /// When `x.len()` is not a multiple of 32 or `out` is not as long.
    pub fn arrange_into(self, x: &[f32], out: &mut [f32]) {
        assert!(
            x.len().is_multiple_of(32) && out.len() == x.len(),
            "kernel orders need whole 32-value chunks"
        );
        let src: [usize; 32] = std::array::from_fn(|p| self.source(p));
        for (o, c) in out.chunks_exact_mut(32).zip(x.chunks_exact(32)) {
            for (v, &i) in o.iter_mut().zip(&src) {
                *v = c[i];
            }
        }
    }
}

/// Activation rows copied (or arranged in an [`Order`]) into one buffer in
/// which every row starts on a 64-byte boundary.
///
/// Why: the AVX-512 kernels load 16 f32 at a time, and loads that straddle
/// two cache lines cost more: with activations 16 bytes off alignment a
/// one-thread q4_0 GEMV took 0.70–0.72 ms against 0.60–0.61 ms aligned
/// (4096 × 4096, 2-vCPU Xeon, 2026-12-03).
#[derive(Clone, Debug)]
pub struct AlignedRows {
    buf: Vec<f32>,
    start: usize,
    stride: usize,
    k: usize,
    m: usize,
}

impl AlignedRows {
    /// The rows of `x` (row-major, `k` values each), in `order` if given.
    ///
    /// # Panics
    /// When `k` is 0 or does not divide `x.len()`, or (with an order) `k`
    /// is not a multiple of 32.
    pub fn new(x: &[f32], k: usize, order: Option<Order>) -> Self {
        assert!(
            k > 0 && x.len().is_multiple_of(k),
            "x must be whole rows of k > 0"
        );
        const LINE: usize = LINE_F32;
        let stride = k.next_multiple_of(LINE);
        let m = x.len() / k;
        let mut buf = vec![0f32; m * stride + LINE - 1];
        let start = buf.as_ptr().align_offset(64).min(LINE - 1);
        for (b, src) in x.chunks_exact(k).enumerate() {
            let dst = &mut buf[start + b * stride..start + b * stride + k];
            match order {
                Some(order) => order.arrange_into(src, dst),
                None => dst.copy_from_slice(src),
            }
        }
        AlignedRows {
            buf,
            start,
            stride,
            k,
            m,
        }
    }

    /// Every row, `k` values each.
    pub fn rows(&self) -> Vec<&[f32]> {
        (0..self.m)
            .map(|b| &self.buf[self.start + b * self.stride..][..self.k])
            .collect()
    }
}

/// f32 values per 64-byte cache line.
const LINE_F32: usize = 16;

/// Defines `$name(row, xs_ordered, out)` over the AVX-512 kernel
/// `qdot_avx512::$k512`, which reads its activation rows in an [`Order`]
/// (only where [`has_ordered_kernels`]).
macro_rules! ordered_kernel {
    ($(#[$m:meta])* $name:ident, $k512:ident, $row:ty) => {
        $(#[$m])*
        ///
        /// # Panics
        /// Without AVX-512F, for 0 or more than [`MAX_R`] rows, or for rows
        /// shorter than the codes.
        pub fn $name(row: $row, xs_ordered: &[&[f32]], out: &mut [f32]) {
            assert!(has_ordered_kernels(), "{} needs AVX-512F (check has_ordered_kernels)", stringify!($name));
            #[cfg(target_arch = "x86_64")]
            {
                use super::qdot_avx512 as v;
                // SAFETY: the CPU supports AVX-512F, AVX2, FMA and F16C
                // (asserted); the kernel asserts its slice lengths.
                unsafe {
                    by_rows!(v::$k512, row, xs_ordered, out)
                }
            }
        }
    };
}

ordered_kernel!(
    /// [`q4_0_dot`] (same result up to f32 summation order) for activation
    /// rows in [`Order::Nibbles`], with the AVX-512 kernel.
    q4_0_nibbles_dot, q4_0_rows, &[u8]
);
ordered_kernel!(
    /// [`q4_1_dot`] (same result up to f32 summation order) for activation
    /// rows in [`Order::Nibbles`], with the AVX-512 kernel.
    q4_1_nibbles_dot, q4_1_rows, &[u8]
);
ordered_kernel!(
    /// [`q5_0_dot`] (same result up to f32 summation order) for activation
    /// rows in [`Order::Nibbles`], with the AVX-512 kernel.
    q5_0_nibbles_dot, q5_0_rows, &[u8]
);
ordered_kernel!(
    /// [`mxfp4_dot`] (same result up to f32 summation order) for activation
    /// rows in [`Order::Nibbles`], with the AVX-512 kernel.
    mxfp4_nibbles_dot, mxfp4_rows, &[u8]
);
ordered_kernel!(
    /// [`nvfp4_dot`] (same result up to f32 summation order) for activation
    /// rows in [`Order::Pairs`] and rows of an even number of blocks (the
    /// kernel panics on an odd one), with the AVX-512 kernel.
    nvfp4_pairs_dot, nvfp4_pairs_rows, ByteScaledRow<'_>
);
ordered_kernel!(
    /// [`nf4_dot`] (same result up to f32 summation order) for activation
    /// rows in [`Order::Pairs`], with the AVX-512 kernel.
    nf4_pairs_dot, nf4_pairs_rows, ScaledRow<'_, u8>
);

avx512_kernel!(
    /// `out[r] = Σ_b scales[b] · Σ_j x_r[j] · q_j` for one row of int8 codes
    /// with one scale per block of `codes.len() / scales.len()` values, a
    /// multiple of 32 (panics otherwise, on the AVX2 and AVX-512 paths).
    i8_blocks_dot, i8_blocks_dot_avx2, i8_blocks_rows, ScaledRow<'_, i8>
);
avx512_kernel!(
    /// `out[r] = x_r · w` for a row of f16 values (2 bytes each, LE).
    f16_dot, f16_dot_avx2, f16_rows, &[u8]
);
avx512_kernel!(
    /// `out[r] = x_r · w` for a row of bf16 values (2 bytes each, LE).
    bf16_dot, bf16_dot_avx2, bf16_rows, &[u8]
);
avx512_kernel!(
    /// `out[r] = Σ_j x_r[j] · e4m3fn(code_j)` for a row of FP8 E4M3FN codes
    /// (unscaled: the caller applies the tensor's scale).
    e4m3fn_dot, e4m3fn_dot_avx2, e4m3fn_rows, &[u8]
);
avx512_kernel!(
    /// `out[r] = Σ_j x_r[j] · e5m2(code_j)` for a row of FP8 E5M2 codes
    /// (unscaled).
    e5m2_dot, e5m2_dot_avx2, e5m2_rows, &[u8]
);

#[cfg(test)]
mod tests {
    use super::*;
    use half::f16;

    #[test]
    fn f16_conversion_exact_for_every_finite_value() {
        for h in 0..=u16::MAX {
            let v = f16::from_bits(h);
            if v.is_finite() {
                let [lo, hi] = h.to_le_bytes();
                assert_eq!(f16_to_f32(lo, hi).to_bits(), v.to_f32().to_bits(), "{h:#x}");
            }
        }
    }

    #[test]
    fn kernels_match_scalar_sums() {
        let k = 96;
        let xs: Vec<Vec<f32>> = (0..4)
            .map(|r| {
                (0..k)
                    .map(|j| ((j * 7 + r * 3) % 11) as f32 - 5.0)
                    .collect()
            })
            .collect();
        let codes: Vec<i8> = (0..k).map(|j| ((j * 13) % 255) as i8).collect();
        for rows in 1..=4 {
            let xr: Vec<&[f32]> = xs[..rows].iter().map(|v| v.as_slice()).collect();
            let mut out = [0f32; 4];
            i8_dot(&codes, &xr, &mut out);
            let w: Vec<f32> = codes.iter().map(|&c| c as f32).collect();
            let mut out2 = [0f32; 4];
            f32_dot(&w, &xr, &mut out2);
            for r in 0..rows {
                let want: f32 = xr[r].iter().zip(&w).map(|(a, b)| a * b).sum();
                assert_eq!(out[r], want); // small integers: exact in any order
                assert_eq!(out2[r], want);
            }
        }
    }

    #[test]
    fn orders_meet_the_lanes_codes() {
        // QUAD is a permutation, and what the shifts of quad_nibbles give:
        // lane j reads byte 4·(j % 4) + j / 4
        let mut seen = [false; 16];
        for (j, &b) in QUAD.iter().enumerate() {
            assert_eq!(b % 4, j / 4);
            assert_eq!(b / 4, j % 4);
            seen[b] = true;
        }
        assert!(seen.iter().all(|&s| s));
        let x: Vec<f32> = (0..64).map(|i| i as f32).collect();
        let nibbles = Order::Nibbles.arrange(&x);
        let pairs = Order::Pairs.arrange(&x);
        for c in 0..2 {
            for j in 0..16 {
                let at = |i: usize| (32 * c + i) as f32;
                assert_eq!(nibbles[32 * c + j], at(QUAD[j]));
                assert_eq!(nibbles[32 * c + 16 + j], at(16 + QUAD[j]));
                assert_eq!(pairs[32 * c + j], at(2 * QUAD[j]));
                assert_eq!(pairs[32 * c + 16 + j], at(2 * QUAD[j] + 1));
            }
        }
    }

    #[test]
    fn aligned_rows_start_on_cache_lines_and_keep_the_values() {
        for (k, m) in [(1, 3), (17, 2), (64, 4), (96, 1)] {
            let x: Vec<f32> = (0..k * m).map(|i| i as f32).collect();
            let orders = if k % 32 == 0 {
                vec![None, Some(Order::Nibbles), Some(Order::Pairs)]
            } else {
                vec![None]
            };
            for order in orders {
                let a = AlignedRows::new(&x, k, order);
                let rows = a.rows();
                assert_eq!(rows.len(), m);
                for (b, row) in rows.iter().enumerate() {
                    assert_eq!(row.as_ptr() as usize % 64, 0, "k={k} row {b}");
                    let src = &x[b * k..(b + 1) * k];
                    let want = order.map_or(src.to_vec(), |o| o.arrange(src));
                    assert_eq!(*row, &want[..], "k={k} {order:?} row {b}");
                }
            }
        }
    }

    /// The portable kernels (what a CPU without AVX2 runs) agree with the
    /// dispatched ones on this machine, up to f32 summation order.
    #[test]
    fn portable_kernels_agree_with_dispatched() {
        let nb = 5;
        let k = 32 * nb;
        let mut s = 7u32;
        let mut byte = || {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 24) as u8
        };
        let mut q4: Vec<u8> = (0..18 * nb).map(|_| byte()).collect();
        let mut q8: Vec<u8> = (0..34 * nb).map(|_| byte()).collect();
        for b in 0..nb {
            // finite scales: 0.5 .. 1 as f16
            q4[18 * b + 1] = 0x38;
            q8[34 * b + 1] = 0x38;
        }
        let codes: Vec<i8> = (0..k + 5).map(|_| byte() as i8).collect();
        let wf: Vec<f32> = (0..k + 5).map(|_| byte() as f32 / 64.0 - 2.0).collect();
        let xs: Vec<Vec<f32>> = (0..4)
            .map(|_| (0..k + 5).map(|_| byte() as f32 / 128.0 - 1.0).collect())
            .collect();
        let close = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= 1e-4 * (1.0 + y.abs()))
        };
        for rows in 1..=MAX_R {
            let xr: Vec<&[f32]> = xs[..rows].iter().map(|v| &v[..k]).collect();
            let xt: Vec<&[f32]> = xs[..rows].iter().map(|v| &v[..]).collect();
            let (mut a, mut b) = ([0f32; 4], [0f32; 4]);
            q4_0_dot(&q4, &xr, &mut a);
            q4_0_rows(&q4, &xr, &mut b);
            assert!(close(&a[..rows], &b[..rows]), "q4_0 {a:?} {b:?}");
            q8_0_dot(&q8, &xr, &mut a);
            q8_0_rows(&q8, &xr, &mut b);
            assert!(close(&a[..rows], &b[..rows]), "q8_0 {a:?} {b:?}");
            i8_dot(&codes, &xt, &mut a);
            i8_rows(&codes, &xt, &mut b);
            assert!(close(&a[..rows], &b[..rows]), "i8 {a:?} {b:?}");
            f32_dot(&wf, &xt, &mut a);
            f32_rows(&wf, &xt, &mut b);
            assert!(close(&a[..rows], &b[..rows]), "f32 {a:?} {b:?}");
        }
    }

    /// `got[..xs.len()]` against the f64 dot of every activation row with
    /// `w`, within the f32 summation bound (k + 4)·ε·Σ|x·w|.
    fn check_dot(got: &[f32], xs: &[&[f32]], w: &[f32], what: &str) {
        for (r, x) in xs.iter().enumerate() {
            let (mut exact, mut mag) = (0f64, 0f64);
            for (a, b) in x.iter().zip(w) {
                exact += *a as f64 * *b as f64;
                mag += (*a as f64 * *b as f64).abs();
            }
            let bound = (w.len() as f64 + 4.0) * f32::EPSILON as f64 * mag + 1e-30;
            let g = got[r] as f64;
            assert!(
                (g - exact).abs() <= bound,
                "{what} k={} row {r}: got {g} want {exact} bound {bound}",
                w.len()
            );
        }
    }

    type BytesKernel = fn(&[u8], &[&[f32]], &mut [f32]);
    type Kernel<T> = dyn Fn(T, &[&[f32]], &mut [f32]);
    type Quantize = fn(&[f32]) -> crate::Result<Vec<u8>>;
    type Dequantize = fn(&[u8], usize) -> crate::Result<Vec<f32>>;
    /// A ggml format: name, codec, its [dispatched, portable] kernels and
    /// its AVX-512 nibble-order kernel if it has one.
    type GgmlCase = (
        &'static str,
        Quantize,
        Dequantize,
        [BytesKernel; 2],
        Option<BytesKernel>,
    );

    /// Runs the dispatched kernel (AVX2 on a CPU that has it) and the
    /// portable one on `row` for 1..=4 activation rows of `w.len()` values
    /// and checks both against `w`, the format's own dequantized row.
    fn check_both<T: Copy>(row: T, w: &[f32], kernels: [&Kernel<T>; 2], what: &str) {
        let xs: Vec<Vec<f32>> = (0..MAX_R as u64)
            .map(|s| crate::quant::qmatmul::tests::values(w.len(), 100 + s))
            .collect();
        for rows in 1..=MAX_R {
            let xr: Vec<&[f32]> = xs[..rows].iter().map(|v| v.as_slice()).collect();
            for (kernel, path) in kernels.into_iter().zip(["dispatched", "portable"]) {
                let mut out = [f32::NAN; MAX_R];
                kernel(row, &xr, &mut out);
                check_dot(&out, &xr, w, &format!("{what} {path} R={rows}"));
            }
        }
    }

    /// An ordered kernel on `row` for 1..=4 activation rows (given to it
    /// arranged in `order`), checked against `w` with the rows in their own
    /// order.
    fn check_ordered<T: Copy>(row: T, w: &[f32], kernel: &Kernel<T>, order: Order, what: &str) {
        let xs: Vec<Vec<f32>> = (0..MAX_R as u64)
            .map(|s| crate::quant::qmatmul::tests::values(w.len(), 100 + s))
            .collect();
        let arranged: Vec<Vec<f32>> = xs.iter().map(|x| order.arrange(x)).collect();
        for rows in 1..=MAX_R {
            let xr: Vec<&[f32]> = xs[..rows].iter().map(|v| v.as_slice()).collect();
            let xo: Vec<&[f32]> = arranged[..rows].iter().map(|v| v.as_slice()).collect();
            let mut out = [f32::NAN; MAX_R];
            kernel(row, &xo, &mut out);
            check_dot(&out, &xr, w, &format!("{what} R={rows}"));
        }
    }

    /// The packed kernels added for the other formats, on random weights
    /// quantized by each format and several row lengths (1..=8 blocks; f16,
    /// bf16 and fp8 also with a ragged tail of 1..31 values), against the
    /// format's `dequantize`, both the dispatched and the portable path.
    #[test]
    fn packed_kernels_match_dequantize() {
        use crate::quant::{float16, fp8_scaled, ggml_q4_1, ggml_q5_0, int8, mxfp4, nf4, nvfp4};
        use crate::quant::{Fp8Kind, Half, Int8Granularity};
        let values = crate::quant::qmatmul::tests::values;
        for (seed, blocks) in [1usize, 2, 3, 5, 8].into_iter().enumerate() {
            let seed = seed as u64;
            let k = 32 * blocks;
            let v: Vec<f32> = values(k, seed).iter().map(|x| x * 0.1).collect();
            let ggml: [GgmlCase; 5] = [
                (
                    "q4_0",
                    crate::quant::ggml_q4_0::quantize,
                    crate::quant::ggml_q4_0::dequantize,
                    [q4_0_dot, q4_0_rows],
                    Some(q4_0_nibbles_dot),
                ),
                (
                    "q4_1",
                    ggml_q4_1::quantize,
                    ggml_q4_1::dequantize,
                    [q4_1_dot, q4_1_rows],
                    Some(q4_1_nibbles_dot),
                ),
                (
                    "q5_0",
                    ggml_q5_0::quantize,
                    ggml_q5_0::dequantize,
                    [q5_0_dot, q5_0_rows],
                    Some(q5_0_nibbles_dot),
                ),
                (
                    "mxfp4",
                    mxfp4::quantize,
                    mxfp4::dequantize,
                    [mxfp4_dot, mxfp4_rows],
                    Some(mxfp4_nibbles_dot),
                ),
                (
                    "q8_0",
                    crate::quant::ggml_q8_0::quantize,
                    crate::quant::ggml_q8_0::dequantize,
                    [q8_0_dot, q8_0_rows],
                    None,
                ),
            ];
            // blocks 1..=8 cover the AVX-512 kernels' odd tail
            for (name, quantize, dequantize, kernels, nibbles) in ggml {
                let q = quantize(&v).unwrap();
                let w = dequantize(&q, k).unwrap();
                check_both(&q[..], &w, [&kernels[0], &kernels[1]], name);
                if let Some(kernel) = nibbles.filter(|_| has_ordered_kernels()) {
                    check_ordered(
                        &q[..],
                        &w,
                        &kernel,
                        Order::Nibbles,
                        &format!("{name} avx512"),
                    );
                }
            }
            // q8_0 has three paths: AVX-512 (where the CPU has it), AVX2 and
            // portable
            let q = crate::quant::ggml_q8_0::quantize(&v).unwrap();
            let w = crate::quant::ggml_q8_0::dequantize(&q, k).unwrap();
            check_both(&q[..], &w, [&q8_0_dot_avx2, &q8_0_rows], "q8_0 avx2");

            // NVFP4 blocks are 16 values: an odd count too
            for k16 in [k, k - 16] {
                let q = nvfp4::quantize(&v[..k16]).unwrap();
                let scales: Vec<f32> = q
                    .scales
                    .iter()
                    .map(|&s| crate::quant::fp8::e4m3fn_to_f32(s) / q.global_scale * 0.5)
                    .collect();
                let row = ScaledRow {
                    codes: &q.codes,
                    scales: &scales,
                };
                let w = nvfp4::dequantize(&q, k16).unwrap();
                check_both(row, &w, [&nvfp4_dot, &nvfp4_rows], "nvfp4");
                if has_ordered_kernels() && k16 % 32 == 0 {
                    let table: [f32; 256] = std::array::from_fn(|s| {
                        crate::quant::fp8::e4m3fn_to_f32(s as u8) / q.global_scale * 0.5
                    });
                    let row = ByteScaledRow {
                        codes: &q.codes,
                        scale_codes: &q.scales,
                        scale_values: &table,
                    };
                    let what = format!("nvfp4 avx512 k={k16}");
                    check_ordered(row, &w, &nvfp4_pairs_dot, Order::Pairs, &what);
                }
            }

            for bs in [32, 64, 128].into_iter().filter(|bs| k % bs == 0) {
                let q = nf4::quantize(&v, bs).unwrap();
                let row = ScaledRow {
                    codes: &q.codes,
                    scales: &q.absmax,
                };
                let w = nf4::dequantize(&q, k).unwrap();
                check_both(row, &w, [&nf4_dot, &nf4_rows], &format!("nf4/{bs}"));
                if has_ordered_kernels() {
                    let what = format!("nf4/{bs} avx512");
                    check_ordered(row, &w, &nf4_pairs_dot, Order::Pairs, &what);
                }

                let g = Int8Granularity::PerBlock { block_size: bs };
                let q = int8::quantize(&v, &[k], g).unwrap();
                let row = ScaledRow {
                    codes: &q.q,
                    scales: &q.scales,
                };
                let w = int8::dequantize(&q, &[k], g).unwrap();
                let what = format!("int8/{bs}");
                check_both(row, &w, [&i8_blocks_dot, &i8_blocks_rows], &what);
                check_both(row, &w, [&i8_blocks_dot_avx2, &i8_blocks_rows], &what);
            }

            for kk in [k, k + 1 + (seed as usize * 7) % 31] {
                let v = values(kk, seed + 50);
                for (kind, kernels) in [
                    (Half::F16, [f16_dot as BytesKernel, f16_dot_avx2, f16_rows]),
                    (Half::Bf16, [bf16_dot, bf16_dot_avx2, bf16_rows]),
                ] {
                    let q = float16::quantize(&v, kind).unwrap();
                    let w = float16::dequantize(&q, kind, kk).unwrap();
                    let what = format!("{kind:?}");
                    check_both(&q[..], &w, [&kernels[0], &kernels[2]], &what);
                    check_both(&q[..], &w, [&kernels[1], &kernels[2]], &what);
                }
                for (kind, kernels) in [
                    (
                        Fp8Kind::E4m3fn,
                        [e4m3fn_dot as BytesKernel, e4m3fn_dot_avx2, e4m3fn_rows],
                    ),
                    (Fp8Kind::E5m2, [e5m2_dot, e5m2_dot_avx2, e5m2_rows]),
                ] {
                    let q = fp8_scaled::quantize(&v, kind).unwrap();
                    // the kernels are unscaled: the codes' own values
                    let w: Vec<f32> = q.codes.iter().map(|&c| kind.decode(c)).collect();
                    let what = format!("{kind:?}");
                    check_both(&q.codes[..], &w, [&kernels[0], &kernels[2]], &what);
                    check_both(&q.codes[..], &w, [&kernels[1], &kernels[2]], &what);
                }
                let codes: Vec<i8> = v.iter().map(|x| (x * 100.0) as i8).collect();
                let w: Vec<f32> = codes.iter().map(|&c| c as f32).collect();
                check_both(&codes[..], &w, [&i8_dot, &i8_rows], "int8");
                check_both(&codes[..], &w, [&i8_dot_avx2, &i8_rows], "int8 avx2");
            }
        }
    }

    /// Every finite FP8 code, 32 times in a row, against ones: the
    /// dispatched kernel (AVX-512 here, through f16) gives exactly 32 times
    /// the code's value.
    #[test]
    fn fp8_kernels_exact_for_every_finite_code() {
        use crate::quant::Fp8Kind;
        let ones = vec![1f32; 33];
        for b in 0..=255u8 {
            for (kind, kernel) in [
                (Fp8Kind::E4m3fn, e4m3fn_dot as BytesKernel),
                (Fp8Kind::E5m2, e5m2_dot),
            ] {
                let want = kind.decode(b);
                if want.is_finite() {
                    let mut out = [0f32; 1];
                    kernel(&[b; 33], &[&ones], &mut out);
                    assert_eq!(out[0], 33.0 * want, "{kind:?} {b:#x}");
                }
            }
        }
    }

    #[test]
    fn fp8_bit_decoders_exact_for_every_finite_code() {
        use crate::quant::Fp8Kind;
        for b in 0..=255u8 {
            for (kind, got) in [
                (Fp8Kind::E4m3fn, e4m3fn_bits_to_f32(b)),
                (Fp8Kind::E5m2, e5m2_bits_to_f32(b)),
            ] {
                let want = kind.decode(b);
                if want.is_finite() {
                    assert_eq!(got.to_bits(), want.to_bits(), "{kind:?} {b:#x}");
                }
            }
        }
    }
}
