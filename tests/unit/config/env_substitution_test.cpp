#include "config/env_substitution.h"

#include <gtest/gtest.h>

#include <map>

namespace bulwark::config {
namespace {

std::optional<std::string> fake_env(std::string_view name) {
  static const std::map<std::string, std::string, std::less<>> kEnv{
      {"HOST", "10.0.0.1"}, {"PORT", "9090"}, {"EMPTY", ""}};
  const auto it = kEnv.find(name);
  if (it == kEnv.end()) return std::nullopt;
  return it->second;
}

TEST(EnvSubstitutionTest, ReplacesVariables) {
  EXPECT_EQ(substitute_env("${HOST}:${PORT}", fake_env).value(), "10.0.0.1:9090");
  EXPECT_EQ(substitute_env("a${EMPTY}b", fake_env).value(), "ab");
  EXPECT_EQ(substitute_env("no variables", fake_env).value(), "no variables");
}

TEST(EnvSubstitutionTest, OtherDollarsStay) {
  EXPECT_EQ(substitute_env("$HOST costs $5", fake_env).value(), "$HOST costs $5");
  EXPECT_EQ(substitute_env("$", fake_env).value(), "$");
}

TEST(EnvSubstitutionTest, DoubleDollarEscapes) {
  EXPECT_EQ(substitute_env("$${HOST}", fake_env).value(), "${HOST}");
  EXPECT_EQ(substitute_env("$${UNDEFINED} and ${PORT}", fake_env).value(), "${UNDEFINED} and 9090");
}

TEST(EnvSubstitutionTest, UndefinedVariableIsNamed) {
  const auto result = substitute_env("${NOPE}:80", fake_env);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "environment variable 'NOPE' is not defined");
}

TEST(EnvSubstitutionTest, MalformedReferences) {
  EXPECT_FALSE(substitute_env("${HOST", fake_env).has_value());
  EXPECT_FALSE(substitute_env("${}", fake_env).has_value());
  EXPECT_FALSE(substitute_env("${1X}", fake_env).has_value());
  EXPECT_FALSE(substitute_env("${PORT:-80}", fake_env).has_value());
}

}  // namespace
}  // namespace bulwark::config
