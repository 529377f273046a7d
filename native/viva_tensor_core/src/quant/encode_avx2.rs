//! AVX2 versions of the ggml block encoders (q8_0, q4_0), selected at run
//! time by CPU detection ([`has_encode_simd`]; never compiled in
//! with `target-cpu=native`).
//!
//! Why intrinsics: the portable encoders convert and pack one element at a
//! time (baseline x86-64 has no vector form of Rust's saturating float → int
//! casts), about 5.7 ns per value for q8_0 on one core of the development
//! machine (AMD EPYC), a tenth of the speed of copying the input. These
//! kernels handle 8 values per instruction and also take over the finiteness
//! check: the block's largest `|x|` is computed as an integer maximum over
//! the bit patterns, which is `≥ 0x7F80_0000` exactly when the block holds a
//! NaN or an infinity, so the input is read once instead of twice.
//!
//! Every kernel produces the same bytes as the portable encoder of its format
//! (the formulas are in the format's module doc); the tests below compare
//! them on random blocks and on the edge cases (zero blocks, signed zeros,
//! exact ties, tiny scales whose inverse overflows).
//!
//! Every function here requires AVX2, FMA and F16C; callers check
//! [`has_encode_simd`] first.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

/// The exponent field of an f32: `|x|` bits at or above it are NaN or ±inf.
pub(super) const EXP_BITS: u32 = 0x7F80_0000;

/// How far ahead of the value being read the encoders ask for input lines.
///
/// Why: the encoders are compute-heavy enough that the hardware prefetchers
/// alone left the core waiting on memory between bursts of arithmetic (on
/// the development machine, an AMD EPYC Zen 1, an NF4 pass over a 64 MiB
/// input ran at 1.7 GB/s single-threaded with them alone and 2.4 GB/s with
/// this prefetch; 3.3 → 3.9 GB/s on two threads). 4 KiB ahead measured as
/// well as 2 to 16 KiB and better than 1 KiB.
const PREFETCH_AHEAD_BYTES: usize = 4096;

/// Asks the cache for the input lines [`PREFETCH_AHEAD_BYTES`] past the
/// `values` f32s at `p`: called once for each stretch of input as it is
/// first read, so the lines a kernel is about to read are on their way.
///
/// Safe for any `p`: a prefetch is a hint that never faults, and the
/// addresses are formed with `wrapping_add`, so running past the end of the
/// input is neither an error nor undefined behaviour.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn prefetch_ahead(p: *const f32, values: usize) {
    let ahead = p.cast::<i8>().wrapping_add(PREFETCH_AHEAD_BYTES);
    // one request per 64-byte line (a stretch of 64 bytes not aligned to a
    // line touches two lines, and the next stretch's first request covers
    // the second)
    for off in (0..values * 4).step_by(64) {
        _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(off));
    }
}

/// [`load32`] of input read for the first time: also asks for the lines
/// [`PREFETCH_AHEAD_BYTES`] ahead ([`prefetch_ahead`]).
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn load32_ahead(p: *const f32) -> [__m256; 4] {
    prefetch_ahead(p, 32);
    load32(p)
}

/// 32 values at `p` as four vectors of 8.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn load32(p: *const f32) -> [__m256; 4] {
    [
        _mm256_loadu_ps(p),
        _mm256_loadu_ps(p.add(8)),
        _mm256_loadu_ps(p.add(16)),
        _mm256_loadu_ps(p.add(24)),
    ]
}

/// `|x|` as integer bit patterns (which order like the non-negative floats
/// they encode, infinity and NaN above every finite value).
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn abs_bits(v: __m256) -> __m256i {
    _mm256_and_si256(_mm256_castps_si256(v), _mm256_set1_epi32(0x7FFF_FFFF))
}

/// The largest `|x|` bit pattern of 32 values, in every lane.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn abs_bits_max(v: &[__m256; 4]) -> __m256i {
    let m = _mm256_max_epu32(
        _mm256_max_epu32(abs_bits(v[0]), abs_bits(v[1])),
        _mm256_max_epu32(abs_bits(v[2]), abs_bits(v[3])),
    );
    hmax_epu32(m)
}

