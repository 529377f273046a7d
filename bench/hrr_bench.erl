%% HRR bench, run by `make bench`: bind/unbind per op at dims 256..8192
%% through the BEAM call (FFT in Rust), next to an O(d^2) circular
%% convolution in plain Erlang (what a pure-BEAM HRR costs); cosine
%% similarity at 2048; a query of one key against 10,000 x 1024 candidates.
%% Medians after a warm-up, timed with timer:tc/1.
-module(hrr_bench).
-export([run/0]).

-spec run() -> ok.
run() ->
    io:format("~nHRR bench (f32 vectors; microseconds per operation, median)~n"),
    io:format("~-6s ~12s ~12s ~14s ~22s~n", ["dim", "bind us", "unbind us", "bind ops/s", "pure Erlang O(d^2) us"]),
    [dim_row(D) || D <- [256, 1024, 2048, 8192]],
    {ok, A} = vhrr:random(2048, 1),
    {ok, B} = vhrr:random(2048, 2),
    N = 2000,
    Cos = bench_timing:median_us(fun() -> bench_timing:loop(N, fun() -> {ok, _} = vhrr:similarity(A, B) end) end, 5) / N,
    io:format("cosine similarity at 2048: ~.1f us~n", [Cos]),
    {ok, Key} = vhrr:random(1024, 3),
    {ok, Filler} = vhrr:random(1024, 4),
    {ok, Trace} = vhrr:bind(Key, Filler),
    {ok, Cands} = vtensor:random_normal([10000, 1024], 5),
    Q = bench_timing:median_us(fun() -> {ok, _} = vhrr:query(Trace, Key, Cands, 5) end, 5),
    io:format("query (unbind + cosine top-5) against 10,000 x 1024 candidates: ~.2f ms~n", [Q / 1000]),
    ok.

dim_row(D) ->
    {ok, A} = vhrr:random(D, 1),
    {ok, B} = vhrr:random(D, 2),
    N = max(20, 200000 div D),
    Bind = bench_timing:median_us(fun() -> bench_timing:loop(N, fun() -> {ok, _} = vhrr:bind(A, B) end) end, 5) / N,
    Unbind = bench_timing:median_us(fun() -> bench_timing:loop(N, fun() -> {ok, _} = vhrr:unbind(A, B) end) end, 5) / N,
    {ok, LA} = vtensor:to_list(A),
    {ok, LB} = vtensor:to_list(B),
    TA = list_to_tuple(LA),
    TB = list_to_tuple(LB),
    Naive = element(1, timer:tc(fun() -> naive_bind(TA, TB, D) end)),
    io:format("~-6b ~12.1f ~12.1f ~14b ~22b~n", [D, Bind, Unbind, round(1.0e6 / Bind), Naive]).

naive_bind(TA, TB, D) ->
    [naive_at(TA, TB, D, K, 0, 0.0) || K <- lists:seq(0, D - 1)].

naive_at(_TA, _TB, D, _K, D, Acc) -> Acc;
naive_at(TA, TB, D, K, J, Acc) ->
    naive_at(TA, TB, D, K, J + 1,
             Acc + element(J + 1, TA) * element(((K - J + D) rem D) + 1, TB)).


