%% EUnit + PropEr tests of the worker pool: local behaviour (order, timeouts,
%% crashes, backpressure, dying callers, stats) and distribution over peer
%% nodes started on this machine (loopback only).
%%
%% Every wait is bounded; peers and the distribution are torn down at the
%% end of their fixture.
-module(viva_tensor_pool_tests).

-include_lib("eunit/include/eunit.hrl").

%% Called on peer nodes, so they must be exported (and this module loaded
%% from the same path there).
-export([slow_node_item/1, node_item/1, double/1, add/2, tensor_double/1]).

-define(POOL, viva_tensor_pool).

%%% Helpers (also used remotely)

double(X) -> 2 * X.

add(X, Y) -> X + Y.

node_item(X) -> {node(), X}.

%% Runs on any node: reads a tensor, returns a new one.
tensor_double(T) ->
    true = vtensor:is_tensor(T),
    {ok, Bin} = vtensor:to_binary(T),
    Doubled = << <<(2 * F):32/float-native>> || <<F:32/float-native>> <= Bin >>,
    {ok, T2} = vtensor:from_binary(Doubled, vtensor:dtype(T), vtensor:shape(T)),
    {node(), T2}.

slow_node_item(X) ->
    timer:sleep(40),
    {node(), X}.

%% Poll `Fun' until it returns true, for at most `Ms' milliseconds.
wait_until(Fun, Ms) ->
    Deadline = erlang:monotonic_time(millisecond) + Ms,
    wait_until_(Fun, Deadline).

wait_until_(Fun, Deadline) ->
    case Fun() of
        true -> true;
        _ ->
            case erlang:monotonic_time(millisecond) > Deadline of
                true -> false;
                false -> timer:sleep(10), wait_until_(Fun, Deadline)
            end
    end.

with_pool(Opts, Test) ->
    Name = list_to_atom("test_pool_" ++ integer_to_list(erlang:unique_integer([positive]))),
    {ok, Sup} = viva_tensor_pool:start_pool(Name, Opts),
    try
        Test(Name, Sup)
    after
        ok = viva_tensor_pool:stop_pool(Name)
    end.

workers(Sup) ->
    [WSup] = [P || {workers, P, _, _} <- supervisor:which_children(Sup)],
    [W || {_, W, _, _} <- supervisor:which_children(WSup), is_pid(W)].

stat(Pool, Key) ->
    maps:get(Key, viva_tensor_pool:stats(Pool)).

idle_again(Pool) ->
    wait_until(fun() ->
        S = viva_tensor_pool:stats(Pool),
        maps:get(idle, S) =:= maps:get(size, S) andalso maps:get(queue_len, S) =:= 0
    end, 5000).

mailbox_len() ->
    {message_queue_len, N} = process_info(self(), message_queue_len),
    N.

%%% Local fixture: the application with a default pool of 2 workers.

setup() ->
    application:load(viva_tensor),
    application:set_env(viva_tensor, pool_size, 2),
    {ok, Apps} = application:ensure_all_started(viva_tensor),
    Apps.

cleanup(Apps) ->
    [application:stop(A) || A <- lists:reverse(Apps)],
    ok.

local_test_() ->
    {setup, fun setup/0, fun cleanup/1,
     [{"app starts the default pool (size from env)", {timeout, 30, fun default_pool/0}},
      {"map keeps input order", {timeout, 30, fun map_order/0}},
      {"map accepts {M, F, Extra} and proplist options", {timeout, 30, fun map_mfa/0}},
      {"map of nothing, map on a missing pool", {timeout, 30, fun map_edge/0}},
      {"map_tensor_op is all or nothing", {timeout, 30, fun map_tensor_op/0}},
      {"per-item timeout kills and replaces only that worker", {timeout, 30, fun timeouts/0}},
      {"a job trapping exits is still stopped at its deadline", {timeout, 30, fun timeout_trap_exit/0}},
      {"deadlines of different lengths each fire on time", {timeout, 30, fun mixed_deadlines/0}},
      {"crashes are isolated and workers replaced", {timeout, 30, fun crashes/0}},
      {"a flood of crashing jobs does not take the pool down", {timeout, 30, fun crash_flood/0}},
      {"submit / await", {timeout, 30, fun submit_await/0}},
      {"await timing out cancels the job, no late message", {timeout, 30, fun await_timeout/0}},
      {"cancel drops a queued job", {timeout, 30, fun cancel_queued/0}},
      {"bounded queue: overloaded, and block up to a deadline", {timeout, 30, fun backpressure/0}},
      {"a flood of submissions keeps queue and memory bounded", {timeout, 30, fun submit_flood/0}},
      {"map keeps a window, not the whole input, in the queue", {timeout, 30, fun map_window/0}},
      {"a dead caller's queued jobs are dropped, running ones stopped", {timeout, 30, fun caller_death/0}},
      {"a caller dying mid-map cancels its batch", {timeout, 30, fun caller_death_map/0}},
      {"a dead pool manager fails waiters, does not hang them", {timeout, 30, fun manager_death/0}},
      {"stats counts outcomes", {timeout, 30, fun stats_counts/0}},
      {"property: order kept under random crashes and timeouts", {timeout, 60, fun prop_order/0}}]}.

