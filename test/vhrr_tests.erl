%% EUnit tests for vhrr: the FFT binding against an O(n^2) circular
%% convolution written here in Erlang, the HRR algebra, and the errors.
-module(vhrr_tests).

-include_lib("eunit/include/eunit.hrl").

list(T) ->
    {ok, L} = vtensor:to_nested_list(T),
    L.

naive_bind(A, B) ->
    D = length(A),
    TA = list_to_tuple(A),
    TB = list_to_tuple(B),
    [lists:sum([element(J + 1, TA) * element(((K - J + D) rem D) + 1, TB) || J <- lists:seq(0, D - 1)])
     || K <- lists:seq(0, D - 1)].

naive_unbind(T, Key) ->
    D = length(T),
    TT = list_to_tuple(T),
    TK = list_to_tuple(Key),
    [lists:sum([element(J + 1, TK) * element(((K + J) rem D) + 1, TT) || J <- lists:seq(0, D - 1)])
     || K <- lists:seq(0, D - 1)].

close(Got, Want) ->
    lists:all(fun({G, W}) -> abs(G - W) < 1.0e-9 end, lists:zip(Got, Want)).

bind_and_unbind_match_naive_test() ->
    [begin
         {ok, A} = vhrr:random(D, D, f64),
         {ok, B} = vhrr:random(D, D + 1, f64),
         {ok, AB} = vhrr:bind(A, B),
         {ok, U} = vhrr:unbind(A, B),
         ?assert(close(list(AB), naive_bind(list(A), list(B)))),
         ?assert(close(list(U), naive_unbind(list(A), list(B))))
     end || D <- [1, 2, 3, 7, 16, 33, 100]].

