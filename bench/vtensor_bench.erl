%% Benchmarks of the foundation, run by `make bench` (not timed tests).
%% Each figure is the median of several runs after a warm-up, measured
%% with timer:tc/1 in the calling process; ratios compare runs side by side.
-module(vtensor_bench).
-export([run/0]).

-define(MB, 1048576).

-spec run() -> ok.
run() ->
    io:format("viva_tensor foundation bench (~b schedulers, ~b dirty CPU schedulers)~n~n",
              [erlang:system_info(schedulers), erlang:system_info(dirty_cpu_schedulers)]),
    call_overhead(),
    io:format("~n"),
    conversions(64),
    conversions(256),
    ok.

call_overhead() ->
    {ok, T} = vtensor:from_list([1.0, 2.0, 3.0, 4.0], [4], f32),
    Small = <<0:128>>,
    N = 100000,
    Rows = [{"vtensor:shape/1 (metadata NIF)", fun() -> bench_timing:loop(N, fun() -> vtensor:shape(T) end) end},
            {"vtensor:from_binary/3, 4 x f32", fun() -> bench_timing:loop(N, fun() -> vtensor:from_binary(Small, f32, [4]) end) end},
            {"vtensor:to_binary/1, 4 x f32", fun() -> bench_timing:loop(N, fun() -> vtensor:to_binary(T) end) end},
            {"vtensor:transpose/1 (a view)", fun() -> bench_timing:loop(N, fun() -> vtensor:transpose(T) end) end}],
    io:format("NIF call overhead (~b calls each):~n", [N]),
    [io:format("  ~-34s ~6.2f us/call~n", [Name, bench_timing:median_us(F, 5) / N]) || {Name, F} <- Rows].

conversions(MiB) ->
    Elems = MiB * ?MB div 4,
    {ok, T} = vtensor:random_uniform([Elems], 1),
    {ok, Bin} = vtensor:to_binary(T),
    {ok, M} = vtensor:reshape(T, [Elems div 4096, 4096]),
    {ok, MT} = vtensor:transpose(M),
    Bytes = MiB * ?MB,
    Rows = [{"from_binary (memcpy)", fun() -> {ok, X} = vtensor:from_binary(Bin, f32, [Elems]), vtensor:deallocate(X) end, Bytes},
            {"to_binary, contiguous (zero copy)", fun() -> {ok, _} = vtensor:to_binary(T) end, Bytes},
            {"to_binary of a transpose (strided copy)", fun() -> {ok, _} = vtensor:to_binary(MT) end, Bytes},
            {"as_type f32 -> f16", fun() -> {ok, X} = vtensor:as_type(T, f16), vtensor:deallocate(X) end, Bytes},
            {"as_type f32 -> f64", fun() -> {ok, X} = vtensor:as_type(T, f64), vtensor:deallocate(X) end, Bytes},
            {"random_normal f32", fun() -> {ok, X} = vtensor:random_normal([Elems], 3), vtensor:deallocate(X) end, Bytes}],
    io:format("~b MiB of f32 (~b elements), GB/s of f32 input read:~n", [MiB, Elems]),
    [begin
         Us = bench_timing:median_us(F, 5),
         io:format("  ~-40s ~9.3f ms  ~ts~n", [Name, Us / 1000, rate(B, Us)])
     end || {Name, F, B} <- Rows],
    ok = vtensor:deallocate(T).

rate(_Bytes, 0) -> "(under 1 us: no data moved)";
rate(Bytes, Us) -> io_lib:format("~7.2f GB/s", [Bytes / Us / 1000]).


