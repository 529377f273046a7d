//// Dense layers trained by backpropagation written out by hand, as VIVA's
//// `viva/neural/layer` does it with the list-backed `viva_tensor/tensor`
//// API: forward `y = act(W x + b)` with `matmul_vec`, backward
//// `dW = outer(delta, x)`, `dx = transpose(W) · delta` with `transpose` and
//// `matmul_vec`, plain gradient descent.
////
//// The task is XOR-like regression: points x in [-1, 1]², target
//// x0 · x1 (positive in two opposite quadrants, negative in the other
//// two), which no single linear layer can fit. The network is
//// 2 → 16 (tanh) → 1 (linear), trained full-batch on 64 seeded points with
//// mean squared error.
////
//// Run: `gleam run -m dense_backprop`

import examples_util.{float, int, ms, println} as u
import viva_tensor/tensor.{type Tensor}

pub const hidden = 16

pub const samples = 64

pub const steps = 300

pub const learning_rate = 0.2

pub type Summary {
  Summary(
    steps: Int,
    initial_loss: Float,
    final_loss: Float,
    /// `#(step, loss)` every 50 steps, and the last.
    curve: List(#(Int, Float)),
    train_us: Int,
  )
}

pub type Activation {
  Tanh
  Linear
}

pub type Dense {
  Dense(w: Tensor, b: Tensor, activation: Activation)
}

/// What backward needs from forward.
pub type Cache {
  Cache(input: Tensor, output: Tensor)
}

pub type Grads {
  Grads(dw: Tensor, db: Tensor, dx: Tensor)
}

/// `act(W x + b)`.
pub fn forward(layer: Dense, x: Tensor) -> Result(#(Tensor, Cache), String) {
  use z <- u.t(tensor.matmul_vec(layer.w, x))
  use pre <- u.t(tensor.add(z, layer.b))
  let y = case layer.activation {
    Tanh -> tensor.map(pre, u.tanh)
    Linear -> pre
  }
  Ok(#(y, Cache(input: x, output: y)))
}

/// Gradients of the loss for `dy` = d loss / d output.
pub fn backward(
  layer: Dense,
  cache: Cache,
  dy: Tensor,
) -> Result(Grads, String) {
  use delta <- u.t(case layer.activation {
    // tanh' = 1 - y²
    Tanh -> tensor.mul(dy, tensor.map(cache.output, fn(y) { 1.0 -. y *. y }))
    Linear -> Ok(dy)
  })
  use dw <- u.t(tensor.outer(delta, cache.input))
  use wt <- u.t(tensor.transpose(layer.w))
  use dx <- u.t(tensor.matmul_vec(wt, delta))
  Ok(Grads(dw: dw, db: delta, dx: dx))
}

pub fn update(layer: Dense, g: Grads, rate: Float) -> Result(Dense, String) {
  use w <- u.t(tensor.sub(layer.w, tensor.scale(g.dw, rate)))
  use b <- u.t(tensor.sub(layer.b, tensor.scale(g.db, rate)))
  Ok(Dense(..layer, w: w, b: b))
}

fn add_grads(a: Grads, b: Grads) -> Result(Grads, String) {
  use dw <- u.t(tensor.add(a.dw, b.dw))
  use db <- u.t(tensor.add(a.db, b.db))
  Ok(Grads(dw: dw, db: db, dx: b.dx))
}

pub type Net {
  Net(l1: Dense, l2: Dense)
}

/// Seeded initial network (He-like std for the tanh layer).
pub fn new_net() -> Result(Net, String) {
  use w1 <- u.s(u.seeded([hidden, 2], seed: 21, std: 1.0))
  use w2 <- u.s(u.seeded(
    [1, hidden],
    seed: 22,
    std: 1.0 /. u.sqrt(u.to_float(hidden)),
  ))
  Ok(Net(
    l1: Dense(w: w1, b: tensor.zeros([hidden]), activation: Tanh),
    l2: Dense(w: w2, b: tensor.zeros([1]), activation: Linear),
  ))
}

/// `samples` points `#(x, target)`, x clamped to [-1, 1]², target x0·x1.
pub fn dataset() -> Result(List(#(Tensor, Tensor)), String) {
  use xs <- u.s(u.seeded([samples, 2], seed: 23, std: 0.6))
  let xs = tensor.clamp(xs, -1.0, 1.0)
  rows(xs, samples - 1, [])
}

fn rows(
  xs: Tensor,
  i: Int,
  acc: List(#(Tensor, Tensor)),
) -> Result(List(#(Tensor, Tensor)), String) {
  case i < 0 {
    True -> Ok(acc)
    False -> {
      use x <- u.t(tensor.get_row(xs, i))
      let target = case tensor.to_list(x) {
        [a, b] -> a *. b
        _ -> 0.0
      }
      rows(xs, i - 1, [#(x, tensor.from_list([target])), ..acc])
    }
  }
}

/// Mean squared error over the data set.
pub fn loss(net: Net, data: List(#(Tensor, Tensor))) -> Result(Float, String) {
  loss_acc(net, data, 0.0, 0)
}

fn loss_acc(
  net: Net,
  data: List(#(Tensor, Tensor)),
  acc: Float,
  count: Int,
) -> Result(Float, String) {
  case data {
    [] -> Ok(acc /. u.to_float(count))
    [#(x, target), ..rest] -> {
      use #(h, _) <- u.s(forward(net.l1, x))
      use #(y, _) <- u.s(forward(net.l2, h))
      use diff <- u.t(tensor.sub(y, target))
      loss_acc(
        net,
        rest,
        acc +. tensor.sum(tensor.map(diff, fn(d) { d *. d })),
        count + 1,
      )
    }
  }
}

/// One full-batch gradient-descent step.
pub fn train_step(
  net: Net,
  data: List(#(Tensor, Tensor)),
) -> Result(Net, String) {
  use #(g1, g2) <- u.s(batch_grads(net, data, None))
  let rate = learning_rate /. u.to_float(samples)
  use l1 <- u.s(update(net.l1, g1, rate))
  use l2 <- u.s(update(net.l2, g2, rate))
  Ok(Net(l1: l1, l2: l2))
}

type Acc {
  None
  Some(Grads, Grads)
}

fn batch_grads(
  net: Net,
  data: List(#(Tensor, Tensor)),
  acc: Acc,
) -> Result(#(Grads, Grads), String) {
  case data, acc {
    [], Some(g1, g2) -> Ok(#(g1, g2))
    [], None -> Error("empty data set")
    [#(x, target), ..rest], _ -> {
      use #(h, c1) <- u.s(forward(net.l1, x))
      use #(y, c2) <- u.s(forward(net.l2, h))
      // d(y - t)² / dy = 2 (y - t)
      use diff <- u.t(tensor.sub(y, target))
      use g2 <- u.s(backward(net.l2, c2, tensor.scale(diff, 2.0)))
      use g1 <- u.s(backward(net.l1, c1, g2.dx))
      case acc {
        None -> batch_grads(net, rest, Some(g1, g2))
        Some(a1, a2) -> {
          use s1 <- u.s(add_grads(a1, g1))
          use s2 <- u.s(add_grads(a2, g2))
          batch_grads(net, rest, Some(s1, s2))
        }
      }
    }
  }
}

fn train(
  net: Net,
  data: List(#(Tensor, Tensor)),
  step: Int,
  curve: List(#(Int, Float)),
) -> Result(#(Net, List(#(Int, Float))), String) {
  use curve <- u.s(case step % 50 == 0 || step == steps {
    True -> {
      use l <- u.s(loss(net, data))
      Ok([#(step, l), ..curve])
    }
    False -> Ok(curve)
  })
  case step < steps {
    False -> Ok(#(net, u.reverse(curve)))
    True -> {
      use next <- u.s(train_step(net, data))
      train(next, data, step + 1, curve)
    }
  }
}

/// Trains for `steps` steps; an error unless the loss fell to under half.
pub fn run() -> Result(Summary, String) {
  use net <- u.s(new_net())
  use data <- u.s(dataset())
  let #(result, us) = u.timed(fn() { train(net, data, 0, []) })
  use #(_, curve) <- u.s(result)
  let initial = case curve {
    [#(_, l), ..] -> l
    [] -> 0.0
  }
  let final = last(curve, initial)
  use _ <- u.s(u.check(
    final <. initial /. 2.0,
    "loss did not fall: " <> float(initial, 6) <> " -> " <> float(final, 6),
  ))
  Ok(Summary(
    steps: steps,
    initial_loss: initial,
    final_loss: final,
    curve: curve,
    train_us: us,
  ))
}

fn last(curve: List(#(Int, Float)), default: Float) -> Float {
  case curve {
    [] -> default
    [#(_, l)] -> l
    [_, ..rest] -> last(rest, default)
  }
}

pub fn main() -> Nil {
  println(
    "Dense 2 -> "
    <> int(hidden)
    <> " (tanh) -> 1, hand-written backprop (viva_tensor/tensor), XOR-like target x0*x1",
  )
  case run() {
    Error(e) -> println("error: " <> e)
    Ok(s) -> {
      u.each(s.curve, fn(p) {
        println("  step " <> int(p.0) <> ": loss " <> float(p.1, 6))
      })
      println(
        "  loss "
        <> float(s.initial_loss, 6)
        <> " -> "
        <> float(s.final_loss, 6)
        <> " ("
        <> float(s.final_loss /. s.initial_loss *. 100.0, 1)
        <> "% of the start)",
      )
      println(
        "  time: "
        <> ms(s.train_us)
        <> " for "
        <> int(s.steps)
        <> " steps of "
        <> int(samples)
        <> " samples",
      )
      u.compare_modes("  training", fn() { run() })
    }
  }
}
