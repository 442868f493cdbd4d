// ninet_cmds.h — the commands of the ninet tool, over a mounted tree.
#pragma once

#include <string>
#include <vector>

namespace ninet::tool {

void usage();
int run(const std::string& root, const std::vector<std::string>& args);

// Formatting of tree files as tables (pure functions, unit-tested).
std::string format_ifcs(const std::vector<std::pair<int, std::string>>& status_by_ifc);
std::string format_routes(const std::string& iproute);
std::string format_arp(const std::string& arp);

}  // namespace ninet::tool
