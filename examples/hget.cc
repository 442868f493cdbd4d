// hget — fetch one URL over HTTP/1.1 with ninet's dial library, the
// client half of issue 6's HTTP examples (point 5), after Plan 9's hget(1).
// With a stack mounted at /net (or $NINET_NET):
//
//   hget http://10.0.0.2:8080/big.bin > big.bin
//   hget http://[fd00::2]/index.html
//
// The host is an address (IPv6 in brackets; a name goes to the resolver
// dial uses); the port defaults to 80. One GET with "Connection: close";
// redirects are not followed: any status but 200 is an error. The body goes
// to stdout: exactly Content-Length bytes, or the chunked coding decoded
// (RFC 9112 section 7.1), or everything to the end of the connection when
// the response has neither (section 6.3). Exits 1 on any error, with the
// reason on stderr; a short body is an error.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "dial/dial.h"
#include "embed.h"

namespace {

constexpr size_t kMaxLine = 16 << 10;  // a status line, field or chunk-size line

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "hget: %s\n", why.c_str());
  std::exit(1);
}

// The response as it arrives: a 128 KiB window [lo, hi) over buf that
// lines are cut from and the body is copied out of.
class Response {
 public:
  explicit Response(ninet::dial::Conn& c) : c_(c), buf_(128 << 10) {}

  // The next line without CRLF (or a bare LF); dies at the end of the
  // connection or past kMaxLine.
  std::string line() {
    for (size_t scanned = lo_;;) {
      auto* nl = static_cast<char*>(std::memchr(buf_.data() + scanned, '\n', hi_ - scanned));
      if (nl) {
        size_t at = size_t(nl - buf_.data());
        std::string s(buf_.data() + lo_, at - lo_);
        lo_ = at + 1;
        if (!s.empty() && s.back() == '\r') s.pop_back();
        return s;
      }
      if (hi_ - lo_ > kMaxLine) die("response line too long");
      scanned = hi_ - lo_;  // fill() moves the window to the front
      if (!fill()) die("connection ended in the response's head");
    }
  }

  // Copies `n` body bytes to fd `out` (all to the end when n is "all").
  // Returns how many went.
  static constexpr uint64_t kAll = ~uint64_t(0);
  uint64_t copy(uint64_t n, int out) {
    uint64_t done = 0;
    while (done < n) {
      if (lo_ == hi_ && !fill()) break;
      size_t k = size_t(std::min<uint64_t>(hi_ - lo_, n - done));
      for (size_t off = 0; off < k;) {
        ssize_t w = write(out, &buf_[lo_ + off], k - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) die(std::string("write: ") + std::strerror(errno));
        off += size_t(w);
      }
      lo_ += k;
      done += k;
    }
    return done;
  }

 private:
  // Moves the unread bytes to the front and reads more after them.
  bool fill() {
    std::memmove(buf_.data(), &buf_[lo_], hi_ - lo_);
    hi_ -= lo_;
    lo_ = 0;
    auto n = c_.read({reinterpret_cast<uint8_t*>(&buf_[hi_]), buf_.size() - hi_});
    if (!n) die("read: " + n.error().text());
    hi_ += *n;
    return *n > 0;
  }

  ninet::dial::Conn& c_;
  std::vector<char> buf_;
  size_t lo_ = 0, hi_ = 0;
};

struct Url {
  std::string authority;  // as written: the Host field's value
  std::string host, port = "80", path = "/";
};

