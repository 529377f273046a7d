%% The README's examples, run as written: each fenced block that follows an
%% `<!-- example:NAME -->' marker. Erlang blocks are evaluated here; the
%% Gleam block must appear verbatim in test/readme_example_test.gleam (which
%% `gleam test' runs); the Elixir block is run by test/mix_smoke.
-module(readme_tests).

-include_lib("eunit/include/eunit.hrl").

erlang_example_test() ->
    eval_block(example("erlang")).

erlang_qmatmul_example_test() ->
    eval_block(example("erlang-qmatmul")).

erlang_pool_example_test() ->
    eval_block(example("erlang-pool")).

erlang_ops_example_test() ->
    eval_block(example("erlang-ops")).

erlang_hrr_example_test() ->
    eval_block(example("erlang-hrr")).

gleam_examples_are_the_tested_ones_test() ->
    [begin
         %% from the first function on: the imports may differ in what
         %% else the test module needs
         [_Imports, Fun] = binary:split(example(Name), <<"pub fn ">>),
         Block = <<"pub fn ", Fun/binary>>,
         {ok, Test} = file:read_file(filename:join(test_dir(), File)),
         ?assertNotEqual(nomatch, binary:match(Test, Block))
     end || {Name, File} <- [{"gleam", "readme_example_test.gleam"},
                             {"gleam-quant", "viva_tensor_quant_test.gleam"},
                             {"gleam-ops", "viva_tensor_ops_test.gleam"},
                             {"gleam-tensor", "viva_tensor_compat_native_test.gleam"},
                             {"gleam-qmatmul", "viva_tensor_quant_test.gleam"}]].

elixir_examples_exist_test() ->
    ?assert(byte_size(example("elixir")) > 0),
    ?assert(byte_size(example("elixir-pool")) > 0),
    ?assert(byte_size(example("elixir-ops")) > 0).

example(Name) ->
    {ok, Readme} = file:read_file(filename:join([test_dir(), "..", "README.md"])),
    Marker = iolist_to_binary(["<!-- example:", Name, " -->\n```"]),
    [_, AfterMarker] = binary:split(Readme, Marker),
    [_Lang, Body0] = binary:split(AfterMarker, <<"\n">>),
    [Body, _] = binary:split(Body0, <<"```">>),
    Body.

test_dir() ->
    filename:dirname(proplists:get_value(source, ?MODULE:module_info(compile))).

%% Evaluates a sequence of `Expr.' forms, threading the bindings, as the shell would.
eval_block(Text) ->
    {ok, Tokens, _} = erl_scan:string(binary_to_list(Text)),
    lists:foldl(fun(Form, Bindings) ->
                        {ok, Exprs} = erl_parse:parse_exprs(Form),
                        {value, _, NewBindings} = erl_eval:exprs(Exprs, Bindings),
                        NewBindings
                end, erl_eval:new_bindings(), split_forms(Tokens, [], [])).

split_forms([], [], Acc) -> lists:reverse(Acc);
split_forms([{dot, _} = Dot | Rest], Cur, Acc) -> split_forms(Rest, [], [lists:reverse([Dot | Cur]) | Acc]);
split_forms([T | Rest], Cur, Acc) -> split_forms(Rest, [T | Cur], Acc).
