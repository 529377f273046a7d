//! AVX-512 versions of the [`super::qdot`] row kernels (q4_0, q4_1, q5_0,
//! q8_0, MXFP4, NF4 / NF4-DQ, NVFP4, int8 per block; f16, bf16, FP8 and
//! int8 rows in `elems`), selected at run time where the CPU has AVX-512F
//! and BW (never from `target-cpu=native`); CPUs without them run the AVX2
//! kernels of [`super::qdot_avx2`].
//!
//! Why: a 32-value block is two 16-lane vectors here against four 8-lane
//! ones, and each 16 4-bit codes become their f32 values by one `vpermps`
//! lookup in a 16-entry table. The 4-bit kernels take their codes as a
//! 128-bit broadcast and two per-lane shifts ([`quad_nibbles`]), so lane `j`
//! meets byte `QUAD[j]` and the activations are read in a matching order,
//! built once per call ([`super::qdot::Order`]); block scales come from
//! tables in memory ([`f16_values`]). On the 2-vCPU Xeon (Sapphire Rapids
//! class) a 4096 × 4096 q4_0 GEMV on one thread took 1.25 ms with the AVX2
//! kernel, 0.9 ms with the first AVX-512 one (widened codes, scale
//! converted per block) and 0.6 ms with this shape (command and figures in
//! the README, "Quantized matmul"). Results differ from the AVX2 kernels
//! only by f32 rounding: summation order, and where a block's scale is
//! applied (to its 16-entry table here, exactly as `dequantize` does, to
//! the block's sum there).

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

mod elems;

pub use elems::{bf16_rows, e4m3fn_rows, e5m2_rows, f16_rows, i8_rows};

use super::e2m1::DOUBLED;
use super::mxfp4::e8m0_to_f32_half;
use super::nf4::LEVELS;
use super::qdot::{ByteScaledRow, ScaledRow, QUAD};
use super::qdot_avx2::STREAM_PREFETCH_BYTES;

/// Whether this CPU runs the AVX-512 kernels (AVX-512F and BW, with the
/// AVX2, FMA and F16C they also use; detected once, cached by std).
pub fn has_avx512() -> bool {
    std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512bw")
        && super::qdot::has_avx2_fma()
        && std::is_x86_feature_detected!("f16c")
}

/// `step(acc, i)` for every `i` in `range`, alternating between two sets of
/// accumulators (`first` for the 1st, 3rd, ... step, `second` for the
/// others), so no fused multiply-add waits on the previous step's. Written
/// out as a loop of pairs: accumulators indexed by `i & 1` were put on the
/// stack.
#[inline(always)]
fn alternating<A>(
    range: std::ops::Range<usize>,
    first: &mut A,
    second: &mut A,
    mut step: impl FnMut(&mut A, usize),
) {
    let mut i = range.start;
    while i + 2 <= range.end {
        step(first, i);
        step(second, i + 1);
        i += 2;
    }
    if i < range.end {
        step(first, i);
    }
}

/// The sum of the four accumulators [`alternating`] fills for one row
/// when each step adds to a pair (`[first half, second half]`).
#[inline]
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
unsafe fn sum_pairs(first: [__m512; 2], second: [__m512; 2]) -> __m512 {
    _mm512_add_ps(
        _mm512_add_ps(first[0], first[1]),
        _mm512_add_ps(second[0], second[1]),
    )
}

/// For a row of `chunks` 32-value chunks with `blocks` scales: the chunks
/// per block, after checking that they divide evenly and that there are
/// `R` activation rows of at least `32 · chunks` values and `R` outputs.
fn chunks_per_block<const R: usize>(
    chunks: usize,
    blocks: usize,
    xs: &[&[f32]],
    out: &[f32],
) -> usize {
    let per_block = chunks / blocks.max(1);
    assert!(per_block * blocks == chunks);
    assert!(xs.len() == R && out.len() >= R);
    assert!(xs.iter().all(|x| x.len() >= chunks * 32));
    per_block
}