/// The largest (unsigned) lane of `m`, in every lane.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn hmax_epu32(m: __m256i) -> __m256i {
    // fold the 8 lanes: swap 128-bit halves, then pairs, then neighbours
    let m = _mm256_max_epu32(m, _mm256_permute2x128_si256::<0x01>(m, m));
    let m = _mm256_max_epu32(m, _mm256_shuffle_epi32::<0b01_00_11_10>(m));
    _mm256_max_epu32(m, _mm256_shuffle_epi32::<0b10_11_00_01>(m))
}

/// Four vectors of 8 i32 in `-128..=127` as 32 bytes in element order.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn pack_i8(q: [__m256i; 4]) -> __m256i {
    // packs work within 128-bit lanes: the bytes come out as
    // [q0 0..4, q1 0..4, q2 0..4, q3 0..4 | q0 4..8, q1 4..8, ...]; the
    // permute restores element order
    let p01 = _mm256_packs_epi32(q[0], q[1]);
    let p23 = _mm256_packs_epi32(q[2], q[3]);
    let p = _mm256_packs_epi16(p01, p23);
    _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
}

/// Blocks handled together: their scales are computed as one vector (one
/// division instead of eight, no per-block horizontal reduction), which is
/// what lets the encoders run near memory speed.
pub(super) const GROUP: usize = 8;

/// Reduces 8 vectors with `op` (associative, commutative, lane-wise) so
/// that lane `b` of the result is `op` over the 8 lanes of `m[b]`: the
/// transpose-and-reduce of two unpack rounds and one 128-bit swap.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn group_reduce(
    m: [__m256i; GROUP],
    op: impl Fn(__m256i, __m256i) -> __m256i,
) -> __m256i {
    let pair =
        |a: __m256i, b: __m256i| op(_mm256_unpacklo_epi32(a, b), _mm256_unpackhi_epi32(a, b));
    let quad =
        |a: __m256i, b: __m256i| op(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));
    // 128-bit lane h of q0123 now holds blocks 0..4 reduced over their half h
    let q0123 = quad(pair(m[0], m[1]), pair(m[2], m[3]));
    let q4567 = quad(pair(m[4], m[5]), pair(m[6], m[7]));
    op(
        _mm256_permute2x128_si256::<0x20>(q0123, q4567),
        _mm256_permute2x128_si256::<0x31>(q0123, q4567),
    )
}

/// Lane-wise maximum of the `|x|` bit patterns of the `block` values at `p`
/// (their maximum is the block's absmax, and at or above `0x7F80_0000`
/// exactly when the block holds a NaN or an infinity).
///
/// This is the first read of the block's input, so it also prefetches
/// ([`load32_ahead`]).
///
/// # Safety
/// AVX2; `p .. p + block` readable, `block` a multiple of 32.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn block_abs_bits_max(p: *const f32, block: usize) -> __m256i {
    let mut m = _mm256_setzero_si256();
    for c in (0..block).step_by(32) {
        let v = load32_ahead(p.add(c));
        m = _mm256_max_epu32(
            m,
            _mm256_max_epu32(
                _mm256_max_epu32(abs_bits(v[0]), abs_bits(v[1])),
                _mm256_max_epu32(abs_bits(v[2]), abs_bits(v[3])),
            ),
        );
    }
    m
}

/// For 8 consecutive blocks of 32 values at `p`: lane `b` holds the largest
/// `|x|` bit pattern of block `b` (a first read: it prefetches).
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn group_abs_bits_max(p: *const f32) -> __m256i {
    group_block_abs_bits_max(p, 32)
}

/// For 8 consecutive blocks of `block` values at `p` (`block` a multiple of
/// 32): lane `b` holds the largest `|x|` bit pattern of block `b`, at or
/// above `0x7F80_0000` exactly when that block holds a NaN or an infinity
/// (a first read: it prefetches).
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn group_block_abs_bits_max(p: *const f32, block: usize) -> __m256i {
    let m = std::array::from_fn(|b| block_abs_bits_max(p.add(b * block), block));
    group_reduce(m, |a, b| _mm256_max_epu32(a, b))
}

