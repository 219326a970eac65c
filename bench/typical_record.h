// The "typical record" the benchmarks use: what a Python job sends for a
// short formatted message (about 450-500 bytes of JSON), and a C++ one.
#ifndef BENCH_TYPICAL_RECORD_H_
#define BENCH_TYPICAL_RECORD_H_

#include <string>

#include "proto/log_record.pb.h"

namespace toil::bench {

using ::toil::rtlog::LogRecord;

// A record as a Python job's json.dumps(record.__dict__) would carry it.
inline std::string TypicalPythonJson(int i) {
  return std::string(R"({"name": "toil-rt", "msg": "Aligned %d reads for sample %s in %.2f s", )") +
         R"("args": [)" + std::to_string(1000 + i) +
         R"(, "NA12878", 3.14159], "levelname": "INFO", "levelno": 20, )" +
         R"("pathname": "/home/user/workflows/align/steps.py", "filename": "steps.py", )" +
         R"("module": "steps", "exc_info": null, "exc_text": null, "stack_info": null, )" +
         R"("lineno": 117, "funcName": "align_chunk", "created": 1763920000.123456, )" +
         R"("msecs": 123.0, "relativeCreated": 5321.42, "thread": 140234567890123, )" +
         R"("threadName": "MainThread", "processName": "MainProcess", "process": 4242})";
}

// The same content as a LogRecord (what a C++ job encodes).
inline LogRecord TypicalRecord() {
  LogRecord r;
  r.set_name("toil-rt");
  r.set_msg("Aligned 1000 reads for sample NA12878 in 3.14 s");
  r.set_levelname("INFO");
  r.set_levelno(20);
  r.set_pathname("/home/user/workflows/align/steps.cc");
  r.set_filename("steps.cc");
  r.set_module("steps");
  r.set_lineno(117);
  r.set_func_name("AlignChunk");
  r.set_created(1763920000.123456);
  r.set_msecs(123.0);
  r.set_relative_created(5321.42);
  r.set_process(4242);
  r.set_process_name("align");
  r.set_thread(4243);
  r.set_thread_name("MainThread");
  r.set_hostname("node7.cluster.example");
  r.set_job("align/17");
  return r;
}

}  // namespace toil::bench

#endif  // BENCH_TYPICAL_RECORD_H_