/// The 16 int8 codes at `p` as f32 (sign-extended, then converted).
///
/// # Safety
/// AVX-512F; 16 readable bytes at `p`.
#[inline]
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
unsafe fn i8x16(p: *const i8) -> __m512 {
    _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(p as *const __m128i)))
}

/// The f32 value of every f16 bit pattern (256 KiB, built on first use),
/// so a kernel reads a block's f16 scale with one load, which the multiply
/// using it takes as its broadcast operand: `vcvtph2ps` and `vbroadcastss`
/// cost two of the vector ports' ~9 operations per q4_0 block, while a load
/// uses none (a q4_0 GEMV on one thread went 0.99 → 0.75 ms with this alone).
/// Non-finite patterns map to whatever they are; scales were checked finite.
pub(super) fn f16_values() -> &'static [f32] {
    static TABLE: std::sync::OnceLock<Box<[f32]>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=u16::MAX)
            .map(|h| {
                let [lo, hi] = h.to_le_bytes();
                super::qdot::f16_to_f32(lo, hi)
            })
            .collect()
    })
}

/// `e8m0_to_f32_half` of every exponent byte, for the same reason as
/// [`f16_values`].
pub(super) fn e8m0_halves() -> &'static [f32; 256] {
    static TABLE: std::sync::OnceLock<[f32; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| std::array::from_fn(|e| e8m0_to_f32_half(e as u8)))
}

/// The per-lane right shifts that give lane `j` of a 16-byte chunk
/// broadcast to all four 128-bit lanes the low nibble (`.0`) or the high
/// nibble (`.1`) of byte [`super::qdot::QUAD`]`[j]` in its low 4 bits.
#[inline]
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
unsafe fn quad_shifts() -> (__m512i, __m512i) {
    let lo = _mm512_setr_epi32(0, 0, 0, 0, 8, 8, 8, 8, 16, 16, 16, 16, 24, 24, 24, 24);
    (lo, _mm512_add_epi32(lo, _mm512_set1_epi32(4)))
}

/// The 16 code bytes at `codes` as two index vectors: lane `j` of `.0`
/// holds the low nibble of byte `QUAD[j]` in its low 4 bits, of `.1` the
/// high nibble (the bits above are left as they are: `vpermps` reads only
/// the low 4).
///
/// Why this shape: a 128-bit broadcast is a load, and the two variable
/// shifts run on one vector port, where widening the bytes (`vpmovzxbd`)
/// and a shift put three operations on the port the lookups need; the
/// price is the activations' lane order ([`super::qdot::Order`]).
///
/// # Safety
/// AVX-512F; 16 readable bytes at `codes`.
#[inline]
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
unsafe fn quad_nibbles(codes: *const u8, shifts: (__m512i, __m512i)) -> (__m512i, __m512i) {
    let v = _mm512_broadcast_i32x4(_mm_loadu_si128(codes as *const __m128i));
    (
        _mm512_srlv_epi32(v, shifts.0),
        _mm512_srlv_epi32(v, shifts.1),
    )
}

/// A ggml-style block format as the nibble kernel reads it: `BYTES` bytes
/// per 32 values, the 16 code bytes at `CODES_AT` (low nibbles elements
/// 0..16, high nibbles 16..32), and per block a 16-entry table of the
/// values the codes stand for.
trait NibbleFormat {
    const BYTES: usize;
    const CODES_AT: usize;
    /// Per-format constant the tables are built from.
    fn base() -> [f32; 16];
    /// The table of scale values [`NibbleFormat::values`] reads (fetched
    /// once per row: a lazily built table checks its state on every call).
    fn scales() -> &'static [f32];
    /// The block's 16 values, exactly as the format's `dequantize` computes
    /// them, from its header bytes at `b`.
    ///
    /// # Safety
    /// AVX-512F; the block's bytes readable at `b`, `scales` from
    /// [`NibbleFormat::scales`].
    unsafe fn values(b: *const u8, base: __m512, scales: &[f32]) -> __m512;
    /// The block's 32 weights in nibble order, from the index vectors of
    /// [`quad_nibbles`]: by default the two lookups in [`NibbleFormat::values`].
    ///
    /// # Safety
    /// As [`NibbleFormat::values`].
    #[inline(always)]
    unsafe fn weights(
        b: *const u8,
        idx: (__m512i, __m512i),
        base: __m512,
        scales: &[f32],
    ) -> (__m512, __m512) {
        let values = Self::values(b, base, scales);
        (
            _mm512_permutexvar_ps(idx.0, values),
            _mm512_permutexvar_ps(idx.1, values),
        )
    }
}

