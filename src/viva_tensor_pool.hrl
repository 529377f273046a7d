%% Internal records and message shapes shared by the pool modules.
%% Not part of the public API.

%% One unit of work. `id' is an alias of the caller process created with
%% `alias([reply])': the result is sent to it, and because a reply alias is
%% deactivated by the first message it receives, a caller gets at most one
%% result per job even when a worker's answer races the manager's timeout.
-record(job, {
    id :: reference(),
    caller :: pid() | undefined,   % filled in by the manager from the call
    fn :: function() | {module(), atom()},
    args :: [term()],
    timeout :: timeout()
}).

%% The message a job's result travels in (worker or manager -> caller).
-define(RESULT(Id, Result), {viva_tensor_result, Id, Result}).

%% The pg scope the pools of all nodes join, and the group of one pool name.
-define(PG_SCOPE, viva_tensor_pg).
-define(PG_GROUP(Name), {viva_tensor_pool, Name}).
