//// Holographic reduced representations on the list-backed
//// `viva_tensor/tensor` record, for code written against viva_tensor 1.2.1
//// (the VIVA runtime's `hrr` module keeps its vectors in such records).
////
//// Vectors are 1-D `Tensor(data, [d])`. From `d = 16` (the measured
//// crossover, see the README's bench), binding, unbinding and sequence
//// encoding run as f64 FFTs in the native library; below it, or when the
//// native library is not loaded, they run as the O(d²) definitions in
//// pure BEAM code, so this module works everywhere.
////
//// ```gleam
//// import viva_tensor/tensor/hrr
////
//// pub fn main() {
////   let assert Ok(role) = hrr.random(1024, seed: 1)
////   let assert Ok(filler) = hrr.random(1024, seed: 2)
////   let assert Ok(trace) = hrr.bind(role, filler)
////   let assert Ok(guess) = hrr.unbind(trace, role)
////   hrr.similarity(guess, filler) // -> Ok(about 0.7)
//// }
//// ```

import viva_tensor
import viva_tensor/hrr as native_hrr
import viva_tensor/tensor.{
  type Tensor, type TensorError, DimensionError, InvalidShape, ShapeMismatch,
  Tensor,
}

/// Vector length from which bind, unbind and encode_sequence go native.
/// Measured by `make bench` (compat rows): the pure O(d²) bind against the
/// native round trip (list to native, FFT, back) is 3.3 vs 8.2 us at d = 8,
/// 11.8 vs 8.7 us at d = 16, 159 vs 16 us at d = 64.
const native_min_dim = 16

/// A random vector `[dim]` with i.i.d. N(0, 1/dim) elements, reproducible
/// from `seed`. With the native library loaded it is the same vector as
/// `viva_tensor/hrr.random(dim, seed, F64)` on every machine; without it,
/// the values come from Erlang's `rand` (exsss) seeded with `seed`.
///
/// Errors: `InvalidShape` when `dim < 1`.
///
/// ```gleam
/// let assert Ok(v) = hrr.random(512, seed: 7)
/// v.shape // -> [512]
/// ```
pub fn random(dim: Int, seed seed: Int) -> Result(Tensor, TensorError) {
  case dim < 1 {
    True -> Error(InvalidShape("an HRR vector needs a dimension of at least 1"))
    False ->
      case native_hrr.random(dim, seed: seed, dtype: viva_tensor.F64) {
        Ok(n) -> from_native_or(n, fn() { pure_random(dim, seed) })
        Error(_) -> Ok(pure_random(dim, seed))
      }
  }
}

/// A random unitary vector `[dim]`: every frequency of its spectrum has
/// magnitude 1. Its norm is 1, its powers under `bind` keep norm 1, and
/// unbinding it is exact; use it as `encode_sequence`'s position. Native
/// when loaded (the same vector as `viva_tensor/hrr.random_unitary` in
/// F64), else an O(dim²) DFT over `random(dim, seed)`.
///
/// Errors: `InvalidShape` when `dim < 1`.
///
/// ```gleam
/// let assert Ok(p) = hrr.random_unitary(512, seed: 3)
/// ```
pub fn random_unitary(dim: Int, seed seed: Int) -> Result(Tensor, TensorError) {
  case dim < 1 {
    True -> Error(InvalidShape("an HRR vector needs a dimension of at least 1"))
    False ->
      case native_hrr.random_unitary(dim, seed: seed, dtype: viva_tensor.F64) {
        Ok(n) -> from_native_or(n, fn() { pure_unitary(dim, seed) })
        Error(_) -> Ok(pure_unitary(dim, seed))
      }
  }
}

/// Binds two vectors of equal length `d` (circular convolution).
///
/// Errors: `DimensionError` unless both are 1-D, `ShapeMismatch` when the
/// lengths differ, `InvalidShape` when a vector's data does not fill its
/// shape.
///
/// ```gleam
/// let assert Ok(pair) = hrr.bind(role, filler)
/// ```
pub fn bind(a: Tensor, b: Tensor) -> Result(Tensor, TensorError) {
  use #(xa, xb, d) <- pair(a, b)
  Ok(
    route(d, fn() { native_pair(native_hrr.bind, xa, xb, d) }, fn() {
      Tensor(data: pure_bind(xa, xb), shape: [d])
    }),
  )
}

