//! Tests of [`QuantizedTensor`]: dispatch on the shared vectors, serialization,
//! robustness of `from_bytes`, and parallel/serial equality.

use super::testutil::*;
use super::*;
use proptest::prelude::*;

/// Every format, with parameters that make blocks cross rows (also the
/// list `qmatmul`'s tests start from).
pub(crate) fn all_formats() -> Vec<QuantFormat> {
    vec![
        QuantFormat::Int8(Int8Granularity::PerTensor),
        QuantFormat::Int8(Int8Granularity::PerChannel { axis: 0 }),
        QuantFormat::Int8(Int8Granularity::PerBlock { block_size: 7 }),
        QuantFormat::Q8_0,
        QuantFormat::Q4_0,
        QuantFormat::Q4_1,
        QuantFormat::Q5_0,
        QuantFormat::Mxfp4,
        QuantFormat::Nvfp4,
        QuantFormat::NF4,
        QuantFormat::Nf4 { block_size: 6 },
        QuantFormat::NF4_DQ,
        QuantFormat::Nf4Dq {
            block_size: 4,
            block_size2: 3,
        },
        QuantFormat::Fp8E4m3fn,
        QuantFormat::Fp8E5m2,
        QuantFormat::F16,
        QuantFormat::Bf16,
    ]
}

#[test]
fn dispatch_matches_reference_vectors() {
    let cases: [(&str, QuantFormat); 8] = [
        ("q8_0", QuantFormat::Q8_0),
        ("q4_0", QuantFormat::Q4_0),
        ("q4_1", QuantFormat::Q4_1),
        ("q5_0", QuantFormat::Q5_0),
        ("mxfp4", QuantFormat::Mxfp4),
        ("nvfp4", QuantFormat::Nvfp4),
        ("nf4", QuantFormat::NF4),
        ("nf4_dq", QuantFormat::NF4_DQ),
    ];
    for (dir, fmt) in cases {
        for case in CASES {
            let x = read_f32(dir, &format!("{case}.in.f32"));
            let t = QuantizedTensor::quantize(&x, &[16, 256], fmt).unwrap();
            let want_q = read_bytes(dir, &format!("{case}.q.bin"));
            let got_q = match t.payload() {
                QuantPayload::Blocks(b) => b.clone(),
                QuantPayload::Nf4(q) => q.codes.clone(),
                QuantPayload::Nf4Dq(q) => q.codes.clone(),
                QuantPayload::Nvfp4(q) => q.codes.clone(),
                QuantPayload::Int8(_) | QuantPayload::Fp8(_) => unreachable!(),
            };
            assert_bytes_eq(&format!("{dir}/{case}.q.bin"), &got_q, &want_q);
            assert_bits_eq(
                &format!("{dir}/{case}.dq.f32"),
                &t.dequantize(),
                &read_f32(dir, &format!("{case}.dq.f32")),
            );
            let back = QuantizedTensor::from_bytes(&t.to_bytes()).unwrap();
            assert_eq!(back, t);
            assert_eq!(t.nbytes(), t.to_bytes().len());
        }
    }
}

#[test]
fn nbytes_and_ratio() {
    let x = vec![0.5f32; 4096];
    let header = 20 + 8 * 2;
    let expect = [
        (QuantFormat::Q8_0, 128 * 34),
        (QuantFormat::Q4_0, 128 * 18),
        (QuantFormat::Q4_1, 128 * 20),
        (QuantFormat::Q5_0, 128 * 22),
        (QuantFormat::Mxfp4, 128 * 17),
        (QuantFormat::Nvfp4, 256 * 9 + 4),
        (QuantFormat::NF4, 64 * 36),
        (QuantFormat::NF4_DQ, 64 * 33 + 4 + 4),
        (QuantFormat::Int8(Int8Granularity::PerTensor), 4096 + 4),
        (QuantFormat::Fp8E4m3fn, 4096 + 4),
        (QuantFormat::Fp8E5m2, 4096 + 4),
        (QuantFormat::F16, 2 * 4096),
        (QuantFormat::Bf16, 2 * 4096),
    ];
    for (fmt, payload) in expect {
        let t = QuantizedTensor::quantize(&x, &[16, 256], fmt).unwrap();
        assert_eq!(t.nbytes(), header + payload, "{}", fmt.name());
        assert_eq!(t.to_bytes().len(), t.nbytes());
        let r = t.compression_ratio();
        assert!((r - 16384.0 / (header + payload) as f64).abs() < 1e-12);
    }
}

#[test]
fn argument_errors() {
    assert!(matches!(
        QuantizedTensor::quantize(&[1.0; 5], &[2, 3], QuantFormat::Q8_0),
        Err(TensorError::ShapeMismatch { .. })
    ));
    for fmt in all_formats() {
        let r = QuantizedTensor::quantize(&[1.0, f32::INFINITY], &[2], fmt);
        assert!(
            matches!(r, Err(TensorError::NonFinite(ref m)) if m.contains("index 1")),
            "{fmt:?}: {r:?}"
        );
    }
    assert!(
        QuantizedTensor::quantize(&[1.0; 4], &[4], QuantFormat::Nf4 { block_size: 5 }).is_err()
    );
    assert!(QuantizedTensor::quantize(
        &[1.0; 4],
        &[4],
        QuantFormat::Int8(Int8Granularity::PerChannel { axis: 1 })
    )
    .is_err());
}