/// Whether every lane of `bits` (|x| bit patterns) is finite.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn all_finite(bits: __m256i) -> bool {
    let bad = _mm256_cmpgt_epi32(bits, _mm256_set1_epi32(EXP_BITS as i32 - 1));
    _mm256_testz_si256(bad, bad) != 0
}

/// Per-block scales of a group from `d` (one lane per block): `d` as f16
/// bits (nearest-even, like `half::f16::from_f32`) and `id = d == 0 ? 0 :
/// 1 / d` (f32). Returns whether any `d` or `id` is infinite (those blocks
/// need the NaN-safe path).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn group_scales(d: __m256, d16: &mut [u16; GROUP], id: &mut [f32; GROUP]) -> bool {
    let nonzero = _mm256_cmp_ps::<_CMP_NEQ_OQ>(d, _mm256_setzero_ps());
    let inv = _mm256_and_ps(_mm256_div_ps(_mm256_set1_ps(1.0), d), nonzero);
    _mm_storeu_si128(
        d16.as_mut_ptr() as *mut __m128i,
        _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(d),
    );
    _mm256_storeu_ps(id.as_mut_ptr(), inv);
    let abs = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFF_FFFF));
    let inf = _mm256_set1_ps(f32::INFINITY);
    let bad = _mm256_or_ps(
        _mm256_cmp_ps::<_CMP_EQ_OQ>(_mm256_and_ps(inv, abs), inf),
        _mm256_cmp_ps::<_CMP_EQ_OQ>(_mm256_and_ps(d, abs), inf),
    );
    _mm256_movemask_ps(bad) != 0
}

/// `num / den` in every lane.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn div_by(num: __m256, den: f32) -> __m256 {
    _mm256_div_ps(num, _mm256_set1_ps(den))
}

/// Round half away from zero and convert to i32, for `|q| < 2^23` (every
/// product of the fast paths is at most the code range): truncating
/// `q ± pred(0.5)` rounds exactly like `roundf` (adding 0.5 itself would
/// round 0.49999997 up).
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn round_half_away_i32(q: __m256) -> __m256i {
    let sign = _mm256_and_ps(q, _mm256_set1_ps(-0.0));
    let half = _mm256_or_ps(_mm256_set1_ps(0.499_999_97), sign);
    _mm256_cvttps_epi32(_mm256_add_ps(q, half))
}

/// Q8_0 blocks: `x` holds whole blocks of 32 values, `out` 34 bytes per
/// block (layout in [`super::ggml_q8_0`]). Returns `false` if `x` holds a NaN
/// or an infinity (the bytes of that block are then unspecified).
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C ([`has_encode_simd`]).
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn q8_0_blocks(x: &[f32], out: &mut [u8]) -> bool {
    use super::ggml_q8_0::quantize_block;
    for_groups(x, out, 34, quantize_block, |p, amax, out| {
        let (mut d16, mut id) = ([0u16; GROUP], [0f32; GROUP]);
        let amax = _mm256_castsi256_ps(amax);
        if group_scales(div_by(amax, 127.0), &mut d16, &mut id) {
            // 1 / d overflowed: the portable encoder's NaN handling
            group_portable(p, out, 34, quantize_block);
            return;
        }
        for (b, o) in out.chunks_exact_mut(34).enumerate() {
            o[..2].copy_from_slice(&d16[b].to_le_bytes());
            let idv = _mm256_set1_ps(id[b]);
            let v = load32(p.add(b * 32));
            // |x · id| <= 127 (plus rounding), so no clamp is needed: the
            // saturating packs would catch anything beyond ±127.5 anyway
            let q = std::array::from_fn(|c| round_half_away_i32(_mm256_mul_ps(v[c], idv)));
            // SAFETY: o[2..34] is 32 writable bytes
            _mm256_storeu_si256(o.as_mut_ptr().add(2) as *mut __m256i, pack_i8(q));
        }
    })
}

/// The value of largest `|x|` among the 32 at `p` (the first one on ties,
/// sign kept), given their largest `|x|` bits in every lane of `amax`; as
/// [`super::ggml_q4_0::signed_absmax`].
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn first_of_max(v: &[__m256; 4], amax: __m256i, p: *const f32) -> f32 {
    let mut mask = 0u32;
    for (c, &vc) in v.iter().enumerate() {
        let eq = _mm256_cmpeq_epi32(abs_bits(vc), amax);
        mask |= (_mm256_movemask_ps(_mm256_castsi256_ps(eq)) as u32) << (8 * c);
    }
    // SAFETY: some lane equals the maximum, so the index is below 32
    *p.add(mask.trailing_zeros() as usize)
}

