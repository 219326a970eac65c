// Fuzz target: the stream transport's framing, as the leader reads it from a
// job's connection (and a job from its leader's). Input: a split size (the
// first byte, so that frames arrive cut anywhere), then the bytes received.
// The reader must give whole frames or refuse, never crash, hang or hold
// more than a frame; the frames it gives, written again, must be the bytes
// it consumed; and cutting the input differently must give the same frames.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "toil/rtlog/wire/stream_frame.h"

using namespace toil::rtlog::internal;  // NOLINT: a fuzz target's whole subject

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  std::abort();
}

// The frames `bytes` hold, given `chunk` bytes at a time, written again;
// whether the reader refused them.
std::string Reframe(absl::string_view bytes, size_t chunk, bool* refused) {
  StreamFrameReader reader;
  std::string out;
  *refused = false;
  for (size_t at = 0; at < bytes.size() && !*refused; at += chunk) {
    reader.Add(bytes.substr(at, chunk));
    while (true) {
      absl::StatusOr<std::optional<Frame>> frame = reader.Next();
      if (!frame.ok()) {
        *refused = true;
        break;
      }
      if (!frame->has_value()) break;
      if ((*frame)->body.size() + kFrameHeader > kMaxFrame) Fail("a frame larger than allowed");
      AppendFrame((*frame)->type, (*frame)->number, (*frame)->body, &out);
    }
    if (reader.pending() > kMaxFrame + chunk) Fail("the reader holds more than a frame");
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  const absl::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  bool refused_cut = false;
  bool refused_whole = false;
  const std::string cut = Reframe(bytes, chunk, &refused_cut);
  const std::string whole = Reframe(bytes, bytes.size() + 1, &refused_whole);
  if (cut != whole || refused_cut != refused_whole) Fail("the frames depend on how bytes arrive");
  if (bytes.substr(0, whole.size()) != whole) Fail("the frames are not the bytes consumed");
  return 0;
}
