// Cutting oversized records to fit a datagram; see datagram_fit.h.
#include "toil/rtlog/wire/datagram_fit.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "toil/rtlog/common/utf8.h"
#include "toil/rtlog/wire/record_encoder.h"

namespace toil::rtlog::internal {

std::string WithCutMarker(absl::string_view kept, size_t original_size) {
  return absl::StrCat(kept, " [cut: ", original_size, " bytes, ", kept.size(), " shown]");
}

bool FitRecordToDatagram(LogRecord* record, std::string* json, size_t limit,
                         size_t original_msg_size) {
  const bool precut = original_msg_size > record->msg().size();
  if (json->size() <= limit && !precut) return false;
  struct Field {
    std::string* text;
    std::string original;  // filled when first cut
    size_t kept;           // bytes of the original still shown
    bool cut = false;
  };
  std::vector<Field> fields;
  for (std::string* text :
       {record->mutable_msg(), record->mutable_exc_text(), record->mutable_stack_info(),
        record->mutable_pathname(), record->mutable_func_name(), record->mutable_name(),
        record->mutable_module(), record->mutable_filename()}) {
    fields.push_back({text, std::string(), text->size()});
  }
  if (precut) {
    // Mark the msg with its size before the earlier cut.
    Field& msg = fields[0];
    msg.original = *msg.text;
    msg.cut = true;
    *msg.text = WithCutMarker(msg.original, original_msg_size);
    EncodeRecord(*record, json);
  }
  while (json->size() > limit) {
    // Cut the field that still shows the most.
    Field* field =
        &*std::max_element(fields.begin(), fields.end(),
                           [](const Field& a, const Field& b) { return a.kept < b.kept; });
    if (field->kept == 0) break;  // nothing left to cut
    if (!field->cut) {
      field->original = *field->text;
      field->cut = true;
    }
    // Shrink by the excess plus room for the marker; escaping can make one
    // byte take six, so this may take more passes.
    const size_t excess = json->size() - limit + 48;
    field->kept = Utf8CutPoint(field->original, field->kept > excess ? field->kept - excess : 0);
    const size_t original_size =
        field == &fields[0] && precut ? original_msg_size : field->original.size();
    *field->text =
        WithCutMarker(absl::string_view(field->original).substr(0, field->kept), original_size);
    EncodeRecord(*record, json);
  }
  return true;
}

}  // namespace toil::rtlog::internal
