#!/usr/bin/env python3
"""A minimal 9P2000 client for the interop tests (independent of ninet's C++
client): ninep.py unix!PATH read FILE | write FILE TEXT. Speaks Tversion,
Tattach, Twalk, Topen, Tread/Twrite and Tclunk over a Unix socket, prints what
it read, and exits 1 with the Rerror text on an error. It attaches as the
local user (as Plan 9's and plan9port's clients do), or as $NINEP_UNAME."""
import os
import pwd
import socket
import struct
import sys

NOFID = 0xFFFFFFFF


def s9(s):
    b = s.encode()
    return struct.pack("<H", len(b)) + b


class Client:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.tag = 0

    def rpc(self, typ, body):
        self.tag = (self.tag + 1) % 0xFFFF
        msg = struct.pack("<BH", typ, self.tag) + body
        self.sock.sendall(struct.pack("<I", len(msg) + 4) + msg)
        size = struct.unpack("<I", self.recv(4))[0]
        data = self.recv(size - 4)
        rtyp, rtag = struct.unpack("<BH", data[:3])
        if rtag != self.tag:
            raise SystemExit("9p: reply tag %d for %d" % (rtag, self.tag))
        if rtyp == 107:  # Rerror
            n = struct.unpack("<H", data[3:5])[0]
            raise SystemExit("9p error: " + data[5:5 + n].decode())
        if rtyp != typ + 1:
            raise SystemExit("9p: reply type %d to %d" % (rtyp, typ))
        return data[3:]

    def recv(self, n):
        b = b""
        while len(b) < n:
            c = self.sock.recv(n - len(b))
            if not c:
                raise SystemExit("9p: connection closed")
            b += c
        return b

    def open(self, path, mode):
        r = self.rpc(100, struct.pack("<I", 8192) + s9("9P2000"))  # Tversion
        self.msize = struct.unpack("<I", r[:4])[0]
        uname = os.environ.get("NINEP_UNAME") or pwd.getpwuid(os.getuid()).pw_name
        self.rpc(104, struct.pack("<II", 1, NOFID) + s9(uname) + s9(""))  # Tattach
        names = [p for p in path.split("/") if p]
        body = struct.pack("<IIH", 1, 2, len(names)) + b"".join(s9(n) for n in names)
        r = self.rpc(110, body)  # Twalk
        if struct.unpack("<H", r[:2])[0] != len(names):
            raise SystemExit("9p: %s: file does not exist" % path)
        self.rpc(112, struct.pack("<IB", 2, mode))  # Topen

    def read_all(self):
        out, off = b"", 0
        while True:
            r = self.rpc(116, struct.pack("<IQI", 2, off, self.msize - 24))  # Tread
            n = struct.unpack("<I", r[:4])[0]
            if n == 0:
                return out
            out += r[4:4 + n]
            off += n

    def write(self, data):
        self.rpc(118, struct.pack("<IQI", 2, 0, len(data)) + data)  # Twrite


def main():
    addr, op, path = sys.argv[1], sys.argv[2], sys.argv[3]
    if not addr.startswith("unix!"):
        raise SystemExit("usage: ninep.py unix!PATH read FILE | write FILE TEXT")
    c = Client(addr[5:])
    if op == "read":
        c.open(path, 0)
        sys.stdout.write(c.read_all().decode())
    elif op == "write":
        c.open(path, 1)
        c.write(sys.argv[4].encode())
    else:
        raise SystemExit("unknown op " + op)


main()