/// Packs 32 codes `0..=15` (as four vectors of 8 i32, elements 0..32) into
/// ggml's 16 bytes: byte `j` = code `j` | code `j + 16` << 4.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn pack_nibbles(c: [__m256i; 4]) -> __m128i {
    let lo = _mm256_or_si256(c[0], _mm256_slli_epi32::<4>(c[2]));
    let hi = _mm256_or_si256(c[1], _mm256_slli_epi32::<4>(c[3]));
    let w = _mm256_packs_epi32(lo, hi); // [lo 0..4, hi 0..4 | lo 4..8, hi 4..8]
    let w = _mm256_packus_epi16(w, w);
    let w = _mm256_permutevar8x32_epi32(w, _mm256_setr_epi32(0, 4, 1, 5, 0, 0, 0, 0));
    _mm256_castsi256_si128(w)
}

/// ggml's Q4_0 / Q5_0 code before clipping, `trunc(f32(f64(v) · f64(id) +
/// bias))` with `bias` 8.5 or 16.5, for 8 values whose product `v · id` is
/// finite and at most 8 (Q4_0) or 16 (Q5_0) times `1 + 2⁻²⁰` in magnitude,
/// computed as `trunc(fma(v, id, bias))` in f32. The f64 product is exact
/// (48 significant bits), so the reference rounds the exact `s = v · id +
/// bias` twice (f64, then f32) where the FMA rounds it once; the two can
/// truncate differently only if the f64 rounding lands exactly on the f32
/// midpoint `k − ulp/2` below an integer `k` from a sum that lies below it.
///
/// Q4_0: that target, `v · id = k − 8.5 − ulp/2`, has magnitude ≥ ¼, and
/// an exact product of that magnitude is a multiple of 2⁻⁴⁹, while f64's
/// half-ulp below 16 is at most 2⁻⁵⁰: the product is either on the target
/// or too far from it to round onto it.
///
/// Q5_0: where `|v · id| ≥ ½` the product is a multiple of 2⁻⁴⁸ (2⁻⁴⁴ from
/// 15.5 on), and so is the sum, which f64 then holds exactly (its ulp is
/// 2⁻⁴⁸ below 32, 2⁻⁴⁷ up to 64): one rounding either way. Otherwise `s`
/// lies in (16, 17), whose only integer boundary above is 17, with midpoint
/// `m = 17 − 2⁻²⁰`; f64 rounds a sum below `m` onto it only from `[m −
/// 2⁻⁴⁹, m)`, and a product below ½ is a multiple of 2⁻⁴⁹ (exponents summing
/// to −3) or coarser, so only `v · id = ½ − 2⁻²⁰ − 2⁻⁴⁹` would do: two
/// 24-bit significands whose product is `2⁴⁸ − 2²⁹ − 1`, a prime, so no
/// such pair exists (`q5_0_double_rounding_needs_a_prime_product` checks
/// that and the codes around every boundary).
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn ggml_fma_codes(v: __m256, id: __m256, bias: __m256) -> __m256i {
    _mm256_cvttps_epi32(_mm256_fmadd_ps(v, id, bias))
}

/// The signed maxima (first value of largest `|x|` per block, as
/// [`super::ggml_q4_0::signed_absmax`]) of 8 blocks at `p`, given their
/// `|x|` maxima per lane.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn group_signed_max(p: *const f32, amax: __m256i) -> __m256 {
    let mut m = [0f32; GROUP];
    for (b, mb) in m.iter_mut().enumerate() {
        let lane = _mm256_permutevar8x32_epi32(amax, _mm256_set1_epi32(b as i32));
        *mb = first_of_max(&load32(p.add(b * 32)), lane, p.add(b * 32));
    }
    _mm256_loadu_ps(m.as_ptr())
}

