%% Crossover bench for the list-backed `viva_tensor/tensor' module (and
%% `viva_tensor/tensor/hrr'), run by `make bench' when gleam is installed:
%% each heavy function at growing sizes, once forced pure
%% (viva_tensor_native_mode never) and once forced native (always), lists
%% in and lists out as a caller sees them. Medians of 7 runs after a
%% warm-up. For transpose and norm, which have no native path (it never
%% won), the "native" column is that path written out by hand.
-module(compat_bench).
-export([run/0]).

-define(T(Data, Shape), {tensor, Data, Shape}).

-spec run() -> ok.
run() ->
    ok = viva_tensor_nif:load_status(),
    io:format("~nviva_tensor/tensor crossovers (us per call, median of 7; list in, list out)~n"),
    io:format("~-14s ~-16s ~10s ~12s ~12s ~9s~n",
              ["function", "shape", "work", "pure us", "native us", "pure/nat"]),
    M = 'viva_tensor@tensor',
    rows("matmul", [4, 8, 10, 16, 32, 64], fun(N) -> N * N * N end,
         fun(N) -> {mat(N, N), mat(N, N)} end,
         fun({A, B}) -> {ok, _} = M:matmul(A, B) end, "~bx~bx~b", 3, 1000),
    rows("matmul_vec", [16, 32, 64, 128, 256], fun(N) -> N * N end,
         fun(N) -> {mat(N, N), vec(N)} end,
         fun({A, V}) -> {ok, _} = M:matmul_vec(A, V) end, "~bx~b", 2, 1024),
    rows("outer", [16, 32, 64, 128, 256], fun(N) -> N * N end,
         fun(N) -> {vec(N), vec(N)} end,
         fun({A, B}) -> {ok, _} = M:outer(A, B) end, "~bx~b", 2, 1024),
    rows("transpose", [16, 32, 64, 128, 256], fun(N) -> N * N end,
         fun(N) -> mat(N, N) end,
         {fun(A) -> {ok, _} = M:transpose(A) end,
          fun(A) -> by_hand(A, fun(T) -> vtensor:transpose(T) end) end}, "~bx~b", 2, pure),
    rows("sum_axis 0", [16, 32, 64, 128, 256], fun(N) -> N * N end,
         fun(N) -> mat(N, N) end,
         fun(A) -> {ok, _} = M:sum_axis(A, 0) end, "~bx~b", 2, 1024),
    rows("norm", [16, 32, 64, 128, 256], fun(N) -> N * N end,
         fun(N) -> mat(N, N) end,
         {fun(A) -> M:norm(A) end,
          fun(A) -> by_hand(A, fun(T) -> vops:norm(T) end) end}, "~bx~b", 2, pure),
    rows("broadcast_to", [16, 32, 64, 128, 256], fun(N) -> N * N end,
         fun(N) -> {vec(N), [N, N]} end,
         fun({V, S}) -> {ok, _} = M:broadcast_to(V, S) end, "~bx~b", 2, 256),
    rows("add_broadcast", [16, 32, 64, 128, 256], fun(N) -> N * N end,
         fun(N) -> {mat(N, N), vec(N)} end,
         fun({A, V}) -> {ok, _} = M:add_broadcast(A, V) end, "~bx~b", 2, 256),
    H = 'viva_tensor@tensor@hrr',
    rows("hrr bind", [8, 16, 32, 64, 256, 1024, 8192], fun(N) -> N end,
         fun(N) -> {unit(N, 1), unit(N, 2)} end,
         fun({A, B}) -> {ok, _} = H:bind(A, B) end, "~b", 1, 16),
    ok = viva_tensor_native_mode:set(auto),
    ok.

rows(Name, Sizes, Work, Make, Call, ShapeFmt, Dims, Auto) ->
    Results = [row(Name, N, Work(N), Make(N), Call, ShapeFmt, Dims) || N <- Sizes],
    Cross = case [W || {W, Pure, Native} <- Results, Native < Pure] of
                [] -> "native never faster here";
                [W | _] -> io_lib:format("native faster from work ~b", [W])
            end,
    case Auto of
        pure -> io:format("  ~s: ~s; the module stays pure~n", [Name, Cross]);
        _ -> io:format("  ~s: ~s; the module goes native from ~b~n", [Name, Cross, Auto])
    end.

row(Name, N, Work, Args, Call, ShapeFmt, Dims) ->
    Shape = io_lib:format(ShapeFmt, lists:duplicate(Dims, N)),
    {Pure, Native} = case Call of
        {PureCall, NativeCall} -> {timed(never, Args, PureCall), timed(never, Args, NativeCall)};
        _ -> {timed(never, Args, Call), timed(always, Args, Call)}
    end,
    io:format("~-14s ~-16s ~10b ~12.1f ~12.1f ~9.2f~n",
              [Name, Shape, Work, Pure, Native, Pure / Native]),
    {Work, Pure, Native}.

%% Median microseconds per call, repeating fast calls to get above the
%% clock's resolution.
timed(Mode, Args, Call) ->
    ok = viva_tensor_native_mode:set(Mode),
    Call(Args),
    {Once, _} = timer:tc(fun() -> Call(Args) end),
    Reps = max(1, 20000 div max(1, Once)),
    Times = lists:sort([element(1, timer:tc(fun() -> loop(Reps, Call, Args) end)) / Reps
                        || _ <- lists:seq(1, 7)]),
    lists:nth(4, Times).

loop(0, _Call, _Args) -> ok;
loop(K, Call, Args) -> Call(Args), loop(K - 1, Call, Args).

%% What a native path would do for functions that have none: the record
%% to a native f64 tensor, `F', the result back to a list.
by_hand({tensor, Data, Shape}, F) ->
    {ok, T} = vtensor:from_list(Data, Shape, f64),
    {ok, R} = F(T),
    {ok, _} = vtensor:to_list(R).

mat(R, C) -> ?T([float((I * 7) rem 13) - 6.0 || I <- lists:seq(1, R * C)], [R, C]).
vec(N) -> ?T([float((I * 5) rem 11) - 5.0 || I <- lists:seq(1, N)], [N]).

unit(N, Seed) ->
    {ok, T} = vhrr:random(N, Seed, f64),
    {ok, L} = vtensor:to_list(T),
    ?T(L, [N]).
