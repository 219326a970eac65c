// Reading JSON lines back; see json_line.h.
#include "toil/rtlog/sinks/json_line.h"

#include <string_view>
#include <vector>

#include "simdjson.h"
#include "toil/rtlog/wire/json_walk.h"
#include "toil/rtlog/wire/record_decoder.h"

namespace toil::rtlog {

namespace od = simdjson::ondemand;

struct JsonLineReader::Impl {
  internal::RecordDecoder decoder;
  od::parser parser;
  std::vector<char> padded;
};

JsonLineReader::JsonLineReader() : impl_(std::make_unique<Impl>()) {
  // A line's args are what the job sent, as it sent them (Python's NaN too).
  impl_->decoder.set_python_json(true);
}
JsonLineReader::~JsonLineReader() = default;

absl::StatusOr<ReadLine> JsonLineReader::Read(absl::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  ReadLine read;
  // The record's own fields (the line's others are not LogRecord's, and the
  // decoder passes over them).
  if (absl::Status status = impl_->decoder.Decode(line, &read.record); !status.ok()) {
    return status;
  }
  read.raw_args = std::string(impl_->decoder.raw_args());
  // The fields the sink added: message, sender, signed, unformatted.
  std::vector<char>& padded = impl_->padded;
  padded.assign(line.begin(), line.end());
  padded.resize(line.size() + simdjson::SIMDJSON_PADDING, '\0');
  od::document document;
  if (auto error = impl_->parser.iterate(padded.data(), line.size(), padded.size()).get(document)) {
    return internal::JsonError(error);
  }
  od::object object;
  if (auto error = document.get_object().get(object)) return internal::JsonError(error);
  for (auto field_result : object) {
    od::field field;
    if (auto error = std::move(field_result).get(field)) return internal::JsonError(error);
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return internal::JsonError(error);
    std::string_view text;
    bool flag = false;
    if (key == "message" && field.value().get_string().get(text) == simdjson::SUCCESS) {
      read.message.assign(text.data(), text.size());
    } else if (key == "sender" && field.value().get_string().get(text) == simdjson::SUCCESS) {
      read.sender.assign(text.data(), text.size());
    } else if (key == "signed" && field.value().get_bool().get(flag) == simdjson::SUCCESS) {
      read.authenticity = flag ? Authenticity::kSigned : Authenticity::kUnsigned;
    } else if (key == "unformatted" && field.value().get_bool().get(flag) == simdjson::SUCCESS) {
      read.formatted = !flag;
    }
  }
  if (read.message.empty() && !read.record.msg().empty()) read.message = read.record.msg();
  return read;
}

}  // namespace toil::rtlog
