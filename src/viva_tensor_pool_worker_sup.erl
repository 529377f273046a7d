%% @doc Supervisor of the workers of one pool.
%%
%% Workers are `temporary' children of a `simple_one_for_one' supervisor: the
%% pool manager asks this supervisor for a replacement whenever a worker dies
%% (crashed job, killed for a timeout, cancelled). Replacement is driven by the
%% manager rather than by restart intensity, so a flood of crashing jobs
%% cannot exhaust the intensity and take the pool down; the supervisor still
%% owns the workers and kills them (`brutal_kill': a worker may be deep in a
%% long computation and holds nothing to clean up) when the pool stops.
-module(viva_tensor_pool_worker_sup).
-behaviour(supervisor).

-export([start_link/0, start_worker/2, init/1]).

-spec start_link() -> {ok, pid()} | ignore | {error, term()}.
start_link() ->
    supervisor:start_link(?MODULE, []).

%% @doc Start one worker serving `Manager'.
-spec start_worker(pid(), pid()) -> {ok, pid()} | {error, term()}.
start_worker(Sup, Manager) ->
    case supervisor:start_child(Sup, [Manager]) of
        {ok, Pid} -> {ok, Pid};
        {ok, Pid, _Info} -> {ok, Pid};
        {error, _} = Error -> Error
    end.

%% @private
-spec init([]) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init([]) ->
    SupFlags = #{strategy => simple_one_for_one, intensity => 1, period => 5},
    Worker = #{
        id => viva_tensor_pool_worker,
        start => {viva_tensor_pool_worker, start_link, []},
        restart => temporary,
        shutdown => brutal_kill,
        type => worker,
        modules => [viva_tensor_pool_worker]
    },
    {ok, {SupFlags, [Worker]}}.
