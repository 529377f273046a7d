%% @doc Top supervisor of the viva_tensor application.
%%
%% one_for_one: the long-lived services below it (worker pool, tensor store)
%% are independent of each other, so one crashing must not restart the others.
-module(viva_tensor_sup).
-behaviour(supervisor).

-export([start_link/0, init/1]).

-spec start_link() -> {ok, pid()} | ignore | {error, term()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

-spec init([]) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init([]) ->
    SupFlags = #{strategy => one_for_one, intensity => 10, period => 10},
    {ok, {SupFlags, []}}.
