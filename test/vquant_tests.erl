%% EUnit suite for quantized tensors (`vquant'): bit-exactness against the
%% shared reference vectors through the NIF, round trips of every format,
%% sizes, the memory account, corrupted binaries, bad formats, metrics, and
%% the README example (read from README.md and evaluated as written).
-module(vquant_tests).

-include_lib("eunit/include/eunit.hrl").

-define(CASES, ["gaussian", "uniform_pos", "heavy_tail", "outliers", "edges", "large"]).
%% The reference vectors are 16x256 matrices; our header is 20 + 8*rank bytes.
-define(VSHAPE, [16, 256]).
-define(VHEADER, 36).

-define(ALL_FORMATS, [
    q8_0, q4_0, q4_1, q5_0, mxfp4, nvfp4, nf4, nf4_dq,
    {nf4, 32}, {nf4_dq, 128, 2}, {int8, per_tensor},
    {int8, {per_channel, 0}}, {int8, {per_channel, 1}}, {int8, {per_block, 48}},
    fp8_e4m3fn, fp8_e5m2, f16, bf16
]).

ok(X) ->
    {ok, V} = X,
    V.

%% ---------------------------------------------------------------------------
%% Locating the repository root and the shared vectors

%% Candidate starting points: this test's source and the application dir.
starts() ->
    Lib = case code:lib_dir(viva_tensor) of
        {error, _} -> [];
        D -> [D]
    end,
    [filename:absname(filename:dirname(?FILE)) | Lib] ++ [filename:absname(".")].

ancestors(Dir) ->
    case filename:dirname(Dir) of
        Dir -> [Dir];
        Up -> [Dir | ancestors(Up)]
    end.

%% Resolves symlinks in a directory path (rebar3 links _build/.../src etc.).
real(Dir) ->
    case file:read_link_all(Dir) of
        {ok, Target} -> filename:absname(Target, filename:dirname(Dir));
        _ -> Dir
    end.

%% The shared `vectors' folder: $VIVA_TENSOR_SHARED (the shared folder or its
%% vectors subfolder), else `shared/vectors' or `../shared/vectors' beside
%% an ancestor of this test or of the application. Fails when absent.
vectors_dir() ->
    Env = case os:getenv("VIVA_TENSOR_SHARED") of
        false -> [];
        S -> [filename:join(S, "vectors"), S]
    end,
    Walk = [C || Start <- starts(), A <- ancestors(real(Start)),
                 C <- [filename:join([A, "shared", "vectors"]),
                       filename:join([A, "..", "shared", "vectors"])]],
    case [C || C <- Env ++ Walk, filelib:is_regular(filename:join(C, "MANIFEST.json"))] of
        [Dir | _] ->
            Dir;
        [] ->
            error({reference_vectors_not_found,
                   "set VIVA_TENSOR_SHARED to the shared folder, or place shared/vectors "
                   "beside the repository root (searched upward from " ++
                   lists:flatten(io_lib:format("~p", [starts()])) ++ ")"})
    end.

read(Format, File) ->
    Path = filename:join([vectors_dir(), Format, File]),
    case file:read_file(Path) of
        {ok, Bin} -> Bin;
        {error, Why} -> error({cannot_read, Path, Why})
    end.

repo_file(Name) ->
    Found = [F || Start <- starts(), A <- ancestors(real(Start)),
                  F <- [filename:join(A, Name)],
                  filelib:is_regular(F),
                  filelib:is_dir(filename:join(A, "native"))],
    case Found of
        [F | _] -> F;
        [] -> error({not_found, Name, starts()})
    end.

%% ---------------------------------------------------------------------------
%% Bit-exactness against the reference vectors, through the NIF

vectors_present_test() ->
    ?assert(filelib:is_regular(filename:join(vectors_dir(), "MANIFEST.json"))).

%% What our payload must be for a case: the reference files in our section order.
expected_payload(F, C) when F =:= "q8_0"; F =:= "q4_0"; F =:= "q4_1"; F =:= "q5_0";
                            F =:= "mxfp4" ->
    read(F, C ++ ".q.bin");
expected_payload("nf4", C) ->
    <<(read("nf4", C ++ ".q.bin"))/binary, (read("nf4", C ++ ".absmax.f32"))/binary>>;
expected_payload("nvfp4", C) ->
    <<(read("nvfp4", C ++ ".q.bin"))/binary, (read("nvfp4", C ++ ".scales.e4m3"))/binary,
      (read("nvfp4", C ++ ".global_scale.f32"))/binary>>;
