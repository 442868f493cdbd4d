#!/bin/sh
# HTTP/1.1 between ninet and Linux over a veth, IPv4 and IPv6 (issue 6,
# point 7). Linux's curl downloads a 100 MiB random file from ninet's
# examples/httpd through ninetd's FUSE tree (sha256 matches), and a tenth of
# that 8 times at once; HEAD, 404, a directory's index.html, %XX, refused
# ".." escapes, 405, 414 and a reused connection are right; raw requests
# through socat check pipelining, bare LFs, a skipped body, Host, 505, 431.
# ninet's examples/hget downloads a 100 MiB random file from Linux's
# `python3 -m http.server` intact (sha256); a 404 and a refused port are
# errors; a small Python server checks the framings http.server does not
# use (chunked, to the end, a short body). Prints the rates seen. SIZE
# (bytes) makes the big files smaller.
. "$(dirname "$0")/lib.sh"
need curl sha256sum timeout ss socat
[ -x /usr/bin/python3 ] || { echo "SKIP: /usr/bin/python3 not installed"; exit 77; }
HTTPD=$BUILD/examples/httpd
HGET=$BUILD/examples/hget
for x in "$HTTPD" "$HGET"; do [ -x "$x" ] || { echo "FAIL: $x not built"; exit 1; }; done
SIZE=${SIZE:-104857600}

peer_ns A
veth_to A 10.96.0.1/24 fd96::1/64
ninetd_start "stack 0 $MNT
ipifc/clone bind ether $HOST_A
. add 10.96.0.2 255.255.255.0
. add6 fd96::2 64"
export NINET_NET=$MNT

# The files: one for each direction, made before any timer starts.
mkdir -p "$WORK/www" "$WORK/linux"
head -c "$SIZE" /dev/urandom > "$WORK/www/big.bin"
head -c "$SIZE" /dev/urandom > "$WORK/linux/big.bin"
printf '<p>ninet</p>\n' > "$WORK/www/index.html"
printf 'spaced\n' > "$WORK/www/a b.txt"
want_ninet=$(sha256sum < "$WORK/www/big.bin" | cut -d' ' -f1)
want_linux=$(sha256sum < "$WORK/linux/big.bin" | cut -d' ' -f1)

now() { date +%s.%N; }
rate() { awk -v b="$1" -v t0="$2" -v t1="$3" 'BEGIN { printf "%.0f Mbit/s", b * 8 / (t1 - t0) / 1e6 }'; }

