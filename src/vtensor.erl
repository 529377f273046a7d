%% @doc Tensors for Erlang and Elixir: creation, views, conversion, memory.
%%
%% A tensor is an immutable handle to Rust-owned storage. Views
%% (`reshape' of contiguous data, `transpose', `permute', `slice',
%% `squeeze', `unsqueeze', `broadcast_to', `expand') share that storage and
%% copy nothing. Every call that can fail returns `{ok, Value}' or
%% `{error, Reason}' (see {@type error_reason()}); a term of the wrong type
%% raises `badarg'.
%%
%% Scheduling: calls whose cost grows with the data run on a dirty CPU
%% scheduler once the input has more than {@link dirty_threshold/0}
%% elements (lists: {@link dirty_list_threshold/0}); smaller ones and all
%% metadata calls stay on the caller's normal scheduler.
%%
%% Elixir: call it as `:vtensor.from_list([1.0, 2.0], [2], :f32)'.
-module(vtensor).

-export([
    from_list/1, from_list/2, from_list/3,
    from_binary/3, to_binary/1, to_list/1, to_float_list/1, to_nested_list/1,
    zeros/1, zeros/2, ones/1, ones/2, full/2, full/3,
    eye/1, eye/2, eye/3, arange/1, arange/2, arange/3, arange/4,
    linspace/3, linspace/4,
    random_uniform/2, random_uniform/3, random_normal/2, random_normal/3,
    as_type/2, copy/1, contiguous/1,
    reshape/2, transpose/1, transpose/2, permute/2, slice/3, slice/4,
    squeeze/1, squeeze/2, unsqueeze/2, broadcast_to/2, expand/2,
    shape/1, dtype/1, size/1, rank/1, strides/1, is_contiguous/1, nbytes/1,
    is_tensor/1, is_deallocated/1, shares_storage/2,
    deallocate/1, memory_stats/0, reset_peak_memory/0,
    dirty_threshold/0, dirty_list_threshold/0
]).

-export_type([tensor/0, dtype/0, shape/0, error_reason/0, result/1]).

-type tensor() :: reference().
%% A tensor handle (a NIF resource).
-type dtype() :: f32 | f64 | f16 | bf16.
-type shape() :: [non_neg_integer()].
-type element() :: number() | nan | infinity | neg_infinity.
%% Erlang floats cannot hold NaN or infinities; these atoms stand for them.
-type error_reason() ::
    {shape_mismatch, Expected :: shape(), Got :: shape()}
    | {invalid_shape, binary()}
    | {invalid_dtype, binary()}
    | {out_of_bounds, binary()}
    | {invalid_argument, binary()}
    | {non_finite, binary()}
    | deallocated
    | {internal, binary()}
    | {native_unavailable, binary()}.
-type result(T) :: {ok, T} | {error, error_reason()}.

%% Above this many elements a copying call goes to a dirty scheduler.
%% Measured on the reference machine (see README, "Scheduling"): a 64 Ki
%% element f32 copy or conversion takes well under 1 ms.
-define(DIRTY_ELEMS, 65536).
%% Lists cost ~20-50 ns per element to build or read, so they switch earlier.
-define(DIRTY_LIST_ELEMS, 8192).

%% @doc Element count above which copying calls run on a dirty scheduler.
-spec dirty_threshold() -> pos_integer().
dirty_threshold() -> ?DIRTY_ELEMS.

%% @doc Element count above which list conversions run on a dirty scheduler.
-spec dirty_list_threshold() -> pos_integer().
dirty_list_threshold() -> ?DIRTY_LIST_ELEMS.

%% ---------------------------------------------------------------------------
%% Creation

%% @doc An f32 tensor from a nested list (its nesting gives the shape) or a number
%% (a rank-0 tensor). `from_list([[1, 2], [3, 4]])' has shape `[2, 2]'.
%% Errors: `{invalid_shape, _}' for ragged lists.
-spec from_list(element() | [term()]) -> result(tensor()).
from_list(Nested) ->
    from_list(Nested, f32).

%% @doc `from_list(Nested, Dtype)': as {@link from_list/1} in `Dtype'.
%% `from_list(Flat, Shape)': a flat list of numbers laid out row-major in `Shape', f32.
%% Errors: `{invalid_shape, _}' for ragged lists or a count that does not fill
%% the shape; `{invalid_dtype, _}' for an unknown dtype.
-spec from_list(element() | [term()], dtype() | shape()) -> result(tensor()).
from_list(Nested, Dtype) when is_atom(Dtype) ->
    case nested_estimate(Nested) > ?DIRTY_LIST_ELEMS of
        true -> viva_tensor_nif:from_nested_list_dirty(Nested, Dtype);
        false -> viva_tensor_nif:from_nested_list(Nested, Dtype)
    end;
from_list(Flat, Shape) ->
    from_list(Flat, Shape, f32).

%% @doc A tensor of `Shape' and `Dtype' from a flat row-major list of numbers.
%% Errors: `{invalid_shape, _}' when the count does not fill the shape.
-spec from_list([element()], shape(), dtype()) -> result(tensor()).
from_list(Flat, Shape, Dtype) when is_list(Flat) ->
    case length(Flat) > ?DIRTY_LIST_ELEMS of
        true -> viva_tensor_nif:from_flat_list_dirty(Flat, Shape, Dtype);
        false -> viva_tensor_nif:from_flat_list(Flat, Shape, Dtype)
    end;
from_list(Flat, _Shape, _Dtype) ->
    erlang:error(badarg, [Flat]).

%% @doc A tensor over a copy of `Bin': row-major elements of `Dtype' in native
%% byte order (little-endian on x86-64 and arm64), as {@link to_binary/1} writes.
%% Errors: `{invalid_argument, _}' when `byte_size(Bin)' is not
%% `product(Shape) * bytes_per_element(Dtype)'.
-spec from_binary(binary(), dtype(), shape()) -> result(tensor()).
from_binary(Bin, Dtype, Shape) when is_binary(Bin) ->
    case byte_size(Bin) > ?DIRTY_ELEMS * 4 of
        true -> viva_tensor_nif:from_binary_dirty(Bin, Dtype, Shape);
        false -> viva_tensor_nif:from_binary(Bin, Dtype, Shape)
    end;
from_binary(Bin, _Dtype, _Shape) ->
    erlang:error(badarg, [Bin]).

%% @doc All zeros, f32. Errors: `{invalid_shape, _}' for a negative dimension.
-spec zeros(shape()) -> result(tensor()).
zeros(Shape) -> full(Shape, 0.0, f32).

%% @doc All zeros of `Dtype'.
-spec zeros(shape(), dtype()) -> result(tensor()).
zeros(Shape, Dtype) -> full(Shape, 0.0, Dtype).

%% @doc All ones, f32.
-spec ones(shape()) -> result(tensor()).
ones(Shape) -> full(Shape, 1.0, f32).

%% @doc All ones of `Dtype'.
-spec ones(shape(), dtype()) -> result(tensor()).
ones(Shape, Dtype) -> full(Shape, 1.0, Dtype).

%% @doc Every element `Value', f32.
-spec full(shape(), element()) -> result(tensor()).
full(Shape, Value) -> full(Shape, Value, f32).

%% @doc Every element `Value' (rounded to `Dtype').
-spec full(shape(), element(), dtype()) -> result(tensor()).
full(Shape, Value, Dtype) ->
    case shape_elems(Shape) > ?DIRTY_ELEMS of
        true -> viva_tensor_nif:full_dirty(Shape, Value, Dtype);
        false -> viva_tensor_nif:full(Shape, Value, Dtype)
    end.

