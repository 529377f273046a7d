//! Times `qmatmul` (or `qmatmul_int8`) on a 4096 × 4096 weight against the
//! f32 `matmul` of the same product, in Rust, without the VM: the figures
//! the README's "Quantized matmul" section quotes as "in a Rust program".
//!
//! ```sh
//! cargo run --release -p viva_tensor_core --example qmatmul_timing -- q4_0 1
//! cargo run --release -p viva_tensor_core --example qmatmul_timing -- q4_0 1 alone
//! RAYON_NUM_THREADS=1 cargo run --release -p viva_tensor_core --example qmatmul_timing -- q4_0 1
//! ```
//!
//! Arguments: a format (`q4_0 q4_1 q5_0 q8_0 mxfp4 nvfp4 nf4 nf4_dq f16 bf16
//! e4m3fn e5m2 int8 int8_tensor int8_block32`, or `qmatmul_int8` for the
//! integer path on an int8 per-row weight, or `q4_0_q8 q8_0_q8 mxfp4_q8`
//! for `qmatmul_q8`, int8 activations, on that format) and the batch (activation rows,
//! default 1), then optionally `alone`. Prints the medians of alternated
//! runs (f32, quantized, f32, ...), or with `alone` of the quantized product
//! only, back to back (the weight stays in cache as in a decoding loop):
//! 201 runs at batch 1..4, 21 above. The weight is uniform in ±0.05 from a
//! fixed xorshift seed.

use std::time::Instant;

use viva_tensor_core::linalg::matmul::matmul;
use viva_tensor_core::quant::qmatmul::qmatmul;
use viva_tensor_core::quant::qmatmul_int8::qmatmul_int8;
use viva_tensor_core::quant::qmatmul_q8::qmatmul_q8;
use viva_tensor_core::quant::{Int8Granularity, QuantFormat, QuantizedTensor};
use viva_tensor_core::Tensor;

const N: usize = 4096;

fn format(name: &str) -> Option<QuantFormat> {
    Some(match name {
        "q4_0" => QuantFormat::Q4_0,
        "q4_1" => QuantFormat::Q4_1,
        "q5_0" => QuantFormat::Q5_0,
        "q8_0" => QuantFormat::Q8_0,
        "mxfp4" => QuantFormat::Mxfp4,
        "nvfp4" => QuantFormat::Nvfp4,
        "nf4" => QuantFormat::NF4,
        "nf4_dq" => QuantFormat::NF4_DQ,
        "f16" => QuantFormat::F16,
        "bf16" => QuantFormat::Bf16,
        "e4m3fn" => QuantFormat::Fp8E4m3fn,
        "e5m2" => QuantFormat::Fp8E5m2,
        "int8" | "qmatmul_int8" => QuantFormat::Int8(Int8Granularity::PerChannel { axis: 0 }),
        "int8_tensor" => QuantFormat::Int8(Int8Granularity::PerTensor),
        "int8_block32" => QuantFormat::Int8(Int8Granularity::PerBlock { block_size: 32 }),
        _ => return None,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = args.first().map(String::as_str).unwrap_or("q4_0");
    let int8_activations = name.ends_with("_q8");
    let Some(fmt) = format(name.strip_suffix("_q8").unwrap_or(name)) else {
        eprintln!("unknown format {name:?}; see the header of examples/qmatmul_timing.rs");
        std::process::exit(2);
    };
    let batch: usize = match args.get(1).map(|s| s.parse()) {
        None => 1,
        Some(Ok(b)) if b > 0 => b,
        _ => {
            eprintln!("the batch must be a positive integer");
            std::process::exit(2);
        }
    };
    let mut s = 0x1234_5678u64;
    let mut uniform = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.1
    };
    let w: Vec<f32> = (0..N * N).map(|_| uniform()).collect();
    let x: Vec<f32> = (0..N * batch).map(|_| uniform()).collect();
    let wt = Tensor::from_vec(w.clone(), &[N, N])
        .expect("weight")
        .transpose();
    let xt = Tensor::from_vec(x, &[batch, N]).expect("activations");
    let q = QuantizedTensor::quantize(&w, &[N, N], fmt).expect("quantize");
    let alone = match args.get(2).map(String::as_str) {
        None => false,
        Some("alone") => true,
        Some(other) => {
            eprintln!("the third argument can only be `alone`, got {other:?}");
            std::process::exit(2);
        }
    };
    let runs = if batch <= 4 { 201 } else { 21 };
    let (mut tf, mut tq) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        if !alone {
            let t = Instant::now();
            std::hint::black_box(matmul(&xt, &wt).expect("matmul"));
            tf.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let t = Instant::now();
        let y = if name == "qmatmul_int8" {
            qmatmul_int8(&xt, &q, Some(6.0))
        } else if int8_activations {
            qmatmul_q8(&xt, &q)
        } else {
            qmatmul(&xt, &q)
        };
        std::hint::black_box(y.expect("qmatmul"));
        tq.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let threads = rayon::current_num_threads();
    if alone {
        let qm = median(tq);
        println!("{name} {N}x{N} batch {batch}, {threads} threads: quantized alone {qm:.3} ms");
        return;
    }
    let (f, qm) = (median(tf), median(tq));
    println!(
        "{name} {N}x{N} batch {batch}, {threads} threads: f32 {f:.3} ms, quantized {qm:.3} ms, {:.2}x",
        f / qm
    );
}
