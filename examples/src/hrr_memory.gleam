//// An associative memory of 1,000 key → value pairs in holographic
//// reduced representations, with the native `viva_tensor/hrr` API (the
//// shape of VIVA's `viva/memory/hrr`):
////
//// - every key and value is a random f32 HRR vector `[d]` (`hrr.random`);
//// - each pair is stored as `hrr.bind(key, value)`;
//// - pairs are summed into superposed traces of `per_trace` pairs each
////   (`hrr.superpose`), key i living in trace i / per_trace;
//// - a key is recalled with `hrr.query(trace, key, values, k: 1)`: unbind
////   the key from its trace and rank all 1,000 values (one `[1000, d]`
////   matrix) by cosine. Recall@1 is the fraction of keys whose own value
////   ranks first.
////
//// A trace of n pairs gives back its value with cosine about 1/sqrt(n)
//// (0.7 for one pair, about 0.07 for 100), while the best of 999 unrelated
//// values reaches about 3.2/sqrt(d); `sweep` measures where recall holds.
////
//// Run: `gleam run -m hrr_memory`

import examples_util.{float, int, ms, println} as u
import viva_tensor.{type Tensor}
import viva_tensor/hrr
import viva_tensor/ops
import viva_tensor/tensor
import viva_tensor/tensor/hrr as record_hrr

pub const items = 1000

/// The configuration `run` uses; see README.md for the sweep behind it.
pub const dim = 1024

pub const per_trace = 20

pub type Config {
  Config(items: Int, dim: Int, per_trace: Int)
}

pub type Summary {
  Summary(
    config: Config,
    traces: Int,
    queried: Int,
    correct: Int,
    recall: Float,
    /// Mean cosine of the winning (correct) value's score.
    mean_top_score: Float,
    /// Time to make the vectors, bind the pairs and build the traces.
    store_us: Int,
    /// Time of all queries divided by their number.
    per_query_us: Float,
  )
}

pub type Memory {
  Memory(keys: List(Tensor), traces: Traces, values: Tensor)
}

/// Traces by index (an Erlang tuple: constant-time lookup).
pub type Traces

@external(erlang, "erlang", "list_to_tuple")
fn to_traces(traces: List(Tensor)) -> Traces

@external(erlang, "examples_ffi", "tuple_at")
fn trace_at(traces: Traces, index: Int) -> Tensor

/// Makes `items` seeded keys and values, binds each pair and superposes
/// them in groups of `per_trace`.
pub fn store(config: Config) -> Result(Memory, String) {
  let Config(items: n, dim: d, per_trace: p) = config
  use keys <- u.s(vectors(n, d, 1_000_000))
  use values <- u.s(vectors(n, d, 2_000_000))
  use pairs <- u.s(bind_all(keys, values, []))
  use traces <- u.s(superpose_groups(pairs, p, []))
  use matrix <- u.n(ops.stack(values, axis: 0))
  Ok(Memory(keys: keys, traces: to_traces(traces), values: matrix))
}

fn vectors(n: Int, d: Int, seed0: Int) -> Result(List(Tensor), String) {
  vectors_acc(n - 1, d, seed0, [])
}

fn vectors_acc(
  i: Int,
  d: Int,
  seed0: Int,
  acc: List(Tensor),
) -> Result(List(Tensor), String) {
  case i < 0 {
    True -> Ok(acc)
    False -> {
      use v <- u.n(hrr.random(d, seed: seed0 + i, dtype: viva_tensor.F32))
      vectors_acc(i - 1, d, seed0, [v, ..acc])
    }
  }
}

fn bind_all(
  keys: List(Tensor),
  values: List(Tensor),
  acc: List(Tensor),
) -> Result(List(Tensor), String) {
  case keys, values {
    [k, ..ks], [v, ..vs] -> {
      use pair <- u.n(hrr.bind(k, v))
      bind_all(ks, vs, [pair, ..acc])
    }
    _, _ -> Ok(u.reverse(acc))
  }
}

