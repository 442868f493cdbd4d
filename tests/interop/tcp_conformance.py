#!/usr/bin/python3
# tcp_conformance.py — black-box checks of ninet's TCP against RFC 9293's
# MUSTs (and RFC 5961's challenge ACKs), in the manner of tcpreq: scapy
# crafts each segment by hand and watches what ninet sends back. Run inside
# the Linux namespace tcp_conformance.sh makes, with the kernel's own RSTs to
# ninet dropped by nftables (scapy's segments go out on an AF_PACKET socket,
# which no IP hook sees, so only the kernel's answers are dropped).
#
#   tcp_conformance.py IFACE NINET-ADDR ECHO-PORT CLOSED-PORT
#
# Prints one PASS/FAIL line per check; the exit status is the number of
# failures. Every wait is bounded.
import random
import sys
import threading
import time

from scapy.all import (IP, IPv6, TCP, Ether, Raw, AsyncSniffer, conf, get_if_hwaddr,
                       getmacbyip, getmacbyip6, sendp)

conf.verb = 0
IFACE, DST, ECHO, CLOSED = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
conf.iface = IFACE
V6 = ":" in DST
L3 = IPv6 if V6 else IP
L3LEN = 40 if V6 else 20
SRC = None
FAILS = 0
WAIT = 2.0  # seconds to wait for an answer that must come
QUIET = 1.5  # seconds of silence that count as "no answer"

# --- capture: one sniffer for the whole run; every TCP segment from ninet.
seen = []
seen_cv = threading.Condition()


def _keep(p):
    with seen_cv:
        seen.append(p)
        seen_cv.notify_all()


def mark():
    with seen_cv:
        return len(seen)


def wait_for(start, pred, timeout=WAIT):
    """The first segment from ninet at index >= start matching pred, or None."""
    end = time.monotonic() + timeout
    i = start
    with seen_cv:
        while True:
            while i < len(seen):
                if pred(seen[i][TCP]):
                    return seen[i][TCP]
                i += 1
            left = end - time.monotonic()
            if left <= 0:
                return None
            seen_cv.wait(left)


def all_since(start, pred=lambda t: True):
    with seen_cv:
        return [p[TCP] for p in seen[start:] if pred(p[TCP])]


def data_of(t):
    """The segment's data, without the Ethernet padding scapy leaves after it."""
    ip = t.underlayer
    n = (ip.plen if V6 else ip.len - ip.ihl * 4) - t.dataofs * 4
    return bytes(t.payload)[:max(n, 0)]


def show(t):
    if t is None:
        return "nothing"
    s = "%s %d>%d seq=%d ack=%d win=%d len=%d" % (t.sprintf("%TCP.flags%"), t.sport, t.dport,
                                                  t.seq, t.ack, t.window, len(data_of(t)))
    if t.options:
        s += " opts=%s" % (t.options,)
    if t.reserved:
        s += " reserved=%d" % t.reserved
    return s


def check(name, ok, detail=""):
    global FAILS
    name = ("[v6] " if V6 else "[v4] ") + name
    if ok:
        print("PASS: " + name)
    else:
        FAILS += 1
        print("FAIL: " + name + (": " + detail if detail else ""))
    sys.stdout.flush()


# --- sending
ETH = None


def send_raw(tcp_bytes_or_pkt):
    """Sends an IP packet carrying the given TCP segment (a scapy TCP layer or bytes)."""
    l3 = IPv6(src=SRC, dst=DST, nh=6) if V6 else IP(src=SRC, dst=DST, proto=6)
    sendp(ETH / l3 / tcp_bytes_or_pkt, iface=IFACE)


def new_port():
    return random.randint(20000, 60000)


def syn_ack_to(port):
    return lambda t: t.dport == port and t.flags.S and t.flags.A


def from_conn(port):
    return lambda t: t.dport == port