batch_binds_row_by_row_test() ->
    {ok, A} = vtensor:random_normal([5, 64], 1, #{dtype => f64}),
    {ok, B} = vtensor:random_normal([5, 64], 2, #{dtype => f64}),
    {ok, AB} = vhrr:bind(A, B),
    ?assertEqual([5, 64], vtensor:shape(AB)),
    [?assert(close(R, naive_bind(RA, RB)))
     || {R, RA, RB} <- lists:zip3(list(AB), list(A), list(B))],
    %% a batch large enough for the dirty scheduler
    {ok, X} = vtensor:random_normal([40, 1024], 3),
    {ok, XX} = vhrr:bind(X, X),
    ?assertEqual([40, 1024], vtensor:shape(XX)).

algebra_test_() ->
    {timeout, 60, fun() ->
        [begin
             {ok, Role} = vhrr:random(D, 1),
             {ok, Filler} = vhrr:random(D, 2),
             {ok, Role2} = vhrr:random(D, 3),
             {ok, Filler2} = vhrr:random(D, 4),
             {ok, P1} = vhrr:bind(Role, Filler),
             {ok, P2} = vhrr:bind(Role2, Filler2),
             {ok, Trace} = vhrr:superpose([P1, P2]),
             Distractors = [element(2, vhrr:random(D, S)) || S <- lists:seq(100, 149)],
             {ok, Cands} = vops:stack(Distractors ++ [Filler, Filler2], 0),
             {ok, [{Best, Score}, {Second, _}]} = vhrr:query(Trace, Role, Cands, 2),
             ?assertEqual(50, Best),            % Filler's row
             ?assert(Score > 0.4),
             ?assertNotEqual(51, Second),       % the other pair's filler is not recalled
             {ok, Guess} = vhrr:unbind(Trace, Role2),
             {ok, S2} = vhrr:similarity(Guess, Filler2),
             ?assert(S2 > 0.4)
         end || D <- [256, 1024, 2048, 8192]]
    end}.

similarity_and_normalize_test() ->
    {ok, A} = vtensor:from_list([3.0, 4.0]),
    {ok, B} = vtensor:from_list([4.0, 3.0]),
    {ok, S} = vhrr:similarity(A, B),
    ?assert(abs(S - 24 / 25) < 1.0e-6),
    {ok, Tiny} = vtensor:from_list([1.0e-5, 0.0]),
    ?assertEqual({ok, 0.0}, vhrr:similarity(A, Tiny)),
    {ok, N} = vhrr:normalize(A),
    ?assertEqual([0.6000000238418579, 0.800000011920929], list(N)),
    {ok, Z} = vtensor:zeros([3]),
    {ok, NZ} = vhrr:normalize(Z),
    ?assertEqual([0.0, 0.0, 0.0], list(NZ)),
    {ok, M} = vtensor:from_list([[3.0, 4.0], [0.0, 2.0]]),
    {ok, NM} = vhrr:normalize(M),
    ?assertEqual([[0.6000000238418579, 0.800000011920929], [0.0, 1.0]], list(NM)).

errors_test() ->
    {ok, A} = vhrr:random(8, 1),
    {ok, B} = vhrr:random(9, 1),
    {ok, C} = vhrr:random(8, 1, f64),
    ?assertMatch({error, {shape_mismatch, [8], [9]}}, vhrr:bind(A, B)),
    ?assertMatch({error, {invalid_dtype, _}}, vhrr:unbind(A, C)),
    ?assertMatch({error, {invalid_shape, _}}, vhrr:random(0, 1)),
    ?assertError(badarg, vhrr:random(foo, 1)),
    ?assertMatch({error, {invalid_shape, _}}, vhrr:similarity(A, element(2, vtensor:zeros([2, 8])))),
    ?assertMatch({error, {shape_mismatch, _, _}}, vhrr:similarity(A, B)),
    ?assertMatch({error, {invalid_argument, _}}, vhrr:superpose([])),
    ?assertMatch({error, {shape_mismatch, _, _}}, vhrr:superpose([A, B])),
    {ok, Cands} = vtensor:zeros([3, 8]),
    ?assertMatch({error, {invalid_argument, _}}, vhrr:query(A, A, Cands, 4)),
    {ok, S} = vtensor:full([], 1.0),
    ?assertMatch({error, {invalid_shape, _}}, vhrr:bind(S, S)).

%% encode_sequence against its definition: Items[0] + sum_K Items[K] * P^K,
%% with P^K built by repeated (naive) binding.
encode_sequence_matches_repeated_binding_test() ->
    D = 24,
    {ok, Items} = vtensor:random_normal([4, D], 3, #{dtype => f64}),
    {ok, P} = vhrr:random(D, 4, f64),
    [I0 | Rest] = list(Items),
    PL = list(P),
    {Want, _} = lists:foldl(fun(Row, {Acc, PK}) ->
                                    Bound = naive_bind(Row, PK),
                                    {[X + Y || {X, Y} <- lists:zip(Acc, Bound)], naive_bind(PK, PL)}
                            end, {I0, PL}, Rest),
    {ok, Trace} = vhrr:encode_sequence(Items, P),
    ?assertEqual([D], vtensor:shape(Trace)),
    ?assert(close(list(Trace), Want)),
    %% a list of vectors is the same as their stacked matrix
    Vectors = [element(2, vtensor:from_list(R, f64)) || R <- list(Items)],
    {ok, Trace2} = vhrr:encode_sequence(Vectors, P),
    ?assertEqual(list(Trace), list(Trace2)).

encode_sequence_recovers_positions_with_a_unitary_position_test() ->
    D = 1024,
    {ok, Items} = vtensor:random_normal([6, D], 5, #{std => 1 / math:sqrt(D)}),
    {ok, P} = vhrr:random_unitary(D, 6),
    {ok, Trace} = vhrr:encode_sequence(Items, P),
    lists:foldl(fun(K, PK) ->
                        {ok, [{Best, _} | _]} = vhrr:query(Trace, PK, Items, 1),
                        ?assertEqual(K, Best),
                        {ok, Next} = vhrr:bind(PK, P),
                        Next
                end, P, lists:seq(1, 5)).

random_unitary_test() ->
    {ok, U} = vhrr:random_unitary(256, 1, f64),
    {ok, N} = vops:norm(U),
    {ok, [Norm]} = vtensor:to_list(N),
    ?assert(abs(Norm - 1.0) < 1.0e-9),
    {ok, A} = vhrr:random(256, 2, f64),
    {ok, AU} = vhrr:bind(A, U),
    {ok, Back} = vhrr:unbind(AU, U),
    ?assert(close(list(Back), list(A))),
    ?assertEqual(f16, vtensor:dtype(element(2, vhrr:random_unitary(16, 1, f16)))),
    ?assertMatch({error, {invalid_shape, _}}, vhrr:random_unitary(0, 1)),
    ?assertError(badarg, vhrr:random_unitary(8, 1.5)),
    %% above the dirty threshold
    {ok, Big} = vhrr:random_unitary(20000, 3),
    ?assertEqual([20000], vtensor:shape(Big)).

encode_sequence_errors_test() ->
    {ok, P} = vhrr:random(8, 1),
    {ok, P9} = vhrr:random(9, 1),
    {ok, P64} = vhrr:random(8, 1, f64),
    ?assertMatch({error, {invalid_shape, _}}, vhrr:encode_sequence([], P)),
    ?assertMatch({error, {shape_mismatch, [8], [9]}}, vhrr:encode_sequence([P], P9)),
    ?assertMatch({error, {invalid_dtype, _}}, vhrr:encode_sequence([P], P64)),
    ?assertMatch({error, {shape_mismatch, _, _}}, vhrr:encode_sequence([P, P9], P)),
    {ok, Empty} = vtensor:zeros([0, 8]),
    ?assertMatch({error, {invalid_shape, _}}, vhrr:encode_sequence(Empty, P)).
