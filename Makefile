# The two commands of the README. Each installs what is missing, builds, then runs.
.PHONY: run test deps build-release build-debug bench clean

JOBS ?= $(shell nproc)

run: deps build-release
	./build/release/app/smartlogd $(ARGS)

test: deps build-debug
	ctest --preset debug -j $(JOBS)

deps:
	@./scripts/install-deps.sh

build-release:
	@test -f build/release/CMakeCache.txt || cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

build-debug:
	@test -f build/debug/CMakeCache.txt || cmake --preset debug >/dev/null
	cmake --build --preset debug -j $(JOBS)

# The benchmark suite (bench/README.md): a Release smartlogd and the load generator, built in
# their own directory, then every scenario against smartlogd and redis-server; writes
# bench/RESULTS.md. BENCH_ARGS adds flags, e.g. BENCH_ARGS="--only fanout --out -".
bench: deps
	@test -f build/bench/CMakeCache.txt || cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DSMARTLOG_BUILD_TESTS=OFF >/dev/null
	cmake --build build/bench --target smartlogd smartlog-bench
	./build/bench/bench/smartlog-bench suite --smartlogd build/bench/app/smartlogd $(BENCH_ARGS)

clean:
	rm -rf build
