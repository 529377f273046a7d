use super::*;
use proptest::prelude::*;

/// The O(d²) definitions, in f64.
fn naive(a: &[f64], b: &[f64], op: Op) -> Vec<f64> {
    let d = a.len();
    (0..d)
        .map(|k| match op {
            Op::Bind => (0..d).map(|j| a[j] * b[(k + d - j) % d]).sum(),
            Op::Unbind => (0..d).map(|j| b[j] * a[(k + j) % d]).sum(),
        })
        .collect()
}

fn vecs(d: usize, seed: u64) -> Vec<f64> {
    random_vector(d, seed, DType::F64).unwrap().to_f64_vec()
}

fn batch(rows: usize, d: usize, seed: u64) -> Vec<f64> {
    (0..rows)
        .flat_map(|i| vecs(d, seed.wrapping_add(i as u64)))
        .collect()
}

fn apply_op(a: &Tensor, b: &Tensor, op: Op) -> Tensor {
    match op {
        Op::Bind => bind(a, b).unwrap(),
        Op::Unbind => unbind(a, b).unwrap(),
    }
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}

/// Checks bind and unbind of `[rows, d]` tensors against the O(d²)
/// definitions within `tol`, and that the dtype is kept.
fn check_against_naive(
    a: &Tensor,
    b: &Tensor,
    rows: usize,
    d: usize,
    tol: f64,
) -> std::result::Result<(), TestCaseError> {
    let (xa, xb) = (a.to_f64_vec(), b.to_f64_vec());
    for op in [Op::Bind, Op::Unbind] {
        let got = apply_op(a, b, op);
        prop_assert_eq!(got.dtype(), a.dtype());
        let got = got.to_f64_vec();
        for r in 0..rows {
            let want = naive(&xa[r * d..(r + 1) * d], &xb[r * d..(r + 1) * d], op);
            for (g, w) in got[r * d..(r + 1) * d].iter().zip(&want) {
                prop_assert!((g - w).abs() < tol, "d={} {:?} {} vs {}", d, op, g, w);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn f64_matches_naive_convolution(d in 1usize..70, rows in 1usize..4, seed in any::<u64>()) {
        let a = Tensor::from_f64_slice(&batch(rows, d, seed), &[rows, d], DType::F64).unwrap();
        let b = Tensor::from_f64_slice(&batch(rows, d, seed ^ 0x5555), &[rows, d], DType::F64).unwrap();
        check_against_naive(&a, &b, rows, d, 1e-9)?;
    }

    /// The f32 path (f32 transforms): within f32 rounding of the exact
    /// result, relative to the vectors' scale (elements ~ 1/sqrt(d), so
    /// results are O(1/sqrt(d)) too).
    #[test]
    fn f32_matches_naive_convolution(d in 1usize..300, rows in 1usize..3, seed in any::<u64>()) {
        let a = Tensor::from_f64_slice(&batch(rows, d, seed), &[rows, d], DType::F32).unwrap();
        let b = Tensor::from_f64_slice(&batch(rows, d, !seed), &[rows, d], DType::F32).unwrap();
        check_against_naive(&a, &b, rows, d, 2e-6)?;
    }

    /// `encode_sequence` against its definition: items[0] plus items[k]
    /// bound (naively) with `p` bound with itself k times.
    #[test]
    fn encode_sequence_matches_repeated_binding(d in 1usize..40, n in 1usize..6, seed in any::<u64>()) {
        let items = batch(n, d, seed);
        let p = vecs(d, seed ^ 0xabcdef);
        let mut want = items[..d].to_vec();
        let mut pk = p.clone();
        for k in 1..n {
            let bound = naive(&items[k * d..(k + 1) * d], &pk, Op::Bind);
            want.iter_mut().zip(&bound).for_each(|(w, x)| *w += x);
            pk = naive(&pk, &p, Op::Bind);
        }
        let t_items = Tensor::from_f64_slice(&items, &[n, d], DType::F64).unwrap();
        let t_p = Tensor::from_f64_slice(&p, &[d], DType::F64).unwrap();
        let got = encode_sequence(&t_items, &t_p).unwrap();
        prop_assert_eq!(got.shape(), &[d]);
        for (g, w) in got.to_f64_vec().iter().zip(&want) {
            prop_assert!((g - w).abs() < 1e-9 * (1.0 + w.abs()), "{} vs {}", g, w);
        }
    }
}

#[test]
fn unbinding_recovers_the_bound_item_among_distractors() {
    for d in [256usize, 1024, 2048, 8192] {
        let a = random_vector(d, 1, DType::F32).unwrap();
        let b = random_vector(d, 2, DType::F32).unwrap();
        let c = random_vector(d, 3, DType::F32).unwrap();
        let e = random_vector(d, 4, DType::F32).unwrap();
        // a trace holding two pairs: a*b + c*e
        let ab = bind(&a, &b).unwrap().to_f64_vec();
        let ce = bind(&c, &e).unwrap().to_f64_vec();
        let sum: Vec<f64> = ab.iter().zip(&ce).map(|(x, y)| x + y).collect();
        let trace = Tensor::from_f64_slice(&sum, &[d], DType::F32).unwrap();
        let got = unbind(&trace, &a).unwrap().to_f64_vec();
        let want = cosine(&got, &b.to_f64_vec());
        for s in 10..60 {
            let distractor = random_vector(d, s, DType::F32).unwrap().to_f64_vec();
            assert!(want > cosine(&got, &distractor) + 0.1, "d={d} seed {s}");
        }
        assert!(cosine(&got, &e.to_f64_vec()) < want, "d={d}");
        assert!(want > 0.4, "d={d}: {want}");
    }
}

#[test]
fn sequence_positions_are_recovered_by_unbinding_powers_of_the_position() {
    let (d, n) = (1024, 6);
    let items = Tensor::from_f64_slice(&batch(n, d, 100), &[n, d], DType::F32).unwrap();
    let p = random_unitary(d, 7, DType::F32).unwrap();
    let trace = encode_sequence(&items, &p).unwrap();
    let rows = items.to_f64_vec();
    // p^k as a tensor, by repeated binding
    let mut pk = p.clone();
    for k in 1..n {
        let guess = unbind(&trace, &pk).unwrap().to_f64_vec();
        let scores: Vec<f64> = (0..n)
            .map(|i| cosine(&guess, &rows[i * d..(i + 1) * d]))
            .collect();
        let best = (0..n)
            .max_by(|&i, &j| scores[i].total_cmp(&scores[j]))
            .unwrap();
        assert_eq!(best, k, "position {k}: scores {scores:?}");
        pk = bind(&pk, &p).unwrap();
    }
}

#[test]
fn unitary_vectors_have_unit_spectra_and_exact_inverses() {
    for d in [1usize, 2, 7, 64, 1000] {
        let u = random_unitary(d, 3, DType::F64).unwrap();
        let x = u.to_f64_vec();
        let norm: f64 = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-9, "d={d}: norm {norm}");
        // binding with itself keeps the norm
        let uu = bind(&u, &u).unwrap().to_f64_vec();
        let n2: f64 = uu.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((n2 - 1.0).abs() < 1e-9, "d={d}: {n2}");
        // unbind(bind(a, u), u) == a
        let a = random_vector(d, 9, DType::F64).unwrap();
        let back = unbind(&bind(&a, &u).unwrap(), &u).unwrap().to_f64_vec();
        for (g, w) in back.iter().zip(a.to_f64_vec()) {
            assert!((g - w).abs() < 1e-9, "d={d}");
        }
    }
    assert!(matches!(
        random_unitary(0, 1, DType::F32),
        Err(TensorError::InvalidShape(_))
    ));
    assert_eq!(
        random_unitary(16, 1, DType::BF16).unwrap().dtype(),
        DType::BF16
    );
}

#[test]
fn encode_sequence_errors_and_single_items() {
    let p = random_vector(8, 1, DType::F32).unwrap();
    let one = random_vector(8, 2, DType::F32).unwrap();
    // a one-item sequence is the item itself
    let got = encode_sequence(&one, &p).unwrap().to_f64_vec();
    for (g, w) in got.iter().zip(one.to_f64_vec()) {
        assert!((g - w).abs() < 1e-6);
    }
    let empty = Tensor::from_f64_slice(&[], &[0, 8], DType::F32).unwrap();
    assert!(matches!(
        encode_sequence(&empty, &p),
        Err(TensorError::InvalidShape(_))
    ));
    let wrong = random_vector(9, 1, DType::F32).unwrap();
    assert!(matches!(
        encode_sequence(&one, &wrong),
        Err(TensorError::ShapeMismatch { .. })
    ));
    let p64 = random_vector(8, 1, DType::F64).unwrap();
    assert!(matches!(
        encode_sequence(&one, &p64),
        Err(TensorError::InvalidDtype(_))
    ));
    let cube = Tensor::from_f64_slice(&[0.0; 8], &[1, 1, 8], DType::F32).unwrap();
    assert!(matches!(
        encode_sequence(&cube, &p),
        Err(TensorError::InvalidShape(_))
    ));
}

#[test]
fn errors_and_dtypes() {
    let a = random_vector(8, 1, DType::F32).unwrap();
    let b = random_vector(9, 1, DType::F32).unwrap();
    assert!(matches!(
        bind(&a, &b),
        Err(TensorError::ShapeMismatch { .. })
    ));
    let c = random_vector(8, 1, DType::F64).unwrap();
    assert!(matches!(bind(&a, &c), Err(TensorError::InvalidDtype(_))));
    let s = Tensor::from_f64_slice(&[1.0], &[], DType::F32).unwrap();
    assert!(matches!(bind(&s, &s), Err(TensorError::InvalidShape(_))));
    assert!(matches!(
        random_vector(0, 1, DType::F32),
        Err(TensorError::InvalidShape(_))
    ));
    for dtype in DType::ALL {
        let x = random_vector(16, 5, dtype).unwrap();
        let r = bind(&x, &x).unwrap();
        assert_eq!(r.dtype(), dtype);
        assert_eq!(r.shape(), &[16]);
        let s = encode_sequence(&x, &x).unwrap();
        assert_eq!(s.dtype(), dtype);
    }
    // binding with the identity (1, 0, 0, ...) returns the other operand
    let mut id = vec![0.0; 8];
    id[0] = 1.0;
    let id = Tensor::from_f64_slice(&id, &[8], DType::F32).unwrap();
    let got = bind(&a, &id).unwrap().to_f64_vec();
    for (g, w) in got.iter().zip(a.to_f64_vec()) {
        assert!((g - w).abs() < 1e-6);
    }
}

#[test]
fn views_and_large_parallel_batches_agree_with_row_by_row() {
    // 64 rows of 512: above the parallel threshold
    let (n, d) = (64, 512);
    let a = Tensor::from_f64_slice(&batch(n, d, 1), &[n, d], DType::F32).unwrap();
    let b = Tensor::from_f64_slice(&batch(n, d, 2), &[n, d], DType::F32).unwrap();
    let all = bind(&a, &b).unwrap().to_f64_vec();
    for r in [0, 17, 63] {
        let ra =
            Tensor::from_f64_slice(&a.to_f64_vec()[r * d..(r + 1) * d], &[d], DType::F32).unwrap();
        let rb =
            Tensor::from_f64_slice(&b.to_f64_vec()[r * d..(r + 1) * d], &[d], DType::F32).unwrap();
        let one = bind(&ra, &rb).unwrap().to_f64_vec();
        assert_eq!(&all[r * d..(r + 1) * d], &one[..]);
    }
    // a transposed view is read as its logical rows
    let t = a.transpose();
    let tc = t.copy();
    assert_eq!(
        bind(&t, &tc).unwrap().to_f64_vec(),
        bind(&tc, &tc).unwrap().to_f64_vec()
    );
}