expected_payload("nf4_dq", C) ->
    <<(read("nf4_dq", C ++ ".q.bin"))/binary, (read("nf4_dq", C ++ ".absmax_q.u8"))/binary,
      (read("nf4_dq", C ++ ".absmax2.f32"))/binary, (read("nf4_dq", C ++ ".offset.f32"))/binary>>.

reference_vectors_test_() ->
    Formats = ["q8_0", "q4_0", "q4_1", "q5_0", "mxfp4", "nvfp4", "nf4", "nf4_dq"],
    [{F ++ "/" ++ C, fun() -> check_vector(F, C) end} || F <- Formats, C <- ?CASES].

check_vector(F, C) ->
    In = ok(vtensor:from_binary(read(F, C ++ ".in.f32"), f32, ?VSHAPE)),
    Q = ok(vquant:quantize(In, list_to_atom(F))),
    Bin = ok(vquant:to_binary(Q)),
    <<"VTQ1", 1, _Tag, 0, 0, _A:32, _B:32, 2:32/little, 16:64/little, 256:64/little,
      Payload/binary>> = Bin,
    ?assertEqual(?VHEADER, byte_size(Bin) - byte_size(Payload)),
    ?assertEqual(expected_payload(F, C), Payload),
    ?assertEqual(byte_size(Bin), vquant:nbytes(Q)),
    D = ok(vquant:dequantize(Q)),
    ?assertEqual(?VSHAPE, vtensor:shape(D)),
    ?assertEqual(f32, vtensor:dtype(D)),
    ?assertEqual(read(F, C ++ ".dq.f32"), ok(vtensor:to_binary(D))).

%% ---------------------------------------------------------------------------
%% Round trips and metadata

rand(Shape, Seed) ->
    ok(vtensor:random_normal(Shape, Seed)).

round_trip_test_() ->
    T = rand([6, 100], 7),
    [{lists:flatten(io_lib:format("~p", [F])), fun() -> round_trip(T, F) end}
     || F <- ?ALL_FORMATS].

round_trip(T, F) ->
    Q = ok(vquant:quantize(T, F)),
    ?assert(vquant:is_quantized(Q)),
    ?assertEqual([6, 100], vquant:shape(Q)),
    ?assertEqual(600, vquant:size(Q)),
    ?assertEqual(F, vquant:format(Q)),
    Bin = ok(vquant:to_binary(Q)),
    ?assertEqual(byte_size(Bin), vquant:nbytes(Q)),
    ?assert(abs(vquant:compression_ratio(Q) - 2400 / byte_size(Bin)) < 1.0e-12),
    Q2 = ok(vquant:from_binary(Bin)),
    ?assertEqual(F, vquant:format(Q2)),
    ?assertEqual({ok, Bin}, vquant:to_binary(Q2)),
    D = ok(vquant:dequantize(Q)),
    ?assertEqual([6, 100], vtensor:shape(D)),
    ?assertEqual(vtensor:to_binary(D), vtensor:to_binary(ok(vquant:dequantize(Q2)))),
    %% quantizing the dequantized values again is stable enough to be close
    #{cosine := Cos, sqnr_db := Sqnr} = ok(vquant:metrics(T, D)),
    ?assert(Cos > 0.95),
    ?assert(Sqnr > 10.0).

canonical_format_test() ->
    T = rand([128], 1),
    ?assertEqual(nf4, vquant:format(ok(vquant:quantize(T, {nf4, 64})))),
    ?assertEqual(nf4_dq, vquant:format(ok(vquant:quantize(T, {nf4_dq, 64, 256})))),
    ?assertEqual({nf4_dq, 64, 128}, vquant:format(ok(vquant:quantize(T, {nf4_dq, 64, 128})))),
    M = rand([4, 8], 2),
    ?assertEqual({int8, {per_channel, 1}},
                 vquant:format(ok(vquant:quantize(M, {int8, {per_channel, -1}})))).

