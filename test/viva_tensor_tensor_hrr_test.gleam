//// Tests for `viva_tensor/tensor/hrr` (HRR on the list-backed record). The
//// same assertions hold whichever path runs: the suite is run with the
//// native library loaded (auto and always routing) and with it off.

import viva_tensor/tensor.{DimensionError, InvalidShape, ShapeMismatch, Tensor}
import viva_tensor/tensor/hrr

fn close(a: Float, b: Float, tol: Float) -> Bool {
  let d = a -. b
  d <. tol && d >. 0.0 -. tol
}

fn all_close(a: List(Float), b: List(Float), tol: Float) -> Bool {
  case a, b {
    [], [] -> True
    [x, ..xs], [y, ..ys] -> close(x, y, tol) && all_close(xs, ys, tol)
    _, _ -> False
  }
}

/// The O(d²) definition of binding, for comparison.
fn naive_bind(a: List(Float), b: List(Float)) -> List(Float) {
  let d = length(a)
  let ta = to_tuple(a)
  let tb = to_tuple(b)
  map_range(d, fn(k) {
    sum_range(d, fn(j) { at(ta, j) *. at(tb, { k - j + d } % d) })
  })
}

pub fn bind_and_unbind_match_the_definitions_test() {
  // below (8) and above (64) the native crossover
  each([8, 64], fn(d) {
    let assert Ok(a) = hrr.random(d, seed: 1)
    let assert Ok(b) = hrr.random(d, seed: 2)
    let assert Ok(ab) = hrr.bind(a, b)
    assert ab.shape == [d]
    assert all_close(
      tensor.to_list(ab),
      naive_bind(tensor.to_list(a), tensor.to_list(b)),
      1.0e-12,
    )
    // unbind is binding with the involution (a[0], a[d-1], ..., a[1])
    let assert Ok(u) = hrr.unbind(ab, a)
    let inv = case tensor.to_list(a) {
      [first, ..rest] -> [first, ..reverse(rest)]
      [] -> []
    }
    assert all_close(
      tensor.to_list(u),
      naive_bind(tensor.to_list(ab), inv),
      1.0e-12,
    )
  })
}

