%% PropEr properties for views and conversions, checked against plain
%% Erlang list reference implementations. (Debian's PropEr ships without
%% proper.hrl, so the macros are spelled out as proper:forall/2 calls.)
-module(vtensor_prop_tests).

-include_lib("eunit/include/eunit.hrl").

-define(NUMTESTS, 150).

check(Prop) ->
    ?assert(proper:quickcheck(Prop, [{numtests, ?NUMTESTS}, {to_file, user}])).

%% A shape of rank 0..5 with dims 1..4.
shape_gen() ->
    proper_types:bind(proper_types:integer(0, 5), fun(Rank) ->
        proper_types:vector(Rank, proper_types:integer(1, 4))
    end, false).

dtype_gen() ->
    proper_types:elements([f32, f64, f16, bf16]).

iota(Shape, Dtype) ->
    N = lists:foldl(fun erlang:'*'/2, 1, Shape),
    {ok, T} = vtensor:from_list([float(I) || I <- lists:seq(0, N - 1)], Shape, Dtype),
    {T, N}.

%% Reference: the row-major flat index of a multi-index.
flat_index(Idx, Shape) ->
    lists:foldl(fun({I, D}, Acc) -> Acc * D + I end, 0, lists:zip(Idx, Shape)).

%% All multi-indices of a shape in row-major order.
indices([]) -> [[]];
indices([D | Rest]) -> [[I | R] || I <- lists:seq(0, D - 1), R <- indices(Rest)].

permute_matches_reference_test_() ->
    {timeout, 60, fun() ->
        check(proper:forall({shape_gen(), dtype_gen()}, fun({Shape, Dtype}) ->
            Rank = length(Shape),
            Perm = shuffle(lists:seq(0, Rank - 1), Shape),
            {T, _} = iota(Shape, Dtype),
            {ok, P} = vtensor:permute(T, Perm),
            NewShape = [lists:nth(A + 1, Shape) || A <- Perm],
            %% element at result index J is the input at index K, K[Perm[i]] = J[i]
            Want = [float(flat_index(unpermute(J, Perm), Shape)) || J <- indices(NewShape)],
            vtensor:shape(P) =:= NewShape andalso vtensor:to_list(P) =:= in_dtype(Want, Dtype)
        end))
    end}.

%% The reference values as `Dtype' holds them: bf16 has 8 significant bits,
%% so iota values above 256 round (257 -> 256), and so must the reference.
in_dtype(Values, Dtype) ->
    {ok, T} = vtensor:from_list(Values, [length(Values)], Dtype),
    vtensor:to_list(T).

unpermute(J, Perm) ->
    Pairs = lists:sort(lists:zip(Perm, J)),
    [I || {_, I} <- Pairs].

%% A deterministic permutation derived from the shape (PropEr varies shapes).
shuffle(L, Shape) ->
    Seed = lists:foldl(fun(D, A) -> A * 5 + D end, 7, Shape),
    [X || {_, X} <- lists:sort([{erlang:phash2({Seed, X}), X} || X <- L])].

slice_matches_reference_test_() ->
    {timeout, 60, fun() ->
        Gen = proper_types:bind(shape_gen(), fun(Shape) ->
            {Shape, [spec_gen(D) || D <- Shape]}
        end, false),
        check(proper:forall(Gen, fun({Shape, Specs}) ->
            {T, _} = iota(Shape, f64),
            Starts = [S || {S, _, _} <- Specs],
            Stops = [E || {_, E, _} <- Specs],
            Steps = [St || {_, _, St} <- Specs],
            {ok, V} = vtensor:slice(T, Starts, Stops, Steps),
            Ranges = [lists:seq(S, E - 1, St) || {S, E, St} <- Specs],
            Want = [float(flat_index(Idx, Shape)) || Idx <- product(Ranges)],
            vtensor:to_list(V) =:= {ok, Want}
                andalso vtensor:shares_storage(T, V) =:= {ok, true}
        end))
    end}.

spec_gen(D) ->
    proper_types:bind(proper_types:integer(0, D), fun(S) ->
        proper_types:bind(proper_types:integer(S, D), fun(E) ->
            {S, E, proper_types:integer(1, 3)}
        end, false)
    end, false).

product([]) -> [[]];
product([R | Rest]) -> [[I | T] || I <- R, T <- product(Rest)].

reshape_and_binary_round_trip_test_() ->
    {timeout, 60, fun() ->
        check(proper:forall({shape_gen(), dtype_gen()}, fun({Shape, Dtype}) ->
            {T, N} = iota(Shape, Dtype),
            {ok, Flat} = vtensor:reshape(T, [-1]),
            {ok, Back} = vtensor:reshape(Flat, Shape),
            {ok, Bin} = vtensor:to_binary(Back),
            {ok, T2} = vtensor:from_binary(Bin, Dtype, Shape),
            vtensor:shape(Flat) =:= [N]
                andalso vtensor:to_list(T2) =:= vtensor:to_list(T)
                andalso vtensor:shares_storage(T, Back) =:= {ok, true}
        end))
    end}.

broadcast_matches_reference_test_() ->
    {timeout, 60, fun() ->
        Gen = proper_types:bind(shape_gen(), fun(Target) ->
            {Target, [proper_types:elements([D, 1]) || D <- Target]}
        end, false),
        check(proper:forall(Gen, fun({Target, Src0}) ->
            %% drop a random number of leading axes from the source
            Src = lists:nthtail(length(Src0) div 2, Src0),
            {T, _} = iota(Src, f32),
            {ok, B} = vtensor:broadcast_to(T, Target),
            Lead = length(Target) - length(Src),
            Want = [float(flat_index([case D of 1 -> 0; _ -> I end
                                      || {I, D} <- lists:zip(lists:nthtail(Lead, Idx), Src)], Src))
                    || Idx <- indices(Target)],
            vtensor:to_list(B) =:= {ok, Want}
        end))
    end}.

as_type_round_trip_test_() ->
    {timeout, 60, fun() ->
        %% integers up to 256 are exact in every dtype (bf16 has 8 bits)
        Gen = {shape_gen(), dtype_gen(), dtype_gen()},
        check(proper:forall(Gen, fun({Shape, A, B}) ->
            N = lists:foldl(fun erlang:'*'/2, 1, Shape),
            {ok, T} = vtensor:from_list([float(I rem 257) || I <- lists:seq(0, N - 1)], Shape, f64),
            {ok, TA} = vtensor:as_type(T, A),
            {ok, TB} = vtensor:as_type(TA, B),
            vtensor:dtype(TB) =:= B andalso vtensor:to_list(TB) =:= vtensor:to_list(T)
        end))
    end}.
