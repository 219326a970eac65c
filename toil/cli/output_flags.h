// Flags shared by the subcommands that show records (serve, run): --format,
// --output, --auth and --allow_unsigned; and --level, shared by all three.
#ifndef TOIL_CLI_OUTPUT_FLAGS_H_
#define TOIL_CLI_OUTPUT_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"

ABSL_DECLARE_FLAG(std::string, level);
ABSL_DECLARE_FLAG(std::string, format);
ABSL_DECLARE_FLAG(std::string, output);
ABSL_DECLARE_FLAG(bool, auth);
ABSL_DECLARE_FLAG(bool, allow_unsigned);

#endif  // TOIL_CLI_OUTPUT_FLAGS_H_
