%% The memory multiplication report (`make demo'): how much smaller, how
%% wrong, how fast, and how many more matrices fit in this machine's RAM,
%% for every quantized format, on one weight matrix.
%%
%% The default weight is a realistic synthetic 4096 x 4096 f32 layer:
%% N(0, 0.02^2) from vtensor:random_normal/3 (seed 42) with 8 outlier input
%% columns scaled by 20 (large-magnitude features, the case LLM.int8() is
%% built for). For each format it prints: bytes held (nbytes, scales and
%% header included), ratio vs f32, rmse / SQNR / max abs error of the
%% dequantized weight (vquant:metrics/2), quantize and dequantize speed as GB/s
%% of f32 processed (median of 3), the batch-1 linear layer y = x W^T with
%% vquant:qmatmul/2 against the f32 reference vquant:f32_linear/2 (medians of
%% 5), and how many such matrices fit in MemAvailable (/proc/meminfo).
%%
%% Your own matrix: a raw little-endian f32 file (row-major) and its shape,
%%   VIVA_REPORT_FILE=w.f32 VIVA_REPORT_SHAPE=4096x11008 make demo
%% (the shape as ROWSxCOLS or ROWS,COLS; rows = output features).
%%
%% Without make:
%%   rebar3 compile && mkdir -p _build/examples &&
%%   erlc -o _build/examples examples/memory_report.erl &&
%%   erl -noshell -pa _build/default/lib/viva_tensor/ebin -pa _build/examples \
%%       -eval 'memory_report:main(), halt().'
-module(memory_report).
-export([main/0, synthetic_weight/3]).

-define(FORMATS, [q8_0, q5_0, q4_1, q4_0, mxfp4, nvfp4, nf4, nf4_dq,
                  {int8, per_tensor}, {int8, {per_channel, 0}}, {int8, {per_block, 32}},
                  fp8_e4m3fn, fp8_e5m2, f16, bf16]).
-define(OUTLIER_COLS, [7, 300, 1023, 1500, 2048, 2900, 3333, 4000]).

-spec main() -> ok.
main() ->
    {Name, W} = weight(),
    [Rows, Cols] = vtensor:shape(W),
    F32Bytes = vtensor:nbytes(W),
    Avail = mem_available(),
    io:format("~n== viva_tensor memory multiplication report ==~n"),
    io:format("weight: ~s, ~bx~b f32 = ~s~n", [Name, Rows, Cols, mib(F32Bytes)]),
    io:format("machine: ~b schedulers, ~b dirty CPU schedulers, MemAvailable ~s~n",
              [erlang:system_info(schedulers), erlang:system_info(dirty_cpu_schedulers),
               mib(Avail)]),
    {ok, X} = vtensor:random_normal([1, Cols], 7),
    progress("f32 reference: x[1, ~b] @ W^T, 5 runs", [Cols]),
    F32 = fun() -> vquant:f32_linear(X, W) end,
    {F32Us, {ok, Ref}} = median_tc(5, F32),
    RefNorm = rms(Ref),
    Lines = [measure(W, X, Ref, RefNorm, F, F32Bytes, F32) || F <- ?FORMATS],
    Int8 = int8_path(W, X, Ref, RefNorm, F32),
    Q8 = [q8_path(W, X, Ref, RefNorm, F32, F) || F <- [q4_0, q8_0, mxfp4]],
    io:format("~n~-24s ~12s ~6s ~9s ~7s ~9s ~7s ~7s ~8s ~7s ~8s ~6s~n",
              ["format", "bytes", "ratio", "rmse", "sqnr_dB", "max_abs",
               "q_GB/s", "dq_GB/s", "gemv_ms", "vs_f32", "y_err", "in_RAM"]),
    io:format("~-24s ~12b ~6.2f ~9s ~7s ~9s ~7s ~7s ~8.2f ~7s ~8s ~6b~n",
              ["f32", F32Bytes, 1.0, "-", "-", "-", "-", "-", F32Us / 1000, "1.00x", "-",
               Avail div F32Bytes]),
    [print_line(L, Avail) || L <- Lines],
    {I8F32, I8Us, I8Err} = Int8,
    io:format("~nqmatmul_int8 (int8 x int8 -> int32, {int8, {per_channel, 0}}, outlier "
              "threshold 6.0): ~.2f ms (~.2fx vs f32), y_err ~.2e~n",
              [I8Us / 1000, I8F32 / I8Us, I8Err]),
    io:format("qmatmul_q8 (activations as int8 blocks of 32, integer block dots, as llama.cpp):~n"),
    [io:format("  ~-6s ~.2f ms (~.2fx vs f32), y_err ~.2e; against qmatmul on the same weight ~.2e~n",
               [F, Us / 1000, FUs / Us, Err, ActErr])
     || {F, FUs, Us, Err, ActErr} <- Q8],
    io:format("gemv = one token through the layer (batch 1), median of 5; vs_f32 = f32 time /~n"
              "format time, the f32 runs alternating with the format's (the f32 row: its first 5 runs).~n"
              "y_err = rmse(y - y_f32) / rms(y_f32) of that output (weight quantization error).~n"
              "q/dq GB/s = f32 bytes / time, median of 3. in_RAM = MemAvailable div bytes.~n"),
    ok.

%% ---------------------------------------------------------------------------

weight() ->
    case {os:getenv("VIVA_REPORT_FILE"), os:getenv("VIVA_REPORT_SHAPE")} of
        {false, _} ->
            progress("building the synthetic weight (N(0, 0.02^2), seed 42, 8 outlier columns x20)", []),
            {"synthetic N(0, 0.02^2) + 8 outlier columns x20",
             synthetic_weight(4096, 4096, ?OUTLIER_COLS)};
        {File, false} ->
            error({missing_env, "VIVA_REPORT_SHAPE (e.g. 4096x4096) for " ++ File});
        {File, ShapeStr} ->
            [R, C] = [list_to_integer(S) || S <- string:lexemes(ShapeStr, "x,")],
            progress("reading ~s as ~bx~b f32", [File, R, C]),
            {ok, Bin} = file:read_file(File),
            {ok, W} = vtensor:from_binary(Bin, f32, [R, C]),
            {File, W}
    end.

%% A Rows x Cols f32 tensor, N(0, 0.02^2) (seed 42), with the given columns
%% multiplied by 20. Built on binaries: each row is split at the outlier
%% columns and those floats rewritten, so 16M elements never become a list.
-spec synthetic_weight(pos_integer(), pos_integer(), [non_neg_integer()]) -> vtensor:tensor().
synthetic_weight(Rows, Cols, OutlierCols) ->
    {ok, W0} = vtensor:random_normal([Rows, Cols], 42, #{std => 0.02}),
    {ok, Bin} = vtensor:to_binary(W0),
    RowBytes = 4 * Cols,
    Cs = lists:usort([C || C <- OutlierCols, C < Cols]),
    Parts = [scale_row(binary:part(Bin, R * RowBytes, RowBytes), Cs, 0)
             || R <- lists:seq(0, Rows - 1)],
    {ok, W} = vtensor:from_binary(iolist_to_binary(Parts), f32, [Rows, Cols]),
    ok = vtensor:deallocate(W0),
    W.

scale_row(Row, [], Pos) ->
    [binary:part(Row, Pos, byte_size(Row) - Pos)];
scale_row(Row, [C | Cs], Pos) ->
    Off = 4 * C,
    <<V:32/float-little>> = binary:part(Row, Off, 4),
    [binary:part(Row, Pos, Off - Pos), <<(V * 20.0):32/float-little>> | scale_row(Row, Cs, Off + 4)].

measure(W, X, Ref, RefNorm, F, F32Bytes, F32) ->
    progress("~p: quantize x3, dequantize x3, metrics, qmatmul x5", [F]),
    {QUs, {ok, Q}} = median_tc(3, fun() -> vquant:quantize(W, F) end),
    {DUs, {ok, D}} = median_tc(3, fun() -> vquant:dequantize(Q) end),
    {ok, #{rmse := Rmse, sqnr_db := Sqnr, max_abs := MaxAbs}} = vquant:metrics(W, D),
    ok = vtensor:deallocate(D),
    {ok, Y} = vquant:qmatmul(X, Q),
    {ok, #{rmse := YRmse}} = vquant:metrics(Ref, Y),
    {FUs, MUs} = paired(5, F32, fun() -> vquant:qmatmul(X, Q) end),
    #{format => F, bytes => vquant:nbytes(Q), ratio => vquant:compression_ratio(Q),
      rmse => Rmse, sqnr => Sqnr, max_abs => MaxAbs,
      q_gbs => F32Bytes / max(QUs, 1) / 1000, dq_gbs => F32Bytes / max(DUs, 1) / 1000,
      gemv_us => MUs, f32_us => FUs, y_err => YRmse / RefNorm}.

print_line(#{format := F, bytes := B, ratio := R, rmse := E, sqnr := S, max_abs := M,
             q_gbs := QG, dq_gbs := DG, gemv_us := G, f32_us := F32Us, y_err := YE}, Avail) ->
    io:format("~-24s ~12b ~6.2f ~9.3e ~7s ~9.3e ~7.2f ~7.2f ~8.2f ~6.2fx ~8.2e ~6b~n",
              [lists:flatten(io_lib:format("~p", [F])), B, R, E, db(S), M, QG, DG,
               G / 1000, F32Us / max(G, 1), YE, Avail div B]).

%% The integer path on an int8 per-output-row weight: time and the error of
%% its output against the f32 reference output (relative rmse).
int8_path(W, X, Ref, RefNorm, F32) ->
    progress("qmatmul_int8 x5", []),
    {ok, Q} = vquant:quantize(W, {int8, {per_channel, 0}}),
    {ok, Y} = vquant:qmatmul_int8(X, Q, 6.0),
    {ok, #{rmse := Rmse}} = vquant:metrics(Ref, Y),
    {FUs, Us} = paired(5, F32, fun() -> vquant:qmatmul_int8(X, Q, 6.0) end),
    {FUs, Us, Rmse / RefNorm}.

%% qmatmul_q8 on weight format F: time, the error of its output against the
%% f32 reference output and against the exact qmatmul on the same quantized
%% weight (the activations' rounding alone), both relative rmse.
q8_path(W, X, Ref, RefNorm, F32, F) ->
    progress("qmatmul_q8 ~p x5", [F]),
    {ok, Q} = vquant:quantize(W, F),
    {ok, Y} = vquant:qmatmul_q8(X, Q),
    {ok, Exact} = vquant:qmatmul(X, Q),
    {ok, #{rmse := Rmse}} = vquant:metrics(Ref, Y),
    {ok, #{rmse := ActRmse}} = vquant:metrics(Exact, Y),
    {FUs, Us} = paired(5, F32, fun() -> vquant:qmatmul_q8(X, Q) end),
    {F, FUs, Us, Rmse / RefNorm, ActRmse / RefNorm}.

%% Root mean square of a (small) tensor: the scale of the layer's output.
rms(T) ->
    {ok, L} = vtensor:to_list(T),
    math:sqrt(lists:sum([V * V || V <- L]) / max(length(L), 1)).

db(infinity) -> "inf";
db(neg_infinity) -> "-inf";
db(V) -> float_to_list(V, [{decimals, 2}]).

%% Medians (us) of N alternating runs of A and B after a warm-up of each: a
%% change in the machine's load hits both sides of the ratio alike.
paired(N, A, B) ->
    _ = A(),
    _ = B(),
    Runs = [{element(1, timer:tc(A)), element(1, timer:tc(B))} || _ <- lists:seq(1, N)],
    Med = fun(L) -> max(lists:nth((N + 1) div 2, lists:sort(L)), 1) end,
    {Med([Ta || {Ta, _} <- Runs]), Med([Tb || {_, Tb} <- Runs])}.

%% Median wall time (us) of N runs after one warm-up, and the last result.
%% Each run starts after a garbage collection (not timed) that releases the
%% previous run's result, so its buffers can be reused as in a steady loop (see bench/quant_bench.erl: otherwise results pile up and
%% every run pays the kernel's zeroing of fresh pages, or not, by chance).
median_tc(N, F) ->
    median_tc(N, F, [], F()).

median_tc(0, _F, Ts, Last) ->
    {lists:nth((length(Ts) + 1) div 2, lists:sort(Ts)), Last};
median_tc(K, F, Ts, _Previous) ->
    true = erlang:garbage_collect(),
    {T, R} = timer:tc(F),
    median_tc(K - 1, F, [T | Ts], R).

mem_available() ->
    case file:read_file("/proc/meminfo") of
        {ok, Info} ->
            case re:run(Info, "MemAvailable:\\s+(\\d+) kB", [{capture, all_but_first, list}]) of
                {match, [Kb]} -> list_to_integer(Kb) * 1024;
                nomatch -> 0
            end;
        _ -> 0
    end.

mib(B) -> io_lib:format("~.1f MiB", [B / 1048576]).

progress(Fmt, Args) ->
    io:format("  .. " ++ Fmt ++ "~n", Args).
