// Authenticating datagrams with a per-run secret: HMAC-SHA256 (OpenSSL's
// libcrypto) over the record's JSON.
//
// The leader makes a random 32-byte secret for the run and hands it to the
// jobs as 64 hex digits in TOIL_RT_LOGGING_SECRET. A signed datagram is the
// record's JSON object with one last key added:
//
//   {...the record's fields...,"hmac":"<key id>.<mac>"}
//
// where <mac> is HMAC-SHA256(secret, every byte before `,"hmac":"`) in 64
// lowercase hex digits, and <key id> is the first 8 bytes of
// SHA-256("toil-rtlog key id" + secret) in 16 hex digits: it tells a datagram
// signed for another run (another secret) from a forged or tampered one
// without revealing the secret. The datagram stays one JSON object, so a
// Python leader reads it as usual (with one more attribute, "hmac").
//
// Not thread-safe: each thread that signs or verifies needs its own object
// (the job's sender thread, the leader's processing thread).
#ifndef TOIL_RTLOG_WIRE_DATAGRAM_AUTH_H_
#define TOIL_RTLOG_WIRE_DATAGRAM_AUTH_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace toil::rtlog::internal {

class DatagramAuth {
 public:
  static constexpr size_t kSecretBytes = 32;
  // What Sign() adds: `,"hmac":"` + 16 + `.` + 64 + `"}` minus the `}` it
  // replaces.
  static constexpr size_t kTrailerBytes = 9 + 16 + 1 + 64 + 1;

  // A new secret from the operating system's random source, as 64 hex digits.
  static absl::StatusOr<std::string> NewSecret();
  // From a secret as NewSecret gives it; an error says what is wrong with it.
  static absl::StatusOr<std::unique_ptr<DatagramAuth>> FromSecret(absl::string_view hex);

  ~DatagramAuth();
  DatagramAuth(const DatagramAuth&) = delete;
  DatagramAuth& operator=(const DatagramAuth&) = delete;

  // `*json` is one JSON object: adds the "hmac" key as its last.
  void Sign(std::string* json);

  enum class Verdict {
    kSigned,    // signed with this run's secret, and intact
    kUnsigned,  // no "hmac" key at the end
    kOtherRun,  // signed with another secret (another run's key id)
    kForged,    // this run's key id, but the MAC does not match, or a
                // malformed signature
  };
  Verdict Verify(absl::string_view datagram);

  // 16 hex digits naming the secret.
  const std::string& key_id() const { return key_id_; }

 private:
  struct Mac;
  DatagramAuth(std::unique_ptr<Mac> mac, std::string key_id);
  // HMAC of `data` as 64 hex digits into `out`.
  void HexMac(absl::string_view data, char* out);

  std::unique_ptr<Mac> mac_;
  std::string key_id_;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_WIRE_DATAGRAM_AUTH_H_
