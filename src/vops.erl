%% @doc Tensor math for Erlang and Elixir: element-wise ops with NumPy
%% broadcasting, comparisons, unary functions, reductions, softmax, matmul,
%% joins and splits, gathers, top-k and similarity search.
%%
%% Every function takes {@link vtensor:tensor()} handles (any view:
%% transposed, sliced, broadcast; nothing is copied first) and returns a
%% new contiguous tensor as `{ok, T}', or `{error, Reason}' with the
%% reasons of {@link vtensor:error_reason()}. A term of the wrong type
%% raises `badarg'.
%%
%% Conventions:
%% <ul>
%% <li>dtypes: the result has the inputs' dtype; f16/bf16 compute in f32 and
%% round once. Binary ops need equal dtypes (`{invalid_dtype, _}'
%% otherwise: convert with {@link vtensor:as_type/2}).</li>
%% <li>numbers: where an argument may be a tensor or a number, a number
%% stands for a rank-0 tensor of the other operand's dtype.</li>
%% <li>masks: comparisons give 1.0 / 0.0 in the inputs' dtype; {@link
%% where/3} treats nonzero (and NaN) as true.</li>
%% <li>indices (argmax, top_k, similarity_search) come back as nested
%% integer lists of the result's shape (there is no integer dtype).</li>
%% <li>axes: negative counts from the end; `[]' (or `all') is every axis.</li>
%% <li>NaN and infinities propagate as IEEE 754 says; `max'/`min'/
%% `maximum'/`minimum' propagate NaN like NumPy.</li>
%% </ul>
%%
%% Scheduling: a call runs on a dirty CPU scheduler when its work is
%% larger than {@link vtensor:dirty_threshold/0} elements (for matmul:
%% when `M * K * N' exceeds {@link matmul_dirty_threshold/0}).
%%
%% Elixir: `:vops.add(a, b)', `:vops.sum(t, [0], %{keepdims: true})'.
-module(vops).

-export([
    add/2, sub/2, mul/2, divide/2, pow/2, maximum/2, minimum/2,
    eq/2, ne/2, lt/2, le/2, gt/2, ge/2, where/3,
    neg/1, abs/1, exp/1, log/1, sqrt/1, rsqrt/1, square/1, tanh/1,
    sigmoid/1, relu/1, gelu/1, gelu_erf/1, silu/1, sin/1, cos/1, clip/3,
    sum/1, sum/2, sum/3, mean/1, mean/2, mean/3, prod/1, prod/2, prod/3,
    max/1, max/2, max/3, min/1, min/2, min/3,
    var/1, var/2, var/3, std/1, std/2, std/3,
    norm/1, norm/2, norm/3, norm/4,
    argmax/2, argmax/3, argmin/2, argmin/3,
    softmax/1, softmax/2, log_softmax/1, log_softmax/2,
    matmul/2, dot/2, outer/2,
    concat/2, stack/2, split/3, index_select/3, take/2, pad/3,
    top_k/2, top_k/3, similarity_search/4,
    matmul_dirty_threshold/0
]).

-compile({no_auto_import, [abs/1, max/2, min/2]}).

-export_type([operand/0, axes/0, indices/0]).

-type tensor() :: vtensor:tensor().
-type operand() :: tensor() | number().
%% A tensor, or a number standing for a rank-0 tensor of the other operand's dtype.
-type axes() :: [integer()] | integer() | all.
-type indices() :: integer() | [indices()].
%% Nested lists of integers in the shape of the result (a bare integer at rank 0).
-type result(T) :: vtensor:result(T).
-type reduce_opts() :: #{keepdims => boolean()}.
-type moment_opts() :: #{keepdims => boolean(), correction => number()}.

-define(DIRTY_ELEMS, 65536).
%% M * K * N above which matmul leaves the normal scheduler: about 2^20
%% multiply-adds take ~50-100 us on one core.
-define(MATMUL_DIRTY, 1048576).

%% @doc `M * K * N' (summed over a batch) above which {@link matmul/2} runs
%% on a dirty scheduler.
-spec matmul_dirty_threshold() -> pos_integer().
matmul_dirty_threshold() -> ?MATMUL_DIRTY.

%% ---------------------------------------------------------------------------
%% Binary element-wise

%% @doc `A + B' with NumPy broadcasting. Errors: `{shape_mismatch, ShapeA,
%% ShapeB}' when the shapes do not broadcast; `{invalid_dtype, _}' when the
%% dtypes differ.
-spec add(operand(), operand()) -> result(tensor()).
add(A, B) -> arith(add, A, B).

