// Connecting to a leader's control plane; see control_client.h.
#include "toil/cli/control_client.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "toil/cli/output_flags.h"
#include "toil/rtlog/base/environment.h"

namespace toil::cli {
namespace {

std::string FlagOrEnv(const std::string& flag, const char* variable) {
  if (!flag.empty()) return flag;
  const char* value = std::getenv(variable);
  return value == nullptr ? "" : value;
}

std::string UserName(uid_t uid) {
  const passwd* user = getpwuid(uid);
  return user != nullptr ? absl::StrCat(user->pw_name, " (uid ", uid, ")")
                         : absl::StrCat("uid ", uid);
}

// A Unix socket must be there, be a socket, and be this user's (root may
// talk to anyone's: the leader serves root too): another user's socket
// could be anyone's leader, or a trap.
absl::Status CheckSocket(absl::string_view path) {
  struct stat info;
  if (stat(std::string(path).c_str(), &info) != 0) {
    if (errno == EACCES) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot open the control socket ", path,
                       ": it is in another user's private directory; only that user (or root) can "
                       "watch this leader"));
    }
    return absl::NotFoundError(absl::StrCat("no leader at ", path, ": ", std::strerror(errno),
                                            " (it has stopped, or the address is wrong)"));
  }
  if (!S_ISSOCK(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a socket"));
  }
  if (info.st_uid != geteuid() && geteuid() != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the control socket ", path, " belongs to ", UserName(info.st_uid),
        ", not to you: only that user (or root) can watch this leader; refusing to talk "
        "to it"));
  }
  return absl::OkStatus();
}

// "HOST:PORT" or "[V6]:PORT", the port 1-65535.
bool IsHostPort(absl::string_view text) {
  const size_t colon = text.rfind(':');
  int port = 0;
  return colon != absl::string_view::npos && colon > 0 &&
         absl::SimpleAtoi(text.substr(colon + 1), &port) && port >= 1 && port <= 65535 &&
         text.substr(colon + 1).find_first_not_of("0123456789") == absl::string_view::npos;
}

}  // namespace

absl::StatusOr<ControlClient> ControlClient::Connect() {
  const std::string target = FlagOrEnv(absl::GetFlag(FLAGS_control), rtlog::kControlVariable);
  if (target.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("which leader? pass --control=ADDRESS or set ", rtlog::kControlVariable,
                     " (a leader prints it when it starts: `toil-rtlog serve` among its "
                     "export lines, `toil-rtlog run` on stderr)"));
  }
  absl::string_view path = target;
  if (absl::ConsumePrefix(&path, "unix:")) {
    if (absl::Status ok = CheckSocket(path); !ok.ok()) return ok;
  } else if (!IsHostPort(target)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", target,
                     "\" is not a leader's control address: it is unix:/PATH or HOST:PORT, "
                     "as the leader printed it (",
                     rtlog::kControlVariable, "=...)"));
  }
  // The leader sends a viewer messages of up to about 1 MiB, each in one
  // write when the connection's flow-control window lets it: gRPC's
  // bandwidth-delay probing grows the window to what the viewer drains,
  // where a fixed one (gRPC's default 64 KiB for a new stream) would have
  // the leader wait for the viewer's word halfway through each message (a
  // wake-up of the leader's per message; control_bench measured). A viewer
  // that stops reading holds at most what its connection buffers in the
  // kernel (the leader's send buffer, 4 MiB asked); the rest stays in the
  // leader's ring (which may overwrite it, and then says so).
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 1);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments);
  return ControlClient(target, FlagOrEnv(absl::GetFlag(FLAGS_token), rtlog::kControlTokenVariable),
                       rtlog::v1::LogControl::NewStub(channel));
}

ControlClient::ControlClient(std::string target, std::string token,
                             std::unique_ptr<rtlog::v1::LogControl::Stub> stub)
    : target_(std::move(target)), token_(std::move(token)), stub_(std::move(stub)) {}

std::unique_ptr<grpc::ClientContext> ControlClient::Context(absl::Duration deadline) const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token_.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
  if (deadline != absl::InfiniteDuration()) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  }
  return context;
}

std::string ControlClient::Explain(const grpc::Status& status) const {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return absl::StrCat("cannot reach the leader at ", target_,
                          " (it may have stopped): ", status.error_message());
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::StrCat("the leader at ", target_, " did not answer in time");
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::StrCat(status.error_message(), ": pass --token or set ",
                          rtlog::kControlTokenVariable);
    default:
      return status.error_message();
  }
}

int ControlCommand(const char* command, const std::function<int(ControlClient&)>& body) {
  absl::StatusOr<ControlClient> client = ControlClient::Connect();
  if (!client.ok()) {
    std::fprintf(stderr, "toil-rtlog %s: error: %s\n", command,
                 std::string(client.status().message()).c_str());
    return client.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return body(*client);
}

}  // namespace toil::cli
