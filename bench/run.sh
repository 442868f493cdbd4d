#!/bin/sh
# run.sh — builds ninet's benchmarks, runs them all and prints the figures
# BENCHMARKS.md quotes: medians of 5 repetitions and ratios to the baselines
# measured in the same run.
#
#   sudo sh bench/run.sh          (the ping RTT part needs root; skipped otherwise)
#   BUILD=build-x sh bench/run.sh (another build directory; default build-bench)
#
# Every bench/*_benchmark.cc runs with --benchmark_repetitions=5
# --benchmark_report_aggregates_only=true (route_benchmark's table builds run
# 3 times, see there; pipex_benchmark's add/delete and timer runs are one
# iteration each);
# JSON and console output go to $BUILD/bench-results/.
# Then bench/ping_rtt.sh, bench/forward_e2e.sh (forwarding vs Linux, ~5 min) and the TCP
# scripts (iperf3_e2e, tcp_rr_e2e, tcp_mem_e2e: ~12 min). Takes about 45 minutes on 2 cores (pipex_benchmark ~10), much of it
# rte_lpm adding a million prefixes.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-bench}
OUT=$BUILD/bench-results

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
BENCHES=$(for f in bench/*_benchmark.cc; do basename "$f" .cc; done)
# shellcheck disable=SC2086 # one target per word
ninja -C "$BUILD" $BENCHES ninetd fwd_gen iperf3d tcp_rr epoll_server dial_echo
mkdir -p "$OUT"

echo "== machine"
{
  grep -m1 'model name' /proc/cpuinfo
  echo "cpus: $(nproc)   kernel: $(uname -sr)"
  grep -m1 'cpu MHz' /proc/cpuinfo
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  date -u +"date: %Y-%m-%d %H:%M UTC"
  echo "commit: $(git rev-parse --short HEAD)"
} | tee "$OUT/machine.txt"

for b in $BENCHES; do
  echo "== $b"
  # sh has no pipefail: the exit status (route_benchmark aborts when ninet and
  # DPDK disagree) comes back through a file.
  {
    "$BUILD/bench/$b" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
      --benchmark_out="$OUT/$b.json" --benchmark_out_format=json 2>&1
    echo $? >"$OUT/$b.rc"
  } | tee "$OUT/$b.txt"
  [ "$(cat "$OUT/$b.rc")" = 0 ] || { echo "FAIL: $b exited $(cat "$OUT/$b.rc")"; exit 1; }
done

echo "== ping_rtt"
if [ "$(id -u)" = 0 ]; then
  BUILD=$PWD/$BUILD sh bench/ping_rtt.sh 2>&1 | tee "$OUT/ping_rtt.txt" || true
else
  echo "skipped: needs root (network namespaces)" | tee "$OUT/ping_rtt.txt"
fi

echo "== forward_e2e"
if [ "$(id -u)" = 0 ]; then
  BUILD=$PWD/$BUILD MODES="linux ninet-afpacket ninet-xdp" sh bench/forward_e2e.sh 2>&1 |
    tee "$OUT/forward_e2e.txt" || true
else
  echo "skipped: needs root (network namespaces)" | tee "$OUT/forward_e2e.txt"
fi

# TCP against the kernel over a veth (BENCHMARKS.md section 8).
for t in iperf3_e2e tcp_rr_e2e tcp_mem_e2e; do
  echo "== $t"
  if [ "$(id -u)" = 0 ]; then
    BUILD=$PWD/$BUILD sh bench/$t.sh 2>&1 | tee "$OUT/$t.txt" || true
  else
    echo "skipped: needs root (network namespaces)" | tee "$OUT/$t.txt"
  fi
done

echo "== summary (medians; ratios are ninet / same-run baseline)"
cat "$OUT/machine.txt"
grep -h -E "^(route|forward)_benchmark:" "$OUT"/*_benchmark.txt || true
python3 - "$OUT" <<'EOF'
import json, os, re, sys

out = sys.argv[1]

def medians(name):
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        return {}
    rows = {}
    for b in json.load(open(path))["benchmarks"]:
        if b.get("aggregate_name") == "median":
            rows[re.sub(r"/(iterations|repeats):\d+", "", b["run_name"])] = b
    return rows

def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "n/a"

r = medians("route_benchmark")
def get(name, key):
    return r.get(name, {}).get(key)

for fam, lpm in (("v4", "rte_lpm"), ("v6", "rte_lpm6")):
    if f"{fam}_lookup/ninet" not in r:
        continue
    print(f"route {fam}:")
    for what in ("lookup", "lookup_bulk64", "latency"):
        base = f"{fam}_{what}/{lpm}"
        if base not in r:
            continue
        n = f"{fam}_lookup/ninet" if what == "lookup_bulk64" else f"{fam}_{what}/ninet"
        a, b = get(n, "lookups_per_s"), get(base, "lookups_per_s")
        print(f"  {what:14} ninet {a / 1e6:7.2f} M/s ({1e9 / a:6.1f} ns)   {lpm} {b / 1e6:7.2f} M/s"
              f" ({1e9 / b:6.1f} ns)   ratio lookups/s {ratio(a, b)}")
    nh = get(f"{fam}_lookup_nexthop/ninet", "lookups_per_s")
    if nh:
        print(f"  {'lookup+Route':14} ninet {nh / 1e6:7.2f} M/s ({1e9 / nh:6.1f} ns)"
              f"   ratio to {lpm} lookup {ratio(nh, get(f'{fam}_lookup/{lpm}', 'lookups_per_s'))}")
    nb, lb = r.get(f"{fam}_build/ninet"), r.get(f"{fam}_build/{lpm}")
    if nb:
        print(f"  build          ninet {nb['cpu_time']:8.0f} ms (add {nb['add_ms']:.0f}, build"
              f" {nb['build_ms']:.0f})", end="")
        if lb:
            print(f"   {lpm} {lb['cpu_time']:8.0f} ms   ratio time {ratio(nb['cpu_time'], lb['cpu_time'])}",
                  end="")
        print()
        mib = 1 << 20
        print(f"  memory         ninet {nb['bytes'] / mib:7.1f} MiB (entries+index"
              f" {nb['entry_bytes'] / mib:.1f}, lookup structures {nb['lookup_bytes'] / mib:.1f})", end="")
        if lb:
            print(f"   {lpm} {lb['bytes'] / mib:7.1f} MiB   ratio bytes {ratio(nb['bytes'], lb['bytes'])},"
                  f" lookup structures only {ratio(nb['lookup_bytes'], lb['bytes'])}", end="")
        print()

f = medians("forward_benchmark")
if f:
    print("forward (cycles per packet, TSC):")
    for payload in (64, 1400):
        copy = f.get(f"BM_CopyBaseline/payload:{payload}", {}).get("cycles_per_pkt")
        for routes in (0, 100000):
            fw = f.get(f"BM_Forward/payload:{payload}/routes:{routes}", {}).get("cycles_per_pkt")
            if not fw:
                continue
            print(f"  payload {payload:4} routes {routes:6}: ninet {fw:6.0f}   copy {copy:5.0f}"
                  f"   ratio to copy {ratio(fw, copy)}   to VPP 440 {ratio(fw, 440)}"
                  f"   to Linux 2600 {ratio(fw, 2600)}")

p = medians("pipex_benchmark")
if p:
    def c(name, key="cycles_per_pkt"):
        return p.get(name, {}).get(key)
    print("pipex (cycles per packet, TSC; ratio to forwarding the same inner packets, section 9):")
    for d in ("in", "out"):
        for payload in (64, 1400):
            base = c(f"forward/{d}/{payload}")
            if not base:
                continue
            print(f"  {d:3} {payload:4}: forward {base:6.0f}", end="")
            for proto in ("l2tp", "pptp", "pppoe"):
                for m in ("none", "stateless", "stateful"):
                    v = c(f"pipex/{proto}/{m}/{d}/{payload}")
                    if v:
                        print(f"   {proto}/{m} {v:6.0f} ({ratio(v, base)})", end="")
            print()
    for payload in (64, 1400):
        rc4 = c(f"rc4/{payload}", "inner_bytes_per_s")
        if not rc4:
            continue
        print(f"  MPPE bytes/s vs EVP RC4 {rc4 / 1e6:.0f} MB/s, payload {payload}:", end="")
        for m in ("stateless", "stateful"):
            e = c(f"mppe_encrypt/{m}/{payload}", "inner_bytes_per_s")
            v = c(f"pipex/l2tp/{m}/out/{payload}", "inner_bytes_per_s")
            if e and v:
                print(f"   {m}: Mppe alone {ratio(e, rc4)}, pipex l2tp out {ratio(v, rc4)}", end="")
        print()
    for n in (1000, 65535, 100000, 196605):
        a = p.get(f"scale/add_delete/sessions:{n}/pool_route:0/manual_time")
        if not a:
            continue
        l = p.get(f"scale/rte_lpm/sessions:{n}/manual_time", {})
        print(f"  {n:6} sessions: add {a['add_per_s'] / 1e3:6.0f}k/s (cold {a['add_cold_per_s'] / 1e3:.0f}k/s),"
              f" delete {a['del_per_s'] / 1e3:6.0f}k/s", end="")
        if l:
            print(f"; rte_lpm add {l['add_per_s'] / 1e3:.0f}k/s (ratio {ratio(a['add_per_s'], l['add_per_s'])}),"
                  f" delete {l['del_per_s'] / 1e3:.0f}k/s (ratio {ratio(a['del_per_s'], l['del_per_s'])})", end="")
        print(f"; heap {a['heap_per_session']:.0f} B + routes {a['route_bytes_per_session']:.0f} B per session")
        for d in ("in", "out"):
            one = c(f"scale/fwd/{d}/sessions:{n}/spread:0")
            spread = c(f"scale/fwd/{d}/sessions:{n}/spread:1")
            if one and spread:
                print(f"          {d:3}: one session {one:5.0f} cycles, random session {spread:5.0f}"
                      f" (ratio {ratio(spread, one)})")
        i = p.get(f"scale/idle/sessions:{n}/manual_time")
        if i:
            print(f"          idle timer ns per session: refile {i['refile_ns_per_session']:.0f},"
                  f" expire {i['expire_ns_per_session']:.0f}, reap {i['reap_ns_per_session']:.0f}")
EOF
grep -E "^(ninet|Linux) <->|^ratio" "$OUT/ping_rtt.txt" || true
grep -h -E "^ratio" "$OUT/iperf3_e2e.txt" "$OUT/tcp_rr_e2e.txt" "$OUT/tcp_mem_e2e.txt" 2>/dev/null || true
