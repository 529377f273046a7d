%% @private Test runner: EUnit over the compiled Gleam test modules (Gleam
%% exports `pub fn x_test()' as `x_test/0'), exiting non-zero on failure.
-module(examples_test_ffi).
-export([run_eunit/1]).

-spec run_eunit([atom()]) -> no_return().
run_eunit(Modules) ->
    Code = case eunit:test(Modules, [verbose]) of
        ok -> 0;
        _ -> 1
    end,
    erlang:halt(Code).
