#include "config/diagnostic.h"

#include <gtest/gtest.h>

namespace bulwark::config {
namespace {

TEST(DiagnosticTest, FormatsFileLineColumnAndMessage) {
  const Diagnostic d{SourceMark{"a.yaml", 12, 7}, "unknown key 'listner'", ""};
  EXPECT_EQ(d.format(), "a.yaml:12:7: unknown key 'listner'");
}

TEST(DiagnosticTest, AddsTheHintOnItsOwnLine) {
  const Diagnostic d{SourceMark{"a.yaml", 3, 1}, "unknown key 'listner'",
                     "did you mean 'listeners'?"};
  EXPECT_EQ(d.format(), "a.yaml:3:1: unknown key 'listner'\n  hint: did you mean 'listeners'?");
}

TEST(DiagnosticTest, LineZeroHasNoPosition) {
  const Diagnostic d{SourceMark{"command line", 0, 0}, "--listen is required", ""};
  EXPECT_EQ(d.format(), "command line: --listen is required");
}

TEST(DiagnosticTest, NoFileAndNoLineIsJustTheMessage) {
  const Diagnostic d{SourceMark{}, "cannot read config 'x.yaml': No such file or directory", ""};
  EXPECT_EQ(d.format(), "cannot read config 'x.yaml': No such file or directory");
}

}  // namespace
}  // namespace bulwark::config
