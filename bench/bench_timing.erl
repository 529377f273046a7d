%% Timing helpers shared by the benches (`make bench' compiles them
%% together).
-module(bench_timing).
-export([loop/2, median_us/2]).

%% @doc Calls `F' `N' times.
-spec loop(non_neg_integer(), fun(() -> term())) -> ok.
loop(0, _F) -> ok;
loop(N, F) -> F(), loop(N - 1, F).

%% @doc Median wall time of `F' in microseconds over `Runs' calls, after
%% one warm-up call.
-spec median_us(fun(() -> term()), pos_integer()) -> non_neg_integer().
median_us(F, Runs) ->
    F(),
    Times = lists:sort([element(1, timer:tc(F)) || _ <- lists:seq(1, Runs)]),
    lists:nth((Runs + 1) div 2, Times).
