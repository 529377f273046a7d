//// One LSTM cell step, run over a short sequence, the way VIVA's
//// `viva/neural/recurrent` does it with the list-backed
//// `viva_tensor/tensor` API:
////
////     gates = W x + U h + b          W: [4H, I], U: [4H, H], b: [4H]
////     i, f, g, o = split(gates)      (in that order, H each)
////     c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
////     h' = sigmoid(o) * tanh(c')
////
//// Run: `gleam run -m lstm_step`

import examples_util.{float, int, ms, println} as u
import viva_tensor/tensor.{type Tensor}

pub const input_size = 32

pub const hidden_size = 64

pub const steps = 20

pub type Summary {
  Summary(
    steps: Int,
    input_size: Int,
    hidden_size: Int,
    /// Every element of the final h and c.
    h: List(Float),
    c: List(Float),
    h_norm: Float,
    /// Time of the sequence (weights and inputs excluded).
    sequence_us: Int,
  )
}

pub type Cell {
  Cell(w: Tensor, u: Tensor, b: Tensor, hidden: Int)
}

/// A cell with seeded weights (std 1/sqrt(fan_in)) and the forget-gate bias
/// at 1.0, as VIVA initialises it.
pub fn new_cell(input: Int, hidden: Int) -> Result(Cell, String) {
  use w <- u.s(u.seeded(
    [4 * hidden, input],
    seed: 11,
    std: 1.0 /. u.sqrt(u.to_float(input)),
  ))
  use uu <- u.s(u.seeded(
    [4 * hidden, hidden],
    seed: 12,
    std: 1.0 /. u.sqrt(u.to_float(hidden)),
  ))
  let b =
    tensor.concat([
      tensor.zeros([hidden]),
      tensor.ones([hidden]),
      tensor.zeros([hidden]),
      tensor.zeros([hidden]),
    ])
  Ok(Cell(w: w, u: uu, b: b, hidden: hidden))
}

/// One step: `#(h', c')` from input `x` and state `h`, `c`.
pub fn step(
  cell: Cell,
  x: Tensor,
  h: Tensor,
  c: Tensor,
) -> Result(#(Tensor, Tensor), String) {
  let n = cell.hidden
  use wx <- u.t(tensor.matmul_vec(cell.w, x))
  use uh <- u.t(tensor.matmul_vec(cell.u, h))
  use sum <- u.t(tensor.add(wx, uh))
  use gates <- u.t(tensor.add(sum, cell.b))
  use i_pre <- u.t(tensor.slice(gates, [0], [n]))
  use f_pre <- u.t(tensor.slice(gates, [n], [n]))
  use g_pre <- u.t(tensor.slice(gates, [2 * n], [n]))
  use o_pre <- u.t(tensor.slice(gates, [3 * n], [n]))
  let i = tensor.map(i_pre, u.sigmoid)
  let f = tensor.map(f_pre, u.sigmoid)
  let g = tensor.map(g_pre, u.tanh)
  let o = tensor.map(o_pre, u.sigmoid)
  use fc <- u.t(tensor.mul(f, c))
  use ig <- u.t(tensor.mul(i, g))
  use c2 <- u.t(tensor.add(fc, ig))
  use h2 <- u.t(tensor.mul(o, tensor.map(c2, u.tanh)))
  Ok(#(h2, c2))
}

/// Runs the cell over the rows of `xs` ([T, I]) from a zero state.
pub fn sequence(cell: Cell, xs: Tensor) -> Result(#(Tensor, Tensor), String) {
  let h0 = tensor.zeros([cell.hidden])
  loop(cell, xs, 0, tensor.rows(xs), h0, h0)
}

fn loop(
  cell: Cell,
  xs: Tensor,
  t: Int,
  count: Int,
  h: Tensor,
  c: Tensor,
) -> Result(#(Tensor, Tensor), String) {
  case t < count {
    False -> Ok(#(h, c))
    True -> {
      use x <- u.t(tensor.get_row(xs, t))
      use #(h2, c2) <- u.s(step(cell, x, h, c))
      loop(cell, xs, t + 1, count, h2, c2)
    }
  }
}

/// `steps` steps of a cell with `input_size` inputs and `hidden_size`
/// units over seeded N(0, 1) inputs.
pub fn run() -> Result(Summary, String) {
  use cell <- u.s(new_cell(input_size, hidden_size))
  use xs <- u.s(u.seeded([steps, input_size], seed: 13, std: 1.0))
  let #(result, us) = u.timed(fn() { sequence(cell, xs) })
  use #(h, c) <- u.s(result)
  Ok(Summary(
    steps: steps,
    input_size: input_size,
    hidden_size: hidden_size,
    h: tensor.to_list(h),
    c: tensor.to_list(c),
    h_norm: tensor.norm(h),
    sequence_us: us,
  ))
}

pub fn main() -> Nil {
  println("LSTM cell (viva_tensor/tensor, list-backed)")
  case run() {
    Error(e) -> println("error: " <> e)
    Ok(s) -> {
      println(
        "  input "
        <> int(s.input_size)
        <> ", hidden "
        <> int(s.hidden_size)
        <> ", W "
        <> u.shape([4 * s.hidden_size, s.input_size])
        <> ", U "
        <> u.shape([4 * s.hidden_size, s.hidden_size])
        <> ", "
        <> int(s.steps)
        <> " steps",
      )
      println("  final |h| = " <> float(s.h_norm, 6))
      println(
        "  h range: ["
        <> float(min(s.h, 1.0), 4)
        <> ", "
        <> float(max(s.h, -1.0), 4)
        <> "] (tanh-bounded, inside (-1, 1))",
      )
      println(
        "  time: "
        <> ms(s.sequence_us)
        <> " for the sequence, "
        <> ms(s.sequence_us / s.steps)
        <> " per step",
      )
      u.compare_modes("  sequence", fn() { run() })
    }
  }
}

pub fn min(xs: List(Float), acc: Float) -> Float {
  case xs {
    [] -> acc
    [x, ..rest] if x <. acc -> min(rest, x)
    [_, ..rest] -> min(rest, acc)
  }
}

pub fn max(xs: List(Float), acc: Float) -> Float {
  case xs {
    [] -> acc
    [x, ..rest] if x >. acc -> max(rest, x)
    [_, ..rest] -> max(rest, acc)
  }
}
