#!/usr/bin/python3
"""pipex_scapy.py WORKDIR PIPEX_PCAP — pipex's frames against an implementation
that is not ninet's (Debian's python3-scapy). scapy builds a peer's session
frames for L2TP, PPTP and PPPoE, each carrying an ICMP echo (IPv4 and IPv6) to
the stack; tests/tools/pipex_pcap runs them through ninet's decapsulation and
writes what the stack sends; scapy then dissects each answer and checks the
tunnel fields, the PPP header and the echo reply inside. Prints one line per
check; exit 1 on a failure. The sessions are pipex_pcap's (see its header)."""
import subprocess, sys
from scapy.all import (Ether, IP, IPv6, UDP, ICMP, ICMPv6EchoRequest, ICMPv6EchoReply, HDLC, Padding,
                       PPP, PPPoE, L2TP, GRE_PPTP, Raw, raw, rdpcap, wrpcap, conf)
conf.verb = 0
work, tool = sys.argv[1], sys.argv[2]
bad = 0


def check(name, ok, detail=""):
    global bad
    bad += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}")


US, PEER = "192.0.2.2", "192.0.2.1"
eth = dict(src="02:00:00:00:00:01", dst="52:54:00:00:00:01")
sessions = {  # name: (framed v4 client, v6 client, builder of the tunnel around a PPP frame)
    "l2tp": ("10.0.0.7", "2001:db8:7::1",
             lambda ppp: Ether(**eth) / IP(src=PEER, dst=US) / UDP(sport=1701, dport=1701) /
             L2TP(tunnel_id=1, session_id=7) / HDLC() / ppp),
    "pptp": ("10.0.0.8", "2001:db8:8::1",
             lambda ppp: Ether(**eth) / IP(src=PEER, dst=US) /
             GRE_PPTP(call_id=8, seqnum_present=1, seqence_number=0) / HDLC() / ppp),
    "pppoe": ("10.0.0.9", "2001:db8:9::1",
              lambda ppp: Ether(type=0x8864, **eth) / PPPoE(sessionid=9) / ppp),
}
frames = []
for name, (c4, c6, wrap) in sessions.items():
    frames.append(wrap(PPP(proto=0x0021) / IP(src=c4, dst=US) / ICMP(id=0x77, seq=1) / b"ninet-v4"))
    frames.append(wrap(PPP(proto=0x0057) / IPv6(src=c6, dst="2001:db8:1::2") /
                       ICMPv6EchoRequest(id=0x77, seq=2, data=b"ninet-v6")))
wrpcap(f"{work}/in.pcap", frames)
run = subprocess.run([tool, f"{work}/in.pcap", f"{work}/out.pcap"], capture_output=True, text=True)
print(run.stdout, end="")
check("pipex_pcap ran", run.returncode == 0, run.stderr)
out = rdpcap(f"{work}/out.pcap") if run.returncode == 0 else []
check("one answer per echo", len(out) == len(frames), f"{len(out)} answers to {len(frames)}")


def inner_ok(name, pkt, c4, c6):
    if pkt.haslayer(ICMP):
        i = pkt[ICMP].underlayer  # the inner IP header, not the tunnel's
        check(f"{name}: IPv4 echo reply to {c4}", i.src == US and i.dst == c4 and pkt[ICMP].type == 0 and
              pkt[ICMP].id == 0x77 and pkt[Raw].load == b"ninet-v4", pkt.summary())
        if pkt.haslayer(PPPoE) and pkt.haslayer(Padding):
            check(f"{name}: Ethernet padding is zeros", set(pkt[Padding].load) <= {0}, pkt[Padding].load.hex())
        again = IP(raw(i))
        del again.chksum
        del again[ICMP].chksum
        again = IP(raw(again))
        check(f"{name}: IPv4 and ICMP checksums as scapy computes them",
              again.chksum == i.chksum and again[ICMP].chksum == pkt[ICMP].chksum)
    elif pkt.haslayer(ICMPv6EchoReply):
        i = pkt[IPv6]
        check(f"{name}: IPv6 echo reply to {c6}", i.dst == c6 and pkt[ICMPv6EchoReply].data == b"ninet-v6",
              pkt.summary())
    else:
        check(f"{name}: an echo reply inside", False, pkt.summary())


for pkt in out:
    if pkt.haslayer(L2TP):
        l = pkt[L2TP]
        check("l2tp: to the peer's port 1701 from ours", pkt[UDP].sport == 1701 and pkt[UDP].dport == 1701)
        check("l2tp: the peer's tunnel and session ids", l.tunnel_id == 2 and l.session_id == 107,
              f"{l.tunnel_id} {l.session_id}")
        again = IP(raw(pkt[IP]))
        del again[UDP].chksum
        check("l2tp: UDP checksum as scapy computes it",
              IP(raw(again))[UDP].chksum == pkt[UDP].chksum)
        check("l2tp: PPP with ff 03", pkt.haslayer(HDLC) and pkt[HDLC].address == 0xff and pkt[HDLC].control == 3)
        check("l2tp: outer TTL 255", pkt[IP].ttl == 255)
        inner_ok("l2tp", pkt, *sessions["l2tp"][:2])
    elif pkt.haslayer(GRE_PPTP):
        g = pkt[GRE_PPTP]
        check("pptp: the peer's call id, version 1, key and sequence present",
              g.call_id == 108 and g.version == 1 and g.key_present == 1 and g.seqnum_present == 1, g.summary())
        check("pptp: payload length is the PPP frame's", g.payload_len == len(raw(g.payload)))
        check("pptp: PPP with ff 03", pkt.haslayer(HDLC))
        inner_ok("pptp", pkt, *sessions["pptp"][:2])
    elif pkt.haslayer(PPPoE):
        p = pkt[PPPoE]
        check("pppoe: version/type 1/1, code 0, session 9", p.version == 1 and p.type == 1 and p.code == 0 and
              p.sessionid == 9, p.summary())
        check("pppoe: to the peer's MAC", pkt[Ether].dst == "02:00:00:00:00:01")
        iplen = pkt[IP].len if pkt.haslayer(IP) else 40 + pkt[IPv6].plen  # PPPoE: the only IP
        check("pppoe: length is the PPP frame's (protocol and IP, no padding)", p.len == 2 + iplen,
              f"{p.len} for an IP length of {iplen}")
        check("pppoe: frame at least the Ethernet minimum", len(raw(pkt)) >= 60)
        check("pppoe: no ff 03", not pkt.haslayer(HDLC))
        inner_ok("pppoe", pkt, *sessions["pppoe"][:2])
    else:
        check("an answer in a tunnel", False, pkt.summary())
sys.exit(1 if bad else 0)
