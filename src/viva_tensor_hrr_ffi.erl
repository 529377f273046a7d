%% @private Adapters between the Gleam bindings (src/viva_tensor/hrr.gleam)
%% and `vhrr': badarg (an integer beyond 64 bits) becomes an
%% `invalid_argument' error instead of an exception, and seeds wrap modulo
%% 2^64 as in the other Gleam bindings.
-module(viva_tensor_hrr_ffi).

-export([random/3, random_unitary/3, bind/2, unbind/2, encode_sequence/2, superpose/1,
         normalize/1, similarity/2, query/4]).

-spec random(integer(), integer(), vtensor:dtype()) -> vtensor:result(vtensor:tensor()).
random(Dim, Seed, Dtype) ->
    viva_tensor_gleam_ffi:call(fun() -> vhrr:random(Dim, Seed band 16#FFFFFFFFFFFFFFFF, Dtype) end).

-spec random_unitary(integer(), integer(), vtensor:dtype()) -> vtensor:result(vtensor:tensor()).
random_unitary(Dim, Seed, Dtype) ->
    viva_tensor_gleam_ffi:call(fun() -> vhrr:random_unitary(Dim, Seed, Dtype) end).

-spec encode_sequence(vtensor:tensor(), vtensor:tensor()) -> vtensor:result(vtensor:tensor()).
encode_sequence(Items, Position) ->
    viva_tensor_gleam_ffi:call(fun() -> vhrr:encode_sequence(Items, Position) end).

-spec bind(vtensor:tensor(), vtensor:tensor()) -> vtensor:result(vtensor:tensor()).
bind(A, B) -> viva_tensor_gleam_ffi:call(fun() -> vhrr:bind(A, B) end).

-spec unbind(vtensor:tensor(), vtensor:tensor()) -> vtensor:result(vtensor:tensor()).
unbind(T, K) -> viva_tensor_gleam_ffi:call(fun() -> vhrr:unbind(T, K) end).

-spec superpose([vtensor:tensor()]) -> vtensor:result(vtensor:tensor()).
superpose(Ts) -> viva_tensor_gleam_ffi:call(fun() -> vhrr:superpose(Ts) end).

-spec normalize(vtensor:tensor()) -> vtensor:result(vtensor:tensor()).
normalize(T) -> viva_tensor_gleam_ffi:call(fun() -> vhrr:normalize(T) end).

-spec similarity(vtensor:tensor(), vtensor:tensor()) -> vtensor:result(float()).
similarity(A, B) -> viva_tensor_gleam_ffi:call(fun() -> vhrr:similarity(A, B) end).

-spec query(vtensor:tensor(), vtensor:tensor(), vtensor:tensor(), integer()) ->
    vtensor:result([{non_neg_integer(), float()}]).
query(T, K, C, N) when N < 0 ->
    _ = {T, K, C},
    {error, {invalid_argument, <<"k must be >= 0">>}};
query(T, K, C, N) -> viva_tensor_gleam_ffi:call(fun() -> vhrr:query(T, K, C, N) end).
