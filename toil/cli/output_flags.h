// Flags shared by several subcommands: --level, --format, --output, --time,
// --auth, --allow_unsigned (serve, run, send, tail), and --control and --token
// (serve and run listen on --control; tail, status, senders, level and stop
// connect to it).
#ifndef TOIL_CLI_OUTPUT_FLAGS_H_
#define TOIL_CLI_OUTPUT_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"

ABSL_DECLARE_FLAG(std::string, level);
ABSL_DECLARE_FLAG(std::string, format);
ABSL_DECLARE_FLAG(std::string, output);
ABSL_DECLARE_FLAG(std::string, time);
ABSL_DECLARE_FLAG(bool, auth);
ABSL_DECLARE_FLAG(bool, allow_unsigned);
ABSL_DECLARE_FLAG(std::string, control);
ABSL_DECLARE_FLAG(std::string, token);

#endif  // TOIL_CLI_OUTPUT_FLAGS_H_
