%% @doc Loader and raw entry points of the Rust NIF library.
%%
%% Users call {@link vtensor}; this module only loads
%% `priv/viva_tensor_nif.so' and declares the NIF stubs. When the library
%% is missing, stale, or built for another version, the module still loads
%% and every stub answers `{error, {native_unavailable, Msg}}' (or raises
%% it, for calls that cannot return an error), where `Msg' says what to run.
%% `load_status/0' tells the same thing up front. Setting the environment
%% variable `VIVA_TENSOR_NATIVE=off' skips loading on purpose (to test the
%% pure-BEAM paths); the message then says so.
-module(viva_tensor_nif).

-on_load(init/0).

-export([load_status/0, library_path/0]).
%% NIFs (each data-touching one has a `_dirty' twin for big inputs)
-export([
    from_nested_list/2, from_nested_list_dirty/2,
    from_flat_list/3, from_flat_list_dirty/3,
    from_binary/3, from_binary_dirty/3,
    full/3, full_dirty/3,
    eye/3, eye_dirty/3,
    arange/4, arange_dirty/4,
    linspace/4, linspace_dirty/4,
    random_uniform/5, random_uniform_dirty/5,
    random_normal/5, random_normal_dirty/5,
    to_binary/1, to_binary_dirty/1,
    to_list/2, to_list_dirty/2,
    to_nested_list/1, to_nested_list_dirty/1,
    as_type/2, as_type_dirty/2,
    copy/1, copy_dirty/1,
    contiguous/1, contiguous_dirty/1,
    reshape/2, reshape_dirty/2,
    transpose/1, permute/2, slice/4, squeeze/2, unsqueeze/2,
    broadcast_to/2, expand/2,
    shape/1, dtype/1, size/1, rank/1, strides/1, is_contiguous/1, nbytes/1,
    is_tensor/1, is_deallocated/1, shares_storage/2, deallocate/1,
    memory_stats/0, reset_peak_memory/0, build_info/0, test_panic/1,
    %% tensor math (src/vops.erl)
    binary_op/3, binary_op_dirty/3,
    scalar_op/3, scalar_op_dirty/3,
    where_/3, where_dirty/3,
    unary_op/2, unary_op_dirty/2,
    clip/3, clip_dirty/3,
    reduce/4, reduce_dirty/4,
    moment/5, moment_dirty/5,
    norm/4, norm_dirty/4,
    arg_reduce/4, arg_reduce_dirty/4,
    softmax/3, softmax_dirty/3,
    linalg_op/3, linalg_op_dirty/3,
    join/3, join_dirty/3,
    index_select/3, index_select_dirty/3,
    take/2, take_dirty/2,
    pad/3, pad_dirty/3,
    top_k/3, top_k_dirty/3,
    similarity_search/4, similarity_search_dirty/4,
    split/3,
    %% holographic reduced representations (src/vhrr.erl)
    hrr_op/3, hrr_op_dirty/3,
    hrr_random_unitary/3, hrr_random_unitary_dirty/3,
    %% quantized tensors (src/vquant.erl)
    quantize/2, quantize_dirty/2,
    dequantize/1, dequantize_dirty/1,
    q_to_binary/1, q_to_binary_dirty/1,
    q_from_binary/1, q_from_binary_dirty/1,
    quant_metrics/2, quant_metrics_dirty/2,
    q_format/1, q_shape/1, q_size/1, q_nbytes/1, q_compression_ratio/1, is_quantized/1,
    memcpy_us/1,
    %% linear layers on quantized weights (src/vquant.erl)
    qmatmul/2, qmatmul_dirty/2,
    qmatmul_int8/3, qmatmul_int8_dirty/3,
    qmatmul_q8/2, qmatmul_q8_dirty/2
]).

-define(LIB, "viva_tensor_nif").
-define(STATUS_KEY, {?MODULE, load_status}).

%% ---------------------------------------------------------------------------
%% Loading

-spec init() -> ok.
init() ->
    Status =
        case {os:getenv("VIVA_TENSOR_NATIVE"), library_path()} of
            {"off", _} -> {error, <<"native library disabled (VIVA_TENSOR_NATIVE=off)">>};
            {_, {ok, Path}} -> load(Path);
            {_, {error, _} = Missing} -> Missing
        end,
    persistent_term:put(?STATUS_KEY, Status),
    case Status of
        ok -> ok;
        {error, Msg} -> logger:warning("viva_tensor: ~ts", [Msg])
    end,
    ok.

