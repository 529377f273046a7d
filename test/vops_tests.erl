%% EUnit tests for vops: every export, from Erlang, with its error paths.
%% The Rust core has its own property tests against naive references; here
%% the point is the BEAM surface: argument decoding, results, errors,
%% dirty/normal routing and views as inputs.
-module(vops_tests).

-include_lib("eunit/include/eunit.hrl").

t(Nested) ->
    {ok, T} = vtensor:from_list(Nested),
    T.

t(Nested, Dtype) ->
    {ok, T} = vtensor:from_list(Nested, Dtype),
    T.

v({ok, T}) ->
    {ok, L} = vtensor:to_nested_list(T),
    L.

approx(A, B) when is_list(A), is_list(B) ->
    length(A) =:= length(B) andalso lists:all(fun({X, Y}) -> approx(X, Y) end, lists:zip(A, B));
approx(A, B) when is_number(A), is_number(B) ->
    abs(A - B) =< 1.0e-5 * max(1.0, abs(B));
approx(A, B) ->
    A =:= B.

-define(assertApprox(Want, Got), ?assert(approx(Got, Want))).

m() -> t([[1, 2, 3], [4, 5, 6]]).

binary_ops_broadcast_test() ->
    A = m(),
    B = t([10, 20, 30]),
    ?assertEqual([[11.0, 22.0, 33.0], [14.0, 25.0, 36.0]], v(vops:add(A, B))),
    ?assertEqual([[-9.0, -18.0, -27.0], [-6.0, -15.0, -24.0]], v(vops:sub(A, B))),
    ?assertEqual([[10.0, 40.0, 90.0], [40.0, 100.0, 180.0]], v(vops:mul(A, B))),
    ?assertEqual([[0.5, 1.0], [2.0, 2.5]], v(vops:divide(t([[1, 2], [4, 5]]), 2))),
    ?assertEqual([[1.0, 4.0, 9.0], [16.0, 25.0, 36.0]], v(vops:pow(A, 2))),
    ?assertEqual([[3.0, 3.0, 3.0], [4.0, 5.0, 6.0]], v(vops:maximum(A, 3))),
    ?assertEqual([[1.0, 2.0, 3.0], [3.0, 3.0, 3.0]], v(vops:minimum(A, 3.0))),
    %% column [2, 1] against row [3]: outer-style broadcast
    ?assertEqual([[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]],
                 v(vops:mul(t([[2], [1]]), t([1, 1, 1])))).

number_on_the_left_test() ->
    ?assertEqual([[0.0, -1.0, -2.0], [-3.0, -4.0, -5.0]], v(vops:sub(1, m()))),
    ?assertEqual([[2.0, 1.0], [0.5, 0.25]], v(vops:divide(2, t([[1, 2], [4, 8]])))),
    ?assertEqual([2.0, 4.0, 8.0], v(vops:pow(2, t([1, 2, 3])))),
    ?assertError(badarg, vops:add(1, 2)).

views_as_inputs_test() ->
    {ok, T} = vtensor:transpose(m()),
    ?assertEqual([[2.0, 8.0], [4.0, 10.0], [6.0, 12.0]], v(vops:add(T, T))),
    {ok, S} = vtensor:slice(m(), [0, 0], [2, 3], [1, 2]),
    ?assertEqual([[1.0, 3.0], [4.0, 6.0]], v(vops:mul(S, 1))),
    {ok, B} = vtensor:broadcast_to(t([1, 2, 3]), [2, 3]),
    ?assertEqual([[2.0, 4.0, 6.0], [5.0, 7.0, 9.0]], v(vops:add(B, m()))).

binary_errors_test() ->
    ?assertMatch({error, {shape_mismatch, [2, 3], [2]}}, vops:add(m(), t([1, 2]))),
    ?assertMatch({error, {invalid_dtype, _}}, vops:add(m(), t([1, 2, 3], f64))),
    ?assertError(badarg, vops:add(m(), foo)),
    ?assertError(badarg, vops:add(m(), [1, 2])).

dtypes_are_kept_test() ->
    [begin
         A = t([1.5, -2.0], D),
         {ok, R} = vops:mul(A, A),
         ?assertEqual(D, vtensor:dtype(R)),
         ?assertEqual([2.25, 4.0], v({ok, R}))
     end || D <- [f32, f64, f16, bf16]].