pub fn unbinding_recovers_the_filler_among_distractors_test() {
  let d = 512
  let assert Ok(role) = hrr.random(d, seed: 10)
  let assert Ok(filler) = hrr.random(d, seed: 11)
  let assert Ok(other_role) = hrr.random(d, seed: 12)
  let assert Ok(other) = hrr.random(d, seed: 13)
  let assert Ok(p1) = hrr.bind(role, filler)
  let assert Ok(p2) = hrr.bind(other_role, other)
  let assert Ok(trace) = hrr.superpose([p1, p2])
  let distractors =
    map_range(20, fn(i) {
      let assert Ok(x) = hrr.random(d, seed: 100 + i)
      x
    })
  let assert Ok([#(best, score), ..]) =
    hrr.query(trace, role, [other, ..append(distractors, [filler])], k: 3)
  assert best == 21
  assert score >. 0.4
  let assert Ok(top) = hrr.query(trace, role, [filler, other], k: 5)
  assert length(top) == 2
}

pub fn encode_sequence_recovers_each_position_test() {
  let d = 256
  let assert Ok(p) = hrr.random_unitary(d, seed: 5)
  assert close(tensor.norm(p), 1.0, 1.0e-9)
  let items =
    map_range(4, fn(i) {
      let assert Ok(x) = hrr.random(d, seed: 40 + i)
      x
    })
  let assert Ok(trace) = hrr.encode_sequence(items, p)
  // item 0 is stored as is; item k under p^k
  let assert Ok(p2) = hrr.bind(p, p)
  let assert Ok(p3) = hrr.bind(p2, p)
  each_index([p, p2, p3], fn(pk, i) {
    let assert Ok([#(best, _), ..]) = hrr.query(trace, pk, items, k: 1)
    assert best == i + 1
  })
  // the definition, with plain binds
  let assert [i0, i1, i2, i3] = items
  let assert Ok(b1) = hrr.bind(i1, p)
  let assert Ok(b2) = hrr.bind(i2, p2)
  let assert Ok(b3) = hrr.bind(i3, p3)
  let assert Ok(want) = hrr.superpose([i0, b1, b2, b3])
  assert all_close(tensor.to_list(trace), tensor.to_list(want), 1.0e-9)
}

pub fn similarity_and_normalize_test() {
  let a = tensor.from_list([3.0, 4.0])
  assert hrr.similarity(a, a) == Ok(1.0)
  assert hrr.similarity(a, tensor.from_list([-4.0, 3.0])) == Ok(0.0)
  // a norm below 1e-4 gives 0.0, as the VIVA runtime expects
  assert hrr.similarity(a, tensor.from_list([0.00001, 0.0])) == Ok(0.0)
  let unit = hrr.normalize(a)
  assert unit.shape == [2]
  assert all_close(tensor.to_list(unit), [0.6, 0.8], 1.0e-15)
}

pub fn errors_test() {
  let a = tensor.from_list([1.0, 2.0])
  let b = tensor.from_list([1.0, 2.0, 3.0])
  assert hrr.bind(a, b) == Error(ShapeMismatch(expected: [2], got: [3]))
  assert hrr.unbind(tensor.zeros([2, 2]), tensor.zeros([2, 2]))
    == Error(DimensionError("HRR vectors are 1-D"))
  let assert Error(InvalidShape(_)) =
    hrr.bind(Tensor(data: [1.0], shape: [2]), a)
  let assert Error(InvalidShape(_)) = hrr.random(0, seed: 1)
  let assert Error(InvalidShape(_)) = hrr.random_unitary(0, seed: 1)
  let assert Error(InvalidShape(_)) = hrr.encode_sequence([], a)
  assert hrr.encode_sequence([a, b], a)
    == Error(ShapeMismatch(expected: [3], got: [2]))
  let assert Error(InvalidShape(_)) = hrr.superpose([])
  let assert Error(DimensionError(_)) = hrr.query(a, a, [a], k: -1)
  assert hrr.similarity(a, b) == Error(ShapeMismatch(expected: [2], got: [3]))
}

pub fn random_is_reproducible_test() {
  let assert Ok(x) = hrr.random(64, seed: 3)
  let assert Ok(y) = hrr.random(64, seed: 3)
  let assert Ok(z) = hrr.random(64, seed: 4)
  assert x == y
  assert x != z
  // N(0, 1/d): the norm is about 1
  assert close(tensor.norm(x), 1.0, 0.3)
}

// ---------------------------------------------------------------------------
// Helpers (no gleam_stdlib)

type Tuple

@external(erlang, "erlang", "list_to_tuple")
fn to_tuple(xs: List(Float)) -> Tuple

@external(erlang, "viva_tensor_test_ffi", "element0")
fn at(t: Tuple, i: Int) -> Float

@external(erlang, "erlang", "length")
fn length(xs: List(a)) -> Int

@external(erlang, "lists", "reverse")
fn reverse(xs: List(a)) -> List(a)

@external(erlang, "lists", "append")
fn append(a: List(a), b: List(a)) -> List(a)

fn map_range(n: Int, f: fn(Int) -> a) -> List(a) {
  map_range_loop(n - 1, f, [])
}

fn map_range_loop(i: Int, f: fn(Int) -> a, acc: List(a)) -> List(a) {
  case i < 0 {
    True -> acc
    False -> map_range_loop(i - 1, f, [f(i), ..acc])
  }
}

fn sum_range(n: Int, f: fn(Int) -> Float) -> Float {
  sum_loop(0, n, f, 0.0)
}

fn sum_loop(i: Int, n: Int, f: fn(Int) -> Float, acc: Float) -> Float {
  case i >= n {
    True -> acc
    False -> sum_loop(i + 1, n, f, acc +. f(i))
  }
}

fn each(xs: List(a), f: fn(a) -> Nil) -> Nil {
  case xs {
    [] -> Nil
    [x, ..rest] -> {
      f(x)
      each(rest, f)
    }
  }
}

fn each_index(xs: List(a), f: fn(a, Int) -> Nil) -> Nil {
  each_index_loop(xs, 0, f)
}

fn each_index_loop(xs: List(a), i: Int, f: fn(a, Int) -> Nil) -> Nil {
  case xs {
    [] -> Nil
    [x, ..rest] -> {
      f(x, i)
      each_index_loop(rest, i + 1, f)
    }
  }
}
