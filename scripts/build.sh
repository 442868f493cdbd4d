#!/bin/sh
# Builds ninet into build/ (or $1) with clang, Ninja and ccache.
set -e
cd "$(dirname "$0")/.."
B=${1:-build}
if [ $# -gt 0 ]; then shift; fi
cmake -S . -B "$B" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
ninja -C "$B"
