//! The AVX-512 (four-block VBMI + VNNI, two-block VNNI) and AVX2 versions
//! of [`super::q8_dot::dot_rows`]
//! (the module doc there says how they work and why).

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

use super::e2m1::DOUBLED;
use super::q8_activations::{Q8Activations, GROUP};
use super::q8_dot::format_ids::{kind, MXFP4, Q4_0, Q8_0};
use super::q8_dot::BLOCK;
use super::qdot_avx2::STREAM_PREFETCH_BYTES;
use super::qdot_avx512::{e8m0_halves, f16_values, le_u16};

/// The per-block scale table of format `F`, indexed by its header bytes
/// ([`header`]): f16 → f32 for q4_0 and q8_0, E8M0 → half the scale for
/// MXFP4. A load from it is the broadcast operand of a vector op, where
/// converting costs vector work.
fn scale_table(f: u8) -> &'static [f32] {
    if f == MXFP4 {
        e8m0_halves()
    } else {
        f16_values()
    }
}

/// The index into [`scale_table`] of the block at `b`.
///
/// # Safety
/// The block's header bytes readable at `b`.
#[inline(always)]
unsafe fn header(f: u8, b: *const u8) -> usize {
    if f == MXFP4 {
        *b as usize
    } else {
        le_u16(b)
    }
}

/// The doubled E2M1 values plus `bias` as a byte table for `vpshufb`.
fn e2m1_bytes(bias: i32) -> [u8; 16] {
    DOUBLED.map(|v| (v as i32 + bias) as u8)
}

/// The body of [`row_vnni_gfni`] and [`row_vnni`], written out in each
/// (a macro, not a function: an inlined function without their target
/// features kept every intrinsic an out-of-line call, 20x slower).
macro_rules! vnni_body {
    ($gfni:expr, $weights:ident, $x:ident, $b0:ident, $out:ident, $stride:ident) => {{
        let (weights, x, b0, out, stride): (&[u8], &Q8Activations, usize, &mut [f32], usize) =
            ($weights, $x, $b0, $out, $stride);
        let (bytes, at) = (kind(F).block_bytes(), kind(F).codes_at());
        let blocks = x.len() / BLOCK;
        let scales = scale_table(F);
        let rows: [(&[i8], &[i32], &[f32]); R] = std::array::from_fn(|b| x.padded_row(b0 + b));
        let nibble = _mm512_set1_epi8(0x0F);
        let flip = _mm512_set1_epi8(i8::MIN);
        // bit matrices: row (7 - i) of a qword gives output bit i
        const LOW: i64 = 0x0102_0408_0000_0000;
        const HIGH: i64 = 0x1020_4080_0000_0000;
        let split = _mm512_setr_epi64(LOW, LOW, HIGH, HIGH, LOW, LOW, HIGH, HIGH);
        let lut = _mm512_broadcast_i32x4(_mm_loadu_si128(e2m1_bytes(128).as_ptr() as *const _));
        let step = |acc: &mut [__m512; R], a: *const u8, c: *const u8, pair: usize| {
            _mm_prefetch::<_MM_HINT_T0>(a.wrapping_add(STREAM_PREFETCH_BYTES) as *const i8);
            // the 64 unsigned values of blocks a and c, in element order
            let u = if F == Q8_0 {
                let lo = _mm256_loadu_si256(a.add(at) as *const __m256i);
                let hi = _mm256_loadu_si256(c.add(at) as *const __m256i);
                _mm512_xor_si512(
                    _mm512_inserti64x4::<1>(_mm512_castsi256_si512(lo), hi),
                    flip,
                )
            } else {
                let lane = |p: *const u8| {
                    _mm256_broadcastsi128_si256(_mm_loadu_si128(p.add(at) as *const __m128i))
                };
                let v = _mm512_inserti64x4::<1>(_mm512_castsi256_si512(lane(a)), lane(c));
                let v = if $gfni {
                    _mm512_gf2p8affine_epi64_epi8::<0>(v, split)
                } else {
                    _mm512_and_si512(_mm512_mask_srli_epi16::<4>(v, 0xFF00_FF00, v), nibble)
                };
                if F == MXFP4 {
                    _mm512_shuffle_epi8(lut, v)
                } else {
                    v
                }
            };
            let sw = _mm512_mask_mov_ps(
                _mm512_set1_ps(*scales.get_unchecked(header(F, a))),
                0xFF00,
                _mm512_set1_ps(*scales.get_unchecked(header(F, c))),
            );
            for (acc, (codes, bias, dx)) in acc.iter_mut().zip(&rows) {
                let dot = _mm512_dpbusd_epi32(
                    _mm512_load_si512(bias.as_ptr().add(16 * pair) as *const _),
                    u,
                    _mm512_load_si512(codes.as_ptr().add(64 * pair) as *const _),
                );
                let s = _mm512_mul_ps(sw, _mm512_load_ps(dx.as_ptr().add(16 * pair)));
                *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), s, *acc);
            }
        };
        for (row, out) in weights
            .chunks_exact(blocks * bytes)
            .zip(out.chunks_mut(stride))
        {
            let (mut first, mut second) = ([_mm512_setzero_ps(); R], [_mm512_setzero_ps(); R]);
            let mut a = row.as_ptr();
            let mut pair = 0;
            while pair + 2 <= blocks / 2 {
                step(&mut first, a, a.add(bytes), pair);
                step(&mut second, a.add(2 * bytes), a.add(3 * bytes), pair + 1);
                a = a.add(4 * bytes);
                pair += 2;
            }
            if pair < blocks / 2 {
                step(&mut first, a, a.add(bytes), pair);
                a = a.add(2 * bytes);
                pair += 1;
            }
            if blocks % 2 == 1 {
                step(&mut second, a, a, pair);
            }
            for (o, (f, s)) in out.iter_mut().zip(first.iter().zip(&second)) {
                *o = _mm512_reduce_add_ps(_mm512_add_ps(*f, *s));
            }
        }
    }};
}

