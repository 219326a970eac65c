// DatagramPacker: a C++ job's records, each already JSON, into the datagrams
// it sends: one record per datagram, or, for a leader that reads packed
// datagrams (packed_datagram.h unpacks them), as many records as fit in
// `packed_bytes`, one per line. Each datagram is signed when there is a
// signer (datagram_auth.h). Once kMaxDatagrams datagrams are ready (or one
// more: kMaxReady) it says so, for the caller to send them together
// (sendmmsg); it never drops a record.
//
//   DatagramPacker packer(8192, auth);
//   if (packer.Add(json)) { Send(packer); packer.Clear(); }  // 64 ready
//   ...
//   packer.Close();  Send(packer);  packer.Clear();          // the rest
#ifndef TOIL_RTLOG_WIRE_DATAGRAM_PACKER_H_
#define TOIL_RTLOG_WIRE_DATAGRAM_PACKER_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "toil/rtlog/wire/datagram_auth.h"

namespace toil::rtlog::internal {

class DatagramPacker {
 public:
  static constexpr int kMaxDatagrams = 64;
  // The most that can be ready at once: a record that closes the 64th
  // datagram and is too large to share one closes a 65th.
  static constexpr int kMaxReady = kMaxDatagrams + 1;

  // `packed_bytes` 0: one record per datagram. `auth` (may be null: no
  // signature) must outlive the packer.
  DatagramPacker(size_t packed_bytes, DatagramAuth* auth)
      : packed_bytes_(packed_bytes), auth_(auth) {}

  // Adds one record (its JSON, fitted to a datagram: datagram_fit.h).
  // Returns true when kMaxDatagrams or more datagrams are ready: take them
  // (and Clear) before adding more.
  bool Add(absl::string_view json);
  // Closes (signs) the datagram being filled, if any.
  void Close();

  // The datagrams ready, and how many records each holds.
  int ready() const { return ready_; }
  const std::string& datagram(int i) const { return datagrams_[i]; }
  int records(int i) const { return records_[i]; }
  // Forgets the datagrams ready (after sending them); the one being
  // filled, if any, goes on being filled.
  void Clear();

 private:
  const size_t packed_bytes_;
  DatagramAuth* const auth_;
  std::string datagrams_[kMaxReady];
  int records_[kMaxReady] = {};
  int ready_ = 0;      // datagrams closed
  bool open_ = false;  // datagrams_[ready_] may take more records
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_WIRE_DATAGRAM_PACKER_H_