class Conn:
    """One connection to ninet driven by hand: snd is our SND.NXT, rcv ninet's."""

    def __init__(self, mss=1460, sport=None, opts=None, reserved=0):
        self.sport = sport or new_port()
        self.snd = random.randint(1, 2**31)
        self.iss = self.snd
        self.rcv = None
        self.synack = None
        self.mss = mss
        self.opts = opts if opts is not None else [("MSS", mss)]
        self.reserved = reserved

    def seg(self, flags, seq=None, ack=None, payload=b"", **kw):
        t = TCP(sport=self.sport, dport=ECHO, flags=flags, seq=self.snd if seq is None else seq,
                ack=(self.rcv if ack is None else ack) if "A" in flags else 0, window=65535, **kw)
        return t / Raw(payload) if payload else t

    def open(self):
        m = mark()
        send_raw(TCP(sport=self.sport, dport=ECHO, flags="S", seq=self.snd, window=65535,
                     options=self.opts, reserved=self.reserved))
        self.synack = wait_for(m, syn_ack_to(self.sport))
        if self.synack is None or self.synack.ack != self.snd + 1:
            return False
        self.snd += 1
        self.rcv = self.synack.seq + 1
        send_raw(self.seg("A"))
        return True

    def send(self, data, flags="PA"):
        m = mark()
        for i in range(0, len(data), 1000):
            chunk = data[i:i + 1000]
            send_raw(self.seg(flags, payload=chunk))
            self.snd += len(chunk)
        return m

    def recv(self, n, start, timeout=4.0):
        """Collects n bytes of ninet's data from index start on, ACKing as it goes.
        Returns (bytes, list of data segments)."""
        got = b""
        segs = []
        end = time.monotonic() + timeout
        i = start
        while len(got) < n:
            left = end - time.monotonic()
            if left <= 0:
                break
            t = wait_for(i, lambda t: t.dport == self.sport and len(data_of(t)) > 0, left)
            if t is None:
                break
            with seen_cv:
                i = next(k for k in range(i, len(seen)) if seen[k][TCP] is t) + 1
            segs.append(t)
            data = data_of(t)
            if t.seq == self.rcv:
                got += data
                self.rcv += len(data)
            elif (t.seq - self.rcv) % 2**32 < 2**31:
                continue  # a gap: wait for the retransmission
            else:  # partly or wholly old
                skip = (self.rcv - t.seq) % 2**32
                if skip < len(data):
                    got += data[skip:]
                    self.rcv += len(data) - skip
            send_raw(self.seg("A"))
        return got, segs

    def echo(self, data, timeout=4.0):
        m = self.send(data)
        got, _ = self.recv(len(data), m, timeout)
        return got == data, got

    def abort(self):
        if self.rcv is not None:
            send_raw(self.seg("R"))


# --- the checks

def t_checksum():
    c = Conn()
    good = TCP(sport=c.sport, dport=ECHO, flags="S", seq=c.snd, window=65535, options=[("MSS", 1460)])
    raw = bytearray(bytes(L3(src=SRC, dst=DST) / good)[L3LEN:])
    raw[16] ^= 0x5A  # spoil the checksum
    m = mark()
    send_raw(Raw(bytes(raw)))
    t = wait_for(m, from_conn(c.sport), QUIET)
    check("checksum: a SYN with a bad TCP checksum gets no answer", t is None, "got " + show(t))
    ok = c.open()
    check("checksum: the same SYN with a good checksum gets a SYN-ACK", ok, "got " + show(c.synack))
    if ok:
        # A data segment with a bad checksum on the connection: dropped, not ACKed,
        # not delivered; the same bytes with a good checksum then echo.
        raw = bytearray(bytes(L3(src=SRC, dst=DST) / c.seg("PA", payload=b"CORRUPTED"))[L3LEN:])
        raw[16] ^= 0x5A
        m = mark()
        send_raw(Raw(bytes(raw)))
        t = wait_for(m, from_conn(c.sport), QUIET)
        check("checksum: a data segment with a bad checksum gets no answer and no echo", t is None,
              "got " + show(t))
        ok2, got = c.echo(b"CORRUPTED")
        check("checksum: the same data with a good checksum echoes", ok2, "echo returned %r" % got)
    c.abort()


