// HMAC-SHA256 datagram signatures; see datagram_auth.h.
#include "toil/rtlog/wire/datagram_auth.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace toil::rtlog::internal {
namespace {

constexpr absl::string_view kTrailerStart = ",\"hmac\":\"";
constexpr size_t kKeyIdHex = 16;
constexpr size_t kMacHex = 64;
constexpr char kHexDigits[] = "0123456789abcdef";

void ToHex(const unsigned char* bytes, size_t size, char* out) {
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kHexDigits[bytes[i] >> 4];
    out[2 * i + 1] = kHexDigits[bytes[i] & 15];
  }
}

bool IsLowerHex(absl::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

// An HMAC context keyed once; each MAC re-initialises it with the same key,
// which reuses the keyed state instead of hashing the key again.
struct DatagramAuth::Mac {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
  ~Mac() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
};

absl::StatusOr<std::string> DatagramAuth::NewSecret() {
  unsigned char bytes[kSecretBytes];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return absl::UnavailableError("cannot make a secret: OpenSSL's random source failed");
  }
  std::string hex(2 * kSecretBytes, '0');
  ToHex(bytes, sizeof(bytes), hex.data());
  OPENSSL_cleanse(bytes, sizeof(bytes));
  return hex;
}

absl::StatusOr<std::unique_ptr<DatagramAuth>> DatagramAuth::FromSecret(absl::string_view hex) {
  std::string lower(hex);
  for (char& c : lower) c = (c >= 'A' && c <= 'F') ? c - 'A' + 'a' : c;
  if (lower.size() != 2 * kSecretBytes || !IsLowerHex(lower)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the secret must be ", 2 * kSecretBytes, " hex digits (", kSecretBytes,
                     " random bytes, as the leader makes it); this one has ", hex.size(),
                     " characters", IsLowerHex(lower) ? "" : " and not only hex digits"));
  }
  std::string key = absl::HexStringToBytes(lower);

  // The key id: SHA-256("toil-rtlog key id" + key), first 8 bytes.
  const std::string id_input = absl::StrCat("toil-rtlog key id", key);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest(id_input.data(), id_input.size(), digest, &digest_size, EVP_sha256(), nullptr) !=
      1) {
    return absl::InternalError("SHA-256 failed in OpenSSL");
  }
  std::string key_id(kKeyIdHex, '0');
  ToHex(digest, kKeyIdHex / 2, key_id.data());

  auto mac = std::make_unique<Mac>();
  mac->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac->mac != nullptr) mac->ctx = EVP_MAC_CTX_new(mac->mac);
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  if (mac->ctx == nullptr ||
      EVP_MAC_init(mac->ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1) {
    OPENSSL_cleanse(key.data(), key.size());
    return absl::InternalError("OpenSSL has no usable HMAC-SHA256");
  }
  OPENSSL_cleanse(key.data(), key.size());
  return std::unique_ptr<DatagramAuth>(new DatagramAuth(std::move(mac), std::move(key_id)));
}

DatagramAuth::DatagramAuth(std::unique_ptr<Mac> mac, std::string key_id)
    : mac_(std::move(mac)), key_id_(std::move(key_id)) {}

DatagramAuth::~DatagramAuth() = default;

void DatagramAuth::HexMac(absl::string_view data, char* out) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t size = 0;
  // Re-initialising with no key keeps the key given at creation.
  if (EVP_MAC_init(mac_->ctx, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(mac_->ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1 ||
      EVP_MAC_final(mac_->ctx, mac, &size, sizeof(mac)) != 1 || size != 32) {
    std::memset(out, 'x', kMacHex);  // never matches: not hex
    return;
  }
  ToHex(mac, 32, out);
}

void DatagramAuth::Sign(std::string* json) {
  if (json->empty() || json->back() != '}') return;  // not an object
  json->pop_back();
  const size_t signed_size = json->size();
  json->append(kTrailerStart.data(), kTrailerStart.size());
  json->append(key_id_);
  json->push_back('.');
  json->resize(json->size() + kMacHex);
  HexMac(absl::string_view(json->data(), signed_size), json->data() + json->size() - kMacHex);
  json->append("\"}");
}

DatagramAuth::Verdict DatagramAuth::Verify(absl::string_view datagram) {
  const size_t trailer = kTrailerStart.size() + kKeyIdHex + 1 + kMacHex + 2;
  if (datagram.size() < trailer + 1 ||
      datagram.substr(datagram.size() - trailer, kTrailerStart.size()) != kTrailerStart) {
    // A "hmac" key near the end that is not a well-formed signature is a
    // broken one, not a missing one.
    const absl::string_view tail =
        datagram.substr(datagram.size() > 2 * trailer ? datagram.size() - 2 * trailer : 0);
    return tail.find("\"hmac\"") == absl::string_view::npos ? Verdict::kUnsigned : Verdict::kForged;
  }
  const size_t signed_size = datagram.size() - trailer;
  const absl::string_view rest = datagram.substr(signed_size + kTrailerStart.size());
  const absl::string_view key_id = rest.substr(0, kKeyIdHex);
  const absl::string_view mac = rest.substr(kKeyIdHex + 1, kMacHex);
  if (rest[kKeyIdHex] != '.' || rest.substr(kKeyIdHex + 1 + kMacHex) != "\"}" ||
      !IsLowerHex(key_id) || !IsLowerHex(mac)) {
    return Verdict::kForged;
  }
  if (key_id != key_id_) return Verdict::kOtherRun;
  char expected[kMacHex];
  HexMac(datagram.substr(0, signed_size), expected);
  return CRYPTO_memcmp(expected, mac.data(), kMacHex) == 0 ? Verdict::kSigned : Verdict::kForged;
}

}  // namespace toil::rtlog::internal
