//// The supervised worker pool, from Gleam.
////
//// Start the `viva_tensor` application once (`start()`); then `map` runs a
//// function over many items on the pool's workers, results in input order,
//// where a crash or a timeout fails only its own item.
////
//// ```gleam
//// import viva_tensor/pool
////
//// pub fn main() {
////   let assert Ok(Nil) = pool.start()
////   let assert Ok([Ok(2), Ok(3), Ok(4)]) = pool.map([1, 2, 3], with: fn(x) { x + 1 }, timeout_ms: 1000)
//// }
//// ```

/// A term from the Erlang side (a crash reason, a node name) kept as is.
pub type Reason

/// A submitted job whose result has type `a`.
pub type Job(a)

/// Why a job or a pool call failed.
pub type PoolError {
  /// The job ran past its deadline; its worker was replaced.
  Timeout
  /// The job raised or exited; the reason is Erlang's.
  WorkerCrashed(reason: Reason)
  /// The bounded queue is full (backpressure).
  Overloaded
  /// The node running the job went down.
  NodeDown(node: Reason)
  /// The pool's manager died while the job was pending.
  PoolDown(reason: Reason)
  /// No pool is running: call `start()` first.
  NoPool(pool: Reason)
  /// The application did not start.
  StartFailed(reason: Reason)
}

/// Counters of the default pool.
pub type PoolStats {
  PoolStats(
    size: Int,
    queue_len: Int,
    busy: Int,
    idle: Int,
    completed: Int,
    failed: Int,
    timed_out: Int,
    crashed: Int,
    rejected: Int,
  )
}

/// Starts the `viva_tensor` application (and with it the default pool);
/// does nothing if it already runs.
///
/// ```gleam
/// let assert Ok(Nil) = pool.start()
/// ```
@external(erlang, "viva_tensor_pool_gleam_ffi", "start")
pub fn start() -> Result(Nil, PoolError)

/// Applies `f` to every item on the pool's workers. One result per item, in
/// input order: `Error(Timeout)` for an item past `timeout_ms`,
/// `Error(WorkerCrashed(_))` for one that crashed. The whole call fails only
/// with `NoPool` when the application is not started.
///
/// ```gleam
/// let assert Ok([Ok(1), Ok(4), Ok(9)]) = pool.map([1, 2, 3], with: fn(x) { x * x }, timeout_ms: 1000)
/// ```
@external(erlang, "viva_tensor_pool_gleam_ffi", "map")
pub fn map(
  items: List(a),
  with f: fn(a) -> b,
  timeout_ms timeout_ms: Int,
) -> Result(List(Result(b, PoolError)), PoolError)

/// Queues `f` on the default pool. `Error(Overloaded)` when the queue is
/// full; `Error(NoPool(_))` when the application is not started.
///
/// ```gleam
/// let assert Ok(job) = pool.submit(fn() { 6 * 7 }, timeout_ms: 1000)
/// let assert Ok(42) = pool.await(job, within_ms: 2000)
/// ```
@external(erlang, "viva_tensor_pool_gleam_ffi", "submit")
pub fn submit(
  f: fn() -> a,
  timeout_ms timeout_ms: Int,
) -> Result(Job(a), PoolError)

/// Waits up to `within_ms` for a submitted job. On `Error(Timeout)` the job
/// is cancelled. Await a job once.
///
/// ```gleam
/// let assert Ok(value) = pool.await(job, within_ms: 2000)
/// ```
@external(erlang, "viva_tensor_pool", "await")
pub fn await(job: Job(a), within_ms within_ms: Int) -> Result(a, PoolError)

/// The default pool's counters (cheap to read).
///
/// ```gleam
/// let assert Ok(pool.PoolStats(completed: done, ..)) = pool.stats()
/// ```
@external(erlang, "viva_tensor_pool_gleam_ffi", "stats")
pub fn stats() -> Result(PoolStats, PoolError)