/// Q4_0 blocks: `x` holds whole blocks of 32 values, `out` 18 bytes per
/// block (layout in [`super::ggml_q4_0`]). Returns `false` if `x` holds a NaN
/// or an infinity (the bytes of that block are then unspecified).
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C ([`has_encode_simd`]).
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn q4_0_blocks(x: &[f32], out: &mut [u8]) -> bool {
    use super::ggml_q4_0::encode_block;
    let bias = _mm256_set1_ps(8.5);
    let fifteen = _mm256_set1_epi32(15);
    for_groups(x, out, 18, encode_block, |p, amax, out| {
        let (mut d16, mut id) = ([0u16; GROUP], [0f32; GROUP]);
        if group_scales(div_by(group_signed_max(p, amax), -8.0), &mut d16, &mut id) {
            // 1 / d overflowed: the portable encoder's NaN handling
            group_portable(p, out, 18, encode_block);
            return;
        }
        for (b, o) in out.chunks_exact_mut(18).enumerate() {
            o[..2].copy_from_slice(&d16[b].to_le_bytes());
            let idv = _mm256_set1_ps(id[b]);
            let v = load32(p.add(b * 32));
            // x · id lies in [-8, 8] (plus rounding): t in [0.5, 16.5], so
            // only the top needs clipping
            let c =
                std::array::from_fn(|i| _mm256_min_epi32(ggml_fma_codes(v[i], idv, bias), fifteen));
            // SAFETY: o[2..18] is 16 writable bytes
            _mm_storeu_si128(o.as_mut_ptr().add(2) as *mut __m128i, pack_nibbles(c));
        }
    })
}

/// Blocks `g..g + 8` of a run (as `p`, the first value) through the
/// portable per-block encoder `block` into `out` (`bytes` per block), for
/// groups that the fast arithmetic does not cover.
#[inline]
unsafe fn group_portable(
    p: *const f32,
    out: &mut [u8],
    bytes: usize,
    block: fn(&[f32], &mut [u8]),
) {
    for (b, o) in out.chunks_exact_mut(bytes).enumerate() {
        // SAFETY (caller): the 8 blocks at p are in bounds
        block(std::slice::from_raw_parts(p.add(b * 32), 32), o);
    }
}

/// Runs the group kernel `group(p, amax, out)` over the whole groups of 8
/// blocks of a run and the portable `block` encoder over the rest, with the
/// finiteness check; returns `false` if a NaN or an infinity was seen.
/// `amax` is the group's [`group_abs_bits_max`] (all finite), computed once
/// for the check and handed on, so the kernels do not reduce it again.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn for_groups(
    x: &[f32],
    out: &mut [u8],
    bytes: usize,
    block: fn(&[f32], &mut [u8]),
    group: impl Fn(*const f32, __m256i, &mut [u8]),
) -> bool {
    let nb = x.len() / 32;
    assert!(x.len() == nb * 32 && out.len() == nb * bytes);
    let mut finite = true;
    let mut g = 0;
    while g < nb {
        let n = GROUP.min(nb - g);
        let p = x.as_ptr().add(g * 32);
        let o = &mut out[g * bytes..(g + n) * bytes];
        if n == GROUP {
            // SAFETY: blocks g..g+8 are in bounds (asserted above)
            let amax = group_abs_bits_max(p);
            if all_finite(amax) {
                group(p, amax, o);
            } else {
                finite = false;
            }
        } else {
            let xs = &x[g * 32..(g + n) * 32];
            if xs.iter().all(|v| v.is_finite()) {
                group_portable(p, o, bytes, block);
            } else {
                finite = false;
            }
        }
        g += n;
    }
    finite
}

