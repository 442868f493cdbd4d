#!/bin/sh
# The first command of the README: set up a fresh Debian 12 machine (as root),
# build, and run ninetd on its default configuration: stack 0 mounted at /net
# with a loopback interface (127.0.0.1/8, ::1). Ctrl-C unmounts and stops it.
set -e
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root (installs packages, mounts FUSE)"; exit 1; }
sh scripts/packages.sh
sh scripts/build.sh build
exec ./build/cmd/ninetd "$@"
