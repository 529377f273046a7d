%% EUnit tests for viva_tensor_native_mode (the routing switch of the
%% list-backed viva_tensor/tensor module).
-module(viva_tensor_native_mode_tests).

-include_lib("eunit/include/eunit.hrl").

modes_test() ->
    Before = viva_tensor_native_mode:get(),
    try
        ok = viva_tensor_native_mode:set(always),
        ?assertEqual(always, viva_tensor_native_mode:get()),
        ?assertEqual(0, viva_tensor_native_mode:min_work(4096)),
        ok = viva_tensor_native_mode:set(never),
        ?assert(viva_tensor_native_mode:min_work(4096) > 1 bsl 60),
        ok = viva_tensor_native_mode:set(auto),
        ?assertEqual(4096, viva_tensor_native_mode:min_work(4096)),
        ?assertError(badarg, viva_tensor_native_mode:set(sometimes))
    after
        viva_tensor_native_mode:set(Before)
    end.
