%% @private Test runner for the Gleam suites: EUnit over the compiled Gleam
%% test modules (Gleam exports `pub fn x_test()' as `x_test/0'), exiting
%% non-zero on failure. No hex package (gleeunit) needed.
-module(viva_tensor_test_ffi).
-export([run_eunit/1, native_env/0, element0/2]).

-spec run_eunit([atom()]) -> no_return().
run_eunit(Modules) ->
    Code = case eunit:test(Modules, [verbose]) of
        ok -> 0;
        _ -> 1
    end,
    erlang:halt(Code).

%% The value of VIVA_TENSOR_NATIVE ("" when unset).
-spec native_env() -> binary().
native_env() ->
    case os:getenv("VIVA_TENSOR_NATIVE") of
        false -> <<>>;
        Value -> unicode:characters_to_binary(Value)
    end.

%% Element `I' (0-based) of a tuple.
-spec element0(tuple(), non_neg_integer()) -> term().
element0(T, I) -> element(I + 1, T).
