//// A scaled dot-product self-attention block, as VIVA's
//// `viva/neural/attention` builds it with the list-backed
//// `viva_tensor/tensor` API:
////
////     Q, K, V = X Wq, X Wk, X Wv        X: [seq, d], W*: [d, d]
////     A = softmax_rows(Q Kᵀ / sqrt(d))   [seq, seq]
////     out = (A V) Wo                     [seq, d]
////
//// The five products go through `tensor.matmul`, which hands them to the
//// native library (they are all above its 1,000 multiply-add crossover);
//// the softmax is written out row by row in Gleam and checked against the
//// native `ops.softmax`.
////
//// Run: `gleam run -m attention`

import examples_util.{float, int, ms, println} as u
import viva_tensor/ops
import viva_tensor/tensor.{type Tensor}

pub const seq = 16

pub const d_model = 64

pub type Summary {
  Summary(
    output_shape: List(Int),
    /// Sum of all output elements, and of their squares.
    checksum: Float,
    sum_squares: Float,
    /// Each row of the attention matrix summed.
    row_sums: List(Float),
    /// Largest |A - ops.softmax(scores)| over the matrix.
    softmax_vs_native: Float,
    forward_us: Int,
  )
}

pub type Block {
  Block(wq: Tensor, wk: Tensor, wv: Tensor, wo: Tensor)
}

pub fn new_block(d: Int) -> Result(Block, String) {
  let std = 1.0 /. u.sqrt(u.to_float(d))
  use wq <- u.s(u.seeded([d, d], seed: 31, std: std))
  use wk <- u.s(u.seeded([d, d], seed: 32, std: std))
  use wv <- u.s(u.seeded([d, d], seed: 33, std: std))
  use wo <- u.s(u.seeded([d, d], seed: 34, std: std))
  Ok(Block(wq: wq, wk: wk, wv: wv, wo: wo))
}

/// Softmax of each row of a matrix, max-subtracted for stability.
pub fn softmax_rows(m: Tensor) -> Result(Tensor, String) {
  use rows <- u.t(tensor.to_list2d(m))
  let out =
    u.map(rows, fn(row) {
      let top = max(row, -1.0e308)
      let exps = u.map(row, fn(x) { u.exp(x -. top) })
      let total = sum(exps, 0.0)
      u.map(exps, fn(e) { e /. total })
    })
  u.t(tensor.from_list2d(out), Ok)
}

/// `#(output, attention matrix, scores)` for `x` ([seq, d]).
pub fn forward(
  block: Block,
  x: Tensor,
) -> Result(#(Tensor, Tensor, Tensor), String) {
  use q <- u.t(tensor.matmul(x, block.wq))
  use k <- u.t(tensor.matmul(x, block.wk))
  use v <- u.t(tensor.matmul(x, block.wv))
  use kt <- u.t(tensor.transpose(k))
  use qk <- u.t(tensor.matmul(q, kt))
  let d = tensor.cols(q)
  let scores = tensor.scale(qk, 1.0 /. u.sqrt(u.to_float(d)))
  use a <- u.s(softmax_rows(scores))
  use av <- u.t(tensor.matmul(a, v))
  use out <- u.t(tensor.matmul(av, block.wo))
  Ok(#(out, a, scores))
}

/// One forward pass over seeded X [seq, d_model]; an error unless every
/// row of the attention matrix sums to 1 within 1e-9.
pub fn run() -> Result(Summary, String) {
  use block <- u.s(new_block(d_model))
  use x <- u.s(u.seeded([seq, d_model], seed: 35, std: 1.0))
  let #(result, us) = u.timed(fn() { forward(block, x) })
  use #(out, a, scores) <- u.s(result)
  use rows <- u.t(tensor.to_list2d(a))
  let row_sums = u.map(rows, fn(r) { sum(r, 0.0) })
  use _ <- u.s(u.check(
    all(row_sums, fn(s) { u.abs(s -. 1.0) <. 1.0e-9 }),
    "a softmax row does not sum to 1",
  ))
  use diff <- u.s(native_softmax_diff(scores, a))
  let data = tensor.to_list(out)
  Ok(Summary(
    output_shape: out.shape,
    checksum: sum(data, 0.0),
    sum_squares: sum(u.map(data, fn(y) { y *. y }), 0.0),
    row_sums: row_sums,
    softmax_vs_native: diff,
    forward_us: us,
  ))
}

/// Largest difference between `a` and the native softmax of `scores`.
fn native_softmax_diff(scores: Tensor, a: Tensor) -> Result(Float, String) {
  use n <- u.n(tensor.to_native(scores))
  use s <- u.n(ops.softmax(n, axis: 1))
  use back <- u.n(tensor.from_native(s))
  use d <- u.t(tensor.sub(back, a))
  Ok(max(u.map(tensor.to_list(d), u.abs), 0.0))
}

pub fn main() -> Nil {
  println(
    "Self-attention block, seq "
    <> int(seq)
    <> ", d_model "
    <> int(d_model)
    <> " (viva_tensor/tensor; matmul goes native)",
  )
  // A first pass loads the code and warms the caches; the second is timed.
  let _ = run()
  case run() {
    Error(e) -> println("error: " <> e)
    Ok(s) -> {
      println("  output shape: " <> u.shape(s.output_shape))
      println(
        "  checksum: sum "
        <> float(s.checksum, 6)
        <> ", sum of squares "
        <> float(s.sum_squares, 6),
      )
      println(
        "  softmax rows: "
        <> int(count(s.row_sums))
        <> " rows, largest |sum - 1| = "
        <> float(max(u.map(s.row_sums, fn(r) { u.abs(r -. 1.0) }), 0.0), 3),
      )
      println(
        "  hand softmax vs native ops.softmax: largest difference "
        <> float(s.softmax_vs_native, 3),
      )
      println(
        "  time: "
        <> ms(s.forward_us)
        <> " for one forward pass (after a warm-up pass)",
      )
      u.compare_modes("  forward pass", fn() { run() })
    }
  }
}

fn sum(xs: List(Float), acc: Float) -> Float {
  case xs {
    [] -> acc
    [x, ..rest] -> sum(rest, acc +. x)
  }
}

fn max(xs: List(Float), acc: Float) -> Float {
  case xs {
    [] -> acc
    [x, ..rest] if x >. acc -> max(rest, x)
    [_, ..rest] -> max(rest, acc)
  }
}

fn all(xs: List(a), ok: fn(a) -> Bool) -> Bool {
  case xs {
    [] -> True
    [x, ..rest] -> ok(x) && all(rest, ok)
  }
}

fn count(xs: List(a)) -> Int {
  case xs {
    [] -> 0
    [_, ..rest] -> 1 + count(rest)
  }
}
