// The leader's own records to its sinks; see local_delivery.h.
#include "toil/rtlog/local_delivery.h"

#include <utility>

#include "toil/rtlog/job/client.h"

namespace toil::rtlog {

void SetLocalDelivery(LocalDelivery deliver, Level level) {
  internal::Client::Instance().SetLocalDelivery(std::move(deliver), level);
}

void SetLocalDeliveryLevel(Level level) {
  internal::Client::Instance().SetLocalDeliveryLevel(level);
}

void ClearLocalDelivery() { internal::Client::Instance().ClearLocalDelivery(); }

}  // namespace toil::rtlog
