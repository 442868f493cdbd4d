// httpd — an HTTP/1.1 file server on ninet's dial library (issue 6, point
// 5). With a stack mounted at /net (or $NINET_NET):
//
//   httpd -d /srv/www tcp!*!8080
//
// GET and HEAD of the regular files under the directory (default .), a
// directory meaning its index.html. Connections persist (RFC 9112 section
// 9.3: the default in HTTP/1.1; "Connection: close" or HTTP/1.0 without
// "keep-alive" ends one after its response). Each call is served by a
// thread of its own, as a Plan 9 listener forks (dial::serve); a file is
// sent in 128 KiB writes, never read whole into memory. $NINET_NET names
// the tree: a mounted path, or a 9P service ("9p!unix!/run/ninet0").
//
// What it refuses, with a short text body: a malformed request (400), a
// target with a ".." segment or a bad %XX escape (400), a target longer
// than 8 KiB (414), headers past 32 KiB (431), a method other than GET and
// HEAD (405, with Allow), an HTTP version other than 1.x (505), a file that
// is not there or not a regular file (404). After a 4xx the connection is
// closed when the request's framing cannot be trusted. Symbolic links under
// the directory are followed: what it holds is the operator's to choose.
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dial/dial.h"
#include "embed.h"

namespace {

constexpr size_t kMaxTarget = 8 << 10;    // longer: 414
constexpr size_t kMaxHeaders = 32 << 10;  // request line and fields together: 431
constexpr size_t kChunk = 128 << 10;      // one write of a file's body

using ninet::dial::Conn;

bool write_all(Conn& c, const char* p, size_t n) {
  return bool(c.write(std::string_view(p, n)));
}

// The request's head, read a line at a time (CRLF, or a bare LF as RFC
// 9112 section 2.2 lets a recipient accept). Bytes past the head stay in
// the buffer for the next request on the connection.
class HeadReader {
 public:
  explicit HeadReader(Conn& c) : c_(c) {}
  enum Got { kLine, kEof, kTooLong };
  // Reads one line without its terminator; at most `limit` bytes of it.
  Got line(std::string& out, size_t limit) {
    for (;;) {
      if (auto nl = buf_.find('\n', start_); nl != std::string::npos) {
        size_t end = nl > start_ && buf_[nl - 1] == '\r' ? nl - 1 : nl;
        if (end - start_ > limit) return kTooLong;
        out.assign(buf_, start_, end - start_);
        start_ = nl + 1;
        return kLine;
      }
      if (buf_.size() - start_ > limit) return kTooLong;
      if (!fill()) return kEof;
    }
  }
  // Drops `n` bytes of a request body; false if the connection ends first.
  bool skip(uint64_t n) {
    while (n > 0) {
      if (start_ == buf_.size() && !fill()) return false;
      size_t k = size_t(std::min<uint64_t>(n, buf_.size() - start_));
      start_ += k;
      n -= k;
    }
    return true;
  }

 private:
  // Appends what the connection has next, dropping what was consumed;
  // false at its end.
  bool fill() {
    buf_.erase(0, start_);
    start_ = 0;
    uint8_t tmp[16 << 10];
    auto n = c_.read(tmp);
    if (!n || *n == 0) return false;
    buf_.append(reinterpret_cast<char*>(tmp), *n);
    return true;
  }

