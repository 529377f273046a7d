%% @private Adapters between src/viva_tensor/pool.gleam and viva_tensor_pool:
%% maps become Gleam records, a missing pool becomes an error value.
-module(viva_tensor_pool_gleam_ffi).

-export([start/0, map/3, submit/2, stats/0]).

-spec start() -> {ok, nil} | {error, {start_failed, term()}}.
start() ->
    case application:ensure_all_started(viva_tensor) of
        {ok, _} -> {ok, nil};
        {error, Reason} -> {error, {start_failed, Reason}}
    end.

%% Argument order follows the Gleam signature: map(items, with: f, timeout_ms:).
-spec map([term()], fun((term()) -> term()), non_neg_integer()) ->
    {ok, [viva_tensor_pool:result()]} | {error, {no_pool, term()}}.
map(Items, Fun, TimeoutMs) ->
    try
        {ok, viva_tensor_pool:map(Fun, Items, #{timeout => TimeoutMs})}
    catch
        error:{no_pool, Pool} -> {error, {no_pool, Pool}}
    end.

-spec submit(fun(() -> term()), non_neg_integer()) ->
    {ok, viva_tensor_pool:job_ref()} | {error, term()}.
submit(Fun, TimeoutMs) ->
    viva_tensor_pool:submit(viva_tensor_pool:default_pool(), Fun, #{timeout => TimeoutMs}).

%% Gleam's PoolStats record is the tuple {pool_stats, ...}.
-spec stats() -> {ok, tuple()} | {error, {no_pool, atom()}}.
stats() ->
    Pool = viva_tensor_pool:default_pool(),
    case whereis(Pool) of
        undefined ->
            {error, {no_pool, Pool}};
        _ ->
            S = viva_tensor_pool:stats(Pool),
            {ok, {pool_stats,
                  maps:get(size, S), maps:get(queue_len, S), maps:get(busy, S),
                  maps:get(idle, S), maps:get(completed, S), maps:get(failed, S),
                  maps:get(timed_out, S), maps:get(crashed, S), maps:get(rejected, S)}}
    end.
