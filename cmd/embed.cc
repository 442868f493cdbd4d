// embed.cc — stacks of a ninetd configuration inside a program (embed.h).
#include "embed.h"

#include <fcntl.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#include "dialfs/dialfs.h"
#include "ns/stack_tree.h"
#include "stack/stack.h"

namespace ninet {

Status apply_config(const ConfigStack& cs, ns::Tree& tree) {
  const ns::User owner{cs.owner, true};
  auto fail = [](const ConfigWrite& w, std::string_view what, const Error& e) {
    return Error(e.code(), "config line " + std::to_string(w.line) + ": " + std::string(what) +
                               (e.detail().empty() ? "" : ": " + e.detail()));
  };
  std::unique_ptr<ns::Handle> last;
  std::vector<std::unique_ptr<ns::Handle>> keep;  // as ninetd: files stay open
  for (const ConfigWrite& w : cs.writes) {
    if (!w.file.empty()) {
      auto q = tree.walk_path(w.file);
      if (!q) return fail(w, w.file, q.error());
      auto h = tree.open(*q, O_RDWR, owner);
      if (!h) return fail(w, "open " + w.file, h.error());
      if (last) keep.push_back(std::move(last));
      last = std::move(*h);
    }
    if (!last) return Error(Err::BadArg, "config line " + std::to_string(w.line) + ": no file");
    if (auto r = last->write(w.message); !r) return fail(w, w.message, r.error());
  }
  return {};
}

namespace {

class Stacks final : public Embedded {
 public:
  ~Stacks() override {
    for (auto& r : run)
      linger(r.stack->ip());
    if (fs) {
      if (&dial::default_fs() == fs.get()) dial::set_default(dial::posix_fs());
      fs->interrupt_all();
    }
    for (auto& r : run) {
      std::lock_guard<std::mutex> g(r.stack->ip().mu);
      r.stack->ip().hangup_all();
    }
    fs.reset();
    for (auto& r : run)
      r.stack->stop();
  }

  // A program that closed a connection and returned from main expects its
  // data to arrive, as it does when a kernel (or ninetd) outlives it: wait,
  // up to kLinger, for every conversation to send what it queued and have
  // its FIN acknowledged (Finwait1, Closing, Last_ack), as SO_LINGER would.
  static void linger(Ip& ip) {
    constexpr auto kLinger = std::chrono::seconds(10);
    const auto end = std::chrono::steady_clock::now() + kLinger;
    while (std::chrono::steady_clock::now() < end) {
      bool busy = false;
      {
        std::lock_guard<std::mutex> g(ip.mu);
        for (auto& p : ip.protos())
          for (auto& c : p->convs) {
            if (!c || !c->inuse) continue;
            const std::string st = p->status(*c);
            busy = busy || p->qout(*c) > 0 || st.starts_with("Finwait1") ||
                   st.starts_with("Closing") || st.starts_with("Last_ack");
          }
      }
      if (!busy) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  struct Running {
    std::unique_ptr<Stack> stack;
    std::unique_ptr<ns::StackTree> tree;
  };
  std::vector<Running> run;
  std::unique_ptr<dialfs::TreeFs> fs;
};

}  // namespace

Result<std::unique_ptr<Embedded>> embed(const Config& cfg) {
  if (cfg.stacks.empty()) return Error(Err::BadArg, "no stack in the configuration");
  auto s = std::make_unique<Stacks>();
  for (const ConfigStack& cs : cfg.stacks) {
    Stacks::Running r;
    r.stack = std::make_unique<Stack>(cs.number);
    r.stack->set_busy_poll(cs.busy_poll);
    r.stack->start();
    r.tree = std::make_unique<ns::StackTree>(*r.stack, cs.owner);
    auto st = apply_config(cs, *r.tree);
    s->run.push_back(std::move(r));
    if (!st) return st.error();
  }
  const ConfigStack& first = cfg.stacks.front();
  const std::string mount = first.mountpoint.empty() ? "/net" : first.mountpoint;
  s->fs =
      std::make_unique<dialfs::TreeFs>(*s->run.front().tree, ns::User{first.owner, true}, mount);
  dial::set_default(*s->fs, mount);
  return std::unique_ptr<Embedded>(std::move(s));
}

Result<std::unique_ptr<Embedded>> use_env_embedded() {
  const char* net = std::getenv("NINET_NET");
  constexpr std::string_view kEmbed = "embed!";
  if (!net || !std::string_view(net).starts_with(kEmbed)) {
    if (auto st = dialfs::use_env(); !st) return st.error();
    return std::unique_ptr<Embedded>();
  }
  const std::string path(std::string_view(net).substr(kEmbed.size()));
  std::ifstream in(path);
  if (!in) return Error(Err::NotFound, path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto cfg = parse_config(ss.str());
  if (!cfg) return Error(cfg.error().code(), path + ": " + cfg.error().detail());
  return embed(*cfg);
}

}  // namespace ninet
