// The environment variables through which a leader's batch system configures
// every job (the contract in docs/reference.md, "The environment"):
//
//   TOIL_RT_LOGGING_LEVEL    the lowest level a job sends; unset: real-time
//                            logging is off, and only CRITICAL records are
//                            written, to the job's stderr
//   TOIL_RT_LOGGING_ADDRESS  host:port or [v6]:port of the leader (UDP)
//   TOIL_RT_LOGGING_SECRET   the run's secret, 64 hex digits: every datagram
//                            is signed with it
//   TOIL_JOB_NAME            the job's name, shown on the leader
//   TOIL_RT_LOGGING_PACKED   set by a leader that reads packed datagrams
//                            (several records, one per line) of up to this
//                            many bytes; a C++ job then packs the records it
//                            has queued. Unset or 0: one record per datagram,
//                            as for Toil's Python leader
//   TOIL_RT_LOGGING_STREAM   host:port (TCP) where a C++ leader takes stream
//                            connections: a C++ job then delivers its
//                            records over one, acknowledged and resent
//                            after a reconnect (TLS keyed by the secret)
//
// One more a job may be given, by its batch system or by whoever starts it:
//
//   TOIL_RT_LOGGING_OVERFLOW what a log call does when the job's queue is
//                            full: "drop" (the default: the record is
//                            written to stderr at once, and counted as not
//                            sent), or "wait" (for room, up to 5 s a record),
//                            or "wait:DURATION" ("wait:30s")
//
// And one that `toil-rtlog exec` sets for the program whose output it
// captures:
//
//   TOIL_RT_LOGGING_STDERR_COPY  a pipe for record copies and the captured
//                            stderr pipe (FD:DEVICE:INODE:DEVICE:INODE):
//                            a C++ job (or `send`) whose stderr is still
//                            that captured pipe writes the copy of each of
//                            its records to the first instead, so that the
//                            capture writes it to the job's log file but
//                            does not send it to the leader a second time
//
// A batch system of its own sets them through BatchSystem::SetEnv (the
// RealtimeLogger does) and passes GetEnvironment() on to each job.
//
// Two more are for people and their tools, never handed to jobs:
//
//   TOIL_RT_LOGGING_CONTROL        where a running leader's control plane
//                                  listens (unix:/path, or HOST:PORT), for
//                                  toil-rtlog tail, status, senders, level
//                                  and stop
//   TOIL_RT_LOGGING_CONTROL_TOKEN  the token a TCP control address requires
#ifndef TOIL_RTLOG_BASE_ENVIRONMENT_H_
#define TOIL_RTLOG_BASE_ENVIRONMENT_H_

namespace toil::rtlog {

// Every variable of a leader's for its jobs starts with this (TOIL_JOB_NAME
// aside); jobs get them only from their own batch system.
inline constexpr char kVariablePrefix[] = "TOIL_RT_LOGGING_";
inline constexpr char kLevelVariable[] = "TOIL_RT_LOGGING_LEVEL";
inline constexpr char kAddressVariable[] = "TOIL_RT_LOGGING_ADDRESS";
inline constexpr char kSecretVariable[] = "TOIL_RT_LOGGING_SECRET";
inline constexpr char kSecretFileVariable[] = "TOIL_RT_LOGGING_SECRET_FILE";
inline constexpr char kJobNameVariable[] = "TOIL_JOB_NAME";
inline constexpr char kPackedVariable[] = "TOIL_RT_LOGGING_PACKED";
inline constexpr char kStreamVariable[] = "TOIL_RT_LOGGING_STREAM";
inline constexpr char kOverflowVariable[] = "TOIL_RT_LOGGING_OVERFLOW";
inline constexpr char kStderrCopyVariable[] = "TOIL_RT_LOGGING_STDERR_COPY";
inline constexpr char kControlVariable[] = "TOIL_RT_LOGGING_CONTROL";
inline constexpr char kControlTokenVariable[] = "TOIL_RT_LOGGING_CONTROL_TOKEN";

}  // namespace toil::rtlog

#endif  // TOIL_RTLOG_BASE_ENVIRONMENT_H_