%% @doc The `N'x`N' identity matrix, f32.
-spec eye(non_neg_integer()) -> result(tensor()).
eye(N) -> eye(N, N, f32).

%% @doc The `N'x`N' identity matrix of `Dtype'.
-spec eye(non_neg_integer(), dtype()) -> result(tensor()).
eye(N, Dtype) -> eye(N, N, Dtype).

%% @doc An `N'x`M' matrix with ones on the main diagonal.
%% Errors: `{invalid_argument, _}' for a negative size.
-spec eye(non_neg_integer(), non_neg_integer(), dtype()) -> result(tensor()).
eye(N, M, Dtype) ->
    case shape_elems([N, M]) > ?DIRTY_ELEMS of
        true -> viva_tensor_nif:eye_dirty(N, M, Dtype);
        false -> viva_tensor_nif:eye(N, M, Dtype)
    end.

%% @doc `[0, 1, ..., Stop-1]' as f32 (NumPy's `arange').
-spec arange(number()) -> result(tensor()).
arange(Stop) -> arange(0, Stop, 1, f32).

%% @doc `[Start, Start+1, ...]' below `Stop', f32.
-spec arange(number(), number()) -> result(tensor()).
arange(Start, Stop) -> arange(Start, Stop, 1, f32).

%% @doc `Start, Start+Step, ...' strictly before `Stop', f32.
-spec arange(number(), number(), number()) -> result(tensor()).
arange(Start, Stop, Step) -> arange(Start, Stop, Step, f32).

