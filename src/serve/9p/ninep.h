// ninep.h — 9P2000 messages: the wire format of intro(5), as plain structs,
// and the 9P2000.u extension (Linux v9fs, plan9port) where `dotu` is true:
// Tauth/Tattach carry n_uname[4], Rerror carries errno[4] after the text,
// Tcreate extension[s], and a stat record extension[s] n_uid[4] n_gid[4]
// n_muid[4] after muid.
//
// Every message is size[4] type[1] tag[2] followed by the fields of its type,
// all integers little-endian, strings as len[2] + UTF-8 bytes. decode() takes
// exactly one whole message (size included) from an untrusted peer and either
// returns every field or an error; it never reads outside the span.
//
//   Fcall t;  t.type = ninep::Twalk;  t.tag = 1;  t.fid = 0;  t.newfid = 1;
//   t.wname = {"ipifc", "0", "status"};
//   std::vector<uint8_t> bytes = ninep::encode(t);
//   auto back = ninep::decode(bytes);            // back->wname[2] == "status"
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"

namespace ninet::ninep {

enum Type : uint8_t {
  Tversion = 100,
  Rversion,
  Tauth,
  Rauth,
  Tattach,
  Rattach,
  Terror,  // illegal
  Rerror,
  Tflush,
  Rflush,
  Twalk,
  Rwalk,
  Topen,
  Ropen,
  Tcreate,
  Rcreate,
  Tread,
  Rread,
  Twrite,
  Rwrite,
  Tclunk,
  Rclunk,
  Tremove,
  Rremove,
  Tstat,
  Rstat,
  Twstat,
  Rwstat,
};

constexpr uint16_t kNoTag = 0xffff;
constexpr uint32_t kNoFid = 0xffffffff;
constexpr uint32_t kIoHdrSz = 24;  // Twrite/Rread header: data may use msize - this
constexpr size_t kMaxWelem = 16;   // names in one Twalk
constexpr uint32_t kMinMsize = 256;
constexpr const char* kVersion = "9P2000";
constexpr const char* kVersionU = "9P2000.u";
constexpr uint32_t kNoUid = 0xffffffff;  // 9P2000.u: no numeric id

// Qid types, open modes and Dir mode bits (intro(5), open(5), stat(5)).
constexpr uint8_t QTDIR = 0x80;
constexpr uint8_t QTFILE = 0x00;
constexpr uint8_t OREAD = 0, OWRITE = 1, ORDWR = 2, OEXEC = 3, OTRUNC = 0x10, ORCLOSE = 0x40;
constexpr uint32_t DMDIR = 0x80000000;

struct Qid {
  uint8_t type = 0;
  uint32_t vers = 0;
  uint64_t path = 0;
  bool operator==(const Qid&) const = default;
};

// A stat(5) record. In Twstat, ~0 numbers and empty strings mean "don't touch".
struct Dir {
  uint16_t type = 0;
  uint32_t dev = 0;
  Qid qid;
  uint32_t mode = 0;
  uint32_t atime = 0;
  uint32_t mtime = 0;
  uint64_t length = 0;
  std::string name, uid, gid, muid;
  // 9P2000.u only.
  std::string extension;
  uint32_t n_uid = kNoUid, n_gid = kNoUid, n_muid = kNoUid;
  bool operator==(const Dir&) const = default;
  // A Twstat record that changes nothing.
  static Dir dont_touch();
};

// One message. Only the fields of `type` are meaningful.
struct Fcall {
  uint8_t type = 0;
  uint16_t tag = kNoTag;
  uint32_t fid = kNoFid;     // Tattach Twalk Topen Tcreate Tread Twrite Tclunk Tremove Tstat Twstat
  uint32_t newfid = kNoFid;  // Twalk
  uint32_t afid = kNoFid;    // Tauth Tattach
  uint32_t msize = 0;        // Tversion Rversion
  uint32_t count = 0;        // Tread (asked); Rwrite (done)
  uint32_t perm = 0;         // Tcreate
  uint32_t iounit = 0;       // Ropen Rcreate
  uint16_t oldtag = 0;       // Tflush
  uint8_t mode = 0;          // Topen Tcreate
  uint64_t offset = 0;       // Tread Twrite
  std::string version;       // Tversion Rversion
  std::string uname, aname;  // Tauth Tattach
  uint32_t n_uname = kNoUid;       // Tauth Tattach (9P2000.u)
  std::string ename;               // Rerror
  uint32_t errnum = 0;             // Rerror (9P2000.u)
  std::string extension;           // Tcreate (9P2000.u)
  std::string name;                // Tcreate
  std::vector<std::string> wname;  // Twalk
  std::vector<Qid> wqid;           // Rwalk
  Qid qid;                         // Rauth Rattach Ropen Rcreate
  std::vector<uint8_t> data;       // Twrite Rread
  std::vector<uint8_t> stat;       // Rstat Twstat: one packed Dir
};

// Decodes one whole message; anything short, long, oversized or unknown is an
// error (Err::BadArg with the reason). dotu: the 9P2000.u layout.
Result<Fcall> decode(std::span<const uint8_t> msg, bool dotu = false);
// Encodes a message (size included).
std::vector<uint8_t> encode(const Fcall& f, bool dotu = false);
// The size a message would have on the wire.
size_t encoded_size(const Fcall& f, bool dotu = false);

// stat(5) records: pack appends one (size[2] first); unpack reads exactly one.
void pack_dir(const Dir& d, std::vector<uint8_t>& out, bool dotu = false);
size_t packed_dir_size(const Dir& d, bool dotu = false);
Result<Dir> unpack_dir(std::span<const uint8_t> rec, bool dotu = false);
// Splits a directory read's data into its records.
Result<std::vector<Dir>> unpack_dirs(std::span<const uint8_t> data, bool dotu = false);

const char* type_name(uint8_t type);

}  // namespace ninet::ninep
