#!/usr/bin/python3
# esp_pump.py — ninet's side of tests/interop/esp.sh, through the stack's
# mounted tree, as a user would build an ESP tunnel from ip(3)'s parts. For
# each cipher/MAC pair K:
#   - an incoming ESP conversation (connect PEER!*: ninet picks the SPI) and
#     an outgoing one (connect PEER!SPI), keyed with `esp ALG KEY` and
#     `ah ALG KEY`;
#   - a `bind pkt` interface with the point-to-point address 10.99.K.1 to
#     10.99.K.2 (MTU 1400, room for ESP's overhead inside the link's 1500);
#   - two threads: packets read decrypted from the incoming conversation are
#     written to the interface's data file, and packets the stack sends on
#     the interface are written, to be encrypted, on the outgoing one.
# So the stack's own ICMP, TCP and routing run through the tunnel.
#
#   esp_pump.py MNT PEER SPIFILE K:ESPALG:ESPKEY:AHALG:AHKEY:OUTSPI ...
#
# SPIFILE gets a line "K SPI" per pair (the SPIs ninet chose), then "ready".
# On SIGTERM it prints "K in N out M" (packets pumped each way) per pair
# and exits.
import os
import signal
import sys
import threading

counts = {}


def conv(mnt, msgs):
    ctl = os.open(mnt + "/esp/clone", os.O_RDWR)
    n = os.read(ctl, 32).decode().strip()
    for m in msgs:
        os.write(ctl, m.encode())
    data = os.open("%s/esp/%s/data" % (mnt, n), os.O_RDWR)
    with open("%s/esp/%s/local" % (mnt, n)) as f:
        local = f.read().strip()
    return ctl, data, local


def pkt_ifc(mnt, msgs):
    ctl = os.open(mnt + "/ipifc/clone", os.O_RDWR)
    n = os.read(ctl, 32).decode().strip()
    for m in msgs:
        os.write(ctl, m.encode())
    return ctl, os.open("%s/ipifc/%s/data" % (mnt, n), os.O_RDWR)


def keys(alg, key):
    return "%s %s" % (alg, key) if key else alg


def pump(k, way, rd, wr):
    while True:
        try:
            p = os.read(rd, 65536)
        except OSError:
            return
        if not p:
            return
        try:
            os.write(wr, p)
        except OSError as e:
            print("%s %s: write: %s" % (k, way, e), flush=True)
            continue
        counts[(k, way)] = counts.get((k, way), 0) + 1


def main():
    mnt, peer, spifile = sys.argv[1:4]
    lines, keep, ks = [], [], []
    for spec in sys.argv[4:]:
        k, ealg, ekey, aalg, akey, out_spi = spec.split(":")
        sa = ["esp " + keys(ealg, ekey), "ah " + keys(aalg, akey)]
        ic, idata, local = conv(mnt, ["connect %s!*" % peer] + sa)
        oc, odata, _ = conv(mnt, ["connect %s!%s" % (peer, out_spi)] + sa)
        fc, fdata = pkt_ifc(mnt, ["bind pkt", "mtu 1400",
                                  "add 10.99.%s.1 255.255.255.255 10.99.%s.2" % (k, k)])
        keep += [ic, oc, fc]
        ks.append(k)
        lines.append("%s %s" % (k, local.split("!")[1]))
        for way, rd, wr in (("in", idata, fdata), ("out", fdata, odata)):
            threading.Thread(target=pump, args=(k, way, rd, wr), daemon=True).start()
    with open(spifile, "w") as f:
        f.write("\n".join(lines) + "\nready\n")

    def report(*_):
        for k in ks:
            print("%s in %d out %d" % (k, counts.get((k, "in"), 0), counts.get((k, "out"), 0)),
                  flush=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, report)
    while True:
        signal.pause()


main()
