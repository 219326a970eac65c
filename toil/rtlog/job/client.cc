// The job-side client: configuration, the log call and its queue, flushing,
// and the process hooks (signals, exit, fork); the sender thread is in
// client_sender.cc. See client.h.
#include "toil/rtlog/job/client.h"

#include <pthread.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "toil/rtlog/job/futex.h"
#include "toil/rtlog/base/fd_write.h"
#include "toil/rtlog/common/process_info.h"
#include "toil/rtlog/common/utf8.h"
#include "toil/rtlog/base/plural.h"

namespace toil::rtlog::internal {

std::atomic<int> g_threshold{0};

// Set while this thread is inside the local delivery, so that a sink that
// itself logs does not deadlock; its records take the ordinary path.
thread_local bool Client::in_delivery_ = false;

namespace {

// How long a job may wait for its leader's host name to resolve.
constexpr absl::Duration kResolveTimeout = absl::Seconds(2);

// A random, nonzero id for this process's stream of records.
uint64_t NewStreamId() {
  uint64_t id = 0;
  if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id)) {
    // No entropy yet (early boot): pid, time and an address differ enough.
    id = (static_cast<uint64_t>(getpid()) << 32) ^
         static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())) ^
         reinterpret_cast<uintptr_t>(&id);
  }
  return id == 0 ? 1 : id;
}
// How long a fatal signal may wait for the queue to drain.
constexpr absl::Duration kSignalFlushTimeout = absl::Seconds(2);
// At exit, the queue drains for as long as the sender makes progress: on a
// loaded machine it may get little CPU. It is given up on after this long
// without progress, or this long in all.
constexpr absl::Duration kExitStall = absl::Seconds(5);
constexpr absl::Duration kExitFlushLimit = absl::Seconds(30);

// --- Flushing on signals that end the process ---

constexpr int kFlushSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGABRT,
                                 SIGSEGV, SIGBUS, SIGFPE, SIGILL};
struct sigaction g_previous[NSIG];

void OnSignal(int signal_number, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  Client::Instance().FlushFromSignal(kSignalFlushTimeout);
  const struct sigaction& previous = g_previous[signal_number];
  if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(signal_number, info, context);
  } else if (previous.sa_handler == SIG_IGN) {
    // The application ignores it; so do we.
  } else if (previous.sa_handler == SIG_DFL || previous.sa_handler == nullptr) {
    // Let the signal take its default course (end the process, dump core)
    // once this handler returns.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    sigaction(signal_number, &default_action, nullptr);
    raise(signal_number);
  } else {
    previous.sa_handler(signal_number);
  }
  errno = saved_errno;
}

void InstallSignalHandlers() {
  for (int signal_number : kFlushSignals) {
    struct sigaction current {};
    if (sigaction(signal_number, nullptr, &current) != 0) continue;
    if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN) {
      continue;  // ignored on purpose (nohup, a shell's background job)
    }
    g_previous[signal_number] = current;
    struct sigaction ours {};
    ours.sa_sigaction = &OnSignal;
    ours.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigemptyset(&ours.sa_mask);
    sigaction(signal_number, &ours, nullptr);
  }
}

}  // namespace

// --- fork(): the child gets an empty queue and starts its own sender ---

// Before fork: let the sender finish what is queued (briefly), so that it is
// idle, holding no lock of its own or of the allocator's, when the process
// is copied; a child must not inherit a lock that no thread of its own holds.
void ForkPrepare() {
  Client& client = Client::Instance();
  if (client.sender_started_.load()) client.Flush(absl::Milliseconds(200));
  client.queue_mu_.lock();
}
void ForkParent() { Client::Instance().queue_mu_.unlock(); }
void ForkChild() {
  Client& client = Client::Instance();
  ProcessInfoAfterFork();
  client.AfterForkInChild();
  client.queue_mu_.unlock();
}

void Client::AfterForkInChild() {
  // The parent's queued records are the parent's to send.
  head_ = tail_ = count_ = 0;
  sender_sleeping_ = false;
  enqueued_.store(0);
  processed_.store(0);
  sender_started_.store(false);  // threads do not survive fork
  stream_id_ = NewStreamId();     // the child's records are a stream of its own
  next_seq_ = 1;
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
  leader_text_.clear();
  stream_id_ = NewStreamId();
  if (!config_.secret.empty()) {
    absl::StatusOr<std::unique_ptr<DatagramAuth>> auth =
        DatagramAuth::FromSecret(config_.secret);
    if (auth.ok()) {
      auth_ = *std::move(auth);
    } else {  // the secret itself is not shown
      WarnOnStderr(absl::StrCat(
          kSecretVariable, " is not usable: ", auth.status().message(),
          "; records are sent unsigned, and a leader that requires "
          "signatures refuses them"));
    }
  }
  if (config_.leader) SetUpLeaderLocked();
  ApplyThresholdLocked();
}

