#!/bin/sh
# run.sh — build ninet's libFuzzer targets and run them (docs/fuzzing.md).
#
#   sh tests/fuzz/run.sh                   every target, 60 s each
#   sh tests/fuzz/run.sh 30 ip6_fuzz       one target, 30 s
#   sh tests/fuzz/run.sh 0                 replay the seed corpora only (CI)
#
# Targets are the basenames of every src/**/*_fuzz.cc. Each runs on a copy of
# tests/fuzz/corpus/<target>/ in a scratch directory (printed; the repository
# is never written), which also holds its log and any crash/leak/timeout
# artifact. With 0 seconds each target executes its seeds once, without
# mutation. Exits 1 naming every target that failed, 2 on bad usage or a build
# failure.
#
# Environment:
#   FUZZ_BUILD    build directory (default build-fuzz, relative to the repo)
#   FUZZ_SCRATCH  scratch directory (default: a new mktemp -d)
#   FUZZ_ARGS     extra libFuzzer flags for every target (e.g. -jobs=2)
#   FUZZ_TIMEOUT  seconds one input may take (default 25)
set -u

usage() {
  echo "usage: sh tests/fuzz/run.sh [seconds-per-target] [target...]" >&2
  exit 2
}

secs=${1:-60}
case $secs in
'' | *[!0-9]*) usage ;;
esac
[ $# -gt 0 ] && shift

root=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
cd "$root" || exit 2
build=${FUZZ_BUILD:-build-fuzz}
timeout=${FUZZ_TIMEOUT:-25}

all=$(find src -name '*_fuzz.cc' | sed 's|.*/||; s|\.cc$||' | sort | tr '\n' ' ' | sed 's/ $//')
if [ $# -gt 0 ]; then
  targets=$*
  for t in $targets; do
    case " $all " in
    *" $t "*) ;;
    *)
      echo "fuzz: no such target: $t (have: $all)" >&2
      exit 2
      ;;
    esac
  done
else
  targets=$all
fi

scratch=${FUZZ_SCRATCH:-$(mktemp -d "${TMPDIR:-/tmp}/ninet-fuzz.XXXXXX")}
mkdir -p "$scratch" || exit 2
scratch=$(cd "$scratch" && pwd)
echo "fuzz: scratch directory $scratch"

echo "fuzz: building $targets in $build"
if ! cmake -S . -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DNINET_FUZZ=ON -DNINET_BENCH=OFF >"$scratch/build.log" 2>&1; then
  tail -n 30 "$scratch/build.log" >&2
  echo "fuzz: cmake failed (log $scratch/build.log)" >&2
  exit 2
fi
# shellcheck disable=SC2086
if ! ninja -C "$build" $targets >>"$scratch/build.log" 2>&1; then
  grep -E -A8 'error|FAILED' "$scratch/build.log" | head -n 60 >&2
  echo "fuzz: build failed (log $scratch/build.log)" >&2
  exit 2
fi

# UBSan reports are failures, not warnings.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

# The longest input to generate: -max_len=N named in the target's source (its
# header comment), else 2048 (packets up to a jumbo-less MTU with room to
# spare); never shorter than its longest seed.
max_len() {
  src=$(find src -name "$1.cc" | head -n 1)
  n=$(sed -n 's/.*-max_len=\([0-9][0-9]*\).*/\1/p' "$src" | head -n 1)
  n=${n:-2048}
  for f in "tests/fuzz/corpus/$1"/*; do
    [ -f "$f" ] || continue
    s=$(wc -c <"$f")
    [ "$s" -gt "$n" ] && n=$s
  done
  echo "$n"
}

failed=
for t in $targets; do
  bin=$(find "$build/src" -type f -name "$t" | head -n 1)
  if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    echo "FAIL $t: no binary under $build/src" >&2
    failed="$failed $t"
    continue
  fi
  dir=$scratch/$t
  mkdir -p "$dir/corpus" "$dir/artifacts"
  seeds=0
  if [ -d "tests/fuzz/corpus/$t" ]; then
    cp -R "tests/fuzz/corpus/$t/." "$dir/corpus/"
    seeds=$(find "$dir/corpus" -type f | wc -l)
  fi
  if [ "$secs" -eq 0 ]; then
    # Each seed once (and the empty input), no mutation.
    # shellcheck disable=SC2086
    "$bin" -runs=0 -timeout="$timeout" -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
      ${FUZZ_ARGS:-} "$dir/corpus" >"$dir/log" 2>&1
  else
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout="$timeout" \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
      ${FUZZ_ARGS:-} "$dir/corpus" >"$dir/log" 2>&1
  fi
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
  if [ $rc -ne 0 ]; then
    failed="$failed $t"
    echo "FAIL $t (exit $rc, $seeds seeds): log $dir/log"
    grep -E 'ERROR|SUMMARY|invariant failed|runtime error|Test unit written' "$dir/log" | head -n 10
    for a in "$dir/artifacts"/*; do
      [ -f "$a" ] && echo "  reproduce: $bin $a"
    done
  else
    echo "ok   $t: ${execs:-?} executions ($seeds seeds, ${secs}s)"
  fi
done

if [ -n "$failed" ]; then
  echo "fuzz: FAILED:$failed (artifacts and logs in $scratch)"
  exit 1
fi
echo "fuzz: all passed (corpora and logs in $scratch)"
