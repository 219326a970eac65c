// TailMessage: a Tail response (toil.rtlog.v1.TailResponse, in
// proto/log_control.proto) as the bytes gRPC sends, built around a batch's
// pieces of the RecordRing without copying them: the slices refer to the
// ring's blocks and keep them alive until gRPC has written them. Every
// viewer's message shares the one copy of each line.
//
// The bytes are exactly what protobuf's own serialization of the same
// TailResponse gives (tail_message_test holds it to that).
//
//   grpc::ByteBuffer message = TailMessage(stream.batch());
//   writer->Write(message, tag);
#ifndef TOIL_RTLOG_INTERNAL_LEADER_TAIL_MESSAGE_H_
#define TOIL_RTLOG_INTERNAL_LEADER_TAIL_MESSAGE_H_

#include "grpcpp/support/byte_buffer.h"
#include "toil/rtlog/internal/leader/record_ring.h"

namespace toil::rtlog::internal {

grpc::ByteBuffer TailMessage(const RecordRing::Batch& batch);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_INTERNAL_LEADER_TAIL_MESSAGE_H_
