// ninet_pipex.cc — `ninet pipex`: the PPP sessions of a stack's pipex
// (docs/pipex.md, "The tree"), over its mounted tree.
//
//   ninet pipex                         a line per session
//   ninet pipex enable | disable        pipex/enable
//   ninet pipex closed                  takes the PPP ids of idle sessions
//   ninet pipex add ifc=0 proto=l2tp id=7 ...     a message of pipex/ctl
//   ninet pipex delete l2tp 7           (also mode, config, descr)
#include <dirent.h>
#include <errno.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

#include "ninet_cmds.h"

namespace ninet::tool {

namespace {

// A session directory's name split for ordering: ("l2tp", 7); id -1 for a
// name that is not PROTO.ID.
std::pair<std::string, long> name_key(const std::string& name) {
  size_t dot = name.find('.');
  if (dot == std::string::npos) return {name, -1};
  char* end;
  long id = std::strtol(name.c_str() + dot + 1, &end, 10);
  return {name.substr(0, dot), *end == 0 ? id : -1};
}

// The directory's entries in session order; false if it cannot be read.
bool session_dirs(const std::string& dir, std::vector<std::string>* v) {
  DIR* d = opendir(dir.c_str());
  if (!d) {
    std::fprintf(stderr, "ninet: pipex: %s: %s\n", dir.c_str(), std::strerror(errno));
    return false;
  }
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") v->push_back(n);
  }
  closedir(d);
  std::sort(v->begin(), v->end(),
            [](const std::string& a, const std::string& b) { return name_key(a) < name_key(b); });
  return true;
}

// The key=value words of a status file's first two lines, and its descr.
std::map<std::string, std::string> status_fields(const std::string& status) {
  std::map<std::string, std::string> m;
  std::istringstream in(status);
  std::string line;
  for (int i = 0; i < 2 && std::getline(in, line); i++) {
    std::istringstream ws(line);
    std::string w;
    while (ws >> w) {
      size_t eq = w.find('=');
      if (eq != std::string::npos) m[w.substr(0, eq)] = w.substr(eq + 1);
    }
  }
  if (std::getline(in, line) && line.starts_with("descr=")) m["descr"] = line.substr(6);
  return m;
}

// The value of `Name: value` in a stats file, or "-".
std::string stat_value(const std::string& stats, const std::string& name) {
  std::istringstream in(stats);
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with(name + ": ")) return line.substr(name.size() + 2);
  return "-";
}

int list(const std::string& root) {
  const std::string dir = root + "/pipex/sessions";
  std::vector<PipexSession> sessions;
  std::vector<std::string> names;
  if (!session_dirs(dir, &names)) return 1;
  int rc = 0;
  for (const std::string& n : names) {
    PipexSession s{n, "", ""};
    int e = slurp(dir + "/" + n + "/status", &s.status);
    if (!e) e = slurp(dir + "/" + n + "/stats", &s.stats);
    if (e == ENOENT || e == ESTALE || e == EINVAL) continue;  // deleted while listed
    if (e) {
      std::fprintf(stderr, "ninet: pipex: %s/%s: %s\n", dir.c_str(), n.c_str(), std::strerror(e));
      rc = 1;
      continue;
    }
    sessions.push_back(std::move(s));
  }
  std::fputs(format_pipex(sessions).c_str(), stdout);
  return rc;
}

}  // namespace

std::string format_pipex(const std::vector<PipexSession>& sessions) {
  std::string out;
  char buf[512];
  const char* fmt = "%-12s %-11s %-30s %-18s %10s %10s  %s\n";
  std::snprintf(buf, sizeof buf, fmt, "SESSION", "STATE", "PEER", "FRAMED", "IN", "OUT", "DESCR");
  out += buf;
  for (const PipexSession& s : sessions) {
    auto f = status_fields(s.status);
    auto get = [&f](const char* k) {
      auto it = f.find(k);
      return it == f.end() || it->second.empty() ? std::string("-") : it->second;
    };
    std::string peer = f.count("peer-mac") ? get("peer-mac") : get("peer");
    std::string framed = get("framed");
    if (f.count("netmask") && f["netmask"] != "255.255.255.255") framed += "/" + f["netmask"];
    std::snprintf(buf, sizeof buf, fmt, s.name.c_str(), get("state").c_str(), peer.c_str(),
                  framed.c_str(), stat_value(s.stats, "ipackets").c_str(),
                  stat_value(s.stats, "opackets").c_str(), get("descr").c_str());
    out += buf;
  }
  return out;
}

int pipex(const std::string& root, const std::vector<std::string>& a) {
  const std::string dir = root + "/pipex";
  if (a.empty()) return list(root);
  const std::string& verb = a[0];
  if ((verb == "enable" || verb == "disable") && a.size() == 1)
    return write_file(dir + "/enable", verb == "enable" ? "1" : "0") ? 0 : 1;
  if (verb == "closed" && a.size() == 1) {
    std::string text;
    if (!read_file(dir + "/closed", &text)) return 1;
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  if (verb == "mode" || verb == "add" || verb == "delete" || verb == "config" || verb == "descr") {
    std::string msg;
    for (const std::string& w : a)
      msg += (msg.empty() ? "" : " ") + w;
    return write_file(dir + "/ctl", msg) ? 0 : 1;
  }
  usage();
  return 2;
}

}  // namespace ninet::tool
