//! Test-only access to the shared reference vectors.
//!
//! The folder is found from `VIVA_TENSOR_SHARED` (the `shared` folder, or its
//! `vectors` subfolder), else by walking up from this crate's manifest dir and
//! checking `<ancestor>/shared/vectors` and `<ancestor>/../shared/vectors`.
//! When it cannot be found the calling test fails: the vectors are required.

use std::path::{Path, PathBuf};

/// The six cases every format directory holds.
pub const CASES: [&str; 6] = [
    "gaussian",
    "uniform_pos",
    "heavy_tail",
    "outliers",
    "edges",
    "large",
];

/// The `vectors` folder; panics (failing the test) when it is missing.
pub fn vectors_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("VIVA_TENSOR_SHARED") {
        let p = PathBuf::from(p);
        for cand in [p.join("vectors"), p.clone()] {
            if cand.join("MANIFEST.json").is_file() {
                return cand;
            }
        }
        panic!(
            "VIVA_TENSOR_SHARED={} holds neither vectors/MANIFEST.json nor MANIFEST.json",
            p.display()
        );
    }
    let start = Path::new(env!("CARGO_MANIFEST_DIR"));
    for anc in start.ancestors() {
        for cand in [
            anc.join("shared").join("vectors"),
            anc.join("..").join("shared").join("vectors"),
        ] {
            if cand.join("MANIFEST.json").is_file() {
                return cand;
            }
        }
    }
    panic!(
        "reference vectors not found: set VIVA_TENSOR_SHARED to the shared folder, or place \
         shared/vectors beside the repository root (searched upward from {})",
        start.display()
    );
}

/// Raw bytes of `<vectors>/<format>/<file>`; panics when absent.
pub fn read_bytes(format: &str, file: &str) -> Vec<u8> {
    let p = vectors_dir().join(format).join(file);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// Little-endian f32 values of `<vectors>/<format>/<file>`.
pub fn read_f32(format: &str, file: &str) -> Vec<f32> {
    let b = read_bytes(format, file);
    assert_eq!(
        b.len() % 4,
        0,
        "{format}/{file}: length not a multiple of 4"
    );
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Asserts two f32 slices are bit-identical, reporting the first difference.
pub fn assert_bits_eq(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(i) = (0..got.len()).find(|&i| got[i].to_bits() != want[i].to_bits()) {
        let n = got
            .iter()
            .zip(want)
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count();
        panic!(
            "{what}: {n} values differ; first at {i}: got {:e} ({:#010x}) want {:e} ({:#010x})",
            got[i],
            got[i].to_bits(),
            want[i],
            want[i].to_bits()
        );
    }
}

/// Asserts two byte slices are identical, reporting the first difference.
pub fn assert_bytes_eq(what: &str, got: &[u8], want: &[u8]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i]) {
        let n = got.iter().zip(want).filter(|(a, b)| a != b).count();
        panic!(
            "{what}: {n} bytes differ; first at {i}: got {:#04x} want {:#04x}",
            got[i], want[i]
        );
    }
}

/// Checks a single-buffer block format against every shared case of
/// `format`: `.q.bin` byte for byte and `.dq.f32` bit for bit.
pub fn check_block_format_cases(
    format: &str,
    quantize: impl Fn(&[f32]) -> crate::Result<Vec<u8>>,
    dequantize: impl Fn(&[u8], usize) -> crate::Result<Vec<f32>>,
) {
    for case in CASES {
        let x = read_f32(format, &format!("{case}.in.f32"));
        let q = quantize(&x).unwrap();
        assert_bytes_eq(
            &format!("{format}/{case}.q.bin"),
            &q,
            &read_bytes(format, &format!("{case}.q.bin")),
        );
        let dq = dequantize(&q, x.len()).unwrap();
        assert_bits_eq(
            &format!("{format}/{case}.dq.f32"),
            &dq,
            &read_f32(format, &format!("{case}.dq.f32")),
        );
    }
}