/// The little-endian u16 at `p`.
///
/// # Safety
/// Two readable bytes at `p`.
#[inline(always)]
pub(super) unsafe fn le_u16(p: *const u8) -> usize {
    u16::from_le((p as *const u16).read_unaligned()) as usize
}

/// q4_0: f16 `d`, values `d · (q − 8)` (exact in f32: an 11-bit mantissa
/// times a 4-bit integer).
struct Q4_0;
impl NibbleFormat for Q4_0 {
    const BYTES: usize = 18;
    const CODES_AT: usize = 2;
    fn base() -> [f32; 16] {
        std::array::from_fn(|q| q as f32 - 8.0)
    }
    fn scales() -> &'static [f32] {
        f16_values()
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma,f16c")]
    unsafe fn values(b: *const u8, base: __m512, scales: &[f32]) -> __m512 {
        let d = *scales.get_unchecked(le_u16(b));
        _mm512_mul_ps(base, _mm512_set1_ps(d))
    }
}

/// q4_1: f16 `d` and `m`, values `d · q + m` (a product, then a sum, as
/// `dequantize` rounds them).
struct Q4_1;
impl NibbleFormat for Q4_1 {
    const BYTES: usize = 20;
    const CODES_AT: usize = 4;
    fn base() -> [f32; 16] {
        std::array::from_fn(|q| q as f32)
    }
    fn scales() -> &'static [f32] {
        f16_values()
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma,f16c")]
    unsafe fn values(b: *const u8, base: __m512, scales: &[f32]) -> __m512 {
        let d = *scales.get_unchecked(le_u16(b));
        let m = *scales.get_unchecked(le_u16(b.add(2)));
        _mm512_add_ps(_mm512_mul_ps(base, _mm512_set1_ps(d)), _mm512_set1_ps(m))
    }
}