%% @doc `Start + i*Step' (computed in f64) strictly before `Stop', as `Dtype'.
%% Errors: `{invalid_argument, _}' for a zero step.
-spec arange(number(), number(), number(), dtype()) -> result(tensor()).
arange(Start, Stop, Step, Dtype) ->
    case is_number(Start) andalso is_number(Stop) andalso is_number(Step)
        andalso Step /= 0 andalso abs((Stop - Start) / Step) > ?DIRTY_ELEMS of
        true -> viva_tensor_nif:arange_dirty(Start, Stop, Step, Dtype);
        false -> viva_tensor_nif:arange(Start, Stop, Step, Dtype)
    end.

%% @doc `Num' evenly spaced values from `Start' to `Stop' inclusive, f32.
-spec linspace(number(), number(), non_neg_integer()) -> result(tensor()).
linspace(Start, Stop, Num) -> linspace(Start, Stop, Num, f32).

%% @doc `Num' evenly spaced values from `Start' to `Stop' inclusive, as `Dtype'.
%% Errors: `{invalid_argument, _}' for a negative `Num'.
-spec linspace(number(), number(), non_neg_integer(), dtype()) -> result(tensor()).
linspace(Start, Stop, Num, Dtype) ->
    case is_integer(Num) andalso Num > ?DIRTY_ELEMS of
        true -> viva_tensor_nif:linspace_dirty(Start, Stop, Num, Dtype);
        false -> viva_tensor_nif:linspace(Start, Stop, Num, Dtype)
    end.

