// Every viewer's Tail stream on one thread; see tail_pump.h.
#include "toil/rtlog/leader/control/tail_pump.h"

#include <pthread.h>

#include <cstdint>
#include <mutex>
#include <utility>

#include "grpc/support/time.h"
#include "toil/rtlog/leader/control/tail_message.h"

namespace toil::rtlog::internal {
namespace {

gpr_timespec Deadline(absl::Time time) {
  if (time == absl::InfiniteFuture()) return gpr_inf_future(GPR_CLOCK_REALTIME);
  const int64_t nanos = absl::ToUnixNanos(time);
  gpr_timespec deadline;
  deadline.tv_sec = nanos / 1000000000;
  deadline.tv_nsec = static_cast<int32_t>(nanos % 1000000000);
  deadline.clock_type = GPR_CLOCK_REALTIME;
  return deadline;
}

}  // namespace

// What a tag on the queue stands for.
struct TailPump::Event {
  enum Kind { kStarted, kWrote, kFinished, kDone, kWake };
  Call* call;
  Kind kind;
};

// One Tail call, from the request for it until gRPC is done with it.
struct TailPump::Call {
  grpc::ServerContext context;
  grpc::ByteBuffer request;
  grpc::ServerAsyncWriter<grpc::ByteBuffer> writer{&context};
  std::unique_ptr<TailStream> stream;
  v1::TailForm form = v1::JSON_LINES;
  grpc::ByteBuffer message;  // the one being written
  Event started{this, Event::kStarted};
  Event wrote{this, Event::kWrote};
  Event finished_event{this, Event::kFinished};
  Event done{this, Event::kDone};
  int pending = 0;      // events asked for and not yet come
  bool viewer = false;  // counted among the viewers
  bool writing = false;
  bool finishing = false;
  bool finished = false;  // gRPC is done with it, or it never began
  bool gone = false;      // the viewer went away (or the call was cancelled)
  bool ready = true;      // step it at the next look
  TailStream::Step wait;  // what it waits for, when it is not writing
};

// How the ring, and Stop(), wake the pump's thread: an alarm that fires at
// once. Shared with the ring's waker, which may outlive the pump.
struct TailPump::Waker {
  std::mutex mu;
  grpc::ServerCompletionQueue* cq = nullptr;  // null once stopping
  bool armed = false;                         // an alarm is set and has not come back
  bool end_streams = false;                   // EndStreams() was called
  bool stop = false;                          // Stop() was called
  std::unique_ptr<grpc::Alarm> alarm;
  Event event{nullptr, Event::kWake};