sizes_test() ->
    %% q4_0: 4096 values = 128 blocks of 18 bytes, plus a 28-byte header (rank 1)
    Q = ok(vquant:quantize(rand([4096], 3), q4_0)),
    ?assertEqual(28 + 128 * 18, vquant:nbytes(Q)),
    ?assertEqual(16384 / (28 + 128 * 18), vquant:compression_ratio(Q)),
    ?assertEqual(vquant:nbytes(Q), byte_size(ok(vquant:to_binary(Q)))),
    Expect = [{q8_0, 128 * 34}, {q4_1, 128 * 20}, {q5_0, 128 * 22}, {mxfp4, 128 * 17},
              {nvfp4, 256 * 9 + 4}, {nf4, 64 * (32 + 4)},
              {nf4_dq, 64 * 33 + 4 + 4}, {{int8, per_tensor}, 4096 + 4},
              {{int8, {per_block, 256}}, 4096 + 16 * 4},
              {fp8_e4m3fn, 4096 + 4}, {fp8_e5m2, 4096 + 4}, {f16, 2 * 4096}, {bf16, 2 * 4096}],
    [?assertEqual({F, 28 + N}, {F, vquant:nbytes(ok(vquant:quantize(rand([4096], 3), F)))})
     || {F, N} <- Expect],
    %% a partial last block is padded but dequantizes to the logical length
    P = ok(vquant:quantize(rand([3, 11], 4), q4_0)),
    ?assertEqual(20 + 16 + 2 * 18, vquant:nbytes(P)),
    ?assertEqual([3, 11], vtensor:shape(ok(vquant:dequantize(P)))),
    %% empty and rank-0 tensors
    E = ok(vquant:quantize(ok(vtensor:zeros([0])), q8_0)),
    ?assertEqual({ok, []}, vtensor:to_list(ok(vquant:dequantize(E)))),
    S = ok(vquant:quantize(ok(vtensor:from_list(2.0)), q8_0)),
    ?assertEqual([], vquant:shape(S)),
    {ok, Two} = vtensor:to_nested_list(ok(vquant:dequantize(S))),
    ?assert(abs(Two - 2.0) < 0.01).

input_forms_test() ->
    T = rand([8, 64], 5),
    Ref = ok(vquant:to_binary(ok(vquant:quantize(T, q8_0)))),
    %% another dtype is converted to f32 first (f32 -> f64 -> f32 is exact)
    T64 = ok(vtensor:as_type(T, f64)),
    ?assertEqual({ok, Ref}, vquant:to_binary(ok(vquant:quantize(T64, q8_0)))),
    %% a non-contiguous view quantizes its logical row-major order
    Tr = ok(vtensor:transpose(T)),
    Copy = ok(vtensor:copy(Tr)),
    ?assertEqual(vquant:to_binary(ok(vquant:quantize(Copy, nf4))),
                 vquant:to_binary(ok(vquant:quantize(Tr, nf4)))),
    %% f16 input
    H = ok(vtensor:as_type(T, f16)),
    ?assertEqual([8, 64], vquant:shape(ok(vquant:quantize(H, mxfp4)))).

%% The payload behind a rank-1 header (20 + 8 bytes).
payload(Q) ->
    <<_:28/binary, P/binary>> = ok(vquant:to_binary(Q)),
    P.

