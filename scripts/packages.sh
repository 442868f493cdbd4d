#!/bin/sh
# Installs the Debian 12 packages ninet needs to build, test and benchmark
# (only what is missing; apt-get update once). Run as root.
set -e
PKGS="build-essential cmake ninja-build ccache pkg-config clang clang-format libclang-rt-14-dev
  libfuse3-dev fuse3 libssl-dev libgtest-dev libgmock-dev googletest libbenchmark-dev
  libpcap-dev dpdk-dev libdpdk-dev libxdp-dev libbpf-dev
  iproute2 iputils-ping traceroute ethtool tshark tcpdump iperf3 netcat-openbsd python3 kmod
  qemu-system-x86 python3-scapy nftables hping3 socat curl"
# Not l2tpns (bench/pipex_e2e.sh's baseline): its postinst starts the daemon on
# /etc/l2tpns's configuration (invoke-rc.d / deb-systemd-invoke start); the
# script says what to install when it is missing.
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # tshark asks whether non-root users may capture; the default (no) is fine.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get install -y -qq --no-install-recommends $missing
fi