def t_options():
    c = Conn(opts=[("MSS", 1460), (99, b"\x01\x02")])
    ok = c.open()
    check("options: a SYN with an unknown option (kind 99 len 4) gets a SYN-ACK", ok, "got " + show(c.synack))
    if ok:
        ok2, got = c.echo(b"unknown-option")
        check("options: that connection carries data", ok2, "echo returned %r" % got)
    c.abort()
    c = Conn(opts=[("NOP", None), (99, b""), ("SAckOK", b""), ("NOP", None), ("Timestamp", (12345, 0)),
                   ("WScale", 7), ("EOL", None)])
    ok = c.open()
    check("options: a SYN with options in odd order (unknown kind 99 len 2 first, no MSS) gets a SYN-ACK",
          ok, "got " + show(c.synack))
    c.abort()
    c = Conn()
    ok = c.open()
    has_mss = ok and any(o[0] == "MSS" for o in c.synack.options)
    check("options: the SYN-ACK carries MSS", has_mss, "got " + show(c.synack))
    c.abort()
    # Illegal option lengths: the option bytes follow a 20-byte header whose
    # data offset counts them; scapy's TCP(dataofs=N)/Raw(opts) lays them out.
    for name, opt in [("kind 99 length 0", b"\x63\x00\x01\x01"),
                      ("MSS length 0", b"\x02\x00\x05\xb4"),
                      ("kind 99 length 10, past the header", b"\x01\x01\x63\x0a"),
                      ("MSS length 4 cut off by the header's end", b"\x01\x01\x01\x02")]:
        c = Conn()
        m = mark()
        send_raw(TCP(sport=c.sport, dport=ECHO, flags="S", seq=c.snd, window=65535, dataofs=6) / Raw(opt))
        t = wait_for(m, from_conn(c.sport), QUIET)
        check("options: a SYN with an illegal option length (%s) gets no SYN-ACK" % name,
              t is None or not (t.flags.S and t.flags.A), "got " + show(t))
        if t is not None and t.flags.S:
            send_raw(TCP(sport=c.sport, dport=ECHO, flags="R", seq=c.snd + 1))
    c = Conn()
    ok = c.open()
    check("options: ninetd still answers a normal SYN after them", ok, "got " + show(c.synack))
    c.abort()


def t_mss():
    c = Conn(mss=536)
    if not c.open():
        check("MSS: handshake with MSS 536", False, "got " + show(c.synack))
        return
    data = bytes(random.getrandbits(8) for _ in range(2000))
    m = c.send(data)
    got, segs = c.recv(2000, m, 6.0)
    check("MSS: 2000 bytes echo back intact with MSS 536", got == data, "got %d bytes" % len(got))
    big = [show(t) for t in segs if len(data_of(t)) > 536]
    check("MSS: ninet's data segments carry at most 536 bytes", segs and not big,
          "segments: %s" % ([show(t) for t in segs] if not big else big))
    c.abort()


def t_reserved():
    start = mark()
    c = Conn(reserved=7)
    ok = c.open()
    check("reserved bits: a SYN with the reserved bits set gets a SYN-ACK", ok, "got " + show(c.synack))
    if ok:
        m = mark()
        send_raw(c.seg("PA", payload=b"reserved-data", reserved=7))
        c.snd += 13
        got, _ = c.recv(13, m)
        check("reserved bits: data in a segment with the reserved bits set is delivered",
              got == b"reserved-data", "echo returned %r" % got)
    c.abort()
    bad = [show(t) for t in all_since(start) if t.reserved or int(t.flags) & 0x100]
    check("reserved bits: ninet's segments have the reserved bits zero", not bad, "; ".join(bad))