fp8_codes_and_scale_test() ->
    %% absmax 448 gives scale 1: codes are the plain E4M3FN bytes
    %% (448 = 0.1111.110, -1 = 1.0111.000, 0.5 = 0.0110.000), then the f32 scale
    T = ok(vtensor:from_list([448.0, -1.0, 0.5, 0.0])),
    ?assertEqual(<<16#7E, 16#B8, 16#30, 0, 1.0:32/float-little>>,
                 payload(ok(vquant:quantize(T, fp8_e4m3fn)))),
    %% E5M2: 57344 = 0.11110.11, 1 = 0.01111.00, -2 = 1.10000.00
    T5 = ok(vtensor:from_list([57344.0, 1.0, -2.0, 0.0])),
    ?assertEqual(<<16#7B, 16#3C, 16#C0, 0, 1.0:32/float-little>>,
                 payload(ok(vquant:quantize(T5, fp8_e5m2)))),
    %% absmax 896: scale 2, and everything comes back exactly
    T2 = ok(vtensor:from_list([896.0, -2.0, 0.25])),
    Q2 = ok(vquant:quantize(T2, fp8_e4m3fn)),
    ?assertEqual(<<16#7E, 16#B8, 16#20, 2.0:32/float-little>>, payload(Q2)),
    ?assertEqual({ok, [896.0, -2.0, 0.25]}, vtensor:to_list(ok(vquant:dequantize(Q2)))),
    %% all zeros: scale 1
    Z = ok(vquant:quantize(ok(vtensor:zeros([3])), fp8_e5m2)),
    ?assertEqual(<<0, 0, 0, 1.0:32/float-little>>, payload(Z)),
    %% a NaN code or a bad scale in a binary is an error, not a value
    <<H:28/binary, _/binary>> = ok(vquant:to_binary(Q2)),
    ?assertMatch({error, {non_finite, _}},
                 vquant:from_binary(<<H/binary, 16#7F, 16#B8, 16#20, 2.0:32/float-little>>)),
    ?assertMatch({error, {non_finite, _}},
                 vquant:from_binary(<<H/binary, 16#7E, 16#B8, 16#20, 0.0:32/float-little>>)),
    ?assertMatch({error, {non_finite, _}},
                 vquant:from_binary(<<H/binary, 16#7E, 16#B8, 16#20, -2.0:32/float-little>>)).

half_storage_matches_as_type_test() ->
    %% in range, f16 / bf16 storage is exactly vtensor:as_type's rounding
    T = rand([1000], 21),
    [?assertEqual(ok(vtensor:to_binary(ok(vtensor:as_type(T, D)))),
                  payload(ok(vquant:quantize(T, D))))
     || D <- [f16, bf16]],
    %% beyond f16's range it saturates to +-65504 instead of infinity
    Big = ok(vtensor:from_list([1.0e6, -70000.0, 65504.0])),
    ?assertEqual({ok, [65504.0, -65504.0, 65504.0]},
                 vtensor:to_list(ok(vquant:dequantize(ok(vquant:quantize(Big, f16)))))),
    %% an infinite element in a binary is an error
    {ok, <<H:28/binary, _/binary>>} = vquant:to_binary(ok(vquant:quantize(Big, f16))),
    ?assertMatch({error, {non_finite, _}},
                 vquant:from_binary(<<H/binary, 0, 16#7C, 0, 0, 0, 0>>)).

memcpy_us_test() ->
    %% the bench's copy yardstick: a time, and badarg for a non-tensor
    {ok, Us} = vquant:memcpy_us(rand([100000], 5)),
    ?assert(is_float(Us) andalso Us > 0.0 andalso Us < 1.0e6),
    ?assertError(badarg, vquant:memcpy_us(not_a_tensor)).

dirty_path_test() ->
    %% more than dirty_threshold() elements: the _dirty NIFs run
    N = vtensor:dirty_threshold() + 32,
    T = rand([N], 11),
    Q = ok(vquant:quantize(T, q8_0)),
    D = ok(vquant:dequantize(Q)),
    Bin = ok(vquant:to_binary(Q)),
    ?assert(byte_size(Bin) > vtensor:dirty_threshold()),
    ?assertEqual({ok, Bin}, vquant:to_binary(ok(vquant:from_binary(Bin)))),
    #{sqnr_db := S} = ok(vquant:metrics(T, D)),
    %% q8_0 on normal data: about 40 dB
    ?assert(S > 30.0 andalso S < 50.0).

%% ---------------------------------------------------------------------------
%% Errors

bad_format_test_() ->
    T = rand([4, 64], 6),
    Bad = [foo, q8, 'Q8_0', "q8_0", <<"q4_0">>, 42, 1.5, [], {}, {nf4}, {nf4, 3}, {nf4, 0},
           {nf4, -2}, {nf4, a}, {nf4, 1 bsl 70}, {nf4_dq, 64}, {nf4_dq, 64, 0},
           {nf4_dq, 3, 256}, {q8_0, 32}, {int8}, {int8, per_row}, {int8, {per_channel}},
           {int8, {per_channel, a}}, {int8, {per_block, 0}}, {int8, {per_block, -1}},
           {int8, per_tensor, extra}, {"int8", per_tensor}, fp8, e4m3fn, {fp8_e4m3fn, 1},
           {f16, 2}, float16],
    [{lists:flatten(io_lib:format("~p", [F])),
      fun() -> ?assertMatch({error, {invalid_argument, <<_/binary>>}}, vquant:quantize(T, F)) end}
     || F <- Bad] ++
    [?_assertMatch({error, {out_of_bounds, _}}, vquant:quantize(T, {int8, {per_channel, 2}})),
     ?_assertMatch({error, {out_of_bounds, _}}, vquant:quantize(T, {int8, {per_channel, -3}}))].

%% Messages name the bad term, but a huge one only by its kind.
format_message_test() ->
    T = rand([4], 1),
    {error, {invalid_argument, M1}} = vquant:quantize(T, foo),
    ?assertMatch({_, _}, binary:match(M1, <<"foo">>)),
    {error, {invalid_argument, M2}} = vquant:quantize(T, {nf4, -2}),
    ?assertMatch({_, _}, binary:match(M2, <<"{nf4,-2}">>)),
    [begin
         {error, {invalid_argument, M}} = vquant:quantize(T, Huge),
         ?assert(byte_size(M) < 400)
     end || Huge <- [lists:seq(1, 1000000), {lists:seq(1, 1000000)}, {nf4, <<0:8000000>>},
                     {int8, {per_channel, 1 bsl 100000}}, list_to_tuple(lists:seq(1, 100000))]].

non_finite_test() ->
    [?assertMatch({error, {non_finite, _}},
                  vquant:quantize(ok(vtensor:from_list([1.0, V, 2.0])), F))
     || V <- [nan, infinity, neg_infinity], F <- ?ALL_FORMATS -- [{int8, {per_channel, 1}}]],
    %% an f64 beyond f32's range becomes infinity on conversion
    Big = ok(vtensor:from_list([1.0e300], [1], f64)),
    ?assertMatch({error, {non_finite, _}}, vquant:quantize(Big, q8_0)).

wrong_terms_test() ->
    T = rand([4], 1),
    Q = ok(vquant:quantize(T, q8_0)),
    ?assertError(badarg, vquant:quantize(not_a_tensor, q8_0)),
    ?assertError(badarg, vquant:quantize(Q, q8_0)),
    ?assertError(badarg, vquant:dequantize(T)),
    ?assertError(badarg, vquant:format(T)),
    ?assertError(badarg, vquant:nbytes(make_ref())),
    ?assertError(badarg, vquant:from_binary(not_a_binary)),
    ?assertNot(vquant:is_quantized(T)),
    ?assertNot(vquant:is_quantized(<<"VTQ1">>)),
    ?assert(vquant:is_quantized(Q)),
    ok = vtensor:deallocate(T),
    ?assertEqual({error, deallocated}, vquant:quantize(T, q8_0)),
    %% the quantized copy does not depend on the tensor it came from
    ?assertMatch({ok, _}, vquant:dequantize(Q)).

truncated_binary_test() ->
    [begin
         Q = ok(vquant:quantize(rand([2, 40], 9), F)),
         Bin = ok(vquant:to_binary(Q)),
         [?assertMatch({error, _}, vquant:from_binary(binary:part(Bin, 0, L)))
          || L <- lists:seq(0, byte_size(Bin) - 1)],
         ?assertMatch({error, _}, vquant:from_binary(<<Bin/binary, 0>>))
     end || F <- ?ALL_FORMATS].

header_corruption_test() ->
    Q = ok(vquant:quantize(rand([2, 64], 10), q4_0)),
    Bin = ok(vquant:to_binary(Q)),
    %% magic, version, tag, reserved, params, rank, dims: every single-bit
    %% flip of bytes 0..35 breaks the header
    [?assertMatch({{error, _}, _, _}, {vquant:from_binary(flip(Bin, I, B)), I, B})
     || I <- lists:seq(0, 35), B <- lists:seq(0, 7)],
    ?assertMatch({error, {invalid_argument, _}}, vquant:from_binary(<<>>)),
    ?assertMatch({error, {invalid_argument, _}}, vquant:from_binary(<<"VTQ1">>)),
    ?assertMatch({error, {invalid_argument, _}},
                 vquant:from_binary(<<"VTQ1", 1, 11, 0, 0, 0:32, 0:32, 99:32/little>>)).

%% Any byte of any format flipped anywhere: an error or a valid tensor that
%% dequantizes, never a crash.
any_flip_never_crashes_test() ->
    [begin
         Bin = ok(vquant:to_binary(ok(vquant:quantize(rand([3, 32], 12), F)))),
         [case vquant:from_binary(flip(Bin, I, B)) of
              {ok, Q} -> ?assertMatch({ok, _}, vquant:dequantize(Q));
              {error, R} -> ?assertNotMatch({internal, _}, R)
          end || I <- lists:seq(0, byte_size(Bin) - 1), B <- [0, 3, 6, 7]]
     end || F <- ?ALL_FORMATS].

flip(Bin, I, Bit) ->
    <<Pre:I/binary, Byte, Post/binary>> = Bin,
    <<Pre/binary, (Byte bxor (1 bsl Bit)), Post/binary>>.

%% ---------------------------------------------------------------------------
%% Metrics

metrics_known_values_test() ->
    A = ok(vtensor:from_list([1.0, 2.0, 3.0, 4.0])),
    B = ok(vtensor:from_list([1.0, 2.0, 3.0, 5.0])),
    M = ok(vquant:metrics(A, B)),
    ?assertEqual([cosine, max_abs, mean_abs, mse, rmse, sqnr_db], lists:sort(maps:keys(M))),
    ?assertEqual(0.25, maps:get(mse, M)),
    ?assertEqual(0.5, maps:get(rmse, M)),
    ?assertEqual(1.0, maps:get(max_abs, M)),
    ?assertEqual(0.25, maps:get(mean_abs, M)),
    ?assert(abs(maps:get(sqnr_db, M) - 10 * math:log10(30.0)) < 1.0e-12),
    ?assert(abs(maps:get(cosine, M) - 34 / math:sqrt(30 * 39)) < 1.0e-12),
    %% identical tensors
    I = ok(vquant:metrics(A, A)),
    ?assertMatch(#{mse := 0.0, rmse := 0.0, max_abs := 0.0, mean_abs := 0.0,
                   sqnr_db := infinity}, I),
    ?assert(abs(maps:get(cosine, I) - 1.0) < 1.0e-15),
    %% zero signal, some noise
    Z = ok(vtensor:zeros([4])),
    ?assertMatch(#{sqnr_db := neg_infinity, cosine := 0.0}, ok(vquant:metrics(Z, A))),
    ?assertMatch(#{sqnr_db := infinity, cosine := 1.0}, ok(vquant:metrics(Z, Z))),
    %% dtypes mix: compared as f32
    A64 = ok(vtensor:as_type(A, f64)),
    B16 = ok(vtensor:as_type(B, f16)),
    ?assertEqual(M, ok(vquant:metrics(A64, B16))).

metrics_errors_test() ->
    A = ok(vtensor:from_list([[1.0, 2.0], [3.0, 4.0]])),
    B = ok(vtensor:from_list([1.0, 2.0, 3.0, 4.0])),
    ?assertEqual({error, {shape_mismatch, [2, 2], [4]}}, vquant:metrics(A, B)),
    N = ok(vtensor:from_list([[1.0, nan], [3.0, 4.0]])),
    ?assertMatch({error, {non_finite, _}}, vquant:metrics(A, N)),
    ?assertMatch({error, {non_finite, _}}, vquant:metrics(N, A)),
    ?assertError(badarg, vquant:metrics(A, not_a_tensor)).

%% ---------------------------------------------------------------------------
%% Memory account

%% Waits until the account is back to at most `Want' bytes (other tests'
%% garbage may be freed meanwhile, so it can fall below).
wait_bytes(Want, 0) ->
    ?assert(maps:get(bytes, vtensor:memory_stats()) =< Want);
wait_bytes(Want, Tries) ->
    case maps:get(bytes, vtensor:memory_stats()) =< Want of
        true -> ok;
        false -> erlang:garbage_collect(), timer:sleep(10), wait_bytes(Want, Tries - 1)
    end.

memory_account_test() ->
    erlang:garbage_collect(),
    Base = maps:get(bytes, vtensor:memory_stats()),
    Self = self(),
    {Pid, Ref} = spawn_monitor(fun() ->
        T = rand([512, 1024], 13),
        #{bytes := B0, buffers := N0} = vtensor:memory_stats(),
        Q = ok(vquant:quantize(T, q4_0)),
        #{bytes := B1, buffers := N1} = vtensor:memory_stats(),
        Self ! {self(), B0, B1, N1 - N0, vquant:nbytes(Q)},
        receive stop -> ok end
    end),
    receive
        {Pid, B0, B1, NewBuffers, NBytes} ->
            %% 512*1024/32 blocks of 18 bytes + a 36-byte header
            ?assertEqual(16384 * 18 + 36, NBytes),
            ?assertEqual(NBytes, B1 - B0),
            ?assertEqual(1, NewBuffers)
    after 10000 -> error(timeout)
    end,
    Pid ! stop,
    receive {'DOWN', Ref, process, Pid, _} -> ok end,
    wait_bytes(Base, 200).

%% ---------------------------------------------------------------------------
%% The README's Erlang example, read from README.md and evaluated as written

readme_example_test() ->
    {ok, Text} = file:read_file(repo_file("README.md")),
    [_, After] = binary:split(Text, <<"<!-- example:erlang-quant -->">>),
    [_, Rest] = binary:split(After, <<"```erlang\n">>),
    [Code, _] = binary:split(Rest, <<"```">>),
    {ok, Tokens, _} = erl_scan:string(binary_to_list(Code)),
    lists:foldl(fun(Form, Bindings) ->
                        {ok, Exprs} = erl_parse:parse_exprs(Form),
                        {value, _, B} = erl_eval:exprs(Exprs, Bindings),
                        B
                end, erl_eval:new_bindings(), split_dots(Tokens, [], [])).

split_dots([], [], Acc) -> lists:reverse(Acc);
split_dots([{dot, _} = D | T], Cur, Acc) -> split_dots(T, [], [lists:reverse([D | Cur]) | Acc]);
split_dots([Tok | T], Cur, Acc) -> split_dots(T, [Tok | Cur], Acc).

%% ---------------------------------------------------------------------------
%% qmatmul / qmatmul_int8 / f32_linear

%% X @ Dᵀ in Erlang floats: X [M, K] and D [N, K] as nested lists.
ref_linear(X, D) ->
    [[lists:sum([A * B || {A, B} <- lists:zip(Row, WRow)]) || WRow <- D] || Row <- X].

close_lists(Got, Want, Tol) ->
    lists:all(fun({G, W}) -> abs(G - W) =< Tol * (1.0 + abs(W)) end,
              lists:zip(lists:flatten(Got), lists:flatten(Want))).

qmatmul_agrees_with_dequantize_test_() ->
    %% In = 40 is not a multiple of 32: blocks cross rows in every block format.
    Shapes = [{1, 7, 64}, {3, 5, 40}, {6, 9, 33}],
    [{lists:flatten(io_lib:format("~p ~p", [F, S])), fun() ->
        {M, N, K} = S,
        W = ok(vtensor:random_normal([N, K], 11)),
        X = ok(vtensor:random_normal([M, K], 12)),
        Q = ok(vquant:quantize(W, F)),
        Y = ok(vquant:qmatmul(X, Q)),
        ?assertEqual([M, N], vtensor:shape(Y)),
        Want = ref_linear(ok(vtensor:to_nested_list(X)),
                          ok(vtensor:to_nested_list(ok(vquant:dequantize(Q))))),
        ?assert(close_lists(ok(vtensor:to_nested_list(Y)), Want, 1.0e-4))
     end} || F <- ?ALL_FORMATS, S <- Shapes].

qmatmul_views_and_leading_dims_test() ->
    W = ok(vtensor:random_normal([8, 32], 1)),
    Q = ok(vquant:quantize(W, q4_0)),
    X = ok(vtensor:random_normal([2, 3, 32], 2)),
    ?assertEqual([2, 3, 8], vtensor:shape(ok(vquant:qmatmul(X, Q)))),
    V = ok(vtensor:random_normal([32], 3)),
    ?assertEqual([8], vtensor:shape(ok(vquant:qmatmul(V, Q)))),
    %% a transposed view of a [32, 4] tensor is [4, 32]
    XT = ok(vtensor:transpose(ok(vtensor:random_normal([32, 4], 4)))),
    Y = ok(vquant:qmatmul(XT, Q)),
    Want = ref_linear(ok(vtensor:to_nested_list(XT)),
                      ok(vtensor:to_nested_list(ok(vquant:dequantize(Q))))),
    ?assert(close_lists(ok(vtensor:to_nested_list(Y)), Want, 1.0e-4)).

qmatmul_big_runs_dirty_test() ->
    %% 4 × 256 × 512 > 2^18: the dirty NIF; compared with f32_linear on the
    %% dequantized weight
    W = ok(vtensor:random_normal([256, 512], 5)),
    Q = ok(vquant:quantize(W, q8_0)),
    X = ok(vtensor:random_normal([4, 512], 6)),
    Y = ok(vquant:qmatmul(X, Q)),
    R = ok(vquant:f32_linear(X, ok(vquant:dequantize(Q)))),
    #{max_abs := E} = ok(vquant:metrics(R, Y)),
    ?assert(E < 1.0e-3).

qmatmul_errors_test() ->
    W = ok(vtensor:random_normal([4, 8], 1)),
    Q = ok(vquant:quantize(W, q8_0)),
    ?assertEqual({error, {shape_mismatch, [8], [5]}},
                 vquant:qmatmul(ok(vtensor:random_normal([2, 5], 2)), Q)),
    Q1 = ok(vquant:quantize(ok(vtensor:random_normal([32], 1)), q8_0)),
    ?assertMatch({error, {invalid_shape, _}},
                 vquant:qmatmul(ok(vtensor:random_normal([2, 32], 2)), Q1)),
    ?assertError(badarg, vquant:qmatmul(ok(vtensor:random_normal([8], 2)), not_a_quantized)).

qmatmul_int8_test() ->
    W = ok(vtensor:random_normal([16, 64], 7)),
    Q = ok(vquant:quantize(W, {int8, {per_channel, 0}})),
    X = ok(vtensor:random_normal([3, 64], 8)),
    Ref = ok(vquant:qmatmul(X, Q)),
    {ok, Y} = vquant:qmatmul_int8(X, Q, none),
    {ok, Y2} = vquant:qmatmul_int8(X, Q, 2.5),
    {ok, Y3} = vquant:qmatmul_int8(X, Q, 3),
    [?assert(maps:get(cosine, ok(vquant:metrics(Ref, T))) > 0.9999) || T <- [Y, Y2, Y3]],
    ?assertEqual([3, 16], vtensor:shape(Y)),
    ?assertMatch({error, {invalid_argument, _}}, vquant:qmatmul_int8(X, ok(vquant:quantize(W, q8_0)), none)),
    ?assertMatch({error, {invalid_argument, _}}, vquant:qmatmul_int8(X, Q, -1.0)),
    ?assertMatch({error, {invalid_argument, _}}, vquant:qmatmul_int8(X, Q, high)).

qmatmul_q8_test_() ->
    %% q4_0, q8_0 and mxfp4 weights against int8 activation blocks: close
    %% to the exact qmatmul (the activations' rounding only), small and big
    %% (dirty NIF: 4 x 256 x 512 > 2^18) products
    [{atom_to_list(F) ++ " " ++ integer_to_list(N), fun() ->
        W = ok(vtensor:random_normal([N, 512], 21)),
        Q = ok(vquant:quantize(W, F)),
        X = ok(vtensor:random_normal([4, 512], 22)),
        Exact = ok(vquant:qmatmul(X, Q)),
        Y = ok(vquant:qmatmul_q8(X, Q)),
        ?assertEqual([4, N], vtensor:shape(Y)),
        #{cosine := C, rmse := E} = ok(vquant:metrics(Exact, Y)),
        ?assert(C > 0.9999),
        ?assert(E > 0.0)
     end} || F <- [q4_0, q8_0, mxfp4], N <- [8, 256]].

qmatmul_q8_errors_test() ->
    X = ok(vtensor:random_normal([2, 64], 1)),
    W = ok(vtensor:random_normal([4, 64], 2)),
    ?assertMatch({error, {invalid_argument, _}},
                 vquant:qmatmul_q8(X, ok(vquant:quantize(W, q4_1)))),
    W40 = ok(vtensor:random_normal([4, 40], 2)),
    ?assertMatch({error, {invalid_argument, _}},
                 vquant:qmatmul_q8(ok(vtensor:random_normal([2, 40], 1)),
                                   ok(vquant:quantize(W40, q4_0)))),
    Q = ok(vquant:quantize(W, q4_0)),
    ?assertEqual({error, {shape_mismatch, [64], [32]}},
                 vquant:qmatmul_q8(ok(vtensor:random_normal([2, 32], 2)), Q)),
    [?assertMatch({error, {non_finite, _}},
                  vquant:qmatmul_q8(ok(vtensor:from_list([V | lists:duplicate(63, 0.5)])), Q))
     || V <- [nan, infinity, neg_infinity]].

f32_linear_test() ->
    X = ok(vtensor:from_list([[1.0, 2.0], [3.0, 4.0]])),
    W = ok(vtensor:from_list([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])),
    ?assertEqual({ok, [[1.0, 2.0, 3.0], [3.0, 4.0, 7.0]]},
                 vtensor:to_nested_list(ok(vquant:f32_linear(X, W)))),
    ?assertMatch({error, {invalid_shape, _}},
                 vquant:f32_linear(X, ok(vtensor:from_list([1.0, 2.0])))).
