%% Quantization benchmark, run by `make bench' (not a timed test): for every
%% format on a 4096 x 4096 f32 weight (N(0, 0.02^2), seed 42), quantize and
%% dequantize speed (GB/s of f32 processed), quantize speed as a share of
%% this machine's copy speed on the same buffer (vquant:memcpy_us/1: a
%% memcpy of the weight's bytes into an already-written buffer, measured
%% right after that format's quantize runs, so both see the same load), and
%% the linear layer
%% y = x W^T through vquant:qmatmul/2 at batch 1 (GEMV) and batch 64 (GEMM)
%% against the f32 reference vquant:f32_linear/2. Every figure is the median
%% of 5 runs after a warm-up; each qmatmul timing alternates with an f32 run
%% (f32, q, f32, q, ...) and the ratio uses the f32 median of that same row,
%% so a change in the machine's load hits both sides alike.
-module(quant_bench).
-export([run/0, run/1]).

-define(FORMATS, [q8_0, q5_0, q4_1, q4_0, mxfp4, nvfp4, nf4, nf4_dq,
                  {int8, per_tensor}, {int8, {per_channel, 0}}, {int8, {per_block, 32}},
                  fp8_e4m3fn, fp8_e5m2, f16, bf16]).
-define(RUNS, 5).

-spec run() -> ok.
run() -> run(4096).

%% @doc The benchmark on an N x N weight.
-spec run(pos_integer()) -> ok.
run(N) ->
    {ok, W} = vtensor:random_normal([N, N], 42, #{std => 0.02}),
    {ok, X1} = vtensor:random_normal([1, N], 1),
    {ok, X64} = vtensor:random_normal([64, N], 2),
    Bytes = vtensor:nbytes(W),
    io:format("quantized matmul bench: ~bx~b f32 weight, ~b schedulers, medians of ~b~n",
              [N, N, erlang:system_info(schedulers), ?RUNS]),
    io:format("~-22s ~8s ~9s ~6s ~8s ~8s ~8s ~7s ~9s ~9s ~7s~n",
              ["format", "q_GB/s", "copy_GB/s", "q/copy", "dq_GB/s", "f32_ms", "gemv_ms",
               "vs_f32", "f32_ms", "gemm64_ms", "vs_f32"]),
    F1 = fun() -> vquant:f32_linear(X1, W) end,
    F64 = fun() -> vquant:f32_linear(X64, W) end,
    lists:foreach(fun(F) -> row(F, W, X1, X64, Bytes, F1, F64) end, ?FORMATS),
    {ok, Q8} = vquant:quantize(W, {int8, {per_channel, 0}}),
    {G1, I1} = paired(F1, fun() -> vquant:qmatmul_int8(X1, Q8, 6.0) end),
    {G64, I64} = paired(F64, fun() -> vquant:qmatmul_int8(X64, Q8, 6.0) end),
    io:format("~-22s ~8s ~8s ~6s ~8s ~8.2f ~8.2f ~6.2fx ~9.2f ~9.2f ~6.2fx~n",
              ["qmatmul_int8 (t=6.0)", "-", "-", "-", "-", G1 / 1000, I1 / 1000, G1 / I1,
               G64 / 1000, I64 / 1000, G64 / I64]),
    ok.

row(F, W, X1, X64, Bytes, F1, F64) ->
    Q = median(fun() -> vquant:quantize(W, F) end),
    {ok, C} = vquant:memcpy_us(W),
    {ok, QT} = vquant:quantize(W, F),
    D = median(fun() -> {ok, T} = vquant:dequantize(QT), vtensor:deallocate(T) end),
    {G1, M1} = paired(F1, fun() -> vquant:qmatmul(X1, QT) end),
    {G64, M64} = paired(F64, fun() -> vquant:qmatmul(X64, QT) end),
    io:format("~-22s ~8.2f ~9.2f ~5b% ~8.2f ~8.2f ~8.2f ~6.2fx ~9.2f ~9.2f ~6.2fx~n",
              [io_lib:format("~p", [F]), Bytes / Q / 1000, Bytes / C / 1000, round(100 * C / Q),
               Bytes / D / 1000,
               G1 / 1000, M1 / 1000, G1 / M1, G64 / 1000, M64 / 1000, G64 / M64]).

%% Median wall time in microseconds of ?RUNS calls after one warm-up. Each
%% call starts after a garbage collection (not timed), which releases the
%% previous call's result, so its buffer can be reused as in a steady loop:
%% what is timed is the conversion, not the kernel zeroing pages fresh from
%% the OS, and the copy it is compared with (memcpy_us) runs into a written
%% buffer too. Without it, results pile up until the process happens to
%% collect, and a run's quantize speed moved up to 4x with that timing.
median(F) ->
    _ = F(),
    Ts = lists:sort([begin
                         true = erlang:garbage_collect(),
                         element(1, timer:tc(F))
                     end || _ <- lists:seq(1, ?RUNS)]),
    max(lists:nth((?RUNS + 1) div 2, Ts), 1).

%% Medians of ?RUNS alternating runs of A and B (after a warm-up of each).
paired(A, B) ->
    _ = A(),
    _ = B(),
    Runs = [{element(1, timer:tc(A)), element(1, timer:tc(B))} || _ <- lists:seq(1, ?RUNS)],
    Med = fun(L) -> max(lists:nth((?RUNS + 1) div 2, lists:sort(L)), 1) end,
    {Med([Ta || {Ta, _} <- Runs]), Med([Tb || {_, Tb} <- Runs])}.
