//! Error measures between a reference and an approximation (e.g. the input
//! of a quantizer and its dequantized output). All are computed in f64.
//! Inputs of different lengths give [`TensorError::ShapeMismatch`].
//! Empty inputs: the mean-based measures and `max_abs` return 0.0.

use crate::{Result, TensorError};

fn check(a: &[f32], b: &[f32]) -> Result<()> {
    if a.len() != b.len() {
        return Err(TensorError::ShapeMismatch {
            expected: vec![a.len()],
            got: vec![b.len()],
        });
    }
    Ok(())
}

fn diffs<'a>(a: &'a [f32], b: &'a [f32]) -> impl Iterator<Item = f64> + 'a {
    a.iter().zip(b).map(|(&x, &y)| x as f64 - y as f64)
}

/// Mean squared error.
pub fn mse(reference: &[f32], approx: &[f32]) -> Result<f64> {
    check(reference, approx)?;
    if reference.is_empty() {
        return Ok(0.0);
    }
    Ok(diffs(reference, approx).map(|d| d * d).sum::<f64>() / reference.len() as f64)
}

/// Root mean squared error.
pub fn rmse(reference: &[f32], approx: &[f32]) -> Result<f64> {
    mse(reference, approx).map(f64::sqrt)
}

/// Largest absolute error.
pub fn max_abs(reference: &[f32], approx: &[f32]) -> Result<f64> {
    check(reference, approx)?;
    Ok(diffs(reference, approx).map(f64::abs).fold(0.0, f64::max))
}

/// Mean absolute error.
pub fn mean_abs(reference: &[f32], approx: &[f32]) -> Result<f64> {
    check(reference, approx)?;
    if reference.is_empty() {
        return Ok(0.0);
    }
    Ok(diffs(reference, approx).map(f64::abs).sum::<f64>() / reference.len() as f64)
}

/// Signal-to-quantization-noise ratio in dB:
/// `10 · log10(Σ ref² / Σ (ref - approx)²)`, in f64. Returns
/// `f64::INFINITY` when the noise is exactly 0 (no saturation), and
/// `f64::NEG_INFINITY` when the signal is 0 but the noise is not.
pub fn sqnr_db(reference: &[f32], approx: &[f32]) -> Result<f64> {
    check(reference, approx)?;
    let noise: f64 = diffs(reference, approx).map(|d| d * d).sum();
    if noise == 0.0 {
        return Ok(f64::INFINITY);
    }
    let signal: f64 = reference.iter().map(|&x| (x as f64) * (x as f64)).sum();
    Ok(10.0 * (signal / noise).log10())
}

/// Cosine similarity `a·b / (|a| |b|)` in f64. When either vector has zero
/// norm the angle is undefined: returns 1.0 if both are all-zero, else 0.0.
pub fn cosine_similarity(a: &[f32], b: &[f32]) -> Result<f64> {
    check(a, b)?;
    let (mut dot, mut na, mut nb) = (0f64, 0f64, 0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x as f64, y as f64);
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return Ok(if na == nb { 1.0 } else { 0.0 });
    }
    Ok(dot / (na.sqrt() * nb.sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        let a = [1.0f32, 2.0, 3.0, 4.0];
        let b = [1.0f32, 2.0, 3.0, 5.0];
        assert_eq!(mse(&a, &b).unwrap(), 0.25);
        assert_eq!(rmse(&a, &b).unwrap(), 0.5);
        assert_eq!(max_abs(&a, &b).unwrap(), 1.0);
        assert_eq!(mean_abs(&a, &b).unwrap(), 0.25);
        assert!((sqnr_db(&a, &b).unwrap() - 10.0 * 30f64.log10()).abs() < 1e-12);
        assert_eq!(sqnr_db(&a, &a).unwrap(), f64::INFINITY);
        assert_eq!(sqnr_db(&[0.0], &[1.0]).unwrap(), f64::NEG_INFINITY);
        assert!((cosine_similarity(&a, &a).unwrap() - 1.0).abs() < 1e-15);
        assert_eq!(cosine_similarity(&[1.0, 0.0], &[0.0, 1.0]).unwrap(), 0.0);
        assert_eq!(cosine_similarity(&[0.0], &[0.0]).unwrap(), 1.0);
        assert_eq!(cosine_similarity(&[0.0], &[2.0]).unwrap(), 0.0);
        // tiny noise is not saturated to some cap
        let c = [1.0f32, 2.0, 3.0, 4.0 + 4.0 * f32::EPSILON];
        assert!(sqnr_db(&a, &c).unwrap() > 140.0);
    }

    #[test]
    fn mismatch() {
        for r in [
            mse(&[1.0], &[]),
            max_abs(&[1.0], &[]),
            mean_abs(&[], &[1.0]),
            sqnr_db(&[1.0], &[]),
            cosine_similarity(&[1.0], &[1.0, 2.0]),
        ] {
            assert!(matches!(r, Err(TensorError::ShapeMismatch { .. })));
        }
    }
}
