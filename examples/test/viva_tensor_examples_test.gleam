//// `gleam test`: EUnit over the test functions below (gleeunit is a hex
//// package; this project uses none).

import attention
import dense_backprop
import examples_util as u
import hrr_memory
import lstm_step
import viva_tensor

@external(erlang, "examples_test_ffi", "run_eunit")
fn run_eunit(modules: List(String)) -> Nil

@external(erlang, "erlang", "binary_to_atom")
fn atom(name: String) -> String

pub fn main() -> Nil {
  run_eunit([atom("viva_tensor_examples_test")])
}

pub fn native_library_loads_from_path_dependency_test() {
  assert viva_tensor.load_status() == Ok(Nil)
}

pub fn lstm_outputs_are_finite_and_bounded_test() {
  let assert Ok(s) = lstm_step.run()
  assert count(s.h) == lstm_step.hidden_size
  assert count(s.c) == lstm_step.hidden_size
  assert all(s.h, fn(x) { u.is_finite(x) && x >. -1.0 && x <. 1.0 })
  assert all(s.c, u.is_finite)
  assert s.h_norm >. 0.0
}

pub fn lstm_is_deterministic_test() {
  let assert Ok(a) = lstm_step.run()
  let assert Ok(b) = lstm_step.run()
  assert a.h == b.h
}

pub fn dense_backprop_loss_falls_test() {
  let assert Ok(s) = dense_backprop.run()
  assert s.final_loss <. s.initial_loss /. 2.0
  assert s.final_loss <. 0.05
}

pub fn attention_softmax_rows_sum_to_one_test() {
  let assert Ok(s) = attention.run()
  assert s.output_shape == [attention.seq, attention.d_model]
  assert count(s.row_sums) == attention.seq
  assert all(s.row_sums, fn(r) { u.abs(r -. 1.0) <. 1.0e-9 })
  assert s.softmax_vs_native <. 1.0e-12
  assert u.is_finite(s.checksum)
}

pub fn hrr_memory_recall_test_() {
  // A 60 s EUnit timeout: 1,000 queries take a few seconds on 2 vCPUs.
  #(atom("timeout"), 60, fn() {
    let assert Ok(s) = hrr_memory.run()
    assert s.queried == hrr_memory.items
    assert s.recall >=. 0.95
  })
}

pub fn hrr_one_trace_of_1000_is_too_noisy_test_() {
  // The reason for several traces: one trace of all 1,000 pairs at the
  // same dimension recalls almost nothing.
  #(atom("timeout"), 60, fn() {
    let assert Ok(s) =
      hrr_memory.run_config(
        hrr_memory.Config(items: 1000, dim: hrr_memory.dim, per_trace: 1000),
        100,
      )
    assert s.recall <. 0.5
  })
}

fn count(xs: List(a)) -> Int {
  case xs {
    [] -> 0
    [_, ..rest] -> 1 + count(rest)
  }
}

fn all(xs: List(a), ok: fn(a) -> Bool) -> Bool {
  case xs {
    [] -> True
    [x, ..rest] -> ok(x) && all(rest, ok)
  }
}

pub fn hrr_memory_on_the_record_test_() {
  // The list-backed variant: every key of a 20-pair trace recalled (native
  // FFTs here; `make test` also runs the library's record HRR suite pure).
  #(atom("timeout"), 60, fn() {
    assert hrr_memory.record_memory(256, 20) == Ok(20)
  })
}
