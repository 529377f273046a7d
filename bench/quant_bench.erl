%% Quantization benchmark, run by `make bench' (not a timed test): for every
%% format on a 4096 x 4096 f32 weight (N(0, 0.02^2), seed 42), quantize and
%% dequantize speed (GB/s of f32 processed), quantize speed as a share of
%% this machine's copy speed on the same buffer (vquant:memcpy_us/1: a
%% memcpy of the weight's bytes into an already-written buffer, measured
%% right after that format's quantize runs, so both see the same load), and
%% the linear layer
%% y = x W^T through vquant:qmatmul/2 at batch 1 (GEMV) and batch 64 (GEMM)
%% against the f32 reference vquant:f32_linear/2; then the same columns for
%% vquant:qmatmul_int8/3 and vquant:qmatmul_q8/2 (int8 activations, inexact). Every figure is the median
%% of 5 runs after a warm-up (the batch-1 GEMVs, under a millisecond and
%% the noisiest, of 11); each qmatmul timing alternates with an f32 run
%% (f32, q, f32, q, ...) and the ratio uses the f32 median of that same row,
%% so a change in the machine's load hits both sides alike.
%%
%% GEMV is timed twice: warm (the weight is read again right after the
%% previous run, so whatever of it the last-level cache holds is read from
%% there) and cold (every run follows a read of a tensor twice the size of
%% the last-level cache, which evicts the weight, so it comes from memory,
%% as the layers of a model larger than the cache do during decoding). On a
%% machine whose last-level cache holds the whole f32 weight (64 MiB at
%% 4096) the warm f32 GEMV runs at cache speed, and only the cold figures
%% compare reading 4 bytes per weight from memory with reading 0.56.
-module(quant_bench).
-export([run/0, run/1]).

-define(FORMATS, [q8_0, q5_0, q4_1, q4_0, mxfp4, nvfp4, nf4, nf4_dq,
                  {int8, per_tensor}, {int8, {per_channel, 0}}, {int8, {per_block, 32}},
                  fp8_e4m3fn, fp8_e5m2, f16, bf16]).
-define(RUNS, 5).
-define(GEMV_RUNS, 11).

-spec run() -> ok.
run() -> run(4096).

%% @doc The benchmark on an N x N weight.
-spec run(pos_integer()) -> ok.
run(N) ->
    {ok, W} = vtensor:random_normal([N, N], 42, #{std => 0.02}),
    {ok, X1} = vtensor:random_normal([1, N], 1),
    {ok, X64} = vtensor:random_normal([64, N], 2),
    Bytes = vtensor:nbytes(W),
    io:format("quantized matmul bench: ~bx~b f32 weight, ~b schedulers, medians of ~b"
              " (batch-1 GEMV: ~b)~n",
              [N, N, erlang:system_info(schedulers), ?RUNS, ?GEMV_RUNS]),
    Evict = evictor(),
    io:format("~-22s ~8s ~9s ~6s ~8s ~8s ~8s ~7s ~8s ~8s ~7s ~9s ~9s ~7s~n",
              ["format", "q_GB/s", "copy_GB/s", "q/copy", "dq_GB/s",
               "f32_ms", "gemv_ms", "vs_f32", "cold_f32", "cold_q", "vs_f32",
               "f32_ms", "gemm64_ms", "vs_f32"]),
    F1 = fun() -> vquant:f32_linear(X1, W) end,
    F64 = fun() -> vquant:f32_linear(X64, W) end,
    lists:foreach(fun(F) -> row(F, W, X1, X64, Bytes, F1, F64, Evict) end, ?FORMATS),
    {ok, Q8} = vquant:quantize(W, {int8, {per_channel, 0}}),
    linear_row("qmatmul_int8 (t=6.0)", fun(X) -> vquant:qmatmul_int8(X, Q8, 6.0) end,
               X1, X64, F1, F64, Evict),
    lists:foreach(
      fun(F) ->
              {ok, Q} = vquant:quantize(W, F),
              linear_row(io_lib:format("qmatmul_q8 ~p", [F]),
                         fun(X) -> vquant:qmatmul_q8(X, Q) end, X1, X64, F1, F64, Evict)
      end, [q4_0, q8_0, mxfp4]),
    ok.

%% A row of the GEMV (warm, cold) and GEMM columns only, for `Linear(X)'.
linear_row(Label, Linear, X1, X64, F1, F64, Evict) ->
    L1 = fun() -> Linear(X1) end,
    {G1, I1} = paired(F1, L1, fun() -> ok end, ?GEMV_RUNS),
    {C1, CI1} = paired(F1, L1, Evict, ?GEMV_RUNS),
    {G64, I64} = paired(F64, fun() -> Linear(X64) end, fun() -> ok end, ?RUNS),
    io:format("~-22s ~8s ~9s ~6s ~8s ~8.2f ~8.2f ~6.2fx ~8.2f ~8.2f ~6.2fx ~9.2f ~9.2f ~6.2fx~n",
              [Label, "-", "-", "-", "-", G1 / 1000, I1 / 1000, G1 / I1,
               C1 / 1000, CI1 / 1000, C1 / CI1, G64 / 1000, I64 / 1000, G64 / I64]).