/// q5_0: f16 `d`, then `qh` (u32, bit `j` the fifth bit of element `j`),
/// then the 16 nibble bytes; values `d · (q − 16)` for the 5-bit `q`
/// (exact in f32). Each lookup is one `vpermt2ps` in the 32-entry table
/// `d · (0..32 − 16)`, its index the nibble with bit 4 taken from `qh`:
/// `qh` rotated per lane so that the lane's element's bit lands in bit 4.
struct Q5_0;
impl NibbleFormat for Q5_0 {
    const BYTES: usize = 22;
    const CODES_AT: usize = 6;
    fn base() -> [f32; 16] {
        std::array::from_fn(|q| q as f32 - 16.0)
    }
    fn scales() -> &'static [f32] {
        f16_values()
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma,f16c")]
    unsafe fn values(b: *const u8, base: __m512, scales: &[f32]) -> __m512 {
        _mm512_mul_ps(base, _mm512_set1_ps(*scales.get_unchecked(le_u16(b))))
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma,f16c")]
    unsafe fn weights(
        b: *const u8,
        idx: (__m512i, __m512i),
        base: __m512,
        scales: &[f32],
    ) -> (__m512, __m512) {
        let d = _mm512_set1_ps(*scales.get_unchecked(le_u16(b)));
        let low_table = _mm512_mul_ps(base, d);
        let high_table = _mm512_mul_ps(_mm512_add_ps(base, _mm512_set1_ps(16.0)), d);
        let qh = _mm512_set1_epi32((b.add(2) as *const i32).read_unaligned());
        // lane j of the first half holds element QUAD[j], of the second
        // 16 + QUAD[j]; rotating left by (4 - that) mod 32 moves its bit to 4
        let rotation = |half: usize| {
            let r: [i32; 16] = std::array::from_fn(|j| ((36 - 16 * half - QUAD[j]) % 32) as i32);
            _mm512_loadu_si512(r.as_ptr() as *const _)
        };
        let nibble = _mm512_set1_epi32(0x0F);
        // bits 0..4 from the nibble index, bit 4 (and up, unread) from qh
        let index = |i: __m512i, half: usize| {
            _mm512_ternarylogic_epi32::<0xE4>(i, _mm512_rolv_epi32(qh, rotation(half)), nibble)
        };
        (
            _mm512_permutex2var_ps(low_table, index(idx.0, 0), high_table),
            _mm512_permutex2var_ps(low_table, index(idx.1, 1), high_table),
        )
    }
}

/// MXFP4 (ggml layout): E8M0 exponent byte, values the doubled E2M1 values
/// times half the block's scale (a power of two: exact).
struct Mxfp4;
impl NibbleFormat for Mxfp4 {
    const BYTES: usize = 17;
    const CODES_AT: usize = 1;
    fn base() -> [f32; 16] {
        DOUBLED.map(f32::from)
    }
    fn scales() -> &'static [f32] {
        e8m0_halves()
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma,f16c")]
    unsafe fn values(b: *const u8, base: __m512, scales: &[f32]) -> __m512 {
        let d = *scales.get_unchecked(*b as usize);
        _mm512_mul_ps(base, _mm512_set1_ps(d))
    }
}

/// A row of format `F` against `R` activation rows of `32 · blocks` values
/// in [`super::qdot::Order::Nibbles`]: `out[r] = Σ_j x_r[j] · w[j]`. Per
/// block: the block's 16-value table, two lookups, then two FMAs per row
/// into four accumulators per row (low and high halves, even and odd
/// blocks: [`alternating`]), so no FMA waits on another.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2, FMA and F16C ([`has_avx512`]).
#[inline]
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
unsafe fn nibble_rows<F: NibbleFormat, const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    let nb = row.len() / F::BYTES;
    assert!(xs.len() == R && out.len() >= R);
    assert!(xs.iter().all(|x| x.len() >= nb * 32));
    let base = _mm512_loadu_ps(F::base().as_ptr());
    let scales = F::scales();
    let shifts = quad_shifts();
    let xs: [*const f32; R] = std::array::from_fn(|r| xs[r].as_ptr());
    let zero = [[_mm512_setzero_ps(); 2]; R];
    let (mut even, mut odd) = (zero, zero);
    alternating(0..nb, &mut even, &mut odd, |acc, bi| {
        // SAFETY: blocks bi < nb lie in `row`, and every row of `xs` holds
        // 32 · nb values (asserted above)
        let b = row.as_ptr().add(bi * F::BYTES);
        // one request per two blocks is at least one per cache line (and
        // measured ~5 % faster than one per block)
        if bi % 2 == 0 {
            _mm_prefetch::<_MM_HINT_T0>(b.wrapping_add(STREAM_PREFETCH_BYTES) as *const i8);
        }
        let idx = quad_nibbles(b.add(F::CODES_AT), shifts);
        let (lo, hi) = F::weights(b, idx, base, scales);
        for (a, x) in acc.iter_mut().zip(xs) {
            let x = x.add(bi * 32);
            a[0] = _mm512_fmadd_ps(_mm512_loadu_ps(x), lo, a[0]);
            a[1] = _mm512_fmadd_ps(_mm512_loadu_ps(x.add(16)), hi, a[1]);
        }
    });
    for r in 0..R {
        out[r] = _mm512_reduce_add_ps(sum_pairs(even[r], odd[r]));
    }
}