void Client::SetUpLeaderLocked() {
  absl::StatusOr<SocketAddress> address = Resolve(*config_.leader, kResolveTimeout);
  if (!address.ok()) {
    WarnOnStderr(absl::StrCat(kAddressVariable, "=", config_.leader->ToString(),
                              ": ", address.status().message(),
                              "; records are written to stderr only"));
    return;
  }
  leader_address_ = *address;
  leader_text_ = address->ToString();
  const int error = ConnectLeader();
  if (error != 0) {
    WarnOnStderr(absl::StrCat(
        "cannot reach the leader at ", leader_text_, ": ", std::strerror(error),
        "; records are written to stderr and counted as not sent, and the "
        "job tries again every second"));
  }
}

int Client::ConnectLeader() {
  last_connect_attempt_ = MonotonicNanos();
  const int fd = socket(leader_address_->family(),
                        SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  if (connect(fd, leader_address_->get(), leader_address_->length) != 0) {
    const int error = errno;
    close(fd);
    return error;
  }
  socket_.store(fd, std::memory_order_release);
  return 0;
}

void Client::ApplyThresholdLocked() {
  int threshold = LevelNumber(config_.threshold);
  if (has_delivery_.load()) threshold = LevelNumber(delivery_level_);
  g_threshold.store(threshold, std::memory_order_release);
}

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

Client::Stats Client::stats() const {
  return {sent_.load(), send_failed_.load(), queue_full_.load(), cut_.load()};
}

std::string Client::leader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leader_text_;
}

// --- The caller's side ---

void Client::Log(Level level, const SourceLocation& where,
                 absl::string_view text, int64_t time_ns,
                 absl::string_view logger_name) {
  try {
    if (has_delivery_.load(std::memory_order_acquire) && !in_delivery_ &&
        DeliverInLeader(level, where, text, time_ns, logger_name)) {
      return;
    }
    StartSenderOnce();
    const uint64_t sequence = Enqueue(level, where, text, time_ns, logger_name);
    if (sequence != 0 &&
        (level >= Level::kCritical || exiting_.load(std::memory_order_relaxed))) {
      // On the wire before RT_LOG returns.
      WakeSender();
      WaitProcessed(sequence, absl::Seconds(5));
    }
  } catch (...) {
    // Out of memory or similar: the record is lost, but the job goes on.
    queue_full_.fetch_add(1, std::memory_order_relaxed);
  }
}

bool Client::DeliverInLeader(Level level, const SourceLocation& where,
                             absl::string_view text, int64_t time_ns,
                             absl::string_view logger_name) {
  std::lock_guard<std::mutex> lock(delivery_mu_);
  if (!delivery_ || level < delivery_level_) return false;
  struct InDelivery {
    InDelivery() { in_delivery_ = true; }
    ~InDelivery() { in_delivery_ = false; }
  } in_delivery;
  // The leader's own records: built here, handed to the sinks.
  const ThreadIdentity& thread = CurrentThread();
  const Entry entry{
      .bytes = 0,
      .level = level,
      .line = where.line,
      .text_size = static_cast<uint32_t>(text.size()),
      .original_size = static_cast<uint32_t>(text.size()),
      .file = where.file,
      .function = where.function,
      .time_ns = time_ns,
      .thread_id = thread.id,
      .thread_name = Intern(thread.name),
      .logger_name = logger_name == "toil-rt" ? nullptr : Intern(logger_name),
  };
  DeliverLocally(entry, text);
  return true;
}

uint64_t Client::Enqueue(Level level, const SourceLocation& where,
                         absl::string_view text, int64_t time_ns,
                         absl::string_view logger_name) {
  // Per thread: the thread's identity, interned once.
  thread_local const std::string* thread_name = nullptr;
  thread_local uint64_t thread_id = 0;
  const ThreadIdentity& thread = CurrentThread();
  if (thread_name == nullptr || thread_id != thread.id) {
    thread_name = Intern(thread.name);
    thread_id = thread.id;
  }
  const uint32_t original_size =
      static_cast<uint32_t>(std::min<size_t>(text.size(), UINT32_MAX));
  if (text.size() > kMaxQueuedText) {
    text = text.substr(0, Utf8CutPoint(text, kMaxQueuedText));
  }
  const size_t bytes = (sizeof(Entry) + text.size() + 7) & ~size_t{7};
  const Entry entry{
      .bytes = static_cast<uint32_t>(bytes),
      .level = level,
      .line = where.line,
      .text_size = static_cast<uint32_t>(text.size()),
      .original_size = original_size,
      .file = where.file,
      .function = where.function,
      .time_ns = time_ns,
      .thread_id = thread_id,
      .thread_name = thread_name,
      .logger_name = logger_name == "toil-rt" ? nullptr : Intern(logger_name),
  };
  uint64_t sequence = 0;
  bool wake;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    const size_t at = RoomLocked(bytes);
    if (at == SIZE_MAX) {
      queue_full_.fetch_add(1, std::memory_order_relaxed);
    } else {
      std::memcpy(ring_ + at, &entry, sizeof(entry));
      std::memcpy(ring_ + at + sizeof(entry), text.data(), text.size());
      tail_ = at + bytes;
      ++count_;
      sequence = enqueued_.fetch_add(1, std::memory_order_relaxed) + 1;
    }
    wake = sender_sleeping_ || count_ == kWakeBatch;
  }
  if (wake) WakeSender();
  return sequence;
}