/// The fused finiteness checks of the SIMD encoders (and the parallel
/// maxima they rely on) report the first bad element of a large input, for
/// every format and every kind of non-finite value, wherever it sits.
#[test]
fn non_finite_found_in_large_inputs() {
    let (rows, cols) = (256usize, 512usize); // above the parallel threshold
    let mut formats = all_formats();
    formats.push(QuantFormat::Int8(Int8Granularity::PerChannel { axis: 1 }));
    for fmt in formats {
        for (at, bad) in [
            (0usize, f32::NAN),
            (70_001, f32::INFINITY),
            (rows * cols - 1, -f32::INFINITY),
        ] {
            let mut x: Vec<f32> = (0..rows * cols)
                .map(|i| ((i % 97) as f32 - 48.0) * 0.01)
                .collect();
            x[at] = bad;
            if at + 1 < x.len() {
                // a second bad value later must not be the one reported
                x[at + 1] = f32::NAN;
            }
            let r = QuantizedTensor::quantize(&x, &[rows, cols], fmt);
            let want = format!("index {at} ");
            assert!(
                matches!(r, Err(TensorError::NonFinite(ref m)) if m.contains(&want)),
                "{fmt:?} at {at}: {r:?}"
            );
        }
    }
}

#[test]
fn empty_and_scalar_shapes() {
    for fmt in all_formats() {
        if matches!(fmt, QuantFormat::Int8(Int8Granularity::PerChannel { .. })) {
            continue;
        }
        for shape in [vec![], vec![0], vec![3, 0]] {
            let n: usize = shape.iter().product();
            let x = vec![1.25f32; n];
            let t = QuantizedTensor::quantize(&x, &shape, fmt).unwrap();
            assert_eq!(t.dequantize().len(), n);
            assert_eq!(QuantizedTensor::from_bytes(&t.to_bytes()).unwrap(), t);
        }
    }
}

#[test]
fn every_truncation_is_an_error() {
    let x: Vec<f32> = (0..70).map(|i| (i as f32 * 0.37).sin()).collect();
    for fmt in all_formats() {
        let shape = [7, 10];
        let t = QuantizedTensor::quantize(&x, &shape, fmt).unwrap();
        let b = t.to_bytes();
        for len in 0..b.len() {
            assert!(
                QuantizedTensor::from_bytes(&b[..len]).is_err(),
                "{fmt:?} prefix {len}"
            );
        }
        let mut longer = b.clone();
        longer.push(0);
        assert!(QuantizedTensor::from_bytes(&longer).is_err());
    }
}

#[test]
fn header_corruptions_are_errors() {
    let t = QuantizedTensor::quantize(&[1.0; 64], &[64], QuantFormat::Q8_0).unwrap();
    let b = t.to_bytes();
    let mut m = b.clone();
    m[0] = b'X';
    assert!(QuantizedTensor::from_bytes(&m).is_err());
    let mut m = b.clone();
    m[4] = 2;
    assert!(QuantizedTensor::from_bytes(&m).is_err());
    let mut m = b.clone();
    m[5] = 99;
    assert!(QuantizedTensor::from_bytes(&m).is_err());
    let mut m = b.clone();
    m[20] = 65; // shape 65 needs 3 blocks
    assert!(QuantizedTensor::from_bytes(&m).is_err());
    let mut m = b.clone();
    m[16] = 200; // rank
    assert!(QuantizedTensor::from_bytes(&m).is_err());
    let mut m = b.clone();
    m[28 + 1] = 0x7C; // f16 scale of block 0 (payload at 20 + 8) -> infinity
    m[28] = 0x00;
    assert!(QuantizedTensor::from_bytes(&m).is_err());
}

