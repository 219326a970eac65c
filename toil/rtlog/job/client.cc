// The job-side client: configuration, the log call, flushing, the local
// delivery in a leader process, and the sender thread's loop over the
// queue. See client.h.
#include "toil/rtlog/job/client.h"

#include <pthread.h>
#include <signal.h>

#include <array>
#include <cstdlib>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "toil/rtlog/base/fd_write.h"
#include "toil/rtlog/base/plural.h"
#include "toil/rtlog/common/line_format.h"
#include "toil/rtlog/common/process_info.h"
#include "toil/rtlog/job/futex.h"
#include "toil/rtlog/job/process_hooks.h"
#include "toil/rtlog/job/record_copies.h"
#include "toil/rtlog/job/stream_client.h"

namespace toil::rtlog::internal {

std::atomic<int> g_threshold{0};

// Set while this thread is inside the local delivery, so that a sink that
// itself logs does not deadlock; its records take the ordinary path.
thread_local bool Client::in_delivery_ = false;

namespace {

// How long a signal that ends the process may wait for the queue to drain.
constexpr absl::Duration kSignalFlushTimeout = absl::Seconds(2);
// At exit, the queue drains for as long as the sender makes progress: on a
// loaded machine it may get little CPU. It is given up on after this long
// without progress, or this long in all.
constexpr absl::Duration kExitStall = absl::Seconds(5);
constexpr absl::Duration kExitFlushLimit = absl::Seconds(30);
// While records keep coming the sender polls every send interval (log calls
// need not wake it; SetSendInterval); after kLinger without records it
// sleeps until one does.
constexpr absl::Duration kLinger = absl::Milliseconds(200);

}  // namespace

// --- fork(): the child gets an empty queue and starts its own sender ---

// Before fork: let the sender finish what is queued (briefly), so that it is
// idle, holding no lock of its own or of the allocator's, when the process
// is copied; a child must not inherit a lock that no thread of its own holds.
void ForkPrepare() {
  Client& client = Client::Instance();
  if (client.sender_started_.load()) client.Flush(absl::Milliseconds(200));
  // The sender thread takes no other lock while it holds this one.
  StreamClient::OpenSslCalls().lock();
  client.queue_.mutex().lock();
  StderrMutex().lock();
}
void ForkParent() {
  StderrMutex().unlock();
  Client::Instance().queue_.mutex().unlock();
  StreamClient::OpenSslCalls().unlock();
}
void ForkChild() {
  Client& client = Client::Instance();
  ProcessInfoAfterFork();
  // The parent's queued records are the parent's to send; threads do not
  // survive fork.
  client.queue_.ResetAfterFork();
  client.sender_started_.store(false);
  client.finish_stream_.store(false);
  client.stream_finished_.store(false);
  client.sender_.AfterFork();
  StderrMutex().unlock();
  client.queue_.mutex().unlock();
  StreamClient::OpenSslCalls().unlock();
}

bool ShouldLogSlow(Level level) {
  Client& client = Client::Instance();
  if (g_threshold.load(std::memory_order_acquire) == 0) {
    std::lock_guard<std::mutex> lock(client.mu_);
    if (!client.configured_) client.ConfigureLocked();
  }
  return LevelNumber(level) >= g_threshold.load(std::memory_order_relaxed);
}

Client& Client::Instance() {
  static Client* const client = [] {
    Client* created = new Client();
    pthread_atfork(&ForkPrepare, &ForkParent, &ForkChild);
    return created;
  }();
  return *client;
}

const std::string* Client::Intern(absl::string_view text) {
  static std::mutex* const mu = new std::mutex();
  static std::set<std::string, std::less<>>* const strings =
      new std::set<std::string, std::less<>>();
  std::lock_guard<std::mutex> lock(*mu);
  return &*strings->emplace(text).first;
}

void Client::ConfigureLocked() {
  configured_ = true;
  config_ = ReadClientConfig([](const char* name) { return std::getenv(name); });
  for (const std::string& warning : config_.warnings) WarnOnStderr(warning);
  context_ = {config_.job_name, absl::ToUnixNanos(absl::Now()), logged_process_,
              logged_process_name_};
  if (!overflow_chosen_.load()) {
    overflow_wait_ns_.store(absl::ToInt64Nanoseconds(config_.overflow_wait));
  }
  sender_.Configure(config_, context_);
  ApplyThresholdLocked();
}

void Client::ApplyThresholdLocked() {
  int threshold = LevelNumber(config_.threshold);
  if (has_delivery_.load()) threshold = LevelNumber(delivery_level_);
  g_threshold.store(threshold, std::memory_order_release);
}

// --- The leader process's own records ---

void Client::SetLocalDelivery(Delivery deliver, Level level) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!configured_) ConfigureLocked();
  {
    std::lock_guard<std::mutex> delivery_lock(delivery_mu_);
    delivery_ = std::move(deliver);
    delivery_level_ = level;
  }
  has_delivery_.store(true);
  ApplyThresholdLocked();
}

