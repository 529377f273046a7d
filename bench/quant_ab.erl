%% Quantize speed of one build against another, alternating, for the README's
%% before → after figures (bench/quant_bench.erl measures one build).
%%
%% `quant_ab:run(Format)' prints the median of 5 `vquant:quantize/2' calls
%% (after a warm-up) on the 4096 x 4096 N(0, 0.02^2) seed-42 weight, as GB/s
%% of f32 read, then halts. To compare build A with build B, make an
%% application directory for each (its `ebin' and `priv' with
%% `viva_tensor_nif.so', and no `native/' beside them, so the loader's
%% staleness check is skipped), then alternate them format by format so both
%% see the same machine load:
%%
%%   erlc -o /tmp/ab bench/quant_ab.erl
%%   for F in q8_0 q4_0 '{int8,{per_channel,0}}' fp8_e4m3fn; do
%%     erl -noshell -pa A/viva_tensor/ebin -pa /tmp/ab -run quant_ab run A "$F"
%%     erl -noshell -pa B/viva_tensor/ebin -pa /tmp/ab -run quant_ab run B "$F"
%%   done
%%
%% (`-run' passes strings: the label and the format term as text.)
-module(quant_ab).
-export([run/1]).

-spec run([string()]) -> no_return().
run([Label, FormatText]) ->
    {ok, Toks, _} = erl_scan:string(FormatText ++ "."),
    {ok, Format} = erl_parse:parse_term(Toks),
    {ok, W} = vtensor:random_normal([4096, 4096], 42, #{std => 0.02}),
    Bytes = vtensor:nbytes(W),
    Q = fun() -> {ok, _} = vquant:quantize(W, Format) end,
    _ = Q(),
    %% a garbage collection (not timed) releases the previous result first,
    %% as in quant_bench
    Ts = lists:sort([begin
                         true = erlang:garbage_collect(),
                         element(1, timer:tc(Q))
                     end || _ <- lists:seq(1, 5)]),
    io:format("~s ~-24s ~6.2f GB/s~n", [Label, FormatText, Bytes / lists:nth(3, Ts) / 1000]),
    halt().