/// Q4_1 blocks: `x` holds whole blocks of 32 values, `out` 20 bytes per
/// block (layout in [`super::ggml_q4_1`]). Returns `false` if `x` holds a NaN
/// or an infinity (the bytes of that block are then unspecified).
///
/// Groups whose maximum or minimum is ±0 (where the portable encoder keeps
/// the sign of the first zero it met, which lane-wise max/min do not) or
/// whose `d` or `1 / d` is infinite go through the portable block encoder.
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C ([`has_encode_simd`]).
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn q4_1_blocks(x: &[f32], out: &mut [u8]) -> bool {
    use super::ggml_q4_1::encode_block;
    let half = _mm256_set1_ps(0.5);
    let fifteen = _mm256_set1_epi32(15);
    for_groups(x, out, 20, encode_block, |p, _amax, out| {
        let ext: [(__m256i, __m256i); GROUP] = std::array::from_fn(|b| {
            let v = load32(p.add(b * 32));
            let mx = _mm256_max_ps(_mm256_max_ps(v[0], v[1]), _mm256_max_ps(v[2], v[3]));
            let mn = _mm256_min_ps(_mm256_min_ps(v[0], v[1]), _mm256_min_ps(v[2], v[3]));
            (_mm256_castps_si256(mx), _mm256_castps_si256(mn))
        });
        let fmax = |a: __m256i, b: __m256i| {
            _mm256_castps_si256(_mm256_max_ps(
                _mm256_castsi256_ps(a),
                _mm256_castsi256_ps(b),
            ))
        };
        let fmin = |a: __m256i, b: __m256i| {
            _mm256_castps_si256(_mm256_min_ps(
                _mm256_castsi256_ps(a),
                _mm256_castsi256_ps(b),
            ))
        };
        let max = _mm256_castsi256_ps(group_reduce(ext.map(|e| e.0), fmax));
        let min = _mm256_castsi256_ps(group_reduce(ext.map(|e| e.1), fmin));
        let zero = _mm256_setzero_ps();
        let signed_zero = _mm256_or_ps(
            _mm256_cmp_ps::<_CMP_EQ_OQ>(max, zero),
            _mm256_cmp_ps::<_CMP_EQ_OQ>(min, zero),
        );
        let (mut d16, mut id) = ([0u16; GROUP], [0f32; GROUP]);
        let bad = group_scales(div_by(_mm256_sub_ps(max, min), 15.0), &mut d16, &mut id);
        if bad || _mm256_movemask_ps(signed_zero) != 0 {
            group_portable(p, out, 20, encode_block);
            return;
        }
        let mut m16 = [0u16; GROUP];
        _mm_storeu_si128(
            m16.as_mut_ptr() as *mut __m128i,
            _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(min),
        );
        let mut mins = [0f32; GROUP];
        _mm256_storeu_ps(mins.as_mut_ptr(), min);
        for (b, o) in out.chunks_exact_mut(20).enumerate() {
            o[..2].copy_from_slice(&d16[b].to_le_bytes());
            o[2..4].copy_from_slice(&m16[b].to_le_bytes());
            let (idv, mv) = (_mm256_set1_ps(id[b]), _mm256_set1_ps(mins[b]));
            let v = load32(p.add(b * 32));
            // (x - min) · id + 0.5, rounded after each op like the portable
            // code (no FMA); it lies in [0.5, 15.5] plus rounding
            let c = std::array::from_fn(|i| {
                let t = _mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(v[i], mv), idv), half);
                _mm256_min_epi32(_mm256_cvttps_epi32(t), fifteen)
            });
            // SAFETY: o[4..20] is 16 writable bytes
            _mm_storeu_si128(o.as_mut_ptr().add(4) as *mut __m128i, pack_nibbles(c));
        }
    })
}

