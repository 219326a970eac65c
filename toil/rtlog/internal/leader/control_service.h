// The handlers of the LogControl service (proto/log_control.proto) over a
// ControlTarget: status, senders, tail, level and stop, each checking the
// token when the server has one. Run on gRPC's threads; ControlServer owns
// the listening.
#ifndef TOIL_RTLOG_INTERNAL_LEADER_CONTROL_SERVICE_H_
#define TOIL_RTLOG_INTERNAL_LEADER_CONTROL_SERVICE_H_

#include <atomic>
#include <string>

#include "proto/log_control.grpc.pb.h"
#include "toil/rtlog/internal/leader/control_server.h"

namespace toil::rtlog::internal {

class ControlService final : public v1::LogControl::Service {
 public:
  // `token`: what every call must carry ("" for none).
  ControlService(ControlTarget target, std::string token);

  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                         v1::Status* response) override;
  grpc::Status ListSenders(grpc::ServerContext* context,
                           const v1::ListSendersRequest* request,
                           v1::ListSendersResponse* response) override;
  grpc::Status Tail(grpc::ServerContext* context, const v1::TailRequest* request,
                    grpc::ServerWriter<v1::TailResponse>* writer) override;
  grpc::Status SetLevel(grpc::ServerContext* context, const v1::SetLevelRequest* request,
                        v1::SetLevelResponse* response) override;
  grpc::Status Stop(grpc::ServerContext* context, const v1::StopRequest* request,
                    v1::StopResponse* response) override;

  // Makes open Tail streams end (the server is stopping).
  void Close() { closing_.store(true); }

 private:
  grpc::Status Authorize(const grpc::ServerContext& context) const;

  const ControlTarget target_;
  const std::string token_;
  std::atomic<int> viewers_{0};
  std::atomic<uint64_t> missed_{0};
  std::atomic<bool> closing_{false};
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_INTERNAL_LEADER_CONTROL_SERVICE_H_