%% @doc `ok' when the native library is loaded and current, else
%% `{error, Message}' saying what is wrong and what to run.
-spec load_status() -> ok | {error, binary()}.
load_status() ->
    persistent_term:get(?STATUS_KEY, {error, <<"viva_tensor_nif was not initialised">>}).

%% @doc Where the library is looked for: `priv/viva_tensor_nif.so' of the
%% `viva_tensor' application (falling back to `../priv' beside this module's
%% beam file when the application is not on the code path as such).
-spec library_path() -> {ok, file:filename()} | {error, binary()}.
library_path() ->
    Priv = priv_dir(),
    Base = filename:join(Priv, ?LIB),
    case filelib:is_regular(Base ++ ".so") of
        true ->
            {ok, Base};
        false ->
            {error, iolist_to_binary(io_lib:format(
                "native library ~ts.so not found. Build it with `make nif` "
                "(or `rebar3 compile`) in the viva_tensor checkout; it needs cargo.",
                [Base]))}
    end.

priv_dir() ->
    case code:priv_dir(viva_tensor) of
        {error, bad_name} ->
            Beam = code:which(?MODULE),
            filename:join(filename:dirname(filename:dirname(Beam)), "priv");
        Dir ->
            Dir
    end.

load(Path) ->
    case stale_sources(Path ++ ".so") of
        [] -> load_nif(Path);
        Newer -> {error, stale_message(Path, Newer)}
    end.

load_nif(Path) ->
    Expected = app_vsn(),
    LoadInfo = case Expected of
        {ok, Vsn} -> Vsn;
        unknown -> undefined
    end,
    %% The library's own load callback compares LoadInfo with its version
    %% and refuses to load on a mismatch, so the stubs stay in place.
    case erlang:load_nif(Path, LoadInfo) of
        ok ->
            ok;
        {error, {load, _}} when is_binary(LoadInfo) ->
            {error, iolist_to_binary(io_lib:format(
                "native library ~ts.so was built for another version than viva_tensor ~ts. "
                "Rebuild it with `make nif`.", [Path, LoadInfo]))};
        {error, {Reason, Text}} ->
            {error, iolist_to_binary(io_lib:format(
                "could not load ~ts.so (~p: ~ts). Rebuild it with `make nif`.",
                [Path, Reason, Text]))}
    end.

%% The version in ebin/viva_tensor.app, read from the file: asking the
%% application controller from inside on_load could wait on the code server.
app_vsn() ->
    case code:lib_dir(viva_tensor) of
        {error, _} ->
            unknown;
        Dir ->
            case file:consult(filename:join([Dir, "ebin", "viva_tensor.app"])) of
                {ok, [{application, viva_tensor, Props}]} ->
                    {ok, list_to_binary(proplists:get_value(vsn, Props, ""))};
                _ ->
                    unknown
            end
    end.

%% In a source checkout (priv/ beside native/), Rust sources newer than the
%% library mean it was not rebuilt after a change: refuse it rather than run
%% stale code. Installed packages have no native/ beside priv/ and skip this.
%% Set VIVA_TENSOR_SKIP_STALE_CHECK=1 to load anyway.
stale_sources(Lib) ->
    Native = filename:join([filename:dirname(Lib), "..", "native"]),
    case {os:getenv("VIVA_TENSOR_SKIP_STALE_CHECK"), filelib:is_dir(Native)} of
        {"1", _} ->
            [];
        {_, false} ->
            [];
        {_, true} ->
            LibTime = filelib:last_modified(Lib),
            Sources = filelib:wildcard(filename:join(Native, "**/*.rs"))
                ++ filelib:wildcard(filename:join(Native, "*/Cargo.toml")),
            [S || S <- Sources, filelib:last_modified(S) > LibTime]
    end.

stale_message(Path, [First | _] = Newer) ->
    iolist_to_binary(io_lib:format(
        "native library ~ts.so is older than ~b Rust source file(s) (e.g. ~ts). "
        "Rebuild it with `make nif` (or `rebar3 compile`).",
        [Path, length(Newer), First])).