/// For each weight row `r` of `weights` (whole rows of `x.len() / 32`
/// blocks of `F`) and activation row `b0 + i`, `i < R`:
/// `out[r · stride + i]`. Two blocks per step,
/// `vpdpbusd` of their unsigned values `v + bias` (q4_0 nibbles as they
/// are; q8_0 with the sign bit flipped; MXFP4 through a `vpshufb` table)
/// with the codes, each lane starting from its `−bias · Σ c`; then one
/// convert and one FMA by the lanes' `scale · dx` into one of two
/// accumulators per row (alternating, so no FMA waits on the last). An odd
/// last block is paired with itself against the row's zero padding.
///
/// The nibbles of a pair of 4-bit blocks arrive as 128-bit lanes `a a c c`;
/// with `GFNI` one `vgf2p8affineqb` keeps the low nibble of lanes 0 and 2
/// and moves the high nibble down in lanes 1 and 3 (a per-qword bit
/// matrix), where a shift and a mask take two operations.
///
/// # Safety
/// AVX-512F, BW and VNNI, and GFNI; `weights` is whole rows; rows
/// `b0..b0 + R` exist in `x`; `out` holds `(rows − 1) · stride + R`
/// values and `stride >= R`.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,gfni")]
pub(super) unsafe fn row_vnni_gfni<const F: u8, const R: usize>(
    weights: &[u8],
    x: &Q8Activations,
    b0: usize,
    out: &mut [f32],
    stride: usize,
) {
    vnni_body!(true, weights, x, b0, out, stride)
}

/// [`row_vnni_gfni`] for CPUs without GFNI (Cascade Lake): a masked shift
/// and a mask instead. A function of its own, so that the compiler cannot
/// use GFNI for anything here.
///
/// # Safety
/// As [`row_vnni_gfni`], without GFNI.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub(super) unsafe fn row_vnni<const F: u8, const R: usize>(
    weights: &[u8],
    x: &Q8Activations,
    b0: usize,
    out: &mut [f32],
    stride: usize,
) {
    vnni_body!(false, weights, x, b0, out, stride)
}

