%% "The scheduler is sacred": a normal process that sleeps 1 ms in a loop
%% must keep waking on time while other processes push 100 MB tensors
%% through conversions or run 2048^3 matmuls (both on dirty CPU schedulers).
-module(scheduler_latency_tests).

-include_lib("eunit/include/eunit.hrl").

%% Bounds on the sleeper's wake-up delay beyond its 1 ms sleep, in ms.
%%
%% What separates "a NIF blocked a normal scheduler" from ordinary CPU
%% contention is the typical delay: with the conversions on dirty
%% schedulers the median stays at the timer's own ~1 ms, while the same
%% conversions run on normal schedulers starve the sleeper (it did not
%% finish 1000 wake-ups in two minutes). The tail is set by the OS: on the
%% 2-vCPU reference VM, two plain `yes` processes alone push an idle BEAM
%% sleeper's worst delay to 140-420 ms, so the worst case is reported and
%% only bounded loosely (README, "Scheduling", has the measured numbers).
%% The bounds leave room for a machine that is busy with other work too
%% (seen here: median 3 ms, p90 430 ms with a parallel build running); a
%% blocked scheduler fails them by far (median >= 19 ms, and the 20 s
%% sampling budget ends with far fewer than the 100 wake-ups required).
-define(MAX_MEDIAN_MS, 10.0).
-define(MAX_P90_MS, 500.0).
-define(MAX_WORST_MS, 2000.0).

-define(BIG_ELEMS, 25 * 1024 * 1024). % 25 Mi f32 = 100 MB

latency_under_conversion_load_test_() ->
    {timeout, 120, fun latency_under_conversion_load/0}.

latency_under_conversion_load() ->
    {ok, Src} = vtensor:random_uniform([?BIG_ELEMS], 1),
    {ok, Bin} = vtensor:to_binary(Src),
    Parent = self(),
    Workers = [spawn_link(fun() -> convert_loop(Bin, Parent) end) || _ <- [1, 2]],
    %% let the workers get going
    timer:sleep(50),
    {Worst, P90, Median, Samples} = measure_wakeups(1000, 20000),
    [W ! stop || W <- Workers],
    Rounds = lists:sum([receive {done, W, R} -> R after 60000 -> error(worker_hung) end
                        || W <- Workers]),
    ok = vtensor:deallocate(Src),
    io:format(user, "~nscheduler latency under 100 MB conversions: median ~.2f ms, "
              "p90 ~.2f ms, worst ~.2f ms over ~b wake-ups; ~b conversion rounds~n",
              [Median, P90, Worst, Samples, Rounds]),
    ?assert(Rounds >= 2),
    ?assert(Samples >= 100),
    ?assert(Median < ?MAX_MEDIAN_MS),
    ?assert(P90 < ?MAX_P90_MS),
    ?assert(Worst < ?MAX_WORST_MS).

%% The same measurement while the worker pool keeps every dirty CPU
%% scheduler busy: one conversion job per dirty scheduler, submitted
%% through viva_tensor_pool:map/3, over and over until the sleeper is done.
latency_under_pool_load_test_() ->
    {timeout, 120, fun latency_under_pool_load/0}.

latency_under_pool_load() ->
    {ok, _} = application:ensure_all_started(viva_tensor),
    {ok, Src} = vtensor:random_uniform([?BIG_ELEMS], 2),
    {ok, Bin} = vtensor:to_binary(Src),
    ok = vtensor:deallocate(Src),
    Jobs = erlang:system_info(dirty_cpu_schedulers),
    Parent = self(),
    Driver = spawn_link(fun() -> pool_loop(Bin, Jobs, Parent, 0) end),
    timer:sleep(50),
    {Worst, P90, Median, Samples} = measure_wakeups(1000, 20000),
    Driver ! stop,
    Batches = receive {done, Driver, B} -> B after 60000 -> error(pool_driver_hung) end,
    io:format(user, "~nscheduler latency under pool load (~b jobs at a time): median ~.2f ms, "
              "p90 ~.2f ms, worst ~.2f ms over ~b wake-ups; ~b batches~n",
              [Jobs, Median, P90, Worst, Samples, Batches]),
    ?assert(Batches >= 1),
    ?assert(Samples >= 100),
    ?assert(Median < ?MAX_MEDIAN_MS),
    ?assert(P90 < ?MAX_P90_MS),
    ?assert(Worst < ?MAX_WORST_MS).

