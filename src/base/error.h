// error.h — ninet's error codes and Result<T>.
//
// Every error is listed once in errors.def with its errno and its Plan 9 style
// text. API calls return Result<T>; a failure carries an Err code and, where the
// code alone is too vague, a short detail string shown after the text
// ("bad ip address syntax: 10.0.0.300").
//
//   Result<int> parse_port(std::string_view s);
//   auto r = parse_port("80");
//   if (!r) return r.error();
//   int port = *r;
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ninet {

enum class Err : int {
#define X(name, errnum, text) name,
#include "base/errors.def"
#undef X
};

// The user-visible text of an error code.
std::string_view err_text(Err e);
// The errno a FUSE operation fails with for this error.
int err_errno(Err e);

// An error: a code plus an optional detail that is appended to the text.
class [[nodiscard]] Error {
 public:
  Error(Err code) : code_(code) {}  // NOLINT: implicit by design
  Error(Err code, std::string detail) : code_(code), detail_(std::move(detail)) {}
  Err code() const { return code_; }
  const std::string& detail() const { return detail_; }
  // "bad ip address syntax" or "bad ip address syntax: 1.2.3"
  std::string text() const;
  int errnum() const { return err_errno(code_); }
  bool operator==(Err e) const { return code_ == e; }

 private:
  Err code_;
  std::string detail_;
};

// The error whose text a message is: Error::text() read back (a 9P
// Rerror's ename, a conversation's err file). The longest errors.def text
// that is all of `text` or its start followed by ": detail" wins; of codes
// with the same text ("permission denied": EPERM, EACCES), the one whose
// errno is `errnum` (9P2000.u), else the first listed. A text that is no
// error's gives `unknown` with the whole text as detail.
Error error_from_text(std::string_view text, Err unknown, int errnum = 0);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::move(v)) {}      // NOLINT
  Result(Error e) : v_(std::move(e)) {}  // NOLINT
  Result(Err e) : v_(Error(e)) {}        // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& value() { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() : e_(Err::Ok) {}
  Result(Error e) : e_(std::move(e)) {}  // NOLINT
  Result(Err e) : e_(Error(e)) {}        // NOLINT
  bool ok() const { return e_.code() == Err::Ok; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return e_; }

 private:
  Error e_;
};

using Status = Result<void>;

}  // namespace ninet