def t_rst():
    # RST to a closed port: nothing back (RFC 9293 3.10.7.1).
    sp = new_port()
    m = mark()
    send_raw(TCP(sport=sp, dport=CLOSED, flags="R", seq=1000))
    send_raw(TCP(sport=sp, dport=CLOSED, flags="RA", seq=1000, ack=5000))
    t = wait_for(m, from_conn(sp), QUIET)
    check("RST (CLOSED): an RST to a closed port gets nothing back", t is None, "got " + show(t))
    # SYN to a closed port: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
    sp = new_port()
    m = mark()
    send_raw(TCP(sport=sp, dport=CLOSED, flags="S", seq=777777, window=65535))
    t = wait_for(m, from_conn(sp))
    check("RST (CLOSED): a SYN to a closed port gets RST+ACK with ack = seq+1",
          t is not None and t.flags.R and t.flags.A and t.ack == 777778 and t.seq == 0, "got " + show(t))
    # ACK to a closed port: <SEQ=SEG.ACK><CTL=RST>
    sp = new_port()
    m = mark()
    send_raw(TCP(sport=sp, dport=CLOSED, flags="A", seq=1, ack=424242, window=65535))
    t = wait_for(m, from_conn(sp))
    check("RST (CLOSED): an ACK to a closed port gets RST with seq = its ack",
          t is not None and t.flags.R and t.seq == 424242, "got " + show(t))
    # SYN-RECEIVED: an exact RST ends the embryonic connection; the ACK that
    # would have completed it then gets a RST.
    c = Conn()
    m = mark()
    send_raw(TCP(sport=c.sport, dport=ECHO, flags="S", seq=c.snd, window=65535, options=[("MSS", 1460)]))
    sa = wait_for(m, syn_ack_to(c.sport))
    if sa is None:
        check("RST (SYN-RECEIVED): handshake", False, "no SYN-ACK")
    else:
        c.snd += 1
        c.rcv = sa.seq + 1
        send_raw(c.seg("R"))
        time.sleep(0.2)
        m = mark()
        send_raw(c.seg("A"))
        t = wait_for(m, from_conn(c.sport))
        check("RST (SYN-RECEIVED): an exact RST ends it (the completing ACK then gets RST)",
              t is not None and t.flags.R and t.seq == c.rcv, "got " + show(t))
    # SYN-RECEIVED: an in-window but inexact RST gets a challenge ACK (RFC 5961
    # 3.2 covers every state but SYN-SENT) and the handshake still completes.
    c = Conn()
    m = mark()
    send_raw(TCP(sport=c.sport, dport=ECHO, flags="S", seq=c.snd, window=65535, options=[("MSS", 1460)]))
    sa = wait_for(m, syn_ack_to(c.sport))
    if sa is None:
        check("RST (SYN-RECEIVED, inexact): handshake", False, "no SYN-ACK")
    else:
        c.snd += 1
        c.rcv = sa.seq + 1
        m = mark()
        send_raw(c.seg("R", seq=c.snd + 100))
        t = wait_for(m, from_conn(c.sport))
        check("RST (SYN-RECEIVED): an in-window, inexact RST gets a challenge ACK (or the SYN-ACK again)",
              t is not None and t.flags.A and not t.flags.R and t.ack == c.snd, "got " + show(t))
        send_raw(c.seg("A"))
        ok, got = c.echo(b"syn-rcvd-survived")
        check("RST (SYN-RECEIVED): after it the handshake completes and data echoes", ok,
              "echo returned %r" % got)
        c.abort()
    # ESTABLISHED: in-window inexact RST -> challenge ACK, connection survives.
    c = Conn()
    if not c.open():
        check("RST (ESTABLISHED): handshake", False, "got " + show(c.synack))
        return
    ok, got = c.echo(b"before")
    m = mark()
    send_raw(c.seg("R", seq=c.snd + 100))
    t = wait_for(m, from_conn(c.sport))
    check("RST (ESTABLISHED): an in-window, inexact RST gets a challenge ACK",
          t is not None and t.flags.A and not t.flags.R and t.ack == c.snd and t.seq == c.rcv, "got " + show(t))
    ok, got = c.echo(b"still-alive")
    check("RST (ESTABLISHED): and the connection survives (data still echoes)", ok, "echo returned %r" % got)
    m = mark()
    send_raw(c.seg("R", seq=(c.snd + 2**30) % 2**32))
    t = wait_for(m, from_conn(c.sport), QUIET)
    check("RST (ESTABLISHED): an out-of-window RST is dropped silently", t is None, "got " + show(t))
    send_raw(c.seg("R"))
    time.sleep(0.3)
    m = mark()
    send_raw(c.seg("PA", payload=b"after-rst"))
    t = wait_for(m, from_conn(c.sport))
    check("RST (ESTABLISHED): an exact RST ends it (further data gets a RST)",
          t is not None and t.flags.R, "got " + show(t))


