"""The NumPy side of bench/vops_bench.erl: the same work, timed the same way
(median of N after one warm-up), printed as `name seconds` lines.

Run by the Erlang bench when `python3 -c "import numpy"` works; prints
nothing useful otherwise. Data is random: only times matter.
"""
import sys
import time

import numpy as np

MB = 1 << 20


def median_time(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[(runs - 1) // 2]


def report(name, seconds):
    print(f"{name} {seconds:.9f}", flush=True)


def main():
    rng = np.random.default_rng(1)
    tiny_a = np.ones(4, dtype=np.float32)
    tiny_b = np.ones(4, dtype=np.float32)
    n = 100_000

    def tiny():
        for _ in range(n):
            np.add(tiny_a, tiny_b)

    report("tiny_add", median_time(tiny, 5) / n)

    for size in (256, 1024, 2048):
        a = rng.standard_normal((size, size), dtype=np.float32)
        b = rng.standard_normal((size, size), dtype=np.float32)
        report(f"sgemm_{size}", median_time(lambda: a @ b, 5 if size < 2048 else 3))

    for mib in (64, 256):
        elems = mib * MB // 4
        a = rng.random(elems, dtype=np.float32)
        b = rng.random(elems, dtype=np.float32)
        report(f"add_{mib}", median_time(lambda: np.add(a, b), 5))
        report(f"sum_{mib}", median_time(lambda: np.sum(a), 5))
        del a, b

    x = rng.standard_normal((4096, 1024), dtype=np.float32)

    def softmax():
        m = x.max(axis=1, keepdims=True)
        e = np.exp(x - m)
        return e / e.sum(axis=1, keepdims=True)

    report("softmax_4096x1024", median_time(softmax, 5))

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    memory = rng.standard_normal((rows, 384), dtype=np.float32)
    memory /= np.linalg.norm(memory, axis=1, keepdims=True)
    queries = rng.standard_normal((16, 384), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    def search():
        # cosine on pre-normalized rows: one GEMM, then top 10 per query
        scores = queries @ memory.T
        idx = np.argpartition(-scores, 10, axis=1)[:, :10]
        return np.take_along_axis(scores, idx, axis=1)

    report(f"search_{rows}", median_time(search, 3))


if __name__ == "__main__":
    main()
