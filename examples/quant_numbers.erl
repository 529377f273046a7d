%% Measures every quantized format on a seeded 4096x4096 standard normal f32
%% matrix: size, compression ratio against f32, error (rmse, max_abs, SQNR,
%% cosine) and the wall time of quantize / dequantize through the NIF.
%%
%%   rebar3 compile && erlc -o _build/examples examples/quant_numbers.erl &&
%%   erl -noshell -pa _build/default/lib/viva_tensor/ebin -pa _build/examples \
%%       -eval 'quant_numbers:main(), halt().'
-module(quant_numbers).
-export([main/0, main/1]).

-spec main() -> ok.
main() -> main([4096, 4096]).

-spec main([pos_integer()]) -> ok.
main(Shape) ->
    {ok, W} = vtensor:random_normal(Shape, 42),
    io:format("~s standard normal f32 (seed 42), ~b bytes as f32~n",
              [lists:join("x", [integer_to_list(D) || D <- Shape]), vtensor:nbytes(W)]),
    io:format("~-22s ~12s ~7s ~9s ~9s ~8s ~10s ~9s ~9s~n",
              ["format", "nbytes", "ratio", "rmse", "max_abs", "sqnr_dB", "cosine",
               "quant_ms", "deq_ms"]),
    Formats = [q8_0, q5_0, q4_1, q4_0, mxfp4, nvfp4, nf4, nf4_dq,
               {int8, per_tensor}, {int8, {per_channel, 0}}, {int8, {per_block, 32}},
               fp8_e4m3fn, fp8_e5m2, f16, bf16],
    lists:foreach(fun(F) -> row(W, F) end, Formats).

row(W, F) ->
    {Tq, {ok, Q}} = timer:tc(fun() -> vquant:quantize(W, F) end),
    {Td, {ok, D}} = timer:tc(fun() -> vquant:dequantize(Q) end),
    {ok, #{rmse := R, max_abs := M, sqnr_db := S, cosine := C}} = vquant:metrics(W, D),
    io:format("~-22s ~12b ~7.3f ~9.6f ~9.6f ~8.2f ~10.7f ~9.1f ~9.1f~n",
              [io_lib:format("~p", [F]), vquant:nbytes(Q), vquant:compression_ratio(Q),
               R, M, S, C, Tq / 1000, Td / 1000]),
    ok = vtensor:deallocate(D).
