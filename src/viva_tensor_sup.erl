%% @doc Top supervisor of the viva_tensor application.
%%
%% one_for_one: the long-lived services below it (worker pool, tensor store)
%% are independent of each other, so one crashing must not restart the others.
%%
%% Children, in start order:
%% <ol>
%% <li>the pg scope `viva_tensor_pg', where the pools of all connected nodes
%%     find each other;</li>
%% <li>the default worker pool `viva_tensor_pool' (application env
%%     `pool_size', default the number of schedulers, and `pool_queue_limit',
%%     default 10000).</li>
%% </ol>
%% Pools added with {@link viva_tensor_pool:start_pool/2} also go here.
-module(viva_tensor_sup).
-behaviour(supervisor).

-export([start_link/0, init/1]).

-spec start_link() -> {ok, pid()} | ignore | {error, term()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

-spec init([]) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init([]) ->
    SupFlags = #{strategy => one_for_one, intensity => 10, period => 10},
    Pg = #{
        id => viva_tensor_pg,
        start => {pg, start_link, [viva_tensor_pg]},
        restart => permanent,
        shutdown => 5000,
        type => worker,
        modules => [pg]
    },
    PoolOpts = #{
        size => application:get_env(viva_tensor, pool_size, erlang:system_info(schedulers)),
        queue_limit => application:get_env(viva_tensor, pool_queue_limit, 10000)
    },
    Pool = viva_tensor_pool:child_spec(viva_tensor_pool:default_pool(), PoolOpts),
    {ok, {SupFlags, [Pg, Pool]}}.