/// The body of [`row_quads_gfni`] and [`row_quads`] (a macro for the
/// same reason as [`vnni_body`]).
macro_rules! quads_body {
    ($gfni:expr, $weights:ident, $x:ident, $b0:ident, $out:ident, $stride:ident) => {{
        let (weights, x, b0, out, stride): (&[u8], &Q8Activations, usize, &mut [f32], usize) =
            ($weights, $x, $b0, $out, $stride);
        debug_assert!(F == Q4_0 || F == MXFP4);
        let (bytes, at) = (kind(F).block_bytes(), kind(F).codes_at());
        let blocks = x.len() / BLOCK;
        let rows: [(&[i8], &[i32], &[f32]); R] = std::array::from_fn(|b| x.padded_row(b0 + b));
        let nibble = _mm512_set1_epi8(0x0F);
        // bit matrix: row (7 - i) of a qword gives output bit i; the high
        // nibble moved down
        let high = _mm512_set1_epi64(0x1020_4080_0000_0000);
        let lut = _mm512_broadcast_i32x4(_mm_loadu_si128(e2m1_bytes(128).as_ptr() as *const _));
        // byte t of the gathered codes: block t / 16's code byte t % 16,
        // from the 64 + 8 bytes the group's loads hold
        let gather: [u8; 64] = std::array::from_fn(|t| (at + t / 16 * bytes + t % 16) as u8);
        let gather = _mm512_loadu_si512(gather.as_ptr() as *const _);
        // q4_0's f16 scales at bytes 0, 18, 36, 54 (words 0, 9, 18, 27),
        // each repeated in the 4 lanes of its block
        let d_words: [u16; 32] = std::array::from_fn(|t| (t / 4 * 9) as u16);
        let d_words = _mm512_loadu_si512(d_words.as_ptr() as *const _);
        // MXFP4's exponent bytes at 0, 17, 34, 51, for byte 0 of each lane
        let e_bytes: [u8; 64] = std::array::from_fn(|t| (t / 16 * 17) as u8);
        let e_bytes = _mm512_loadu_si512(e_bytes.as_ptr() as *const _);
        let step = |acc: &mut [__m512; R], p: *const u8, group: usize| {
            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(STREAM_PREFETCH_BYTES) as *const i8);
            let v0 = _mm512_loadu_si512(p as *const _);
            // the group's last bytes past the first 64: 8 for q4_0 (72 in
            // all), 4 for MXFP4 (68), read no further than the group
            let v1 = if F == Q4_0 {
                _mm512_zextsi128_si512(_mm_loadl_epi64(p.add(64) as *const __m128i))
            } else {
                _mm512_zextsi128_si512(_mm_cvtsi32_si128(
                    (p.add(64) as *const i32).read_unaligned(),
                ))
            };
            let codes = _mm512_permutex2var_epi8(v0, gather, v1);
            let lo = _mm512_and_si512(codes, nibble);
            let hi = if $gfni {
                _mm512_gf2p8affine_epi64_epi8::<0>(codes, high)
            } else {
                _mm512_and_si512(_mm512_srli_epi16::<4>(codes), nibble)
            };
            let (lo, hi) = if F == MXFP4 {
                (_mm512_shuffle_epi8(lut, lo), _mm512_shuffle_epi8(lut, hi))
            } else {
                (lo, hi)
            };
            let sw = if F == Q4_0 {
                _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi16(
                    d_words, v0,
                )))
            } else {
                // MXFP4: the E8M0 bytes at 0, 17, 34, 51, zero-extended
                // into the lanes of their blocks; half the scale is
                // 2^(e - 128), exact from vscalefps (subnormal for e < 2)
                let e = _mm512_maskz_permutexvar_epi8(0x1111_1111_1111_1111, e_bytes, v0);
                let n = _mm512_cvtepi32_ps(_mm512_sub_epi32(e, _mm512_set1_epi32(128)));
                _mm512_scalef_ps(_mm512_set1_ps(1.0), n)
            };
            for (acc, (codes, bias, dx)) in acc.iter_mut().zip(&rows) {
                let c = codes.as_ptr().add(GROUP * group);
                let dot = _mm512_dpbusd_epi32(
                    _mm512_load_si512(bias.as_ptr().add(16 * group) as *const _),
                    lo,
                    _mm512_load_si512(c as *const _),
                );
                let dot = _mm512_dpbusd_epi32(dot, hi, _mm512_load_si512(c.add(64) as *const _));
                let s = _mm512_mul_ps(sw, _mm512_load_ps(dx.as_ptr().add(16 * group)));
                *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), s, *acc);
            }
        };
        let full = blocks / 4;
        for (row, out) in weights
            .chunks_exact(blocks * bytes)
            .zip(out.chunks_mut(stride))
        {
            let (mut first, mut second) = ([_mm512_setzero_ps(); R], [_mm512_setzero_ps(); R]);
            let p = row.as_ptr();
            let mut group = 0;
            while group + 2 <= full {
                step(&mut first, p.add(4 * group * bytes), group);
                step(&mut second, p.add(4 * (group + 1) * bytes), group + 1);
                group += 2;
            }
            if group < full {
                step(&mut first, p.add(4 * group * bytes), group);
                group += 1;
            }
            if blocks % 4 != 0 {
                // the last 1..3 blocks, zero-padded to a group: a zero
                // block's values meet zero activation codes
                let mut tail = [0u8; 4 * 18 + 8];
                let have = &row[4 * group * bytes..];
                tail[..have.len()].copy_from_slice(have);
                step(&mut second, tail.as_ptr(), group);
            }
            for (o, (f, s)) in out.iter_mut().zip(first.iter().zip(&second)) {
                *o = _mm512_reduce_add_ps(_mm512_add_ps(*f, *s));
            }
        }
    }};
}