/// Defines `$name::<R>(row, xs, out)`: [`nibble_rows`] for format `$f`.
macro_rules! nibble_kernel {
    ($(#[$m:meta])* $name:ident, $f:ident) => {
        $(#[$m])*
        ///
        /// # Safety
        /// The CPU must support AVX-512F, AVX2, FMA and F16C ([`has_avx512`]).
        #[target_feature(enable = "avx512f,avx2,fma,f16c")]
        pub unsafe fn $name<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
            nibble_rows::<$f, R>(row, xs, out)
        }
    };
}

nibble_kernel!(
    /// q4_0 row (18-byte blocks: f16 `d`, 16 bytes of nibbles) against `R`
    /// activation rows in nibble order: `out[r] = Σ_j x_r[j] · d_b · (q_j − 8)`.
    q4_0_rows, Q4_0
);

nibble_kernel!(
    /// q4_1 row (20-byte blocks: f16 `d`, f16 `m`, 16 bytes of nibbles) against
    /// `R` activation rows in nibble order: `Σ_j x_r[j] · (d_b · q_j + m_b)`.
    q4_1_rows, Q4_1
);

nibble_kernel!(
    /// q5_0 row (22-byte blocks: f16 `d`, u32 `qh`, 16 bytes of nibbles)
    /// against `R` activation rows in nibble order.
    q5_0_rows, Q5_0
);

nibble_kernel!(
    /// MXFP4 row (17-byte blocks: E8M0 exponent, 16 bytes of E2M1 nibbles)
    /// against `R` activation rows in nibble order.
    mxfp4_rows, Mxfp4
);

/// q8_0 row (34-byte blocks: f16 `d`, 32 int8) against `R` activation rows
/// in their own order: `out[r] = Σ_b d_b · Σ_j x_r[32b + j] · q_j`. Each 16
/// codes widen and convert in two operations, one on each vector port.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2, FMA and F16C ([`has_avx512`]).
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
pub unsafe fn q8_0_rows<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    let nb = row.len() / 34;
    assert!(xs.len() == R && out.len() >= R);
    assert!(xs.iter().all(|x| x.len() >= nb * 32));
    let f16 = f16_values();
    let (mut even, mut odd) = ([_mm512_setzero_ps(); R], [_mm512_setzero_ps(); R]);
    alternating(0..nb, &mut even, &mut odd, |acc, bi| {
        // SAFETY: blocks bi < nb lie in `row`, and every row of `xs` holds
        // 32 · nb values (asserted above)
        let b = row.as_ptr().add(bi * 34);
        _mm_prefetch::<_MM_HINT_T0>(b.wrapping_add(STREAM_PREFETCH_BYTES) as *const i8);
        let d = _mm512_set1_ps(*f16.get_unchecked(le_u16(b)));
        let codes = b.add(2) as *const i8;
        let (lo, hi) = (i8x16(codes), i8x16(codes.add(16)));
        for (a, x) in acc.iter_mut().zip(xs) {
            let x = x.as_ptr().add(bi * 32);
            let s = _mm512_mul_ps(_mm512_loadu_ps(x), lo);
            let s = _mm512_fmadd_ps(_mm512_loadu_ps(x.add(16)), hi, s);
            *a = _mm512_fmadd_ps(d, s, *a);
        }
    });
    for r in 0..R {
        out[r] = _mm512_reduce_add_ps(_mm512_add_ps(even[r], odd[r]));
    }
}

