%% @doc Worker pool of viva_tensor: run functions on a bounded set of worker
%% processes, locally or on the pools of connected nodes.
%%
%% Starting the `viva_tensor' application starts the default pool,
%% `viva_tensor_pool', with `pool_size' workers (application env, default
%% `erlang:system_info(schedulers)') and a queue of at most `pool_queue_limit'
%% waiting jobs (default 10000). More pools: {@link start_pool/2} (under the
%% application's supervisor) or {@link start_link/2} / {@link child_spec/2}
%% (under your own).
%%
%% <h3>Results</h3>
%% Every job ends in exactly one result, `{ok, Value}' (the function returned
%% `Value', whatever it is) or `{error, Reason}':
%% <ul>
%% <li>`timeout': the job ran longer than its `timeout' (ms, counted from the
%%     moment a worker started it, default 5000). Its worker is stopped and
%%     replaced.</li>
%% <li>`{worker_crashed, R}': the function raised (`R' is the exit reason an
%%     uncaught exception would give, e.g. `{badarith, Stack}') or the worker
%%     was killed. The worker is replaced; other jobs are unaffected.</li>
%% <li>`overloaded': the queue was full (see backpressure below).</li>
%% <li>`{node_down, Node}' / `{pool_down, R}': the pool running the job went
%%     away (its node disconnected / its manager died).</li>
%% <li>`{no_pool, Pool}': there is no such pool.</li>
%% </ul>
%%
%% <h3>Backpressure</h3>
%% A pool admits a job when a worker is idle or fewer than `queue_limit' jobs
%% are waiting. Otherwise {@link submit/3} returns `{error, overloaded}' at
%% once, or, with option `{block, Ms}' (`#{block => Ms}'), waits up to `Ms'
%% milliseconds for room, first come first served, before giving up with
%% `{error, overloaded}'. {@link map/3} keeps at most a window of items per
%% pool in flight, so a large input never floods a queue.
%%
%% <h3>Callers that die</h3>
%% Each pool monitors the processes with jobs in it. When one dies, its
%% waiting jobs are dropped and the workers running its jobs are stopped and
%% replaced. A caller that stops waiting ({@link await/2} timing out,
%% {@link cancel/1}) cancels the job the same way.
%%
%% <h3>Distribution</h3>
%% Every pool joins the pg group `{viva_tensor_pool, Name}' of scope
%% `viva_tensor_pg' (started by the application). `map(F, Items, #{nodes =>
%% all})' spreads the items over the pools of that name on all connected
%% nodes, `#{nodes => [Node]}' over those of the listed nodes. Arguments and
%% results crossing nodes go through {@link viva_tensor_portable}, so tensors
%% arrive as tensors. The function itself is sent as it is, so it must exist
%% on the other node: use `fun Mod:Fun/1' or `{Mod, Fun, ExtraArgs}', or a
%% fun defined in a module loaded (same version) on both nodes, and do not
%% capture tensors in a closure (pass them as items or `ExtraArgs').
%%
%% If a node goes down mid-batch, the items that were sent to it and had not
%% answered yet end in `{error, {node_down, Node}}'; they are not retried on
%% another node, because they may already have run there (at most once, never
%% twice); the items not yet sent go to the remaining pools. Nothing waits
%% for the dead node: pools are monitored.
-module(viva_tensor_pool).

-export([start_link/2, child_spec/2, start_pool/2, stop_pool/1]).
-export([submit/1, submit/3, await/2, cancel/1]).
-export([map/2, map/3, map_tensor_op/3, quantize_many/3]).
-export([stats/0, stats/1, default_pool/0]).

-export_type([pool/0, job_ref/0, result/0, task/0, item_fun/0, options/0]).

-include("viva_tensor_pool.hrl").

-define(DEFAULT_POOL, viva_tensor_pool).
-define(DEFAULT_TIMEOUT, 5000).
%% Extra time granted to a call to the manager beyond any block deadline.
-define(CALL_SLACK, 10000).

-type pool() :: atom() | pid() | {atom(), node()}.
%% A pool: its registered name (local), its manager pid, or `{Name, Node}'.
-opaque job_ref() :: {viva_tensor_job, pid(), reference()}.
-type result() :: {ok, term()} | {error, term()}.
-type task() :: fun(() -> term()) | {module(), atom(), [term()]}.
%% What {@link submit/3} runs: a fun of arity 0 or `{M, F, Args}'.
-type item_fun() :: fun((term()) -> term()) | {module(), atom(), [term()]}.
%% What {@link map/3} applies to each item: a fun of arity 1, or
%% `{M, F, Extra}' called as `M:F(Item, Extra...)'.
-type options() :: #{pool => pool(),
                     timeout => timeout(),
                     block => non_neg_integer(),
                     nodes => local | all | [node()],
                     window => pos_integer()}.