fn format_strategy() -> impl Strategy<Value = QuantFormat> {
    prop::sample::select(all_formats())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn serialization_round_trip(fmt in format_strategy(), rows in 1usize..6, cols in 1usize..50, seed in prop::collection::vec(-100f32..100.0, 300)) {
        let x = &seed[..rows * cols];
        let t = QuantizedTensor::quantize(x, &[rows, cols], fmt).unwrap();
        let b = t.to_bytes();
        prop_assert_eq!(b.len(), t.nbytes());
        let back = QuantizedTensor::from_bytes(&b).unwrap();
        prop_assert_eq!(&back, &t);
        let d1 = t.dequantize();
        let d2 = back.dequantize();
        prop_assert_eq!(d1.len(), rows * cols);
        prop_assert!(d1.iter().zip(&d2).all(|(a, b)| a.to_bits() == b.to_bits()));
    }

    #[test]
    fn from_bytes_never_panics_on_flips(fmt in format_strategy(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6), cut in any::<prop::sample::Index>(), truncate in any::<bool>()) {
        let x: Vec<f32> = (0..90).map(|i| (i as f32 * 0.731).cos() * 3.0).collect();
        let t = QuantizedTensor::quantize(&x, &[9, 10], fmt).unwrap();
        let mut b = t.to_bytes();
        for (i, v) in flips {
            let i = i.index(b.len());
            b[i] ^= v;
        }
        if truncate {
            let c = cut.index(b.len());
            b.truncate(c);
        }
        if let Ok(t2) = QuantizedTensor::from_bytes(&b) {
            // whatever parses must be usable
            let d = t2.dequantize();
            prop_assert_eq!(d.len(), t2.numel());
            prop_assert_eq!(t2.to_bytes(), b);
        }
    }

    #[test]
    fn from_bytes_never_panics_on_garbage(tail in prop::collection::vec(any::<u8>(), 0..200), tag in any::<u8>(), ndim in 0u32..4) {
        // garbage behind a plausible header, and pure garbage
        let mut b = Vec::new();
        b.extend_from_slice(b"VTQ1");
        b.push(1);
        b.push(tag);
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&tail[..tail.len().min(8)]);
        b.extend_from_slice(&ndim.to_le_bytes());
        b.extend_from_slice(&tail);
        let _ = QuantizedTensor::from_bytes(&b);
        let _ = QuantizedTensor::from_bytes(&tail);
    }
}

#[test]
fn parallel_equals_serial() {
    // > PAR_MIN_ELEMS elements take the rayon path; chunks of 3200 (a multiple
    // of every block size used) stay serial. Every chunk starts with the
    // global max so nvfp4's per-tensor scale is the same for all of them.
    let n = 3200 * 25;
    assert!(n >= common::PAR_MIN_ELEMS);
    let x: Vec<f32> = (0..n)
        .map(|i| {
            if i % 3200 == 0 {
                50.0
            } else {
                ((i * 2654435761usize) % 20011) as f32 / 1000.0 - 10.0
            }
        })
        .collect();
    for fmt in [
        QuantFormat::Q8_0,
        QuantFormat::Q4_0,
        QuantFormat::Q4_1,
        QuantFormat::Q5_0,
        QuantFormat::Mxfp4,
        QuantFormat::Nvfp4,
        QuantFormat::NF4,
        QuantFormat::Int8(Int8Granularity::PerBlock { block_size: 64 }),
    ] {
        let big = QuantizedTensor::quantize(&x, &[n], fmt).unwrap();
        let dq_big = big.dequantize();
        let mut dq_small = Vec::new();
        let mut pieces = Vec::new();
        for c in x.chunks(3200) {
            let t = QuantizedTensor::quantize(c, &[c.len()], fmt).unwrap();
            dq_small.extend(t.dequantize());
            pieces.push(t);
        }
        let joined: Vec<u8> = pieces
            .iter()
            .flat_map(|t| match t.payload() {
                QuantPayload::Blocks(b) => b.clone(),
                QuantPayload::Nf4(q) => q.codes.clone(),
                QuantPayload::Nvfp4(q) => q.codes.clone(),
                QuantPayload::Int8(q) => q.q.iter().map(|&v| v as u8).collect(),
                QuantPayload::Nf4Dq(q) => q.codes.clone(),
                QuantPayload::Fp8(q) => q.codes.clone(),
            })
            .collect();
        let big_codes = match big.payload() {
            QuantPayload::Blocks(b) => b.clone(),
            QuantPayload::Nf4(q) => q.codes.clone(),
            QuantPayload::Nvfp4(q) => q.codes.clone(),
            QuantPayload::Int8(q) => q.q.iter().map(|&v| v as u8).collect(),
            QuantPayload::Nf4Dq(q) => q.codes.clone(),
            QuantPayload::Fp8(q) => q.codes.clone(),
        };
        assert_eq!(big_codes, joined, "{}", fmt.name());
        assert_bits_eq(fmt.name(), &dq_big, &dq_small);
    }
}

/// Rough throughput probe: `cargo test -p viva_tensor_core --release -- --ignored throughput --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let n = 1 << 22;
    let x: Vec<f32> = (0..n)
        .map(|i| ((i * 2654435761usize) % 20011) as f32 / 1000.0 - 10.0)
        .collect();
    for fmt in all_formats() {
        let t0 = std::time::Instant::now();
        let t = QuantizedTensor::quantize(&x, &[n], fmt).unwrap();
        let q = t0.elapsed().as_secs_f64();
        let t1 = std::time::Instant::now();
        let d = t.dequantize();
        let dq = t1.elapsed().as_secs_f64();
        let snr = metrics::sqnr_db(&x, &d).unwrap();
        eprintln!(
            "{:>8} {:<40} quantize {:7.1} Melem/s  dequantize {:7.1} Melem/s  ratio {:5.2}  sqnr {:6.2} dB",
            fmt.name(),
            format!("{fmt:?}"),
            n as f64 / q / 1e6,
            n as f64 / dq / 1e6,
            t.compression_ratio(),
            snr
        );
    }
}