size_t Client::RoomLocked(size_t bytes) {
  // Free space is [tail_, end) and [0, head_) when tail_ is ahead of head_
  // (or the ring is empty), else [tail_, head_); tail_ == head_ with
  // entries queued means full.
  if (count_ == 0) head_ = tail_ = 0;
  if (count_ == 0 || tail_ > head_) {
    if (kQueueBytes - tail_ >= bytes) return tail_;
    if (bytes > head_) return SIZE_MAX;
    // Wrap: mark the rest of the ring as skipped (no room for a mark means
    // the reader wraps there anyway).
    if (kQueueBytes - tail_ >= sizeof(uint32_t)) {
      const uint32_t wrap = 0;
      std::memcpy(ring_ + tail_, &wrap, sizeof(wrap));
    }
    return 0;
  }
  if (tail_ < head_ && head_ - tail_ >= bytes) return tail_;
  return SIZE_MAX;
}

void Client::WakeSender() {
  wake_word_.fetch_add(1, std::memory_order_release);
  FutexWakeAll(&wake_word_);
}

bool Client::WaitProcessed(uint64_t target, absl::Duration timeout) {
  const int64_t deadline = MonotonicNanos() + absl::ToInt64Nanoseconds(timeout);
  while (processed_.load(std::memory_order_acquire) < target) {
    const uint32_t seen = done_word_.load(std::memory_order_acquire);
    if (processed_.load(std::memory_order_acquire) >= target) break;
    const int64_t left = deadline - MonotonicNanos();
    if (left <= 0 || !sender_started_.load()) return false;
    FutexWait(&done_word_, seen, left < kPollNanos ? left : kPollNanos);
  }
  return true;
}

bool Client::Flush(absl::Duration timeout) {
  const uint64_t target = enqueued_.load(std::memory_order_acquire);
  const bool drops_unreported =
      queue_full_.load() != queue_full_reported_.load(std::memory_order_acquire);
  if (processed_.load() >= target && !drops_unreported) return true;
  WakeSender();
  if (!WaitProcessed(target, timeout)) return false;
  // The count of records the full queue refused goes out too.
  const int64_t deadline = MonotonicNanos() + absl::ToInt64Nanoseconds(timeout);
  while (queue_full_.load() != queue_full_reported_.load(std::memory_order_acquire)) {
    const uint32_t seen = done_word_.load(std::memory_order_acquire);
    if (queue_full_.load() == queue_full_reported_.load(std::memory_order_acquire)) break;
    const int64_t left = deadline - MonotonicNanos();
    if (left <= 0 || !sender_started_.load()) return false;
    WakeSender();
    FutexWait(&done_word_, seen, left < kPollNanos ? left : kPollNanos);
  }
  return true;
}

void Client::FlushFromSignal(absl::Duration timeout) {
  // Only atomics and raw syscalls here: the signal may have interrupted
  // anything, malloc included. The sender thread does the work.
  const uint64_t target = enqueued_.load(std::memory_order_acquire);
  if (processed_.load() >= target) return;
  WakeSender();
  WaitProcessed(target, timeout);
}

uint64_t Client::FlushBeforeExit() {
  const int64_t give_up = MonotonicNanos() + absl::ToInt64Nanoseconds(kExitFlushLimit);
  uint64_t processed = processed_.load();
  while (!Flush(kExitStall)) {
    const uint64_t now_processed = processed_.load();
    if (now_processed == processed || MonotonicNanos() > give_up) break;
    processed = now_processed;
  }
  const uint64_t enqueued = enqueued_.load();
  processed = processed_.load();
  return enqueued > processed ? enqueued - processed : 0;
}

void Client::OnExit() {
  exiting_.store(true);
  const uint64_t unsent = FlushBeforeExit();
  if (unsent > 0) {
    // Neither the leader nor this stderr got them: say so, at least here.
    WarnOnStderr(absl::StrCat(
        CountedWas(unsent, "record", "records"),
        " still queued when the process exited, and neither sent nor written here: the log "
        "sender made no progress for ",
        absl::FormatDuration(kExitStall), ", or was still sending after ",
        absl::FormatDuration(kExitFlushLimit)));
  }
  const uint64_t failed = send_failed_.load();
  const uint64_t dropped = queue_full_.load();
  if (failed > 0) {
    WarnOnStderr(absl::StrCat(failed, " of ", failed + sent_.load(),
                      " records could not be sent to the leader at ", leader()));
  }
  if (dropped > 0) {
    WarnOnStderr(absl::StrCat(CountedWas(dropped, "record", "records"),
                              " dropped because the log queue was full"));
  }
}

// --- The sender thread ---

void Client::StartSenderOnce() {
  if (sender_started_.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (sender_started_.load()) return;
  static bool process_hooks_installed = false;
  if (ring_ == nullptr) ring_ = new char[kQueueBytes];
  if (!process_hooks_installed) {
    process_hooks_installed = true;
    std::atexit([] { Client::Instance().OnExit(); });
    InstallSignalHandlers();
  }
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

}  // namespace toil::rtlog::internal