fn superpose_groups(
  pairs: List(Tensor),
  size: Int,
  acc: List(Tensor),
) -> Result(List(Tensor), String) {
  case pairs {
    [] -> Ok(u.reverse(acc))
    _ -> {
      let #(group, rest) = split_at(pairs, size, [])
      use trace <- u.n(hrr.superpose(group))
      superpose_groups(rest, size, [trace, ..acc])
    }
  }
}

fn split_at(xs: List(a), n: Int, acc: List(a)) -> #(List(a), List(a)) {
  case xs, n {
    _, 0 | [], _ -> #(u.reverse(acc), xs)
    [x, ..rest], _ -> split_at(rest, n - 1, [x, ..acc])
  }
}

/// Queries the first `queries` keys; `#(correct, sum of top scores)`.
pub fn recall(
  memory: Memory,
  config: Config,
  queries: Int,
) -> Result(#(Int, Float), String) {
  recall_acc(memory, config.per_trace, memory.keys, 0, queries, 0, 0.0)
}

fn recall_acc(
  memory: Memory,
  per: Int,
  keys: List(Tensor),
  i: Int,
  queries: Int,
  correct: Int,
  scores: Float,
) -> Result(#(Int, Float), String) {
  case keys, i < queries {
    [key, ..rest], True -> {
      let trace = trace_at(memory.traces, i / per)
      use top <- u.n(hrr.query(trace, key, memory.values, k: 1))
      let #(hit, score) = case top {
        [#(row, score)] -> #(row == i, score)
        _ -> #(False, 0.0)
      }
      let correct = case hit {
        True -> correct + 1
        False -> correct
      }
      recall_acc(memory, per, rest, i + 1, queries, correct, scores +. score)
    }
    _, _ -> Ok(#(correct, scores))
  }
}

/// Stores `config.items` pairs and queries the first `queries` keys.
pub fn run_config(config: Config, queries: Int) -> Result(Summary, String) {
  let #(stored, store_us) = u.timed(fn() { store(config) })
  use memory <- u.s(stored)
  let #(result, query_us) = u.timed(fn() { recall(memory, config, queries) })
  use #(correct, scores) <- u.s(result)
  let traces = { config.items + config.per_trace - 1 } / config.per_trace
  Ok(Summary(
    config: config,
    traces: traces,
    queried: queries,
    correct: correct,
    recall: u.to_float(correct) /. u.to_float(queries),
    mean_top_score: scores /. u.to_float(queries),
    store_us: store_us,
    per_query_us: u.to_float(query_us) /. u.to_float(queries),
  ))
}

/// The chosen configuration, every key queried; an error unless recall@1
/// is at least 0.95.
pub fn run() -> Result(Summary, String) {
  use s <- u.s(run_config(
    Config(items: items, dim: dim, per_trace: per_trace),
    items,
  ))
  use _ <- u.s(u.check(
    s.recall >=. 0.95,
    "recall@1 " <> float(s.recall, 3) <> " is below 0.95",
  ))
  Ok(s)
}

/// Recall@1 for several dimensions and trace sizes, over the first
/// `queries` keys of 1,000 stored pairs.
pub fn sweep(
  dims: List(Int),
  sizes: List(Int),
  queries: Int,
) -> Result(List(Summary), String) {
  sweep_acc(dims, sizes, sizes, queries, [])
}

fn sweep_acc(
  dims: List(Int),
  sizes: List(Int),
  all_sizes: List(Int),
  queries: Int,
  acc: List(Summary),
) -> Result(List(Summary), String) {
  case dims, sizes {
    [], _ -> Ok(u.reverse(acc))
    [_, ..rest], [] -> sweep_acc(rest, all_sizes, all_sizes, queries, acc)
    [d, ..], [p, ..ps] -> {
      use s <- u.s(run_config(
        Config(items: items, dim: d, per_trace: p),
        queries,
      ))
      sweep_acc(dims, ps, all_sizes, queries, [s, ..acc])
    }
  }
}

fn describe(s: Summary) -> String {
  "d "
  <> int(s.config.dim)
  <> ", "
  <> int(s.traces)
  <> case s.traces {
    1 -> " trace of "
    _ -> " traces of "
  }
  <> int(s.config.per_trace)
  <> ": recall@1 "
  <> float(s.recall, 3)
  <> " ("
  <> int(s.correct)
  <> "/"
  <> int(s.queried)
  <> "), mean top-1 cosine "
  <> float(s.mean_top_score, 3)
  <> ", "
  <> float(s.per_query_us /. 1000.0, 2)
  <> " ms/query"
}

pub fn main() -> Nil {
  println(
    "HRR associative memory: "
    <> int(items)
    <> " key -> value pairs (viva_tensor/hrr, f32)",
  )
  case run() {
    Error(e) -> println("error: " <> e)
    Ok(s) -> {
      println("  " <> describe(s))
      println(
        "  store (2,000 random vectors, 1,000 binds, superpose): "
        <> ms(s.store_us),
      )
      println(
        "  query (unbind + cosine over "
        <> u.shape([items, s.config.dim])
        <> " candidates): "
        <> float(s.per_query_us /. 1000.0, 3)
        <> " ms each",
      )
    }
  }
  u.compare_modes(
    "  a 20-pair memory on the 1.2.1 record (viva_tensor/tensor/hrr, d 1024: store + 20 queries)",
    fn() { record_memory(1024, 20) },
  )
  println("  sweep, first 200 keys of each memory:")
  case sweep([1024, 2048], [1000, 100, 50, 20, 10], 200) {
    Error(e) -> println("  error: " <> e)
    Ok(rows) -> u.each(rows, fn(s) { println("    " <> describe(s)) })
  }
}

/// The same memory on the list-backed record that VIVA's `hrr` module
/// uses (`viva_tensor/tensor/hrr`): `pairs` key/value pairs in one trace,
/// each key queried against the `pairs` values. Native FFTs by default;
/// under `viva_tensor_native_mode` `never` the O(d²) pure BEAM path, which
/// is what the comparison in `main` times. Returns the keys recalled first.
pub fn record_memory(d: Int, pairs: Int) -> Result(Int, String) {
  let seeds = range(pairs)
  use keys <- u.s(all(seeds, fn(i) { record_hrr.random(d, seed: 500 + i) }))
  use values <- u.s(all(seeds, fn(i) { record_hrr.random(d, seed: 900 + i) }))
  use bound <- u.s(
    all(zip(keys, values), fn(kv) { record_hrr.bind(kv.0, kv.1) }),
  )
  use trace <- u.t(record_hrr.superpose(bound))
  use hits <- u.s(
    all(zip(keys, seeds), fn(ki) {
      case record_hrr.query(trace, ki.0, values, k: 1) {
        Ok([#(best, _)]) if best == ki.1 -> Ok(1)
        Ok(_) -> Ok(0)
        Error(e) -> Error(e)
      }
    }),
  )
  let correct = sum(hits)
  use _ <- u.s(u.check(
    correct == pairs,
    "record memory recalled " <> int(correct) <> " of " <> int(pairs),
  ))
  Ok(correct)
}

fn range(n: Int) -> List(Int) {
  range_acc(n - 1, [])
}

fn range_acc(i: Int, acc: List(Int)) -> List(Int) {
  case i < 0 {
    True -> acc
    False -> range_acc(i - 1, [i, ..acc])
  }
}

fn all(
  xs: List(a),
  f: fn(a) -> Result(b, tensor.TensorError),
) -> Result(List(b), String) {
  all_acc(xs, f, [])
}

fn all_acc(
  xs: List(a),
  f: fn(a) -> Result(b, tensor.TensorError),
  acc: List(b),
) -> Result(List(b), String) {
  case xs {
    [] -> Ok(u.reverse(acc))
    [x, ..rest] ->
      case f(x) {
        Ok(y) -> all_acc(rest, f, [y, ..acc])
        Error(e) -> Error(u.tensor_error(e))
      }
  }
}

fn zip(a: List(a), b: List(b)) -> List(#(a, b)) {
  case a, b {
    [x, ..xs], [y, ..ys] -> [#(x, y), ..zip(xs, ys)]
    _, _ -> []
  }
}

fn sum(xs: List(Int)) -> Int {
  case xs {
    [] -> 0
    [x, ..rest] -> x + sum(rest)
  }
}
