//// Gleam tests for `viva_tensor/hrr` (the runner in viva_tensor_test.gleam
//// lists this module).

import viva_tensor.{F32, F64, InvalidArgument, InvalidShape, ShapeMismatch}
import viva_tensor/hrr
import viva_tensor/ops

pub fn bind_then_unbind_recovers_the_filler_test() {
  let assert Ok(role) = hrr.random(1024, seed: 1, dtype: F32)
  let assert Ok(filler) = hrr.random(1024, seed: 2, dtype: F32)
  let assert Ok(other) = hrr.random(1024, seed: 3, dtype: F32)
  let assert Ok(trace) = hrr.bind(role, filler)
  let assert Ok(guess) = hrr.unbind(trace, role)
  let assert Ok(s) = hrr.similarity(guess, filler)
  let assert Ok(s_other) = hrr.similarity(guess, other)
  assert s >. 0.5
  assert s_other <. 0.2
}

pub fn bind_matches_a_hand_computed_convolution_test() {
  // [1, 2, 3] (*) [0, 1, 0] shifts by one: [3, 1, 2]
  let assert Ok(a) =
    viva_tensor.from_list([1.0, 2.0, 3.0], shape: [3], dtype: F64)
  let assert Ok(b) =
    viva_tensor.from_list([0.0, 1.0, 0.0], shape: [3], dtype: F64)
  let assert Ok(ab) = hrr.bind(a, b)
  let assert Ok([x, y, z]) = viva_tensor.to_list(ab)
  assert x >. 2.999999 && x <. 3.000001
  assert y >. 0.999999 && y <. 1.000001
  assert z >. 1.999999 && z <. 2.000001
  // unbinding the shift undoes it
  let assert Ok(back) = hrr.unbind(ab, b)
  let assert Ok([p, _, _]) = viva_tensor.to_list(back)
  assert p >. 0.999999 && p <. 1.000001
}

pub fn superpose_query_and_normalize_test() {
  let assert Ok(r1) = hrr.random(512, seed: 10, dtype: F32)
  let assert Ok(f1) = hrr.random(512, seed: 11, dtype: F32)
  let assert Ok(r2) = hrr.random(512, seed: 12, dtype: F32)
  let assert Ok(f2) = hrr.random(512, seed: 13, dtype: F32)
  let assert Ok(p1) = hrr.bind(r1, f1)
  let assert Ok(p2) = hrr.bind(r2, f2)
  let assert Ok(trace) = hrr.superpose([p1, p2])
  let assert Ok(d1) = hrr.random(512, seed: 14, dtype: F32)
  let assert Ok(candidates) = ops.stack([d1, f2, f1], axis: 0)
  let assert Ok([#(2, score), #(_, _)]) = hrr.query(trace, r1, candidates, k: 2)
  assert score >. 0.4
  let assert Ok(unit) = hrr.normalize(trace)
  let assert Ok(n) =
    ops.norm(unit, ord: ops.L2, axes: ops.AllAxes, keepdims: False)
  let assert Ok([one]) = viva_tensor.to_list(n)
  assert one >. 0.9999 && one <. 1.0001
}

pub fn errors_test() {
  let assert Ok(a) = hrr.random(8, seed: 1, dtype: F32)
  let assert Ok(b) = hrr.random(9, seed: 1, dtype: F32)
  let assert Error(ShapeMismatch(expected: [8], got: [9])) = hrr.bind(a, b)
  let assert Error(InvalidShape(_)) = hrr.random(0, seed: 1, dtype: F32)
  let assert Error(InvalidArgument(_)) = hrr.superpose([])
  let assert Error(InvalidArgument(_)) = hrr.query(a, a, a, k: -1)
  let assert Error(ShapeMismatch(_, _)) = hrr.similarity(a, b)
  // zero norm: similarity is 0.0, as the VIVA runtime expects
  let assert Ok(z) = viva_tensor.zeros([8], dtype: F32)
  assert hrr.similarity(a, z) == Ok(0.0)
  // seeds beyond 64 bits wrap instead of failing
  let assert Ok(_) =
    hrr.random(4, seed: 123_456_789_012_345_678_901_234, dtype: F32)
}

pub fn encode_sequence_with_a_unitary_position_test() {
  let assert Ok(items) =
    viva_tensor.random_normal(
      [5, 1024],
      seed: 1,
      mean: 0.0,
      std: 0.03125,
      dtype: F32,
    )
  let assert Ok(p) = hrr.random_unitary(1024, seed: 2, dtype: F32)
  let assert Ok(trace) = hrr.encode_sequence(items, p)
  assert viva_tensor.shape(trace) == [1024]
  // p^2 recovers the third item (row 2)
  let assert Ok(p2) = hrr.bind(p, p)
  let assert Ok([#(best, _), ..]) = hrr.query(trace, p2, items, k: 1)
  assert best == 2
  // errors
  let assert Ok(empty) = viva_tensor.zeros([0, 1024], dtype: F32)
  let assert Error(InvalidShape(_)) = hrr.encode_sequence(empty, p)
  let assert Ok(short) = hrr.random(8, seed: 1, dtype: F32)
  let assert Error(ShapeMismatch(_, _)) = hrr.encode_sequence(items, short)
  let assert Error(InvalidShape(_)) = hrr.random_unitary(0, seed: 1, dtype: F64)
}
