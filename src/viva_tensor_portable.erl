%% @doc Codec for terms that cross nodes: tensors become portable tuples and
%% back.
%%
%% A tensor is a NIF resource; sent to another node as it is, it arrives as a
%% dead reference. {@link encode/1} walks tuples, lists (proper or not) and
%% maps (keys and values) and replaces every tensor with
%% `{'$viva_tensor', Dtype, Shape, Binary}' (via `vtensor:dtype/1',
%% `vtensor:shape/1', `vtensor:to_binary/1'); {@link decode/1} turns those
%% back into tensors with `vtensor:from_binary/3'. Other terms are returned
%% unchanged; binaries, funs, pids and numbers are not looked into.
%%
%% The shape `{'$viva_tensor', Atom, List, Binary}' is reserved for portable
%% tensors (encode passes it through, so a tensor that crossed a node without
%% `vtensor' stays portable). Any other tuple starting with the atom
%% `'$viva_tensor'' (or the escape tag) is wrapped as
%% `{'$viva_tensor_escape', Tuple}' by encode and unwrapped by decode, so
%% `decode(encode(T)) =:= T' for every term without tensors.
%%
%% When the `vtensor' module cannot be loaded, no term is a tensor: encode
%% only escapes, and decode leaves portable tensor tuples as they are (a
%% failed load is retried at most every 5 s). Funs
%% are not walked: a closure that captured a tensor cannot be made portable.
-module(viva_tensor_portable).

-export([encode/1, decode/1, is_portable_tensor/1]).

-define(TAG, '$viva_tensor').
-define(ESC, '$viva_tensor_escape').
-define(MISS_KEY, {?MODULE, vtensor_missing_since}).
-define(RECHECK_MS, 5000).

%% @doc Replace every tensor inside `Term' by its portable tuple.
-spec encode(term()) -> term().
encode(Term) ->
    enc(Term, vtensor_available()).

%% @doc Replace every portable tensor tuple inside `Term' by a tensor (when
%% `vtensor' is available; otherwise the tuples stay), and unwrap escaped
%% tuples.
-spec decode(term()) -> term().
decode(Term) ->
    dec(Term, vtensor_available()).

%% @doc Whether `Term' is the portable form of a tensor.
-spec is_portable_tensor(term()) -> boolean().
is_portable_tensor({?TAG, Dtype, Shape, Bin}) ->
    is_atom(Dtype) andalso is_list(Shape) andalso is_binary(Bin);
is_portable_tensor(_) ->
    false.

%%% Encoding

-spec enc(term(), boolean()) -> term().
enc(T, true) when is_reference(T); is_tuple(T) ->
    case is_tensor(T) of
        true -> to_portable(T);
        false when is_tuple(T) -> enc_tuple(T, true);
        false -> T
    end;
enc(T, false) when is_tuple(T) ->
    enc_tuple(T, false);
enc(T, Avail) when is_list(T) ->
    enc_list(T, Avail);
enc(T, Avail) when is_map(T) ->
    maps:from_list([{enc(K, Avail), enc(V, Avail)} || {K, V} <- maps:to_list(T)]);
enc(T, _Avail) ->
    T.

-spec enc_tuple(tuple(), boolean()) -> tuple().
enc_tuple(T = {?TAG, Dtype, Shape, Bin}, _Avail)
  when is_atom(Dtype), is_list(Shape), is_binary(Bin) ->
    %% Already portable (e.g. decoded on a node without vtensor): kept, so it
    %% becomes a tensor again where vtensor exists.
    T;
enc_tuple(T, Avail) when tuple_size(T) > 0, (element(1, T) =:= ?TAG orelse element(1, T) =:= ?ESC) ->
    [Tag | Rest] = tuple_to_list(T),
    {?ESC, list_to_tuple([Tag | enc_list(Rest, Avail)])};
enc_tuple(T, Avail) ->
    list_to_tuple(enc_list(tuple_to_list(T), Avail)).

-spec enc_list(maybe_improper_list(), boolean()) -> term().
enc_list([H | T], Avail) -> [enc(H, Avail) | enc_list(T, Avail)];
enc_list([], _Avail) -> [];
enc_list(Tail, Avail) -> enc(Tail, Avail).

-spec to_portable(term()) -> {?TAG, atom(), [non_neg_integer()], binary()}.
to_portable(T) ->
    {ok, Bin} = vtensor:to_binary(T),
    {?TAG, vtensor:dtype(T), vtensor:shape(T), Bin}.

-spec is_tensor(term()) -> boolean().
is_tensor(T) ->
    try vtensor:is_tensor(T) of
        true -> true;
        _ -> false
    catch
        _:_ -> false
    end.

%%% Decoding

-spec dec(term(), boolean()) -> term().
dec({?ESC, Inner}, Avail) when is_tuple(Inner), tuple_size(Inner) > 0 ->
    [Tag | Rest] = tuple_to_list(Inner),
    list_to_tuple([Tag | dec_list(Rest, Avail)]);
dec(T = {?TAG, Dtype, Shape, Bin}, true) when is_atom(Dtype), is_list(Shape), is_binary(Bin) ->
    try vtensor:from_binary(Bin, Dtype, Shape) of
        {ok, Tensor} -> Tensor;
        _ -> T
    catch
        _:_ -> T
    end;
dec(T, Avail) when is_tuple(T) ->
    list_to_tuple(dec_list(tuple_to_list(T), Avail));
dec(T, Avail) when is_list(T) ->
    dec_list(T, Avail);
dec(T, Avail) when is_map(T) ->
    maps:from_list([{dec(K, Avail), dec(V, Avail)} || {K, V} <- maps:to_list(T)]);
dec(T, _Avail) ->
    T.

-spec dec_list(maybe_improper_list(), boolean()) -> term().
dec_list([H | T], Avail) -> [dec(H, Avail) | dec_list(T, Avail)];
dec_list([], _Avail) -> [];
dec_list(Tail, Avail) -> dec(Tail, Avail).

%% Checked once per encode/decode call, not per sub-term. Loading a module
%% that does not exist searches the whole code path, so a miss is remembered
%% for ?RECHECK_MS before the path is searched again.
-spec vtensor_available() -> boolean().
vtensor_available() ->
    case erlang:module_loaded(vtensor) of
        true -> erlang:function_exported(vtensor, is_tensor, 1);
        false -> try_load()
    end.

-spec try_load() -> boolean().
try_load() ->
    Now = erlang:monotonic_time(millisecond),
    case persistent_term:get(?MISS_KEY, undefined) of
        Since when is_integer(Since), Now - Since < ?RECHECK_MS ->
            false;
        _ ->
            case code:ensure_loaded(vtensor) of
                {module, vtensor} ->
                    erlang:function_exported(vtensor, is_tensor, 1);
                _ ->
                    persistent_term:put(?MISS_KEY, Now),
                    false
            end
    end.
