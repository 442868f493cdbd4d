// client.h — NinepClient: a 9P2000 client for a served tree (the `ninet`
// tool, dial, tests). Thread-safe: calls from several threads are in flight
// at once (one blocked reading `data` while another writes `ctl`).
//
//   auto c = NinepClient::connect("unix!/run/ninet0");
//   if (!c) die(c.error().text());
//   auto ctl = (*c)->walk("udp/clone");                 // a new fid
//   (*c)->open(*ctl, ninep::ORDWR);                      // reserves a conversation
//   char n[16]; (*c)->read(*ctl, {n, sizeof n}, 0);     // "3"
//   (*c)->write(*ctl, "connect 10.0.0.1!53");           // one ctl message
//   (*c)->clunk(*ctl);
//   auto text = (*c)->read_file("ipifc/0/status");
//
// Server errors come back as the Err whose text starts the Rerror (the rest
// is the detail), else Err::Io with the whole text.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/error.h"
#include "serve/9p/ninep.h"

namespace ninet {

class NinepClient {
 public:
  // addr: "unix!PATH", an absolute PATH, or "tcp!HOST!PORT". Negotiates the
  // version (9P2000, or 9P2000.u when dotu) and attaches the root as fid 0
  // as `uname` (empty: $USER, else the name of this process's uid).
  static Result<std::unique_ptr<NinepClient>> connect(std::string_view addr,
                                                      uint32_t msize = 64 * 1024 + 24,
                                                      std::string uname = {}, bool dotu = false);
  // The same over an already-connected socket (taken; closed by the client).
  static Result<std::unique_ptr<NinepClient>> over_fd(int fd, uint32_t msize = 64 * 1024 + 24,
                                                      std::string uname = {}, bool dotu = false);
  ~NinepClient();
  NinepClient(const NinepClient&) = delete;
  NinepClient& operator=(const NinepClient&) = delete;

  uint32_t msize() const { return msize_; }
  bool dotu() const { return dotu_; }  // 9P2000.u was negotiated
  uint32_t root() const { return 0; }

  // Walks a '/'-separated path ("" clones) from fid to a new fid.
  Result<uint32_t> walk(uint32_t fid, std::string_view path);
  Result<uint32_t> walk(std::string_view path) { return walk(root(), path); }
  // Opens fid (ninep::OREAD, OWRITE, ORDWR, | OTRUNC); the qid is the file
  // actually opened (clone and listen: the new conversation's ctl).
  Result<ninep::Qid> open(uint32_t fid, uint8_t mode);
  // One Tread / Twrite each (at most msize - 24 bytes).
  Result<size_t> read(uint32_t fid, std::span<uint8_t> buf, uint64_t offset);
  Result<size_t> write(uint32_t fid, std::span<const uint8_t> data, uint64_t offset);
  Result<size_t> write(uint32_t fid, std::string_view s, uint64_t offset = 0) {
    return write(fid, {reinterpret_cast<const uint8_t*>(s.data()), s.size()}, offset);
  }
  Status clunk(uint32_t fid);
  Result<ninep::Dir> stat(uint32_t fid);
  Status wstat(uint32_t fid, const ninep::Dir& d);
  Status truncate(uint32_t fid);  // wstat length 0
  // Reads a directory opened OREAD until its end.
  Result<std::vector<ninep::Dir>> readdir(uint32_t fid);
  // Flushes every request in progress on fid (Tflush): each returns its
  // reply if that came first, else Err::Interrupted.
  void flush(uint32_t fid);

  // Conveniences: walk, open, do, clunk.
  Result<std::string> read_file(std::string_view path);            // until a read returns 0
  Status write_file(std::string_view path, std::string_view msg);  // one write
  Result<std::vector<ninep::Dir>> list(std::string_view path);

  // One request and its reply, as they are (tests). The tag is assigned.
  Result<ninep::Fcall> rpc(ninep::Fcall t);

 private:
  struct Call;
  explicit NinepClient(int fd) : fd_(fd) {}
  Status start(uint32_t msize, std::string uname, bool dotu);
  void reader();
  Result<ninep::Fcall> rpc_expect(ninep::Fcall t, uint8_t rtype);
  uint32_t new_fid();
  void free_fid(uint32_t fid);

  int fd_;
  std::atomic<uint32_t> msize_{0};
  std::atomic<bool> dotu_{false};
  std::thread reader_;
  std::mutex wmu_;  // writes to fd_

  std::mutex mu_;
  bool dead_ = false;
  uint16_t next_tag_ = 0;
  std::map<uint16_t, std::shared_ptr<Call>> calls_;
  uint32_t next_fid_ = 1;
  std::vector<uint32_t> free_fids_;
};

}  // namespace ninet
