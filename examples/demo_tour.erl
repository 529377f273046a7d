%% A short tour of viva_tensor: create, view, convert, account memory.
%% Run it with `make demo`. Every number it prints is measured as it runs.
-module(demo_tour).
-export([main/0]).

main() ->
    section("Native library"),
    io:format("  load_status: ~p, build: ~p~n",
              [viva_tensor_nif:load_status(), viva_tensor_nif:build_info()]),

    section("Create"),
    {ok, M} = vtensor:from_list([[1, 2, 3], [4, 5, 6]]),
    show("from_list([[1,2,3],[4,5,6]])", M),
    {ok, W} = vtensor:random_normal([1024, 1024], 42, #{std => 0.02}),
    io:format("  random_normal([1024,1024], seed 42): ~p ~p, ~s~n",
              [vtensor:shape(W), vtensor:dtype(W), bytes(vtensor:nbytes(W))]),
    {ok, R} = vtensor:arange(0, 1, 0.25, f64),
    show("arange(0, 1, 0.25, f64)", R),

    section("Views share storage (no bytes copied)"),
    Before = vtensor:memory_stats(),
    {ok, WT} = vtensor:transpose(W),
    {ok, Rows} = vtensor:slice(W, [0], [1024], [2]),
    {ok, B3} = vtensor:broadcast_to(W, [8, 1024, 1024]),
    {ok, Flat} = vtensor:reshape(W, [-1]),
    After = vtensor:memory_stats(),
    [io:format("  ~-28s shape ~-18w contiguous ~-5w shares storage ~p~n",
               [Name, vtensor:shape(V), vtensor:is_contiguous(V), element(2, vtensor:shares_storage(W, V))])
     || {Name, V} <- [{"transpose", WT}, {"slice every 2nd row", Rows},
                      {"broadcast_to [8,1024,1024]", B3}, {"reshape [-1]", Flat}]],
    io:format("  tensor bytes before the views: ~s, after: ~s~n",
              [bytes(maps:get(bytes, Before)), bytes(maps:get(bytes, After))]),
    {ok, MT} = vtensor:transpose(M),
    show("transpose of the 2x3 matrix", MT),

    section("Convert"),
    [begin
         {ok, C} = vtensor:as_type(W, D),
         io:format("  as_type(~p): ~s~n", [D, bytes(vtensor:nbytes(C))])
     end || D <- [f64, f16, bf16]],
    {ok, Small} = vtensor:from_list([0.1, 1.0e5, 3.14159], [3], f64),
    {ok, SmallH} = vtensor:as_type(Small, f16),
    {ok, SmallB} = vtensor:as_type(Small, bf16),
    io:format("  [0.1, 1.0e5, 3.14159] in f16: ~p~n", [element(2, vtensor:to_list(SmallH))]),
    io:format("  [0.1, 1.0e5, 3.14159] in bf16: ~p~n", [element(2, vtensor:to_list(SmallB))]),
    {ok, Big} = vtensor:random_uniform([25 * 1024 * 1024], 7),
    {TBin, {ok, Bin}} = timer:tc(fun() -> vtensor:to_binary(Big) end),
    {TFrom, {ok, Back}} = timer:tc(fun() -> vtensor:from_binary(Bin, f32, [25 * 1024 * 1024]) end),
    {THalf, {ok, Half}} = timer:tc(fun() -> vtensor:as_type(Big, f16) end),
    io:format("  100 MB f32 tensor -> binary: ~.3f ms (zero copy: the binary points into the tensor)~n",
              [TBin / 1000]),
    io:format("  binary -> tensor (memcpy, dirty scheduler): ~.1f ms (~.1f GB/s)~n",
              [TFrom / 1000, 104857600 / TFrom / 1000]),
    io:format("  f32 -> f16 of 25 Mi elements (dirty scheduler): ~.1f ms~n", [THalf / 1000]),

    section("Memory account"),
    S1 = vtensor:memory_stats(),
    io:format("  now: ~s in ~b buffers, ~b handles; peak ~s~n",
              [bytes(maps:get(bytes, S1)), maps:get(buffers, S1), maps:get(tensors, S1),
               bytes(maps:get(peak_bytes, S1))]),
    [ok = vtensor:deallocate(T) || T <- [Big, Back, Half]],
    S2 = vtensor:memory_stats(),
    io:format("  after deallocate of the three 100 MB-class tensors: ~s~n", [bytes(maps:get(bytes, S2))]),
    io:format("  (the binary still pins its storage until it is garbage collected: ~b bytes)~n",
              [byte_size(Bin)]),
    io:format("  using a deallocated tensor: ~p~n", [vtensor:to_list(Big)]),

    section("Errors are values"),
    io:format("  from_list([[1],[2,3]])        -> ~p~n", [vtensor:from_list([[1], [2, 3]])]),
    io:format("  broadcast_to([2,3] -> [4,4])  -> ~p~n", [vtensor:broadcast_to(M, [4, 4])]),
    io:format("  reshape([2,3] -> [4])         -> ~p~n", [vtensor:reshape(M, [4])]),
    io:format("  from_binary(<<1,2,3>>, f32)   -> ~p~n", [vtensor:from_binary(<<1, 2, 3>>, f32, [1])]),
    ok.

section(Title) ->
    io:format("~n== ~s~n", [Title]).

show(Label, T) ->
    {ok, L} = vtensor:to_nested_list(T),
    io:format("  ~s: shape ~w ~p -> ~w~n", [Label, vtensor:shape(T), vtensor:dtype(T), L]).

bytes(N) when N >= 1048576 -> io_lib:format("~.1f MiB", [N / 1048576]);
bytes(N) when N >= 1024 -> io_lib:format("~.1f KiB", [N / 1024]);
bytes(N) -> io_lib:format("~b B", [N]).