%% @doc `A - B', broadcasting; errors as {@link add/2}.
-spec sub(operand(), operand()) -> result(tensor()).
sub(A, B) -> arith(sub, A, B).

%% @doc `A * B', broadcasting; errors as {@link add/2}.
-spec mul(operand(), operand()) -> result(tensor()).
mul(A, B) -> arith(mul, A, B).

%% @doc `A / B', broadcasting (IEEE: `x / 0' is ±infinity, `0 / 0' NaN);
%% errors as {@link add/2}. (`div' is an Erlang operator, hence the name.)
-spec divide(operand(), operand()) -> result(tensor()).
divide(A, B) -> arith('div', A, B).

%% @doc `A ^ B', broadcasting (a negative base with a fractional exponent
%% gives NaN); errors as {@link add/2}.
-spec pow(operand(), operand()) -> result(tensor()).
pow(A, B) -> arith(pow, A, B).

%% @doc Element-wise maximum, NaN if either is NaN; errors as {@link add/2}.
-spec maximum(operand(), operand()) -> result(tensor()).
maximum(A, B) -> arith(maximum, A, B).

%% @doc Element-wise minimum, NaN if either is NaN; errors as {@link add/2}.
-spec minimum(operand(), operand()) -> result(tensor()).
minimum(A, B) -> arith(minimum, A, B).

%% @doc Mask of `A == B' (1.0 / 0.0 in the inputs' dtype); errors as {@link add/2}.
-spec eq(operand(), operand()) -> result(tensor()).
eq(A, B) -> compare(eq, A, B).

%% @doc Mask of `A /= B' (true where either is NaN).
-spec ne(operand(), operand()) -> result(tensor()).
ne(A, B) -> compare(ne, A, B).

%% @doc Mask of `A < B'.
-spec lt(operand(), operand()) -> result(tensor()).
lt(A, B) -> compare(lt, A, B).

%% @doc Mask of `A =< B'.
-spec le(operand(), operand()) -> result(tensor()).
le(A, B) -> compare(le, A, B).

%% @doc Mask of `A > B'.
-spec gt(operand(), operand()) -> result(tensor()).
gt(A, B) -> compare(gt, A, B).

%% @doc Mask of `A >= B'.
-spec ge(operand(), operand()) -> result(tensor()).
ge(A, B) -> compare(ge, A, B).

%% @doc `A' where `Mask' is nonzero (or NaN), else `B'; all three broadcast
%% together. `A' and `B' share a dtype (the result's); the mask may have any
%% dtype. Errors: `{shape_mismatch, _, _}', `{invalid_dtype, _}'.
-spec where(tensor(), operand(), operand()) -> result(tensor()).
where(Mask, A, B) ->
    case operands(A, B) of
        {ok, {TA, TB}} ->
            Cost = lists:max([vtensor:size(Mask), vtensor:size(TA), vtensor:size(TB)]),
            dirty(Cost, where_, where_dirty, [Mask, TA, TB]);
        Error ->
            Error
    end.

arith(Op, A, B) when is_number(B), not is_number(A) ->
    dirty(vtensor:size(A), scalar_op, scalar_op_dirty, [Op, A, B]);
arith(Op, A, B) ->
    binary(Op, A, B).

compare(Op, A, B) ->
    binary(Op, A, B).

