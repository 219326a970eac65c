// A job program for the end-to-end tests, run as a real child process.
//
//   test_job levels                 INFO and DEBUG records (Toil's own test)
//   test_job count N                N INFO records "record i"
//   test_job threads T N            T threads x N records "t=<t> i=<i>"
//   test_job env                    prints TOIL_RT_* (but the secret) and
//                                   TOIL_JOB_NAME on stdout
//   test_job big BYTES              one INFO record with a BYTES-long message
//   test_job bigutf8 BYTES          the same, of two-byte characters (é)
//   test_job paced N MS [BYTES]     N INFO records "paced i", MS ms apart,
//                                   each padded with BYTES x's (none by
//                                   default); prints "started" on stdout first
//   test_job critical               one CRITICAL and one INFO record
//   test_job burst_on FILE N        "ready", then, once FILE exists, N INFO
//                                   records "burst i", and exits at once
//   test_job twenty                 20 lines "stage <word> took <n> ms ...",
//                                   the same words in every job, numbers
//                                   of its own
//   test_job words P N R            N lines "P <letters>", no two alike, R a
//                                   second (0: as fast as it can)
//   test_job mixed                  DEBUG, INFO (with '%' in it), WARNING, ERROR
//   test_job levels_paced N MS      N pairs "debug i" (DEBUG), "info i" (INFO),
//                                   MS ms apart; prints "started" first
//   test_job args ARGS...           prints "ARG <hex of the bytes>" for each
//                                   argument, and its host name
//   test_job report                 for job K (TOIL_JOB_NAME's last number):
//                                   1 DEBUG, 3K INFO, K%3 WARNING, K%2 ERROR;
//                                   job 4 then says "job 4 gives up" (CRITICAL)
//                                   and exits 4; prints "job K output"
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "toil/rtlog/rt_log.h"

namespace {

void PrintEnv(const char* name) {
  const char* value = std::getenv(name);
  std::printf("%s=%s\n", name, value ? value : "<unset>");
}

// `i` in letters, with no digit: 0 "a", 25 "z", 26 "ba", ...
std::string Letters(int i) {
  std::string text;
  do {
    text.insert(text.begin(), static_cast<char>('a' + i % 26));
    i /= 26;
  } while (i > 0);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "levels") {
    RT_LOG(INFO) << "This should be logged at info level";
    RT_LOG(DEBUG) << "This should be logged at debug level";
  } else if (mode == "count" && argc > 2) {
    const int n = std::atoi(argv[2]);
    for (int i = 0; i < n; ++i) RT_LOG(INFO) << "record " << i;
  } else if (mode == "threads" && argc > 3) {
    const int threads = std::atoi(argv[2]);
    const int n = std::atoi(argv[3]);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([t, n] {
        for (int i = 0; i < n; ++i) RT_LOG(INFO) << "t=" << t << " i=" << i;
      });
    }
    for (std::thread& w : workers) w.join();
  } else if (mode == "env") {
    PrintEnv("TOIL_RT_LOGGING_ADDRESS");
    PrintEnv("TOIL_RT_LOGGING_LEVEL");
    PrintEnv("TOIL_JOB_NAME");
    PrintEnv("TOIL_RT_LOGGING_CONTROL");
    PrintEnv("TOIL_RT_LOGGING_CONTROL_TOKEN");
    RT_LOG(INFO) << "env job ran";
  } else if (mode == "burst_on" && argc > 3) {
    RT_LOG(INFO) << "ready";
    while (access(argv[2], F_OK) != 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (int i = 0; i < std::atoi(argv[3]); ++i) RT_LOG(INFO) << "burst " << i;
  } else if (mode == "big" && argc > 2) {
    RT_LOG(INFO) << std::string(std::atoi(argv[2]), 'x');
  } else if (mode == "bigutf8" && argc > 2) {
    std::string text;
    while (text.size() + 2 <= static_cast<size_t>(std::atoi(argv[2]))) text += "\xC3\xA9";
    RT_LOG(INFO) << text;
  } else if (mode == "paced" && argc > 3) {
    const int n = std::atoi(argv[2]);
    const int ms = std::atoi(argv[3]);
    const std::string padding(argc > 4 ? std::atoi(argv[4]) : 0, 'x');
    std::printf("started\n");
    std::fflush(stdout);
    for (int i = 0; i < n; ++i) {
      RT_LOG(INFO) << "paced " << i << padding;
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
  } else if (mode == "levels_paced" && argc > 3) {
    const int n = std::atoi(argv[2]);
    const int ms = std::atoi(argv[3]);
    std::printf("started\n");
    std::fflush(stdout);
    for (int i = 0; i < n; ++i) {
      RT_LOG(DEBUG) << "debug " << i;
      RT_LOG(INFO) << "info " << i;
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
  } else if (mode == "args") {
    for (int i = 2; i < argc; ++i) {
      std::printf("ARG ");
      for (const char* c = argv[i]; *c != '\0'; ++c) {
        std::printf("%02x", static_cast<unsigned char>(*c));
      }
      std::printf("\n");
    }
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    std::printf("HOST %s\n", host);
  } else if (mode == "mixed") {
    RT_LOG(DEBUG) << "debug record";
    RT_LOG(INFO) << "100% verbatim: %s %d %(key)s %%";
    RT_LOG(WARNING) << "warning record";
    RT_LOG(ERROR) << "error record";
  } else if (mode == "twenty") {
    // The same 20 lines as every other job running it, with numbers of
    // its own.
    const int pid = static_cast<int>(getpid());
    for (int k = 0; k < 20; ++k) {
      RT_LOG(INFO) << "stage " << Letters(k) << " took " << (pid % 1000 + k) << " ms on shard "
                   << pid * 20 + k;
    }
  } else if (mode == "words" && argc > 4) {
    // N lines "PREFIX <letters>", none alike, PER_SECOND a second (0: at once).
    const int n = std::atoi(argv[3]);
    const int per_second = std::atoi(argv[4]);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      if (per_second > 0) {
        std::this_thread::sleep_until(
            start + std::chrono::microseconds(static_cast<int64_t>(i) * 1000000 / per_second));
      }
      RT_LOG(INFO) << argv[2] << " " << Letters(i);
    }
  } else if (mode == "report") {
    const char* name = std::getenv("TOIL_JOB_NAME");
    const std::string job = name ? name : "";
    const int k = std::atoi(job.c_str() + job.find_last_not_of("0123456789") + 1);
    RT_LOG(DEBUG) << "job " << k << " starts";
    for (int i = 0; i < 3 * k; ++i) RT_LOG(INFO) << "info " << i;
    for (int i = 0; i < k % 3; ++i) RT_LOG(WARNING) << "warning " << i;
    for (int i = 0; i < k % 2; ++i) RT_LOG(ERROR) << "error " << i;
    std::printf("job %d output\n", k);
    if (k == 4) {
      RT_LOG(CRITICAL) << "job 4 gives up";
      return 4;
    }
  } else if (mode == "critical") {
    RT_LOG(CRITICAL) << "critical record";
    RT_LOG(INFO) << "info record";
  } else {
    std::fprintf(stderr, "test_job: unknown mode \"%s\"\n", mode.c_str());
    return 2;
  }
  return 0;
}
