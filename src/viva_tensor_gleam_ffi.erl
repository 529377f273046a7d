%% @private Adapters between the Gleam bindings (src/viva_tensor.gleam) and
%% `vtensor'. Gleam's types already rule out wrong term types, so a badarg
%% here can only mean an integer outside 64 bits; it becomes an
%% `{invalid_argument, _}' error instead of a crash.
-module(viva_tensor_gleam_ffi).

-export([call/1, memory_stats/0, reset_peak_memory/0, deallocate/1,
         load_status/0, seed/1, from_rows/2]).

-spec call(fun(() -> {ok, term()} | {error, term()})) -> {ok, term()} | {error, term()}.
call(F) ->
    try
        F()
    catch
        error:badarg ->
            {error, {invalid_argument, <<"an argument is out of range (integers must fit in 64 bits)">>}}
    end.

%% Gleam's MemoryStats record is the tuple {memory_stats, ...}.
-spec memory_stats() -> {memory_stats, non_neg_integer(), non_neg_integer(),
                         non_neg_integer(), non_neg_integer(), non_neg_integer()}.
memory_stats() ->
    #{tensors := T, buffers := B, bytes := Bytes, peak_bytes := P, total_allocations := A} =
        vtensor:memory_stats(),
    {memory_stats, T, B, Bytes, P, A}.

-spec reset_peak_memory() -> nil.
reset_peak_memory() ->
    ok = vtensor:reset_peak_memory(),
    nil.

-spec deallocate(vtensor:tensor()) -> nil.
deallocate(T) ->
    ok = vtensor:deallocate(T),
    nil.

-spec load_status() -> {ok, nil} | {error, binary()}.
load_status() ->
    case viva_tensor_nif:load_status() of
        ok -> {ok, nil};
        {error, Msg} -> {error, Msg}
    end.

%% Seeds are taken modulo 2^64 so any Gleam Int is a valid seed.
-spec seed(integer()) -> non_neg_integer().
seed(S) ->
    S band 16#FFFFFFFFFFFFFFFF.

-spec from_rows([[float()]], atom()) -> {ok, vtensor:tensor()} | {error, term()}.
from_rows(Rows, Dtype) ->
    call(fun() -> vtensor:from_list(Rows, Dtype) end).
