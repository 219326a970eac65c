// The LogControl service's handlers; see control_service.h.
#include "toil/rtlog/leader/control/control_service.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "re2/re2.h"

namespace toil::rtlog::internal {
namespace {

// A Tail message carries about this many bytes of entries (some 5,000
// records). A message costs the leader far more than the bytes in it (its
// thread wakes, gRPC frames and writes it), so a busy leader sends each
// viewer fewer, larger ones; a viewer that stops reading pins about this
// much of the ring's blocks in the leader.
constexpr size_t kBatchBytes = 1 << 20;
// A viewer gets a message at most this often while records trickle in (each
// waits at most this long) ...
constexpr absl::Duration kWriteInterval = absl::Milliseconds(5);
// ... and at most this often once its messages carry kBusyBytes or more
// (about 80 records in 5 ms): under load a record waits up to this long for
// its viewers, and each viewer costs the leader a fifth of the messages.
// control_bench --threads at 100,000 records/s, one viewer, when each viewer
// had a gRPC thread of its own and JSON lines: 0.86 us of the leader's CPU
// a record at 5 ms, 0.40 at 25 ms, 0.34 at 50 ms.
constexpr absl::Duration kBusyInterval = absl::Milliseconds(25);
constexpr size_t kBusyBytes = 16 << 10;

double UnixSeconds(absl::Time time) { return absl::ToDoubleSeconds(time - absl::UnixEpoch()); }

// The same bytes, compared in a time that does not depend on where they
// differ.
bool SameSecret(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < a.size(); ++i) difference |= a[i] ^ b[i];
  return difference == 0;
}

void FillCounts(const LogStats& s, v1::Counts* counts) {
  counts->set_datagrams(s.datagrams);
  counts->set_records(s.records);
  counts->set_malformed(s.malformed);
  counts->set_dropped_by_kernel(s.dropped);
  counts->set_lost_in_transit(s.lost);
  counts->set_duplicates(s.duplicates);
  counts->set_unsigned_refused(s.unsigned_refused);
  counts->set_unsigned_accepted(s.unsigned_accepted);
  counts->set_bad_signature(s.forged);
  counts->set_other_run(s.other_run);
  counts->set_sink_lines_lost(s.sink_lines_lost);
}

// The filter a Tail request asks for, or why it is not one.
absl::StatusOr<RecordFilter> FilterOf(const v1::TailRequest& request) {
  RecordFilter filter;
  if (!request.min_level().empty()) {
    absl::StatusOr<Level> level = ParseLevel(request.min_level());
    if (!level.ok()) return level.status();
    filter.min_levelno = LevelNumber(*level);
  }
  filter.job_glob = request.job();
  filter.host = request.host();
  filter.logger = request.logger();
  if (!request.grep().empty()) {
    RE2::Options options;
    options.set_log_errors(false);
    auto pattern = std::make_shared<RE2>(request.grep(), options);
    if (!pattern->ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "grep pattern \"", request.grep(), "\" is not a regular expression: ", pattern->error()));
    }
    filter.grep = std::move(pattern);
  }
  return filter;
}

grpc::Status ToGrpc(const absl::Status& status, grpc::StatusCode code) {
  return grpc::Status(code, std::string(status.message()));
}

}  // namespace

ControlService::ControlService(ControlTarget target, std::string token, ConnectionGate* gate)
    : target_(std::move(target)), token_(std::move(token)), gate_(gate) {}

grpc::Status ControlService::Authorize(const grpc::ServerContext& context) const {
  if (token_.empty()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  const auto found = metadata.find("authorization");
  const std::string expected = absl::StrCat("Bearer ", token_);
  if (found != metadata.end() &&
      SameSecret(absl::string_view(found->second.data(), found->second.size()), expected)) {
    if (gate_ != nullptr) gate_->Authenticated(context.peer());
    return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      found == metadata.end() ? "this leader's control address needs its token"
                                              : "wrong token for this leader's control address");
}

grpc::Status ControlService::GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest*,
                                       v1::Status* response) {
  if (grpc::Status auth = Authorize(*context); !auth.ok()) return auth;
  const LogStats stats = target_.stats();
  response->set_address(target_.address);
  response->set_level(std::string(LevelName(target_.level())));
  response->set_uptime_seconds(absl::ToDoubleSeconds(absl::Now() - target_.started));
  response->set_key_id(target_.key_id);
  response->set_signatures_checked(stats.signatures_checked);
  response->set_allow_unsigned(target_.allow_unsigned);
  FillCounts(stats, response->mutable_counts());
  response->mutable_counts()->set_tail_missed(missed_.load());
  response->set_summary(DescribeLogStats(stats));
  response->set_viewers(viewers_.load());
  response->set_kind(target_.kind);
  response->set_pid(getpid());
  return grpc::Status::OK;
}

