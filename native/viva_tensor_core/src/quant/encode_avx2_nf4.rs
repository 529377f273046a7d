//! AVX2 encoder for NF4 codes (the first level of [`super::nf4`] and
//! [`super::nf4_dq`]), selected at run time like the ggml encoders in
//! [`super::encode_avx2`].
//!
//! Why: the portable encoder counts, per value, the 15 midpoints below it
//! with scalar compares (about 15 compares and adds per value). Here a
//! 4-step binary search over the midpoints runs on 8 values at once
//! ([`MidpointSearch`]); the absmaxes of 8 blocks are reduced and inverted
//! as one vector; the absmax doubles as the finiteness check (integer
//! maximum of the `|x|` bit patterns, at or above `0x7F80_0000` exactly for
//! NaN/inf), and the input is read once.
//!
//! Exactness: the portable rule is `s = clamp(f32(x · r), -1, 1)` with
//! `r = f32(1 / max(absmax, 1e-38))`, code = number of midpoints `m < s`
//! (strict, so a value exactly on a midpoint takes the lower level). The
//! kernel evaluates the same f32 operations: `r` is one IEEE division per
//! block (8 lanes at a time), `x · r` one IEEE multiply per lane, and every
//! compare is `_CMP_LT_OQ(m, s)`. The clamp is left out because it cannot
//! change a count ([`encode_block_codes`]). No NaN can arise (finite `x`,
//! finite `r ≤ 1e38`).

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

use super::encode_avx2::{
    all_finite, block_abs_bits_max, group_block_abs_bits_max, hmax_epu32, load32, pack_i8,
    EXP_BITS, GROUP,
};
use super::nf4::{midpoints, MIN_ABSMAX};

/// Packs 32 codes (bytes in element order) into NF4's 16 bytes: byte `i` =
/// code `2i` << 4 | code `2i + 1` (even element in the high nibble).
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_pairs_hi_first(b: __m256i) -> __m128i {
    // 16-bit lane i holds code 2i (low byte) and code 2i+1 (high byte)
    let w = _mm256_or_si256(_mm256_slli_epi16::<4>(b), _mm256_srli_epi16::<8>(b));
    let w = _mm256_and_si256(w, _mm256_set1_epi16(0xFF));
    let w = _mm256_packus_epi16(w, w); // [bytes 0..8, dup | bytes 8..16, dup]
    _mm256_castsi256_si128(_mm256_permute4x64_epi64::<0b00_00_10_00>(w))
}

/// The 15 midpoints arranged for a 4-step binary search (the code of `s`
/// is the number of midpoints strictly below it, 0..=15, one bit per step).
///
/// Why: counting with 15 compares and 15 adds per 8 values made NF4 the
/// slowest 4-bit encoder; the search does 4 compares and picks each step's
/// midpoint with an in-lane `vpermilps` (cheap even where 256-bit ops are
/// split in two 128-bit halves), about 15 operations instead of 30.
///
/// Exactness: the midpoints ascend, so `#{m_i < s} >= 8` iff `m_7 < s`, and
/// within each half the same holds for its middle midpoint, down to single
/// midpoints: each step decides one bit of the count with the same strict
/// f32 compare `m < s` the portable encoder uses.
struct MidpointSearch {
    /// `m_7`, step 1 (decides bit 3).
    m7: __m256,
    /// `[m_3, m_11, ·, ·]` in each 128-bit half, step 2 (bit 2), indexed by
    /// bit 3.
    step2: __m256,
    /// `[m_1, m_5, m_9, m_13]`, step 3 (bit 1), indexed by bits 3..2.
    step3: __m256,
    /// `[m_0, m_2, .., m_14]`, step 4 (bit 0), indexed by bits 3..1 (one
    /// cross-lane `vpermps`).
    step4: __m256,
}

impl MidpointSearch {
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn new() -> Self {
        let m = midpoints();
        let quad = |a: f32, b: f32, c: f32, d: f32| _mm256_setr_ps(a, b, c, d, a, b, c, d);
        MidpointSearch {
            m7: _mm256_set1_ps(m[7]),
            step2: quad(m[3], m[11], m[3], m[11]),
            step3: quad(m[1], m[5], m[9], m[13]),
            step4: _mm256_setr_ps(m[0], m[2], m[4], m[6], m[8], m[10], m[12], m[14]),
        }
    }

