// The overflow policy, chosen in code; see overflow.h.
#include "toil/rtlog/overflow.h"

#include "toil/rtlog/job/client.h"

namespace toil::rtlog {

void SetOverflowWait(absl::Duration most) { internal::Client::Instance().SetOverflowWait(most); }

}  // namespace toil::rtlog