comparisons_and_where_test() ->
    A = m(),
    ?assertEqual([[0.0, 0.0, 1.0], [0.0, 0.0, 0.0]], v(vops:eq(A, 3))),
    ?assertEqual([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]], v(vops:ne(A, 3))),
    ?assertEqual([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]], v(vops:lt(A, 3))),
    ?assertEqual([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]], v(vops:le(A, 3))),
    ?assertEqual([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], v(vops:gt(A, 3))),
    ?assertEqual([[0.0, 0.0, 1.0], [1.0, 1.0, 1.0]], v(vops:ge(A, t([3])))),
    {ok, Mask} = vops:gt(A, 3),
    ?assertEqual([[0.0, 0.0, 0.0], [4.0, 5.0, 6.0]], v(vops:where(Mask, A, 0))),
    ?assertEqual([[-1.0, -1.0, -1.0], [4.0, 5.0, 6.0]], v(vops:where(Mask, A, -1.0))),
    %% the mask may have another dtype than the values
    {ok, M64} = vtensor:as_type(Mask, f64),
    ?assertEqual([[7.0, 7.0, 7.0], [4.0, 5.0, 6.0]], v(vops:where(M64, A, 7))),
    ?assertMatch({error, {shape_mismatch, _, _}}, vops:where(t([1, 0]), A, 0)),
    ?assertMatch({error, {invalid_dtype, _}}, vops:where(Mask, A, t([1.0], f64))).

nan_propagates_test() ->
    {ok, N} = vtensor:from_list([nan, 1.0, infinity]),
    ?assertEqual([nan, 2.0, infinity], v(vops:add(N, 1))),
    ?assertEqual([nan, 1.0, infinity], v(vops:maximum(N, 0))),
    ?assertEqual([1.0, 0.0, 0.0], v(vops:ne(N, N))),
    ?assertEqual(nan, v(vops:max(N))),
    ?assertEqual(nan, v(vops:sum(N))).

unary_test() ->
    X = t([-1.0, 0.0, 4.0]),
    ?assertEqual([1.0, -0.0, -4.0], v(vops:neg(X))),
    ?assertEqual([1.0, 0.0, 4.0], v(vops:abs(X))),
    ?assertApprox([math:exp(-1), 1.0, math:exp(4)], v(vops:exp(X))),
    ?assertEqual([nan, neg_infinity, 2 * math:log(2)], v(vops:log(t([-1.0, 0.0, 4.0], f64)))),
    ?assertEqual([nan, 0.0, 2.0], v(vops:sqrt(X))),
    ?assertEqual([infinity, 0.5], v(vops:rsqrt(t([0.0, 4.0])))),
    ?assertEqual([1.0, 0.0, 16.0], v(vops:square(X))),
    ?assertApprox([math:tanh(-1), 0.0, math:tanh(4)], v(vops:tanh(X))),
    ?assertApprox([1 / (1 + math:exp(1)), 0.5, 1 / (1 + math:exp(-4))], v(vops:sigmoid(X))),
    ?assertEqual([0.0, 0.0, 4.0], v(vops:relu(X))),
    Gelu = fun(Z) -> 0.5 * Z * (1 + math:tanh(math:sqrt(2 / math:pi()) * (Z + 0.044715 * Z * Z * Z))) end,
    ?assertApprox([Gelu(-1.0), 0.0, Gelu(4.0)], v(vops:gelu(X))),
    GeluErf = fun(Z) -> 0.5 * Z * (1 + math:erf(Z / math:sqrt(2))) end,
    ?assertApprox([GeluErf(-1.0), 0.0, GeluErf(4.0)], v(vops:gelu_erf(X))),
    ?assertApprox([-1 / (1 + math:exp(1)), 0.0, 4 / (1 + math:exp(-4))], v(vops:silu(X))),
    ?assertApprox([math:sin(-1), 0.0, math:sin(4)], v(vops:sin(X))),
    ?assertApprox([math:cos(-1), 1.0, math:cos(4)], v(vops:cos(X))),
    ?assertEqual([-0.5, 0.0, 2.0], v(vops:clip(X, -0.5, 2))),
    ?assertMatch({error, {invalid_argument, _}}, vops:clip(X, 2, 1)),
    ?assertError(badarg, vops:exp(not_a_tensor)).