%% The same measurement with 2048^3 matmuls in flight (vops:matmul on a
%% dirty scheduler; matrixmultiply's own threads stay off the schedulers).
latency_under_matmul_load_test_() ->
    {timeout, 120, fun latency_under_matmul_load/0}.

latency_under_matmul_load() ->
    {ok, A} = vtensor:random_normal([2048, 2048], 5),
    {ok, B} = vtensor:random_normal([2048, 2048], 6),
    Parent = self(),
    Worker = spawn_link(fun() -> matmul_loop(A, B, Parent, 0) end),
    timer:sleep(50),
    {Worst, P90, Median, Samples} = measure_wakeups(1000, 20000),
    Worker ! stop,
    Rounds = receive {done, Worker, R} -> R after 60000 -> error(matmul_worker_hung) end,
    io:format(user, "~nscheduler latency under 2048^3 matmuls: median ~.2f ms, "
              "p90 ~.2f ms, worst ~.2f ms over ~b wake-ups; ~b matmuls~n",
              [Median, P90, Worst, Samples, Rounds]),
    ?assert(Rounds >= 1),
    ?assert(Samples >= 100),
    ?assert(Median < ?MAX_MEDIAN_MS),
    ?assert(P90 < ?MAX_P90_MS),
    ?assert(Worst < ?MAX_WORST_MS).

matmul_loop(A, B, Parent, N) ->
    receive
        stop -> Parent ! {done, self(), N}
    after 0 ->
        {ok, C} = vops:matmul(A, B),
        ok = vtensor:deallocate(C),
        matmul_loop(A, B, Parent, N + 1)
    end.

pool_loop(Bin, Jobs, Parent, N) ->
    receive
        stop -> Parent ! {done, self(), N}
    after 0 ->
        Results = viva_tensor_pool:map(fun(_) -> convert_once(Bin) end,
                                       lists:seq(1, Jobs), #{timeout => 60000}),
        [ok = R || {ok, R} <- Results],
        pool_loop(Bin, Jobs, Parent, N + 1)
    end.

convert_once(Bin) ->
    {ok, T} = vtensor:from_binary(Bin, f32, [?BIG_ELEMS]),
    {ok, H} = vtensor:as_type(T, f16),
    {ok, F} = vtensor:as_type(H, f32),
    [ok = vtensor:deallocate(X) || X <- [T, H, F]],
    ok.

%% Each round: binary -> tensor, f32 -> f16 -> f32, a transposed view to
%% binary (a strided copy), tensor -> list is skipped (100 MB of list).
convert_loop(Bin, Parent) ->
    convert_loop(Bin, Parent, 0).

convert_loop(Bin, Parent, N) ->
    receive
        stop -> Parent ! {done, self(), N}
    after 0 ->
        {ok, T} = vtensor:from_binary(Bin, f32, [?BIG_ELEMS]),
        {ok, H} = vtensor:as_type(T, f16),
        {ok, F} = vtensor:as_type(H, f32),
        {ok, M} = vtensor:reshape(F, [5120, 5120]),
        {ok, MT} = vtensor:transpose(M),
        {ok, _Out} = vtensor:to_binary(MT),
        [ok = vtensor:deallocate(X) || X <- [T, H, F, M, MT]],
        convert_loop(Bin, Parent, N + 1)
    end.

%% Sleeps 1 ms up to Max times or for at most BudgetMs; returns the worst,
%% 90th percentile and median overshoot in ms, and the sample count.
measure_wakeups(Max, BudgetMs) ->
    Deadline = erlang:monotonic_time(millisecond) + BudgetMs,
    Sorted = lists:sort(sample(Max, Deadline, [])),
    N = length(Sorted),
    {lists:last(Sorted), lists:nth(max(1, N * 9 div 10), Sorted),
     lists:nth(max(1, N div 2), Sorted), N}.

sample(0, _Deadline, Acc) ->
    Acc;
sample(Left, Deadline, Acc) ->
    T0 = erlang:monotonic_time(microsecond),
    timer:sleep(1),
    T1 = erlang:monotonic_time(microsecond),
    Acc1 = [(T1 - T0 - 1000) / 1000 | Acc],
    case T1 div 1000 > Deadline of
        true -> Acc1;
        false -> sample(Left - 1, Deadline, Acc1)
    end.