def t_rst_last_ack():
    # LAST-ACK: our FIN, ninet's FIN back; an exact RST instead of the final
    # ACK ends the connection: no FIN retransmission, later data gets a RST.
    c = Conn()
    if not c.open():
        check("RST (LAST-ACK): handshake", False, "got " + show(c.synack))
        return
    m = mark()
    send_raw(c.seg("FA"))
    c.snd += 1
    t = wait_for(m, lambda t: t.dport == c.sport and t.flags.F, 4.0)
    if t is None:
        check("RST (LAST-ACK): ninet's FIN", False, "got nothing")
        return
    send_raw(c.seg("R", seq=c.snd))
    m = mark()
    t = wait_for(m, from_conn(c.sport), 2.5)
    check("RST (LAST-ACK): an exact RST ends it (no FIN retransmission)", t is None, "got " + show(t))
    m = mark()
    c.rcv += 1
    send_raw(c.seg("PA", payload=b"late"))
    t = wait_for(m, from_conn(c.sport))
    check("RST (LAST-ACK): data afterwards gets a RST", t is not None and t.flags.R, "got " + show(t))


def t_urgent():
    c = Conn()
    if not c.open():
        check("urgent: handshake", False, "got " + show(c.synack))
        return
    m = mark()
    data = b"urgent-bytes!"
    send_raw(c.seg("PAU", payload=data, urgptr=len(data)))
    c.snd += len(data)
    got, _ = c.recv(len(data), m)
    check("urgent: a segment with URG and an urgent pointer is delivered inline", got == data,
          "echo returned %r" % got)
    ok, got = c.echo(b"after-urgent")
    check("urgent: the stream goes on after it", ok, "echo returned %r" % got)
    c.abort()


def t_sequence():
    c = Conn()
    if not c.open():
        check("sequence: handshake", False, "got " + show(c.synack))
        return
    ok, got = c.echo(b"first")
    win = c.synack.window
    # Data wholly beyond the receive window.
    m = mark()
    send_raw(c.seg("PA", seq=(c.snd + win + 100000) % 2**32, payload=b"OUT-OF-WINDOW"))
    t = wait_for(m, from_conn(c.sport))
    check("sequence: an out-of-window data segment gets a duplicate ACK (ack = RCV.NXT)",
          t is not None and t.flags.A and not t.flags.R and t.ack == c.snd and len(data_of(t)) == 0,
          "sent seq=%d (RCV.NXT %d, window %d); got %s" % ((c.snd + win + 100000) % 2**32, c.snd, win, show(t)))
    # Old data (wholly before RCV.NXT) also gets an ACK and is not delivered.
    m = mark()
    send_raw(c.seg("PA", seq=(c.snd - 500) % 2**32, payload=b"OLD-DATA"))
    t = wait_for(m, from_conn(c.sport))
    check("sequence: an old (already received) data segment gets a duplicate ACK",
          t is not None and t.flags.A and t.ack == c.snd and len(data_of(t)) == 0, "got " + show(t))
    # ACK of data ninet never sent: ACK back, segment dropped.
    m = mark()
    bad_ack = (c.rcv + 100000) % 2**32
    send_raw(c.seg("PA", ack=bad_ack, payload=b"BAD-ACK-DATA"))
    t = wait_for(m, from_conn(c.sport))
    check("sequence: a segment that ACKs unsent data gets an ACK (ack = RCV.NXT, data dropped)",
          t is not None and t.flags.A and not t.flags.R and t.ack == c.snd,
          "sent seq=%d ack=%d len 12 (ninet's SND.NXT %d); got %s" % (c.snd, bad_ack, c.rcv, show(t)))
    ok, got = c.echo(b"in-order")
    stray = [show(x) for x in all_since(m, lambda x: x.dport == c.sport and
             (b"OUT-OF-WINDOW" in data_of(x) or b"OLD-DATA" in data_of(x)
              or b"BAD-ACK" in data_of(x)))]
    check("sequence: none of the rejected data was delivered; the next in-order data echoes alone",
          ok and not stray, "echo returned %r; stray %s" % (got, stray))
    c.abort()