reductions_test() ->
    A = m(),
    ?assertEqual(21.0, v(vops:sum(A))),
    ?assertEqual([5.0, 7.0, 9.0], v(vops:sum(A, 0))),
    ?assertEqual([[6.0], [15.0]], v(vops:sum(A, [-1], #{keepdims => true}))),
    ?assertEqual(21.0, v(vops:sum(A, [0, 1]))),
    ?assertEqual([2.0, 5.0], v(vops:mean(A, 1))),
    ?assertEqual(3.5, v(vops:mean(A, all))),
    ?assertEqual([6.0, 120.0], v(vops:prod(A, 1))),
    ?assertEqual([4.0, 5.0, 6.0], v(vops:max(A, 0))),
    ?assertEqual(1.0, v(vops:min(A))),
    ?assertEqual([[1.0], [4.0]], v(vops:min(A, 1, #{keepdims => true}))),
    ?assertApprox(35 / 12, v(vops:var(A))),
    ?assertApprox(3.5, v(vops:var(A, all, #{correction => 1}))),
    ?assertApprox(lists:duplicate(3, math:sqrt(4.5)), v(vops:std(A, 0, #{correction => 1}))),
    ?assertApprox(math:sqrt(35 / 12), v(vops:std(A))),
    ?assertApprox([[1.5, 1.5, 1.5]], v(vops:std(A, [0], #{keepdims => true}))),
    ?assertEqual(21.0, v(vops:norm(A, l1))),
    ?assertApprox(math:sqrt(91), v(vops:norm(A))),
    ?assertEqual([3.0, 6.0], v(vops:norm(A, inf, 1))),
    ?assertApprox([[math:sqrt(14)], [math:sqrt(77)]],
                  v(vops:norm(A, l2, 1, #{keepdims => true}))).

reduction_errors_test() ->
    A = m(),
    ?assertMatch({error, {out_of_bounds, _}}, vops:sum(A, 2)),
    ?assertMatch({error, {invalid_argument, _}}, vops:sum(A, [0, -2])),
    {ok, E} = vtensor:zeros([0, 3]),
    ?assertMatch({error, {invalid_argument, _}}, vops:max(E)),
    ?assertEqual(0.0, v(vops:sum(E))),
    ?assertMatch({error, {invalid_argument, _}}, vops:var(A, all, #{correction => -1})),
    ?assertError(badarg, vops:sum(A, [0], keepdims)),
    ?assertError(badarg, vops:sum(A, 1.5)).

argmax_argmin_test() ->
    A = t([[1, 9, 3], [7, 5, 7]]),
    ?assertEqual({ok, [1, 0]}, vops:argmax(A, 1)),
    ?assertEqual({ok, [[1], [0]]}, vops:argmax(A, -1, #{keepdims => true})),
    ?assertEqual({ok, [1, 0, 1]}, vops:argmax(A, 0)),
    ?assertEqual({ok, [0, 1]}, vops:argmin(A, 1)),
    ?assertEqual({ok, [[0, 1, 0]]}, vops:argmin(A, 0, #{keepdims => true})),
    ?assertEqual({ok, 2}, vops:argmax(t([1, 2, 5, 5]), 0)),
    ?assertMatch({error, {out_of_bounds, _}}, vops:argmax(A, 2)),
    {ok, E} = vtensor:zeros([2, 0]),
    ?assertMatch({error, {invalid_argument, _}}, vops:argmin(E, 1)).

softmax_test() ->
    {ok, S} = vops:softmax(t([[1000.0, 1001.0], [0.0, 0.0]])),
    E = 1 / (1 + math:exp(1)),
    ?assertApprox([[E, 1 - E], [0.5, 0.5]], v({ok, S})),
    ?assertApprox([[0.5, 0.5]], v(vops:softmax(t([[3.0, 3.0]]), 1))),
    {ok, Cols} = vops:softmax(t([[0.0, 1.0], [0.0, 1.0]]), 0),
    ?assertApprox([[0.5, 0.5], [0.5, 0.5]], v({ok, Cols})),
    {ok, L} = vops:log_softmax(t([-1000.0, 0.0, 1000.0], f64)),
    [L0, L1, L2] = v({ok, L}),
    ?assertApprox(-2000.0, L0),
    ?assertApprox(-1000.0, L1),
    ?assertEqual(0.0, L2),
    ?assertApprox([math:log(0.5), math:log(0.5)], v(vops:log_softmax(t([2.0, 2.0]), 0))),
    ?assertMatch({error, {out_of_bounds, _}}, vops:softmax(t([1.0]), 1)).

matmul_test() ->
    A = m(),
    {ok, AT} = vtensor:transpose(A),
    ?assertEqual([[14.0, 32.0], [32.0, 77.0]], v(vops:matmul(A, AT))),
    ?assertEqual([[17.0, 22.0, 27.0], [22.0, 29.0, 36.0], [27.0, 36.0, 45.0]],
                 v(vops:matmul(AT, A))),
    %% 1-D on the right: matrix-vector
    ?assertEqual([14.0, 32.0], v(vops:matmul(A, t([1, 2, 3])))),
    %% batched with a broadcast batch dim: [2, 1, 3] @ [3, 1]
    {ok, B3} = vtensor:reshape(A, [2, 1, 3]),
    ?assertEqual([[[6.0]], [[15.0]]], v(vops:matmul(B3, t([[1], [1], [1]])))),
    ?assertEqual(14.0, v(vops:dot(t([1, 2, 3]), t([1, 2, 3])))),
    ?assertEqual([[3.0, 4.0], [6.0, 8.0]], v(vops:outer(t([1, 2]), t([3, 4])))),
    ?assertMatch({error, {shape_mismatch, _, _}}, vops:matmul(A, A)),
    ?assertMatch({error, {invalid_dtype, _}}, vops:matmul(A, t([[1], [2], [3]], f64))),
    ?assertMatch({error, _}, vops:dot(A, A)),
    ?assertMatch({error, {shape_mismatch, _, _}}, vops:dot(t([1, 2]), t([1, 2, 3]))).

matmul_large_goes_dirty_and_matches_test() ->
    %% 256 x 256 x 256 is above the dirty threshold; compare one entry with
    %% a sum computed in Erlang
    {ok, A} = vtensor:random_normal([256, 256], 11),
    {ok, B} = vtensor:random_normal([256, 256], 12),
    ?assert(256 * 256 * 256 > vops:matmul_dirty_threshold()),
    {ok, C} = vops:matmul(A, B),
    {ok, Row} = vtensor:slice(A, [5], [6]),
    {ok, BT} = vtensor:transpose(B),
    {ok, Col} = vtensor:slice(BT, [7], [8]),
    {ok, [RowL]} = vtensor:to_nested_list(Row),
    {ok, [ColL]} = vtensor:to_nested_list(Col),
    Want = lists:sum([X * Y || {X, Y} <- lists:zip(RowL, ColL)]),
    {ok, Got} = vtensor:slice(C, [5, 7], [6, 8]),
    {ok, [[G]]} = vtensor:to_nested_list(Got),
    ?assert(abs(G - Want) < 1.0e-3).

joins_and_splits_test() ->
    A = m(),
    ?assertEqual([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
                 v(vops:concat([A, A], 0))),
    ?assertEqual([[1.0, 2.0, 3.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 4.0, 5.0, 6.0]],
                 v(vops:concat([A, A], -1))),
    {ok, S} = vops:stack([t([1, 2]), t([3, 4])], 1),
    ?assertEqual([[1.0, 3.0], [2.0, 4.0]], v({ok, S})),
    ?assertMatch({error, {invalid_argument, _}}, vops:concat([], 0)),
    ?assertMatch({error, {shape_mismatch, _, _}}, vops:concat([A, t([1, 2])], 0)),
    ?assertMatch({error, {shape_mismatch, _, _}}, vops:stack([A, t([[1, 2]])], 0)),
    ?assertError(badarg, vops:concat(A, 0)),
    {ok, [P1, P2]} = vops:split(A, 2, 0),
    ?assertEqual([[1.0, 2.0, 3.0]], v({ok, P1})),
    ?assertEqual({ok, true}, vtensor:shares_storage(P2, A)),
    {ok, [Q1, Q2]} = vops:split(A, [1, 2], 1),
    ?assertEqual([[2.0, 3.0], [5.0, 6.0]], v({ok, Q2})),
    ?assertEqual([2, 1], vtensor:shape(Q1)),
    ?assertMatch({error, {invalid_argument, _}}, vops:split(A, 4, 1)),
    ?assertMatch({error, {invalid_argument, _}}, vops:split(A, [1, 1], 1)).

gathers_test() ->
    Table = t([[0, 0], [1, 1], [2, 2], [3, 3]]),
    ?assertEqual([[3.0, 3.0], [1.0, 1.0], [3.0, 3.0]], v(vops:index_select(Table, 0, [3, 1, -1]))),
    ?assertEqual([[0.0], [1.0], [2.0], [3.0]], v(vops:index_select(Table, 1, [0]))),
    ?assertMatch({error, {out_of_bounds, _}}, vops:index_select(Table, 0, [4])),
    ?assertMatch({error, {out_of_bounds, _}}, vops:index_select(Table, 2, [0])),
    ?assertEqual([1.0, 6.0], v(vops:take(m(), [0, -1]))),
    ?assertMatch({error, {out_of_bounds, _}}, vops:take(m(), [6])),
    ?assertEqual([[9.0, 9.0, 9.0, 9.0], [9.0, 1.0, 2.0, 9.0]],
                 v(vops:pad(t([[1, 2]]), [{1, 0}, {1, 1}], 9))),
    ?assertMatch({error, {invalid_argument, _}}, vops:pad(m(), [{1, 1}], 0)),
    ?assertMatch({error, {invalid_argument, _}}, vops:pad(m(), [{0, 0}, {-1, 0}], 0)).

top_k_test() ->
    A = t([[1, 9, 3, 9], [7, 5, 2, 8]]),
    {ok, {V, I}} = vops:top_k(A, 2),
    ?assertEqual([[9.0, 9.0], [8.0, 7.0]], v({ok, V})),
    ?assertEqual([[1, 3], [3, 0]], I),
    {ok, {V0, I0}} = vops:top_k(A, 1, 0),
    ?assertEqual([[7.0, 9.0, 3.0, 9.0]], v({ok, V0})),
    ?assertEqual([[1, 0, 0, 0]], I0),
    ?assertMatch({error, {invalid_argument, _}}, vops:top_k(A, 5)),
    ?assertMatch({error, {out_of_bounds, _}}, vops:top_k(A, 1, 3)).

similarity_search_test() ->
    Memory = t([[1, 0], [0, 1], [1, 1], [-1, 0]]),
    Queries = t([[2, 0], [0, 3]]),
    {ok, {S, I}} = vops:similarity_search(Queries, Memory, 2, cosine),
    ?assertEqual([[0, 2], [1, 2]], I),
    ?assertApprox([[1.0, 1 / math:sqrt(2)], [1.0, 1 / math:sqrt(2)]], v({ok, S})),
    {ok, {D, ID}} = vops:similarity_search(Queries, Memory, 1, dot),
    ?assertEqual([[0], [1]], ID),
    ?assertEqual([[2.0], [3.0]], v({ok, D})),
    ?assertMatch({error, {invalid_argument, _}}, vops:similarity_search(Queries, Memory, 5, dot)),
    ?assertMatch({error, {shape_mismatch, _, _}},
                 vops:similarity_search(t([[1, 2, 3]]), Memory, 1, dot)),
    ?assertMatch({error, {invalid_shape, _}}, vops:similarity_search(t([1, 2]), Memory, 1, dot)),
    ?assertError(badarg, vops:similarity_search(Queries, Memory, 1, euclid)).

similarity_search_large_matches_brute_force_test() ->
    %% 20 000 rows: the dirty path and several blocks; compare the best row
    %% of each query with an exact search done through matmul + argmax
    {ok, Mem} = vtensor:random_normal([20000, 32], 3),
    {ok, Q} = vtensor:random_normal([4, 32], 4),
    {ok, {_, Idx}} = vops:similarity_search(Q, Mem, 3, dot),
    {ok, MemT} = vtensor:transpose(Mem),
    {ok, Scores} = vops:matmul(Q, MemT),
    {ok, Best} = vops:argmax(Scores, 1),
    ?assertEqual(Best, [hd(Row) || Row <- Idx]).
