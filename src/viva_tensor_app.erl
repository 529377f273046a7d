%% @doc The viva_tensor OTP application.
%%
%% Plain tensor math needs no running application: the NIF loads with the
%% module. The application is what hosts the long-lived parts (the worker
%% pool, the tensor store) under `viva_tensor_sup'.
-module(viva_tensor_app).
-behaviour(application).

-export([start/2, stop/1]).

-spec start(application:start_type(), term()) -> {ok, pid()} | {error, term()}.
start(_Type, _Args) ->
    viva_tensor_sup:start_link().

-spec stop(term()) -> ok.
stop(_State) ->
    ok.
