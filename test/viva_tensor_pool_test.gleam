//// Gleam tests for `viva_tensor/pool`.

import viva_tensor/pool.{PoolStats, Timeout, WorkerCrashed}

@external(erlang, "timer", "sleep")
fn sleep(ms: Int) -> Nil

pub fn map_keeps_order_and_isolates_failures_test() {
  let assert Ok(Nil) = pool.start()
  let assert Ok(results) =
    pool.map(
      [1, 2, 3, 4],
      with: fn(x) {
        case x {
          2 -> panic as "deliberate"
          3 -> {
            sleep(2000)
            x
          }
          _ -> x * 10
        }
      },
      timeout_ms: 300,
    )
  let assert [Ok(10), Error(WorkerCrashed(_)), Error(Timeout), Ok(40)] = results
}

pub fn submit_and_await_test() {
  let assert Ok(Nil) = pool.start()
  let assert Ok(job) = pool.submit(fn() { 6 * 7 }, timeout_ms: 1000)
  let assert Ok(42) = pool.await(job, within_ms: 2000)
  let assert Ok(slow) =
    pool.submit(
      fn() {
        sleep(2000)
        1
      },
      timeout_ms: 5000,
    )
  let assert Error(Timeout) = pool.await(slow, within_ms: 50)
}

pub fn stats_count_work_test() {
  let assert Ok(Nil) = pool.start()
  let assert Ok(PoolStats(completed: before, size: size, ..)) = pool.stats()
  let assert Ok(_) = pool.map([1, 2, 3], with: fn(x) { x }, timeout_ms: 1000)
  let assert Ok(PoolStats(completed: after, ..)) = pool.stats()
  assert after >= before + 3
  assert size >= 1
}
