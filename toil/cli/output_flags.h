// Flags shared by several subcommands: --level, --format, --output, --time,
// --repeat_window, --job_line_limit, --jsonl_file, --auth, --allow_unsigned
// (serve and run; send and tail take some), and --control and --token
// (serve and run listen on --control; tail, status, senders, level and stop
// connect to it). What each means to each command is in its Command's
// FlagDocs (command.h).
#ifndef TOIL_CLI_OUTPUT_FLAGS_H_
#define TOIL_CLI_OUTPUT_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/time/time.h"

ABSL_DECLARE_FLAG(std::string, level);
ABSL_DECLARE_FLAG(std::string, format);
ABSL_DECLARE_FLAG(std::string, output);
ABSL_DECLARE_FLAG(std::string, time);
ABSL_DECLARE_FLAG(absl::Duration, repeat_window);
ABSL_DECLARE_FLAG(int, job_line_limit);
ABSL_DECLARE_FLAG(std::string, jsonl_file);
ABSL_DECLARE_FLAG(bool, auth);
ABSL_DECLARE_FLAG(bool, allow_unsigned);
ABSL_DECLARE_FLAG(bool, stream);
ABSL_DECLARE_FLAG(std::string, control);
ABSL_DECLARE_FLAG(std::string, token);

#endif  // TOIL_CLI_OUTPUT_FLAGS_H_
