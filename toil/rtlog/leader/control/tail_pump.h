// TailPump: every viewer's Tail stream, on gRPC's asynchronous API and one
// thread of its own. The thread steps each viewer's TailStream, writes its
// messages as the ring's own text (TailMessage: no copy per viewer), and
// sleeps until a message is due, a write completes, a viewer comes or goes,
// or the ring keeps a record a stream waits for (the ring wakes it with a
// gRPC alarm).
//
// One thread for all viewers, and no thread hand-off per message: on a busy
// leader each message costs one wake-up of this thread, shared by the
// viewers whose messages are due together (measured by control_bench).
//
//   TailPump pump(cq, ring, {.request = ..., .open = ...});
//   server = builder.BuildAndStart(); pump.Start();
//   ...
//   pump.EndStreams();            // viewers get the end of their stream
//   server->Shutdown(deadline);   // cancels streams still writing
//   pump.Stop();                  // drains the queue, joins the thread
#ifndef TOIL_RTLOG_LEADER_CONTROL_TAIL_PUMP_H_
#define TOIL_RTLOG_LEADER_CONTROL_TAIL_PUMP_H_

#include <functional>
#include <memory>
#include <set>
#include <thread>

#include "absl/time/time.h"
#include "grpcpp/alarm.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/async_stream.h"
#include "grpcpp/support/byte_buffer.h"
#include "proto/log_control.pb.h"
#include "toil/rtlog/leader/control/record_ring.h"
#include "toil/rtlog/leader/control/tail_stream.h"

namespace toil::rtlog::internal {

class TailPump {
 public:
  struct Hooks {
    // Asks gRPC for the next Tail call (the service's RequestTail on the
    // pump's queue).
    std::function<void(grpc::ServerContext*, grpc::ByteBuffer*,
                       grpc::ServerAsyncWriter<grpc::ByteBuffer>*, void* tag)>
        request;
    // The stream a call asks for, and the form of its records; or why it
    // gets none.
    std::function<grpc::Status(const grpc::ServerContext&, grpc::ByteBuffer& request,
                               std::unique_ptr<TailStream>* stream, v1::TailForm* form)>
        open;
    // A viewer came (+1) or went (-1); a viewer was told it missed records.
    std::function<void(int)> viewers;
    std::function<void(uint64_t)> missed;
  };

  TailPump(std::unique_ptr<grpc::ServerCompletionQueue> cq, RecordRing& ring, Hooks hooks);
  ~TailPump();  // Stop()
  TailPump(const TailPump&) = delete;
  TailPump& operator=(const TailPump&) = delete;

  // Starts taking calls (once the server is started).
  void Start();
  // Ends every stream as complete, and every stream that comes after.
  void EndStreams();
  // Once the server is shut down: drains the queue and joins the thread.
  // The queue itself lives until the pump does (after the server).
  void Stop();

 private:
  struct Call;
  struct Event;
  struct Waker;

  void Run();
  void RequestCall();
  void Handle(const Event& event, bool ok);
  void Begin(Call* call);
  void Step(Call* call, absl::Time now);
  void Finish(Call* call, const grpc::Status& status);
  void Release(Call* call);
  // Steps the calls whose time has come; returns when to look again.
  absl::Time StepDue(absl::Time now);
  // Called by the ring (any thread): wakes Run.
  void Wake();

  std::unique_ptr<grpc::ServerCompletionQueue> cq_;
  RecordRing& ring_;
  const Hooks hooks_;
  std::shared_ptr<Waker> waker_;
  std::set<Call*> calls_;  // Run's thread only
  bool ending_ = false;    // Run's thread only (after EndStreams wakes it)
  bool draining_ = false;  // Run's thread only (after Stop wakes it)
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_CONTROL_TAIL_PUMP_H_
