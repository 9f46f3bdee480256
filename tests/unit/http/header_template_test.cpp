#include "http/header_template.h"

#include <gtest/gtest.h>

#include <string>

namespace bulwark::http {
namespace {

HeaderTemplate parsed(std::string_view text) {
  auto result = HeaderTemplate::parse(text);
  EXPECT_TRUE(result.has_value()) << text << ": " << result.error().message;
  return result ? std::move(*result) : HeaderTemplate{};
}

TemplateError error_of(std::string_view text) {
  auto result = HeaderTemplate::parse(text);
  EXPECT_FALSE(result.has_value()) << text;
  return result ? TemplateError{} : result.error();
}

HeaderTemplate::Values values_with(TemplateVariable variable, std::string_view value) {
  HeaderTemplate::Values values;
  values[static_cast<std::size_t>(variable)] = value;
  return values;
}

TEST(HeaderTemplateTest, EveryVariableHasItsName) {
  const auto names = template_variable_names();
  ASSERT_EQ(names.size(), kTemplateVariableCount);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const HeaderTemplate t = parsed("{" + std::string(names[i]) + "}");
    HeaderTemplate::Values values;
    values[i] = "v";
    core::Arena arena;
    EXPECT_EQ(t.render(values, arena), "v") << names[i];
    EXPECT_TRUE(t.uses(static_cast<TemplateVariable>(i))) << names[i];
  }
  EXPECT_EQ(names[static_cast<std::size_t>(TemplateVariable::kClientAddress)], "client_address");
  EXPECT_EQ(names[static_cast<std::size_t>(TemplateVariable::kUpstreamAddress)],
            "upstream_address");
}

TEST(HeaderTemplateTest, PlainTextRendersAsItselfWithoutCopying) {
  const HeaderTemplate t = parsed("no-store, private");
  EXPECT_FALSE(t.has_variables());
  core::Arena arena;
  const std::string_view first = t.render({}, arena);
  EXPECT_EQ(first, "no-store, private");
  EXPECT_EQ(first.data(), t.render({}, arena).data());
}

TEST(HeaderTemplateTest, MixesTextAndVariables) {
  const HeaderTemplate t = parsed("for={client_address}:{client_port}; by={listener}");
  HeaderTemplate::Values values;
  values[static_cast<std::size_t>(TemplateVariable::kClientAddress)] = "192.0.2.7";
  values[static_cast<std::size_t>(TemplateVariable::kClientPort)] = "40000";
  values[static_cast<std::size_t>(TemplateVariable::kListener)] = "public";
  core::Arena arena;
  EXPECT_EQ(t.render(values, arena), "for=192.0.2.7:40000; by=public");
  EXPECT_TRUE(t.uses(TemplateVariable::kClientPort));
  EXPECT_FALSE(t.uses(TemplateVariable::kHost));
}

TEST(HeaderTemplateTest, DoubledBracesAreLiteral) {
  const HeaderTemplate t = parsed("{{\"id\": \"{request_id}\"}}");
  core::Arena arena;
  EXPECT_EQ(t.render(values_with(TemplateVariable::kRequestId, "abc"), arena), "{\"id\": \"abc\"}");
  EXPECT_EQ(parsed("{{client_address}}").render({}, arena), "{client_address}");
  EXPECT_EQ(parsed("}}{{").render({}, arena), "}{");
}

TEST(HeaderTemplateTest, EmptyVariablesRenderEmpty) {
  const HeaderTemplate t = parsed("{tls_version}");
  core::Arena arena;
  EXPECT_EQ(t.render({}, arena), "");
  EXPECT_EQ(parsed("v={tls_cipher};").render({}, arena), "v=;");
}

TEST(HeaderTemplateTest, ControlCharactersInValuesCannotSplitAHeader) {
  const HeaderTemplate t = parsed("[{client_cert_subject}]");
  static constexpr char kSubject[] = "CN=a\r\nX-Evil: 1\0\x7f\tz";
  core::Arena arena;
  EXPECT_EQ(t.render(values_with(TemplateVariable::kClientCertSubject,
                                 std::string_view(kSubject, sizeof kSubject - 1)),
                     arena),
            "[CN=a??X-Evil: 1??\tz]");
}

TEST(HeaderTemplateTest, SurvivesBeingMoved) {
  // Short literals live in std::string's inline buffer: parts must not point into it.
  HeaderTemplate original = parsed("a{host}b");
  const HeaderTemplate moved = std::move(original);
  core::Arena arena;
  EXPECT_EQ(moved.render(values_with(TemplateVariable::kHost, "h"), arena), "ahb");
}

TEST(HeaderTemplateTest, UnknownVariable) {
  const TemplateError error = error_of("x {client_adress} y");
  EXPECT_EQ(error.offset, 3U);
  EXPECT_EQ(error.message, "unknown variable 'client_adress'");
  EXPECT_EQ(error.unknown_variable, "client_adress");
}

TEST(HeaderTemplateTest, EnvironmentSyntaxIsNotAVariable) {
  // ${VAR} is replaced at load; what reaches the template with braces left is a mistake.
  const TemplateError error = error_of("{HOME}");
  EXPECT_EQ(error.message, "unknown variable 'HOME'");
}

TEST(HeaderTemplateTest, EmptyBraces) {
  const TemplateError error = error_of("a{}");
  EXPECT_EQ(error.offset, 1U);
  EXPECT_EQ(error.message, "'{}' names no variable");
}

TEST(HeaderTemplateTest, UnclosedBrace) {
  const TemplateError error = error_of("ab{host");
  EXPECT_EQ(error.offset, 2U);
  EXPECT_EQ(error.message, "'{' is not closed; write {{ for a literal brace");
  EXPECT_TRUE(error.unknown_variable.empty());
}

TEST(HeaderTemplateTest, StrayClosingBrace) {
  const TemplateError error = error_of("{host}}");
  EXPECT_EQ(error.offset, 6U);
  EXPECT_EQ(error.message, "'}' without a '{' before it; write }} for a literal brace");
}

}  // namespace
}  // namespace bulwark::http
