// TLS 1.3 for the stream transport, keyed by the run's secret as an external
// pre-shared key: no certificates. Both sides derive the key from the secret
// (HMAC-SHA256(secret, "toil-rtlog stream psk")) and name it by the secret's
// key id (datagram_auth.h), so a leader takes connections only from its
// run's jobs, a job trusts acknowledgements only from its run's leader, and
// the records travel encrypted. The key is checked once per connection, in
// the handshake; records then cost only the cipher (AES-128-GCM).
//
//   auto context = StreamTlsContext::Create(secret, StreamTlsContext::kClient);
//   SSL* ssl = SSL_new((*context)->get());  SSL_set_fd(ssl, fd);  SSL_connect(ssl);
#ifndef TOIL_RTLOG_WIRE_STREAM_TLS_H_
#define TOIL_RTLOG_WIRE_STREAM_TLS_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace toil::rtlog::internal {

class StreamTlsContext {
 public:
  enum Side { kClient, kServer };

  // From the run's secret (64 hex digits, as DatagramAuth takes it).
  static absl::StatusOr<std::unique_ptr<StreamTlsContext>> Create(absl::string_view secret,
                                                                  Side side);
  ~StreamTlsContext();
  StreamTlsContext(const StreamTlsContext&) = delete;
  StreamTlsContext& operator=(const StreamTlsContext&) = delete;

  SSL_CTX* get() const { return context_; }
  // The key's name, the secret's key id.
  const std::string& identity() const { return identity_; }
  // The pre-shared key.
  const std::string& key() const { return key_; }

 private:
  StreamTlsContext(SSL_CTX* context, std::string identity, std::string key)
      : context_(context), identity_(std::move(identity)), key_(std::move(key)) {}

  SSL_CTX* context_;
  std::string identity_;
  std::string key_;
};

// OpenSSL's last error, in words ("" when none), and clears the queue.
std::string TlsError();

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_WIRE_STREAM_TLS_H_
