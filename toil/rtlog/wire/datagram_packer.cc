// Records into datagrams; see datagram_packer.h.
#include "toil/rtlog/wire/datagram_packer.h"

namespace toil::rtlog::internal {

bool DatagramPacker::Add(absl::string_view json) {
  const size_t trailer = auth_ != nullptr ? DatagramAuth::kTrailerBytes : 0;
  if (open_) {
    std::string& packed = datagrams_[ready_];
    if (packed.size() + 1 + json.size() + trailer <= packed_bytes_) {
      packed.push_back('\n');
      packed.append(json.data(), json.size());
      ++records_[ready_];
      return false;
    }
    Close();
  }
  datagrams_[ready_].assign(json.data(), json.size());
  records_[ready_] = 1;
  open_ = true;
  // Without packing (or with no room for another record) it is complete.
  if (json.size() + trailer >= packed_bytes_) Close();
  return ready_ >= kMaxDatagrams;
}

void DatagramPacker::Close() {
  if (!open_) return;
  if (auth_ != nullptr) auth_->Sign(&datagrams_[ready_]);
  ++ready_;
  open_ = false;
}

void DatagramPacker::Clear() {
  if (open_) {
    datagrams_[0].swap(datagrams_[ready_]);
    records_[0] = records_[ready_];
  }
  ready_ = 0;
}

}  // namespace toil::rtlog::internal