Url parse_url(std::string_view s) {
  if (!s.starts_with("http://")) die("not an http:// URL");
  s.remove_prefix(7);
  Url u;
  size_t slash = s.find('/');
  u.authority = s.substr(0, slash);
  if (slash != std::string_view::npos) u.path = s.substr(slash);
  std::string_view a = u.authority;
  size_t colon;
  if (a.starts_with('[')) {
    size_t close = a.find(']');
    if (close == std::string_view::npos) die("no ] in the URL's host");
    u.host = a.substr(1, close - 1);
    colon = close + 1 < a.size() && a[close + 1] == ':' ? close + 1 : std::string_view::npos;
    if (colon == std::string_view::npos && close + 1 != a.size()) die("bad URL");
  } else {
    colon = a.find(':');
    u.host = a.substr(0, colon);
  }
  if (colon != std::string_view::npos) u.port = a.substr(colon + 1);
  if (u.host.empty() || u.port.empty() ||
      u.port.find_first_not_of("0123456789") != std::string::npos)
    die("bad URL");
  return u;
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

struct Framing {
  bool chunked = false;
  bool has_length = false;
  uint64_t length = 0;
};

// The status line (after any 1xx) and the fields that frame the body.
Framing read_head(Response& in) {
  std::string status;
  for (;;) {
    status = in.line();
    // "HTTP/1.x NNN reason": RFC 9112 section 4.
    if (!status.starts_with("HTTP/1.") || status.size() < 12 || status[8] != ' ')
      die("bad status line: " + status);
    bool interim = status[9] == '1';
    Framing f;
    for (std::string field; !(field = in.line()).empty();) {
      size_t colon = field.find(':');
      if (colon == std::string::npos) die("bad field: " + field);
      std::string_view name(field.data(), colon);
      std::string_view value = std::string_view(field).substr(colon + 1);
      value.remove_prefix(std::min(value.size(), value.find_first_not_of(" \t")));
      value = value.substr(0, value.find_last_not_of(" \t") + 1);  // npos + 1 == 0: all blank
      if (iequal(name, "transfer-encoding")) {
        // Section 6.1: chunked must be the final coding; others we do not undo.
        if (!iequal(value, "chunked")) die("unsupported transfer coding: " + std::string(value));
        f.chunked = true;
      } else if (iequal(name, "content-length")) {
        if (value.empty() || value.size() > 18 ||
            value.find_first_not_of("0123456789") != std::string_view::npos)
          die("bad Content-Length: " + std::string(value));
        uint64_t n = std::stoull(std::string(value));
        if (f.has_length && n != f.length) die("conflicting Content-Length");
        f.has_length = true;
        f.length = n;
      }
    }
    if (interim) continue;  // 100 Continue and the like: the answer follows
    if (status.compare(9, 3, "200") != 0) die(status);
    return f;
  }
}

// Section 7.1: chunk-size [; ext] CRLF data CRLF ... 0 CRLF trailers CRLF.
uint64_t copy_chunked(Response& in, int out) {
  uint64_t total = 0;
  for (;;) {
    std::string size_line = in.line();
    char* end = nullptr;
    uint64_t n = std::strtoull(size_line.c_str(), &end, 16);
    // strtoull takes a sign and spaces the grammar does not: insist on a hex digit first.
    if (size_line.empty() || !std::isxdigit(static_cast<unsigned char>(size_line[0])) ||
        n >= (uint64_t(1) << 60) || (*end && *end != ';' && *end != ' ' && *end != '\t'))
      die("bad chunk size: " + size_line);
    if (n == 0) break;
    if (in.copy(n, out) != n) die("connection ended in a chunk");
    total += n;
    if (!in.line().empty()) die("no CRLF after a chunk");
  }
  while (!in.line().empty()) {
  }  // trailer fields, ignored
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: hget http://host[:port]/path > file\n");
    return 2;
  }
  auto net = ninet::use_env_embedded();  // keeps an embedded stack running
  if (!net) die(net.error().text());
  Url u = parse_url(argv[1]);
  auto c = ninet::dial::dial("tcp!" + u.host + "!" + u.port);
  if (!c) die("dial " + u.host + "!" + u.port + ": " + c.error().text());
  std::string req = "GET " + u.path + " HTTP/1.1\r\nHost: " + u.authority +
                    "\r\nUser-Agent: ninet-hget\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  if (auto st = c->write(req); !st) die("write request: " + st.error().text());
  Response in(*c);
  Framing f = read_head(in);
  if (f.chunked) {
    copy_chunked(in, STDOUT_FILENO);
  } else if (f.has_length) {
    uint64_t got = in.copy(f.length, STDOUT_FILENO);
    if (got != f.length)
      die("connection ended after " + std::to_string(got) + " of " + std::to_string(f.length) +
          " bytes");
  } else {
    in.copy(Response::kAll, STDOUT_FILENO);
  }
  c->close();
  return 0;
}
