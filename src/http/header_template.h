#pragma once
// The values of header rules: text with variables such as "{client_address}". `{{` and `}}` write
// literal braces. (`${VAR}` is taken: the loader replaces it from the environment first.)
//
// A template is parsed once, when the configuration loads; a bad one is a configuration error, so
// the data path only renders. Rendering writes the value once into the stream's arena, after
// measuring it, and a template without variables renders to its own text without copying.

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/arena.h"

namespace bulwark::http {

enum class TemplateVariable : std::uint8_t {
  kClientAddress,
  kClientPort,
  kHost,
  kPath,
  kQuery,
  kMethod,
  kScheme,
  kRequestId,
  kRoute,
  kListener,
  kTlsVersion,
  kTlsCipher,
  kTlsServerName,
  kClientCertSubject,
  kClientCertFingerprint,
  kUpstreamAddress,
};

inline constexpr std::size_t kTemplateVariableCount = 16;

// The names as the configuration writes them (without braces), indexed by TemplateVariable.
[[nodiscard]] std::span<const std::string_view> template_variable_names() noexcept;

struct TemplateError {
  std::size_t offset = 0;  // of the offending character in the template text
  std::string message;
  std::string unknown_variable;  // set when a name between braces is not a variable
};

class HeaderTemplate {
 public:
  // The values of the variables for one render, indexed by TemplateVariable.
  using Values = std::array<std::string_view, kTemplateVariableCount>;

  static std::expected<HeaderTemplate, TemplateError> parse(std::string_view text);

  [[nodiscard]] bool uses(TemplateVariable variable) const noexcept;
  [[nodiscard]] bool has_variables() const noexcept { return uses_ != 0; }

  // The value for these variables. Control characters in variable values (a certificate subject
  // is not under our control) become '?', so a value can never start a new header line.
  [[nodiscard]] std::string_view render(const Values& values, core::Arena& arena) const;

 private:
  // A literal run of text_ (offsets, so that moving the template keeps them valid) or a variable.
  struct Part {
    std::uint32_t begin = 0;
    std::uint32_t size = 0;
    TemplateVariable variable = TemplateVariable::kClientAddress;
    bool is_variable = false;
  };

  std::string text_;         // the literal runs, unescaped, back to back
  std::vector<Part> parts_;  // in order
  std::uint32_t uses_ = 0;   // a bit per TemplateVariable
};

}  // namespace bulwark::http