    /// The codes (0..=15, one per i32 lane) of 8 scaled values `s`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn code(&self, s: __m256) -> __m256i {
        // a true compare is -1 in every lane bit: `2 * code - mask` appends
        // the step's bit to the code built so far, with no constants (the
        // kernel is short of registers)
        let below = |thr: __m256| _mm256_castps_si256(_mm256_cmp_ps::<_CMP_LT_OQ>(thr, s));
        let append =
            |code: __m256i, thr: __m256| _mm256_sub_epi32(_mm256_add_epi32(code, code), below(thr));
        let code = _mm256_srli_epi32::<31>(below(self.m7));
        // vpermilps reads the low 2 bits of each lane's index, vpermps the
        // low 3: the code so far names the next midpoint
        let code = append(code, _mm256_permutevar_ps(self.step2, code));
        let code = append(code, _mm256_permutevar_ps(self.step3, code));
        append(code, _mm256_permutevar8x32_ps(self.step4, code))
    }
}

/// Whether the NF4 kernel handles blocks of `block` values (whole vectors
/// of 32; other sizes use the portable encoder).
pub fn nf4_block_supported(block: usize) -> bool {
    block >= 32 && block.is_multiple_of(32)
}

/// NF4 blocks of `block` values (a multiple of 32): `x` holds whole blocks,
/// `out` `block / 2` bytes per block and `absmax` one entry per block
/// (layout in [`super::nf4`]). Returns `false` if `x` holds a NaN or an
/// infinity (that block's bytes and absmax are then unspecified).
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C
/// ([`super::encode_avx2::has_encode_simd`]).
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn nf4_blocks(x: &[f32], block: usize, out: &mut [u8], absmax: &mut [f32]) -> bool {
    assert!(nf4_block_supported(block));
    let nb = x.len() / block;
    assert!(x.len() == nb * block && out.len() == nb * block / 2 && absmax.len() == nb);
    let search = MidpointSearch::new();
    let whole = nb / GROUP * GROUP;
    for g in (0..whole).step_by(GROUP) {
        // SAFETY: blocks g..g + GROUP lie within x, their bytes within out
        // (asserted above)
        let p = x.as_ptr().add(g * block);
        let bits = group_block_abs_bits_max(p, block);
        if !all_finite(bits) {
            return false;
        }
        // one vector division for 8 blocks: the same IEEE quotients as the
        // scalar `1 / a.max(MIN_ABSMAX)` (`a` is finite and not negative,
        // so max_ps is f32::max)
        let a = _mm256_castsi256_ps(bits);
        let r = _mm256_div_ps(
            _mm256_set1_ps(1.0),
            _mm256_max_ps(a, _mm256_set1_ps(MIN_ABSMAX)),
        );
        _mm256_storeu_ps(absmax.as_mut_ptr().add(g), a);
        let mut rs = [0f32; GROUP];
        _mm256_storeu_ps(rs.as_mut_ptr(), r);
        for (b, &rb) in rs.iter().enumerate() {
            let o = out.as_mut_ptr().add((g + b) * block / 2);
            encode_block_codes(p.add(b * block), block, _mm256_set1_ps(rb), &search, o);
        }
    }
    for (b, a_out) in absmax.iter_mut().enumerate().skip(whole) {
        // SAFETY: block b lies within x, its bytes within out (asserted above)
        let p = x.as_ptr().add(b * block);
        let bits = _mm256_cvtsi256_si32(hmax_epu32(block_abs_bits_max(p, block))) as u32;
        if bits >= EXP_BITS {
            return false;
        }
        let a = f32::from_bits(bits);
        *a_out = a;
        let r = _mm256_set1_ps(1.0 / a.max(MIN_ABSMAX));
        encode_block_codes(p, block, r, &search, out.as_mut_ptr().add(b * block / 2));
    }
    true
}

/// Writes the `block / 2` code bytes of the `block` values at `p`, scaled by
/// `r` (the block's `1 / max(absmax, MIN_ABSMAX)` in every lane).
///
/// The portable rule clamps `x · r` to [-1, 1] before counting midpoints;
/// the clamp is skipped here because it cannot change the count: every
/// midpoint lies strictly inside (-1, 1), so a product beyond ±1 and its
/// clamped value are on the same side of all of them.
///
/// # Safety
/// AVX2; `p .. p + block` readable, `o .. o + block / 2` writable, `block` a
/// multiple of 32.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn encode_block_codes(
    p: *const f32,
    block: usize,
    r: __m256,
    search: &MidpointSearch,
    o: *mut u8,
) {
    for c in (0..block).step_by(32) {
        let v = load32(p.add(c));
        let codes = std::array::from_fn(|k| search.code(_mm256_mul_ps(v[k], r)));
        _mm_storeu_si128(
            o.add(c / 2) as *mut __m128i,
            pack_pairs_hi_first(pack_i8(codes)),
        );
    }
}

