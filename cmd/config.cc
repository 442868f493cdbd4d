#include "config.h"

#include <sstream>

#include "base/fields.h"
#include "base/timer.h"

namespace ninet {

namespace {
std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}
}  // namespace

Result<Config> parse_config(const std::string& text) {
  Config c;
  std::istringstream in(text);
  std::string raw;
  int lineno = 0;
  auto fail = [&](const std::string& why) {
    return Error(Err::BadArg, "line " + std::to_string(lineno) + ": " + why);
  };
  while (std::getline(in, raw)) {
    lineno++;
    std::string line = raw.substr(0, raw.find('#'));
    line = trim(line);
    if (line.empty()) continue;
    size_t sp = line.find_first_of(" \t");
    std::string word = line.substr(0, sp);
    std::string rest = sp == std::string::npos ? "" : trim(line.substr(sp));
    if (word == "stack") {
      std::istringstream w(rest);
      int n = -1;
      std::string mnt, extra;
      if (!(w >> n) || n < 0 || n > 15) return fail("stack number must be 0-15");
      w >> mnt;
      if (w >> extra) return fail("stack N [mountpoint]");
      for (auto& s : c.stacks)
        if (s.number == n) return fail("stack " + std::to_string(n) + " configured twice");
      ConfigStack s;
      s.number = n;
      s.mountpoint = mnt;
      c.stacks.push_back(std::move(s));
      continue;
    }
    if (c.stacks.empty()) return fail("a `stack N` line must come first");
    if (word == "9p") {
      std::istringstream w(rest);
      ConfigListen l;
      std::string opt, extra;
      if (!(w >> l.addr)) return fail("9p ADDR [allow-remote]");
      if (w >> opt) {
        if (opt != "allow-remote" || (w >> extra)) return fail("9p ADDR [allow-remote]");
        l.remote = true;
      }
      c.stacks.back().ninep.push_back(std::move(l));
      continue;
    }
    if (word == "busypoll") {
      Time& b = c.stacks.back().busy_poll;
      if (rest == "off") {
        b = 0;
      } else if (rest == "always") {
        b = kNever;
      } else if (auto n = parse_int(rest, 1, 1000000)) {
        b = us(*n);
      } else {
        return fail("busypoll off|always|USEC (1-1000000)");
      }
      continue;
    }
    if (word == "owner") {
      std::istringstream w(rest);
      std::string name, extra;
      if (!(w >> name) || (w >> extra)) return fail("owner NAME");
      if (!c.stacks.back().writes.empty()) return fail("owner must come before the stack's files");
      c.stacks.back().owner = name;
      continue;
    }
    if (rest.empty()) return fail("no message for " + word);
    if (word == ".") {
      bool any = false;
      for (auto& w : c.stacks.back().writes)
        if (!w.file.empty()) any = true;
      if (!any) return fail("`.` before any file was opened");
      word.clear();
    }
    c.stacks.back().writes.push_back({lineno, word, rest});
  }
  return c;
}

std::string default_config(const std::string& mountpoint) {
  return "stack 0 " + mountpoint +
         "\n"
         "ipifc/clone bind loopback\n"
         ". add 127.0.0.1 255.0.0.0\n"
         ". add ::1 /128\n";
}

}  // namespace ninet
