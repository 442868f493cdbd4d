// testing.h — TestMedium: the one in-memory medium for tests, fuzz targets
// and benchmarks. Ethernet (frames, ARP/ND, a MAC, multicast filters) or
// bare IP (as pkt); what the stack sends is kept in `sent`, what a test
// queues in `in` is returned by recv(). A test keeps a pointer to the medium
// the stack opened through a MediumFactory from TestMedium::factory().
//
//   std::vector<TestMedium*> media;
//   Ip ip(clock, pool, TestMedium::factory(&media));   // bind ether x / bind pkt
//   ...  media[0]->in.push_back(pool.copy(frame...)); ip.poll();
//   EXPECT_EQ(media[1]->sent.size(), 1u);
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "media/medium.h"

namespace ninet {

class TestMedium : public Medium {
 public:
  explicit TestMedium(bool ether, Mac mac = Mac()) : ether_(ether), mac_(mac) {}

  // A factory for Ip: `bind ether` gives an Ethernet TestMedium with MAC
  // 52:54:00:00:00:NN (NN = 1, 2, ... in bind order), `bind pkt` (or anything
  // else) a bare-IP one. Each opened medium is appended to *opened.
  static std::function<Result<std::unique_ptr<Medium>>(std::string_view, std::string_view)> factory(
      std::vector<TestMedium*>* opened) {
    return [opened](std::string_view kind, std::string_view) {
      bool ether = kind == "ether";
      uint8_t m[6] = {0x52, 0x54, 0, 0, 0, uint8_t(opened->size() + 1)};
      auto t = std::make_unique<TestMedium>(ether, ether ? Mac(m) : Mac());
      opened->push_back(t.get());
      return Result<std::unique_ptr<Medium>>(std::unique_ptr<Medium>(std::move(t)));
    };
  }

  std::string_view name() const override { return ether_ ? "ether" : "pkt"; }
  bool link_header() const override { return ether_; }
  Mac hwaddr() const override { return mac_; }
  int default_mtu() const override { return ether_ ? 1514 : mtu; }
  int max_mtu() const override { return ether_ ? 9014 : 65535; }
  size_t recv(Batch& out, Pool& pool, size_t max) override {
    size_t n = 0;
    for (; n < max && !in.empty(); n++) {
      out.push_back(std::move(in.front()));
      in.pop_front();
    }
    return n;
  }
  void send(Batch& b) override {
    for (auto& x : b)
      if (keep_sent) sent.push_back(std::move(x));
    sent_count += b.size();
    b.clear();
  }
  Status add_multi(const Mac& m) override {
    multi.push_back(m);
    return {};
  }
  Status rem_multi(const Mac& m) override {
    std::erase(multi, m);
    return {};
  }

  // The medium's counters, for tests of what the stack reports from them.
  MediumStats& counters() { return stats_; }

  int mtu = 1500;             // default_mtu of a bare-IP medium
  bool keep_sent = true;      // false: count sent blocks only (benchmarks, fuzzing)
  std::deque<BlockPtr> in;    // returned by recv()
  std::deque<BlockPtr> sent;  // what the stack sent
  size_t sent_count = 0;
  std::vector<Mac> multi;  // multicast filters added

 private:
  bool ether_;
  Mac mac_;
};

}  // namespace ninet