/// Q5_0 blocks: `x` holds whole blocks of 32 values, `out` 22 bytes per
/// block (layout in [`super::ggml_q5_0`]). Returns `false` if `x` holds a NaN
/// or an infinity (the bytes of that block are then unspecified).
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C ([`has_encode_simd`]).
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn q5_0_blocks(x: &[f32], out: &mut [u8]) -> bool {
    use super::ggml_q5_0::encode_block;
    let low4 = _mm256_set1_epi32(0x0F);
    let bias = _mm256_set1_ps(16.5);
    let top = _mm256_set1_epi32(31);
    for_groups(x, out, 22, encode_block, |p, amax, out| {
        let (mut d16, mut id) = ([0u16; GROUP], [0f32; GROUP]);
        if group_scales(div_by(group_signed_max(p, amax), -16.0), &mut d16, &mut id) {
            group_portable(p, out, 22, encode_block);
            return;
        }
        for (b, o) in out.chunks_exact_mut(22).enumerate() {
            o[..2].copy_from_slice(&d16[b].to_le_bytes());
            let idv = _mm256_set1_ps(id[b]);
            let v = load32(p.add(b * 32));
            // x · id lies in [-16, 16] (plus rounding): t in [0.5, 32.5], so
            // only the top needs clipping
            let c: [__m256i; 4] =
                std::array::from_fn(|i| _mm256_min_epi32(ggml_fma_codes(v[i], idv, bias), top));
            // bit 4 of code i → bit i of qh (via the sign bit and movemask)
            let mut qh = 0u32;
            for (i, &ci) in c.iter().enumerate() {
                let top = _mm256_castsi256_ps(_mm256_slli_epi32::<27>(ci));
                qh |= (_mm256_movemask_ps(top) as u32) << (8 * i);
            }
            o[2..6].copy_from_slice(&qh.to_le_bytes());
            let lo = c.map(|ci| _mm256_and_si256(ci, low4));
            // SAFETY: o[6..22] is 16 writable bytes
            _mm_storeu_si128(o.as_mut_ptr().add(6) as *mut __m128i, pack_nibbles(lo));
        }
    })
}