/// nf4_dq's second-level grid indices `t[i] = trunc(((clamp((a[i] − offset)
/// · inv, −1, 1) + 1) · ½) · 65535 + ½)` for the whole groups of 8 in `a`
/// (the same f32 operations, in the same order, as the scalar
/// `nf4_dq::grid_index`; `inv` finite, so no NaN arises and `max`/`min`
/// clamp as `clamp` does); returns how many it wrote. The indices lie in
/// 0..=65535.
///
/// Why: the scalar loop does not vectorize (the saturating float-to-integer
/// cast), and this step, 1/64 of the values, took about 7 % of an nf4_dq
/// quantize.
///
/// # Safety
/// The CPU must support AVX2 and FMA
/// ([`super::encode_avx2::has_encode_simd`]).
#[target_feature(enable = "avx2,fma")]
pub unsafe fn dq_grid_indices(a: &[f32], offset: f32, inv: f32, t: &mut [i32]) -> usize {
    assert!(t.len() >= a.len() && inv.is_finite());
    let (off, iv) = (_mm256_set1_ps(offset), _mm256_set1_ps(inv));
    let (one, half) = (_mm256_set1_ps(1.0), _mm256_set1_ps(0.5));
    let top = _mm256_set1_ps(65535.0);
    let whole = a.len() / 8 * 8;
    for i in (0..whole).step_by(8) {
        // SAFETY: i + 8 <= whole <= a.len() <= t.len()
        let d = _mm256_sub_ps(_mm256_loadu_ps(a.as_ptr().add(i)), off);
        let v = _mm256_max_ps(
            _mm256_min_ps(_mm256_mul_ps(d, iv), one),
            _mm256_set1_ps(-1.0),
        );
        let g = _mm256_add_ps(
            _mm256_mul_ps(_mm256_mul_ps(_mm256_add_ps(v, one), half), top),
            half,
        );
        _mm256_storeu_si256(
            t.as_mut_ptr().add(i) as *mut __m256i,
            _mm256_cvttps_epi32(g),
        );
    }
    whole
}

#[cfg(test)]
mod tests {
    use super::super::encode_avx2::has_encode_simd;
    use crate::quant::nf4;
    use proptest::prelude::*;

    /// Compares the AVX2 path of `nf4::quantize` with the portable encoder.
    fn check_same(x: &[f32], block: usize) {
        let fast = nf4::quantize(x, block).unwrap();
        let slow = nf4::quantize_portable(x, block).unwrap();
        assert_eq!(fast.codes, slow.codes, "codes, block {block}");
        let bits = |v: &[f32]| v.iter().map(|a| a.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&fast.absmax), bits(&slow.absmax), "absmax");
    }

    #[test]
    fn edge_cases_match_portable() {
        if !has_encode_simd() {
            return;
        }
        let mids = nf4::midpoints();
        let mut x = Vec::new();
        x.extend([0.0f32; 64]); // zero block
        x.extend((0..64).map(|i| if i == 3 { -0.0 } else { 0.0 }));
        // exact midpoints (absmax 1 makes s = x) and their neighbours
        x.push(1.0);
        for &m in &mids {
            for d in [-1i32, 0, 1] {
                x.push(f32::from_bits((m.to_bits() as i32 + d) as u32));
            }
        }
        x.resize(x.len().div_ceil(64) * 64, -1.0);
        x.extend((0..64).map(|i| (i as f32) * 1e-40)); // subnormal absmax < 1e-38
        x.extend((0..64).map(|i| (i as f32 - 30.0) * 1e-39));
        x.extend((0..64).map(|i| (i as f32 - 31.5) * 1e37)); // huge
        x.extend((0..64).map(|i| if i % 2 == 0 { 2.5 } else { -2.5 }));
        // five copies: at least 8 whole blocks for every size, so both the
        // grouped path and the per-block tail see every case
        let x5 = x.repeat(5);
        for block in [32, 64, 128, 256] {
            check_same(&x, block);
            check_same(&x[..x.len() - 7], block); // ragged
            check_same(&x5, block);
        }
    }

    #[test]
    fn non_finite_names_the_first_index() {
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for n in [100usize, 70_000] {
                let mut x = vec![0.5f32; n];
                x[n - 30] = bad;
                x[n - 3] = f32::NAN;
                let e = nf4::quantize(&x, 64).unwrap_err().to_string();
                assert!(e.contains(&format!("index {}", n - 30)), "{e}");
            }
        }
    }

    proptest! {
        #[test]
        fn random_match_portable(
            x in proptest::collection::vec(-1e3f32..1e3, 1..700),
            scale in prop_oneof![Just(1.0f32), Just(1e-20), Just(1e20), Just(0.02), Just(1e-41)],
            block in prop::sample::select(vec![32usize, 64, 128, 96]),
        ) {
            if has_encode_simd() {
                let x: Vec<f32> = x.iter().map(|v| v * scale).collect();
                check_same(&x, block);
            }
        }
    }
}
