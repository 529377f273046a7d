%% @doc The caller side of {@link viva_tensor_pool:map/3}: feeds items to one
%% or more pools through a window and collects results in input order.
%%
%% Runs in the calling process. Each pool gets at most `window' items in
%% flight; when a pool's in-flight count falls to half its window it is sent
%% another batch (one call to its manager for many items), so the faster pool
%% gets more items and a large input never floods any queue. Every pool used
%% is monitored: when one goes away its in-flight items fail with
%% `{node_down, Node}' (connection lost) or `{pool_down, Reason}' and the rest
%% of the batch goes on with the other pools. Each item's result is delivered
%% to its own reply alias, so a result can never be delivered twice nor arrive
%% after the batch is over.
-module(viva_tensor_pool_map).

-export([run/3, pools/2]).

-include("viva_tensor_pool.hrl").

-define(DEFAULT_TIMEOUT, 5000).
-define(DEFAULT_BLOCK, 5000).
-define(CALL_SLACK, 10000).

-record(pool, {
    mref :: reference(),
    remote :: boolean(),
    window :: pos_integer(),
    inflight = 0 :: non_neg_integer()
}).

-record(m, {
    fn :: function() | {module(), atom()},
    extra :: [term()],
    timeout :: timeout(),
    block :: non_neg_integer(),
    pending :: [{pos_integer(), term()}],
    pools :: #{pid() => #pool{}},
    inflight = #{} :: #{reference() => {pos_integer(), pid()}},
    results = #{} :: #{pos_integer() => viva_tensor_pool:result()}
}).

%% @doc Run a batch; see {@link viva_tensor_pool:map/3} for the options.
-spec run(viva_tensor_pool:item_fun(), [term()], map()) -> [viva_tensor_pool:result()].
run(_Fun, [], _Opts) ->
    [];
