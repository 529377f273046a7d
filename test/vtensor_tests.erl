%% EUnit suite for the foundation: creation, views, conversion, metadata,
%% memory accounting, every error path, and the loader's failure modes.
-module(vtensor_tests).

-include_lib("eunit/include/eunit.hrl").

-define(EPS, 1.0e-6).

ok(X) ->
    {ok, V} = X,
    V.

mat() ->
    ok(vtensor:from_list([[1, 2, 3], [4, 5, 6]])).

%% ---------------------------------------------------------------------------
%% Loading

loads_test() ->
    ?assertEqual(ok, viva_tensor_nif:load_status()),
    #{version := V, profile := P} = viva_tensor_nif:build_info(),
    ?assert(is_binary(V)),
    ?assertEqual(<<"release">>, P).

%% ---------------------------------------------------------------------------
%% Creation

from_list_nested_test() ->
    T = mat(),
    ?assertEqual([2, 3], vtensor:shape(T)),
    ?assertEqual(f32, vtensor:dtype(T)),
    ?assertEqual({ok, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]}, vtensor:to_nested_list(T)),
    ?assertEqual({ok, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, vtensor:to_list(T)).

from_list_forms_test() ->
    ?assertEqual([3], vtensor:shape(ok(vtensor:from_list([1.0, 2, 3.5])))),
    ?assertEqual([], vtensor:shape(ok(vtensor:from_list(7)))),
    ?assertEqual({ok, 7.0}, vtensor:to_nested_list(ok(vtensor:from_list(7)))),
    ?assertEqual([0], vtensor:shape(ok(vtensor:from_list([])))),
    ?assertEqual([2, 0], vtensor:shape(ok(vtensor:from_list([[], []])))),
    ?assertEqual({ok, [[], []]}, vtensor:to_nested_list(ok(vtensor:from_list([[], []])))),
    F = ok(vtensor:from_list([1, 2, 3, 4], [2, 2])),
    ?assertEqual([2, 2], vtensor:shape(F)),
    D = ok(vtensor:from_list([0.1, 0.2], [2], f64)),
    ?assertEqual({ok, [0.1, 0.2]}, vtensor:to_list(D)),
    H = ok(vtensor:from_list([[1.5]], bf16)),
    ?assertEqual(bf16, vtensor:dtype(H)).

from_list_errors_test() ->
    ?assertMatch({error, {invalid_shape, _}}, vtensor:from_list([[1], [2, 3]])),
    ?assertMatch({error, {invalid_shape, _}}, vtensor:from_list([1, [2]])),
    ?assertMatch({error, {invalid_shape, _}}, vtensor:from_list([[1], 2])),
    ?assertMatch({error, {invalid_shape, _}}, vtensor:from_list([1, 2, 3], [2, 2])),
    ?assertMatch({error, {invalid_shape, _}}, vtensor:from_list([1], [-1])),
    ?assertMatch({error, {invalid_dtype, _}}, vtensor:from_list([1], [1], int7)),
    ?assertMatch({error, {invalid_dtype, _}}, vtensor:from_list([1], u8)),
    ?assertError(badarg, vtensor:from_list([a], [1], f32)),
    ?assertError(badarg, vtensor:from_list([<<"x">>])),
    ?assertError(badarg, vtensor:from_list(not_a_list, [1], f32)),
    ?assertError(badarg, vtensor:from_list([1], [a], f32)),
    ?assertError(badarg, vtensor:from_list([1], [1], "f32")).

non_finite_atoms_round_trip_test() ->
    T = ok(vtensor:from_list([nan, infinity, neg_infinity, 1.0], [4], f64)),
    ?assertEqual({ok, [nan, infinity, neg_infinity, 1.0]}, vtensor:to_list(T)),
    ?assertMatch({error, {non_finite, _}}, vtensor:to_float_list(T)),
    ?assertEqual({ok, [1.0]}, vtensor:to_float_list(ok(vtensor:from_list([1.0])))).

constants_test() ->
    ?assertEqual({ok, [0.0, 0.0]}, vtensor:to_list(ok(vtensor:zeros([2])))),
    ?assertEqual({ok, [1.0, 1.0]}, vtensor:to_list(ok(vtensor:ones([2], f16)))),
    ?assertEqual({ok, [2.5]}, vtensor:to_list(ok(vtensor:full([1], 2.5, bf16)))),
    ?assertEqual({ok, [[1.0, 0.0], [0.0, 1.0]]}, vtensor:to_nested_list(ok(vtensor:eye(2)))),
    ?assertEqual({ok, [[1.0, 0.0, 0.0]]}, vtensor:to_nested_list(ok(vtensor:eye(1, 3, f64)))),
    ?assertEqual(f64, vtensor:dtype(ok(vtensor:eye(2, f64)))),
    ?assertEqual({ok, []}, vtensor:to_list(ok(vtensor:zeros([0, 5])))),
    ?assertMatch({error, {invalid_shape, _}}, vtensor:zeros([2, -3])),
    ?assertMatch({error, {invalid_shape, _}}, vtensor:zeros([1 bsl 40, 1 bsl 40])),
    ?assertMatch({error, {invalid_argument, _}}, vtensor:eye(-1)),
    ?assertError(badarg, vtensor:zeros(nope)),
    ?assertError(badarg, vtensor:full([1], <<"x">>, f32)).

ranges_test() ->
    ?assertEqual({ok, [0.0, 1.0, 2.0]}, vtensor:to_list(ok(vtensor:arange(3)))),
    ?assertEqual({ok, [2.0, 3.0]}, vtensor:to_list(ok(vtensor:arange(2, 4)))),
    ?assertEqual({ok, [5.0, 3.0, 1.0]}, vtensor:to_list(ok(vtensor:arange(5, 0, -2)))),
    ?assertEqual({ok, [0.0, 0.25, 0.5, 0.75]},
                 vtensor:to_list(ok(vtensor:arange(0, 1, 0.25, f64)))),
    ?assertEqual({ok, []}, vtensor:to_list(ok(vtensor:arange(3, 1)))),
    ?assertMatch({error, {invalid_argument, _}}, vtensor:arange(0, 1, 0)),
    ?assertMatch({error, {invalid_argument, _}}, vtensor:arange(0, 1, 0.0)),
    ?assertEqual({ok, [0.0, 0.5, 1.0]}, vtensor:to_list(ok(vtensor:linspace(0, 1, 3, f64)))),
    ?assertEqual({ok, [4.0]}, vtensor:to_list(ok(vtensor:linspace(4, 9, 1)))),
    ?assertEqual({ok, []}, vtensor:to_list(ok(vtensor:linspace(4, 9, 0)))),
    ?assertMatch({error, {invalid_argument, _}}, vtensor:linspace(0, 1, -2)),
    ?assertError(badarg, vtensor:arange(a, 1, 1, f32)).

random_test() ->
    A = ok(vtensor:random_normal([1000], 42)),
    B = ok(vtensor:random_normal([1000], 42)),
    C = ok(vtensor:random_normal([1000], 43)),
    ?assertEqual(vtensor:to_binary(A), vtensor:to_binary(B)),
    ?assertNotEqual(vtensor:to_binary(A), vtensor:to_binary(C)),
    %% element i does not depend on the tensor's size (nor on threads)
    Big = ok(vtensor:random_normal([200000], 42)),
    {ok, BigL} = vtensor:to_list(Big),
    ?assertEqual(vtensor:to_list(A), {ok, lists:sublist(BigL, 1000)}),
    {ok, U} = vtensor:to_list(ok(vtensor:random_uniform([10000], 1, #{low => -2, high => 3, dtype => f64}))),
    ?assert(lists:all(fun(X) -> X >= -2 andalso X < 3 end, U)),
    Mean = lists:sum(U) / length(U),
    ?assert(abs(Mean - 0.5) < 0.1),
    {ok, N} = vtensor:to_list(ok(vtensor:random_normal([20000], 3, #{mean => 5.0, std => 2.0}))),
    NMean = lists:sum(N) / length(N),
    ?assert(abs(NMean - 5.0) < 0.1),
    ?assertMatch({ok, _}, vtensor:random_uniform([2], -5)),
    ?assertMatch({error, {invalid_argument, _}}, vtensor:random_uniform([2], 1, #{low => 1, high => 0})),
    ?assertMatch({error, {invalid_argument, _}}, vtensor:random_normal([2], 1, #{std => -1})),
    ?assertError(badarg, vtensor:random_normal([2], 1 bsl 70)),
    ?assertError(badarg, vtensor:random_normal([2], 1.5)).

%% Pinned values: the generator is specified (counter-based SplitMix64 +
%% Box-Muller with libm), so these bits must hold on every machine (the
%% same pins are in native/viva_tensor_core/src/random.rs).
random_pinned_test() ->
    {ok, U} = vtensor:to_binary(ok(vtensor:random_uniform([3], 42, #{dtype => f64}))),
    ?assertEqual(<<16#3fe31367e26140c7:64/little, 16#3fc486da5f92b86c:64/little,
                   16#3fc54c85f31d00d8:64/little>>, U),
    {ok, N} = vtensor:to_binary(ok(vtensor:random_normal([3], 42, #{dtype => f64}))),
    ?assertEqual(<<16#3fe7016441091724:64/little, 16#3ff237bae7430474:64/little,
                   16#3fe26f19dd4f7131:64/little>>, N).

from_binary_test() ->
    Bin = <<1.0:32/float-little, 2.0:32/float-little, 3.0:32/float-little, 4.0:32/float-little>>,
    T = ok(vtensor:from_binary(Bin, f32, [2, 2])),
    ?assertEqual({ok, [[1.0, 2.0], [3.0, 4.0]]}, vtensor:to_nested_list(T)),
    ?assertEqual({ok, Bin}, vtensor:to_binary(T)),
    %% a sub-binary at an odd offset is fine (no alignment requirement)
    <<_:8, Odd/binary>> = <<0, Bin/binary>>,
    ?assertMatch({ok, _}, vtensor:from_binary(Odd, f32, [4])),
    ?assertMatch({error, {invalid_argument, _}}, vtensor:from_binary(Bin, f32, [3])),
    ?assertMatch({error, {invalid_argument, _}}, vtensor:from_binary(<<1, 2, 3>>, f16, [2])),
    ?assertMatch({error, {invalid_dtype, _}}, vtensor:from_binary(Bin, i32, [4])),
    ?assertError(badarg, vtensor:from_binary([1, 2], f32, [2])),
    [?assertEqual(ok, roundtrip_binary(D)) || D <- [f32, f64, f16, bf16]].

roundtrip_binary(Dtype) ->
    T = ok(vtensor:random_normal([3, 5], 9, #{dtype => Dtype})),
    {ok, Bin} = vtensor:to_binary(T),
    ?assertEqual(15 * bytes_per(Dtype), byte_size(Bin)),
    T2 = ok(vtensor:from_binary(Bin, Dtype, [3, 5])),
    ?assertEqual({ok, Bin}, vtensor:to_binary(T2)),
    ok.

bytes_per(f64) -> 8;
bytes_per(f32) -> 4;
bytes_per(_) -> 2.

%% A large contiguous tensor is exported without a copy: the binary keeps
%% the storage alive after the handle is released.
to_binary_zero_copy_test() ->
    T = ok(vtensor:arange(0, 100000, 1, f32)),
    #{bytes := B0} = vtensor:memory_stats(),
    {ok, Bin} = vtensor:to_binary(T),
    #{bytes := B1} = vtensor:memory_stats(),
    ?assertEqual(B0, B1),
    ok = vtensor:deallocate(T),
    #{bytes := B2} = vtensor:memory_stats(),
    ?assertEqual(B1, B2),
    <<_:(4 * 99999)/binary, Last:32/float-little>> = Bin,
    ?assertEqual(99999.0, Last).

as_type_test() ->
    T = ok(vtensor:from_list([1.0, 2.5, 1.0e5], [3], f64)),
    H = ok(vtensor:as_type(T, f16)),
    ?assertEqual(f16, vtensor:dtype(H)),
    ?assertEqual(6, vtensor:nbytes(H)),
    ?assertEqual({ok, [1.0, 2.5, infinity]}, vtensor:to_list(H)),
    B = ok(vtensor:as_type(T, bf16)),
    ?assertEqual({ok, [1.0, 2.5, 99840.0]}, vtensor:to_list(B)),
    ?assertEqual({ok, true}, vtensor:shares_storage(T, ok(vtensor:as_type(T, f64)))),
    ?assertMatch({error, {invalid_dtype, _}}, vtensor:as_type(T, int8)),
    %% of a view: the view's elements
    TT = ok(vtensor:transpose(mat())),
    ?assertEqual({ok, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]}, vtensor:to_list(ok(vtensor:as_type(TT, f64)))).

%% ---------------------------------------------------------------------------
%% Views

views_share_storage_test() ->
    T = ok(vtensor:random_normal([256, 256], 1)),
    #{bytes := Before, buffers := Buffers} = vtensor:memory_stats(),
    Views = [ok(vtensor:transpose(T)),
             ok(vtensor:permute(T, [1, 0])),
             ok(vtensor:reshape(T, [-1])),
             ok(vtensor:slice(T, [10, 0], [20, 256], [2, 3])),
             ok(vtensor:unsqueeze(T, 0)),
             ok(vtensor:squeeze(ok(vtensor:unsqueeze(T, 1)))),
             ok(vtensor:broadcast_to(T, [8, 256, 256])),
             ok(vtensor:expand(T, [4, -1, -1]))],
    #{bytes := After, buffers := Buffers2} = vtensor:memory_stats(),
    ?assertEqual(Before, After),
    ?assertEqual(Buffers, Buffers2),
    [?assertEqual({ok, true}, vtensor:shares_storage(T, V)) || V <- Views].

transpose_test() ->
    TT = ok(vtensor:transpose(mat())),
    ?assertEqual([3, 2], vtensor:shape(TT)),
    ?assertEqual([1, 3], vtensor:strides(TT)),
    ?assertNot(vtensor:is_contiguous(TT)),
    ?assertEqual({ok, [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]}, vtensor:to_nested_list(TT)),
    T3 = ok(vtensor:reshape(ok(vtensor:arange(24)), [2, 3, 4])),
    ?assertEqual([4, 3, 2], vtensor:shape(ok(vtensor:transpose(T3)))),
    ?assertEqual([4, 2, 3], vtensor:shape(ok(vtensor:transpose(T3, [2, 0, 1])))),
    ?assertMatch({error, {invalid_argument, _}}, vtensor:permute(T3, [0, 0, 1])),
    ?assertMatch({error, {invalid_argument, _}}, vtensor:permute(T3, [0, 1])),
    ?assertMatch({error, {out_of_bounds, _}}, vtensor:permute(T3, [0, 1, 3])),
    ?assertEqual([2, 4, 3], vtensor:shape(ok(vtensor:permute(T3, [0, -1, 1])))).

reshape_test() ->
    T = ok(vtensor:arange(12)),
    ?assertEqual([3, 4], vtensor:shape(ok(vtensor:reshape(T, [3, -1])))),
    ?assertEqual([2, 2, 3], vtensor:shape(ok(vtensor:reshape(T, [2, 2, 3])))),
    ?assertMatch({error, {invalid_shape, _}}, vtensor:reshape(T, [5, -1])),
    ?assertMatch({error, {invalid_shape, _}}, vtensor:reshape(T, [-1, -1])),
    ?assertMatch({error, {invalid_shape, _}}, vtensor:reshape(T, [-2, -6])),
    %% a non-contiguous input is copied, in row-major order of the view
    TT = ok(vtensor:transpose(mat())),
    R = ok(vtensor:reshape(TT, [6])),
    ?assertEqual({ok, false}, vtensor:shares_storage(TT, R)),
    ?assertEqual({ok, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]}, vtensor:to_list(R)),
    ?assertError(badarg, vtensor:reshape(T, [a])).

slice_test() ->
    T = ok(vtensor:reshape(ok(vtensor:arange(20)), [4, 5])),
    S = ok(vtensor:slice(T, [1, 0], [3, 5], [1, 2])),
    ?assertEqual({ok, [[5.0, 7.0, 9.0], [10.0, 12.0, 14.0]]}, vtensor:to_nested_list(S)),
    ?assertEqual({ok, [[15.0, 16.0, 17.0, 18.0, 19.0]]},
                 vtensor:to_nested_list(ok(vtensor:slice(T, [-1], [4])))),
    ?assertEqual([0, 5], vtensor:shape(ok(vtensor:slice(T, [2], [2])))),
    ?assertMatch({error, {out_of_bounds, _}}, vtensor:slice(T, [0], [5])),
    ?assertMatch({error, {out_of_bounds, _}}, vtensor:slice(T, [-5], [2])),
    ?assertMatch({error, {invalid_argument, _}}, vtensor:slice(T, [0], [2], [0])),
    ?assertMatch({error, {invalid_argument, _}}, vtensor:slice(T, [3], [1])),
    ?assertMatch({error, {invalid_argument, _}}, vtensor:slice(T, [0, 0, 0], [1, 1, 1])),
    ?assertMatch({error, {invalid_argument, _}}, vtensor:slice(T, [0, 0], [1, 1], [1])),
    %% a slice of a slice
    SS = ok(vtensor:slice(S, [1, 1], [2, 3])),
    ?assertEqual({ok, [12.0, 14.0]}, vtensor:to_list(SS)).

squeeze_unsqueeze_test() ->
    T = ok(vtensor:zeros([1, 3, 1])),
    ?assertEqual([3], vtensor:shape(ok(vtensor:squeeze(T)))),
    ?assertEqual([1, 3], vtensor:shape(ok(vtensor:squeeze(T, [-1])))),
    ?assertMatch({error, {invalid_shape, _}}, vtensor:squeeze(T, [1])),
    ?assertMatch({error, {out_of_bounds, _}}, vtensor:squeeze(T, [3])),
    ?assertEqual([1, 3, 1, 1], vtensor:shape(ok(vtensor:unsqueeze(T, -1)))),
    ?assertEqual([1, 1, 3, 1], vtensor:shape(ok(vtensor:unsqueeze(T, 0)))),
    ?assertMatch({error, {out_of_bounds, _}}, vtensor:unsqueeze(T, 5)),
    ?assertError(badarg, vtensor:unsqueeze(T, a)).

broadcast_test() ->
    Col = ok(vtensor:from_list([[1], [2], [3]])),
    B = ok(vtensor:broadcast_to(Col, [2, 3, 2])),
    ?assertEqual([0, 1, 0], vtensor:strides(B)),
    ?assertEqual({ok, [[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]], [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]]},
                 vtensor:to_nested_list(B)),
    ?assertEqual({error, {shape_mismatch, [4, 2], [3, 1]}}, vtensor:broadcast_to(Col, [4, 2])),
    ?assertEqual([3, 3, 3], vtensor:shape(ok(vtensor:broadcast_to(Col, [3, 3, 3])))),
    ?assertEqual({error, {shape_mismatch, [3], [3, 1]}}, vtensor:broadcast_to(Col, [3])),
    ?assertEqual([3, 5], vtensor:shape(ok(vtensor:expand(Col, [-1, 5])))),
    ?assertMatch({error, {invalid_shape, _}}, vtensor:expand(Col, [-1, -1, 5])),
    %% materialising a broadcast view copies it out
    C = ok(vtensor:contiguous(B)),
    ?assert(vtensor:is_contiguous(C)),
    ?assertEqual(vtensor:to_list(B), vtensor:to_list(C)).

rank8_test() ->
    Shape = [2, 1, 2, 1, 2, 1, 2, 3],
    T = ok(vtensor:reshape(ok(vtensor:arange(48)), Shape)),
    ?assertEqual(8, vtensor:rank(T)),
    P = ok(vtensor:permute(T, [7, 6, 5, 4, 3, 2, 1, 0])),
    ?assertEqual(lists:reverse(Shape), vtensor:shape(P)),
    ?assertEqual(vtensor:to_list(ok(vtensor:transpose(T))), vtensor:to_list(P)),
    ?assertEqual(48, length(element(2, vtensor:to_list(ok(vtensor:copy(P)))))).

%% ---------------------------------------------------------------------------
%% Metadata

metadata_test() ->
    T = mat(),
    ?assertEqual(6, vtensor:size(T)),
    ?assertEqual(2, vtensor:rank(T)),
    ?assertEqual([3, 1], vtensor:strides(T)),
    ?assert(vtensor:is_contiguous(T)),
    ?assertEqual(24, vtensor:nbytes(T)),
    ?assert(vtensor:is_tensor(T)),
    ?assertNot(vtensor:is_tensor(make_ref())),
    ?assertNot(vtensor:is_tensor(42)),
    ?assertError(badarg, vtensor:shape(make_ref())),
    ?assertError(badarg, vtensor:dtype(not_a_tensor)),
    ?assertError(badarg, vtensor:to_list(self())).

%% ---------------------------------------------------------------------------
%% Memory

deallocate_test() ->
    T = ok(vtensor:zeros([1000, 1000])),
    V = ok(vtensor:transpose(T)),
    #{bytes := B0} = vtensor:memory_stats(),
    ok = vtensor:deallocate(T),
    %% the view still holds the storage
    #{bytes := B1} = vtensor:memory_stats(),
    ?assertEqual(B0, B1),
    ?assert(vtensor:is_deallocated(T)),
    ?assertEqual([1000, 1000], vtensor:shape(T)),
    ?assertEqual({error, deallocated}, vtensor:to_list(T)),
    ?assertEqual({error, deallocated}, vtensor:to_binary(T)),
    ?assertEqual({error, deallocated}, vtensor:transpose(T)),
    ?assertEqual({error, deallocated}, vtensor:as_type(T, f64)),
    ?assertEqual(ok, vtensor:deallocate(T)),
    ok = vtensor:deallocate(V),
    #{bytes := B2} = vtensor:memory_stats(),
    ?assertEqual(B0 - 4000000, B2).

%% 100 x 4 MB allocated and freed in a loop: the account returns to its start.
alloc_free_loop_test() ->
    %% Collect every process so earlier tests' garbage tensors are not
    %% freed in the middle of the measurement.
    quiesce(),
    #{bytes := Start, buffers := StartBuffers} = vtensor:memory_stats(),
    ok = vtensor:reset_peak_memory(),
    lists:foreach(
        fun(I) ->
            T = ok(vtensor:random_uniform([1024, 1024], I)),
            ?assertEqual(4194304, vtensor:nbytes(T)),
            ok = vtensor:deallocate(T)
        end,
        lists:seq(1, 100)),
    #{bytes := End, buffers := EndBuffers, peak_bytes := Peak} = vtensor:memory_stats(),
    ?assertEqual(Start, End),
    ?assertEqual(StartBuffers, EndBuffers),
    ?assert(Peak >= Start + 4194304),
    ?assert(Peak < Start + 2 * 4194304 + 1).

quiesce() ->
    [erlang:garbage_collect(P) || P <- processes()],
    timer:sleep(20).

gc_frees_storage_test() ->
    quiesce(),
    #{bytes := Start} = vtensor:memory_stats(),
    {Pid, Ref} = spawn_monitor(fun() ->
        _ = ok(vtensor:zeros([1024, 1024])),
        exit(done)
    end),
    receive {'DOWN', Ref, process, Pid, done} -> ok after 5000 -> error(timeout) end,
    %% the process heap is gone; the resource destructor ran
    wait_until(fun() -> maps:get(bytes, vtensor:memory_stats()) =< Start end, 2000).

wait_until(F, Ms) when Ms =< 0 -> ?assert(F());
wait_until(F, Ms) ->
    case F() of
        true -> ok;
        false -> timer:sleep(10), wait_until(F, Ms - 10)
    end.

%% ---------------------------------------------------------------------------
%% Errors

panic_becomes_internal_error_test() ->
    ?assertEqual({error, {internal, <<"deliberate">>}}, viva_tensor_nif:test_panic(<<"deliberate">>)),
    ?assertMatch({error, {invalid_argument, _}}, viva_tensor_nif:test_panic(<<>>)),
    %% the VM and the library keep working
    ?assertMatch({ok, _}, vtensor:zeros([2])).

%% ---------------------------------------------------------------------------
%% Dirty-scheduler dispatch keeps results identical across the threshold

threshold_consistency_test() ->
    N = vtensor:dirty_threshold() + 10,
    Small = ok(vtensor:arange(0, 10, 1, f64)),
    Big = ok(vtensor:arange(0, N, 1, f64)),
    {ok, SmallL} = vtensor:to_list(Small),
    {ok, BigL} = vtensor:to_list(Big),
    ?assertEqual(SmallL, lists:sublist(BigL, 10)),
    BigT = ok(vtensor:transpose(ok(vtensor:reshape(Big, [N div 2, 2])))),
    ?assertEqual(N, length(element(2, vtensor:to_list(BigT)))),
    L = lists:seq(1, vtensor:dirty_list_threshold() + 5),
    ?assertEqual({ok, [float(X) || X <- L]}, vtensor:to_list(ok(vtensor:from_list(L, [length(L)], f64)))).