%%% Pools

%% @doc Start a pool supervisor for pool `Name' (the manager is registered
%% locally as `Name'). Options: `size' (workers, default the number of
%% schedulers), `queue_limit' (waiting jobs, default 10000).
-spec start_link(atom(), #{size => pos_integer(), queue_limit => non_neg_integer()}) ->
    {ok, pid()} | ignore | {error, term()}.
start_link(Name, Opts) when is_atom(Name), is_map(Opts) ->
    viva_tensor_pool_sup:start_link(Name, Opts).

%% @doc A child spec for pool `Name', to put a pool under your supervisor.
-spec child_spec(atom(), map()) -> supervisor:child_spec().
child_spec(Name, Opts) ->
    #{id => {?MODULE, Name},
      start => {?MODULE, start_link, [Name, Opts]},
      restart => permanent,
      shutdown => infinity,
      type => supervisor,
      modules => [viva_tensor_pool_sup]}.

%% @doc Start pool `Name' under the application's supervisor
%% (`viva_tensor_sup', which must be running).
-spec start_pool(atom(), map()) -> {ok, pid()} | {error, term()}.
start_pool(Name, Opts) ->
    case supervisor:start_child(viva_tensor_sup, child_spec(Name, Opts)) of
        {ok, Pid} -> {ok, Pid};
        {ok, Pid, _} -> {ok, Pid};
        {error, _} = Error -> Error
    end.

