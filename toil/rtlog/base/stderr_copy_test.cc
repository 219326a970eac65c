// CopyDescriptor: the copy pipe is used only while it and the captured
// stderr are still the files the variable names.
#include "toil/rtlog/base/stderr_copy.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace toil::rtlog::internal {
namespace {

// A pipe; closed at the end.
struct Pipe {
  int fds[2];
  Pipe() { EXPECT_EQ(pipe(fds), 0); }
  ~Pipe() {
    close(fds[0]);
    close(fds[1]);
  }
};

// Runs `check` with stderr pointed at `fd`, then puts stderr back.
template <typename Check>
void WithStderr(int fd, Check check) {
  const int saved = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  check();
  dup2(saved, STDERR_FILENO);
  close(saved);
}

TEST(StderrCopyTest, TheCopyPipeIsUsedWhileStderrIsTheCapturedPipe) {
  Pipe copy;
  Pipe captured;
  const std::string value = DescribeCopyDescriptor(copy.fds[1], captured.fds[1]);
  WithStderr(captured.fds[1],
             [&] { EXPECT_EQ(CopyDescriptor(value.c_str()), std::optional<int>(copy.fds[1])); });
}

TEST(StderrCopyTest, AJobThatRedirectedItsStderrKeepsItsCopiesThere) {
  Pipe copy;
  Pipe captured;
  Pipe elsewhere;
  const std::string value = DescribeCopyDescriptor(copy.fds[1], captured.fds[1]);
  WithStderr(elsewhere.fds[1], [&] { EXPECT_EQ(CopyDescriptor(value.c_str()), std::nullopt); });
}

TEST(StderrCopyTest, ADescriptorClosedOrReusedIsNotWrittenTo) {
  Pipe captured;
  int copy[2];
  ASSERT_EQ(pipe(copy), 0);
  const std::string value = DescribeCopyDescriptor(copy[1], captured.fds[1]);
  close(copy[0]);
  close(copy[1]);
  WithStderr(captured.fds[1], [&] { EXPECT_EQ(CopyDescriptor(value.c_str()), std::nullopt); });
  // The number given to another file.
  const int other = open("/dev/null", O_WRONLY);
  ASSERT_EQ(dup2(other, copy[1]), copy[1]);
  WithStderr(captured.fds[1], [&] { EXPECT_EQ(CopyDescriptor(value.c_str()), std::nullopt); });
  close(other);
  close(copy[1]);
}

TEST(StderrCopyTest, MalformedValuesNameNothing) {
  for (const char* value : {"", "5", "5:1:2", "x:1:2:3:4", "-1:0:0:0:0", "5:1:2:3:4:5"}) {
    EXPECT_EQ(CopyDescriptor(value), std::nullopt) << value;
  }
  EXPECT_EQ(CopyDescriptor(nullptr), std::nullopt);
}

}  // namespace
}  // namespace toil::rtlog::internal