binary(Op, A, B) ->
    case operands(A, B) of
        {ok, {TA, TB}} ->
            Cost = erlang:max(vtensor:size(TA), vtensor:size(TB)),
            dirty(Cost, binary_op, binary_op_dirty, [Op, TA, TB]);
        Error ->
            Error
    end.

%% Two tensors from two operands, a number becoming a rank-0 tensor of the
%% other side's dtype.
operands(A, B) when is_number(A), is_number(B) ->
    erlang:error(badarg, [A, B]);
operands(A, B) when is_number(A) ->
    case vtensor:full([], A, vtensor:dtype(B)) of
        {ok, TA} -> {ok, {TA, B}};
        Error -> Error
    end;
operands(A, B) when is_number(B) ->
    case vtensor:full([], B, vtensor:dtype(A)) of
        {ok, TB} -> {ok, {A, TB}};
        Error -> Error
    end;
operands(A, B) ->
    {ok, {A, B}}.

%% ---------------------------------------------------------------------------
%% Unary

%% @doc `-X'.
-spec neg(tensor()) -> result(tensor()).
neg(T) -> unary(neg, T).

%% @doc `|X|'.
-spec abs(tensor()) -> result(tensor()).
abs(T) -> unary(abs, T).

%% @doc `e^X'.
-spec exp(tensor()) -> result(tensor()).
exp(T) -> unary(exp, T).

%% @doc Natural log (`log(0)' is -infinity, negative gives NaN).
-spec log(tensor()) -> result(tensor()).
log(T) -> unary(log, T).

%% @doc Square root (negative gives NaN).
-spec sqrt(tensor()) -> result(tensor()).
sqrt(T) -> unary(sqrt, T).

%% @doc `1 / sqrt(X)'.
-spec rsqrt(tensor()) -> result(tensor()).
rsqrt(T) -> unary(rsqrt, T).

%% @doc `X * X'.
-spec square(tensor()) -> result(tensor()).
square(T) -> unary(square, T).

%% @doc Hyperbolic tangent.
-spec tanh(tensor()) -> result(tensor()).
tanh(T) -> unary(tanh, T).

%% @doc Logistic `1 / (1 + e^-X)', stable for large `|X|'.
-spec sigmoid(tensor()) -> result(tensor()).
sigmoid(T) -> unary(sigmoid, T).

%% @doc `max(X, 0)' (NaN stays NaN).
-spec relu(tensor()) -> result(tensor()).
relu(T) -> unary(relu, T).

%% @doc GELU, tanh approximation: `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))'.
-spec gelu(tensor()) -> result(tensor()).
gelu(T) -> unary(gelu, T).

%% @doc GELU, exact erf form: `0.5 x (1 + erf(x / sqrt 2))'.
-spec gelu_erf(tensor()) -> result(tensor()).
gelu_erf(T) -> unary(gelu_erf, T).

%% @doc SiLU (swish): `x * sigmoid(x)'.
-spec silu(tensor()) -> result(tensor()).
silu(T) -> unary(silu, T).

%% @doc Sine.
-spec sin(tensor()) -> result(tensor()).
sin(T) -> unary(sin, T).

%% @doc Cosine.
-spec cos(tensor()) -> result(tensor()).
cos(T) -> unary(cos, T).

%% @doc Every element limited to `[Min, Max]' (NaN stays NaN).
%% Errors: `{invalid_argument, _}' when `Min > Max' or either is NaN.
-spec clip(tensor(), number(), number()) -> result(tensor()).
clip(T, Min, Max) ->
    dirty(vtensor:size(T), clip, clip_dirty, [T, Min, Max]).

unary(Op, T) ->
    dirty(vtensor:size(T), unary_op, unary_op_dirty, [Op, T]).

%% ---------------------------------------------------------------------------
%% Reductions

%% @doc Sum of every element (a rank-0 tensor), accumulated in f64.
-spec sum(tensor()) -> result(tensor()).
sum(T) -> sum(T, all).

