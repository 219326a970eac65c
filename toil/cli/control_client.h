// Talking to a running leader's control plane from the command line: finding
// it (--control, or TOIL_RT_LOGGING_CONTROL), refusing a Unix socket that
// belongs to another user, connecting, sending the token, and turning a
// failed call into one clear line.
#ifndef TOIL_CLI_CONTROL_CLIENT_H_
#define TOIL_CLI_CONTROL_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/log_control.grpc.pb.h"

namespace toil::cli {

class ControlClient {
 public:
  // From --control and --token (or their environment variables). Fails,
  // saying what to do, when no leader is named or its socket is not there
  // or not this user's.
  static absl::StatusOr<ControlClient> Connect();

  rtlog::v1::LogControl::Stub& stub() { return *stub_; }
  // A context with the token and, when given, a deadline.
  std::unique_ptr<grpc::ClientContext> Context(absl::Duration deadline = absl::Seconds(10)) const;
  // One line for a failed call: what went wrong, and what to do.
  std::string Explain(const grpc::Status& status) const;
  const std::string& target() const { return target_; }

 private:
  ControlClient(std::string target, std::string token,
                std::unique_ptr<rtlog::v1::LogControl::Stub> stub);
  std::string target_;
  std::string token_;
  std::shared_ptr<rtlog::v1::LogControl::Stub> stub_;
};

// Runs a control command's body: connects, and prints the error (rc 1) or a
// usage error (rc 2) the way every subcommand does.
int ControlCommand(const char* command, const std::function<int(ControlClient&)>& body);

}  // namespace toil::cli

#endif  // TOIL_CLI_CONTROL_CLIENT_H_
