%% Throughput of viva_tensor_pool:map/3 against a plain lists:map/2 in one
%% process. Not run by `rebar3 eunit'; run it by hand:
%%
%%   rebar3 as test compile
%%   erl -noshell -pa _build/test/lib/viva_tensor/ebin _build/test/lib/viva_tensor/test \
%%       -eval 'viva_tensor_pool_bench:run(), halt().'
%%
%% Each figure is the median of 7 runs (after 2 warm-up runs) measured with
%% timer:tc/1 in the calling process.
-module(viva_tensor_pool_bench).

-export([run/0, run/1, tiny/1, work/1, work_ms/1]).

-spec run() -> ok.
run() ->
    run(10000).

-spec run(pos_integer()) -> ok.
run(N) ->
    {ok, _} = application:ensure_all_started(viva_tensor),
    #{size := Size} = viva_tensor_pool:stats(),
    io:format("schedulers ~p, pool size ~p, ~p items~n",
              [erlang:system_info(schedulers), Size, N]),
    [begin
         Items = lists:seq(1, Count),
         Seq = median(fun() -> lists:map(F, Items) end),
         Pool = median(fun() -> viva_tensor_pool:map(F, Items) end),
         io:format("~-22s ~6w items: lists:map ~8.1f ms  pool map ~8.1f ms"
                   "  (~.2f us/item, pool/seq ~.2f)~n",
                   [Label, Count, Seq / 1000, Pool / 1000, Pool / Count, Pool / max(Seq, 1)])
     end || {Label, F, Count} <- [{"tiny (X + 1)", fun ?MODULE:tiny/1, N},
                                  {"~20 us per item", fun ?MODULE:work/1, N},
                                  {"~1 ms per item", fun ?MODULE:work_ms/1, max(1, N div 10)}]],
    ok.

-spec tiny(integer()) -> integer().
tiny(X) -> X + 1.

%% About 20 microseconds of arithmetic.
-spec work(integer()) -> integer().
work(X) -> lists:foldl(fun(I, Acc) -> (Acc * 31 + I) rem 1000003 end, X, lists:seq(1, 400)).

%% About a millisecond of arithmetic.
-spec work_ms(integer()) -> integer().
work_ms(X) -> lists:foldl(fun(_, Acc) -> work(Acc) end, X, lists:seq(1, 50)).

median(Fun) ->
    [Fun() || _ <- [1, 2]],
    Times = lists:sort([element(1, timer:tc(Fun)) || _ <- lists:seq(1, 7)]),
    lists:nth(4, Times).