/// Unbinds `key` from `trace` (circular correlation, the approximate
/// inverse of `bind`): `unbind(bind(a, b), a)` is similar to `b`.
///
/// Errors: as `bind`.
///
/// ```gleam
/// let assert Ok(guess) = hrr.unbind(trace, role)
/// ```
pub fn unbind(trace: Tensor, key: Tensor) -> Result(Tensor, TensorError) {
  use #(xt, xk, d) <- pair(trace, key)
  Ok(
    route(d, fn() { native_pair(native_hrr.unbind, xt, xk, d) }, fn() {
      Tensor(data: pure_unbind(xt, xk), shape: [d])
    }),
  )
}

/// Encodes an ordered sequence into one trace: `items[0] + bind(items[1],
/// p) + bind(items[2], p^2) + ...` with `p^k` the position bound with
/// itself `k` times, as the VIVA runtime's `hrr.encode_sequence` does.
/// `unbind(trace, p^k)` recovers item `k`. Use a `random_unitary` position:
/// a plain random one's powers grow or shrink exponentially.
///
/// Errors: `InvalidShape` for an empty list; as `bind` when an item does
/// not match the position.
///
/// ```gleam
/// let assert Ok(p) = hrr.random_unitary(1024, seed: 1)
/// let assert Ok(trace) = hrr.encode_sequence([a, b, c], p)
/// ```
pub fn encode_sequence(
  items: List(Tensor),
  position: Tensor,
) -> Result(Tensor, TensorError) {
  case items {
    [] -> Error(InvalidShape("cannot encode an empty sequence"))
    _ -> {
      use rows <- all_ok(items, fn(item) { pair(item, position, Ok) })
      let p = tensor.to_list(position)
      let d = tensor.size(position)
      let datas = map(rows, fn(r) { r.0 })
      Ok(
        route(d, fn() { native_sequence(datas, p, d) }, fn() {
          Tensor(data: pure_sequence(datas, p), shape: [d])
        }),
      )
    }
  }
}

/// The element-wise sum of equal-shape vectors (a trace holding several
/// bindings at once).
///
/// Errors: `InvalidShape` for an empty list, `ShapeMismatch` when shapes
/// differ.
///
/// ```gleam
/// let assert Ok(trace) = hrr.superpose([pair1, pair2])
/// ```
pub fn superpose(vectors: List(Tensor)) -> Result(Tensor, TensorError) {
  case vectors {
    [] -> Error(InvalidShape("cannot superpose an empty list"))
    [first, ..rest] -> fold_add(rest, first)
  }
}

fn fold_add(rest: List(Tensor), acc: Tensor) -> Result(Tensor, TensorError) {
  case rest {
    [] -> Ok(acc)
    [t, ..more] ->
      case tensor.add(acc, t) {
        Ok(sum) -> fold_add(more, sum)
        Error(e) -> Error(e)
      }
  }
}

/// The vector scaled to unit L2 norm; returned unchanged when its norm is
/// not above `0.0001` (as `tensor.normalize`).
///
/// ```gleam
/// hrr.normalize(trace)
/// ```
pub fn normalize(v: Tensor) -> Tensor {
  tensor.normalize(v)
}

/// Cosine similarity of two vectors of equal length: `0.0` when either
/// norm is below `0.0001`.
///
/// Errors: as `bind`.
///
/// ```gleam
/// hrr.similarity(guess, filler) // -> Ok(0.7...)
/// ```
pub fn similarity(a: Tensor, b: Tensor) -> Result(Float, TensorError) {
  use #(xa, xb, _) <- pair(a, b)
  Ok(cosine(xa, xb))
}

