%% @doc Holographic reduced representations (Plate's HRR) on native
%% tensors, for Erlang and Elixir.
%%
%% A vector of dimension `D' is a 1-D tensor `[D]'; a batch of them is
%% `[N, D]' (binding and unbinding work row by row, in one NIF call).
%% Binding is circular convolution, unbinding circular correlation, both by
%% real FFTs in Rust (`realfft'), O(D log D), in f64 with the result in the
%% inputs' dtype:
%%
%% ```
%% {ok, Role} = vhrr:random(1024, 1),
%% {ok, Filler} = vhrr:random(1024, 2),
%% {ok, Trace} = vhrr:bind(Role, Filler),
%% {ok, Guess} = vhrr:unbind(Trace, Role),
%% {ok, S} = vhrr:similarity(Guess, Filler).   % about 0.7; unrelated vectors: about 0
%% '''
%%
%% Errors are {@link vtensor:error_reason()} values: `{shape_mismatch, _, _}'
%% for operands of different shapes, `{invalid_dtype, _}' for mixed dtypes,
%% `{invalid_shape, _}' for rank 0 or an empty last axis.
-module(vhrr).

-export([random/2, random/3, random_unitary/2, random_unitary/3,
         bind/2, unbind/2, encode_sequence/2, superpose/1, normalize/1,
         similarity/2, query/4]).

-type tensor() :: vtensor:tensor().
-type result(T) :: vtensor:result(T).

%% FFT work per element is higher than a copy's: leave the normal scheduler
%% sooner than vtensor's 65,536 elements.
-define(DIRTY_ELEMS, 16384).
%% Norms below this make similarity 0.0 (what the VIVA runtime expects).
-define(MIN_NORM, 1.0e-4).

%% @doc A random f32 HRR vector `[Dim]' with i.i.d. N(0, 1/Dim) elements;
%% the same `Seed' gives the same vector on every machine.
%% Errors: `{invalid_shape, _}' for `Dim < 1'.
-spec random(pos_integer(), integer()) -> result(tensor()).
random(Dim, Seed) -> random(Dim, Seed, f32).

%% @doc {@link random/2} in `Dtype' (`f32', `f64', `f16', `bf16').
-spec random(pos_integer(), integer(), vtensor:dtype()) -> result(tensor()).
random(Dim, Seed, Dtype) when is_integer(Dim), Dim >= 1 ->
    vtensor:random_normal([Dim], Seed, #{mean => 0.0, std => 1 / math:sqrt(Dim), dtype => Dtype});
random(Dim, _Seed, _Dtype) when is_integer(Dim) ->
    {error, {invalid_shape, <<"an HRR vector needs a dimension of at least 1">>}};
random(Dim, _Seed, _Dtype) ->
    erlang:error(badarg, [Dim]).

%% @doc A random unitary f32 vector `[Dim]': every frequency of its
%% spectrum has magnitude 1 (random phases from `Seed'). Its norm is 1,
%% binding it with itself any number of times keeps norm 1, and unbinding
%% it is exact. Use it as the position of {@link encode_sequence/2}.
%% Errors: `{invalid_shape, _}' for `Dim < 1'.
-spec random_unitary(pos_integer(), integer()) -> result(tensor()).
random_unitary(Dim, Seed) -> random_unitary(Dim, Seed, f32).

%% @doc {@link random_unitary/2} in `Dtype'.
-spec random_unitary(pos_integer(), integer(), vtensor:dtype()) -> result(tensor()).
random_unitary(Dim, Seed, Dtype) when is_integer(Dim), is_integer(Seed), is_atom(Dtype) ->
    Nif = case Dim > ?DIRTY_ELEMS of
        true -> hrr_random_unitary_dirty;
        false -> hrr_random_unitary
    end,
    viva_tensor_nif:Nif(Dim, Seed band 16#FFFFFFFFFFFFFFFF, Dtype);
random_unitary(Dim, Seed, Dtype) ->
    erlang:error(badarg, [Dim, Seed, Dtype]).

%% @doc Binds `A' and `B' (circular convolution along the last axis; equal
%% shapes `[D]' or `[N, D]'). The result is dissimilar to both and
%% `unbind(bind(A, B), A)' is similar to `B'.
-spec bind(tensor(), tensor()) -> result(tensor()).
bind(A, B) -> hrr(bind, A, B).

%% @doc Unbinds `Key' from `Trace' (circular correlation along the last
%% axis: binding with `Key''s involution, the approximate inverse).
-spec unbind(tensor(), tensor()) -> result(tensor()).
unbind(Trace, Key) -> hrr(unbind, Trace, Key).

%% @doc Encodes an ordered sequence into one trace:
%% `Items[0] + Items[1] * P + Items[2] * P^2 + ...', where `*' is
%% {@link bind/2} and `P^k' is `Position' bound with itself `K' times (the
%% positional encoding of the VIVA runtime's `hrr.encode_sequence').
%% Unbinding `P^K' from the trace recovers item `K'. `Items' is an `[N, D]'
%% tensor or a non-empty list of `[D]' vectors; `Position' is `[D]' and
%% should be unitary ({@link random_unitary/2}): a plain random vector's
%% powers grow or shrink exponentially, so a few items drown the rest.
%% Computed in the frequency domain: one FFT per item, one inverse.
%% Errors: `{invalid_shape, _}' for an empty sequence or wrong ranks,
%% `{shape_mismatch, _, _}', `{invalid_dtype, _}'.
-spec encode_sequence(tensor() | [tensor()], tensor()) -> result(tensor()).
encode_sequence([], _Position) ->
    {error, {invalid_shape, <<"cannot encode an empty sequence">>}};
encode_sequence(Items, Position) when is_list(Items) ->
    case vops:stack(Items, 0) of
        {ok, Stacked} -> encode_sequence(Stacked, Position);
        {error, _} = Error -> Error
    end;
encode_sequence(Items, Position) ->
    hrr(encode_sequence, Items, Position).

hrr(Op, A, B) ->
    Nif = case vtensor:size(A) > ?DIRTY_ELEMS of
        true -> hrr_op_dirty;
        false -> hrr_op
    end,
    viva_tensor_nif:Nif(Op, A, B).

%% @doc The element-wise sum of a non-empty list of equal-shape vectors
%% (superposition: the trace of several bindings). Errors:
%% `{invalid_argument, _}' for an empty list, as {@link vops:add/2} otherwise.
-spec superpose([tensor()]) -> result(tensor()).
superpose([]) ->
    {error, {invalid_argument, <<"superpose needs at least one vector">>}};
superpose([First | Rest]) ->
    lists:foldl(fun(T, {ok, Acc}) -> vops:add(Acc, T);
                   (_T, Error) -> Error
                end, vtensor:copy(First), Rest).

%% @doc `T' scaled to unit L2 norm along its last axis (rows of `[N, D]'
%% each); a zero vector stays zero.
-spec normalize(tensor()) -> result(tensor()).
normalize(T) ->
    maybe_ok([fun() -> vops:norm(T, l2, -1, #{keepdims => true}) end,
              fun(N) -> vops:maximum(N, 1.0e-7) end,
              fun(N) -> vops:divide(T, N) end]).

%% @doc Cosine similarity of two 1-D vectors as a float; 0.0 when either
%% norm is below 1.0e-4. Errors: `{invalid_shape, _}' unless both are 1-D,
%% `{shape_mismatch, _, _}' for different lengths.
-spec similarity(tensor(), tensor()) -> result(float()).
similarity(A, B) ->
    case {vtensor:rank(A), vtensor:rank(B)} of
        {1, 1} ->
            maybe_ok([fun() -> vops:dot(A, B) end,
                      fun(Dot) ->
                          {ok, NA} = vops:norm(A),
                          {ok, NB} = vops:norm(B),
                          [D, Na, Nb] = [scalar(X) || X <- [Dot, NA, NB]],
                          case Na < ?MIN_NORM orelse Nb < ?MIN_NORM of
                              true -> {ok, 0.0};
                              false -> {ok, D / (Na * Nb)}
                          end
                      end]);
        _ ->
            {error, {invalid_shape, <<"similarity compares two 1-D vectors">>}}
    end.

scalar(T) ->
    {ok, [X]} = vtensor:to_list(T),
    case is_number(X) of
        true -> float(X);
        false -> 0.0 % NaN/inf norms: treated like an unusable vector
    end.

%% @doc Unbinds `Key' from `Trace' (both `[D]') and returns the `K' rows of
%% `Candidates' `[N, D]' most similar (cosine) to the result, best first:
%% `{ok, [{Row, Score}]}'. Errors as {@link unbind/2} and
%% {@link vops:similarity_search/4} (`{invalid_argument, _}' when `K > N').
-spec query(tensor(), tensor(), tensor(), non_neg_integer()) ->
    result([{non_neg_integer(), float()}]).
query(Trace, Key, Candidates, K) ->
    maybe_ok([fun() -> unbind(Trace, Key) end,
              fun(Guess) -> vtensor:unsqueeze(Guess, 0) end,
              fun(Q) -> vops:similarity_search(Q, Candidates, K, cosine) end,
              fun({Scores, [Rows]}) ->
                  {ok, [ScoreList]} = vtensor:to_nested_list(Scores),
                  {ok, lists:zip(Rows, ScoreList)}
              end]).

%% Runs the steps, each fed the previous step's value, stopping at the
%% first error.
maybe_ok([First | Rest]) ->
    lists:foldl(fun(Step, {ok, V}) -> Step(V);
                   (_Step, Error) -> Error
                end, First(), Rest).
