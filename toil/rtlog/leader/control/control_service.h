// The handlers of the LogControl service (proto/log_control.proto) over a
// ControlTarget: status, senders, level and stop, each checking the token
// when the server has one, run on gRPC's threads; and what a Tail call asks
// for (OpenTail), whose streams the TailPump runs on gRPC's asynchronous API.
// ControlServer owns the listening.
#ifndef TOIL_RTLOG_LEADER_CONTROL_CONTROL_SERVICE_H_
#define TOIL_RTLOG_LEADER_CONTROL_CONTROL_SERVICE_H_

#include <atomic>
#include <memory>
#include <string>

#include "proto/log_control.grpc.pb.h"
#include "toil/rtlog/leader/control/connection_gate.h"
#include "toil/rtlog/leader/control/control_server.h"
#include "toil/rtlog/leader/control/tail_stream.h"

namespace toil::rtlog::internal {

class ControlService final : public v1::LogControl::WithRawMethod_Tail<v1::LogControl::Service> {
 public:
  // `token`: what every call must carry ("" for none). `gate`: told of
  // each connection that made a call with the token (null: none).
  ControlService(ControlTarget target, std::string token, ConnectionGate* gate = nullptr);

  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                         v1::Status* response) override;
  grpc::Status ListSenders(grpc::ServerContext* context, const v1::ListSendersRequest* request,
                           v1::ListSendersResponse* response) override;
  grpc::Status SetLevel(grpc::ServerContext* context, const v1::SetLevelRequest* request,
                        v1::SetLevelResponse* response) override;
  grpc::Status Stop(grpc::ServerContext* context, const v1::StopRequest* request,
                    v1::StopResponse* response) override;

  // The stream a Tail call's `request` (a TailRequest) asks for, and the
  // form of its records; or why it gets none (a bad token, a request that
  // does not parse, a bad filter).
  grpc::Status OpenTail(const grpc::ServerContext& context, grpc::ByteBuffer& request,
                        std::unique_ptr<TailStream>* stream, v1::TailForm* form) const;
  // The TailPump's counts: viewers now, records they were told they missed.
  void CountViewers(int change) { viewers_.fetch_add(change); }
  void CountMissed(uint64_t records) { missed_.fetch_add(records); }

 private:
  grpc::Status Authorize(const grpc::ServerContext& context) const;

  const ControlTarget target_;
  const std::string token_;
  ConnectionGate* const gate_;
  std::atomic<int> viewers_{0};
  std::atomic<uint64_t> missed_{0};
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_CONTROL_CONTROL_SERVICE_H_
