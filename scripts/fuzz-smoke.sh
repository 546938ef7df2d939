#!/usr/bin/env bash
# The fuzz smoke run of `make test`: every libFuzzer target of tests/fuzz/ for a few thousand
# executions from its seed corpus, with a fixed seed so that a run is repeatable. A crash, a
# sanitizer report, a leak or a failed check fails it and leaves the input in
# BUILD/smoke/artifacts/. docs/fuzzing.md; `make fuzz` is the long run.
#   fuzz-smoke.sh FUZZ_BUILD_DIR SOURCE_DIR [RUNS]
# Exits 77 (ctest: skipped) when the fuzz build is absent: `make test` builds it where clang-14
# is installed (scripts/install-deps.sh installs it).
set -uo pipefail
build=$1
src=$2
runs=${3:-${FUZZ_SMOKE_RUNS:-3000}}
bin=$build/tests/fuzz

if [[ ! -d $bin ]]; then
  echo "fuzz-smoke: SKIPPED: no fuzz build in $build (make test builds it when clang++-14 is installed)"
  exit 77
fi

work=$build/smoke
rm -rf "$work"
mkdir -p "$work/artifacts"
status=0
# One target per seed corpus: a corpus without its binary means a stale or broken fuzz build.
for corpus in "$src"/tests/fuzz/corpus/*/; do
  target=$(basename "$corpus")
  exe=$bin/fuzz_$target
  if [[ ! -x $exe ]]; then
    echo "fuzz_$target: FAILED: $exe was not built"
    status=1
    continue
  fi
  # New inputs go to a scratch corpus listed first; the seeds are only read.
  mkdir -p "$work/corpus-$target"
  start=$SECONDS
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$exe" -runs="$runs" -seed=1 \
    -max_total_time=60 -timeout=20 -artifact_prefix="$work/artifacts/$target-" \
    -print_final_stats=1 "$work/corpus-$target" "$corpus" >"$work/$target.log" 2>&1
  rc=$?
  executed=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$work/$target.log")
  if ((rc != 0)); then
    echo "fuzz_$target: FAILED (exit $rc) after ${executed:-?} executions; log: $work/$target.log"
    grep -E '==[0-9]+==ERROR|runtime error|SUMMARY|Test unit written' "$work/$target.log" | head -5
    status=1
  else
    echo "fuzz_$target: ${executed:-?} executions in $((SECONDS - start)) s"
  fi
done
exit $status
