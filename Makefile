# The two commands of the README. Each installs what is missing, builds, then runs.
.PHONY: run test deps build-release build-debug build-server build-fuzz bench fuzz stress tsan clean

SHELL := /bin/bash
JOBS ?= $(shell nproc)

# `make run` builds smartlogd alone (its libraries and the dashboard): not the tests, the
# benchmark or the command-line client, which `make build-release` builds too.
run: deps build-server
	./build/release/app/smartlogd $(ARGS)

test: deps build-debug build-fuzz
	ctest --preset debug -j $(JOBS)

deps:
	@./scripts/install-deps.sh

build-release:
	@test -f build/release/CMakeCache.txt || cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

build-server:
	@test -f build/release/CMakeCache.txt || cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target smartlogd

build-debug:
	@test -f build/debug/CMakeCache.txt || cmake --preset debug >/dev/null
	cmake --build --preset debug -j $(JOBS)

# The libFuzzer targets (clang-14), which the fuzz smoke test of `make test` runs; without
# clang++-14 that test is skipped.
build-fuzz:
	@if command -v clang++-14 >/dev/null 2>&1; then \
	  test -f build/fuzz/CMakeCache.txt || cmake --preset fuzz >/dev/null; \
	  cmake --build --preset fuzz -j $(JOBS); \
	else \
	  echo "build-fuzz: clang++-14 not found, the fuzz smoke test will be skipped (./scripts/install-deps.sh installs it)"; \
	fi

# Each libFuzzer target runs FUZZ_RUNS executions (at most FUZZ_SECONDS) from a copy of its
# seed corpus; a crash leaves its input in build/fuzz/artifacts/ and fails the target. UBSan
# reports are recoverable in the fuzz build: halt_on_error makes them crashes too. docs/fuzzing.md
FUZZ_RUNS ?= 1000000
FUZZ_SECONDS ?= 300
FUZZ_TARGETS ?= codec config timestamp units ingest query auth http otlp loki syslog inflate field_query
fuzz: deps build-fuzz
	@mkdir -p build/fuzz/artifacts
	@for t in $(FUZZ_TARGETS); do \
	  rm -rf build/fuzz/corpus-$$t && cp -r tests/fuzz/corpus/$$t build/fuzz/corpus-$$t && \
	  echo "fuzz_$$t: $(FUZZ_RUNS) runs, at most $(FUZZ_SECONDS) s" && \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ./build/fuzz/tests/fuzz/fuzz_$$t -runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=build/fuzz/artifacts/$$t- -print_final_stats=1 build/fuzz/corpus-$$t 2>&1 \
	    | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|Done)' ; \
	  test $${PIPESTATUS[0]} -eq 0 || exit 1; \
	done

# ThreadSanitizer (preset tsan): smartlogd, the CLI and the GoogleTest suites (unit, C++
# integration against smartlogd, client library) built with -fsanitize=thread, then those suites;
# any report fails. Suppressions, each with its reason: tests/tsan.supp. docs/threading.md
tsan: deps
	@test -f build/tsan/CMakeCache.txt || cmake --preset tsan >/dev/null
	cmake --build --preset tsan -j $(JOBS)
	ctest --preset tsan -j $(JOBS)

# The benchmark suite (bench/README.md): a Release smartlogd and the load generator, built in
# their own directory, then every scenario against smartlogd and redis-server; writes
# bench/RESULTS.md. Each scenario runs BENCH_REPEAT times per server and reports the median run,
# which a busy 2-core machine needs; BENCH_ARGS adds flags, e.g. BENCH_ARGS="--only fanout --out -".
BENCH_REPEAT ?= 3
bench: deps
	@test -f build/bench/CMakeCache.txt || cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DSMARTLOG_BUILD_TESTS=OFF >/dev/null
	cmake --build build/bench --target smartlogd smartlog-bench
	./build/bench/bench/smartlog-bench suite --smartlogd build/bench/app/smartlogd --repeat $(BENCH_REPEAT) $(BENCH_ARGS)

# The stress suite (tests/stress/): the connection and rate limits under load (1,100 connections
# against max_connections, 1,000 slowloris sockets, a noisy app against its rate limit, 10,000
# idle connections, 100 stalled viewers), then one probe per hostile client of the bounds table
# (tests/stress/RESULTS.md). Release smartlogd, loopback only, each probe bounded in time and
# each server in memory (STRESS_RSS_CAP, 3 GiB); prints every figure with PASS/FAIL and a summary
# table. STRESS_ARGS="--only idle,stalled,7" runs some probes (by name, row, or the groups limits and
# hostile); "--list" lists them.
stress: deps
	@test -f build/release/CMakeCache.txt || cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target smartlogd
	ulimit -n 20000 && SMARTLOG_BIN=build/release/app/smartlogd NODE_PATH=tests/node_modules \
	  timeout 900 node tests/stress/stress.js $(STRESS_ARGS)

clean:
	rm -rf build