%% A function that evicts the last-level cache: a sum over a tensor twice
%% its size (read from sysfs; 64 MiB assumed where the size is not listed),
%% written once here so its pages are real, not the shared zero page.
evictor() ->
    Bytes = 2 * last_level_cache_bytes(),
    {ok, Junk} = vtensor:full([Bytes div 4], 1.0),
    io:format("cold runs: each after reading ~b MiB (twice the last-level cache)~n",
              [Bytes bsr 20]),
    fun() -> {ok, _} = vops:sum(Junk), ok end.

last_level_cache_bytes() ->
    Dir = "/sys/devices/system/cpu/cpu0/cache/",
    Sizes = [parse_cache_size(file:read_file(Dir ++ I ++ "/size"))
             || I <- filelib:wildcard("index*", Dir)],
    case [S || S <- Sizes, S > 0] of
        [] -> 64 bsl 20;
        Known -> lists:max(Known)
    end.

parse_cache_size({ok, Text}) ->
    case string:to_integer(string:trim(binary_to_list(Text))) of
        {N, "K"} -> N bsl 10;
        {N, "M"} -> N bsl 20;
        {N, ""} when is_integer(N) -> N;
        _ -> 0
    end;
parse_cache_size({error, _}) ->
    0.

row(F, W, X1, X64, Bytes, F1, F64, Evict) ->
    Q = median(fun() -> vquant:quantize(W, F) end),
    {ok, C} = vquant:memcpy_us(W),
    {ok, QT} = vquant:quantize(W, F),
    D = median(fun() -> {ok, T} = vquant:dequantize(QT), vtensor:deallocate(T) end),
    Q1 = fun() -> vquant:qmatmul(X1, QT) end,
    {G1, M1} = paired(F1, Q1, fun() -> ok end, ?GEMV_RUNS),
    {CG1, CM1} = paired(F1, Q1, Evict, ?GEMV_RUNS),
    {G64, M64} = paired(F64, fun() -> vquant:qmatmul(X64, QT) end, fun() -> ok end, ?RUNS),
    io:format("~-22s ~8.2f ~9.2f ~5b% ~8.2f ~8.2f ~8.2f ~6.2fx ~8.2f ~8.2f ~6.2fx"
              " ~9.2f ~9.2f ~6.2fx~n",
              [io_lib:format("~p", [F]), Bytes / Q / 1000, Bytes / C / 1000, round(100 * C / Q),
               Bytes / D / 1000,
               G1 / 1000, M1 / 1000, G1 / M1, CG1 / 1000, CM1 / 1000, CG1 / CM1,
               G64 / 1000, M64 / 1000, G64 / M64]).

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

%% Medians of `N' alternating runs of A and B (after a warm-up of each),
%% with `Before()' run, untimed, before every timed call.
paired(A, B, Before, N) ->
    _ = A(),
    _ = B(),
    Timed = fun(F) -> ok = Before(), element(1, timer:tc(F)) end,
    Runs = [{Timed(A), Timed(B)} || _ <- lists:seq(1, N)],
    Med = fun(L) -> max(lists:nth((N + 1) div 2, lists:sort(L)), 1) end,
    {Med([Ta || {Ta, _} <- Runs]), Med([Tb || {_, Tb} <- Runs])}.
