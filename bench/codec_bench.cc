// Codec benchmark: the hand-written LogRecord JSON codec against protobuf's
// own JSON utilities, on the typical record, side by side in one run; and
// what authentication adds (signing on the job's sender thread, verifying on
// the leader).
//
//   bazel run -c opt //bench:codec_bench -- --benchmark_repetitions=5
#include <string>

#include "bench/typical_record.h"
#include "benchmark/benchmark.h"
#include "google/protobuf/util/json_util.h"
#include "toil/rtlog/wire/datagram_auth.h"
#include "toil/rtlog/wire/record_decoder.h"
#include "toil/rtlog/wire/record_encoder.h"

namespace toil::bench {
namespace {

void BM_EncodeOurs(benchmark::State& state) {
  const LogRecord record = TypicalRecord();
  std::string json;
  for (auto _ : state) {
    rtlog::internal::EncodeRecord(record, &json);
    benchmark::DoNotOptimize(json.data());
  }
  state.counters["bytes"] = json.size();
}
BENCHMARK(BM_EncodeOurs);

void BM_EncodeProtobuf(benchmark::State& state) {
  const LogRecord record = TypicalRecord();
  std::string json;
  for (auto _ : state) {
    json.clear();
    benchmark::DoNotOptimize(google::protobuf::util::MessageToJsonString(record, &json));
  }
  state.counters["bytes"] = json.size();
}
BENCHMARK(BM_EncodeProtobuf);

void BM_DecodeOurs(benchmark::State& state) {
  const std::string json = TypicalPythonJson(1);
  rtlog::internal::RecordDecoder decoder;
  LogRecord record;
  for (auto _ : state) {
    benchmark::DoNotOptimize(decoder.Decode(json, &record));
  }
  state.counters["bytes"] = json.size();
}
BENCHMARK(BM_DecodeOurs);

void BM_DecodeOursPadded(benchmark::State& state) {
  std::string json = TypicalPythonJson(1);
  const size_t size = json.size();
  json.resize(size + rtlog::internal::RecordDecoder::kPadding, '\0');
  rtlog::internal::RecordDecoder decoder;
  LogRecord record;
  for (auto _ : state) {
    benchmark::DoNotOptimize(decoder.DecodePadded(json.data(), size, &record));
  }
}
BENCHMARK(BM_DecodeOursPadded);

// As the leader decodes: args kept as raw JSON text, no protobuf Value.
void BM_DecodeOursLeader(benchmark::State& state) {
  std::string json = TypicalPythonJson(1);
  const size_t size = json.size();
  json.resize(size + rtlog::internal::RecordDecoder::kPadding, '\0');
  rtlog::internal::RecordDecoder decoder;
  decoder.set_decode_args_value(false);
  LogRecord record;
  for (auto _ : state) {
    benchmark::DoNotOptimize(decoder.DecodePadded(json.data(), size, &record));
  }
}
BENCHMARK(BM_DecodeOursLeader);

// A record as a C++ job sends it: no args.
void BM_DecodeOursCppRecord(benchmark::State& state) {
  std::string json;
  rtlog::internal::EncodeRecord(TypicalRecord(), &json);
  rtlog::internal::RecordDecoder decoder;
  LogRecord record;
  for (auto _ : state) {
    benchmark::DoNotOptimize(decoder.Decode(json, &record));
  }
  state.counters["bytes"] = json.size();
}
BENCHMARK(BM_DecodeOursCppRecord);

void BM_DecodeProtobuf(benchmark::State& state) {
  const std::string json = TypicalPythonJson(1);
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  LogRecord record;
  for (auto _ : state) {
    record.Clear();
    benchmark::DoNotOptimize(google::protobuf::util::JsonStringToMessage(json, &record, options));
  }
}
BENCHMARK(BM_DecodeProtobuf);

std::unique_ptr<rtlog::internal::DatagramAuth> BenchAuth() {
  return *rtlog::internal::DatagramAuth::FromSecret(*rtlog::internal::DatagramAuth::NewSecret());
}

void BM_EncodeAndSign(benchmark::State& state) {
  const LogRecord record = TypicalRecord();
  auto auth = BenchAuth();
  std::string json;
  for (auto _ : state) {
    rtlog::internal::EncodeRecord(record, &json);
    auth->Sign(&json);
    benchmark::DoNotOptimize(json.data());
  }
  state.counters["bytes"] = json.size();
}
BENCHMARK(BM_EncodeAndSign);

void BM_Verify(benchmark::State& state) {
  auto auth = BenchAuth();
  std::string json;
  rtlog::internal::EncodeRecord(TypicalRecord(), &json);
  auth->Sign(&json);
  for (auto _ : state) {
    benchmark::DoNotOptimize(auth->Verify(json));
  }
}
BENCHMARK(BM_Verify);

}  // namespace
}  // namespace toil::bench

BENCHMARK_MAIN();