%% @doc Stop a pool started with {@link start_pool/2}. Its callers' pending
%% jobs end in `{error, {pool_down, shutdown}}'.
-spec stop_pool(atom()) -> ok | {error, not_found}.
stop_pool(Name) ->
    case supervisor:terminate_child(viva_tensor_sup, {?MODULE, Name}) of
        ok -> supervisor:delete_child(viva_tensor_sup, {?MODULE, Name});
        {error, _} = Error -> Error
    end.

%% @doc The name of the pool the application starts.
-spec default_pool() -> atom().
default_pool() ->
    ?DEFAULT_POOL.

%%% Single jobs

%% @doc Submit `Task' to the default pool, see {@link submit/3}.
-spec submit(task()) -> {ok, job_ref()} | {error, term()}.
submit(Task) ->
    submit(?DEFAULT_POOL, Task, #{}).

%% @doc Submit `Task' to `Pool'; collect its result with {@link await/2}.
%%
%% Options: `timeout' (ms the job may run once started, default 5000, or
%% `infinity'), `block' (ms to wait for room in a full queue, default 0:
%% return `{error, overloaded}' at once). Also accepts a proplist.
%% The result is delivered as a message to the calling process; only that
%% process may await it.
-spec submit(pool(), task(), options() | list()) -> {ok, job_ref()} | {error, term()}.
submit(Pool, Task, Opts) when is_list(Opts) ->
    submit(Pool, Task, maps:from_list(proplists:unfold(Opts)));
submit(Pool, Task, Opts) ->
    Timeout = maps:get(timeout, Opts, ?DEFAULT_TIMEOUT),
    Block = maps:get(block, Opts, 0),
    {Fn, Args} = task(Task),
    Remote = pool_node(Pool) =/= node(),
    Id = erlang:alias([reply]),
    Job = #job{id = Id, fn = Fn, args = encode_args(Remote, Args), timeout = Timeout},
    case call(Pool, {submit, [Job], Block}, Block) of
        {ok, 1, Manager} ->
            {ok, {viva_tensor_job, Manager, Id}};
        {ok, 0, _} ->
            erlang:unalias(Id),
            {error, overloaded};
        {error, _} = Error ->
            erlang:unalias(Id),
            Error
    end.

%% @doc Wait up to `Timeout' ms for the result of a submitted job.
%%
%% `{error, timeout}' here means the caller stopped waiting: the job is then
%% cancelled (as by {@link cancel/1}) so nothing is left running or queued
%% for it, and no late message reaches the caller. Await a job once.
-spec await(job_ref(), timeout()) -> result().
await({viva_tensor_job, Manager, Id} = Ref, Timeout) ->
    MRef = erlang:monitor(process, Manager),
    receive
        ?RESULT(Id, Result) ->
            erlang:demonitor(MRef, [flush]),
            decode_result(Manager, Result);
        {'DOWN', MRef, process, _, Reason} ->
            erlang:unalias(Id),
            receive
                ?RESULT(Id, Result) -> decode_result(Manager, Result)
            after 0 ->
                {error, down_reason(Manager, Reason)}
            end
    after Timeout ->
        erlang:demonitor(MRef, [flush]),
        case cancel(Ref) of
            {done, Result} -> Result;
            ok -> {error, timeout}
        end
    end.

%% @doc Cancel a submitted job: dropped if still queued, its worker stopped
%% and replaced if running. Returns `{done, Result}' instead when the result
%% had already arrived (it is taken out of the mailbox).
-spec cancel(job_ref()) -> ok | {done, result()}.
cancel({viva_tensor_job, Manager, Id}) ->
    gen_server:cast(Manager, {cancel, Id}),
    erlang:unalias(Id),
    receive
        ?RESULT(Id, Result) -> {done, decode_result(Manager, Result)}
    after 0 ->
        ok
    end.

%%% Batches

%% @doc `map(Fun, Items, #{})'.
-spec map(item_fun(), [term()]) -> [result()].
map(Fun, Items) ->
    map(Fun, Items, #{}).

%% @doc Apply `Fun' to every item on the pool's workers; the results come
%% back in the order of `Items', one `{ok, V}' or `{error, Reason}' each.
%%
%% Options (map or proplist):
%% <ul>
%% <li>`pool': pool name or pid (default `viva_tensor_pool');</li>
%% <li>`timeout': per item, ms from its start (default 5000);</li>
%% <li>`nodes': `local' (default), `all' (the pools named `pool' on every
%%     connected node that runs one, this node included), or a node list;</li>
%% <li>`window': items in flight per pool (default 4 x its size, at least 8);</li>
%% <li>`block': ms to wait for room when every pool is full and none of this
%%     batch's items are in flight (default 5000); after that the remaining
%%     items end in `{error, overloaded}'.</li>
%% </ul>
%% Raises `{no_pool, Pool}' if no pool matches.
-spec map(item_fun(), [term()], options() | list()) -> [result()].
map(Fun, Items, Opts) when is_list(Opts) ->
    map(Fun, Items, maps:from_list(proplists:unfold(Opts)));
map(Fun, Items, Opts) ->
    viva_tensor_pool_map:run(Fun, Items, Opts).

%% @doc Apply one tensor operation to many tensors, all or nothing.
%%
%% `Op' is a fun of arity 1 or `{M, F, Extra}' (called `M:F(T, Extra...)',
%% which also works across nodes). Returns `{ok, Results}' in input order if
%% every item succeeded, else `{error, Failures}' listing `{Index, Reason}'
%% (1-based) of every failed item. Options as for {@link map/3}.
-spec map_tensor_op(item_fun(), [term()], options() | list()) ->
    {ok, [term()]} | {error, [{pos_integer(), term()}]}.