grpc::Status ControlService::ListSenders(grpc::ServerContext* context,
                                         const v1::ListSendersRequest*,
                                         v1::ListSendersResponse* response) {
  if (grpc::Status auth = Authorize(*context); !auth.ok()) return auth;
  for (const SenderTable::Row& row : target_.senders->Snapshot()) {
    v1::Sender* sender = response->add_senders();
    sender->set_job(row.job);
    sender->set_host(row.host);
    sender->set_pid(row.pid);
    sender->set_address(row.address);
    for (uint64_t n : row.records_by_level) sender->add_records_by_level(n);
    sender->set_first_seen(UnixSeconds(row.first_seen));
    sender->set_last_seen(UnixSeconds(row.last_seen));
    sender->set_lost(row.lost);
    sender->set_duplicates(row.duplicates);
    sender->set_signed_(row.signed_records);
  }
  response->set_forgotten(target_.senders->forgotten());
  return grpc::Status::OK;
}

grpc::Status ControlService::OpenTail(const grpc::ServerContext& context, grpc::ByteBuffer& request,
                                      std::unique_ptr<TailStream>* stream,
                                      v1::TailForm* form) const {
  if (grpc::Status auth = Authorize(context); !auth.ok()) return auth;
  v1::TailRequest tail;
  if (!grpc::SerializationTraits<v1::TailRequest>::Deserialize(&request, &tail).ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the Tail request is not a toil.rtlog.v1.TailRequest");
  }
  absl::StatusOr<RecordFilter> filter = FilterOf(tail);
  if (!filter.ok()) return ToGrpc(filter.status(), grpc::StatusCode::INVALID_ARGUMENT);
  if (!v1::TailForm_IsValid(tail.form())) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("no Tail form numbered ", tail.form(), " (JSON_LINES is 0, ENTRIES 1)"));
  }
  *form = tail.form();
  *stream = std::make_unique<TailStream>(*target_.ring, *std::move(filter),
                                         TailStream::Options{.batch_bytes = kBatchBytes,
                                                             .interval = kWriteInterval,
                                                             .busy_interval = kBusyInterval,
                                                             .busy_bytes = kBusyBytes,
                                                             .follow = tail.follow(),
                                                             .last = tail.last()});
  return grpc::Status::OK;
}

grpc::Status ControlService::SetLevel(grpc::ServerContext* context,
                                      const v1::SetLevelRequest* request,
                                      v1::SetLevelResponse* response) {
  if (grpc::Status auth = Authorize(*context); !auth.ok()) return auth;
  absl::StatusOr<Level> level = ParseLevel(request->level());
  if (!level.ok()) return ToGrpc(level.status(), grpc::StatusCode::INVALID_ARGUMENT);
  const Level previous = target_.level();
  const absl::Status changed = target_.set_level(*level);
  if (!changed.ok()) return ToGrpc(changed, grpc::StatusCode::FAILED_PRECONDITION);
  response->set_previous(std::string(LevelName(previous)));
  response->set_level(std::string(LevelName(*level)));
  response->set_message(
      absl::StrCat("jobs that start from now on get TOIL_RT_LOGGING_LEVEL=", LevelName(*level),
                   " (it was ", LevelName(previous),
                   "); jobs already running keep theirs, and so do jobs already submitted to a "
                   "scheduler such as Slurm"));
  return grpc::Status::OK;
}

grpc::Status ControlService::Stop(grpc::ServerContext* context, const v1::StopRequest*,
                                  v1::StopResponse* response) {
  if (grpc::Status auth = Authorize(*context); !auth.ok()) return auth;
  const absl::Status stopping = target_.stop();
  if (!stopping.ok()) return ToGrpc(stopping, grpc::StatusCode::FAILED_PRECONDITION);
  response->set_message("the server is stopping; it prints its summary on its stderr");
  return grpc::Status::OK;
}

}  // namespace toil::rtlog::internal
