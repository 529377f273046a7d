%% @doc The manager of one pool: bounded queue, dispatch, deadlines, monitors.
%%
%% One `gen_server' per pool, registered under the pool's name and joined to
%% the pg group of that name so pools on other nodes can find it. It holds:
%% <ul>
%% <li>the idle workers and, for each busy worker, the job it runs and that
%%     job's deadline;</li>
%% <li>a FIFO of admitted jobs waiting for a worker, bounded by `queue_limit';
%%     jobs past the bound are refused (`{ok, 0}') or, when the submitter asked
%%     to block, the submitter is parked until room frees or its block deadline
%%     passes;</li>
%% <li>one monitor per caller that has jobs here: when a caller dies its
%%     queued jobs are dropped and the workers running its jobs are stopped
%%     and replaced;</li>
%% <li>plain integer counters for {@link viva_tensor_pool:stats/1}.</li>
%% </ul>
%%
%% A job's deadline counts from the moment a worker starts it (time spent
%% queued is not counted). Past it the caller gets `{error, timeout}' and the
%% worker is stopped and replaced. Rather than one timer per job, the
%% manager keeps a single timer armed for the earliest deadline of the busy
%% workers; when it fires it expires what is due (a scan of the busy workers,
%% O(pool size)) and re-arms for the next one. A worker is stopped with the exit signal
%% `{shutdown, Why}' (which the worker supervisor does not log) and, if it is
%% still alive `?KILL_GRACE' ms later (a job may have made it trap exits),
%% with `kill'. Its replacement is started at once, so the pool stays at full
%% strength meanwhile.
%%
%% Everything the manager does per message is O(1) or O(pool size), except
%% dropping queued jobs on cancellation or caller death, which filters the
%% queue once (O(queue length), which is bounded).
-module(viva_tensor_pool_manager).
-behaviour(gen_server).

-export([start_link/3]).
-export([init/1, handle_continue/2, handle_call/3, handle_cast/2, handle_info/2]).

-include("viva_tensor_pool.hrl").

-define(KILL_GRACE, 200).

-record(run, {
    id :: reference(),
    caller :: pid(),
    deadline :: integer() | infinity
}).

-record(st, {
    name :: atom(),
    sup :: pid(),
    wsup :: pid() | undefined,
    size :: pos_integer(),
    limit :: non_neg_integer(),
    idle = [] :: [pid()],
    nidle = 0 :: non_neg_integer(),
    busy = #{} :: #{pid() => #run{}},
    tick :: {reference(), integer()} | undefined,
    wmons = #{} :: #{reference() => pid()},
    dying = #{} :: #{pid() => reference()},
    queue = queue:new() :: queue:queue(#job{}),
    qlen = 0 :: non_neg_integer(),
    parked = [] :: [{gen_server:from(), [#job{}], reference()}],
    callers = #{} :: #{pid() => {reference(), pos_integer()}},
    completed = 0 :: non_neg_integer(),
    timed_out = 0 :: non_neg_integer(),
    crashed = 0 :: non_neg_integer(),
    cancelled = 0 :: non_neg_integer(),
    rejected = 0 :: non_neg_integer()
}).

-type state() :: #st{}.

%% @doc Start the manager of pool `Name' under the pool supervisor `Sup'.
%% Options: `size' (workers, default the number of schedulers) and
%% `queue_limit' (jobs allowed to wait for a worker, default 10000).
-spec start_link(atom(), pid(), map()) -> {ok, pid()} | {error, term()}.
start_link(Name, Sup, Opts) ->
    gen_server:start_link({local, Name}, ?MODULE, {Name, Sup, Opts}, []).

%% @private
-spec init({atom(), pid(), map()}) -> {ok, state(), {continue, start_workers}}.
init({Name, Sup, Opts}) ->
    Size = maps:get(size, Opts, erlang:system_info(schedulers)),
    Limit = maps:get(queue_limit, Opts, 10000),
    true = is_integer(Size) andalso Size > 0,
    true = is_integer(Limit) andalso Limit >= 0,
    case whereis(?PG_SCOPE) of
        undefined -> ok;
        _ -> ok = pg:join(?PG_SCOPE, ?PG_GROUP(Name), self())
    end,
    {ok, #st{name = Name, sup = Sup, size = Size, limit = Limit}, {continue, start_workers}}.

%% @private
%% The pool supervisor is still inside its own start when init/1 runs, so the
%% worker supervisor is looked up here, once init/1 has returned.
-spec handle_continue(start_workers, state()) -> {noreply, state()}.
handle_continue(start_workers, S = #st{sup = Sup, size = Size}) ->
    [WSup] = [P || {workers, P, _, _} <- supervisor:which_children(Sup), is_pid(P)],
    S1 = lists:foldl(fun(_, Acc) -> add_worker(Acc) end, S#st{wsup = WSup}, lists:seq(1, Size)),
    {noreply, S1}.

%% @private
-spec handle_call(term(), gen_server:from(), state()) ->
    {reply, term(), state()} | {noreply, state()}.
handle_call({submit, Jobs, Block}, From = {Caller, _}, S) ->
    Jobs1 = [J#job{caller = Caller} || J <- Jobs],
    case capacity(S) of
        0 when is_integer(Block), Block > 0 ->
            TRef = erlang:start_timer(Block, self(), {unpark, From}),
            {noreply, S#st{parked = S#st.parked ++ [{From, Jobs1, TRef}]}};
        0 ->
            {reply, {ok, 0, self()}, S#st{rejected = S#st.rejected + length(Jobs)}};
        Cap ->
            {N, S1} = admit(Jobs1, Cap, S),
            {reply, {ok, N, self()}, dispatch(S1)}
    end;
handle_call(size, _From, S) ->
    {reply, S#st.size, S};
handle_call(stats, _From, S) ->
    {reply, stats_map(S), S};
handle_call(_Other, _From, S) ->
    {reply, {error, badcall}, S}.

%% @private
-spec handle_cast(term(), state()) -> {noreply, state()}.
handle_cast({cancel, Id}, S) ->
    {noreply, dispatch(cancel(Id, S))};
handle_cast(_Other, S) ->
    {noreply, S}.

%% @private
-spec handle_info(term(), state()) -> {noreply, state()}.
handle_info({done, W}, S = #st{busy = Busy}) ->
    case Busy of
        #{W := Run} ->
            S1 = end_job(W, Run, S),
            S2 = S1#st{idle = [W | S1#st.idle], nidle = S1#st.nidle + 1,
                       completed = S1#st.completed + 1},
            {noreply, dispatch(S2)};
        #{} ->
            %% A worker we already stopped (timeout, cancel) finished anyway.
            {noreply, S}
    end;
handle_info({timeout, TRef, tick}, S = #st{tick = {TRef, _}}) ->
    {noreply, dispatch(expire(S#st{tick = undefined}))};
handle_info({timeout, TRef, {kill_worker, W}}, S = #st{dying = Dying}) ->
    case Dying of
        #{W := TRef} -> exit(W, kill);
        #{} -> ok
    end,
    {noreply, S};
handle_info({timeout, TRef, {unpark, From}}, S = #st{parked = Parked}) ->
    case lists:keytake(From, 1, Parked) of
        {value, {From, Jobs, TRef}, Rest} ->
            gen_server:reply(From, {ok, 0, self()}),
            {noreply, S#st{parked = Rest, rejected = S#st.rejected + length(Jobs)}};
        _ ->
            {noreply, S}
    end;
handle_info({'DOWN', MRef, process, Pid, Reason}, S) ->
    S1 = case S#st.wmons of
        #{MRef := Pid} -> worker_down(Pid, Reason, S#st{wmons = maps:remove(MRef, S#st.wmons)});
        #{} -> S
    end,
    S2 = case S1#st.callers of
        #{Pid := {MRef, _}} -> caller_down(Pid, S1);
        #{} -> S1
    end,
    {noreply, dispatch(S2)};
handle_info(_Other, S) ->
    {noreply, S}.

%%% Admission and dispatch

%% Jobs that can be taken now: one per idle worker plus the free queue slots.
%% The queue is only non-empty when no worker is idle.
-spec capacity(state()) -> non_neg_integer().
capacity(#st{nidle = NIdle, limit = Limit, qlen = QLen}) ->
    max(0, NIdle + Limit - QLen).

%% Queue as many of `Jobs' (all from one caller) as `Cap' allows.
-spec admit([#job{}], pos_integer(), state()) -> {non_neg_integer(), state()}.
admit([], _Cap, S) ->
    {0, S};
admit(Jobs = [#job{caller = Caller} | _], Cap, S) ->
    {N, S1} = admit(Jobs, Cap, 0, S),
    {N, S1#st{callers = add_caller(Caller, N, S1#st.callers)}}.

-spec admit([#job{}], non_neg_integer(), non_neg_integer(), state()) ->
    {non_neg_integer(), state()}.
admit([], _Cap, N, S) ->
    {N, S};
admit(Rest, 0, N, S) ->
    {N, S#st{rejected = S#st.rejected + length(Rest)}};
admit([J | Rest], Cap, N, S) ->
    admit(Rest, Cap - 1, N + 1, S#st{queue = queue:in(J, S#st.queue), qlen = S#st.qlen + 1}).

-spec dispatch(state()) -> state().
dispatch(S = #st{idle = [W | Idle], qlen = QLen}) when QLen > 0 ->
    {{value, Job}, Queue} = queue:out(S#st.queue),
    S1 = S#st{idle = Idle, nidle = S#st.nidle - 1, queue = Queue, qlen = QLen - 1},
    dispatch(start_job(W, Job, S1));
dispatch(S = #st{parked = [{From, Jobs, TRef} | Parked]}) ->
    case capacity(S) of
        0 ->
            S;
        Cap ->
            cancel_timer(TRef),
            {N, S1} = admit(Jobs, Cap, S#st{parked = Parked}),
            gen_server:reply(From, {ok, N, self()}),
            dispatch(S1)
    end;
dispatch(S) ->
    S.

-spec start_job(pid(), #job{}, state()) -> state().
start_job(W, #job{id = Id, caller = Caller, fn = Fn, args = Args, timeout = Timeout}, S) ->
    W ! {run, Id, Fn, Args},
    Deadline = case Timeout of
        infinity -> infinity;
        _ -> erlang:monotonic_time(millisecond) + Timeout
    end,
    arm(Deadline, S#st{busy = (S#st.busy)#{W => #run{id = Id, caller = Caller,
                                                     deadline = Deadline}}}).

%%% Deadlines

%% Make sure the tick fires no later than `Deadline'.
-spec arm(integer() | infinity, state()) -> state().
arm(infinity, S) ->
    S;
arm(Deadline, S = #st{tick = {_, Armed}}) when Armed =< Deadline ->
    S;
arm(Deadline, S = #st{tick = Tick}) ->
    case Tick of
        {Old, _} -> cancel_timer(Old);
        undefined -> ok
    end,
    TRef = erlang:start_timer(Deadline, self(), tick, [{abs, true}]),
    S#st{tick = {TRef, Deadline}}.

%% Time out every busy worker whose deadline has passed; re-arm the tick for
%% the earliest remaining deadline.
-spec expire(state()) -> state().
expire(S) ->
    Now = erlang:monotonic_time(millisecond),
    Due = [{W, Run} || {W, Run = #run{deadline = D}} <- maps:to_list(S#st.busy),
                       D =/= infinity, D =< Now],
    S1 = lists:foldl(
        fun({W, Run}, Acc) ->
            send_result(Run#run.id, {error, timeout}),
            Acc1 = retire(W, timeout, end_job(W, Run, Acc)),
            Acc1#st{timed_out = Acc1#st.timed_out + 1}
        end, S, Due),
    maps:fold(fun(_W, #run{deadline = D}, Acc) -> arm(D, Acc) end, S1, S1#st.busy).

%% Forget the job `Run' that worker `W' was running.
-spec end_job(pid(), #run{}, state()) -> state().
end_job(W, #run{caller = Caller}, S) ->
    S#st{busy = maps:remove(W, S#st.busy), callers = drop_caller(Caller, 1, S#st.callers)}.

%%% Cancellation

-spec cancel(reference(), state()) -> state().
cancel(Id, S = #st{busy = Busy}) ->
    case [{W, Run} || {W, Run = #run{id = I}} <- maps:to_list(Busy), I =:= Id] of
        [{W, Run}] ->
            S1 = retire(W, cancelled, end_job(W, Run, S)),
            S1#st{cancelled = S1#st.cancelled + 1};
        [] ->
            drop_queued(fun(#job{id = I}) -> I =:= Id end, S)
    end.

%% Remove the queued jobs matching `Pred'; one pass over the queue.
-spec drop_queued(fun((#job{}) -> boolean()), state()) -> state().
drop_queued(Pred, S = #st{qlen = 0}) when is_function(Pred) ->
    S;
drop_queued(Pred, S) ->
    {Keep, Drop} = lists:partition(fun(J) -> not Pred(J) end, queue:to_list(S#st.queue)),
    Callers = lists:foldl(fun(#job{caller = C}, Acc) -> drop_caller(C, 1, Acc) end,
                          S#st.callers, Drop),
    N = length(Drop),
    S#st{queue = queue:from_list(Keep), qlen = S#st.qlen - N, callers = Callers,
         cancelled = S#st.cancelled + N}.

%%% Workers

-spec add_worker(state()) -> state().
add_worker(S = #st{wsup = WSup}) ->
    {ok, W} = viva_tensor_pool_worker_sup:start_worker(WSup, self()),
    MRef = erlang:monitor(process, W),
    S#st{idle = [W | S#st.idle], nidle = S#st.nidle + 1, wmons = (S#st.wmons)#{MRef => W}}.

%% Stop worker `W' (no longer in `busy') and start its replacement.
-spec retire(pid(), timeout | cancelled, state()) -> state().
retire(W, Why, S) ->
    exit(W, {shutdown, Why}),
    KRef = erlang:start_timer(?KILL_GRACE, self(), {kill_worker, W}),
    add_worker(S#st{dying = (S#st.dying)#{W => KRef}}).

-spec worker_down(pid(), term(), state()) -> state().
worker_down(W, Reason, S = #st{dying = Dying, busy = Busy}) ->
    case {Dying, Busy} of
        {#{W := KRef}, _} ->
            cancel_timer(KRef),
            S#st{dying = maps:remove(W, Dying)};
        {_, #{W := Run}} ->
            send_result(Run#run.id, {error, {worker_crashed, crash_reason(Reason)}}),
            S1 = end_job(W, Run, S),
            add_worker(S1#st{crashed = S1#st.crashed + 1});
        _ ->
            %% An idle worker was killed from outside.
            add_worker(S#st{idle = lists:delete(W, S#st.idle), nidle = S#st.nidle - 1})
    end.

-spec crash_reason(term()) -> term().
crash_reason({shutdown, {job_crashed, Reason}}) -> Reason;
crash_reason(Reason) -> Reason.

%%% Callers

-spec add_caller(pid(), non_neg_integer(), #{pid() => {reference(), pos_integer()}}) ->
    #{pid() => {reference(), pos_integer()}}.
add_caller(_Pid, 0, Callers) ->
    Callers;
add_caller(Pid, K, Callers) ->
    case Callers of
        #{Pid := {MRef, N}} -> Callers#{Pid := {MRef, N + K}};
        #{} -> Callers#{Pid => {erlang:monitor(process, Pid), K}}
    end.

-spec drop_caller(pid(), pos_integer(), #{pid() => {reference(), pos_integer()}}) ->
    #{pid() => {reference(), pos_integer()}}.
drop_caller(Pid, K, Callers) ->
    case Callers of
        #{Pid := {MRef, N}} when N =< K ->
            erlang:demonitor(MRef, [flush]),
            maps:remove(Pid, Callers);
        #{Pid := {MRef, N}} ->
            Callers#{Pid := {MRef, N - K}};
        #{} ->
            Callers
    end.

%% The caller died: drop its queued jobs, stop the workers running its jobs,
%% forget its parked submissions.
-spec caller_down(pid(), state()) -> state().
caller_down(Pid, S) ->
    S1 = drop_queued(fun(#job{caller = C}) -> C =:= Pid end, S),
    Mine = [{W, Run} || {W, Run = #run{caller = C}} <- maps:to_list(S1#st.busy), C =:= Pid],
    S2 = lists:foldl(
        fun({W, Run}, Acc) ->
            Acc1 = retire(W, cancelled, end_job(W, Run, Acc)),
            Acc1#st{cancelled = Acc1#st.cancelled + 1}
        end,
        S1, Mine),
    {Gone, Parked} = lists:partition(fun({{P, _}, _, _}) -> P =:= Pid end, S2#st.parked),
    [cancel_timer(TRef) || {_, _, TRef} <- Gone],
    S2#st{parked = Parked, callers = maps:remove(Pid, S2#st.callers)}.

%%% Helpers

-spec send_result(reference(), viva_tensor_pool:result()) -> ok.
send_result(Id, Result) ->
    Msg = case node(Id) =:= node() of
        true -> Result;
        false -> viva_tensor_portable:encode(Result)
    end,
    Id ! ?RESULT(Id, Msg),
    ok.

-spec cancel_timer(reference()) -> ok.
cancel_timer(TRef) -> erlang:cancel_timer(TRef, [{async, true}, {info, false}]), ok.

-spec stats_map(state()) -> map().
stats_map(S) ->
    #{name => S#st.name,
      node => node(),
      size => S#st.size,
      queue_limit => S#st.limit,
      queue_len => S#st.qlen,
      busy => map_size(S#st.busy),
      idle => S#st.nidle,
      completed => S#st.completed,
      failed => S#st.timed_out + S#st.crashed + S#st.cancelled,
      timed_out => S#st.timed_out,
      crashed => S#st.crashed,
      cancelled => S#st.cancelled,
      rejected => S#st.rejected}.
