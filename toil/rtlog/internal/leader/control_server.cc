// Listening for the control plane; see control_server.h.
#include "toil/rtlog/internal/leader/control_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "toil/rtlog/internal/leader/control_service.h"
#include "toil/rtlog/internal/leader/tail_pump.h"
#include "toil/rtlog/internal/wire/datagram_auth.h"

namespace toil::rtlog::internal {
namespace {

// Longer paths do not fit in a Unix socket address.
constexpr size_t kMaxSocketPath = 100;

// A new directory only this user can open, for the socket: under
// $XDG_RUNTIME_DIR when there is one, else /tmp.
absl::StatusOr<std::string> PrivateDirectory() {
  std::string base = "/tmp";
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR");
      runtime != nullptr && runtime[0] == '/' && std::strlen(runtime) < 60 &&
      access(runtime, W_OK) == 0) {
    base = runtime;
  }
  std::string pattern = absl::StrCat(base, "/toil-rtlog-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {  // mode 0700
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create a directory for the control socket under ", base, ": ",
        std::strerror(errno)));
  }
  return pattern;
}

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
                        std::unique_ptr<TailStream>* stream) {
                return service->OpenTail(context, request, stream);
              },
          .viewers = [service](int change) { service->CountViewers(change); },
          .missed = [service](uint64_t records) { service->CountMissed(records); },
      });
}

}  // namespace

struct ControlServer::Impl {
  // Destroyed in the reverse order: the server, then the pump (its queue
  // outlives the server), then the service.
  std::unique_ptr<ControlService> service;
  std::unique_ptr<TailPump> pump;
  std::unique_ptr<grpc::Server> server;
  std::string socket_path;  // "" for TCP
  std::string directory;
};

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(
    const std::string& address, ControlTarget target) {
  auto impl = std::make_unique<Impl>();
  std::string listen;
  std::string token;
  if (address.empty()) {
    absl::StatusOr<std::string> directory = PrivateDirectory();
    if (!directory.ok()) return directory.status();
    impl->directory = *directory;
    impl->socket_path = absl::StrCat(*directory, "/control.sock");
    if (impl->socket_path.size() > kMaxSocketPath) {
      rmdir(impl->directory.c_str());
      return absl::FailedPreconditionError(
          absl::StrCat("the control socket path is too long: ", impl->socket_path));
    }
    listen = absl::StrCat("unix:", impl->socket_path);
  } else {
    absl::StatusOr<std::string> secret = DatagramAuth::NewSecret();
    if (!secret.ok()) return secret.status();
    token = *std::move(secret);
    listen = address;
  }
  RecordRing& ring = *target.ring;
  impl->service = std::make_unique<ControlService>(std::move(target), token);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(impl->service.get());
  impl->pump = StartPump(builder, ring, impl->service.get());
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || port == 0) {
    if (!impl->directory.empty()) rmdir(impl->directory.c_str());
    return absl::UnavailableError(absl::StrCat(
        "cannot listen for the control plane on ", listen,
        address.empty() ? "" : " (a numeric HOST:PORT, with a port that is free)"));
  }
  impl->pump->Start();
  std::string connect_to = listen;
  if (impl->socket_path.empty()) {
    connect_to = absl::StrCat(address.substr(0, address.rfind(':')), ":", port);
  } else {
    chmod(impl->socket_path.c_str(), 0600);
  }
  auto server = std::unique_ptr<ControlServer>(new ControlServer(std::move(impl)));
  server->target_ = connect_to;
  server->token_ = token;
  return server;
}

ControlServer::ControlServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlServer::~ControlServer() {
  // Open Tail streams end (with what a closed ring still has for them); one
  // stuck writing to a stopped viewer is cancelled at the deadline.
  impl_->pump->EndStreams();
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  impl_->server->Wait();
  impl_->pump->Stop();
  if (!impl_->socket_path.empty()) unlink(impl_->socket_path.c_str());
  if (!impl_->directory.empty()) rmdir(impl_->directory.c_str());
}

}  // namespace toil::rtlog::internal
