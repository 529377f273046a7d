%% @private Adapters between the Gleam bindings (src/viva_tensor/quant.gleam)
%% and `vquant': Gleam constructor names cannot spell `q8_0' or nest tuples
%% the way the Erlang format terms do, so formats are translated here, and
%% metrics become the Gleam `Metrics' record.
-module(viva_tensor_quant_ffi).

-export([quantize/2, format/1, metrics/2, to_erlang_format/1, from_erlang_format/1]).

-type gleam_format() ::
    q80 | q40 | q41 | q50 | mxfp4 | nvfp4 | nf4 | nf4_dq
    | fp8_e4m3fn | fp8_e5m2 | float16 | bfloat16
    | {nf4_block, integer()} | {nf4_dq_blocks, integer(), integer()}
    | int8_per_tensor | {int8_per_channel, integer()} | {int8_per_block, integer()}.

-spec to_erlang_format(gleam_format()) -> vquant:format().
to_erlang_format(q80) -> q8_0;
to_erlang_format(q40) -> q4_0;
to_erlang_format(q41) -> q4_1;
to_erlang_format(q50) -> q5_0;
to_erlang_format(mxfp4) -> mxfp4;
to_erlang_format(nvfp4) -> nvfp4;
to_erlang_format(nf4) -> nf4;
to_erlang_format(nf4_dq) -> nf4_dq;
to_erlang_format(fp8_e4m3fn) -> fp8_e4m3fn;
to_erlang_format(fp8_e5m2) -> fp8_e5m2;
to_erlang_format(float16) -> f16;
to_erlang_format(bfloat16) -> bf16;
to_erlang_format({nf4_block, B}) -> {nf4, B};
to_erlang_format({nf4_dq_blocks, B, B2}) -> {nf4_dq, B, B2};
to_erlang_format(int8_per_tensor) -> {int8, per_tensor};
to_erlang_format({int8_per_channel, A}) -> {int8, {per_channel, A}};
to_erlang_format({int8_per_block, B}) -> {int8, {per_block, B}}.

-spec from_erlang_format(vquant:format()) -> gleam_format().
from_erlang_format(q8_0) -> q80;
from_erlang_format(q4_0) -> q40;
from_erlang_format(q4_1) -> q41;
from_erlang_format(q5_0) -> q50;
from_erlang_format(mxfp4) -> mxfp4;
from_erlang_format(nvfp4) -> nvfp4;
from_erlang_format(nf4) -> nf4;
from_erlang_format(nf4_dq) -> nf4_dq;
from_erlang_format(fp8_e4m3fn) -> fp8_e4m3fn;
from_erlang_format(fp8_e5m2) -> fp8_e5m2;
from_erlang_format(f16) -> float16;
from_erlang_format(bf16) -> bfloat16;
from_erlang_format({nf4, B}) -> {nf4_block, B};
from_erlang_format({nf4_dq, B, B2}) -> {nf4_dq_blocks, B, B2};
from_erlang_format({int8, per_tensor}) -> int8_per_tensor;
from_erlang_format({int8, {per_channel, A}}) -> {int8_per_channel, A};
from_erlang_format({int8, {per_block, B}}) -> {int8_per_block, B}.

-spec quantize(vtensor:tensor(), gleam_format()) -> vtensor:result(vquant:quantized()).
quantize(T, Format) ->
    viva_tensor_gleam_ffi:call(fun() -> vquant:quantize(T, to_erlang_format(Format)) end).

-spec format(vquant:quantized()) -> gleam_format().
format(Q) ->
    from_erlang_format(vquant:format(Q)).

%% Gleam's `Metrics' record is {metrics, Mse, Rmse, MaxAbs, MeanAbs, Sqnr, Cosine}
%% with Sqnr one of {decibels, Float}, no_noise, no_signal.
-spec metrics(vtensor:tensor(), vtensor:tensor()) ->
    {ok, {metrics, float(), float(), float(), float(),
          {decibels, float()} | no_noise | no_signal, float()}}
    | {error, vtensor:error_reason()}.
metrics(A, B) ->
    case vquant:metrics(A, B) of
        {ok, #{mse := Mse, rmse := Rmse, max_abs := MaxAbs, mean_abs := MeanAbs,
               sqnr_db := Sqnr, cosine := Cos}} ->
            {ok, {metrics, Mse, Rmse, MaxAbs, MeanAbs, sqnr(Sqnr), Cos}};
        {error, _} = E ->
            E
    end.

sqnr(infinity) -> no_noise;
sqnr(neg_infinity) -> no_signal;
sqnr(Db) -> {decibels, Db}.