  // Sets the alarm unless one is set; `mu` held.
  void ArmLocked() {
    if (armed || cq == nullptr) return;
    armed = true;
    alarm = std::make_unique<grpc::Alarm>();
    alarm->Set(cq, gpr_now(GPR_CLOCK_MONOTONIC), &event);
  }
};

TailPump::TailPump(std::unique_ptr<grpc::ServerCompletionQueue> cq, RecordRing& ring, Hooks hooks)
    : cq_(std::move(cq)), ring_(ring), hooks_(std::move(hooks)), waker_(std::make_shared<Waker>()) {
  waker_->cq = cq_.get();
  ring_.SetWaker([waker = waker_] {
    std::lock_guard<std::mutex> lock(waker->mu);
    waker->ArmLocked();
  });
}

TailPump::~TailPump() { Stop(); }

void TailPump::Start() {
  thread_ = std::thread([this] { Run(); });
}

void TailPump::EndStreams() {
  std::lock_guard<std::mutex> lock(waker_->mu);
  waker_->end_streams = true;
  waker_->ArmLocked();
}

void TailPump::Stop() {
  if (stopped_) return;
  stopped_ = true;
  {
    std::lock_guard<std::mutex> lock(waker_->mu);
    waker_->stop = true;
    waker_->ArmLocked();  // Run shuts the queue down from its own thread
    waker_->cq = nullptr;
  }
  if (thread_.joinable()) {
    thread_.join();
  } else {
    cq_->Shutdown();
    void* tag;
    bool ok;
    while (cq_->Next(&tag, &ok)) {
    }
  }
  {
    std::lock_guard<std::mutex> lock(waker_->mu);
    waker_->alarm.reset();
  }
  // The queue is drained: gRPC holds none of these any more.
  for (Call* call : calls_) delete call;
  calls_.clear();
}

void TailPump::RequestCall() {
  auto* call = new Call;
  call->context.AsyncNotifyWhenDone(&call->done);
  call->pending = 1;  // started (done comes only for a call that began)
  calls_.insert(call);
  hooks_.request(&call->context, &call->request, &call->writer, &call->started);
}

void TailPump::Run() {
  pthread_setname_np(pthread_self(), "rtlog-tail");
  RequestCall();
  for (absl::Time now = absl::Now();; now = absl::Now()) {
    absl::Time deadline = draining_ ? absl::InfiniteFuture() : StepDue(now);
    void* tag = nullptr;
    bool ok = false;
    grpc::CompletionQueue::NextStatus status = cq_->AsyncNext(&tag, &ok, Deadline(deadline));
    while (status == grpc::CompletionQueue::GOT_EVENT) {
      const Event& event = *static_cast<Event*>(tag);
      if (event.kind == Event::kWake) {
        std::lock_guard<std::mutex> lock(waker_->mu);
        waker_->armed = false;
        ending_ = ending_ || waker_->end_streams;
        if (waker_->stop && !draining_) {
          draining_ = true;
          cq_->Shutdown();
        }
      } else if (!draining_) {  // draining: Stop() deletes what is left
        Handle(event, ok);
      }
      // Whatever else is ready, before stepping the streams.
      status = cq_->AsyncNext(&tag, &ok, gpr_time_0(GPR_CLOCK_REALTIME));
    }
    if (status == grpc::CompletionQueue::SHUTDOWN) return;
  }
}

void TailPump::Handle(const Event& event, bool ok) {
  Call* call = event.call;
  --call->pending;
  switch (event.kind) {
    case Event::kStarted:
      if (!ok) {  // the server is shutting down: no viewer came
        call->finished = true;
        break;
      }
      ++call->pending;  // done
      RequestCall();
      Begin(call);
      break;
    case Event::kWrote:
      call->writing = false;
      call->gone = call->gone || !ok;
      break;
    case Event::kFinished:
      call->finished = true;
      if (call->viewer) hooks_.viewers(-1);
      call->viewer = false;
      break;
    case Event::kDone:
      call->gone = true;
      break;
    case Event::kWake:
      break;
  }
  call->ready = true;
  Release(call);
}

void TailPump::Begin(Call* call) {
  std::unique_ptr<TailStream> stream;
  const grpc::Status status = hooks_.open(call->context, call->request, &stream, &call->form);
  if (!status.ok()) {
    Finish(call, status);
    return;
  }
  call->stream = std::move(stream);
  call->viewer = true;
  hooks_.viewers(1);
}

void TailPump::Finish(Call* call, const grpc::Status& status) {
  call->finishing = true;
  ++call->pending;
  call->writer.Finish(status, &call->finished_event);
}

void TailPump::Release(Call* call) {
  if (call->pending > 0 || !call->finished) return;
  calls_.erase(call);
  delete call;
}

void TailPump::Step(Call* call, absl::Time now) {
  call->ready = false;
  if (call->finishing || call->writing || call->stream == nullptr) return;
  if (call->gone) {
    Finish(call, grpc::Status::CANCELLED);
    return;
  }
  const TailStream::Step step = call->stream->Next(now);
  // Ending: what a closed ring still has goes out; nothing is waited for.
  if (ending_ && step.kind == TailStream::Step::kWait) {
    Finish(call, grpc::Status::OK);
    return;
  }
  switch (step.kind) {
    case TailStream::Step::kWrite: {
      const RecordRing::Batch& batch = call->stream->batch();
      if (batch.missed > 0) hooks_.missed(batch.missed);
      call->message = TailMessage(batch, call->form);
      call->stream->Written(now);
      call->writing = true;
      ++call->pending;
      call->writer.Write(call->message, &call->wrote);
      break;
    }
    case TailStream::Step::kEnd:
      Finish(call, grpc::Status::OK);
      break;
    case TailStream::Step::kWait:
      call->wait = step;
      break;
  }
}

absl::Time TailPump::StepDue(absl::Time now) {
  const uint64_t kept = ring_.Next();
  absl::Time until = absl::InfiniteFuture();
  uint64_t wanted = UINT64_MAX;
  for (Call* call : calls_) {
    const bool idle = !call->writing && !call->finishing && call->stream != nullptr;
    if (call->ready || ending_ || (idle && (now >= call->wait.until || kept > call->wait.record))) {
      Step(call, now);
    }
    if (call->writing || call->finishing || call->stream == nullptr) continue;
    until = std::min(until, call->wait.until);
    wanted = std::min(wanted, call->wait.record);
  }
  // The ring wakes the thread when the record is kept; one kept already
  // means a look at once.
  if (wanted != UINT64_MAX && ring_.WakeWhenKept(wanted)) return now;
  return until;
}

}  // namespace toil::rtlog::internal