%% @doc Sum over `Axes' (an axis, a list, or `all'). Errors: `{out_of_bounds, _}'
%% for an axis outside the rank, `{invalid_argument, _}' for a repeated axis.
-spec sum(tensor(), axes()) -> result(tensor()).
sum(T, Axes) -> sum(T, Axes, #{}).

%% @doc Sum over `Axes'; `#{keepdims => true}' keeps them as size 1.
-spec sum(tensor(), axes(), reduce_opts()) -> result(tensor()).
sum(T, Axes, Opts) -> reduce(sum, T, Axes, Opts).

%% @doc Mean of every element (NaN when empty).
-spec mean(tensor()) -> result(tensor()).
mean(T) -> mean(T, all).

%% @doc Mean over `Axes'; errors as {@link sum/2}.
-spec mean(tensor(), axes()) -> result(tensor()).
mean(T, Axes) -> mean(T, Axes, #{}).

%% @doc Mean over `Axes' with options as {@link sum/3}.
-spec mean(tensor(), axes(), reduce_opts()) -> result(tensor()).
mean(T, Axes, Opts) -> reduce(mean, T, Axes, Opts).

%% @doc Product of every element (1 when empty).
-spec prod(tensor()) -> result(tensor()).
prod(T) -> prod(T, all).

%% @doc Product over `Axes'; errors as {@link sum/2}.
-spec prod(tensor(), axes()) -> result(tensor()).
prod(T, Axes) -> prod(T, Axes, #{}).

%% @doc Product over `Axes' with options as {@link sum/3}.
-spec prod(tensor(), axes(), reduce_opts()) -> result(tensor()).
prod(T, Axes, Opts) -> reduce(prod, T, Axes, Opts).