map_tensor_op(Op, Tensors, Opts) ->
    Results = map(Op, Tensors, Opts),
    Failures = [{I, R} || {I, {error, R}} <- lists:zip(lists:seq(1, length(Results)), Results)],
    case Failures of
        [] -> {ok, [V || {ok, V} <- Results]};
        _ -> {error, Failures}
    end.

%% @doc Quantize many tensors on the pool's workers, all or nothing:
%% `{ok, Quantized}' in input order when every tensor quantized, else
%% `{error, Failures}' listing `{Index, Reason}' (1-based) for each tensor
%% that failed, whether the quantizer refused it (`{non_finite, _}', ...)
%% or its job timed out or crashed. `Format' is any {@link vquant:format()};
%% options as for {@link map/3}. Works across nodes (`nodes => all').
-spec quantize_many([vtensor:tensor()], vquant:format(), options() | list()) ->
    {ok, [vquant:quantized()]} | {error, [{pos_integer(), term()}]}.
quantize_many(Tensors, Format, Opts) ->
    Results = map({vquant, quantize, [Format]}, Tensors, Opts),
    Indexed = lists:zip(lists:seq(1, length(Results)), Results),
    Failures = [{I, R} || {I, {error, R}} <- Indexed] ++
        [{I, R} || {I, {ok, {error, R}}} <- Indexed],
    case lists:keysort(1, Failures) of
        [] -> {ok, [Q || {ok, {ok, Q}} <- Results]};
        Sorted -> {error, Sorted}
    end.

%%% Stats

%% @doc {@link stats/1} of the default pool.
-spec stats() -> map().
stats() ->
    stats(?DEFAULT_POOL).

%% @doc Counters of a pool, read from the manager's state in O(1):
%% `queue_len' (jobs waiting), `busy' / `idle' (workers), `size',
%% `queue_limit', and since start: `completed' (returned a value),
%% `timed_out', `crashed', `cancelled' (caller died or cancelled),
%% `failed' (the sum of those three), `rejected' (refused as overloaded).
-spec stats(pool()) -> map().
stats(Pool) ->
    gen_server:call(Pool, stats).

%%% Internal

-spec task(task()) -> {function() | {module(), atom()}, [term()]}.
task(Fun) when is_function(Fun, 0) -> {Fun, []};
task({M, F, A}) when is_atom(M), is_atom(F), is_list(A) -> {{M, F}, A};
task(Other) -> erlang:error({badarg, Other}).

-spec pool_node(pool()) -> node().
pool_node(Pid) when is_pid(Pid) -> node(Pid);
pool_node({Name, Node}) when is_atom(Name), is_atom(Node) -> Node;
pool_node(Name) when is_atom(Name) -> node().

-spec encode_args(boolean(), [term()]) -> term().
encode_args(false, Args) -> Args;
encode_args(true, Args) -> viva_tensor_portable:encode(Args).

-spec decode_result(pid(), term()) -> result().
decode_result(Manager, Result) when node(Manager) =:= node() -> Result;
decode_result(_Manager, Result) -> viva_tensor_portable:decode(Result).

-spec call(pool(), term(), non_neg_integer()) -> term().
call(Pool, Request, Block) ->
    try
        gen_server:call(Pool, Request, Block + ?CALL_SLACK)
    catch
        exit:{Reason, _} -> {error, call_error(Pool, Reason)}
    end.

-spec call_error(pool(), term()) -> term().
call_error(Pool, noproc) -> {no_pool, Pool};
call_error(Pool, {nodedown, Node}) when is_atom(Node) -> call_error(Pool, {node_down, Node});
call_error(_Pool, {node_down, Node}) -> {node_down, Node};
call_error(_Pool, timeout) -> timeout;
call_error(_Pool, Reason) -> {pool_down, Reason}.

-spec down_reason(pid(), term()) -> term().
down_reason(Manager, noconnection) -> {node_down, node(Manager)};
down_reason(_Manager, Reason) -> {pool_down, Reason}.
