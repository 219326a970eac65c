// TailMessage: a Tail response (toil.rtlog.v1.TailResponse, in
// proto/log_control.proto) as the bytes gRPC sends, from a batch of the
// RecordRing's entries. In the form ENTRIES the batch's pieces go as they
// are: the slices refer to the ring's blocks (no copy) and keep them alive
// until gRPC has written them, so every viewer's message shares the one copy
// of each entry. In the form JSON_LINES (viewers that ask for the leader's
// JSON lines) each entry is rendered as its line.
//
// The bytes are exactly what protobuf's own serialization of the same
// TailResponse gives (tail_message_test holds it to that).
//
//   grpc::ByteBuffer message = TailMessage(stream.batch(), v1::ENTRIES);
//   writer->Write(message, tag);
#ifndef TOIL_RTLOG_LEADER_CONTROL_TAIL_MESSAGE_H_
#define TOIL_RTLOG_LEADER_CONTROL_TAIL_MESSAGE_H_

#include "grpcpp/support/byte_buffer.h"
#include "proto/log_control.pb.h"
#include "toil/rtlog/leader/control/record_ring.h"

namespace toil::rtlog::internal {

grpc::ByteBuffer TailMessage(const RecordRing::Batch& batch, v1::TailForm form);

}  // namespace toil::rtlog::internal

#endif  // TOIL_RTLOG_LEADER_CONTROL_TAIL_MESSAGE_H_