void Client::SetLocalDeliveryLevel(Level level) {
  std::lock_guard<std::mutex> lock(mu_);
  {
    std::lock_guard<std::mutex> delivery_lock(delivery_mu_);
    delivery_level_ = level;
  }
  ApplyThresholdLocked();
}

void Client::ClearLocalDelivery() {
  std::lock_guard<std::mutex> lock(mu_);
  has_delivery_.store(false);
  {
    std::lock_guard<std::mutex> delivery_lock(delivery_mu_);
    delivery_ = nullptr;
  }
  ApplyThresholdLocked();
}

bool Client::DeliverInLeader(Level level, const SourceLocation& where, absl::string_view text,
                             int64_t time_ns, absl::string_view logger_name) {
  std::lock_guard<std::mutex> lock(delivery_mu_);
  if (!delivery_ || level < delivery_level_) return false;
  struct InDelivery {
    InDelivery() { in_delivery_ = true; }
    ~InDelivery() { in_delivery_ = false; }
  } in_delivery;
  const ThreadIdentity& thread = CurrentThread();
  QueuedRecord queued;
  queued.level = level;
  queued.line = where.line;
  queued.file = where.file;
  queued.function = where.function;
  queued.time_ns = time_ns;
  queued.thread_id = thread.id;
  queued.thread_name = Intern(thread.name);
  queued.logger_name = logger_name == "toil-rt" ? nullptr : Intern(logger_name);
  // A local, not a thread_local cache: a thread that ends would leak it.
  LogRecord record;
  BuildRecord(queued, text, context_, &record);
  delivery_(record);
  return true;
}

// --- The caller's side ---

bool Client::Log(Level level, const SourceLocation& where, absl::string_view text, int64_t time_ns,
                 absl::string_view logger_name) {
  try {
    if (has_delivery_.load(std::memory_order_acquire) && !in_delivery_ &&
        DeliverInLeader(level, where, text, time_ns, logger_name)) {
      return true;
    }
    StartSenderOnce();
    // The thread's identity, interned once per thread.
    thread_local const std::string* thread_name = nullptr;
    thread_local uint64_t thread_id = 0;
    const ThreadIdentity& thread = CurrentThread();
    if (thread_name == nullptr || thread_id != thread.id) {
      thread_name = Intern(thread.name);
      thread_id = thread.id;
    }
    QueuedRecord queued;
    queued.level = level;
    queued.line = where.line;
    queued.file = where.file;
    queued.function = where.function;
    queued.time_ns = time_ns;
    queued.thread_id = thread_id;
    queued.thread_name = thread_name;
    // The thread's last logger name, interned once while it stays the same.
    thread_local const std::string* logger = nullptr;
    if (logger_name == "toil-rt") {
      queued.logger_name = nullptr;
    } else {
      if (logger == nullptr || *logger != logger_name) logger = Intern(logger_name);
      queued.logger_name = logger;
    }
    const uint64_t number = queue_.Push(
        queued, text, absl::Nanoseconds(overflow_wait_ns_.load(std::memory_order_relaxed)));
    if (number == 0) {
      WriteDropped(queued, text);
      return false;
    }
    if (level >= Level::kCritical || exiting_.load(std::memory_order_relaxed)) {
      WaitUntilSent(number);
    }
    return true;
  } catch (...) {
    // Out of memory or similar: the record is lost, but the job goes on.
    queue_.CountDropped();
    return false;
  }
}

void Client::CountDropped(uint64_t n) { queue_.CountDropped(n); }

void Client::WaitUntilSent(uint64_t number) {
  constexpr absl::Duration kMostWait = absl::Seconds(5);
  const absl::Time give_up = absl::Now() + kMostWait;
  queue_.Wake();
  queue_.WaitUntil([&] { return queue_.processed() >= number || !sender_started_.load(); },
                   kMostWait);
  if (!sender_.streaming()) return;
  // Over a stream, sent means acknowledged: the record is numbered by now.
  const uint64_t seq = sender_.numbered();
  queue_.WaitUntil(
      [&] {
        return sender_.acknowledged() >= seq || !sender_.streaming() || !sender_started_.load();
      },
      std::max(absl::ZeroDuration(), give_up - absl::Now()));
}