run(Fun, Items, Opts) ->
    {Fn, Extra} = item_fun(Fun),
    Name = maps:get(pool, Opts, viva_tensor_pool:default_pool()),
    Managers = pools(Name, maps:get(nodes, Opts, local)),
    Pools = maps:from_list(
        [{M, P} || M <- Managers, {ok, P} <- [open_pool(M, maps:get(window, Opts, auto))]]),
    map_size(Pools) > 0 orelse erlang:error({no_pool, Name}),
    N = length(Items),
    M0 = #m{fn = Fn, extra = Extra,
            timeout = maps:get(timeout, Opts, ?DEFAULT_TIMEOUT),
            block = maps:get(block, Opts, ?DEFAULT_BLOCK),
            pending = lists:zip(lists:seq(1, N), Items),
            pools = Pools},
    #m{results = Results, pools = Left} = loop(fill(maps:keys(Pools), M0)),
    [erlang:demonitor(MRef, [flush]) || #pool{mref = MRef} <- maps:values(Left)],
    [maps:get(I, Results) || I <- lists:seq(1, N)].

%% @doc The managers of the pools named `Name' on the given nodes: `local'
%% (this node only), `all' (every node whose pool joined the pg group), or a
%% list of nodes. A pid or `{Name, Node}' designates one pool.
-spec pools(viva_tensor_pool:pool(), local | all | [node()]) -> [pid()].
pools(Pid, _Nodes) when is_pid(Pid) ->
    [Pid];
pools({Name, Node}, _Nodes) when is_atom(Name), is_atom(Node) ->
    case Node =:= node() of
        true -> local(Name);
        false -> [P || P <- members(Name), node(P) =:= Node]
    end;
pools(Name, local) ->
    local(Name);
pools(Name, all) ->
    lists:usort(local(Name) ++ members(Name));
pools(Name, Nodes) when is_list(Nodes) ->
    lists:usort([P || lists:member(node(), Nodes), P <- local(Name)] ++
                [P || P <- members(Name), lists:member(node(P), Nodes)]).

-spec local(atom()) -> [pid()].
local(Name) ->
    case whereis(Name) of
        undefined -> [];
        Pid -> [Pid]
    end.

-spec members(atom()) -> [pid()].
members(Name) ->
    case whereis(?PG_SCOPE) of
        undefined -> [];
        _ -> pg:get_members(?PG_SCOPE, ?PG_GROUP(Name))
    end.

-spec item_fun(viva_tensor_pool:item_fun()) -> {function() | {module(), atom()}, [term()]}.
item_fun(Fun) when is_function(Fun, 1) -> {Fun, []};
item_fun({M, F, Extra}) when is_atom(M), is_atom(F), is_list(Extra) -> {{M, F}, Extra};
item_fun(Other) -> erlang:error({badarg, Other}).

-spec open_pool(pid(), auto | pos_integer()) -> {ok, #pool{}} | error.
open_pool(Manager, Window) ->
    MRef = erlang:monitor(process, Manager),
    W = case Window of
        auto ->
            try gen_server:call(Manager, size, ?CALL_SLACK) of
                Size -> {ok, max(8, 4 * Size)}
            catch
                exit:_ -> error
            end;
        _ when is_integer(Window), Window > 0 ->
            {ok, Window}
    end,
    case W of
        {ok, Win} ->
            {ok, #pool{mref = MRef, remote = node(Manager) =/= node(), window = Win}};
        error ->
            erlang:demonitor(MRef, [flush]),
            error
    end.

%%% The loop

-spec loop(#m{}) -> #m{}.
loop(M = #m{pending = [], inflight = In}) when map_size(In) =:= 0 ->
    M;
loop(M = #m{pools = Pools, pending = Pending, inflight = In}) when map_size(In) =:= 0 ->
    %% Nothing of ours is in flight, yet items remain: every pool refused
    %% (full) or is gone.
    case maps:keys(Pools) of
        [] ->
            finish(Pending, {error, no_pool}, M);
        [Manager | _] ->
            M1 = submit(Manager, M#m.block, M),
            case map_size(M1#m.inflight) =:= 0 andalso is_map_key(Manager, M1#m.pools) of
                true -> finish(M1#m.pending, {error, overloaded}, M1);
                false -> loop(fill(maps:keys(M1#m.pools), M1))
            end
    end;
loop(M = #m{inflight = In, pools = Pools}) ->
    receive
        ?RESULT(Id, Result) when is_map_key(Id, In) ->
            {{Idx, Manager}, In1} = maps:take(Id, In),
            P = #pool{inflight = K, window = W, remote = Remote} = maps:get(Manager, Pools),
            M1 = M#m{inflight = In1,
                     pools = Pools#{Manager := P#pool{inflight = K - 1}},
                     results = (M#m.results)#{Idx => decode(Remote, Result)}},
            case K - 1 =< W div 2 of
                true -> loop(fill([Manager], M1));
                false -> loop(M1)
            end;
        {'DOWN', MRef, process, Manager, Reason} when is_map_key(Manager, Pools) ->
            #pool{mref = MRef} = maps:get(Manager, Pools),
            M1 = pool_down(Manager, down_reason(Manager, Reason), M),
            loop(fill(maps:keys(M1#m.pools), M1))
    end.

%% Top up each listed pool to its window with non-blocking submissions.
-spec fill([pid()], #m{}) -> #m{}.
fill([], M) ->
    M;
fill(_Managers, M = #m{pending = []}) ->
    M;
fill([Manager | Rest], M = #m{pools = Pools}) ->
    case Pools of
        #{Manager := #pool{inflight = K, window = W}} when K < W ->
            fill(Rest, submit(Manager, 0, M));
        #{} ->
            fill(Rest, M)
    end.

%% Send up to the pool's free window of pending items in one call.
-spec submit(pid(), non_neg_integer(), #m{}) -> #m{}.
submit(Manager, Block, M = #m{pools = Pools, pending = Pending}) ->
    P = #pool{inflight = K, window = W, remote = Remote} = maps:get(Manager, Pools),
    {Batch, Later} = split(W - K, Pending),
    Jobs = [#job{id = erlang:alias([reply]), fn = M#m.fn,
                 args = encode(Remote, [Item | M#m.extra]), timeout = M#m.timeout}
            || {_Idx, Item} <- Batch],
    Tagged = lists:zip(Batch, Jobs),
    try gen_server:call(Manager, {submit, Jobs, Block}, Block + ?CALL_SLACK) of
        {ok, N, _} ->
            {Sent, Refused} = lists:split(N, Tagged),
            [erlang:unalias(Id) || {_, #job{id = Id}} <- Refused],
            In = lists:foldl(fun({{Idx, _}, #job{id = Id}}, Acc) -> Acc#{Id => {Idx, Manager}} end,
                             M#m.inflight, Sent),
            M#m{pending = [B || {B, _} <- Refused] ++ Later,
                inflight = In,
                pools = Pools#{Manager := P#pool{inflight = K + N}}}
    catch
        exit:{Reason, _} ->
            %% The pool is unreachable; what was just sent to it fails with
            %% the pool, it is not retried (it may have been admitted).
            [erlang:unalias(Id) || {_, #job{id = Id}} <- Tagged],
            Error = {error, call_reason(Manager, Reason)},
            M1 = lists:foldl(fun({{Idx, _}, _}, Acc) -> put_result(Idx, Error, Acc) end,
                             M#m{pending = Later}, Tagged),
            pool_down(Manager, element(2, Error), M1)
    end.

%% A pool is gone: its in-flight items fail with `Reason'.
-spec pool_down(pid(), term(), #m{}) -> #m{}.
pool_down(Manager, Reason, M = #m{inflight = In, pools = Pools}) ->
    #pool{mref = MRef} = maps:get(Manager, Pools),
    erlang:demonitor(MRef, [flush]),
    {Lost, Kept} = lists:partition(fun({_Id, {_Idx, Mgr}}) -> Mgr =:= Manager end,
                                   maps:to_list(In)),
    [erlang:unalias(Id) || {Id, _} <- Lost],
    M1 = M#m{inflight = maps:from_list(Kept), pools = maps:remove(Manager, Pools)},
    lists:foldl(fun({_Id, {Idx, _}}, Acc) -> put_result(Idx, {error, Reason}, Acc) end, M1, Lost).

-spec finish([{pos_integer(), term()}], viva_tensor_pool:result(), #m{}) -> #m{}.
finish(Items, Result, M) ->
    lists:foldl(fun({Idx, _}, Acc) -> put_result(Idx, Result, Acc) end, M#m{pending = []}, Items).

-spec put_result(pos_integer(), viva_tensor_pool:result(), #m{}) -> #m{}.
put_result(Idx, Result, M = #m{results = R}) ->
    M#m{results = R#{Idx => Result}}.

%% Take at most N elements (lists:split/2 needs the length; pending may be long).
-spec split(non_neg_integer(), [T]) -> {[T], [T]}.
split(N, List) ->
    split(N, List, []).

-spec split(non_neg_integer(), [T], [T]) -> {[T], [T]}.
split(0, Rest, Acc) -> {lists:reverse(Acc), Rest};
split(_N, [], Acc) -> {lists:reverse(Acc), []};
split(N, [X | Rest], Acc) -> split(N - 1, Rest, [X | Acc]).

-spec encode(boolean(), term()) -> term().
encode(false, Term) -> Term;
encode(true, Term) -> viva_tensor_portable:encode(Term).

-spec decode(boolean(), term()) -> term().
decode(false, Term) -> Term;
decode(true, Term) -> viva_tensor_portable:decode(Term).

-spec down_reason(pid(), term()) -> term().
down_reason(Manager, noconnection) -> {node_down, node(Manager)};
down_reason(_Manager, Reason) -> {pool_down, Reason}.

-spec call_reason(pid(), term()) -> term().
call_reason(_Manager, noproc) -> {pool_down, noproc};
call_reason(_Manager, {nodedown, Node}) -> {node_down, Node};
call_reason(Manager, noconnection) -> {node_down, node(Manager)};
call_reason(_Manager, Reason) -> {pool_down, Reason}.
