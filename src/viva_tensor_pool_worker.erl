%% @doc One pool worker: runs one job at a time for its pool manager.
%%
%% The manager sends `{run, Id, Fun, Args}'; the worker applies the function,
%% sends `{viva_tensor_result, Id, {ok, Value}}' to the caller's alias `Id' and
%% tells the manager `{done, self()}'.
%%
%% If the function raises, the worker does not try to carry on: the job may
%% have left garbage behind (links, trap_exit, process dictionary, mailbox).
%% It stops with `{shutdown, {job_crashed, Reason}}' (a `shutdown' reason, so
%% no crash report is logged for what is a user-level error); the manager sees
%% the `DOWN', answers the caller `{error, {worker_crashed, Reason}}' and has
%% the worker supervisor start a fresh worker. `Reason' is what an uncaught
%% exception would have made the exit reason: `{Error, Stack}' for `error',
%% the reason for `exit', `{{nocatch, Value}, Stack}' for `throw'.
%%
%% When the caller lives on another node, arguments and results go through
%% {@link viva_tensor_portable} so that tensors survive the trip.
-module(viva_tensor_pool_worker).
-behaviour(gen_server).

-export([start_link/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-include("viva_tensor_pool.hrl").

-spec start_link(pid()) -> {ok, pid()} | {error, term()}.
start_link(Manager) ->
    gen_server:start_link(?MODULE, Manager, []).

%% @private
-spec init(pid()) -> {ok, pid()}.
init(Manager) ->
    {ok, Manager}.

%% @private
-spec handle_call(term(), gen_server:from(), pid()) -> {reply, {error, badcall}, pid()}.
handle_call(_Request, _From, Manager) ->
    {reply, {error, badcall}, Manager}.

%% @private
-spec handle_cast(term(), pid()) -> {noreply, pid()}.
handle_cast(_Msg, Manager) ->
    {noreply, Manager}.

%% @private
-spec handle_info(term(), pid()) ->
    {noreply, pid()} | {stop, {shutdown, {job_crashed, term()}}, pid()}.
handle_info({run, Id, Fn, Args}, Manager) ->
    Remote = node(Id) =/= node(),
    try call(Fn, decode(Remote, Args)) of
        Value ->
            Id ! ?RESULT(Id, encode(Remote, {ok, Value})),
            Manager ! {done, self()},
            {noreply, Manager}
    catch
        Class:Reason:Stack ->
            {stop, {shutdown, {job_crashed, exit_reason(Class, Reason, Stack)}}, Manager}
    end;
handle_info(_Other, Manager) ->
    %% Stray messages (e.g. left by a job that sent itself something) are
    %% dropped so the mailbox cannot grow.
    {noreply, Manager}.

-spec call(function() | {module(), atom()}, [term()]) -> term().
call({M, F}, Args) -> apply(M, F, Args);
call(Fun, Args) -> apply(Fun, Args).

-spec decode(boolean(), [term()]) -> [term()].
decode(false, Args) -> Args;
decode(true, Args) -> viva_tensor_portable:decode(Args).

-spec encode(boolean(), term()) -> term().
encode(false, Term) -> Term;
encode(true, Term) -> viva_tensor_portable:encode(Term).

-spec exit_reason(error | exit | throw, term(), list()) -> term().
exit_reason(error, Reason, Stack) -> {Reason, Stack};
exit_reason(exit, Reason, _Stack) -> Reason;
exit_reason(throw, Value, Stack) -> {{nocatch, Value}, Stack}.