void Client::WriteDropped(const QueuedRecord& queued, absl::string_view text) {
  if (RecordCopiesDiscarded()) return;
  // A local, not a thread_local cache: a thread that ends would leak it, and
  // this path already pays a write to stderr.
  std::string line;
  AppendRecordCopy(queued, text, context_, RecordCopyOptions(), &line);
  WriteRecordCopies(line);
}

void Client::SetOverflowWait(absl::Duration most) {
  overflow_chosen_.store(true);
  overflow_wait_ns_.store(most == absl::InfiniteDuration() ? INT64_MAX
                                                           : absl::ToInt64Nanoseconds(most));
}

void Client::SetSendInterval(absl::Duration interval) {
  send_interval_ns_.store(std::clamp<int64_t>(absl::ToInt64Nanoseconds(interval), 1000, 1000000000),
                          std::memory_order_relaxed);
}

void Client::SetLoggedProcess(int pid, std::string name) {
  std::lock_guard<std::mutex> lock(mu_);
  logged_process_ = pid;
  logged_process_name_ = std::move(name);
}

bool Client::Flush(absl::Duration timeout) {
  const uint64_t target = queue_.enqueued();
  const auto done = [&] {
    return queue_.processed() >= target &&
           queue_.dropped() == drops_reported_.load(std::memory_order_acquire);
  };
  if (done()) return true;
  if (!sender_started_.load()) return false;
  queue_.Wake();
  return queue_.WaitUntil(
             [&] {
               if (done()) return true;
               // A count of drops still to go out: the sender wakes for it.
               if (queue_.processed() >= target) queue_.Wake();
               return !sender_started_.load();
             },
             timeout) &&
         done();
}

void Client::FlushFromSignal() {
  // Only atomics and raw system calls here: the signal may have interrupted
  // anything, malloc included. The sender thread does the work.
  Client& client = Instance();
  const uint64_t target = client.queue_.enqueued();
  if (client.queue_.processed() >= target) return;
  client.queue_.Wake();
  // Then, with a stream, for the leader to acknowledge them (the sender
  // goes on working the stream meanwhile), in the same time.
  client.queue_.WaitUntil(
      [&] {
        return (client.queue_.processed() >= target && client.sender_.unacknowledged() == 0) ||
               !client.sender_started_.load();
      },
      kSignalFlushTimeout);
}

void Client::FlushBeforeExit() {
  const int64_t give_up = MonotonicNanos() + absl::ToInt64Nanoseconds(kExitFlushLimit);
  // Progress: records taken from the queue, and within a long batch, records
  // numbered and acknowledged (a sender waiting for the leader's
  // acknowledgements in the middle of a batch takes none meanwhile).
  const auto progress = [this] {
    return std::array<uint64_t, 3>{queue_.processed(), sender_.numbered(), sender_.acknowledged()};
  };
  std::array<uint64_t, 3> seen = progress();
  while (!Flush(kExitStall)) {
    const std::array<uint64_t, 3> now = progress();
    // Opening the stream is progress too (it is bounded on its own).
    const bool stalled = now == seen && !sender_.starting();
    if (stalled || MonotonicNanos() > give_up) break;
    seen = now;
  }
}

uint64_t Client::Unsent() const {
  const uint64_t enqueued = queue_.enqueued();
  const uint64_t processed = queue_.processed();
  return enqueued > processed ? enqueued - processed : 0;
}

void Client::FinishStream() {
  if (!sender_started_.load() || !sender_.streaming()) return;
  finish_stream_.store(true);
  queue_.Wake();
  // The sender bounds its own wait (kExitStall without progress, at most
  // kExitFlushLimit); this only guards against a sender that died.
  queue_.WaitUntil([&] { return stream_finished_.load() || !sender_started_.load(); },
                   kExitFlushLimit + absl::Seconds(5));
}

