// Packed datagrams: several records in one datagram, for a leader that says
// it reads them (TOIL_RT_LOGGING_PACKED). Each record is its own JSON object,
// as in a one-record datagram, and the objects are separated by a newline:
//
//   {"name":"toil-rt",...,"seq":7,"stream":"912..."}\n{...,"seq":8,...}
//
// A signed packed datagram carries one "hmac" key, in its last object, over
// every byte before it (datagram_auth.h), so it is verified as a whole.
// Nothing else is needed to tell the two kinds apart: inside one JSON
// document "}\n{" can never appear (a newline in a string is escaped, and
// two values are separated by a comma), so a one-record datagram, even one
// pretty-printed with newlines, is never split.
#ifndef TOIL_RTLOG_WIRE_PACKED_DATAGRAM_H_
#define TOIL_RTLOG_WIRE_PACKED_DATAGRAM_H_

#include <cstddef>
#include <cstring>

#include "absl/strings/string_view.h"

namespace toil::rtlog::internal {

// The sizes a leader may announce: smaller ones would hold too few records
// to be worth it.
inline constexpr size_t kMinPackedBytes = 1024;
// What a C++ leader announces by default: a few hundred typical records, and
// few enough IP fragments on a network with a 1,500-byte MTU.
inline constexpr size_t kDefaultPackedBytes = 8192;

// Calls `record(offset, size)` for each record of `datagram`, in order (once,
// for the whole datagram, when it holds one record).
template <typename Fn>
void ForEachPackedRecord(absl::string_view datagram, Fn&& record) {
  const char* const begin = datagram.data();
  const char* const end = begin + datagram.size();
  const char* start = begin;
  const char* at = begin;
  while (true) {
    const char* newline =
        static_cast<const char*>(std::memchr(at, '\n', static_cast<size_t>(end - at)));
    if (newline == nullptr) break;
    at = newline + 1;
    if (newline > start && newline[-1] == '}' && at < end && *at == '{') {
      record(static_cast<size_t>(start - begin), static_cast<size_t>(newline - start));
      start = at;
    }
  }
  record(static_cast<size_t>(start - begin), static_cast<size_t>(end - start));
}

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_WIRE_PACKED_DATAGRAM_H_
