//// Helpers shared by the examples: printing, number formatting, timing,
//// seeded weights, and the optional native/pure switch. No gleam_stdlib:
//// each helper is a line of Erlang.

import viva_tensor
import viva_tensor/tensor.{type Tensor}

@external(erlang, "examples_ffi", "println")
pub fn println(line: String) -> Nil

@external(erlang, "examples_ffi", "format_float")
fn format_float(x: Float, decimals: Int) -> String

/// `x` with `decimals` digits after the point.
pub fn float(x: Float, decimals: Int) -> String {
  format_float(x, decimals)
}

@external(erlang, "erlang", "integer_to_binary")
pub fn int(i: Int) -> String

@external(erlang, "erlang", "float")
pub fn to_float(i: Int) -> Float

@external(erlang, "math", "sqrt")
pub fn sqrt(x: Float) -> Float

@external(erlang, "math", "exp")
pub fn exp(x: Float) -> Float

@external(erlang, "math", "tanh")
pub fn tanh(x: Float) -> Float

@external(erlang, "examples_ffi", "is_finite")
pub fn is_finite(x: Float) -> Bool

pub fn sigmoid(x: Float) -> Float {
  1.0 /. { 1.0 +. exp(0.0 -. x) }
}

pub fn abs(x: Float) -> Float {
  case x <. 0.0 {
    True -> 0.0 -. x
    False -> x
  }
}

@external(erlang, "examples_ffi", "now_us")
pub fn now_us() -> Int

/// Runs `f` and returns its result with the elapsed microseconds.
pub fn timed(f: fn() -> a) -> #(a, Int) {
  let start = now_us()
  let result = f()
  #(result, now_us() - start)
}

/// Microseconds as milliseconds with one decimal, e.g. "12.3 ms".
pub fn ms(us: Int) -> String {
  float(to_float(us) /. 1000.0, 1) <> " ms"
}

/// Shape as "[16, 64]".
pub fn shape(dims: List(Int)) -> String {
  "[" <> join_ints(dims, "") <> "]"
}

fn join_ints(dims: List(Int), acc: String) -> String {
  case dims, acc {
    [], _ -> acc
    [d, ..rest], "" -> join_ints(rest, int(d))
    [d, ..rest], _ -> join_ints(rest, acc <> ", " <> int(d))
  }
}

/// A `Tensor` of N(0, std²) values, reproducible from `seed`: drawn by the
/// native generator (`viva_tensor.random_normal`, f64) and brought back as
/// the list-backed record with `tensor.from_native`.
pub fn seeded(
  shape: List(Int),
  seed seed: Int,
  std std: Float,
) -> Result(Tensor, String) {
  case
    viva_tensor.random_normal(
      shape,
      seed: seed,
      mean: 0.0,
      std: std,
      dtype: viva_tensor.F64,
    )
  {
    Ok(n) ->
      case tensor.from_native(n) {
        Ok(t) -> Ok(t)
        Error(e) -> Error(native_error(e))
      }
    Error(e) -> Error(native_error(e))
  }
}

/// A native error as text.
pub fn native_error(e: viva_tensor.TensorError) -> String {
  "viva_tensor: " <> string_of(e)
}

/// A `tensor.TensorError` (list-backed API) as text.
pub fn tensor_error(e: tensor.TensorError) -> String {
  "viva_tensor/tensor: " <> string_of(e)
}

@external(erlang, "examples_ffi", "inspect")
fn string_of(term: a) -> String

/// `Ok` unchanged, `Error` turned into text by `describe`: lets a `use`
/// chain mix the two error types of the library.
pub fn try(
  r: Result(a, e),
  describe: fn(e) -> String,
  next: fn(a) -> Result(b, String),
) -> Result(b, String) {
  case r {
    Ok(v) -> next(v)
    Error(e) -> Error(describe(e))
  }
}

/// `try` for the list-backed `viva_tensor/tensor` API.
pub fn t(
  r: Result(a, tensor.TensorError),
  next: fn(a) -> Result(b, String),
) -> Result(b, String) {
  try(r, tensor_error, next)
}

/// `try` for the native `viva_tensor` API.
pub fn n(
  r: Result(a, viva_tensor.TensorError),
  next: fn(a) -> Result(b, String),
) -> Result(b, String) {
  try(r, native_error, next)
}

/// `try` for results already in text.
pub fn s(
  r: Result(a, String),
  next: fn(a) -> Result(b, String),
) -> Result(b, String) {
  case r {
    Ok(v) -> next(v)
    Error(e) -> Error(e)
  }
}

/// An error unless `ok`.
pub fn check(ok: Bool, message: String) -> Result(Nil, String) {
  case ok {
    True -> Ok(Nil)
    False -> Error(message)
  }
}

// ---------------------------------------------------------------------------
// Native/pure switch

@external(erlang, "examples_ffi", "native_mode_get")
fn native_mode_get() -> String

@external(erlang, "examples_ffi", "native_mode_set")
fn native_mode_set(mode: String) -> Nil

/// Runs `f` again with the library's `viva_tensor_native_mode` set to
/// "never" (pure Gleam) and to "always" (native wherever a path exists)
/// and prints both times; the mode is restored afterwards.
pub fn compare_modes(label: String, f: fn() -> Result(a, String)) -> Nil {
  let before = native_mode_get()
  let lines =
    map(["never", "always"], fn(mode) {
      native_mode_set(mode)
      let #(r, us) = timed(f)
      let note = case r {
        Ok(_) -> ""
        Error(e) -> " (error: " <> e <> ")"
      }
      "    mode " <> mode <> ": " <> ms(us) <> note
    })
  native_mode_set(before)
  println(label <> " by viva_tensor_native_mode (default is " <> before <> "):")
  each(lines, println)
}

pub fn map(xs: List(a), f: fn(a) -> b) -> List(b) {
  reverse(map_acc(xs, f, []))
}

fn map_acc(xs: List(a), f: fn(a) -> b, acc: List(b)) -> List(b) {
  case xs {
    [] -> acc
    [x, ..rest] -> map_acc(rest, f, [f(x), ..acc])
  }
}

pub fn each(xs: List(a), f: fn(a) -> b) -> Nil {
  case xs {
    [] -> Nil
    [x, ..rest] -> {
      f(x)
      each(rest, f)
    }
  }
}

@external(erlang, "lists", "reverse")
pub fn reverse(xs: List(a)) -> List(a)