%% @doc Largest element (NaN if any is NaN). Errors: `{invalid_argument, _}'
%% for an empty tensor.
-spec max(tensor()) -> result(tensor()).
max(T) -> max(T, all).

%% @doc Maximum over `Axes'; errors as {@link sum/2} plus empty reductions.
-spec max(tensor(), axes()) -> result(tensor()).
max(T, Axes) -> max(T, Axes, #{}).

%% @doc Maximum over `Axes' with options as {@link sum/3}.
-spec max(tensor(), axes(), reduce_opts()) -> result(tensor()).
max(T, Axes, Opts) -> reduce(max, T, Axes, Opts).

%% @doc Smallest element (NaN if any is NaN); errors as {@link max/1}.
-spec min(tensor()) -> result(tensor()).
min(T) -> min(T, all).

%% @doc Minimum over `Axes'; errors as {@link max/2}.
-spec min(tensor(), axes()) -> result(tensor()).
min(T, Axes) -> min(T, Axes, #{}).

%% @doc Minimum over `Axes' with options as {@link sum/3}.
-spec min(tensor(), axes(), reduce_opts()) -> result(tensor()).
min(T, Axes, Opts) -> reduce(min, T, Axes, Opts).

%% @doc Population variance of every element.
-spec var(tensor()) -> result(tensor()).
var(T) -> var(T, all).

%% @doc Population variance over `Axes'.
-spec var(tensor(), axes()) -> result(tensor()).
var(T, Axes) -> var(T, Axes, #{}).

%% @doc Variance over `Axes': `sum((x - mean)^2) / (N - correction)',
%% `#{correction => 1}' for the sample variance (NumPy's ddof; default 0),
%% NaN when `N =< correction'. Errors as {@link sum/2}, plus
%% `{invalid_argument, _}' for a negative correction.
-spec var(tensor(), axes(), moment_opts()) -> result(tensor()).
var(T, Axes, Opts) -> moment(var, T, Axes, Opts).

%% @doc Population standard deviation of every element.
-spec std(tensor()) -> result(tensor()).
std(T) -> std(T, all).

%% @doc Population standard deviation over `Axes'.
-spec std(tensor(), axes()) -> result(tensor()).
std(T, Axes) -> std(T, Axes, #{}).

%% @doc Standard deviation: the square root of {@link var/3}, same options.
-spec std(tensor(), axes(), moment_opts()) -> result(tensor()).
std(T, Axes, Opts) -> moment(std, T, Axes, Opts).

%% @doc L2 norm of every element.
-spec norm(tensor()) -> result(tensor()).
norm(T) -> norm(T, l2).

%% @doc `l1' (sum of |x|), `l2' or `inf' (max |x|) norm of every element.
-spec norm(tensor(), l1 | l2 | inf) -> result(tensor()).
norm(T, Ord) -> norm(T, Ord, all).

%% @doc Norm over `Axes' (the reduced elements as one vector).
-spec norm(tensor(), l1 | l2 | inf, axes()) -> result(tensor()).
norm(T, Ord, Axes) -> norm(T, Ord, Axes, #{}).

%% @doc Norm over `Axes' with options as {@link sum/3}.
-spec norm(tensor(), l1 | l2 | inf, axes(), reduce_opts()) -> result(tensor()).
norm(T, Ord, Axes, Opts) ->
    dirty(vtensor:size(T), norm, norm_dirty, [Ord, T, axes(Axes), keepdims(Opts)]).

%% @doc Index of the largest element along `Axis' (the first on ties, the
%% first NaN if any), as nested integer lists. Errors: `{out_of_bounds, _}',
%% `{invalid_argument, _}' when the axis is empty.
-spec argmax(tensor(), integer()) -> result(indices()).
argmax(T, Axis) -> argmax(T, Axis, #{}).

%% @doc {@link argmax/2} with `#{keepdims => true}' keeping the axis as size 1.
-spec argmax(tensor(), integer(), reduce_opts()) -> result(indices()).
argmax(T, Axis, Opts) -> arg_reduce(argmax, T, Axis, Opts).

%% @doc Index of the smallest element along `Axis'; see {@link argmax/2}.
-spec argmin(tensor(), integer()) -> result(indices()).
argmin(T, Axis) -> argmin(T, Axis, #{}).

%% @doc {@link argmin/2} with options.
-spec argmin(tensor(), integer(), reduce_opts()) -> result(indices()).
argmin(T, Axis, Opts) -> arg_reduce(argmin, T, Axis, Opts).

%% @doc Softmax along the last axis.
-spec softmax(tensor()) -> result(tensor()).
softmax(T) -> softmax(T, -1).

%% @doc Softmax along `Axis', max-subtracted (no overflow for large
%% inputs). Errors: `{out_of_bounds, _}'.
-spec softmax(tensor(), integer()) -> result(tensor()).
softmax(T, Axis) ->
    dirty(vtensor:size(T), softmax, softmax_dirty, [softmax, T, Axis]).

%% @doc Log-softmax along the last axis.
-spec log_softmax(tensor()) -> result(tensor()).
log_softmax(T) -> log_softmax(T, -1).

%% @doc `x - max - log(sum(exp(x - max)))' along `Axis' (finite for large inputs).
-spec log_softmax(tensor(), integer()) -> result(tensor()).
log_softmax(T, Axis) ->
    dirty(vtensor:size(T), softmax, softmax_dirty, [log_softmax, T, Axis]).

reduce(Op, T, Axes, Opts) ->
    dirty(vtensor:size(T), reduce, reduce_dirty, [Op, T, axes(Axes), keepdims(Opts)]).

moment(Op, T, Axes, Opts) ->
    Correction = maps:get(correction, Opts, 0),
    dirty(vtensor:size(T), moment, moment_dirty,
          [Op, T, axes(Axes), Correction, keepdims(Opts)]).

arg_reduce(Op, T, Axis, Opts) ->
    dirty(vtensor:size(T), arg_reduce, arg_reduce_dirty, [Op, T, Axis, keepdims(Opts)]).

axes(all) -> [];
axes(Axis) when is_integer(Axis) -> [Axis];
axes(Axes) when is_list(Axes) -> Axes;
axes(Other) -> erlang:error(badarg, [Other]).

keepdims(Opts) when is_map(Opts) -> maps:get(keepdims, Opts, false);
keepdims(Other) -> erlang:error(badarg, [Other]).

%% ---------------------------------------------------------------------------
%% Linear algebra

%% @doc Matrix product with NumPy's `matmul' rules: `[..., M, K] @ [..., K, N]'
%% with broadcast batch dims; a 1-D operand is a row (left) or column (right)
%% vector. Transposed views go to the GEMM without a copy. f32/f64 use
%% `matrixmultiply'; f16/bf16 compute in f32. Errors: `{shape_mismatch, _, _}'
%% when the inner dims differ or batches do not broadcast, `{invalid_shape, _}'
%% for rank 0, `{invalid_dtype, _}' for mixed dtypes.
-spec matmul(tensor(), tensor()) -> result(tensor()).
matmul(A, B) ->
    linalg(matmul, A, B, matmul_cost(vtensor:shape(A), vtensor:shape(B))).

%% @doc Inner product of two 1-D tensors of equal length (a rank-0 tensor).
%% Errors: `{invalid_shape, _}' unless both are 1-D, `{shape_mismatch, _, _}'.
-spec dot(tensor(), tensor()) -> result(tensor()).
dot(A, B) ->
    linalg(dot, A, B, vtensor:size(A)).

%% @doc Outer product `[M] x [N] -> [M, N]' of two 1-D tensors.
-spec outer(tensor(), tensor()) -> result(tensor()).
outer(A, B) ->
    linalg(outer, A, B, vtensor:size(A) * vtensor:size(B)).

linalg(Op, A, B, Cost) ->
    Nif = case Cost > ?MATMUL_DIRTY orelse (Op =/= matmul andalso Cost > ?DIRTY_ELEMS) of
        true -> linalg_op_dirty;
        false -> linalg_op
    end,
    viva_tensor_nif:Nif(Op, A, B).

%% Multiply-adds of a matmul (batch dims of both sides multiplied, an
%% over-estimate when one side broadcasts); only steers the scheduler choice.
matmul_cost(SA, SB) ->
    lists:foldl(fun erlang:'*'/2, 1, SA) * lists:last([1 | SB]).

%% ---------------------------------------------------------------------------
%% Joins, splits, gathers

%% @doc Tensors joined along an existing `Axis' (all other dims equal, one
%% dtype). Errors: `{invalid_argument, _}' for an empty list,
%% `{shape_mismatch, _, _}', `{invalid_dtype, _}', `{out_of_bounds, _}'.
-spec concat([tensor()], integer()) -> result(tensor()).
concat(Tensors, Axis) -> join(concat, Tensors, Axis).

%% @doc Tensors of one shape joined along a new `Axis' (negative allowed);
%% errors as {@link concat/2}.
-spec stack([tensor()], integer()) -> result(tensor()).
stack(Tensors, Axis) -> join(stack, Tensors, Axis).

join(Op, Tensors, Axis) when is_list(Tensors) ->
    Cost = lists:sum([vtensor:size(T) || T <- Tensors]),
    dirty(Cost, join, join_dirty, [Op, Tensors, Axis]);
join(_Op, Tensors, _Axis) ->
    erlang:error(badarg, [Tensors]).

%% @doc Views (no copy) of `T' cut along `Axis': `Sections' equal parts (the
%% dim must divide) or a list of part sizes summing to the dim.
%% Errors: `{invalid_argument, _}' (sections that do not divide, sizes that
%% do not sum to the dim), `{invalid_shape, _}' for a negative size,
%% `{out_of_bounds, _}' for the axis.
-spec split(tensor(), pos_integer() | [non_neg_integer()], integer()) -> result([tensor()]).
split(T, Sections, Axis) -> viva_tensor_nif:split(T, Sections, Axis).

%% @doc The slices of `T' at `Indices' along `Axis' (negative indices count
%% from the end): an embedding lookup is `index_select(Table, 0, Ids)'.
%% Errors: `{out_of_bounds, _}' for an index or axis outside the tensor.
-spec index_select(tensor(), integer(), [integer()]) -> result(tensor()).
index_select(T, Axis, Indices) when is_list(Indices) ->
    Shape = vtensor:shape(T),
    Row = case Shape of
        [] -> 1;
        _ -> vtensor:size(T) div erlang:max(1, lists:nth(axis_index(Axis, length(Shape)), Shape))
    end,
    dirty(Row * length(Indices), index_select, index_select_dirty, [T, Axis, Indices]);
index_select(_T, _Axis, Indices) ->
    erlang:error(badarg, [Indices]).

axis_index(Axis, Rank) when Axis < 0, Axis >= -Rank -> Rank + Axis + 1;
axis_index(Axis, Rank) when Axis >= 0, Axis < Rank -> Axis + 1;
axis_index(_Axis, _Rank) -> 1.

%% @doc Elements at flat row-major `Indices' of `T' (a 1-D result);
%% negative indices count from the end. Errors: `{out_of_bounds, _}'.
-spec take(tensor(), [integer()]) -> result(tensor()).
take(T, Indices) when is_list(Indices) ->
    dirty(length(Indices), take, take_dirty, [T, Indices]);
take(_T, Indices) ->
    erlang:error(badarg, [Indices]).

%% @doc `T' with `Before' and `After' elements of `Value' added on each
%% axis: `Pads' is one `{Before, After}' per axis. Errors:
%% `{invalid_argument, _}' for a wrong count or a negative width.
-spec pad(tensor(), [{non_neg_integer(), non_neg_integer()}], number()) -> result(tensor()).
pad(T, Pads, Value) ->
    dirty(vtensor:size(T), pad, pad_dirty, [T, Pads, Value]).

%% ---------------------------------------------------------------------------
%% Search

%% @doc The `K' largest values along the last axis and their indices.
-spec top_k(tensor(), non_neg_integer()) -> result({tensor(), indices()}).
top_k(T, K) -> top_k(T, K, -1).

%% @doc The `K' largest values along `Axis', sorted descending (ties: lower
%% index first; NaN ranks first), and their indices along `Axis' as nested
%% lists in the values' shape. Errors: `{out_of_bounds, _}',
%% `{invalid_argument, _}' when `K' exceeds the dim.
-spec top_k(tensor(), non_neg_integer(), integer()) -> result({tensor(), indices()}).
top_k(T, K, Axis) ->
    dirty(vtensor:size(T), top_k, top_k_dirty, [T, K, Axis]).

%% @doc For each row of `Queries' `[Q, D]', the `K' most similar rows of
%% `Memory' `[N, D]' by `cosine' or `dot', best first: `{ok, {Scores,
%% Indices}}' with `Scores' an f32 `[Q, K]' tensor and `Indices' a list of
%% `Q' lists of `K' row numbers (equal scores: the lower row first). The `[Q, N]' score matrix is never built
%% (memory is scanned in blocks, in parallel). Errors: `{invalid_shape, _}'
%% unless both are 2-D, `{shape_mismatch, _, _}' when `D' differs,
%% `{invalid_dtype, _}', `{invalid_argument, _}' when `K > N'.
-spec similarity_search(tensor(), tensor(), non_neg_integer(), cosine | dot) ->
    result({tensor(), [[non_neg_integer()]]}).
similarity_search(Queries, Memory, K, Metric) ->
    Cost = vtensor:size(Memory) * erlang:max(1, hd(vtensor:shape(Queries) ++ [1])),
    dirty(Cost, similarity_search, similarity_search_dirty, [Queries, Memory, K, Metric]).

%% ---------------------------------------------------------------------------

dirty(Cost, Normal, Dirty, Args) ->
    Nif = case Cost > ?DIRTY_ELEMS of
        true -> Dirty;
        false -> Normal
    end,
    erlang:apply(viva_tensor_nif, Nif, Args).