unavailable() ->
    {error, Msg} = load_status(),
    {error, {native_unavailable, Msg}}.

unavailable_raise() ->
    erlang:nif_error(unavailable()).

%% ---------------------------------------------------------------------------
%% Stubs, replaced by the NIF library when it loads.

-spec from_nested_list(term(), atom()) -> term().
from_nested_list(_, _) -> unavailable().
-spec from_nested_list_dirty(term(), atom()) -> term().
from_nested_list_dirty(_, _) -> unavailable().
-spec from_flat_list(list(), list(), atom()) -> term().
from_flat_list(_, _, _) -> unavailable().
-spec from_flat_list_dirty(list(), list(), atom()) -> term().
from_flat_list_dirty(_, _, _) -> unavailable().
-spec from_binary(binary(), atom(), list()) -> term().
from_binary(_, _, _) -> unavailable().
-spec from_binary_dirty(binary(), atom(), list()) -> term().
from_binary_dirty(_, _, _) -> unavailable().
-spec full(list(), number() | atom(), atom()) -> term().
full(_, _, _) -> unavailable().
-spec full_dirty(list(), number() | atom(), atom()) -> term().
full_dirty(_, _, _) -> unavailable().
-spec eye(integer(), integer(), atom()) -> term().
eye(_, _, _) -> unavailable().
-spec eye_dirty(integer(), integer(), atom()) -> term().
eye_dirty(_, _, _) -> unavailable().
-spec arange(number(), number(), number(), atom()) -> term().
arange(_, _, _, _) -> unavailable().
-spec arange_dirty(number(), number(), number(), atom()) -> term().
arange_dirty(_, _, _, _) -> unavailable().
-spec linspace(number(), number(), integer(), atom()) -> term().
linspace(_, _, _, _) -> unavailable().
-spec linspace_dirty(number(), number(), integer(), atom()) -> term().
linspace_dirty(_, _, _, _) -> unavailable().
-spec random_uniform(list(), integer(), number(), number(), atom()) -> term().
random_uniform(_, _, _, _, _) -> unavailable().
-spec random_uniform_dirty(list(), integer(), number(), number(), atom()) -> term().
random_uniform_dirty(_, _, _, _, _) -> unavailable().
-spec random_normal(list(), integer(), number(), number(), atom()) -> term().
random_normal(_, _, _, _, _) -> unavailable().
-spec random_normal_dirty(list(), integer(), number(), number(), atom()) -> term().
random_normal_dirty(_, _, _, _, _) -> unavailable().
-spec to_binary(reference()) -> term().
to_binary(_) -> unavailable().
-spec to_binary_dirty(reference()) -> term().
to_binary_dirty(_) -> unavailable().
-spec to_list(reference(), boolean()) -> term().
to_list(_, _) -> unavailable().
-spec to_list_dirty(reference(), boolean()) -> term().
to_list_dirty(_, _) -> unavailable().
-spec to_nested_list(reference()) -> term().
to_nested_list(_) -> unavailable().
-spec to_nested_list_dirty(reference()) -> term().
to_nested_list_dirty(_) -> unavailable().
-spec as_type(reference(), atom()) -> term().
as_type(_, _) -> unavailable().
-spec as_type_dirty(reference(), atom()) -> term().
as_type_dirty(_, _) -> unavailable().
-spec copy(reference()) -> term().
copy(_) -> unavailable().
-spec copy_dirty(reference()) -> term().
copy_dirty(_) -> unavailable().
-spec contiguous(reference()) -> term().
contiguous(_) -> unavailable().
-spec contiguous_dirty(reference()) -> term().
contiguous_dirty(_) -> unavailable().
-spec reshape(reference(), list()) -> term().
reshape(_, _) -> unavailable().
-spec reshape_dirty(reference(), list()) -> term().
reshape_dirty(_, _) -> unavailable().
-spec transpose(reference()) -> term().
transpose(_) -> unavailable().
-spec permute(reference(), list()) -> term().
permute(_, _) -> unavailable().
-spec slice(reference(), list(), list(), list()) -> term().
slice(_, _, _, _) -> unavailable().
-spec squeeze(reference(), list()) -> term().
squeeze(_, _) -> unavailable().
-spec unsqueeze(reference(), integer()) -> term().
unsqueeze(_, _) -> unavailable().
-spec broadcast_to(reference(), list()) -> term().
broadcast_to(_, _) -> unavailable().
-spec expand(reference(), list()) -> term().
expand(_, _) -> unavailable().
-spec shares_storage(reference(), reference()) -> term().
shares_storage(_, _) -> unavailable().
-spec test_panic(binary()) -> term().
test_panic(_) -> unavailable().
-spec binary_op(term(), term(), term()) -> term().
binary_op(_, _, _) -> unavailable().
-spec binary_op_dirty(term(), term(), term()) -> term().
binary_op_dirty(_, _, _) -> unavailable().
-spec scalar_op(term(), term(), term()) -> term().
scalar_op(_, _, _) -> unavailable().
-spec scalar_op_dirty(term(), term(), term()) -> term().
scalar_op_dirty(_, _, _) -> unavailable().
-spec where_(term(), term(), term()) -> term().
where_(_, _, _) -> unavailable().
-spec where_dirty(term(), term(), term()) -> term().
where_dirty(_, _, _) -> unavailable().
-spec unary_op(term(), term()) -> term().
unary_op(_, _) -> unavailable().
-spec unary_op_dirty(term(), term()) -> term().
unary_op_dirty(_, _) -> unavailable().
-spec clip(term(), term(), term()) -> term().
clip(_, _, _) -> unavailable().
-spec clip_dirty(term(), term(), term()) -> term().
clip_dirty(_, _, _) -> unavailable().
-spec reduce(term(), term(), term(), term()) -> term().
reduce(_, _, _, _) -> unavailable().
-spec reduce_dirty(term(), term(), term(), term()) -> term().
reduce_dirty(_, _, _, _) -> unavailable().
-spec moment(term(), term(), term(), term(), term()) -> term().
moment(_, _, _, _, _) -> unavailable().
-spec moment_dirty(term(), term(), term(), term(), term()) -> term().
moment_dirty(_, _, _, _, _) -> unavailable().
-spec norm(term(), term(), term(), term()) -> term().
norm(_, _, _, _) -> unavailable().
-spec norm_dirty(term(), term(), term(), term()) -> term().
norm_dirty(_, _, _, _) -> unavailable().
-spec arg_reduce(term(), term(), term(), term()) -> term().
arg_reduce(_, _, _, _) -> unavailable().
-spec arg_reduce_dirty(term(), term(), term(), term()) -> term().
arg_reduce_dirty(_, _, _, _) -> unavailable().
-spec softmax(term(), term(), term()) -> term().
softmax(_, _, _) -> unavailable().
-spec softmax_dirty(term(), term(), term()) -> term().
softmax_dirty(_, _, _) -> unavailable().
-spec linalg_op(term(), term(), term()) -> term().
linalg_op(_, _, _) -> unavailable().
-spec linalg_op_dirty(term(), term(), term()) -> term().
linalg_op_dirty(_, _, _) -> unavailable().
-spec join(term(), term(), term()) -> term().
join(_, _, _) -> unavailable().
-spec join_dirty(term(), term(), term()) -> term().
join_dirty(_, _, _) -> unavailable().
-spec index_select(term(), term(), term()) -> term().
index_select(_, _, _) -> unavailable().
-spec index_select_dirty(term(), term(), term()) -> term().
index_select_dirty(_, _, _) -> unavailable().
-spec take(term(), term()) -> term().
take(_, _) -> unavailable().
-spec take_dirty(term(), term()) -> term().
take_dirty(_, _) -> unavailable().
-spec pad(term(), term(), term()) -> term().
pad(_, _, _) -> unavailable().
-spec pad_dirty(term(), term(), term()) -> term().
pad_dirty(_, _, _) -> unavailable().
-spec top_k(term(), term(), term()) -> term().
top_k(_, _, _) -> unavailable().
-spec top_k_dirty(term(), term(), term()) -> term().
top_k_dirty(_, _, _) -> unavailable().
-spec similarity_search(term(), term(), term(), term()) -> term().
similarity_search(_, _, _, _) -> unavailable().
-spec similarity_search_dirty(term(), term(), term(), term()) -> term().
similarity_search_dirty(_, _, _, _) -> unavailable().
-spec split(term(), term(), term()) -> term().
split(_, _, _) -> unavailable().
-spec hrr_op(term(), term(), term()) -> term().
hrr_op(_, _, _) -> unavailable().
-spec hrr_op_dirty(term(), term(), term()) -> term().
hrr_op_dirty(_, _, _) -> unavailable().
-spec hrr_random_unitary(term(), term(), term()) -> term().
hrr_random_unitary(_, _, _) -> unavailable().
-spec hrr_random_unitary_dirty(term(), term(), term()) -> term().
hrr_random_unitary_dirty(_, _, _) -> unavailable().
-spec quantize(reference(), term()) -> term().
quantize(_, _) -> unavailable().
-spec quantize_dirty(reference(), term()) -> term().
quantize_dirty(_, _) -> unavailable().
-spec dequantize(reference()) -> term().
dequantize(_) -> unavailable().
-spec dequantize_dirty(reference()) -> term().
dequantize_dirty(_) -> unavailable().
-spec q_to_binary(reference()) -> term().
q_to_binary(_) -> unavailable().
-spec q_to_binary_dirty(reference()) -> term().
q_to_binary_dirty(_) -> unavailable().
-spec q_from_binary(binary()) -> term().
q_from_binary(_) -> unavailable().
-spec q_from_binary_dirty(binary()) -> term().
q_from_binary_dirty(_) -> unavailable().
-spec memcpy_us(reference()) -> term().
memcpy_us(_) -> unavailable().
-spec quant_metrics(reference(), reference()) -> term().
quant_metrics(_, _) -> unavailable().
-spec quant_metrics_dirty(reference(), reference()) -> term().
quant_metrics_dirty(_, _) -> unavailable().
-spec qmatmul(reference(), reference()) -> term().
qmatmul(_, _) -> unavailable().
-spec qmatmul_dirty(reference(), reference()) -> term().
qmatmul_dirty(_, _) -> unavailable().
-spec qmatmul_int8(reference(), reference(), term()) -> term().
qmatmul_int8(_, _, _) -> unavailable().
-spec qmatmul_int8_dirty(reference(), reference(), term()) -> term().
qmatmul_int8_dirty(_, _, _) -> unavailable().
-spec qmatmul_q8(reference(), reference()) -> term().
qmatmul_q8(_, _) -> unavailable().
-spec qmatmul_q8_dirty(reference(), reference()) -> term().
qmatmul_q8_dirty(_, _) -> unavailable().

