%% @private Tiny helpers for the examples (no gleam_stdlib here: hex.pm is
%% not used). Printing, float formatting, a clock, and the library's
%% `viva_tensor_native_mode' switch (pure vs native timings).
-module(examples_ffi).
-export([println/1, format_float/2, now_us/0, native_mode_get/0, native_mode_set/1, is_finite/1,
         inspect/1, tuple_at/2]).

println(Line) ->
    io:put_chars([Line, $\n]),
    nil.

%% Fixed-point with `Decimals' digits; scientific form for tiny or huge values.
format_float(X, Decimals) when is_float(X) ->
    A = abs(X),
    Opts = if
        A =/= 0.0, (A < 1.0e-3 orelse A >= 1.0e9) -> [{scientific, Decimals}];
        true -> [{decimals, Decimals}]
    end,
    erlang:float_to_binary(X, Opts).

now_us() ->
    erlang:monotonic_time(microsecond).

-define(MODE, viva_tensor_native_mode).

%% "auto" | "always" | "never".
native_mode_get() ->
    atom_to_binary(?MODE:get(), utf8).

native_mode_set(Mode) ->
    ok = ?MODE:set(binary_to_existing_atom(Mode, utf8)),
    nil.

%% BEAM floats are always finite (arithmetic raises instead of making inf
%% or NaN), but the check documents the property the tests assert.
is_finite(X) when is_float(X) ->
    X - X == 0.0.

inspect(Term) ->
    unicode:characters_to_binary(io_lib:format("~0p", [Term])).

%% Zero-based element of a tuple.
tuple_at(Tuple, Index) ->
    element(Index + 1, Tuple).
