#!/bin/sh
# The second command of the README (and CI's .ci/run): set up, build and run
# every test: the layering check, formatting, unit tests, unit tests again
# under ASan+UBSan, the end-to-end/interop tests against the Linux kernel
# in network namespaces, and every fuzz target over its seed corpus. Run as root.
set -e
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces, TAP/TUN, FUSE)"; exit 1; }
export CCACHE_DIR=${CCACHE_DIR:-$PWD/.cache/ccache}
sh scripts/packages.sh
# The peers VM (../shared/peers: Debian's kernel, pppd, xl2tpd, v9fs... under
# QEMU) for the tests against Linux's own clients; its guest is assembled
# from Debian packages once and cached. Tests that need it skip, saying why,
# where it cannot be built.
PEERS=$(cd .. && pwd)/shared/peers
if [ -x "$PEERS/build-guest.sh" ]; then
  bash "$PEERS/build-guest.sh" >/dev/null 2>&1 || echo "peers VM not built: the tests that need it skip"
fi
modprobe fuse 2>/dev/null || true
modprobe tun 2>/dev/null || true

echo "== layering"
python3 .ci/check-layers --self-test
python3 .ci/check-layers

echo "== format"
files=$(git ls-files '*.h' '*.cc' 2>/dev/null || find src cmd tests bench -name '*.h' -o -name '*.cc')
clang-format --dry-run --Werror $files

echo "== build"
sh scripts/build.sh build
echo "== unit and end-to-end tests"
(cd build && ctest --output-on-failure -j2 --timeout 300)

echo "== ASan+UBSan build and unit tests"
sh scripts/build.sh build-asan -DNINET_SANITIZE=ON -DNINET_BENCH=OFF
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j2 -L unit --timeout 300)
echo "== fuzz targets over their seed corpora (libFuzzer, ASan+UBSan)"
sh tests/fuzz/run.sh 0
echo "== all tests passed"
