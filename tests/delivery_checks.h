// What the delivery tests check a leader received, and how they set up a
// stream job: a JSON-lines file's objects, counts of numbered records in it,
// exactly once,
// a serve's environment for a job that uses the stream, a port free for a
// leader started again on it, a listener that does not answer, a network
// namespace that drops packets.
#ifndef TESTS_DELIVERY_CHECKS_H_
#define TESTS_DELIVERY_CHECKS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "tests/serve_process.h"
#include "tests/test_util.h"

namespace toil::testing {

// The objects of a JSON-lines file (--format=jsonl), each line parsed (a
// line that is not JSON fails the test).
std::vector<google::protobuf::Struct> ReadJsonLines(const std::string& path);
// A string field of one ("" when it has none).
std::string StringField(const google::protobuf::Struct& object, const std::string& key);

// How many times each number N of the records "<prefix>N" appears in a
// JSON-lines file (--format=jsonl), by their "message" (as shown).
std::map<int, int> Counts(const std::string& jsonl, const std::string& prefix);
// Counts, as above, per job: by each line's "job" ("" for a line that names
// none, so that such a line shows as a job of its own).
std::map<std::string, std::map<int, int>> CountsByJob(const std::string& jsonl,
                                                      const std::string& prefix);
// Whether every number from 0 to n - 1 appears exactly once, and no other;
// says which did not when not.
::testing::AssertionResult ExactlyOnce(const std::map<int, int>& counts, int n);
// `serve`'s job environment with its stream (Serve::JobEnv leaves it out).
std::vector<EnvChange> StreamJobEnv(const Serve& serve, const std::string& job);
// The port of "host:port".
int PortOf(const std::string& host_port);
// A TCP socket listening on 127.0.0.1 (its port in `*port`) that accepts
// only what its test accepts: a stream peer that does not answer by itself.
// -1 (with a test failure) when it cannot be made.
int LoopbackListener(int* port);
// A port number free for UDP and for TCP on loopback just now, as a user
// picks one for a leader they mean to start again on it.
int PortFreeForBoth();

// A network namespace of the test's own whose loopback drops `percent`% of
// the packets it receives, at random (nftables' numgen): run a leader and
// its jobs in it with `ip netns exec NAME ...`. Deleted with the object.
class LossyNamespace {
 public:
  // nullptr with `*why` when it cannot be made here (not root, no nft).
  static std::unique_ptr<LossyNamespace> Make(int percent, std::string* why);
  ~LossyNamespace();
  const std::string& name() const { return name_; }

 private:
  explicit LossyNamespace(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

}  // namespace toil::testing

#endif  // TESTS_DELIVERY_CHECKS_H_
