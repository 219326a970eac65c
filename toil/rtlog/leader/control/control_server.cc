// Listening for the control plane; see control_server.h.
#include "toil/rtlog/leader/control/control_server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "toil/rtlog/leader/control/connection_gate.h"
#include "toil/rtlog/leader/control/control_listener.h"
#include "toil/rtlog/leader/control/control_service.h"
#include "toil/rtlog/leader/control/tail_pump.h"
#include "toil/rtlog/wire/datagram_auth.h"

namespace toil::rtlog::internal {
namespace {

// The pump for Tail streams, on a queue of the server's.
std::unique_ptr<TailPump> StartPump(grpc::ServerBuilder& builder, RecordRing& ring,
                                    ControlService* service) {
  std::unique_ptr<grpc::ServerCompletionQueue> cq = builder.AddCompletionQueue();
  grpc::ServerCompletionQueue* queue = cq.get();
  return std::make_unique<TailPump>(
      std::move(cq), ring,
      TailPump::Hooks{
          .request =
              [service, queue](grpc::ServerContext* context, grpc::ByteBuffer* request,
                               grpc::ServerAsyncWriter<grpc::ByteBuffer>* writer, void* tag) {
                service->RequestTail(context, request, writer, queue, queue, tag);
              },
          .open =
              [service](const grpc::ServerContext& context, grpc::ByteBuffer& request,
                        std::unique_ptr<TailStream>* stream, v1::TailForm* form) {
                return service->OpenTail(context, request, stream, form);
              },
          .viewers = [service](int change) { service->CountViewers(change); },
          .missed = [service](uint64_t records) { service->CountMissed(records); },
      });
}

}  // namespace

struct ControlServer::Impl {
  // Destroyed in the reverse order: the listener (no new connections), the
  // server, then the pump (its queue outlives the server), then the service,
  // then the gate (which both the listener and the service tell).
  std::unique_ptr<ConnectionGate> gate;
  std::unique_ptr<ControlService> service;
  std::unique_ptr<TailPump> pump;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<ControlListener> listener;
};

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(const std::string& address,
                                                                    ControlTarget target) {
  auto impl = std::make_unique<Impl>();
  std::string token;
  if (!address.empty()) {
    absl::StatusOr<std::string> secret = DatagramAuth::NewSecret();
    if (!secret.ok()) return secret.status();
    token = *std::move(secret);
  }
  absl::StatusOr<std::unique_ptr<ControlListener>> listener = ControlListener::Listen(address);
  if (!listener.ok()) return listener.status();
  RecordRing& ring = *target.ring;
  impl->gate = std::make_unique<ConnectionGate>(ConnectionGateOptions{});
  impl->service = std::make_unique<ControlService>(std::move(target), token, impl->gate.get());
  // No listening port of gRPC's own: the listener hands it each connection.
  grpc::ServerBuilder builder;
  builder.RegisterService(impl->service.get());
  impl->pump = StartPump(builder, ring, impl->service.get());
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr) {
    return absl::UnavailableError("cannot start the control plane's gRPC server");
  }
  impl->pump->Start();
  impl->listener = *std::move(listener);
  impl->listener->Start(impl->server.get(), impl->gate.get());
  auto server = std::unique_ptr<ControlServer>(new ControlServer(std::move(impl)));
  server->target_ = server->impl_->listener->target();
  server->token_ = token;
  return server;
}

ControlServer::ControlServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlServer::~ControlServer() {
  impl_->listener.reset();
  // Open Tail streams end (with what a closed ring still has for them); one
  // stuck writing to a stopped viewer is cancelled at the deadline.
  impl_->pump->EndStreams();
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  impl_->server->Wait();
  impl_->pump->Stop();
}

}  // namespace toil::rtlog::internal
