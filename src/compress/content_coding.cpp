#include "compress/content_coding.h"

#include <cstddef>

namespace bulwark::compress {
namespace {

constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths.
std::optional<int> parse_qvalue(std::string_view text) noexcept {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  const bool one = text[0] == '1';
  int value = one ? 1000 : 0;
  if (text.size() == 1) return value;
  if (text[1] != '.' || text.size() > 5) return std::nullopt;
  int scale = 100;
  for (const char c : text.substr(2)) {
    if (c < '0' || c > '9' || (one && c != '0')) return std::nullopt;
    value += (c - '0') * scale;
    scale /= 10;
  }
  return value;
}

// The weight one element gives: 1000 without a q parameter, nullopt when it is malformed.
// Parameters other than q are allowed by the grammar and mean nothing here.
std::optional<int> element_weight(std::string_view parameters) noexcept {
  int weight = 1000;
  while (!parameters.empty()) {
    const std::size_t semicolon = parameters.find(';');
    const std::string_view parameter = trim(parameters.substr(0, semicolon));
    parameters =
        semicolon == std::string_view::npos ? std::string_view{} : parameters.substr(semicolon + 1);
    const std::size_t equals = parameter.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    if (!iequals(trim(parameter.substr(0, equals)), "q")) continue;
    const std::optional<int> q = parse_qvalue(trim(parameter.substr(equals + 1)));
    if (!q) return std::nullopt;
    weight = *q;
  }
  return weight;
}

}  // namespace

std::string_view coding_token(Coding coding) noexcept {
  switch (coding) {
    case Coding::kGzip:
      return "gzip";
    case Coding::kBrotli:
      return "br";
    case Coding::kZstd:
      return "zstd";
    case Coding::kIdentity:
      break;
  }
  return "identity";
}

std::optional<Coding> coding_from_token(std::string_view token) noexcept {
  if (iequals(token, "gzip") || iequals(token, "x-gzip")) return Coding::kGzip;
  if (iequals(token, "br")) return Coding::kBrotli;
  if (iequals(token, "zstd")) return Coding::kZstd;
  if (iequals(token, "identity")) return Coding::kIdentity;
  return std::nullopt;
}

void AcceptEncoding::add(std::string_view field_value) noexcept {
  present_ = true;
  while (!field_value.empty()) {
    const std::size_t comma = field_value.find(',');
    const std::string_view element = field_value.substr(0, comma);
    field_value =
        comma == std::string_view::npos ? std::string_view{} : field_value.substr(comma + 1);
    const std::size_t semicolon = element.find(';');
    const std::string_view token = trim(element.substr(0, semicolon));
    if (token.empty()) continue;  // empty list elements are allowed (RFC 9110 §5.6.1)
    const std::optional<int> weight = element_weight(
        semicolon == std::string_view::npos ? std::string_view{} : element.substr(semicolon + 1));
    if (!weight) continue;
    if (token == "*") {
      if (any_ == kUnset) any_ = *weight;
    } else if (const std::optional<Coding> coding = coding_from_token(token)) {
      int& slot = weight_[static_cast<std::size_t>(*coding)];
      if (slot == kUnset) slot = *weight;
    }
  }
}

int AcceptEncoding::weight(Coding coding) const noexcept {
  const int explicit_weight = weight_[static_cast<std::size_t>(coding)];
  if (explicit_weight != kUnset) return explicit_weight;
  if (any_ != kUnset) return any_;
  // Identity is acceptable unless refused, by name or by "*;q=0" (RFC 9110 §12.5.3); it ranks
  // below every coding the client named.
  return coding == Coding::kIdentity ? 1 : 0;
}

Coding AcceptEncoding::choose(std::span<const Coding> preference) const noexcept {
  if (!present_) return Coding::kIdentity;
  Coding best = Coding::kIdentity;
  int best_weight = 0;
  for (const Coding coding : preference) {
    if (coding == Coding::kIdentity) continue;
    const int candidate = weight(coding);
    if (candidate > best_weight) {
      best = coding;
      best_weight = candidate;
    }
  }
  if (best_weight == 0 || weight(Coding::kIdentity) > best_weight) return Coding::kIdentity;
  return best;
}

}  // namespace bulwark::compress