/// Unbinds `key` from `trace` and ranks `candidates` by cosine similarity
/// to the result: the `k` best as `#(index, score)`, best first (all of
/// them when `k` exceeds their number).
///
/// Errors: as `unbind`, or for a candidate of another length;
/// `DimensionError` when `k` is negative.
///
/// ```gleam
/// let assert Ok([#(best, score), ..]) = hrr.query(trace, role, fillers, k: 3)
/// ```
pub fn query(
  trace: Tensor,
  key: Tensor,
  candidates: List(Tensor),
  k k: Int,
) -> Result(List(#(Int, Float)), TensorError) {
  case k < 0 {
    True -> Error(DimensionError("k must be >= 0"))
    False -> {
      use guess <- try(unbind(trace, key))
      let g = tensor.to_list(guess)
      let ng = sqrt(dot(g, g, 0.0))
      use scored <- all_ok(index(candidates), fn(c) {
        use #(_, xc, _) <- pair(guess, c.1)
        Ok(#(c.0, cosine_normed(g, ng, xc)))
      })
      Ok(take(sort_by(scored, fn(x, y) { x.1 >=. y.1 }), k))
    }
  }
}

// =============================================================================
// INTERNAL
// =============================================================================

/// Both vectors' data and their common length, or the error `bind` gives.
fn pair(
  a: Tensor,
  b: Tensor,
  next: fn(#(List(Float), List(Float), Int)) -> Result(c, TensorError),
) -> Result(c, TensorError) {
  case a.shape, b.shape {
    [d], [e] if d == e -> {
      let xa = tensor.to_list(a)
      let xb = tensor.to_list(b)
      case length(xa) == d && length(xb) == d {
        True -> next(#(xa, xb, d))
        False -> Error(InvalidShape("a vector's data does not fill its shape"))
      }
    }
    [_], [_] -> Error(ShapeMismatch(expected: a.shape, got: b.shape))
    _, _ -> Error(DimensionError("HRR vectors are 1-D"))
  }
}

/// Runs `native` when `d` reaches the crossover (under the current
/// `viva_tensor_native_mode`) and it succeeds; else `pure`.
fn route(d: Int, native: fn() -> Result(Tensor, Nil), pure: fn() -> Tensor) {
  case d >= native_min_work(native_min_dim) {
    True ->
      case native() {
        Ok(t) -> t
        Error(_) -> pure()
      }
    False -> pure()
  }
}

@external(erlang, "viva_tensor_native_mode", "min_work")
fn native_min_work(crossover: Int) -> Int

fn native_pair(
  op: fn(viva_tensor.Tensor, viva_tensor.Tensor) ->
    Result(viva_tensor.Tensor, viva_tensor.TensorError),
  xa: List(Float),
  xb: List(Float),
  d: Int,
) -> Result(Tensor, Nil) {
  case to_f64(xa, [d]), to_f64(xb, [d]) {
    Ok(na), Ok(nb) ->
      case op(na, nb) {
        Ok(r) -> back(r)
        Error(_) -> Error(Nil)
      }
    _, _ -> Error(Nil)
  }
}

fn native_sequence(
  rows: List(List(Float)),
  p: List(Float),
  d: Int,
) -> Result(Tensor, Nil) {
  case to_f64(flatten(rows), [length(rows), d]), to_f64(p, [d]) {
    Ok(items), Ok(pos) ->
      case native_hrr.encode_sequence(items, pos) {
        Ok(r) -> back(r)
        Error(_) -> Error(Nil)
      }
    _, _ -> Error(Nil)
  }
}

fn to_f64(
  data: List(Float),
  shape: List(Int),
) -> Result(viva_tensor.Tensor, viva_tensor.TensorError) {
  viva_tensor.from_list(data, shape: shape, dtype: viva_tensor.F64)
}

fn back(n: viva_tensor.Tensor) -> Result(Tensor, Nil) {
  case tensor.from_native(n) {
    Ok(t) -> Ok(t)
    Error(_) -> Error(Nil)
  }
}

fn from_native_or(
  n: viva_tensor.Tensor,
  pure: fn() -> Tensor,
) -> Result(Tensor, TensorError) {
  case back(n) {
    Ok(t) -> Ok(t)
    Error(_) -> Ok(pure())
  }
}

fn pure_random(dim: Int, seed: Int) -> Tensor {
  Tensor(data: erl_random(dim, seed), shape: [dim])
}

fn pure_unitary(dim: Int, seed: Int) -> Tensor {
  Tensor(data: erl_unitary(erl_random(dim, seed)), shape: [dim])
}

/// items[0] + Σ bind(items[k], p^k), folding as the VIVA runtime does.
fn pure_sequence(rows: List(List(Float)), p: List(Float)) -> List(Float) {
  case rows {
    [] -> []
    [first, ..rest] -> sequence_loop(rest, p, p, first)
  }
}

fn sequence_loop(
  rows: List(List(Float)),
  p: List(Float),
  pk: List(Float),
  acc: List(Float),
) -> List(Float) {
  case rows {
    [] -> acc
    [row, ..rest] ->
      sequence_loop(
        rest,
        p,
        pure_bind(pk, p),
        zip_add(acc, pure_bind(row, pk), []),
      )
  }
}

fn cosine(a: List(Float), b: List(Float)) -> Float {
  cosine_normed(a, sqrt(dot(a, a, 0.0)), b)
}

/// `cosine(a, b)` with `a`'s norm `na` already known (a query scores one
/// vector against many).
fn cosine_normed(a: List(Float), na: Float, b: List(Float)) -> Float {
  let nb = sqrt(dot(b, b, 0.0))
  case na <. 0.0001 || nb <. 0.0001 {
    True -> 0.0
    False -> dot(a, b, 0.0) /. { na *. nb }
  }
}

fn dot(a: List(Float), b: List(Float), acc: Float) -> Float {
  case a, b {
    [x, ..xs], [y, ..ys] -> dot(xs, ys, acc +. x *. y)
    _, _ -> acc
  }
}

fn zip_add(a: List(Float), b: List(Float), acc: List(Float)) -> List(Float) {
  case a, b {
    [x, ..xs], [y, ..ys] -> zip_add(xs, ys, [x +. y, ..acc])
    _, _ -> reverse(acc)
  }
}

fn try(r: Result(a, e), next: fn(a) -> Result(b, e)) -> Result(b, e) {
  case r {
    Ok(v) -> next(v)
    Error(e) -> Error(e)
  }
}

/// `f` over every element, stopping at the first error.
fn all_ok(
  xs: List(a),
  f: fn(a) -> Result(b, e),
  next: fn(List(b)) -> Result(c, e),
) -> Result(c, e) {
  all_ok_loop(xs, f, [], next)
}

fn all_ok_loop(
  xs: List(a),
  f: fn(a) -> Result(b, e),
  acc: List(b),
  next: fn(List(b)) -> Result(c, e),
) -> Result(c, e) {
  case xs {
    [] -> next(reverse(acc))
    [x, ..rest] ->
      case f(x) {
        Ok(y) -> all_ok_loop(rest, f, [y, ..acc], next)
        Error(e) -> Error(e)
      }
  }
}

fn index(xs: List(a)) -> List(#(Int, a)) {
  index_loop(xs, 0, [])
}

fn index_loop(xs: List(a), i: Int, acc: List(#(Int, a))) -> List(#(Int, a)) {
  case xs {
    [] -> reverse(acc)
    [x, ..rest] -> index_loop(rest, i + 1, [#(i, x), ..acc])
  }
}

fn map(xs: List(a), f: fn(a) -> b) -> List(b) {
  map_loop(xs, f, [])
}

fn map_loop(xs: List(a), f: fn(a) -> b, acc: List(b)) -> List(b) {
  case xs {
    [] -> reverse(acc)
    [x, ..rest] -> map_loop(rest, f, [f(x), ..acc])
  }
}

fn take(xs: List(a), n: Int) -> List(a) {
  case xs, n > 0 {
    [x, ..rest], True -> [x, ..take(rest, n - 1)]
    _, _ -> []
  }
}

@external(erlang, "viva_tensor_compat_hrr", "bind")
fn pure_bind(a: List(Float), b: List(Float)) -> List(Float)

@external(erlang, "viva_tensor_compat_hrr", "unbind")
fn pure_unbind(trace: List(Float), key: List(Float)) -> List(Float)

@external(erlang, "viva_tensor_compat_hrr", "random")
fn erl_random(dim: Int, seed: Int) -> List(Float)

@external(erlang, "viva_tensor_compat_hrr", "unitary")
fn erl_unitary(x: List(Float)) -> List(Float)

@external(erlang, "lists", "append")
fn flatten(xs: List(List(a))) -> List(a)

@external(erlang, "lists", "reverse")
fn reverse(xs: List(a)) -> List(a)

@external(erlang, "erlang", "length")
fn length(xs: List(a)) -> Int

@external(erlang, "math", "sqrt")
fn sqrt(x: Float) -> Float

@external(erlang, "viva_tensor_compat_hrr", "sort_by")
fn sort_by(xs: List(a), before: fn(a, a) -> Bool) -> List(a)
