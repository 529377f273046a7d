%% PropEr properties for vops through the BEAM: broadcasting, reductions
%% over axis subsets and matmul shapes, each against a plain-Erlang
%% reference. Values are small integers so every dtype holds them exactly.
-module(vops_prop_tests).

-include_lib("eunit/include/eunit.hrl").

-define(NUMTESTS, 120).

check(Prop) ->
    ?assert(proper:quickcheck(Prop, [{numtests, ?NUMTESTS}, {to_file, user}])).

dtype_gen() ->
    proper_types:elements([f32, f64, f16, bf16]).

%% Two broadcast-compatible shapes: a common shape of rank 0..4, each side
%% dropping leading dims and replacing some dims by 1.
broadcast_pair_gen() ->
    proper_types:bind(
        {proper_types:list(proper_types:integer(1, 3)),
         proper_types:integer(0, 4), proper_types:integer(0, 4), proper_types:integer(0, 255)},
        fun({Dims, DropA, DropB, Bits}) ->
            Full = lists:sublist(Dims, 4),
            {ones(drop(Full, DropA), Bits), ones(drop(Full, DropB), Bits bsr 4)}
        end, false).

drop(Shape, N) -> lists:nthtail(min(N, length(Shape)), Shape).

ones(Shape, Bits) ->
    [case (Bits bsr I) band 1 of 1 -> 1; 0 -> D end
     || {I, D} <- lists:zip(lists:seq(0, length(Shape) - 1), Shape)].

numel(Shape) -> lists:foldl(fun erlang:'*'/2, 1, Shape).

values(Shape, Salt) -> [float((I * 7 + Salt) rem 11 - 5) || I <- lists:seq(0, numel(Shape) - 1)].

indices([]) -> [[]];
indices([D | Rest]) -> [[I | R] || I <- lists:seq(0, D - 1), R <- indices(Rest)].

%% The element of a (Shape, Values) tensor broadcast to an output index.
bget(Values, Shape, OutIdx) ->
    Idx = lists:nthtail(length(OutIdx) - length(Shape), OutIdx),
    Flat = lists:foldl(fun({I, D}, Acc) -> Acc * D + (I rem D) end, 0, lists:zip(Idx, Shape)),
    lists:nth(Flat + 1, Values).

bshape(A, B) ->
    N = max(length(A), length(B)),
    PA = lists:duplicate(N - length(A), 1) ++ A,
    PB = lists:duplicate(N - length(B), 1) ++ B,
    [max(X, Y) || {X, Y} <- lists:zip(PA, PB)].

broadcast_binary_matches_reference_test_() ->
    {timeout, 120, fun() ->
        Ops = [{add, fun erlang:'+'/2}, {sub, fun erlang:'-'/2}, {mul, fun erlang:'*'/2},
               {maximum, fun erlang:max/2}],
        check(proper:forall({broadcast_pair_gen(), dtype_gen(), proper_types:elements(Ops)},
            fun({{SA, SB}, Dtype, {Op, F}}) ->
                VA = values(SA, 1),
                VB = values(SB, 3),
                {ok, A} = vtensor:from_list(VA, SA, Dtype),
                {ok, B} = vtensor:from_list(VB, SB, Dtype),
                {ok, R} = vops:Op(A, B),
                Out = bshape(SA, SB),
                Want = [float(F(bget(VA, SA, I), bget(VB, SB, I))) || I <- indices(Out)],
                vtensor:shape(R) =:= Out andalso vtensor:to_list(R) =:= {ok, Want}
            end))
    end}.

%% A shape of rank 1..4 and a subset of its axes (as a bit mask).
reduce_case_gen() ->
    proper_types:bind(
        {proper_types:integer(1, 4), proper_types:integer(0, 15), proper_types:boolean()},
        fun({Rank, Mask, Keep}) ->
            proper_types:bind(proper_types:vector(Rank, proper_types:integer(1, 3)),
                fun(Shape) -> {Shape, [A || A <- lists:seq(0, Rank - 1), (Mask bsr A) band 1 =:= 1], Keep} end,
                false)
        end, false).

sum_over_axes_matches_reference_test_() ->
    {timeout, 120, fun() ->
        check(proper:forall({reduce_case_gen(), dtype_gen()},
            fun({{Shape, Axes, Keep}, Dtype}) ->
                V = values(Shape, 2),
                {ok, T} = vtensor:from_list(V, Shape, Dtype),
                {ok, R} = vops:sum(T, Axes, #{keepdims => Keep}),
                Reduced = case Axes of [] -> lists:seq(0, length(Shape) - 1); _ -> Axes end,
                Enum = lists:zip(lists:seq(0, length(Shape) - 1), Shape),
                OutIdxShape = [D || {A, D} <- Enum, not lists:member(A, Reduced)],
                Sums = [lists:sum([lists:nth(flat(I, Shape) + 1, V) || I <- indices(Shape),
                                   kept(I, Reduced) =:= K])
                        || K <- indices(OutIdxShape)],
                WantShape = case Keep of
                    true -> [case lists:member(A, Reduced) of true -> 1; false -> D end || {A, D} <- Enum];
                    false -> OutIdxShape
                end,
                vtensor:shape(R) =:= WantShape andalso vtensor:to_list(R) =:= {ok, Sums}
            end))
    end}.

flat(Idx, Shape) -> lists:foldl(fun({I, D}, Acc) -> Acc * D + I end, 0, lists:zip(Idx, Shape)).

kept(Idx, Reduced) ->
    [I || {A, I} <- lists:zip(lists:seq(0, length(Idx) - 1), Idx), not lists:member(A, Reduced)].

%% M, K, N in 1..5, each operand possibly a transposed view.
matmul_matches_reference_test_() ->
    {timeout, 120, fun() ->
        G = {proper_types:integer(1, 5), proper_types:integer(1, 5), proper_types:integer(1, 5),
             proper_types:boolean(), proper_types:boolean()},
        check(proper:forall(G, fun({M, K, N, TA, TB}) ->
            VA = values([M, K], 1),
            VB = values([K, N], 2),
            A = maybe_transposed(VA, M, K, TA),
            B = maybe_transposed(VB, K, N, TB),
            {ok, R} = vops:matmul(A, B),
            Want = [[float(lists:sum([lists:nth(I * K + P + 1, VA) * lists:nth(P * N + J + 1, VB)
                                      || P <- lists:seq(0, K - 1)]))
                     || J <- lists:seq(0, N - 1)] || I <- lists:seq(0, M - 1)],
            vtensor:to_nested_list(R) =:= {ok, Want}
        end))
    end}.

%% An [R, C] tensor holding V row-major; when Transposed, built as [C, R]
%% data and viewed through transpose (so the NIF gets a strided view).
maybe_transposed(V, R, C, false) ->
    {ok, T} = vtensor:from_list(V, [R, C]),
    T;
maybe_transposed(V, R, C, true) ->
    Cols = [[lists:nth(I * C + J + 1, V) || I <- lists:seq(0, R - 1)] || J <- lists:seq(0, C - 1)],
    {ok, T} = vtensor:from_list(Cols),
    {ok, TT} = vtensor:transpose(T),
    TT.