void Client::OnExit() {
  Client& client = Instance();
  client.exiting_.store(true);
  client.FlushBeforeExit();
  client.FinishStream();
  // Counted after the stream's end: a sender that was only slow goes on
  // taking records from the queue until then.
  if (const uint64_t unsent = client.Unsent(); unsent > 0) {
    // Neither the leader nor this stderr got them: say so, at least here.
    WarnOnStderr(absl::StrCat(
        CountedWas(unsent, "record", "records"),
        " still queued when the process exited, and neither sent nor written here: the log "
        "sender made no progress for ",
        absl::FormatDuration(kExitStall), ", or was still sending after ",
        absl::FormatDuration(kExitFlushLimit)));
  }
  const RecordSender::Counts counts = client.sender_.counts();
  if (counts.send_failed > 0) {
    WarnOnStderr(absl::StrCat(counts.send_failed, " of ", counts.send_failed + counts.sent,
                              " records could not be sent to the leader at ", client.leader()));
  }
  if (counts.unacknowledged > 0) {
    const std::string& why = client.sender_.stream_error();
    WarnOnStderr(
        absl::StrCat(counts.unacknowledged, " of ", counts.sent, " records sent to the leader at ",
                     client.leader(), " were never acknowledged, so it may not have them",
                     why.empty() ? "" : absl::StrCat(" (", why, ")"), "; they are in this stderr"));
  }
  if (const uint64_t dropped = client.queue_.dropped(); dropped > 0) {
    WarnOnStderr(absl::StrCat(CountedWas(dropped, "record", "records"),
                              " not sent because the log queue was full (they are in this "
                              "stderr)"));
  }
}

Client::Stats Client::stats() const {
  const RecordSender::Counts counts = sender_.counts();
  return {counts.sent, counts.send_failed, queue_.dropped(), counts.cut, counts.unacknowledged};
}

std::string Client::leader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sender_.leader();
}

// --- The sender thread ---

void Client::StartSenderOnce() {
  if (sender_started_.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (sender_started_.load()) return;
  if (!configured_) ConfigureLocked();
  queue_.Allocate();
  InstallExitAndSignalHooks(&Client::OnExit, &Client::FlushFromSignal);
  // The sender takes no asynchronous signals: a SIGTERM handler must run on
  // another thread, while the sender drains the queue.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  std::thread([this] {
    pthread_setname_np(pthread_self(), "toil-rtlog");
    SenderLoop();
  }).detach();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  sender_started_.store(true, std::memory_order_release);
}

void Client::SenderLoop() {
  sender_.Start();  // a stream connection, or datagrams
  int64_t last_activity = MonotonicNanos();
  while (true) {
    // Read before looking at the queue: a wake after this is not missed.
    const uint32_t wake_seen = queue_.wake_seen();
    const bool idle = MonotonicNanos() - last_activity > absl::ToInt64Nanoseconds(kLinger);
    const RecordQueue::Batch batch = queue_.Take(/*sleeping=*/idle);
    if (batch.count == 0) {
      WaitForRecords(wake_seen, idle);
      ReportQueueDrops();
      continue;
    }
    last_activity = MonotonicNanos();
    queue_.ForEach(batch, [this](const QueuedRecord& queued, absl::string_view text) {
      sender_.Add(queued, text);
    });
    sender_.Send();
    queue_.Release(batch);
    ReportQueueDrops();
  }
}

void Client::WaitForRecords(uint32_t wake_seen, bool idle) {
  if (finish_stream_.load() && !stream_finished_.load()) {
    sender_.FinishStream(kExitStall, kExitFlushLimit);
    stream_finished_.store(true);
    queue_.Notify();
    return;
  }
  if (sender_.StreamBusy()) {
    sender_.PumpStream(absl::Nanoseconds(send_interval_ns_.load(std::memory_order_relaxed)));
    return;
  }
  queue_.WaitForWork(wake_seen, idle ? int64_t{3600} * 1000000000
                                     : send_interval_ns_.load(std::memory_order_relaxed));
}

void Client::ReportQueueDrops() {
  const uint64_t dropped = queue_.dropped();
  const uint64_t reported = drops_reported_.load(std::memory_order_relaxed);
  if (dropped == reported) return;
  const std::string text =
      absl::StrCat("toil-rtlog: ", CountedWas(dropped - reported, "record", "records"),
                   " not sent: the job logged faster than they could be sent (", dropped,
                   " in all; they are in the job's stderr)");
  const ThreadIdentity& thread = CurrentThread();
  QueuedRecord queued;
  queued.level = Level::kWarning;
  queued.text_size = static_cast<uint32_t>(text.size());
  queued.original_size = static_cast<uint32_t>(text.size());
  queued.time_ns = absl::ToUnixNanos(absl::Now());
  queued.thread_id = thread.id;
  queued.thread_name = Intern(thread.name);
  sender_.Add(queued, text);
  sender_.Send();
  drops_reported_.store(dropped, std::memory_order_release);
  queue_.Notify();
}

}  // namespace toil::rtlog::internal
