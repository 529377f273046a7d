%% Tests of the node-crossing codec. They run with whatever `vtensor' is
%% available: the real one once the NIF API is merged, otherwise a stand-in
%% compiled in memory for the duration of the test (and removed after), and
%% also with no `vtensor' at all.
-module(viva_tensor_portable_tests).

-include_lib("eunit/include/eunit.hrl").

%% Also used by the pool's distributed tests.
-export([stub_vtensor_beam/0, remove_stub/1]).

-define(TAG, '$viva_tensor').

plain_terms() ->
    [1, 2.5, atom, <<"bin">>, "string", [1 | improper], {}, {a, {b, [c, #{k => v}]}},
     #{{key, [1]} => {value, <<0>>}}, self(), make_ref(), fun lists:map/2,
     {?TAG, not_a_tensor}, {'$viva_tensor_escape', x, y}, [{?TAG, 1, 2, 3}]].

roundtrip_without_vtensor_test() ->
    case code:which(vtensor) of
        non_existing ->
            [?assertEqual(T, viva_tensor_portable:decode(viva_tensor_portable:encode(T)))
             || T <- plain_terms()],
            %% Reserved-looking tuples are escaped, not passed as tensors.
            ?assertMatch({'$viva_tensor_escape', _},
                         viva_tensor_portable:encode({?TAG, not_a_tensor})),
            %% A portable tensor stays portable where vtensor is missing.
            P = {?TAG, f32, [1], <<0, 0, 128, 63>>},
            ?assertEqual(P, viva_tensor_portable:decode(P)),
            ?assertEqual(P, viva_tensor_portable:encode(P));
        _ ->
            ok
    end.

roundtrip_with_tensors_test_() ->
    {setup, fun ensure_vtensor/0, fun remove_stub/1,
     fun(_) -> [fun roundtrip_tensors/0] end}.

roundtrip_tensors() ->
    Bin = <<1.0:32/float-native, 2.0:32/float-native, 3.0:32/float-native,
            4.0:32/float-native>>,
    {ok, T} = vtensor:from_binary(Bin, f32, [2, 2]),
    Term = {result, [T, #{weights => T}], {nested, [1 | T]}},
    Enc = viva_tensor_portable:encode(Term),
    {result, [P, #{weights := P}], {nested, [1 | P]}} = Enc,
    ?assert(viva_tensor_portable:is_portable_tensor(P)),
    ?assertEqual({?TAG, f32, [2, 2], Bin}, P),
    %% Survives the external term format, as over the wire.
    Dec = viva_tensor_portable:decode(binary_to_term(term_to_binary(Enc))),
    {result, [T1, #{weights := T2}], {nested, [1 | T3]}} = Dec,
    [begin
         ?assert(vtensor:is_tensor(X)),
         ?assertEqual({ok, Bin}, vtensor:to_binary(X)),
         ?assertEqual([2, 2], vtensor:shape(X)),
         ?assertEqual(f32, vtensor:dtype(X))
     end || X <- [T1, T2, T3]],
    [?assertEqual(X, viva_tensor_portable:decode(viva_tensor_portable:encode(X)))
     || X <- plain_terms()].

%% The real vtensor when it exists; else a stand-in whose "tensors" are
%% tuples, just enough for the codec's five calls.
ensure_vtensor() ->
    case code:which(vtensor) of
        non_existing ->
            {module, vtensor} = code:load_binary(vtensor, "vtensor_stub", stub_vtensor_beam()),
            stub;
        _ ->
            {module, vtensor} = code:ensure_loaded(vtensor),
            real
    end.

stub_vtensor_beam() ->
    Src = "-module(vtensor).\n"
          "-export([is_tensor/1, to_binary/1, dtype/1, shape/1, from_binary/3]).\n"
          "is_tensor({stub_tensor, _, _, _}) -> true; is_tensor(_) -> false.\n"
          "to_binary({stub_tensor, _, _, B}) -> {ok, B}.\n"
          "dtype({stub_tensor, D, _, _}) -> D.\n"
          "shape({stub_tensor, _, S, _}) -> S.\n"
          "from_binary(B, D, S) -> {ok, {stub_tensor, D, S, B}}.\n",
    {ok, vtensor, Beam} = compile:forms(forms(Src), []),
    Beam.

remove_stub(stub) ->
    code:purge(vtensor),
    code:delete(vtensor),
    code:purge(vtensor),
    ok;
remove_stub(real) ->
    ok.

forms(Src) ->
    {ok, Tokens, _} = erl_scan:string(Src),
    split_forms(Tokens, []).

split_forms([], Acc) ->
    lists:reverse(Acc);
split_forms(Tokens, Acc) ->
    {Form, [Dot | Rest]} = lists:splitwith(fun({dot, _}) -> false; (_) -> true end, Tokens),
    {ok, Parsed} = erl_parse:parse_form(Form ++ [Dot]),
    split_forms(Rest, [Parsed | Acc]).
