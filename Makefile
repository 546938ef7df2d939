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

clean:
	rm -rf build