default_pool() ->
    S = viva_tensor_pool:stats(),
    ?assertEqual(2, maps:get(size, S)),
    ?assertEqual(2, maps:get(idle, S)),
    ?assertEqual(10000, maps:get(queue_limit, S)),
    [?assert(maps:is_key(K, S))
     || K <- [queue_len, busy, idle, completed, failed, timed_out, crashed]],
    ?assert(is_pid(whereis(viva_tensor_pg))).

map_order() ->
    Items = lists:seq(1, 1000),
    ?assertEqual([{ok, 2 * X} || X <- Items], viva_tensor_pool:map(fun double/1, Items)),
    %% Uneven durations: results still come back in input order.
    Jitter = fun(X) -> timer:sleep(rand:uniform(3)), X end,
    ?assertEqual([{ok, X} || X <- lists:seq(1, 50)],
                 viva_tensor_pool:map(Jitter, lists:seq(1, 50), #{window => 4})).

map_mfa() ->
    ?assertEqual([{ok, 11}, {ok, 12}],
                 viva_tensor_pool:map({?MODULE, add, [10]}, [1, 2], [{timeout, 1000}])),
    ?assertEqual([{ok, 4}], viva_tensor_pool:map(fun ?MODULE:double/1, [2], #{pool => ?POOL})).

map_edge() ->
    ?assertEqual([], viva_tensor_pool:map(fun double/1, [])),
    ?assertError({no_pool, no_such_pool},
                 viva_tensor_pool:map(fun double/1, [1], #{pool => no_such_pool})),
    ?assertEqual({error, {no_pool, no_such_pool}},
                 viva_tensor_pool:submit(no_such_pool, fun() -> ok end, #{})).

map_tensor_op() ->
    ?assertEqual({ok, [2, 4, 6]}, viva_tensor_pool:map_tensor_op(fun double/1, [1, 2, 3], #{})),
    {error, Failures} = viva_tensor_pool:map_tensor_op(fun double/1, [1, x, 3, y], #{}),
    ?assertMatch([{2, {worker_crashed, {badarith, _}}}, {4, {worker_crashed, {badarith, _}}}],
                 Failures).

timeouts() ->
    with_pool(#{size => 2}, fun(P, Sup) ->
        Before = workers(Sup),
        Self = self(),
        F = fun(X) when X rem 3 =:= 0 -> Self ! {hung, self()}, timer:sleep(infinity);
               (X) -> X
            end,
        T0 = erlang:monotonic_time(millisecond),
        Res = viva_tensor_pool:map(F, lists:seq(1, 9), #{pool => P, timeout => 100}),
        Elapsed = erlang:monotonic_time(millisecond) - T0,
        Expected = [case X rem 3 of 0 -> {error, timeout}; _ -> {ok, X} end
                    || X <- lists:seq(1, 9)],
        ?assertEqual(Expected, Res),
        %% Two workers, three hung items of 100 ms: two rounds, not more.
        ?assert(Elapsed < 3000),
        Hung = [W || _ <- [1, 2, 3], W <- [receive {hung, W0} -> W0 after 1000 -> none end]],
        ?assertNot(lists:member(none, Hung)),
        ?assert(wait_until(fun() -> not lists:any(fun erlang:is_process_alive/1, Hung) end, 5000)),
        ?assert(idle_again(P)),
        After = workers(Sup),
        ?assertEqual(2, length(After)),
        ?assertEqual([], [W || W <- After, lists:member(W, Hung)]),
        ?assertNotEqual(lists:sort(Before), lists:sort(After)),
        ?assertEqual(3, stat(P, timed_out))
    end).

timeout_trap_exit() ->
    with_pool(#{size => 1}, fun(P, Sup) ->
        Self = self(),
        F = fun() -> process_flag(trap_exit, true), Self ! {w, self()}, timer:sleep(infinity) end,
        {ok, Ref} = viva_tensor_pool:submit(P, F, #{timeout => 50}),
        ?assertEqual({error, timeout}, viva_tensor_pool:await(Ref, 5000)),
        W = receive {w, W0} -> W0 after 1000 -> error(no_worker) end,
        %% {shutdown, timeout} is trapped; the kill after the grace period is not.
        ?assert(wait_until(fun() -> not is_process_alive(W) end, 5000)),
        ?assertEqual([{ok, 1}], viva_tensor_pool:map(fun(X) -> X end, [1], #{pool => P})),
        ?assertEqual(1, length(workers(Sup)))
    end).

mixed_deadlines() ->
    with_pool(#{size => 3}, fun(P, _Sup) ->
        Hang = fun() -> timer:sleep(infinity) end,
        Ms = fun(T0) -> erlang:monotonic_time(millisecond) - T0 end,
        T0 = erlang:monotonic_time(millisecond),
        %% Long deadline first, then a shorter one: the short one must not
        %% wait for the long one.
        {ok, Long} = viva_tensor_pool:submit(P, Hang, #{timeout => 600}),
        {ok, Quick} = viva_tensor_pool:submit(P, fun() -> done end, #{timeout => 100}),
        {ok, Short} = viva_tensor_pool:submit(P, Hang, #{timeout => 60}),
        ?assertEqual({ok, done}, viva_tensor_pool:await(Quick, 5000)),
        ?assertEqual({error, timeout}, viva_tensor_pool:await(Short, 5000)),
        ShortAt = Ms(T0),
        ?assert(ShortAt >= 55 andalso ShortAt < 500),
        ?assertEqual({error, timeout}, viva_tensor_pool:await(Long, 5000)),
        LongAt = Ms(T0),
        ?assert(LongAt >= 595 andalso LongAt < 3000),
        ?assertEqual(2, stat(P, timed_out)),
        ?assert(idle_again(P))
    end).

crashes() ->
    with_pool(#{size => 2}, fun(P, Sup) ->
        F = fun(badarith) -> 1 / zero();
               (exit) -> exit(my_exit);
               (throw) -> throw(thrown);
               (kill) -> exit(self(), kill);
               (X) -> X
            end,
        Items = [1, badarith, 2, exit, 3, throw, 4, kill, 5],
        Res = viva_tensor_pool:map(F, Items, #{pool => P}),
        ?assertMatch([{ok, 1},
                      {error, {worker_crashed, {badarith, [_ | _]}}},
                      {ok, 2},
                      {error, {worker_crashed, my_exit}},
                      {ok, 3},
                      {error, {worker_crashed, {{nocatch, thrown}, [_ | _]}}},
                      {ok, 4},
                      {error, {worker_crashed, killed}},
                      {ok, 5}], Res),
        ?assert(idle_again(P)),
        ?assertEqual(2, length(workers(Sup))),
        ?assertEqual(4, stat(P, crashed)),
        ?assertEqual(5, stat(P, completed))
    end).

zero() -> 0.

crash_flood() ->
    with_pool(#{size => 2}, fun(P, Sup) ->
        Manager = whereis(P),
        Res = viva_tensor_pool:map(fun(X) -> error({boom, X}) end, lists:seq(1, 500), #{pool => P}),
        ?assertEqual(500, length([x || {error, {worker_crashed, {{boom, _}, _}}} <- Res])),
        ?assertEqual(Manager, whereis(P)),
        ?assert(idle_again(P)),
        ?assertEqual(2, length(workers(Sup)))
    end).

submit_await() ->
    {ok, Ref} = viva_tensor_pool:submit(fun() -> 42 end),
    ?assertEqual({ok, 42}, viva_tensor_pool:await(Ref, 5000)),
    {ok, Ref2} = viva_tensor_pool:submit(?POOL, {?MODULE, add, [1, 2]}, [{timeout, 500}]),
    ?assertEqual({ok, 3}, viva_tensor_pool:await(Ref2, 5000)),
    {ok, Ref3} = viva_tensor_pool:submit(?POOL, fun() -> exit(oops) end, #{}),
    ?assertEqual({error, {worker_crashed, oops}}, viva_tensor_pool:await(Ref3, 5000)),
    {ok, Ref4} = viva_tensor_pool:submit(?POOL, fun() -> timer:sleep(infinity) end, #{timeout => 30}),
    ?assertEqual({error, timeout}, viva_tensor_pool:await(Ref4, 5000)),
    ?assertEqual(0, mailbox_len()).

await_timeout() ->
    with_pool(#{size => 1}, fun(P, _Sup) ->
        {ok, Ref} = viva_tensor_pool:submit(P, fun() -> timer:sleep(150), late end,
                                            #{timeout => infinity}),
        ?assertEqual({error, timeout}, viva_tensor_pool:await(Ref, 30)),
        ?assert(wait_until(fun() -> stat(P, cancelled) =:= 1 end, 5000)),
        timer:sleep(250),
        ?assertEqual(0, mailbox_len()),
        ?assert(idle_again(P)),
        ?assertEqual(0, stat(P, completed))
    end).

cancel_queued() ->
    with_pool(#{size => 1}, fun(P, _Sup) ->
        {ok, Blocker} = viva_tensor_pool:submit(P, fun() -> timer:sleep(100) end, #{}),
        {ok, Queued} = viva_tensor_pool:submit(P, fun() -> queued end, #{}),
        ?assertEqual(1, stat(P, queue_len)),
        ?assertEqual(ok, viva_tensor_pool:cancel(Queued)),
        ?assert(wait_until(fun() -> stat(P, queue_len) =:= 0 end, 5000)),
        ?assertEqual({ok, ok}, viva_tensor_pool:await(Blocker, 5000)),
        ?assertEqual(1, stat(P, cancelled)),
        ?assertEqual(0, mailbox_len())
    end).

backpressure() ->
    with_pool(#{size => 1, queue_limit => 2}, fun(P, _Sup) ->
        Sleep = fun(Ms) -> fun() -> timer:sleep(Ms), Ms end end,
        {ok, R1} = viva_tensor_pool:submit(P, Sleep(200), #{}),
        {ok, R2} = viva_tensor_pool:submit(P, Sleep(1), #{}),
        {ok, R3} = viva_tensor_pool:submit(P, Sleep(1), #{}),
        ?assertEqual({error, overloaded}, viva_tensor_pool:submit(P, Sleep(1), #{})),
        ?assertEqual(1, stat(P, rejected)),
        %% Blocking with a short deadline: still overloaded, after the deadline.
        T0 = erlang:monotonic_time(millisecond),
        ?assertEqual({error, overloaded}, viva_tensor_pool:submit(P, Sleep(1), [{block, 50}])),
        Waited = erlang:monotonic_time(millisecond) - T0,
        ?assert(Waited >= 45 andalso Waited < 3000),
        %% Blocking long enough: admitted once the 200 ms job frees a slot.
        {ok, R4} = viva_tensor_pool:submit(P, Sleep(1), #{block => 5000}),
        Admitted = erlang:monotonic_time(millisecond) - T0,
        ?assert(Admitted < 3000),
        [?assertMatch({ok, _}, viva_tensor_pool:await(R, 5000)) || R <- [R1, R2, R3, R4]],
        ?assertEqual(2, stat(P, rejected))
    end).

submit_flood() ->
    with_pool(#{size => 1, queue_limit => 100}, fun(P, _Sup) ->
        Manager = whereis(P),
        Parent = self(),
        Hold = fun() -> Parent ! {holding, self()}, receive go -> ok after 20000 -> ok end end,
        {ok, Blocker} = viva_tensor_pool:submit(P, Hold, #{timeout => infinity}),
        Holder = receive {holding, H} -> H after 5000 -> error(no_holder) end,
        Flooders = [spawn_link(fun() ->
                        Results = [viva_tensor_pool:submit(P, fun() -> ok end, #{})
                                   || _ <- lists:seq(1, 5000)],
                        Ok = length([x || {ok, _} <- Results]),
                        Parent ! {flooded, self(), Ok},
                        receive stop -> ok after 30000 -> ok end
                    end) || _ <- lists:seq(1, 4)],
        Admitted = [receive {flooded, F, N} -> N after 25000 -> error(flood_timeout) end
                    || F <- Flooders],
        S = viva_tensor_pool:stats(P),
        ?assertEqual(100, lists:sum(Admitted)),
        ?assertEqual(100, maps:get(queue_len, S)),
        ?assertEqual(20000 - 100, maps:get(rejected, S)),
        {memory, Mem} = process_info(Manager, memory),
        ?assert(Mem < 2 * 1024 * 1024),
        {message_queue_len, MQ} = process_info(Manager, message_queue_len),
        ?assert(MQ < 10),
        Holder ! go,
        ?assertMatch({ok, _}, viva_tensor_pool:await(Blocker, 5000)),
        ?assert(idle_again(P)),
        ?assertEqual(101, stat(P, completed)),
        [F ! stop || F <- Flooders]
    end).

map_window() ->
    with_pool(#{size => 2, queue_limit => 100000}, fun(P, _Sup) ->
        Self = self(),
        Sampler = spawn_link(fun() -> sample_queue(P, Self, 0) end),
        Res = viva_tensor_pool:map(fun(X) -> X end, lists:seq(1, 20000), #{pool => P}),
        Sampler ! stop,
        Max = receive {max_queue, M} -> M after 5000 -> error(no_sample) end,
        ?assertEqual(20000, length(Res)),
        %% window = max(8, 4 * size) = 8 items in flight, at most 6 queued.
        ?assert(Max =< 8)
    end).

sample_queue(P, Parent, Max) ->
    receive stop -> Parent ! {max_queue, Max}
    after 0 ->
        Q = stat(P, queue_len),
        timer:sleep(1),
        sample_queue(P, Parent, max(Q, Max))
    end.

caller_death() ->
    with_pool(#{size => 2, queue_limit => 100}, fun(P, Sup) ->
        Self = self(),
        Hang = fun() -> Self ! {running, self()}, timer:sleep(infinity) end,
        Caller = spawn(fun() ->
            [{ok, _} = viva_tensor_pool:submit(P, Hang, #{timeout => infinity})
             || _ <- lists:seq(1, 7)],
            Self ! submitted,
            receive never -> ok end
        end),
        receive submitted -> ok after 5000 -> error(not_submitted) end,
        Running = [receive {running, W} -> W after 5000 -> error(not_running) end
                   || _ <- [1, 2]],
        ?assertEqual(5, stat(P, queue_len)),
        exit(Caller, kill),
        ?assert(wait_until(fun() ->
            S = viva_tensor_pool:stats(P),
            maps:get(queue_len, S) =:= 0 andalso maps:get(busy, S) =:= 0
        end, 5000)),
        ?assert(wait_until(fun() -> not lists:any(fun erlang:is_process_alive/1, Running) end,
                           5000)),
        ?assertEqual(7, stat(P, cancelled)),
        ?assertEqual(2, length(workers(Sup))),
        %% The pool still works.
        ?assertEqual([{ok, 1}], viva_tensor_pool:map(fun(X) -> X end, [1], #{pool => P}))
    end).

caller_death_map() ->
    with_pool(#{size => 2}, fun(P, _Sup) ->
        Self = self(),
        Caller = spawn(fun() ->
            viva_tensor_pool:map(fun(X) -> Self ! {started, X}, timer:sleep(infinity) end,
                                 lists:seq(1, 100), #{pool => P, timeout => infinity})
        end),
        [receive {started, _} -> ok after 5000 -> error(not_started) end || _ <- [1, 2]],
        exit(Caller, kill),
        ?assert(idle_again(P)),
        ?assertEqual(0, stat(P, busy)),
        %% window 8: 2 running + 6 queued were cancelled, the other 92 never sent.
        ?assertEqual(8, stat(P, cancelled))
    end).

manager_death() ->
    with_pool(#{size => 1}, fun(P, _Sup) ->
        Manager = whereis(P),
        {ok, Ref} = viva_tensor_pool:submit(P, fun() -> timer:sleep(infinity) end,
                                            #{timeout => infinity}),
        Self = self(),
        spawn(fun() -> timer:sleep(50), exit(Manager, kill), Self ! killed end),
        ?assertEqual({error, {pool_down, killed}}, viva_tensor_pool:await(Ref, 5000)),
        receive killed -> ok after 1000 -> ok end,
        %% The pool supervisor restarts the manager and its workers.
        ?assert(wait_until(fun() ->
            is_pid(whereis(P)) andalso whereis(P) =/= Manager andalso
                stat(P, idle) =:= 1
        end, 5000)),
        ?assertEqual([{ok, 1}], viva_tensor_pool:map(fun(X) -> X end, [1], #{pool => P}))
    end).

stats_counts() ->
    with_pool(#{size => 2}, fun(P, _Sup) ->
        F = fun(crash) -> exit(c); (hang) -> timer:sleep(infinity); (X) -> X end,
        _ = viva_tensor_pool:map(F, [1, crash, hang, 2, 3], #{pool => P, timeout => 50}),
        ?assert(idle_again(P)),
        S = viva_tensor_pool:stats(P),
        ?assertMatch(#{completed := 3, crashed := 1, timed_out := 1, cancelled := 0,
                       failed := 2, busy := 0, idle := 2, queue_len := 0}, S)
    end).

%%% Property: for any list of items, each of which returns, crashes or hangs
%%% past its deadline, map returns one result per item, in input order.

prop_order() ->
    with_pool(#{size => 2}, fun(P, Sup) ->
        Item = proper_types:frequency([{6, {ok, proper_types:integer()}},
                                       {2, crash},
                                       {1, hang}]),
        F = fun({ok, V}) -> V; (crash) -> error(injected); (hang) -> timer:sleep(infinity) end,
        Prop = proper:forall(proper_types:list(Item), fun(Items) ->
            Res = viva_tensor_pool:map(F, Items, #{pool => P, timeout => 150, window => 5}),
            Expected = [case I of
                            {ok, V} -> {ok, V};
                            crash -> crash;
                            hang -> {error, timeout}
                        end || I <- Items],
            length(Res) =:= length(Items) andalso
                lists:all(fun({crash, {error, {worker_crashed, {injected, _}}}}) -> true;
                             ({E, R}) -> E =:= R
                          end, lists:zip(Expected, Res))
        end),
        ?assert(proper:quickcheck(Prop, [{numtests, 40}, {max_size, 12}, {to_file, user}])),
        ?assert(idle_again(P)),
        ?assertEqual(2, length(workers(Sup)))
    end).

%%% Distribution: this node plus two peers on 127.0.0.1, each running the
%%% application (and so a pool `viva_tensor_pool' joined to pg).

-define(PEER_TIMEOUT, 20000).

dist_test_() ->
    {setup, fun dist_setup/0, fun dist_cleanup/1,
     fun(Ctx) ->
         {inorder,
          [{"peers' pools are found through pg", {timeout, 30, fun() -> pools_found(Ctx) end}},
           {"map over 3 nodes = local map, all nodes used", {timeout, 30, fun() -> spread(Ctx) end}},
           {"nodes => [Node] restricts the pools used", {timeout, 30, fun() -> restricted(Ctx) end}},
           {"submit/await on a remote pool", {timeout, 30, fun() -> remote_submit(Ctx) end}},
           {"remote crash and timeout come back as errors", {timeout, 30, fun() -> remote_errors(Ctx) end}},
           {"tensors cross nodes as tensors (portable codec)", {timeout, 30, fun() -> tensors_cross(Ctx) end}},
           {"a peer dying mid-batch fails only its items", {timeout, 30, fun() -> node_down(Ctx) end}}]}
     end}.

dist_setup() ->
    Apps = setup(),
    WasAlive = is_alive(),
    WasAlive orelse begin
        _ = os:cmd("epmd -daemon"),
        Name = list_to_atom("pool_test_" ++ os:getpid() ++ "@127.0.0.1"),
        {ok, _} = net_kernel:start([Name, longnames])
    end,
    OwnPaths = [P || P <- code:get_path(), not lists:prefix(code:lib_dir(), P), P =/= "."],
    Cookie = atom_to_list(erlang:get_cookie()),
    Peers = [start_peer(I, OwnPaths, Cookie) || I <- [1, 2]],
    #{apps => Apps, was_alive => WasAlive, peers => Peers}.

start_peer(I, Paths, Cookie) ->
    Name = list_to_atom("pool_peer" ++ integer_to_list(I) ++ "_" ++ os:getpid()),
    {ok, Peer, Node} = peer:start(#{name => Name, host => "127.0.0.1", longnames => true,
                                   wait_boot => ?PEER_TIMEOUT,
                                   args => ["-setcookie", Cookie, "-pa" | Paths]}),
    ok = erpc:call(Node, application, load, [viva_tensor], ?PEER_TIMEOUT),
    ok = erpc:call(Node, application, set_env, [viva_tensor, pool_size, 2], ?PEER_TIMEOUT),
    {ok, _} = erpc:call(Node, application, ensure_all_started, [viva_tensor], ?PEER_TIMEOUT),
    {Peer, Node}.

dist_cleanup(#{apps := Apps, was_alive := WasAlive, peers := Peers}) ->
    [catch peer:stop(Peer) || {Peer, _} <- Peers],
    WasAlive orelse net_kernel:stop(),
    cleanup(Apps).

members() ->
    pg:get_members(viva_tensor_pg, {viva_tensor_pool, ?POOL}).

pools_found(#{peers := Peers}) ->
    Nodes = lists:sort([node() | [N || {_, N} <- Peers]]),
    ?assert(wait_until(fun() -> lists:usort([node(P) || P <- members()]) =:= Nodes end, 5000)).

spread(_Ctx) ->
    Items = lists:seq(1, 120),
    Local = viva_tensor_pool:map(fun ?MODULE:double/1, Items),
    ?assertEqual(Local, viva_tensor_pool:map(fun ?MODULE:double/1, Items, #{nodes => all})),
    %% Slow items and a small window: every pool gets some.
    Res = viva_tensor_pool:map(fun ?MODULE:slow_node_item/1, lists:seq(1, 30),
                               #{nodes => all, window => 2}),
    ?assertEqual(lists:seq(1, 30), [X || {ok, {_, X}} <- Res]),
    ?assertEqual(3, length(lists:usort([N || {ok, {N, _}} <- Res]))),
    %% Closures of this (loaded everywhere) module work too, as do MFAs.
    K = 7,
    ?assertEqual([{ok, X + K} || X <- Items],
                 viva_tensor_pool:map(fun(X) -> X + K end, Items, #{nodes => all})),
    ?assertEqual({ok, [X + 1 || X <- Items]},
                 viva_tensor_pool:map_tensor_op({?MODULE, add, [1]}, Items, #{nodes => all})),
    ?assertEqual(0, mailbox_len()).

restricted(#{peers := [{_, Node1} | _]}) ->
    Res = viva_tensor_pool:map(fun ?MODULE:node_item/1, lists:seq(1, 40),
                               #{nodes => [Node1], window => 2}),
    ?assertEqual([{ok, {Node1, X}} || X <- lists:seq(1, 40)], Res),
    Res2 = viva_tensor_pool:map(fun ?MODULE:node_item/1, [1, 2], #{nodes => [node()]}),
    ?assertEqual([{ok, {node(), 1}}, {ok, {node(), 2}}], Res2).

remote_submit(#{peers := [{_, Node1} | _]}) ->
    {ok, Ref} = viva_tensor_pool:submit({?POOL, Node1}, {?MODULE, node_item, [x]}, #{}),
    ?assertEqual({ok, {Node1, x}}, viva_tensor_pool:await(Ref, 5000)),
    ?assertMatch(#{node := Node1, completed := N} when N > 0,
                 viva_tensor_pool:stats({?POOL, Node1})).

remote_errors(#{peers := [_, {_, Node2}]}) ->
    F = fun(crash) -> exit(remote_crash); (hang) -> timer:sleep(infinity); (X) -> X end,
    Res = viva_tensor_pool:map(F, [1, crash, hang, 2], #{nodes => [Node2], timeout => 100}),
    ?assertEqual([{ok, 1}, {error, {worker_crashed, remote_crash}}, {error, timeout}, {ok, 2}],
                 Res).

node_down(#{peers := [_, {_, Node2}]}) ->
    Self = self(),
    Runner = spawn_link(fun() ->
        Res = viva_tensor_pool:map(fun ?MODULE:slow_node_item/1, lists:seq(1, 120),
                                   #{nodes => all, window => 4}),
        Self ! {done, Res}
    end),
    timer:sleep(150),
    erpc:cast(Node2, erlang, halt, []),
    T0 = erlang:monotonic_time(millisecond),
    Res = receive {done, R} -> R after 15000 -> exit(Runner, kill), error(map_hung) end,
    ?assert(erlang:monotonic_time(millisecond) - T0 < 10000),
    ?assertEqual(120, length(Res)),
    Indexed = lists:zip(lists:seq(1, 120), Res),
    Down = [I || {I, {error, {node_down, N}}} <- Indexed, N =:= Node2],
    Ok = [I || {I, {ok, {_, X}}} <- Indexed, I =:= X],
    %% Only the dead node's in-flight items failed (at most its window);
    %% everything else completed, in order, on the survivors.
    ?assert(length(Down) >= 1 andalso length(Down) =< 4),
    ?assertEqual(lists:seq(1, 120), lists:sort(Down ++ Ok)),
    ?assert(wait_until(fun() -> not lists:member(Node2, [node(P) || P <- members()]) end, 5000)).

tensors_cross(#{peers := Peers}) ->
    Nodes = [node() | [N || {_, N} <- Peers]],
    Stub = case code:which(vtensor) of
        non_existing ->
            Beam = viva_tensor_portable_tests:stub_vtensor_beam(),
            [{module, vtensor} = erpc:call(N, code, load_binary, [vtensor, "vtensor_stub", Beam])
             || N <- Nodes],
            true;
        _ ->
            false
    end,
    try
        Ts = [begin {ok, T} = vtensor:from_binary(<<(float(I)):32/float-native>>, f32, [1]), T end
              || I <- lists:seq(1, 30)],
        Res = viva_tensor_pool:map(fun ?MODULE:tensor_double/1, Ts, #{nodes => all, window => 2}),
        ?assertEqual(30, length([x || {ok, _} <- Res])),
        ?assert(length(lists:usort([N || {ok, {N, _}} <- Res])) > 1),
        ?assertEqual([{ok, <<(2.0 * I):32/float-native>>} || I <- lists:seq(1, 30)],
                     [vtensor:to_binary(T) || {ok, {_, T}} <- Res])
    after
        Stub andalso [erpc:call(N, viva_tensor_portable_tests, remove_stub, [stub]) || N <- Nodes]
    end.

%% quantize_many: the named batch op for quantizing, all or nothing.
quantize_many_test_() ->
    {setup,
     fun() -> {ok, _} = application:ensure_all_started(viva_tensor) end,
     fun(_) -> ok end,
     fun() ->
         Ts = [begin {ok, T} = vtensor:random_normal([64, 64], S), T end || S <- lists:seq(1, 5)],
         {ok, Qs} = viva_tensor_pool:quantize_many(Ts, q4_0, #{timeout => 10000}),
         ?assertEqual(5, length(Qs)),
         %% same bytes as quantizing in this process
         [begin
              {ok, Local} = vquant:quantize(T, q4_0),
              ?assertEqual(vquant:to_binary(Local), vquant:to_binary(Q))
          end || {T, Q} <- lists:zip(Ts, Qs)],
         {ok, Bad} = vtensor:from_list([1.0, nan], [2], f32),
         ?assertMatch({error, [{2, {non_finite, _}}]},
                      viva_tensor_pool:quantize_many([hd(Ts), Bad], nf4, #{})),
         ?assertMatch({error, [{1, {invalid_argument, _}}]},
                      viva_tensor_pool:quantize_many([hd(Ts)], not_a_format, #{}))
     end}.
