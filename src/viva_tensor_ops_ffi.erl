%% @private Adapters between the Gleam bindings (src/viva_tensor/ops.gleam)
%% and `vops': Gleam's `Axes' type and `keepdims' Bool become `vops' axes
%% and option maps, and the nested integer lists of argmax/argmin/top_k
%% become the Gleam `Indices' record (shape + flat row-major list). Every
%% call goes through {@link viva_tensor_gleam_ffi:call/1}, so a badarg (an
%% integer outside 64 bits) is an `{invalid_argument, _}' error.
-module(viva_tensor_ops_ffi).

-export([reduce/4, moment/5, norm/4, arg_reduce/4, top_k/3,
         similarity_search/4, flatten/1]).

-type gleam_axes() :: all_axes | {axes, [integer()]}.
-type reduce_op() :: sum | mean | prod | max | min.
-type moment_op() :: var | std.
-type indices() :: {indices, [non_neg_integer()], [integer()]}.
-type result(T) :: {ok, T} | {error, vtensor:error_reason()}.

-spec reduce(reduce_op(), vtensor:tensor(), gleam_axes(), boolean()) ->
    result(vtensor:tensor()).
reduce(Op, T, Axes, Keepdims) ->
    viva_tensor_gleam_ffi:call(
      fun() -> vops:Op(T, axes(Axes), #{keepdims => Keepdims}) end).

-spec moment(moment_op(), vtensor:tensor(), gleam_axes(), float(), boolean()) ->
    result(vtensor:tensor()).
moment(Op, T, Axes, Correction, Keepdims) ->
    viva_tensor_gleam_ffi:call(
      fun() ->
              vops:Op(T, axes(Axes), #{keepdims => Keepdims, correction => Correction})
      end).

-spec norm(vtensor:tensor(), l1 | l2 | inf, gleam_axes(), boolean()) ->
    result(vtensor:tensor()).
norm(T, Ord, Axes, Keepdims) ->
    viva_tensor_gleam_ffi:call(
      fun() -> vops:norm(T, Ord, axes(Axes), #{keepdims => Keepdims}) end).

%% argmax / argmin: the result's shape is the input's with `Axis' removed
%% (or kept as 1), computed here because nested lists cannot tell the inner
%% dims of an empty list.
-spec arg_reduce(argmax | argmin, vtensor:tensor(), integer(), boolean()) ->
    result(indices()).
arg_reduce(Op, T, Axis, Keepdims) ->
    viva_tensor_gleam_ffi:call(
      fun() ->
              case vops:Op(T, Axis, #{keepdims => Keepdims}) of
                  {ok, Nested} ->
                      Shape = arg_shape(vtensor:shape(T), Axis, Keepdims),
                      {ok, {indices, Shape, flatten(Nested)}};
                  {error, _} = E ->
                      E
              end
      end).

-spec top_k(vtensor:tensor(), integer(), integer()) ->
    result({top_k, vtensor:tensor(), indices()}).
top_k(T, K, Axis) ->
    viva_tensor_gleam_ffi:call(
      fun() ->
              case vops:top_k(T, K, Axis) of
                  {ok, {Values, Nested}} ->
                      Shape = vtensor:shape(Values),
                      {ok, {top_k, Values, {indices, Shape, flatten(Nested)}}};
                  {error, _} = E ->
                      E
              end
      end).

-spec similarity_search(vtensor:tensor(), vtensor:tensor(), integer(), cosine | dot) ->
    result({matches, vtensor:tensor(), [[non_neg_integer()]]}).
similarity_search(Queries, Memory, K, Metric) ->
    viva_tensor_gleam_ffi:call(
      fun() ->
              case vops:similarity_search(Queries, Memory, K, Metric) of
                  {ok, {Scores, Rows}} -> {ok, {matches, Scores, Rows}};
                  {error, _} = E -> E
              end
      end).

%% Nested integer lists (or a bare integer at rank 0) in row-major order.
-spec flatten(vops:indices()) -> [integer()].
flatten(I) when is_integer(I) -> [I];
flatten(L) when is_list(L) -> lists:append([flatten(X) || X <- L]).

axes(all_axes) -> all;
axes({axes, Axes}) -> Axes.

arg_shape(Shape, Axis, Keepdims) ->
    Rank = length(Shape),
    A = case Axis < 0 of
            true -> Axis + Rank;
            false -> Axis
        end,
    {Before, [_ | After]} = lists:split(A, Shape),
    case Keepdims of
        true -> Before ++ [1 | After];
        false -> Before ++ After
    end.
