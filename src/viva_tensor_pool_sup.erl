%% @doc Supervisor of one pool: its worker supervisor and its manager.
%%
%% `one_for_all': the manager holds the only record of which worker runs which
%% job, so if it dies the workers are stopped with it and both restart fresh
%% (callers waiting on that manager see its `DOWN' and get an error instead of
%% hanging). The worker supervisor is started first; the manager finds it
%% among its siblings once this supervisor has finished starting.
-module(viva_tensor_pool_sup).
-behaviour(supervisor).

-export([start_link/2, init/1]).

-spec start_link(atom(), map()) -> {ok, pid()} | ignore | {error, term()}.
start_link(Name, Opts) ->
    supervisor:start_link(?MODULE, {Name, Opts}).

%% @private
-spec init({atom(), map()}) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init({Name, Opts}) ->
    SupFlags = #{strategy => one_for_all, intensity => 5, period => 10},
    Workers = #{
        id => workers,
        start => {viva_tensor_pool_worker_sup, start_link, []},
        restart => permanent,
        shutdown => infinity,
        type => supervisor,
        modules => [viva_tensor_pool_worker_sup]
    },
    Manager = #{
        id => manager,
        start => {viva_tensor_pool_manager, start_link, [Name, self(), Opts]},
        restart => permanent,
        shutdown => 5000,
        type => worker,
        modules => [viva_tensor_pool_manager]
    },
    {ok, {SupFlags, [Workers, Manager]}}.