def t_syn_in_sync():
    c = Conn()
    if not c.open():
        check("SYN in ESTABLISHED: handshake", False, "got " + show(c.synack))
        return
    ok, got = c.echo(b"x")
    m = mark()
    send_raw(c.seg("S", seq=c.snd + 10, options=[("MSS", 1460)]))
    t = wait_for(m, from_conn(c.sport))
    check("SYN in ESTABLISHED: an in-window SYN gets a challenge ACK",
          t is not None and t.flags.A and not t.flags.R and not t.flags.S and t.ack == c.snd and t.seq == c.rcv,
          "got " + show(t))
    m = mark()
    send_raw(c.seg("S", seq=(c.snd + 2**30) % 2**32, options=[("MSS", 1460)]))
    t = wait_for(m, from_conn(c.sport))
    check("SYN in ESTABLISHED: an out-of-window SYN gets a challenge ACK too",
          t is not None and t.flags.A and not t.flags.R and t.ack == c.snd, "got " + show(t))
    ok, got = c.echo(b"survived-syn")
    check("SYN in ESTABLISHED: the connection survives", ok, "echo returned %r" % got)
    c.abort()


def t_fin():
    c = Conn()
    if not c.open():
        check("FIN: handshake", False, "got " + show(c.synack))
        return
    ok, got = c.echo(b"bye")
    m = mark()
    send_raw(c.seg("FA"))
    c.snd += 1
    t = wait_for(m, lambda t: t.dport == c.sport and t.flags.F, 4.0)
    check("FIN: after our FIN the echo server closes and ninet sends its FIN, acking ours",
          t is not None and t.flags.A and t.ack == c.snd and t.seq == c.rcv, "got " + show(t))
    if t is None:
        return
    c.rcv += 1
    m = mark()
    send_raw(c.seg("A"))
    t = wait_for(m, from_conn(c.sport), QUIET)
    check("FIN: the final ACK gets no answer (no FIN retransmission)", t is None, "got " + show(t))
    # Once LAST-ACK is done the connection is CLOSED: new data gets a RST.
    m = mark()
    send_raw(c.seg("PA", payload=b"late"))
    t = wait_for(m, from_conn(c.sport))
    check("FIN: the final ACK completed the close (data afterwards gets a RST)",
          t is not None and t.flags.R, "got " + show(t))


def main():
    global SRC, ETH
    SRC = (conf.route6 if V6 else conf.route).route(DST)[1]
    mac = getmacbyip6(DST) if V6 else getmacbyip(DST)
    if mac is None:
        print("FAIL: no ARP/ND answer from %s" % DST)
        return 1
    ETH = Ether(src=get_if_hwaddr(IFACE), dst=mac)
    sn = AsyncSniffer(iface=IFACE, store=False, prn=_keep,
                      lfilter=lambda p: L3 in p and TCP in p and p[L3].src == DST)
    sn.start()
    time.sleep(0.5)
    for t in (t_checksum, t_options, t_mss, t_reserved, t_rst, t_rst_last_ack, t_urgent, t_sequence, t_syn_in_sync, t_fin):
        try:
            t()
        except Exception as e:  # a check that breaks is a failure, not the end of the run
            check(t.__name__, False, "exception %r" % e)
    sn.stop()
    return FAILS


if __name__ == "__main__":
    sys.exit(main())
