// TLS 1.3 with the run's secret as a pre-shared key; see stream_tls.h.
#include "toil/rtlog/wire/stream_tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "toil/rtlog/wire/datagram_auth.h"

namespace toil::rtlog::internal {
namespace {

// TLS_AES_128_GCM_SHA256: the suite the key is used with (its hash, SHA-256,
// must be the key's).
constexpr unsigned char kSuite[] = {0x13, 0x01};
constexpr char kSuiteName[] = "TLS_AES_128_GCM_SHA256";
constexpr char kLabel[] = "toil-rtlog stream psk";

const StreamTlsContext* ContextOf(SSL* ssl) {
  return static_cast<const StreamTlsContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

// A resumable-looking session that carries the pre-shared key.
SSL_SESSION* KeySession(SSL* ssl, const StreamTlsContext& context) {
  const SSL_CIPHER* cipher = SSL_CIPHER_find(ssl, kSuite);
  SSL_SESSION* session = cipher == nullptr ? nullptr : SSL_SESSION_new();
  if (session == nullptr) return nullptr;
  const auto* key = reinterpret_cast<const unsigned char*>(context.key().data());
  if (!SSL_SESSION_set1_master_key(session, key, context.key().size()) ||
      !SSL_SESSION_set_cipher(session, cipher) ||
      !SSL_SESSION_set_protocol_version(session, TLS1_3_VERSION)) {
    SSL_SESSION_free(session);
    return nullptr;
  }
  return session;
}

// The client offers the key, by its identity.
int UseKey(SSL* ssl, const EVP_MD* digest, const unsigned char** identity, size_t* length,
           SSL_SESSION** session) {
  const StreamTlsContext& context = *ContextOf(ssl);
  *session = KeySession(ssl, context);
  if (*session != nullptr && digest != nullptr &&
      digest != SSL_CIPHER_get_handshake_digest(SSL_SESSION_get0_cipher(*session))) {
    SSL_SESSION_free(*session);
    *session = nullptr;
  }
  *identity = reinterpret_cast<const unsigned char*>(context.identity().data());
  *length = context.identity().size();
  return 1;
}

// The server takes it when it names the run's key; otherwise the handshake
// fails (there is no certificate to fall back on).
int FindKey(SSL* ssl, const unsigned char* identity, size_t length, SSL_SESSION** session) {
  const StreamTlsContext& context = *ContextOf(ssl);
  *session = nullptr;
  if (absl::string_view(reinterpret_cast<const char*>(identity), length) == context.identity()) {
    *session = KeySession(ssl, context);
  }
  return 1;
}

}  // namespace

std::string TlsError() {
  std::string text;
  while (const unsigned long error = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(error, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text;
}

absl::StatusOr<std::unique_ptr<StreamTlsContext>> StreamTlsContext::Create(absl::string_view secret,
                                                                           Side side) {
  absl::StatusOr<std::unique_ptr<DatagramAuth>> auth = DatagramAuth::FromSecret(secret);
  if (!auth.ok()) return auth.status();
  const std::string bytes = absl::HexStringToBytes(secret);
  unsigned char key[EVP_MAX_MD_SIZE];
  unsigned int key_length = 0;
  if (HMAC(EVP_sha256(), bytes.data(), static_cast<int>(bytes.size()),
           reinterpret_cast<const unsigned char*>(kLabel), sizeof(kLabel) - 1, key,
           &key_length) == nullptr) {
    return absl::InternalError(absl::StrCat("cannot derive the stream key: ", TlsError()));
  }
  SSL_CTX* context = SSL_CTX_new(side == kServer ? TLS_server_method() : TLS_client_method());
  if (context == nullptr || !SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION) ||
      !SSL_CTX_set_ciphersuites(context, kSuiteName)) {
    const std::string error = TlsError();
    if (context != nullptr) SSL_CTX_free(context);
    return absl::InternalError(absl::StrCat("cannot set up TLS for the stream: ", error));
  }
  // Idle connections keep no buffers (a leader may hold thousands); writes
  // may be partial, and retried from a buffer that moved (a std::string that
  // grew); there is nothing to resume.
  SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // A peer that closes without saying so (a process killed) simply ends
  // the stream: the frames say where records end, not TLS.
  SSL_CTX_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(context, 0);
  auto made = std::unique_ptr<StreamTlsContext>(new StreamTlsContext(
      context, (*auth)->key_id(), std::string(reinterpret_cast<char*>(key), key_length)));
  SSL_CTX_set_app_data(context, made.get());
  if (side == kServer) {
    SSL_CTX_set_psk_find_session_callback(context, &FindKey);
  } else {
    SSL_CTX_set_psk_use_session_callback(context, &UseKey);
  }
  return made;
}

StreamTlsContext::~StreamTlsContext() { SSL_CTX_free(context_); }

}  // namespace toil::rtlog::internal