# same_sha DESCRIPTION FILE WANT: the file's sha256 must be WANT.
same_sha() {
  got=$(sha256sum < "$2" | cut -d' ' -f1)
  if [ "$got" = "$3" ]; then echo "PASS: $1"; else
    echo "FAIL: $1: sha256 $got, want $3 ($(wc -c < "$2") bytes)"
    cat "$MNT"/tcp/*/status 2>/dev/null | sed 's/^/  status | /'
    sed 's/^/  stats | /' "$MNT/tcp/stats"
    FAILS=$((FAILS + 1))
  fi
}

# --- curl (Linux) from ninet's httpd
timeout 110 "$HTTPD" -d "$WORK/www" 'tcp!*!8080' > "$WORK/httpd.out" 2>&1 &
SERVERS=$!  # ended before finish: the Python ones would outlive their namespace
wait_for serving "$WORK/httpd.out"
contains "httpd announced" "serving .* on .*/tcp/[0-9]+" "$(cat "$WORK/httpd.out")"

incurl() { ip netns exec "$NS_A" timeout 30 curl -g -sS "$@" 2>&1; }
for host in 10.96.0.2 "[fd96::2]"; do
  url=http://$host:8080
  rm -f "$WORK/got"
  t0=$(now)
  code=$(ip netns exec "$NS_A" timeout 60 curl -g -sS -o "$WORK/got" -w '%{http_code}' "$url/big.bin" 2>&1)
  t1=$(now)
  contains "curl GET $host: 200" "^200$" "$code"
  same_sha "curl downloads $SIZE bytes from ninet's httpd intact ($host, $(rate "$SIZE" "$t0" "$t1"))" \
    "$WORK/got" "$want_ninet"
  head=$(incurl -I "$url/big.bin" | tr -d '\r')
  contains "HEAD $host: status" "^HTTP/1.1 200 OK" "$head"
  contains "HEAD $host: Content-Length" "^Content-Length: $SIZE$" "$head"
  contains "HEAD $host: Content-Type" "^Content-Type: application/octet-stream$" "$head"
  contains "404 for a missing file, with a short body ($host)" "^404 Not Found code=404$" \
    "$(incurl -w ' code=%{http_code}' "$url/missing.bin" | tr '\n' ' ' | sed 's/  */ /g')"
  contains "a directory is its index.html, text/html ($host)" "^text/html; charset=utf-8 <p>ninet</p>" \
    "$(incurl -w '%{content_type} ' -o /dev/null "$url/" && incurl "$url/")"
  contains "%20 decoded ($host)" "^spaced$" "$(incurl "$url/a%20b.txt")"
  contains "a .. segment is refused ($host)" "^400 " \
    "$(incurl --path-as-is -o /dev/null -w '%{http_code} ' "$url/../etc/passwd")"
  contains "an encoded .. segment is refused ($host)" "^400 " \
    "$(incurl --path-as-is -o /dev/null -w '%{http_code} ' "$url/%2e%2E/etc/passwd")"
  contains "a bad %XX is refused ($host)" "^400 " \
    "$(incurl -o /dev/null -w '%{http_code} ' "$url/a%zzb")"
  contains "POST is 405 ($host)" "^405 " \
    "$(incurl -o /dev/null -w '%{http_code} ' -d x "$url/index.html")"
  contains "an 8 KiB+ target is 414 ($host)" "^414 " \
    "$(incurl -o /dev/null -w '%{http_code} ' "$url/$(head -c 9000 /dev/zero | tr '\0' a)")"
  # Two requests on one connection (keep-alive), then Connection: close honoured.
  v=$(incurl -v -o /dev/null -o /dev/null "$url/index.html" "$url/a%20b.txt")
  contains "keep-alive: curl reuses the connection ($host)" "Re-?using existing connection" "$v"
  v=$(incurl -v -o /dev/null -H 'Connection: close' "$url/index.html")
  contains "Connection: close is answered with close ($host)" "< Connection: close" "$v"
done

# Eight calls at once, a thread each: every download intact.
head -c $((SIZE / 10)) /dev/urandom > "$WORK/www/tenth.bin"
want_tenth=$(sha256sum < "$WORK/www/tenth.bin" | cut -d' ' -f1)
pids=""
for i in 1 2 3 4 5 6 7 8; do
  ip netns exec "$NS_A" timeout 60 curl -sS -o "$WORK/par$i" http://10.96.0.2:8080/tenth.bin 2>/dev/null &
  pids="$pids $!"
done
for p in $pids; do wait "$p"; done
contains "8 concurrent downloads intact" "^8$" \
  "$(for i in 1 2 3 4 5 6 7 8; do sha256sum < "$WORK/par$i"; done | grep -c "^$want_tenth ")"

# Raw requests (IPv4): pipelining, framing and the refusals curl cannot send.
raw() { printf "$1" | ip netns exec "$NS_A" timeout 10 socat -t 3 - TCP:10.96.0.2:8080 2>&1 | tr -d '\r'; }
contains "two pipelined requests, two answers, bare LFs taken" "^2$" \
  "$(raw 'GET /index.html HTTP/1.1\nHost: x\n\nGET /a%%20b.txt HTTP/1.1\nHost: x\nConnection: close\n\n' | grep -c '^HTTP/1.1 200 OK$')"
contains "a GET's body is skipped, the next request served" "spaced" \
  "$(raw 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /a%%20b.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')"
contains "HTTP/1.1 without Host is 400" "^HTTP/1.1 400 " "$(raw 'GET / HTTP/1.1\r\n\r\n')"
contains "HTTP/1.0 needs no Host and is closed after" "^Connection: close$" "$(raw 'GET / HTTP/1.0\r\n\r\n')"
contains "HTTP/2.0 on this path is 505" "^HTTP/1.1 505 " "$(raw 'GET / HTTP/2.0\r\nHost: x\r\n\r\n')"
contains "an absolute-form target is served" "^<p>ninet</p>$" \
  "$(raw 'GET http://x/index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')"
contains "white space before a field's colon is 400" "^HTTP/1.1 400 " "$(raw 'GET / HTTP/1.1\r\nHost : x\r\n\r\n')"
contains "40 KiB of fields is 431" "^HTTP/1.1 431 " \
  "$(raw "GET / HTTP/1.1\r\nHost: x\r\nX: $(head -c 40000 /dev/zero | tr '\0' a)\r\n\r\n")"

# --- ninet's hget from Linux's python3 http.server
ip netns exec "$NS_A" timeout 110 /usr/bin/python3 -m http.server -d "$WORK/linux" \
  -b 10.96.0.1 8000 > "$WORK/py4.log" 2>&1 &
SERVERS="$SERVERS $!"
ip netns exec "$NS_A" timeout 110 /usr/bin/python3 -m http.server -d "$WORK/linux" \
  -b fd96::1 8001 > "$WORK/py6.log" 2>&1 &
SERVERS="$SERVERS $!"
for _ in $(seq 100); do
  [ "$(ip netns exec "$NS_A" ss -ltnH 2>/dev/null | grep -c ':800[01] ')" = 2 ] && break
  sleep 0.1
done
for url in http://10.96.0.1:8000 "http://[fd96::1]:8001"; do
  rm -f "$WORK/got"
  t0=$(now)
  timeout 60 "$HGET" "$url/big.bin" > "$WORK/got" 2> "$WORK/hget.err"
  st=$?
  t1=$(now)
  contains "hget exits 0 ($url)" "^exit 0 *$" "exit $st $(cat "$WORK/hget.err")"
  same_sha "hget downloads $SIZE bytes from Linux's http.server intact ($url, $(rate "$SIZE" "$t0" "$t1"))" \
    "$WORK/got" "$want_linux"
  expect_fail "hget fails on a 404 ($url)" timeout 20 "$HGET" "$url/missing.bin"
  contains "hget names the status" "404" "$(timeout 20 "$HGET" "$url/missing.bin" 2>&1 >/dev/null)"
done
# Framings http.server does not use: chunked (odd sizes, extensions, a
# trailer), no length (to the end), a body shorter than its Content-Length.
head -c 4194304 "$WORK/linux/big.bin" > "$WORK/linux/part.bin"
want_part=$(sha256sum < "$WORK/linux/part.bin" | cut -d' ' -f1)
psize=$(wc -c < "$WORK/linux/part.bin")
cat > "$WORK/framing.py" <<'PY'
import http.server, sys
data = open(sys.argv[1], "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        if self.path == "/chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            i, n = 0, 1
            while i < len(data):
                c = data[i:i + n]
                self.wfile.write(b"%x;ext=1\r\n" % len(c) + c + b"\r\n")
                i, n = i + n, n * 3 + 1 if n < 300000 else 7
            self.wfile.write(b"0\r\nX-Trailer: y\r\n\r\n")
            return
        self.close_connection = True
        if self.path == "/short":
            self.send_header("Content-Length", str(len(data) + 10))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("10.96.0.1", 8002), H).serve_forever()
PY
ip netns exec "$NS_A" timeout 60 /usr/bin/python3 "$WORK/framing.py" "$WORK/linux/part.bin" > "$WORK/py.log" 2>&1 &
SERVERS="$SERVERS $!"
for _ in $(seq 50); do ip netns exec "$NS_A" ss -ltnH | grep -q ':8002 ' && break; sleep 0.1; done
for path in chunked eof; do
  timeout 30 "$HGET" "http://10.96.0.1:8002/$path" > "$WORK/got" 2> "$WORK/hget.err"
  contains "hget exits 0 (/$path)" "^exit 0 *$" "exit $? $(cat "$WORK/hget.err")"
  same_sha "hget takes a body framed by $path intact" "$WORK/got" "$want_part"
done
contains "hget: a body short of its Content-Length is an error" "connection ended after $psize of $((psize + 10)) bytes.exit 1" \
  "$({ timeout 30 "$HGET" http://10.96.0.1:8002/short 2>&1 >/dev/null; echo "exit $?"; } | tr '\n' ' ')"
contains "hget: a closed port is refused" "connection refused" \
  "$(timeout 20 "$HGET" http://10.96.0.1:9/ 2>&1 >/dev/null)"
kill $SERVERS 2>/dev/null  # each a timeout(1), which passes the TERM on
finish
