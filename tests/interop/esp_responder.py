#!/usr/bin/python3
# esp_responder.py — ninet's side of tests/interop/esp.sh, through the
# stack's mounted tree: for each cipher/MAC pair, an incoming ESP
# conversation (connect PEER!*: ninet picks the SPI) and an outgoing one
# (connect PEER!SPI), both keyed with `esp ALG KEY` and `ah ALG KEY`; then it
# answers every ICMP echo request that arrives decrypted on the incoming one
# with an echo reply written, to be encrypted, on the outgoing one.
#
#   esp_responder.py MNT PEER SPIFILE K:ESPALG:ESPKEY:AHALG:AHKEY:OUTSPI ...
#
# SPIFILE gets a line "K SPI" per pair (the SPIs ninet chose), then "ready".
# Each answered request is printed as "K answered SRC -> DST".
import os
import struct
import sys
import threading


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def conv(mnt, msgs):
    ctl = os.open(mnt + "/esp/clone", os.O_RDWR)
    n = os.read(ctl, 32).decode().strip()
    for m in msgs:
        os.write(ctl, m.encode())
    data = os.open("%s/esp/%s/data" % (mnt, n), os.O_RDWR)
    with open("%s/esp/%s/local" % (mnt, n)) as f:
        local = f.read().strip()
    return ctl, data, local


def keys(alg, key):
    return "%s %s" % (alg, key) if key else alg


def serve(k, rd, wr):
    while True:
        try:
            p = os.read(rd, 65536)
        except OSError:
            return
        if not p:
            return
        if len(p) < 28 or p[0] >> 4 != 4 or p[9] != 1:
            continue
        hl = (p[0] & 15) * 4
        if p[hl] != 8:
            continue
        ip = bytearray(p[:hl])
        ip[12:16], ip[16:20] = p[16:20], p[12:16]
        ip[8] = 64
        ip[10:12] = b"\0\0"
        ip[10:12] = struct.pack("!H", csum(bytes(ip)))
        icmp = bytearray(p[hl:])
        icmp[0] = 0
        icmp[2:4] = b"\0\0"
        icmp[2:4] = struct.pack("!H", csum(bytes(icmp)))
        os.write(wr, bytes(ip) + bytes(icmp))
        src = ".".join(str(x) for x in p[12:16])
        dst = ".".join(str(x) for x in p[16:20])
        print("%s answered %s -> %s" % (k, src, dst), flush=True)


def main():
    mnt, peer, spifile = sys.argv[1:4]
    lines, threads, keep = [], [], []
    for spec in sys.argv[4:]:
        k, ealg, ekey, aalg, akey, out_spi = spec.split(":")
        sa = ["esp " + keys(ealg, ekey), "ah " + keys(aalg, akey)]
        ic, idata, local = conv(mnt, ["connect %s!*" % peer] + sa)
        oc, odata, _ = conv(mnt, ["connect %s!%s" % (peer, out_spi)] + sa)
        keep += [ic, oc]
        lines.append("%s %s" % (k, local.split("!")[1]))
        threads.append(threading.Thread(target=serve, args=(k, idata, odata), daemon=True))
    with open(spifile, "w") as f:
        f.write("\n".join(lines) + "\nready\n")
    for t in threads:
        t.start()
    for t in threads:
        t.join()


main()
