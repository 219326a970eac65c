// ThreadSanitizer suppressions, built in under --config=tsan only (see
// tools/BUILD.bazel). Debian's gRPC, and the Abseil shared libraries it
// uses, are not built with ThreadSanitizer: the synchronization inside them
// is invisible to TSan, so their threads' use of what they share (the epoll
// descriptor a poller was handed, absl::Mutex's deadlock graph, a time
// zone made once on first use) is reported as races. Only races with a frame inside those libraries
// are suppressed; our own code (built with TSan, Abseil's headers included) stays checked.
extern "C" const char* __tsan_default_suppressions() {
  return "race:libgrpc.so\n"
         "race:libgrpc++.so\n"
         "race:libgpr.so\n"
         "race:libabsl_\n";
}
