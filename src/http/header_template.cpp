#include "http/header_template.h"

#include <algorithm>

namespace bulwark::http {
namespace {

constexpr std::array<std::string_view, kTemplateVariableCount> kNames{"client_address",
                                                                      "client_port",
                                                                      "host",
                                                                      "path",
                                                                      "query",
                                                                      "method",
                                                                      "scheme",
                                                                      "request_id",
                                                                      "route",
                                                                      "listener",
                                                                      "tls_version",
                                                                      "tls_cipher",
                                                                      "tls_server_name",
                                                                      "client_cert_subject",
                                                                      "client_cert_fingerprint",
                                                                      "upstream_address"};

constexpr std::uint32_t bit(TemplateVariable variable) noexcept {
  return std::uint32_t{1} << static_cast<unsigned>(variable);
}

constexpr bool is_control(char c) noexcept {
  const auto byte = static_cast<unsigned char>(c);
  return (byte < 0x20 && byte != '\t') || byte == 0x7F;
}

}  // namespace

std::span<const std::string_view> template_variable_names() noexcept {
  return kNames;
}

std::expected<HeaderTemplate, TemplateError> HeaderTemplate::parse(std::string_view text) {
  HeaderTemplate result;
  std::size_t literal_begin = 0;
  const auto close_literal = [&result, &literal_begin] {
    const std::size_t end = result.text_.size();
    if (end > literal_begin) {
      result.parts_.push_back({static_cast<std::uint32_t>(literal_begin),
                               static_cast<std::uint32_t>(end - literal_begin)});
    }
    literal_begin = end;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool doubled = i + 1 < text.size() && text[i + 1] == c;
    if (c == '}') {
      if (!doubled) {
        return std::unexpected(
            TemplateError{i, "'}' without a '{' before it; write }} for a literal brace", {}});
      }
      result.text_ += '}';
      ++i;
      continue;
    }
    if (c != '{') {
      result.text_ += c;
      continue;
    }
    if (doubled) {
      result.text_ += '{';
      ++i;
      continue;
    }
    const std::size_t close = text.find('}', i + 1);
    if (close == std::string_view::npos) {
      return std::unexpected(
          TemplateError{i, "'{' is not closed; write {{ for a literal brace", {}});
    }
    const std::string_view name = text.substr(i + 1, close - i - 1);
    const auto* found = std::find(kNames.begin(), kNames.end(), name);
    if (found == kNames.end()) {
      return std::unexpected(TemplateError{name.empty() ? i : i + 1,
                                           name.empty()
                                               ? std::string("'{}' names no variable")
                                               : "unknown variable '" + std::string(name) + "'",
                                           std::string(name)});
    }
    close_literal();
    const auto variable = static_cast<TemplateVariable>(found - kNames.begin());
    result.parts_.push_back({0, 0, variable, true});
    result.uses_ |= bit(variable);
    i = close;
  }
  close_literal();
  return result;
}

bool HeaderTemplate::uses(TemplateVariable variable) const noexcept {
  return (uses_ & bit(variable)) != 0;
}

std::string_view HeaderTemplate::render(const Values& values, core::Arena& arena) const {
  if (uses_ == 0) return text_;
  std::size_t size = 0;
  for (const Part& part : parts_) {
    size += part.is_variable ? values[static_cast<std::size_t>(part.variable)].size() : part.size;
  }
  if (size == 0) return {};
  auto* out = static_cast<char*>(arena.allocate(size, 1));
  char* cursor = out;
  for (const Part& part : parts_) {
    if (!part.is_variable) {
      cursor = std::copy_n(text_.data() + part.begin, part.size, cursor);
      continue;
    }
    for (const char c : values[static_cast<std::size_t>(part.variable)])
      *cursor++ = is_control(c) ? '?' : c;
  }
  return {out, size};
}

}  // namespace bulwark::http
