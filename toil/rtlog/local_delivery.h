// In a leader's own process, RT_LOG's records can go straight to the
// leader's sinks instead of to its stderr and back over the network, so
// that each is shown once. RealtimeLogger (toil/runner) installs it for the
// length of its scope.
//
//   toil::rtlog::SetLocalDelivery(
//       [server](const LogRecord& record) { server->DeliverLocal(record); }, Level::kInfo);
//   ...
//   toil::rtlog::ClearLocalDelivery();
#ifndef TOIL_RTLOG_LOCAL_DELIVERY_H_
#define TOIL_RTLOG_LOCAL_DELIVERY_H_

#include <functional>

#include "proto/log_record.pb.h"
#include "toil/rtlog/base/level.h"

namespace toil::rtlog {

using LocalDelivery = std::function<void(const LogRecord&)>;

// Records at `level` and above logged in this process go to `deliver`
// (called on the logging thread; a record `deliver` itself logs takes the
// ordinary path) until ClearLocalDelivery.
void SetLocalDelivery(LocalDelivery deliver, Level level);
// Changes the level of the delivery installed.
void SetLocalDeliveryLevel(Level level);
void ClearLocalDelivery();

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_LOCAL_DELIVERY_H_
