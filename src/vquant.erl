%% @doc Quantized tensors for Erlang and Elixir.
%%
%% {@link quantize/2} packs a tensor (converted to f32 first) into one of the
%% formats below; the result is an immutable handle of its own (not a
%% `vtensor:tensor()'). {@link dequantize/1} gives an f32 tensor of the
%% same shape back, {@link to_binary/1} / {@link from_binary/1} the
%% validated, versioned serialized form (`VTQ1', little-endian, documented in
%% `native/viva_tensor_core/src/quant/mod.rs'), and {@link metrics/2} the
%% error between two tensors of one shape.
%%
%% Formats (bytes per 32 values, scales included):
%% <ul>
%% <li>`q8_0' (34), `q4_0' (18), `q4_1' (20), `q5_0' (22): ggml blocks of 32, bit-exact with gguf-py;</li>
%% <li>`mxfp4' (17): OCP MXFP4 in ggml's layout;</li>
%% <li>`nvfp4' (18, + 4 per tensor): NVFP4 as compressed-tensors packs it (blocks of 16);</li>
%% <li>`nf4' = `{nf4, 64}' (18): bitsandbytes NF4; `{nf4, Block}' any even block;</li>
%% <li>`nf4_dq' = `{nf4_dq, 64, 256}' (16.5, + small second level): NF4 with double-quantized absmaxes;</li>
%% <li>`{int8, per_tensor}', `{int8, {per_channel, Axis}}' (a negative axis counts
%%     from the end), `{int8, {per_block, Block}}' (32 + 4 per scale): symmetric absmax int8;</li>
%% <li>`fp8_e4m3fn', `fp8_e5m2' (32, + 4 per tensor): OCP FP8 (E4M3FN: max 448, no
%%     infinities; E5M2: max 57344) with one f32 scale per tensor, `Scale = absmax / Max'
%%     (1 for an all-zero tensor), `code = fp8(X / Scale)' rounded to nearest even and
%%     saturating to the largest finite value, as torch and vLLM's per-tensor FP8;</li>
%% <li>`f16', `bf16' (64): 16-bit float storage (nearest even; beyond the range
%%     saturates to the largest finite value).</li>
%% </ul>
%%
%% Errors are values as in {@link vtensor}: an unknown format term gives
%% `{error, {invalid_argument, Msg}}', NaN or infinity in the input
%% `{error, {non_finite, Msg}}', a corrupted binary an error (never a crash).
%% The packed bytes ({@link nbytes/1}) are in {@link vtensor:memory_stats/0}
%% while the handle lives; they are released by garbage collection.
%%
%% Scheduling: data calls on more than {@link vtensor:dirty_threshold/0}
%% elements run on a dirty CPU scheduler; metadata calls stay on the caller's.
%%
%% Linear layers on quantized weights: {@link qmatmul/2} (`X @ dequant(Q)ᵀ',
%% any format, fused, exact f32 arithmetic), {@link qmatmul_int8/3} (int8 ×
%% int8 → int32 with f32 outlier columns), {@link qmatmul_q8/2} (q4_0, q8_0
%% or mxfp4 weights against int8 activation blocks, as llama.cpp computes
%% them) and their f32 reference {@link f32_linear/2}.
%%
%% Elixir: `{:ok, q} = :vquant.quantize(t, :q4_0)',
%% `{:ok, y} = :vquant.qmatmul(x, q)'.
-module(vquant).

-export([
    quantize/2, dequantize/1, to_binary/1, from_binary/1,
    format/1, shape/1, size/1, nbytes/1, compression_ratio/1, is_quantized/1,
    metrics/2,
    qmatmul/2, qmatmul_int8/3, qmatmul_q8/2, f32_linear/2, linear_dirty_threshold/0,
    memcpy_us/1
]).

-export_type([quantized/0, format/0, metrics/0]).

-type quantized() :: reference().
%% A quantized tensor handle (a NIF resource).
-type format() ::
    q8_0 | q4_0 | q4_1 | q5_0 | mxfp4 | nvfp4 | nf4 | nf4_dq
    | fp8_e4m3fn | fp8_e5m2 | f16 | bf16
    | {nf4, Block :: pos_integer()}
    | {nf4_dq, Block :: pos_integer(), Block2 :: pos_integer()}
    | {int8, per_tensor | {per_channel, Axis :: integer()} | {per_block, Block :: pos_integer()}}.
-type metrics() :: #{mse := float(), rmse := float(), max_abs := float(),
                     mean_abs := float(), sqnr_db := float() | infinity | neg_infinity,
                     cosine := float()}.

%% @doc Quantizes `T' (any dtype; converted to f32 first) to `Format'.
%% A partial last block is padded with zeros; {@link dequantize/1} returns
%% exactly `vtensor:size(T)' values.
%% Errors: `{invalid_argument, _}' for an unknown format or a bad block size,
%% `{out_of_bounds, _}' for an int8 channel axis outside the rank,
%% `{non_finite, _}' for NaN or infinity in `T', `deallocated'.
-spec quantize(vtensor:tensor(), format()) -> vtensor:result(quantized()).
quantize(T, Format) ->
    case vtensor:size(T) > vtensor:dirty_threshold() of
        true -> viva_tensor_nif:quantize_dirty(T, Format);
        false -> viva_tensor_nif:quantize(T, Format)
    end.

%% @doc The values back, as a new f32 tensor of the quantized tensor's shape.
-spec dequantize(quantized()) -> vtensor:result(vtensor:tensor()).
dequantize(Q) ->
    case big(Q) of
        true -> viva_tensor_nif:dequantize_dirty(Q);
        false -> viva_tensor_nif:dequantize(Q)
    end.

%% @doc The serialized form: a `VTQ1' header (format, parameters, shape)
%% followed by the packed blocks and scales. `byte_size' equals {@link nbytes/1}.
-spec to_binary(quantized()) -> vtensor:result(binary()).
to_binary(Q) ->
    case big(Q) of
        true -> viva_tensor_nif:q_to_binary_dirty(Q);
        false -> viva_tensor_nif:q_to_binary(Q)
    end.

%% @doc Parses what {@link to_binary/1} wrote, validating every field: a
%% truncated or corrupted binary gives `{error, {invalid_argument, _}}' (or
%% `{non_finite, _}' for a scale that is not finite), never a crash.
-spec from_binary(binary()) -> vtensor:result(quantized()).
from_binary(Bin) when is_binary(Bin) ->
    case byte_size(Bin) > vtensor:dirty_threshold() of
        true -> viva_tensor_nif:q_from_binary_dirty(Bin);
        false -> viva_tensor_nif:q_from_binary(Bin)
    end;
from_binary(Bin) ->
    erlang:error(badarg, [Bin]).

%% @doc The format, as a term {@link quantize/2} accepts: a bare atom for the
%% fixed formats and for `nf4' / `nf4_dq' with their default blocks
%% (`{nf4, 64}' comes back as `nf4'), an int8 channel axis non-negative.
-spec format(quantized()) -> format().
format(Q) -> viva_tensor_nif:q_format(Q).

%% @doc The logical shape (the quantized tensor's shape).
-spec shape(quantized()) -> vtensor:shape().
shape(Q) -> viva_tensor_nif:q_shape(Q).

%% @doc Number of logical elements.
-spec size(quantized()) -> non_neg_integer().
size(Q) -> viva_tensor_nif:q_size(Q).

%% @doc Every byte the quantized tensor holds: codes, scales and its
%% 20 + 8·rank byte header; equals `byte_size' of {@link to_binary/1}.
-spec nbytes(quantized()) -> pos_integer().
nbytes(Q) -> viva_tensor_nif:q_nbytes(Q).

%% @doc `4 * size(Q) / nbytes(Q)': how many times smaller than f32.
-spec compression_ratio(quantized()) -> float().
compression_ratio(Q) -> viva_tensor_nif:q_compression_ratio(Q).

%% @doc True for a quantized tensor handle, false for any other term.
-spec is_quantized(term()) -> boolean().
is_quantized(Q) -> viva_tensor_nif:is_quantized(Q).

%% @doc Error measures of `Approx' against `Reference' (two tensors of one
%% shape, any dtypes, compared as f32, computed in f64): `mse', `rmse',
%% `max_abs', `mean_abs', `sqnr_db' (`10 log10(signal / noise)'; the atom
%% `infinity' when they are equal) and `cosine' (1.0 for two zero tensors).
%% Errors: `{shape_mismatch, shape(Reference), shape(Approx)}',
%% `{non_finite, _}' for NaN or infinity in either.
-spec metrics(vtensor:tensor(), vtensor:tensor()) -> vtensor:result(metrics()).
metrics(Reference, Approx) ->
    case vtensor:size(Reference) > vtensor:dirty_threshold() of
        true -> viva_tensor_nif:quant_metrics_dirty(Reference, Approx);
        false -> viva_tensor_nif:quant_metrics(Reference, Approx)
    end.

%% @doc A linear layer on a quantized weight: `X @ dequant(Q)ᵀ', computed
%% without materializing the f32 weight matrix (fused decoding; see
%% `native/viva_tensor_core/src/quant/qmatmul.rs').
%%
%% `Q' is a 2-D quantized tensor of shape `[Out, In]' in any format (one row
%% per output feature, as in PyTorch `nn.Linear' and GGUF); `X' has shape
%% `[..., In]', any float dtype (computed in f32), any view. The result is a
%% new f32 tensor `[..., Out]'.
%% Errors: `{shape_mismatch, [In], [XIn]}' when the inner dimensions differ,
%% `{invalid_shape, _}' when `Q' is not 2-D or `X' is 0-D, `deallocated'.
%% Runs on a dirty scheduler when `rows × Out × In' exceeds
%% {@link linear_dirty_threshold/0}.
-spec qmatmul(vtensor:tensor(), quantized()) -> vtensor:result(vtensor:tensor()).
qmatmul(X, Q) ->
    case linear_work(X, viva_tensor_nif:q_shape(Q)) > linear_dirty_threshold() of
        true -> viva_tensor_nif:qmatmul_dirty(X, Q);
        false -> viva_tensor_nif:qmatmul(X, Q)
    end.

%% @doc {@link qmatmul/2} in int8 × int8 → int32 arithmetic (LLM.int8()
%% style). `Q' must be quantized as `{int8, {per_channel, 0}}' (one scale per
%% output row). Each row of `X' is quantized to int8 by its absolute maximum;
%% with a `Threshold' (a number), the input columns whose absolute maximum
%% exceeds it are kept in f32 and multiplied with the dequantized weight
%% columns; `none' quantizes every column. Formulas and error bound:
%% `native/viva_tensor_core/src/quant/qmatmul_int8.rs'.
%% Errors: `{invalid_argument, _}' for another weight format or a negative
%% threshold, `{non_finite, _}' for NaN or infinity in `X', and the shape
%% errors of {@link qmatmul/2}.
-spec qmatmul_int8(vtensor:tensor(), quantized(), number() | none) ->
    vtensor:result(vtensor:tensor()).
qmatmul_int8(X, Q, Threshold) ->
    case linear_work(X, viva_tensor_nif:q_shape(Q)) > linear_dirty_threshold() of
        true -> viva_tensor_nif:qmatmul_int8_dirty(X, Q, Threshold);
        false -> viva_tensor_nif:qmatmul_int8(X, Q, Threshold)
    end.

%% @doc {@link qmatmul/2} with the activations quantized too, as llama.cpp's
%% CPU backend computes these formats: each row of `X' is cut into blocks of
%% 32 values, each block stored as int8 codes (round to nearest, ±127) and
%% its f32 scale `absmax / 127', and every weight block (q4_0, q8_0 or
%% mxfp4: a scale times small integers) meets its activation block in one
%% integer dot product. Faster than {@link qmatmul/2} (which is exact f32
%% arithmetic on the decoded weights) and not exact: the error is the
%% activations' rounding, at most half a step per value; formulas and bound
%% in `native/viva_tensor_core/src/quant/qmatmul_q8.rs'.
%% Errors: `{invalid_argument, _}' for another weight format or an input
%% size `In' that is not a multiple of 32, `{non_finite, _}' for NaN or
%% infinity in `X', and the shape errors of {@link qmatmul/2}.
-spec qmatmul_q8(vtensor:tensor(), quantized()) -> vtensor:result(vtensor:tensor()).
qmatmul_q8(X, Q) ->
    case linear_work(X, viva_tensor_nif:q_shape(Q)) > linear_dirty_threshold() of
        true -> viva_tensor_nif:qmatmul_q8_dirty(X, Q);
        false -> viva_tensor_nif:qmatmul_q8(X, Q)
    end.

%% @doc The f32 reference of {@link qmatmul/2}: `X @ Wᵀ' for an f32 tensor
%% `X' `[..., In]' and an f32 weight `W' `[Out, In]' (a transposed view, no
%% copy, multiplied by the library's GEMM). The report and the benchmark
%% measure quantized layers against it.
%% Errors: `{invalid_shape, _}' when `W' is not 2-D, `{invalid_dtype, _}'
%% when the dtypes differ, `{shape_mismatch, _, _}' for the inner dimensions.
-spec f32_linear(vtensor:tensor(), vtensor:tensor()) -> vtensor:result(vtensor:tensor()).
f32_linear(X, W) ->
    case vtensor:shape(W) of
        [_, _] = Shape ->
            {ok, WT} = vtensor:transpose(W),
            Nif = case linear_work(X, Shape) > linear_dirty_threshold() of
                true -> linalg_op_dirty;
                false -> linalg_op
            end,
            viva_tensor_nif:Nif(matmul, X, WT);
        Shape ->
            {error, {invalid_shape, iolist_to_binary(io_lib:format(
                "f32_linear needs a 2-D weight [out, in], got shape ~w", [Shape]))}}
    end.

%% @doc Multiply-adds (`rows × Out × In') above which the linear-layer calls
%% run on a dirty CPU scheduler: 2^18, about 0.1 ms of f32 work, so a normal
%% scheduler is never held near its 1 ms budget.
-spec linear_dirty_threshold() -> pos_integer().
linear_dirty_threshold() -> 1 bsl 18.

%% @doc For benchmarks: the median wall time in microseconds of 5 `memcpy's
%% of `T''s elements as f32 into a buffer written once beforehand (page
%% faults not counted), so `4 * size(T) / Us' is this machine's copy speed on
%% exactly the bytes {@link quantize/2} reads; `bench/quant_bench.erl' prints
%% quantize speed as a share of it. Runs on a dirty CPU scheduler.
%% Errors: `deallocated'; a non-tensor raises `badarg'.
-spec memcpy_us(vtensor:tensor()) -> vtensor:result(float()).
memcpy_us(T) -> viva_tensor_nif:memcpy_us(T).

%% rows × Out × In; a malformed weight shape counts as big (the NIF reports it).
linear_work(X, [Out, In]) ->
    Rows = case In of
        0 -> 0;
        _ -> vtensor:size(X) div In
    end,
    Rows * Out * In;
linear_work(X, _) ->
    vtensor:size(X).

big(Q) -> viva_tensor_nif:q_size(Q) > vtensor:dirty_threshold().