/// Whether this CPU runs the AVX2 encoders (AVX2, FMA and F16C).
pub fn has_encode_simd() -> bool {
    super::qdot::has_avx2_fma() && std::is_x86_feature_detected!("f16c")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::{ggml_q4_0, ggml_q4_1, ggml_q5_0, ggml_q8_0};
    use proptest::prelude::*;

    /// Blocks that exercise the edge cases of both encoders.
    fn edge_blocks() -> Vec<f32> {
        let mut x = Vec::new();
        x.extend([0.0f32; 32]); // zero block
        x.extend((0..32).map(|i| if i == 0 { -0.0 } else { 0.0 })); // signed zero first
        x.extend((0..32).map(|i| i as f32 - 16.0)); // integers, exact ties after scaling
        x.extend((0..32).map(|i| (i as f32 - 15.5) * 127.0 / 15.5)); // q8 ties
        x.extend((0..32).map(|i| if i % 2 == 0 { 3.0 } else { -3.0 })); // ± ties of max
        x.extend((0..32).map(|i| (i as f32) * 1e-39)); // subnormal: 1/d overflows
        x.extend((0..32).map(|i| (i as f32 - 16.0) * 3.2e-39)); // subnormal d, finite 1/d
        x.extend((0..32).map(|i| if i == 7 { 1e-40 } else { 0.0 })); // one tiny value
        x.extend((0..32).map(|i| (i as f32 - 10.0) * 1e30)); // huge
        x.extend((0..32).map(|i| if i % 3 == 0 { 3e38 } else { -3e38 })); // max - min overflows
        x.extend((0..32).map(|i| if i == 5 { -0.0 } else { i as f32 })); // q4_1 min is -0
        x.extend((0..32).map(|i| -(i as f32))); // q4_1 max is 0
        x.extend((0..32).map(|i| 1.0 + i as f32 * 1e-7)); // narrow range
        x.extend([7.5f32; 32]); // constant block: d = 0
        x
    }

    fn check_same(x: &[f32]) {
        let n = x.len() / 32 * 32;
        let x = &x[..n];
        let mut o8 = vec![0u8; n / 32 * 34];
        let mut o4 = vec![0u8; n / 32 * 18];
        // SAFETY: the callers check has_encode_simd()
        unsafe {
            assert!(q8_0_blocks(x, &mut o8));
            assert!(q4_0_blocks(x, &mut o4));
        }
        assert_eq!(o8, ggml_q8_0::quantize_portable(x).unwrap(), "q8_0");
        assert_eq!(o4, ggml_q4_0::quantize_portable(x).unwrap(), "q4_0");
        let mut o41 = vec![0u8; n / 32 * 20];
        let mut o5 = vec![0u8; n / 32 * 22];
        // SAFETY: the callers check has_encode_simd()
        unsafe {
            assert!(q4_1_blocks(x, &mut o41));
            assert!(q5_0_blocks(x, &mut o5));
        }
        assert_eq!(o41, ggml_q4_1::quantize_portable(x).unwrap(), "q4_1");
        assert_eq!(o5, ggml_q5_0::quantize_portable(x).unwrap(), "q5_0");
    }

    #[test]
    fn edge_cases_match_portable() {
        if !has_encode_simd() {
            return;
        }
        let x = edge_blocks();
        check_same(&x);
        // each edge block alone in a group of 8, so no other block sends the
        // group down the portable path
        for b in x.chunks(32) {
            check_same(&b.repeat(GROUP));
        }
    }

    #[test]
    fn non_finite_is_reported() {
        if !has_encode_simd() {
            return;
        }
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut x = vec![1.0f32; 64];
            x[40] = bad;
            // SAFETY: has_encode_simd() checked above
            unsafe {
                assert!(!q8_0_blocks(&x, &mut [0u8; 68]));
                assert!(!q4_0_blocks(&x, &mut [0u8; 36]));
                assert!(!q4_1_blocks(&x, &mut [0u8; 40]));
                assert!(!q5_0_blocks(&x, &mut [0u8; 44]));
            }
        }
    }

    /// Products right around every truncation boundary `k − bias − ulp/2`
    /// (`k` = 1..=`kmax`, `ulp` that of the f32 just below `k`), for random
    /// `id` of either sign in [2⁻³, 2³): the single rounding of
    /// `ggml_fma_codes` truncates as the reference's double rounding.
    fn check_fma_codes_near_boundaries(bias: f32, kmax: u64) {
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut checked = 0;
        for _ in 0..20_000 {
            let id = f32::from_bits(0x3E00_0000 + (next() % 0x0300_0000) as u32)
                * if next() % 2 == 0 { 1.0 } else { -1.0 };
            let k = 1 + (next() % kmax) as i32;
            // the f32 just below k lies in [2^j, 2^(j+1)) with 2^j < k ≤ 2^(j+1)
            let ulp = (2f64).powi((k as f64).log2().ceil() as i32 - 1 - 23);
            let target = k as f64 - bias as f64 - ulp / 2.0;
            let v0 = (target / id as f64) as f32;
            for step in -3i32..=3 {
                let v = f32::from_bits((v0.to_bits() as i32 + step) as u32);
                let reference = ((v as f64) * (id as f64) + bias as f64) as f32;
                let single = v.mul_add(id, bias);
                assert_eq!(reference.trunc(), single.trunc(), "v={v:e} id={id:e}");
                checked += 1;
            }
        }
        assert_eq!(checked, 140_000);
    }

    /// The Q4_0 claim behind `ggml_fma_codes`.
    #[test]
    fn f32_fma_code_matches_f64() {
        check_fma_codes_near_boundaries(8.5, 16);
    }

    /// The Q5_0 claim behind `ggml_fma_codes`: no two 24-bit significands
    /// multiply to `2⁴⁸ − 2²⁹ − 1` (the one product whose f64 sum would
    /// round onto the midpoint below 17), and the codes agree around every
    /// boundary.
    #[test]
    fn q5_0_double_rounding_needs_a_prime_product() {
        let n: u64 = (1 << 48) - (1 << 29) - 1;
        let lo = 1u64 << 23;
        let hi = 1u64 << 24;
        assert!((lo..hi).all(|a| !n.is_multiple_of(a) || !(lo..hi).contains(&(n / a))));
        // and that product is the one: its exact sum m − 2⁻⁴⁹ lies below m
        // (so one f32 rounding gives 17 − 2⁻¹⁹) and is an f64 tie that
        // rounds onto m (so the reference then rounds to 17)
        let p = n as f64 * (2f64).powi(-49);
        let m = 17.0 - (2f64).powi(-20);
        assert_eq!(p + 16.5, m);
        check_fma_codes_near_boundaries(16.5, 32);
    }

    proptest! {
        #[test]
        fn random_blocks_match_portable(
            x in proptest::collection::vec(-1e3f32..1e3, 32..320),
            scale in prop_oneof![Just(1.0f32), Just(1e-20), Just(1e20), Just(0.02)],
        ) {
            if has_encode_simd() {
                let x: Vec<f32> = x.iter().map(|v| v * scale).collect();
                check_same(&x);
            }
        }
    }
}