  Conn& c_;
  std::string buf_;
  size_t start_ = 0;
};

struct Request {
  std::string method, target, version;
  bool close = false;  // the client asked for it, or HTTP/1.0 without keep-alive
  int hosts = 0;
  bool chunked = false;
  bool bad_length = false;
  bool has_length = false;
  uint64_t length = 0;
};

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Each comma-separated token of a list-valued field (RFC 9110 section 5.6.1).
template <typename F>
void each_token(std::string_view v, F f) {
  while (!v.empty()) {
    size_t comma = v.find(',');
    f(trim(v.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
}

// One field line "name: value" into the request; false if malformed (RFC
// 9112 section 5.1: no white space before the colon).
bool add_field(Request& r, std::string_view line) {
  size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  std::string_view name = line.substr(0, colon);
  if (name.find_first_of(" \t") != std::string_view::npos) return false;
  std::string_view value = trim(line.substr(colon + 1));
  if (iequal(name, "host")) {
    r.hosts++;
  } else if (iequal(name, "connection")) {
    each_token(value, [&](std::string_view t) {
      if (iequal(t, "close")) r.close = true;
      if (iequal(t, "keep-alive") && r.version == "HTTP/1.0") r.close = false;
    });
  } else if (iequal(name, "transfer-encoding")) {
    r.chunked = true;  // any coding: this server takes no chunked bodies
  } else if (iequal(name, "content-length")) {
    uint64_t n = 0;
    if (value.empty() || value.size() > 18) r.bad_length = true;
    for (char c : value) {
      if (c < '0' || c > '9') r.bad_length = true;
      n = n * 10 + uint64_t(c - '0');
    }
    if (r.has_length && r.length != n) r.bad_length = true;  // RFC 9112 section 6.3
    r.has_length = true;
    r.length = n;
  }
  return true;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The target's path decoded and checked: "" if it has a bad escape, a NUL,
// or a ".." segment (decoded first, so "%2e%2e" and "..%2f" are caught).
// The query is dropped; an absolute-form target (RFC 9112 section 3.2.2)
// loses its scheme and authority.
std::string file_path(std::string_view target) {
  if (target.starts_with("http://")) {
    target.remove_prefix(7);
    size_t slash = target.find('/');
    target = slash == std::string_view::npos ? "/" : target.substr(slash);
  }
  target = target.substr(0, target.find('?'));
  if (!target.starts_with('/')) return "";
  std::string path;
  for (size_t i = 0; i < target.size(); i++) {
    char c = target[i];
    if (c == '%') {
      int hi = i + 2 < target.size() ? hex(target[i + 1]) : -1;
      int lo = hi >= 0 ? hex(target[i + 2]) : -1;
      if (lo < 0) return "";
      c = char(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return "";
    path += c;
  }
  for (size_t at = 0; at < path.size();) {
    size_t end = path.find('/', at + 1);
    if (end == std::string::npos) end = path.size();
    if (std::string_view(path).substr(at + 1, end - at - 1) == "..") return "";
    at = end;
  }
  return path;
}

const char* content_type(std::string_view path) {
  static const struct {
    const char* ext;
    const char* type;
  } kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".css", "text/css"},
      {".js", "text/javascript"},
      {".json", "application/json"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".svg", "image/svg+xml"},
      {".pdf", "application/pdf"},
  };
  for (auto& t : kTypes)
    if (path.ends_with(t.ext)) return t.type;
  return "application/octet-stream";
}

// The status line and fields; the caller sends the body.
std::string head(int code, const char* reason, uint64_t length, const char* type, bool close,
                 const char* extra = "") {
  char date[64];
  time_t now = time(nullptr);
  tm t;
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&now, &t));
  char h[512];
  snprintf(h, sizeof h,
           "HTTP/1.1 %d %s\r\nServer: ninet-httpd\r\nDate: %s\r\nContent-Type: %s\r\n"
           "Content-Length: %llu\r\n%s%s\r\n",
           code, reason, date, type, (unsigned long long)length,
           close ? "Connection: close\r\n" : "", extra);
  return h;
}

// A short text response; false if it could not be written.
bool reply_error(Conn& c, int code, const char* reason, bool close, bool with_body,
                 const char* extra = "") {
  std::string body = std::to_string(code) + " " + reason + "\n";
  std::string msg = head(code, reason, body.size(), "text/plain; charset=utf-8", close, extra);
  if (with_body) msg += body;
  return write_all(c, msg.data(), msg.size());
}

// The file's response: headers, then (for GET) its bytes in kChunk writes.
bool reply_file(Conn& c, const std::string& root, const std::string& path, bool get, bool close) {
  std::string name = root + path;
  int f = open(name.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (f >= 0 && fstat(f, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(f);
    name += "/index.html";
    f = open(name.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (f < 0 || fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (f >= 0) ::close(f);
    return reply_error(c, 404, "Not Found", close, get);
  }
  std::string h = head(200, "OK", uint64_t(st.st_size), content_type(name), close);
  bool ok = write_all(c, h.data(), h.size());
  std::vector<char> buf(get ? kChunk : 0);
  for (uint64_t left = uint64_t(st.st_size); ok && get && left > 0;) {
    ssize_t n = read(f, buf.data(), size_t(std::min<uint64_t>(left, kChunk)));
    if (n < 0 && errno == EINTR) continue;
    // A file that shrank under us: the promised length cannot be kept, so
    // the connection ends (the client sees a short body).
    ok = n > 0 && write_all(c, buf.data(), size_t(n));
    left -= n > 0 ? uint64_t(n) : 0;
  }
  ::close(f);
  return ok;
}

// One request and its response; false when the connection is to end.
bool serve_one(Conn& c, HeadReader& in, const std::string& root) {
  Request r;
  std::string line;
  // RFC 9112 section 2.2: empty lines before the request line are ignored.
  do {
    switch (in.line(line, kMaxTarget + 64)) {
      case HeadReader::kEof:
        return false;
      case HeadReader::kTooLong:
        reply_error(c, 414, "URI Too Long", true, true);
        return false;
      case HeadReader::kLine:
        break;
    }
  } while (line.empty());
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string::npos || sp1 == sp2) {
    reply_error(c, 400, "Bad Request", true, true);
    return false;
  }
  r.method = line.substr(0, sp1);
  r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  r.version = line.substr(sp2 + 1);
  if (r.target.size() > kMaxTarget) {
    reply_error(c, 414, "URI Too Long", true, true);
    return false;
  }
  if (!r.version.starts_with("HTTP/1.") || r.version.size() != 8) {
    reply_error(c, r.version.starts_with("HTTP/") ? 505 : 400,
                r.version.starts_with("HTTP/") ? "HTTP Version Not Supported" : "Bad Request", true,
                true);
    return false;
  }
  r.close = r.version == "HTTP/1.0";
  size_t seen = line.size();
  for (;;) {
    auto got = in.line(line, kMaxHeaders);
    if (got == HeadReader::kEof) return false;
    seen += line.size();
    if (got == HeadReader::kTooLong || seen > kMaxHeaders) {
      reply_error(c, 431, "Request Header Fields Too Large", true, true);
      return false;
    }
    if (line.empty()) break;
    if (!add_field(r, line)) {
      reply_error(c, 400, "Bad Request", true, true);
      return false;
    }
  }
  bool head_only = r.method == "HEAD";
  // RFC 9112 section 3.2: a 1.1 request has exactly one Host; a body's
  // framing we cannot follow (chunked, a bad length) ends the connection.
  if ((r.version == "HTTP/1.1" && r.hosts != 1) || r.hosts > 1 || r.chunked || r.bad_length) {
    reply_error(c, 400, "Bad Request", true, !head_only);
    return false;
  }
  if (!in.skip(r.length)) return false;
  if (r.method != "GET" && !head_only)
    return reply_error(c, 405, "Method Not Allowed", r.close, true, "Allow: GET, HEAD\r\n") &&
           !r.close;
  std::string path = file_path(r.target);
  if (path.empty()) return reply_error(c, 400, "Bad Request", r.close, !head_only) && !r.close;
  return reply_file(c, root, path, !head_only, r.close) && !r.close;
}

}  // namespace

int main(int argc, char** argv) {
  std::string root = ".";
  int i = 1;
  if (argc == 4 && std::strcmp(argv[1], "-d") == 0) {
    root = argv[2];
    i = 3;
  }
  if (i != argc - 1) {
    std::fprintf(stderr, "usage: httpd [-d dir] net!*!port\n");
    return 2;
  }
  while (root.size() > 1 && root.back() == '/')
    root.pop_back();
  auto net = ninet::use_env_embedded();  // keeps an embedded stack running
  if (!net) {
    std::fprintf(stderr, "httpd: %s\n", net.error().text().c_str());
    return 1;
  }
  ninet::dial::ServeOptions o;
  o.announced = [&](const Conn& a) {
    std::printf("httpd: serving %s on %s\n", root.c_str(), a.dir.c_str());
    std::fflush(stdout);
  };
  o.refused = [](const ninet::Error& e) {
    std::fprintf(stderr, "httpd: accept: %s\n", e.text().c_str());
  };
  auto st = ninet::dial::serve(
      argv[i],
      [&root](Conn& c) {
        HeadReader in(c);
        while (serve_one(c, in, root)) {
        }
      },
      o);
  std::fprintf(stderr, "httpd: %s: %s\n", argv[i], st.error().text().c_str());
  return 1;
}