/// Int8 codes with one f32 scale per block of `codes.len() / scales.len()`
/// values (a multiple of 32) against `R` activation rows in their own
/// order: `out[r] = Σ_b scales[b] · Σ_j x_r[j] · q_j`, blocks alternating
/// between two accumulators per row ([`alternating`]).
///
/// # Safety
/// The CPU must support AVX-512F, AVX2, FMA and F16C ([`has_avx512`]).
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
pub unsafe fn i8_blocks_rows<const R: usize>(
    row: ScaledRow<'_, i8>,
    xs: &[&[f32]],
    out: &mut [f32],
) {
    let chunks = row.codes.len() / 32;
    let per_block = chunks_per_block::<R>(chunks, row.scales.len(), xs, out);
    let xp: [*const f32; R] = std::array::from_fn(|r| xs[r].as_ptr());
    let (mut even, mut odd) = ([_mm512_setzero_ps(); R], [_mm512_setzero_ps(); R]);
    alternating(0..row.scales.len(), &mut even, &mut odd, |tot, bi| {
        let mut sum = [_mm512_setzero_ps(); R];
        for ci in bi * per_block..(bi + 1) * per_block {
            // SAFETY: chunk ci < chunks lies in `codes`, and every row holds
            // 32 · chunks values (asserted above)
            let p = row.codes.as_ptr().add(ci * 32);
            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(STREAM_PREFETCH_BYTES));
            let (w0, w1) = (i8x16(p), i8x16(p.add(16)));
            for (s, x) in sum.iter_mut().zip(xp) {
                let x = x.add(ci * 32);
                *s = _mm512_fmadd_ps(_mm512_loadu_ps(x), w0, *s);
                *s = _mm512_fmadd_ps(_mm512_loadu_ps(x.add(16)), w1, *s);
            }
        }
        let scale = _mm512_set1_ps(row.scales[bi]);
        for (t, s) in tot.iter_mut().zip(sum) {
            *t = _mm512_fmadd_ps(scale, s, *t);
        }
    });
    for r in 0..R {
        out[r] = _mm512_reduce_add_ps(_mm512_add_ps(even[r], odd[r]));
    }
}

/// NF4 codes (element `2i` in the HIGH nibble of byte `i`) with one absmax
/// per block of `codes.len() · 2 / scales.len()` values (a multiple of 32)
/// against `R` activation rows in [`super::qdot::Order::Pairs`] (each 32
/// values as the even elements of bytes `QUAD[0..16]`, then the odd ones),
/// so the high nibbles of a chunk's 16 code bytes meet the first 16 values
/// and the low nibbles the last 16: `out[r] = Σ_j x_r[j] · w[j]`, each 16
/// weights one `vpermps` in the block's table `LEVELS · absmax` (the
/// products `dequantize` computes). The AVX2 kernel needs 12 byte
/// operations per 16 levels. Chunks alternate between two pairs of
/// accumulators ([`alternating`]).
///
/// # Safety
/// The CPU must support AVX-512F, AVX2, FMA and F16C ([`has_avx512`]).
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
pub unsafe fn nf4_pairs_rows<const R: usize>(
    row: ScaledRow<'_, u8>,
    xs: &[&[f32]],
    out: &mut [f32],
) {
    let chunks = row.codes.len() / 16;
    let per_block = chunks_per_block::<R>(chunks, row.scales.len(), xs, out);
    let levels = _mm512_loadu_ps(LEVELS.as_ptr());
    let shifts = quad_shifts();
    let xs: [*const f32; R] = std::array::from_fn(|r| xs[r].as_ptr());
    let zero = [[_mm512_setzero_ps(); 2]; R];
    let (mut first, mut second) = (zero, zero);
    for (bi, &absmax) in row.scales.iter().enumerate() {
        let values = _mm512_mul_ps(levels, _mm512_set1_ps(absmax));
        // chunk `ci` into the accumulator pair `acc` (16 even-element lanes,
        // 16 odd-element lanes per row)
        let chunk = |acc: &mut [[__m512; 2]; R], ci: usize| {
            // SAFETY: chunk ci < chunks lies in `codes`, and every row holds
            // 32 · chunks values (asserted above)
            let p = row.codes.as_ptr().add(ci * 16);
            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(STREAM_PREFETCH_BYTES) as *const i8);
            let (low, high) = quad_nibbles(p, shifts);
            let even = _mm512_permutexvar_ps(high, values);
            let odd = _mm512_permutexvar_ps(low, values);
            for (a, x) in acc.iter_mut().zip(xs) {
                let x = x.add(ci * 32);
                a[0] = _mm512_fmadd_ps(_mm512_loadu_ps(x), even, a[0]);
                a[1] = _mm512_fmadd_ps(_mm512_loadu_ps(x.add(16)), odd, a[1]);
            }
        };
        let chunks = bi * per_block..(bi + 1) * per_block;
        // odd chunks always go to `second`, even with one chunk per block
        if chunks.start % 2 == 0 {
            alternating(chunks, &mut first, &mut second, chunk);
        } else {
            alternating(chunks, &mut second, &mut first, chunk);
        }
    }
    for r in 0..R {
        out[r] = _mm512_reduce_add_ps(sum_pairs(first[r], second[r]));
    }
}