%% @doc Uniform values in `[0, 1)', f32. The same `Seed' gives the same
%% tensor on every machine and every thread count.
-spec random_uniform(shape(), integer()) -> result(tensor()).
random_uniform(Shape, Seed) -> random_uniform(Shape, Seed, #{}).

%% @doc Uniform values in `[low, high)' (options `low' = 0.0, `high' = 1.0,
%% `dtype' = f32). Errors: `{invalid_argument, _}' when `high < low'.
-spec random_uniform(shape(), integer(), #{low => number(), high => number(), dtype => dtype()}) ->
    result(tensor()).
random_uniform(Shape, Seed, Opts) when is_map(Opts) ->
    Low = maps:get(low, Opts, 0.0),
    High = maps:get(high, Opts, 1.0),
    Dtype = maps:get(dtype, Opts, f32),
    case shape_elems(Shape) > ?DIRTY_ELEMS of
        true -> viva_tensor_nif:random_uniform_dirty(Shape, Seed, Low, High, Dtype);
        false -> viva_tensor_nif:random_uniform(Shape, Seed, Low, High, Dtype)
    end.

%% @doc Standard normal values, f32, reproducible from `Seed'.
-spec random_normal(shape(), integer()) -> result(tensor()).
random_normal(Shape, Seed) -> random_normal(Shape, Seed, #{}).

%% @doc Normal values (options `mean' = 0.0, `std' = 1.0, `dtype' = f32).
%% Errors: `{invalid_argument, _}' for a negative `std'.
-spec random_normal(shape(), integer(), #{mean => number(), std => number(), dtype => dtype()}) ->
    result(tensor()).
random_normal(Shape, Seed, Opts) when is_map(Opts) ->
    Mean = maps:get(mean, Opts, 0.0),
    Std = maps:get(std, Opts, 1.0),
    Dtype = maps:get(dtype, Opts, f32),
    case shape_elems(Shape) > ?DIRTY_ELEMS of
        true -> viva_tensor_nif:random_normal_dirty(Shape, Seed, Mean, Std, Dtype);
        false -> viva_tensor_nif:random_normal(Shape, Seed, Mean, Std, Dtype)
    end.

%% ---------------------------------------------------------------------------
%% Reading out and converting

%% @doc The elements as a row-major binary (native byte order). A contiguous
%% tensor of 4 KiB or more is exported without a copy: the binary points into
%% the tensor's storage and keeps it alive.
-spec to_binary(tensor()) -> result(binary()).
to_binary(T) ->
    case copies(T) of
        true -> viva_tensor_nif:to_binary_dirty(T);
        false -> viva_tensor_nif:to_binary(T)
    end.

%% @doc The elements as a flat row-major list of floats; NaN and infinities
%% come back as the atoms `nan', `infinity', `neg_infinity'.
-spec to_list(tensor()) -> result([element()]).
to_list(T) ->
    case viva_tensor_nif:size(T) > ?DIRTY_LIST_ELEMS of
        true -> viva_tensor_nif:to_list_dirty(T, false);
        false -> viva_tensor_nif:to_list(T, false)
    end.

%% @doc As {@link to_list/1}, but a NaN or infinite element gives
%% `{error, {non_finite, _}}' instead of an atom, so the result is all floats.
-spec to_float_list(tensor()) -> result([float()]).
to_float_list(T) ->
    case viva_tensor_nif:size(T) > ?DIRTY_LIST_ELEMS of
        true -> viva_tensor_nif:to_list_dirty(T, true);
        false -> viva_tensor_nif:to_list(T, true)
    end.

%% @doc The elements as nested lists following the shape (a rank-0 tensor
%% gives a bare number).
-spec to_nested_list(tensor()) -> result(element() | [term()]).
to_nested_list(T) ->
    case viva_tensor_nif:size(T) > ?DIRTY_LIST_ELEMS of
        true -> viva_tensor_nif:to_nested_list_dirty(T);
        false -> viva_tensor_nif:to_nested_list(T)
    end.

%% @doc The same values in `Dtype' (nearest-even rounding; overflow gives
%% infinity). Converting to the tensor's own dtype returns a view, no copy.
-spec as_type(tensor(), dtype()) -> result(tensor()).
as_type(T, Dtype) ->
    case big(T) of
        true -> viva_tensor_nif:as_type_dirty(T, Dtype);
        false -> viva_tensor_nif:as_type(T, Dtype)
    end.

%% @doc A contiguous copy in new storage.
-spec copy(tensor()) -> result(tensor()).
copy(T) ->
    case big(T) of
        true -> viva_tensor_nif:copy_dirty(T);
        false -> viva_tensor_nif:copy(T)
    end.

%% @doc `T' itself when contiguous, else a contiguous copy.
-spec contiguous(tensor()) -> result(tensor()).
contiguous(T) ->
    case copies(T) of
        true -> viva_tensor_nif:contiguous_dirty(T);
        false -> viva_tensor_nif:contiguous(T)
    end.

%% ---------------------------------------------------------------------------
%% Views

%% @doc The same elements in `Shape'; one dimension may be `-1' (inferred).
%% Shares storage when `T' is contiguous, copies otherwise.
%% Errors: `{invalid_shape, _}' when the element counts differ.
-spec reshape(tensor(), [integer()]) -> result(tensor()).
reshape(T, Shape) ->
    case copies(T) of
        true -> viva_tensor_nif:reshape_dirty(T, Shape);
        false -> viva_tensor_nif:reshape(T, Shape)
    end.

%% @doc Reverses the axes (the matrix transpose for rank 2). A view.
-spec transpose(tensor()) -> result(tensor()).
transpose(T) -> viva_tensor_nif:transpose(T).

%% @doc Same as {@link permute/2}.
-spec transpose(tensor(), [integer()]) -> result(tensor()).
transpose(T, Axes) -> permute(T, Axes).

%% @doc Reorders axes: result axis `i' is input axis `lists:nth(i+1, Axes)'. A view.
%% Errors: `{invalid_argument, _}' unless `Axes' is a permutation of the axes.
-spec permute(tensor(), [integer()]) -> result(tensor()).
permute(T, Axes) -> viva_tensor_nif:permute(T, Axes).

%% @doc `slice(T, Starts, Stops)' with step 1 on every axis.
-spec slice(tensor(), [integer()], [integer()]) -> result(tensor()).
slice(T, Starts, Stops) when is_list(Starts) ->
    slice(T, Starts, Stops, [1 || _ <- Starts]);
slice(_T, Starts, _Stops) ->
    erlang:error(badarg, [Starts]).

%% @doc Elements `Start, Start+Step, ...' below `Stop' on each leading axis
%% (axes beyond the lists are kept whole; negative bounds count from the end).
%% A view. Errors: `{out_of_bounds, _}' for a bound outside the axis;
%% `{invalid_argument, _}' for a step below 1, a stop before its start, or
%% lists of different lengths.
-spec slice(tensor(), [integer()], [integer()], [pos_integer()]) -> result(tensor()).
slice(T, Starts, Stops, Steps) -> viva_tensor_nif:slice(T, Starts, Stops, Steps).

%% @doc Removes every size-1 axis. A view.
-spec squeeze(tensor()) -> result(tensor()).
squeeze(T) -> viva_tensor_nif:squeeze(T, []).

%% @doc Removes the named size-1 axes. Errors: `{invalid_shape, _}' when one
%% is not of size 1; `{out_of_bounds, _}' for an axis outside the rank.
-spec squeeze(tensor(), [integer()]) -> result(tensor()).
squeeze(T, Axes) -> viva_tensor_nif:squeeze(T, Axes).

%% @doc Inserts a size-1 axis at `Axis' (`-1' appends). A view.
-spec unsqueeze(tensor(), integer()) -> result(tensor()).
unsqueeze(T, Axis) -> viva_tensor_nif:unsqueeze(T, Axis).

%% @doc Repeats size-1 and missing leading axes to `Shape' (NumPy rules),
%% with stride 0: nothing is copied.
%% Errors: `{shape_mismatch, Shape, shape(T)}' when incompatible.
-spec broadcast_to(tensor(), shape()) -> result(tensor()).
broadcast_to(T, Shape) -> viva_tensor_nif:broadcast_to(T, Shape).

%% @doc PyTorch's `expand': {@link broadcast_to/2} where `-1' keeps a size.
-spec expand(tensor(), [integer()]) -> result(tensor()).
expand(T, Shape) -> viva_tensor_nif:expand(T, Shape).

%% ---------------------------------------------------------------------------
%% Metadata (normal schedulers; they work on deallocated tensors too)

%% @doc Dimensions.
-spec shape(tensor()) -> shape().
shape(T) -> viva_tensor_nif:shape(T).

%% @doc Element type.
-spec dtype(tensor()) -> dtype().
dtype(T) -> viva_tensor_nif:dtype(T).

%% @doc Number of elements.
-spec size(tensor()) -> non_neg_integer().
size(T) -> viva_tensor_nif:size(T).

%% @doc Number of dimensions.
-spec rank(tensor()) -> non_neg_integer().
rank(T) -> viva_tensor_nif:rank(T).

%% @doc Element strides per axis (0 on broadcast axes).
-spec strides(tensor()) -> [integer()].
strides(T) -> viva_tensor_nif:strides(T).

%% @doc True when the view is a gap-free row-major range of its storage.
-spec is_contiguous(tensor()) -> boolean().
is_contiguous(T) -> viva_tensor_nif:is_contiguous(T).

%% @doc `size(T) * bytes per element' (the bytes the view shows, shared or not).
-spec nbytes(tensor()) -> non_neg_integer().
nbytes(T) -> viva_tensor_nif:nbytes(T).

%% @doc True for a tensor handle, false for any other term.
-spec is_tensor(term()) -> boolean().
is_tensor(T) -> viva_tensor_nif:is_tensor(T).

%% @doc True once {@link deallocate/1} was called on this handle.
-spec is_deallocated(tensor()) -> boolean().
is_deallocated(T) -> viva_tensor_nif:is_deallocated(T).

%% @doc `{ok, true}' when both view the same storage.
-spec shares_storage(tensor(), tensor()) -> result(boolean()).
shares_storage(A, B) -> viva_tensor_nif:shares_storage(A, B).

%% ---------------------------------------------------------------------------
%% Memory

%% @doc Releases this handle's storage now instead of at garbage collection.
%% The bytes return to the system once no other view (or binary from
%% {@link to_binary/1}) uses them. Later data calls on `T' give
%% `{error, deallocated}'; metadata calls still work. Idempotent.
-spec deallocate(tensor()) -> ok.
deallocate(T) -> viva_tensor_nif:deallocate(T).

%% @doc The process-wide account: `tensors' (live handles), `buffers'
%% (storages; views share one), `bytes' held, `peak_bytes' since start or
%% {@link reset_peak_memory/0}, `total_allocations'.
-spec memory_stats() -> #{tensors := non_neg_integer(), buffers := non_neg_integer(),
                          bytes := non_neg_integer(), peak_bytes := non_neg_integer(),
                          total_allocations := non_neg_integer()}.
memory_stats() -> viva_tensor_nif:memory_stats().

%% @doc Sets `peak_bytes' to the current `bytes'.
-spec reset_peak_memory() -> ok.
reset_peak_memory() -> viva_tensor_nif:reset_peak_memory().

%% ---------------------------------------------------------------------------
%% Dispatch helpers

big(T) -> viva_tensor_nif:size(T) > ?DIRTY_ELEMS.

%% True when the call will copy a large tensor (a non-contiguous view).
copies(T) -> big(T) andalso not viva_tensor_nif:is_contiguous(T).

shape_elems(Shape) when is_list(Shape) ->
    lists:foldl(fun(D, Acc) when is_integer(D), D > 0 -> D * Acc; (_, Acc) -> Acc end, 1, Shape);
shape_elems(_) ->
    0.

%% Elements of a nested list, estimated along its first elements (O(depth)).
nested_estimate([H | _] = L) -> length(L) * max(1, nested_estimate(H));
nested_estimate(_) -> 1.
