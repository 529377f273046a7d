%% The loader's failure modes, each in a fresh VM: a missing library, a
%% library older than the Rust sources, and a library of another version
%% all give a message that says what to run, never a bare nif_not_loaded.
-module(loader_tests).

-include_lib("eunit/include/eunit.hrl").

missing_library_test() ->
    Dir = app_copy("missing", #{}),
    Out = run_vm(Dir, ""),
    ?assertMatch({match, _}, re:run(Out, "not found")),
    ?assertMatch({match, _}, re:run(Out, "make nif")),
    ?assertMatch({match, _}, re:run(Out, "ZEROS=\\{error,\\{native_unavailable,")),
    ?assertMatch({match, _}, re:run(Out, "SHAPE=raised native_unavailable")).

stale_library_test() ->
    Dir = app_copy("stale", #{lib => true, newer_source => true}),
    Out = run_vm(Dir, ""),
    ?assertMatch({match, _}, re:run(Out, "older than 1 Rust source")),
    ?assertMatch({match, _}, re:run(Out, "make nif")),
    %% the override loads it anyway
    Out2 = run_vm(Dir, "VIVA_TENSOR_SKIP_STALE_CHECK=1"),
    ?assertMatch({match, _}, re:run(Out2, "STATUS=ok")),
    ?assertMatch({match, _}, re:run(Out2, "ZEROS=\\{ok,")).

version_mismatch_test() ->
    Dir = app_copy("version", #{lib => true, vsn => "9.9.9"}),
    Out = run_vm(Dir, ""),
    ?assertMatch({match, _}, re:run(Out, "built for another version than viva_tensor 9.9.9")),
    ?assertMatch({match, _}, re:run(Out, "ZEROS=\\{error,\\{native_unavailable,")).

%% A copy of the application under a temporary lib dir, with or without
%% priv/viva_tensor_nif.so, a Rust source newer than it, or another vsn.
app_copy(Name, Opts) ->
    Root = filename:join(["/tmp", "viva_tensor_loader_" ++ os:getpid() ++ "_" ++ Name, "viva_tensor"]),
    os:cmd("rm -rf " ++ filename:dirname(Root)),
    Ebin = filename:join(Root, "ebin"),
    ok = filelib:ensure_dir(filename:join(Ebin, "x")),
    [copy_beam(M, Ebin) || M <- [viva_tensor_nif, vtensor]],
    Vsn = maps:get(vsn, Opts, current_vsn()),
    ok = file:write_file(filename:join(Ebin, "viva_tensor.app"),
                         io_lib:format("~p.~n", [{application, viva_tensor, [{vsn, Vsn}]}])),
    case maps:get(lib, Opts, false) of
        true ->
            {ok, Lib} = viva_tensor_nif:library_path(),
            Priv = filename:join(Root, "priv"),
            ok = filelib:ensure_dir(filename:join(Priv, "x")),
            {ok, _} = file:copy(Lib ++ ".so", filename:join(Priv, "viva_tensor_nif.so"));
        false ->
            ok
    end,
    case maps:get(newer_source, Opts, false) of
        true ->
            Src = filename:join([Root, "native", "crate", "src", "lib.rs"]),
            ok = filelib:ensure_dir(Src),
            ok = file:write_file(Src, "// newer than the library\n"),
            {{Y, Mo, D}, {H, Mi, S}} = calendar:local_time(),
            ok = file:change_time(Src, {{Y + 1, Mo, D}, {H, Mi, S}});
        false ->
            ok
    end,
    Root.

current_vsn() ->
    _ = application:load(viva_tensor),
    {ok, Vsn} = application:get_key(viva_tensor, vsn),
    Vsn.

copy_beam(Mod, Ebin) ->
    Src = code:which(Mod),
    {ok, _} = file:copy(Src, filename:join(Ebin, filename:basename(Src))).

run_vm(AppDir, Env) ->
    Eval =
        "io:format(\"STATUS=~p~n\", [viva_tensor_nif:load_status()]),"
        "io:format(\"ZEROS=~p~n\", [vtensor:zeros([2])]),"
        "try vtensor:shape(make_ref()) of _ -> ok catch error:{error, {R, _}} -> "
        "io:format(\"SHAPE=raised ~p~n\", [R]); error:badarg -> io:format(\"SHAPE=badarg~n\") end,"
        "halt().",
    Cmd = Env ++ " erl -noshell -pa " ++ filename:join(AppDir, "ebin") ++ " -eval '" ++ Eval ++ "' 2>&1",
    os:cmd(Cmd).