/// NVFP4 codes (element `2i` in the LOW nibble of byte `i`, 8 bytes per
/// 16-value block) with one E4M3 scale byte per block, read through the
/// row's table of what each byte stands for (half the effective scale, as
/// the AVX2 kernel reads the doubled E2M1 values), against `R` activation
/// rows in [`super::qdot::Order::Pairs`]; an even number of blocks. Each 16
/// code bytes are two blocks: the lanes reading bytes 0..8 belong to the
/// first, the others to the second, so the chunk's sum is scaled by a
/// vector holding each lane's block scale.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2, FMA and F16C ([`has_avx512`]).
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
pub unsafe fn nvfp4_pairs_rows<const R: usize>(
    row: ByteScaledRow<'_>,
    xs: &[&[f32]],
    out: &mut [f32],
) {
    let nb = row.scale_codes.len();
    let scales = row.scale_values;
    assert!(nb.is_multiple_of(2) && row.codes.len() >= nb * 8);
    assert!(xs.len() == R && out.len() >= R);
    assert!(xs.iter().all(|x| x.len() >= nb * 16));
    let table = _mm512_loadu_ps(DOUBLED.map(f32::from).as_ptr());
    let shifts = quad_shifts();
    let chunk = |acc: &mut [__m512; R], c: usize| {
        // SAFETY: blocks 2c, 2c + 1 < nb lie in `codes` and `scales`, and
        // every row holds 16 · nb values (asserted above)
        let p = row.codes.as_ptr().add(c * 16);
        _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(STREAM_PREFETCH_BYTES) as *const i8);
        let (low, high) = quad_nibbles(p, shifts);
        let even = _mm512_permutexvar_ps(low, table);
        let odd = _mm512_permutexvar_ps(high, table);
        // lanes j with j % 4 >= 2 read bytes 8..16: the second block
        let scale = _mm512_mask_blend_ps(
            0xCCCC,
            _mm512_set1_ps(scales[row.scale_codes[2 * c] as usize]),
            _mm512_set1_ps(scales[row.scale_codes[2 * c + 1] as usize]),
        );
        for (a, x) in acc.iter_mut().zip(xs) {
            let x = x.as_ptr().add(c * 32);
            let s = _mm512_mul_ps(_mm512_loadu_ps(x), even);
            let s = _mm512_fmadd_ps(_mm512_loadu_ps(x.add(16)), odd, s);
            *a = _mm512_fmadd_ps(scale, s, *a);
        }
    };
    let (mut first, mut second) = ([_mm512_setzero_ps(); R], [_mm512_setzero_ps(); R]);
    alternating(0..nb / 2, &mut first, &mut second, chunk);
    for r in 0..R {
        out[r] = _mm512_reduce_add_ps(_mm512_add_ps(first[r], second[r]));
    }
}
