//// The README's Gleam example, verbatim (test/readme_tests.erl checks that
//// the README block appears in this file), run by `gleam test`.

import viva_tensor.{F32, ShapeMismatch}

pub fn readme_example() {
  let assert Ok(t) =
    viva_tensor.from_list(
      [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
      shape: [2, 3],
      dtype: F32,
    )
  let assert [2, 3] = viva_tensor.shape(t)
  let assert Ok(tt) = viva_tensor.transpose(t)
  let assert Ok([1.0, 4.0, 2.0, 5.0, 3.0, 6.0]) = viva_tensor.to_list(tt)
  let assert Error(ShapeMismatch(expected: [4, 4], got: [2, 3])) =
    viva_tensor.broadcast_to(t, [4, 4])
}

pub fn readme_example_test() {
  readme_example()
}
