%% @private Pure-BEAM HRR kernels for `viva_tensor/tensor/hrr', used when
%% a vector is below the native crossover or the native library is not
%% loaded. Vectors are lists of floats; all O(D^2), straight from the
%% definitions:
%%   bind(A, B)[K]   = sum_J A[J] * B[(K - J) mod D]
%%   unbind(T, C)[K] = sum_J C[J] * T[(K + J) mod D]
-module(viva_tensor_compat_hrr).

-export([bind/2, unbind/2, random/2, unitary/1, sort_by/2]).

%% @doc Circular convolution of two equal-length lists.
-spec bind([float()], [float()]) -> [float()].
bind(A, B) ->
    D = length(A),
    TA = list_to_tuple(A),
    TB = list_to_tuple(B),
    [conv_at(TA, TB, D, K, 0, 0.0) || K <- lists:seq(0, D - 1)].

conv_at(_TA, _TB, D, _K, D, Acc) -> Acc;
conv_at(TA, TB, D, K, J, Acc) ->
    conv_at(TA, TB, D, K, J + 1,
            Acc + element(J + 1, TA) * element(((K - J + D) rem D) + 1, TB)).

%% @doc Circular correlation: unbinds key `C' from trace `T'. It is binding
%% with `C''s involution (C[0], C[D-1], ..., C[1]).
-spec unbind([float()], [float()]) -> [float()].
unbind(T, []) -> T;
unbind(T, [C0 | Rest]) -> bind(T, [C0 | lists:reverse(Rest)]).

%% @doc `Dim' N(0, 1/Dim) floats from Erlang's `rand' (exsss) seeded with
%% `Seed': reproducible, but not the same numbers as the native generator.
-spec random(pos_integer(), integer()) -> [float()].
random(Dim, Seed) ->
    State0 = rand:seed_s(exsss, Seed),
    Std = 1 / math:sqrt(Dim),
    {Xs, _} = lists:mapfoldl(fun(_, S) ->
                                     {X, S1} = rand:normal_s(S),
                                     {X * Std, S1}
                             end, State0, lists:seq(1, Dim)),
    Xs.

%% @doc `X' with every DFT bin scaled to magnitude 1 (a zero bin becomes 1),
%% by an O(D^2) DFT and its inverse: the pure form of the native
%% `random_unitary'. The result has unit norm.
-spec unitary([float()]) -> [float()].
unitary(X) ->
    D = length(X),
    TX = list_to_tuple(X),
    W = 2 * math:pi() / D,
    Bins = [unit(dft_bin(TX, D, K, W)) || K <- lists:seq(0, D - 1)],
    TBins = list_to_tuple(Bins),
    [idft_at(TBins, D, J, W) / D || J <- lists:seq(0, D - 1)].

dft_bin(TX, D, K, W) ->
    lists:foldl(fun(J, {Re, Im}) ->
                        V = element(J + 1, TX),
                        A = W * ((J * K) rem D),
                        {Re + V * math:cos(A), Im - V * math:sin(A)}
                end, {0.0, 0.0}, lists:seq(0, D - 1)).

unit({Re, Im}) ->
    case math:sqrt(Re * Re + Im * Im) of
        R when R > 0.0 -> {Re / R, Im / R};
        _ -> {1.0, 0.0}
    end.

%% The real part of the inverse DFT at J (the imaginary part is zero up to
%% rounding: the bins are conjugate-symmetric).
idft_at(TBins, D, J, W) ->
    lists:foldl(fun(K, Acc) ->
                        {Re, Im} = element(K + 1, TBins),
                        A = W * ((J * K) rem D),
                        Acc + Re * math:cos(A) - Im * math:sin(A)
                end, 0.0, lists:seq(0, D - 1)).

%% @doc `lists:sort/2' with the list first (Gleam's argument order).
-spec sort_by([T], fun((T, T) -> boolean())) -> [T].
sort_by(Xs, Before) -> lists:sort(Before, Xs).
