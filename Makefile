# viva_tensor — the commands a newcomer needs.
#   make demo    the memory multiplication report: every quantized format on a
#                4096x4096 weight (size, error, speed, qmatmul vs f32, RAM fit)
#   make tour    a short tour of the library (builds what it needs)
#   make test    every test: cargo, EUnit/PropEr, Gleam (when gleam is on PATH), mix
#   make examples  the Gleam examples in the shape of VIVA's use (LSTM step,
#                dense layer with backprop, attention block, HRR memory)
#   make bench   benchmarks (not timed tests)
#   make lint    clippy, rustfmt check, erlc warnings as errors
.PHONY: all nif build test test-rust test-erlang test-gleam test-examples test-mix test-package package demo tour examples bench lint clean

REBAR3 ?= rebar3
export MIX_REBAR3 ?= $(shell command -v $(REBAR3))

all: build

nif:
	sh native/build_nif.sh

build:
	$(REBAR3) compile

test: test-rust test-erlang test-gleam test-examples test-mix test-package
	@echo "make test: all suites passed"

test-rust:
	cargo test --workspace

test-erlang: build
	$(REBAR3) eunit

test-gleam: nif
	@if command -v gleam >/dev/null 2>&1; then \
		gleam test && \
		echo "Gleam: viva_tensor/tensor suites with every heavy function native (VIVA_TENSOR_NATIVE=always)" && \
		VIVA_TENSOR_NATIVE=always gleam test && \
		echo "Gleam: viva_tensor/tensor suites with the native library off (VIVA_TENSOR_NATIVE=off)" && \
		VIVA_TENSOR_NATIVE=off gleam test; \
	else \
		echo "SKIPPED: Gleam tests (no 'gleam' on PATH; install Gleam 1.17 to run them)"; \
	fi

test-examples: nif
	@if command -v gleam >/dev/null 2>&1; then \
		cd examples && gleam test; \
	else \
		echo "SKIPPED: examples tests (no 'gleam' on PATH; install Gleam 1.17 to run them)"; \
	fi

EXAMPLES = lstm_step dense_backprop attention hrr_memory

examples: nif
	@if command -v gleam >/dev/null 2>&1; then \
		cd examples && for m in $(EXAMPLES); do gleam run -m $$m || exit 1; echo; done; \
	else \
		echo "SKIPPED: examples (no 'gleam' on PATH; install Gleam 1.17 to run them)"; \
	fi

# The hex tarball (Gleam package) with the NIF prebuilt in priv/, for
# x86-64 Linux at the baseline instruction set (faster paths are chosen at
# run time). Needs gleam.
package: nif
	gleam export hex-tarball

test-package:
	@if command -v gleam >/dev/null 2>&1; then \
		$(MAKE) package && sh test/package/check.sh; \
	else \
		echo "SKIPPED: package test (no 'gleam' on PATH; install Gleam 1.17 to run it)"; \
	fi

test-mix: nif
	cd test/mix_smoke && MIX_ENV=test mix test

# VIVA_REPORT_FILE=w.f32 VIVA_REPORT_SHAPE=ROWSxCOLS make demo reports on your
# own raw little-endian f32 matrix instead of the synthetic one.
demo: build
	@mkdir -p _build/examples
	erlc -o _build/examples examples/memory_report.erl
	erl -noshell -pa _build/default/lib/viva_tensor/ebin -pa _build/examples -eval 'memory_report:main(), halt().'

tour: build
	@mkdir -p _build/examples
	erlc -o _build/examples examples/demo_tour.erl
	erl -noshell -pa _build/default/lib/viva_tensor/ebin -pa _build/examples -eval 'demo_tour:main(), halt().'

bench: build
	$(REBAR3) as test compile
	@mkdir -p _build/bench
	erlc -o _build/bench bench/bench_timing.erl bench/vtensor_bench.erl bench/vops_bench.erl bench/hrr_bench.erl bench/quant_bench.erl
	cp bench/numpy_ref.py _build/bench/
	erl -noshell -pa _build/default/lib/viva_tensor/ebin -pa _build/bench \
		-eval 'vtensor_bench:run(), halt().'
	erl -noshell -pa _build/default/lib/viva_tensor/ebin -pa _build/bench \
		-eval 'vops_bench:run(), hrr_bench:run(), halt().'
	erl -noshell -pa _build/default/lib/viva_tensor/ebin -pa _build/bench \
		-eval 'quant_bench:run(), halt().'
	erl -noshell -pa _build/test/lib/viva_tensor/ebin -pa _build/test/lib/viva_tensor/test \
		-eval 'viva_tensor_pool_bench:run(), halt().'
	@if command -v gleam >/dev/null 2>&1; then \
		gleam build && erlc -o _build/bench bench/compat_bench.erl && \
		erl -noshell -pa build/dev/erlang/viva_tensor/ebin -pa _build/bench \
			-eval 'compat_bench:run(), halt().' && \
		$(MAKE) examples; \
	else \
		echo "SKIPPED: viva_tensor/tensor crossover and example rows (no 'gleam' on PATH)"; \
	fi

lint:
	cargo clippy --workspace --all-targets -- -D warnings
	cargo fmt --all -- --check
	$(REBAR3) compile

clean:
	cargo clean
	rm -rf _build build priv/*.so test/mix_smoke/_build test/mix_smoke/deps