/// For each weight row `r` of `weights` (whole rows of q4_0 or MXFP4
/// blocks) and activation row `b0 + i`, `i < R`, in the quad layout
/// ([`super::q8_activations::Layout::Quads`]): `out[r · stride + i]`. Four
/// blocks per step: one `vpermt2b` gathers their 64 code bytes from the
/// group's 72 (68) bytes, one `vpand` and one `vgf2p8affineqb` split low and
/// high nibbles (MXFP4: then a `vpshufb` table each), two `vpdpbusd` add
/// both into the same 16 lanes (4 per block), and one convert, one multiply
/// and one FMA apply `scale · dx` for all four (their scales from the
/// bytes already loaded: q4_0's f16 by one `vpermw` and one `vcvtph2ps`,
/// MXFP4's E8M0 by one `vpermb`, a subtraction, a conversion and one
/// `vscalefps`; table lookups here compiled to byte extractions). Per 64
/// weights that is 5.5 vector operations where [`row_vnni_gfni`] takes 7.
///
/// # Safety
/// AVX-512F, BW, VNNI and VBMI, and GFNI; `F` is q4_0 or MXFP4; `x` is in
/// the quad layout; otherwise as [`row_vnni_gfni`].
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx512vbmi,gfni")]
pub(super) unsafe fn row_quads_gfni<const F: u8, const R: usize>(
    weights: &[u8],
    x: &Q8Activations,
    b0: usize,
    out: &mut [f32],
    stride: usize,
) {
    quads_body!(true, weights, x, b0, out, stride)
}

/// [`row_quads_gfni`] for CPUs without GFNI: a shift and a mask for the
/// high nibbles (a function of its own, as [`row_vnni`]).
///
/// # Safety
/// As [`row_quads_gfni`], without GFNI.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx512vbmi")]
pub(super) unsafe fn row_quads<const F: u8, const R: usize>(
    weights: &[u8],
    x: &Q8Activations,
    b0: usize,
    out: &mut [f32],
    stride: usize,
) {
    quads_body!(false, weights, x, b0, out, stride)
}

/// [`row_vnni_gfni`]'s `out[r · stride + i]`, one block per step, its
/// signed values `v` (q4_0 nibbles minus 8, q8_0 bytes, MXFP4 through a
/// `vpshufb` table), `vpmaddubsw(|v|, c · sign(v))` and `vpmaddwd` into
/// eight 32-bit lanes, one convert and one FMA by `scale · dx`.
///
/// # Safety
/// AVX2 and FMA; otherwise as [`row_vnni_gfni`].
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn row_avx2<const F: u8, const R: usize>(
    weights: &[u8],
    x: &Q8Activations,
    b0: usize,
    out: &mut [f32],
    stride: usize,
) {
    let (bytes, at) = (kind(F).block_bytes(), kind(F).codes_at());
    let blocks = x.len() / BLOCK;
    let scales = scale_table(F);
    let rows: [(&[i8], &[i32], &[f32]); R] = std::array::from_fn(|b| x.padded_row(b0 + b));
    let nibble = _mm256_set1_epi8(0x0F);
    let eight = _mm256_set1_epi8(8);
    let ones = _mm256_set1_epi16(1);
    let lut = _mm256_broadcastsi128_si256(_mm_loadu_si128(e2m1_bytes(0).as_ptr() as *const _));
    let step = |acc: &mut [__m256; R], p: *const u8, i: usize| {
        let a = p.add(i * bytes);
        _mm_prefetch::<_MM_HINT_T0>(a.wrapping_add(STREAM_PREFETCH_BYTES) as *const i8);
        let v = if F == Q8_0 {
            _mm256_loadu_si256(a.add(2) as *const __m256i)
        } else {
            let q = _mm_loadu_si128(a.add(at) as *const __m128i);
            let n = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16::<4>(q), q), nibble);
            if F == MXFP4 {
                _mm256_shuffle_epi8(lut, n)
            } else {
                _mm256_sub_epi8(n, eight)
            }
        };
        let magnitude = _mm256_abs_epi8(v);
        let sw = _mm256_set1_ps(*scales.get_unchecked(header(F, a)));
        for (acc, (codes, _, dx)) in acc.iter_mut().zip(&rows) {
            let c = _mm256_load_si256(codes.as_ptr().add(BLOCK * i) as *const __m256i);
            let pairs = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(c, v));
            let dot = _mm256_madd_epi16(pairs, ones);
            let s = _mm256_mul_ps(sw, _mm256_load_ps(dx.as_ptr().add(8 * i)));
            *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), s, *acc);
        }
    };
    for (row, out) in weights
        .chunks_exact(blocks * bytes)
        .zip(out.chunks_mut(stride))
    {
        let p = row.as_ptr();
        let (mut first, mut second) = ([_mm256_setzero_ps(); R], [_mm256_setzero_ps(); R]);
        let mut i = 0;
        while i + 2 <= blocks {
            step(&mut first, p, i);
            step(&mut second, p, i + 1);
            i += 2;
        }
        if i < blocks {
            step(&mut first, p, i);
        }
        for (o, (f, s)) in out.iter_mut().zip(first.iter().zip(&second)) {
            let v = _mm256_add_ps(*f, *s);
            let h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
            let h = _mm_add_ps(h, _mm_movehl_ps(h, h));
            *o = _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps::<1>(h, h)));
        }
    }
}
