%% Tensor math bench, run by `make bench` (not a timed test): sgemm GFLOPS,
%% element-wise add and sum GB/s, softmax rows/s, similarity search rows/s
%% and the NIF overhead of a tiny add, each through the BEAM call. When
%% python3 with numpy is available, bench/numpy_ref.py times the same work
%% in the same run and the table shows ours / numpy (> 1 means faster).
%% Figures are medians after a warm-up, timed with timer:tc/1.
-module(vops_bench).
-export([run/0]).

-define(MB, 1048576).
%% Memory rows for the similarity search (env VIVA_BENCH_SEARCH_ROWS overrides).
-define(SEARCH_ROWS, 1000000).

-spec run() -> ok.
run() ->
    Rows = search_rows(),
    io:format("viva_tensor math bench (~b schedulers, ~b dirty CPU schedulers)~n",
              [erlang:system_info(schedulers), erlang:system_info(dirty_cpu_schedulers)]),
    io:format("NumPy reference: ~ts~n~n", [numpy_status()]),
    Ours = ours(Rows),
    Ref = numpy(Rows),
    io:format("~n~-40s ~17s ~17s ~8s~n", ["work", "viva_tensor", "numpy", "ours/np"]),
    [print_row(Row, Ref) || Row <- Ours],
    ok.

search_rows() ->
    case os:getenv("VIVA_BENCH_SEARCH_ROWS") of
        false -> ?SEARCH_ROWS;
        S -> list_to_integer(S)
    end.

%% Each row: {Key, Label, Seconds, Unit, Amount, HigherIsBetter}: the figure
%% shown is Amount / Seconds in Unit (or seconds scaled when Amount is a
%% time unit), the ratio compares speeds.
ours(Rows) ->
    progress("tiny add"),
    {ok, A4} = vtensor:from_list([1.0, 2.0, 3.0, 4.0]),
    N = 100000,
    Tiny = median(fun() -> bench_timing:loop(N, fun() -> vops:add(A4, A4) end) end, 5) / N,
    Gemm = [begin
                progress(io_lib:format("sgemm ~b", [S])),
                {ok, A} = vtensor:random_normal([S, S], 1),
                {ok, B} = vtensor:random_normal([S, S], 2),
                T = median(fun() -> {ok, C} = vops:matmul(A, B), vtensor:deallocate(C) end,
                           runs(S)),
                [vtensor:deallocate(X) || X <- [A, B]],
                {"sgemm_" ++ integer_to_list(S), io_lib:format("sgemm ~bx~bx~b", [S, S, S]),
                 T, "GFLOPS", 2 * S * S * S / 1.0e9}
            end || S <- [256, 1024, 2048]],
    Stream = lists:append([stream(MiB) || MiB <- [64, 256]]),
    progress("softmax"),
    {ok, X} = vtensor:random_normal([4096, 1024], 3),
    Soft = median(fun() -> {ok, Y} = vops:softmax(X), vtensor:deallocate(Y) end, 5),
    Search = search(Rows),
    [{"tiny_add", "add, 4 x f32 (NIF call)", Tiny, "us/call", time}] ++ Gemm ++ Stream ++
        [{"softmax_4096x1024", "softmax 4096 x 1024 rows", Soft, "Mrows/s", 4096 / 1.0e6},
         Search].

stream(MiB) ->
    progress(io_lib:format("add/sum ~b MiB", [MiB])),
    Elems = MiB * ?MB div 4,
    {ok, A} = vtensor:random_uniform([Elems], 4),
    {ok, B} = vtensor:random_uniform([Elems], 5),
    Add = median(fun() -> {ok, C} = vops:add(A, B), vtensor:deallocate(C) end, 5),
    Sum = median(fun() -> {ok, _} = vops:sum(A) end, 5),
    [vtensor:deallocate(T) || T <- [A, B]],
    Bytes = MiB * ?MB,
    %% add moves three arrays (two read, one written), sum reads one
    [{"add_" ++ integer_to_list(MiB), io_lib:format("add ~b MiB f32 (3 arrays moved)", [MiB]),
      Add, "GB/s", 3 * Bytes / 1.0e9},
     {"sum_" ++ integer_to_list(MiB), io_lib:format("sum ~b MiB f32", [MiB]),
      Sum, "GB/s", Bytes / 1.0e9}].

search(Rows) ->
    progress(io_lib:format("similarity search, ~b x 384 memory", [Rows])),
    {ok, M} = vtensor:random_normal([Rows, 384], 6),
    {ok, Q} = vtensor:random_normal([16, 384], 7),
    T = median(fun() -> {ok, _} = vops:similarity_search(Q, M, 10, cosine) end, 3),
    vtensor:deallocate(M),
    {"search_" ++ integer_to_list(Rows),
     io_lib:format("cosine top-10, 16 q, ~b x 384", [Rows]), T, "Mrows/s", Rows / 1.0e6}.

runs(2048) -> 3;
runs(_) -> 5.

print_row({Key, Label, Seconds, Unit, Amount}, Ref) ->
    Ours = figure(Seconds, Amount),
    case maps:find(Key, Ref) of
        {ok, RefSeconds} ->
            io:format("~-40ts ~8.2f ~-8ts ~8.2f ~-8ts ~7.2fx~n",
                      [Label, Ours, Unit, figure(RefSeconds, Amount), Unit, RefSeconds / Seconds]);
        error ->
            io:format("~-40ts ~8.2f ~-8ts ~17s ~8s~n", [Label, Ours, Unit, "-", "-"])
    end.

figure(Seconds, time) -> Seconds * 1.0e6;
figure(Seconds, Amount) -> Amount / Seconds.

%% Seconds per call (timer:tc gives microseconds).
median(F, Runs) -> bench_timing:median_us(F, Runs) / 1.0e6.


progress(What) ->
    io:format("  timing ~ts...~n", [What]).

numpy_status() ->
    case os:cmd("python3 -c 'import numpy; print(numpy.__version__)' 2>/dev/null") of
        "" -> "python3 with numpy not found: ratios skipped";
        V -> "numpy " ++ string:trim(V) ++ " (same work, same run)"
    end.

%% #{Key => Seconds} from bench/numpy_ref.py, or #{} without numpy.
numpy(Rows) ->
    case numpy_status() of
        "numpy " ++ _ ->
            progress("the same work in NumPy"),
            Script = filename:join(filename:dirname(code:which(?MODULE)), "numpy_ref.py"),
            Path = case filelib:is_regular(Script) of
                true -> Script;
                false -> "bench/numpy_ref.py"
            end,
            Out = os:cmd("python3 " ++ Path ++ " " ++ integer_to_list(Rows)),
            maps:from_list(lists:append([parse_line(L) || L <- string:split(Out, "\n", all)]));
        _ ->
            #{}
    end.

parse_line(Line) ->
    case string:split(Line, " ") of
        [Key, Value] ->
            try [{Key, list_to_float(Value)}] catch error:badarg -> [] end;
        _ ->
            []
    end.
