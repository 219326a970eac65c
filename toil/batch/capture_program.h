// The program that captures a job's output (`toil-rtlog exec`, see
// docs/reference.md): where a batch system finds it, and a job's command
// line run under it.
#ifndef TOIL_BATCH_CAPTURE_PROGRAM_H_
#define TOIL_BATCH_CAPTURE_PROGRAM_H_

#include <string>
#include <vector>

namespace toil::batch {

// The variable that names the toil-rtlog program when it is not in PATH.
inline constexpr char kCaptureProgramVariable[] = "TOIL_RTLOG_BIN";

// `chosen` if not empty; else $TOIL_RTLOG_BIN; else the first executable
// toil-rtlog in $PATH (/bin:/usr/bin when unset); "" when there is none.
std::string FindCaptureProgram(const std::string& chosen);

// `command` with `args`, run under `capture_program`: exec, its `flags`
// (e.g. "--stderr_level=WARNING"), then the program's own command line.
std::vector<std::string> CapturedCommandLine(const std::string& capture_program,
                                             const std::vector<std::string>& flags,
                                             const std::string& command,
                                             const std::vector<std::string>& args);

}  // namespace toil::batch

#endif  // TOIL_BATCH_CAPTURE_PROGRAM_H_
