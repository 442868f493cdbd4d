// text_fuzz — parse_session_req on arbitrary text: an error or a request
// that prints to words which parse back to the same structure.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "pipex/text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ninet::pipex;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = parse_session_req(in);
  if (!r) return 0;
  const std::string text = session_req_text(*r);
  auto again = parse_session_req(text);
  if (!again || session_req_text(*again) != text) std::abort();
  return 0;
}
