%% @doc Where `viva_tensor/tensor' (the list-backed compatibility module)
%% runs its heavy functions: `auto' (natively above each function's measured
%% crossover, the default), `always' (natively whenever the library is
%% loaded, whatever the size) or `never' (pure Gleam). Tests and benchmarks
%% use it to run the same code both ways; applications normally leave it.
%%
%% The initial mode comes from the environment variable
%% `VIVA_TENSOR_NATIVE': `always', `never', or `off' (which also stops the
%% native library from loading at all, see `viva_tensor_nif'); anything
%% else, or unset, means `auto'.
-module(viva_tensor_native_mode).

-export([get/0, set/1, min_work/1]).
-compile({no_auto_import, [get/0]}).

-type mode() :: auto | always | never.
-export_type([mode/0]).

-define(KEY, {?MODULE, mode}).
%% Larger than any work count a BEAM list could describe.
-define(NEVER, 1 bsl 62).

%% @doc The current mode.
-spec get() -> mode().
get() ->
    case persistent_term:get(?KEY, undefined) of
        undefined ->
            Mode = from_env(os:getenv("VIVA_TENSOR_NATIVE")),
            persistent_term:put(?KEY, Mode),
            Mode;
        Mode ->
            Mode
    end.

%% @doc Sets the mode for the whole node (a persistent term: cheap to read,
%% costly to change, so set it once, not per call).
-spec set(mode()) -> ok.
set(Mode) when Mode =:= auto; Mode =:= always; Mode =:= never ->
    persistent_term:put(?KEY, Mode);
set(Mode) ->
    erlang:error(badarg, [Mode]).

%% @doc The work (element or multiply-add count) from which a function whose
%% measured crossover is `Crossover' goes native under the current mode.
-spec min_work(non_neg_integer()) -> non_neg_integer().
min_work(Crossover) ->
    case get() of
        auto -> Crossover;
        always -> 0;
        never -> ?NEVER
    end.

from_env("always") -> always;
from_env("never") -> never;
from_env("off") -> never;
from_env(_) -> auto.
