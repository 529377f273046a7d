%% @private Test runner for the Gleam suites: EUnit over the compiled Gleam
%% test modules (Gleam exports `pub fn x_test()' as `x_test/0'), exiting
%% non-zero on failure. No hex package (gleeunit) needed.
-module(viva_tensor_test_ffi).
-export([run_eunit/1]).

-spec run_eunit([atom()]) -> no_return().
run_eunit(Modules) ->
    Code = case eunit:test(Modules, [verbose]) of
        ok -> 0;
        _ -> 1
    end,
    erlang:halt(Code).