-spec shape(reference()) -> [non_neg_integer()].
shape(_) -> unavailable_raise().
-spec dtype(reference()) -> atom().
dtype(_) -> unavailable_raise().
-spec size(reference()) -> non_neg_integer().
size(_) -> unavailable_raise().
-spec rank(reference()) -> non_neg_integer().
rank(_) -> unavailable_raise().
-spec strides(reference()) -> [integer()].
strides(_) -> unavailable_raise().
-spec is_contiguous(reference()) -> boolean().
is_contiguous(_) -> unavailable_raise().
-spec nbytes(reference()) -> non_neg_integer().
nbytes(_) -> unavailable_raise().
-spec is_tensor(term()) -> boolean().
is_tensor(_) -> false.
-spec is_deallocated(reference()) -> boolean().
is_deallocated(_) -> unavailable_raise().
-spec deallocate(reference()) -> ok.
deallocate(_) -> unavailable_raise().
-spec memory_stats() -> map().
memory_stats() -> unavailable_raise().
-spec reset_peak_memory() -> ok.
reset_peak_memory() -> unavailable_raise().
-spec build_info() -> #{version := binary(), profile := binary()}.
build_info() -> unavailable_raise().
-spec q_format(reference()) -> term().
q_format(_) -> unavailable_raise().
-spec q_shape(reference()) -> [non_neg_integer()].
q_shape(_) -> unavailable_raise().
-spec q_size(reference()) -> non_neg_integer().
q_size(_) -> unavailable_raise().
-spec q_nbytes(reference()) -> non_neg_integer().
q_nbytes(_) -> unavailable_raise().
-spec q_compression_ratio(reference()) -> float().
q_compression_ratio(_) -> unavailable_raise().
-spec is_quantized(term()) -> boolean().
is_quantized(_) -> false.
