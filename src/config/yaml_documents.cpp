#include "config/yaml_documents.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <sstream>
#include <system_error>

namespace bulwark::config {
namespace {

// Far beyond any real configuration; stops `-c /dev/zero` from eating memory.
constexpr std::size_t kMaxFileBytes = std::size_t{16} * 1024 * 1024;

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

// Records where each document starts; ignores the content.
class DocumentCounter final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start_ = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnAlias(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnScalar(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                const std::string& /*value*/) override {}
  void OnSequenceStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/,
                       YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value /*style*/) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value /*style*/) override {}
  void OnMapEnd() override {}

  [[nodiscard]] const YAML::Mark& start() const { return start_; }

 private:
  YAML::Mark start_ = YAML::Mark::null_mark();
};

// The 1-based line `line` of `text`, to look for tabs near a syntax error.
std::string_view line_text(std::string_view text, int line) {
  for (int i = 1; i < line; ++i) {
    const std::size_t newline = text.find('\n');
    if (newline == std::string_view::npos) return {};
    text.remove_prefix(newline + 1);
  }
  return text.substr(0, text.find('\n'));
}

}  // namespace

std::expected<std::string, std::string> read_config_text(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(errno_text(errno));
  std::string text;
  char chunk[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return std::unexpected(errno_text(error));
    }
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
    if (text.size() > kMaxFileBytes) {
      ::close(fd);
      return std::unexpected("larger than 16 MiB");
    }
  }
  ::close(fd);
  return text;
}

std::expected<YAML::Node, Diagnostic> parse_document(std::string_view yaml,
                                                     const std::string& file) {
  if (std::optional<Diagnostic> problem = check_single_document(yaml, file)) {
    return std::unexpected(std::move(*problem));
  }
  try {
    return YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    // The first pass parsed the same text, so this is not expected; report it all the same.
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    const int column = e.mark.is_null() ? 0 : e.mark.column + 1;
    return std::unexpected(syntax_error(e.msg, line, column, yaml, file));
  }
}

Diagnostic syntax_error(const std::string& message, int line, int column, std::string_view yaml,
                        const std::string& file) {
  std::string hint;
  // yaml-cpp words a tab in the indentation as "illegal block entry" or similar.
  const bool tab_near =
      line_text(yaml, line).find('\t') != std::string_view::npos ||
      (line > 1 && line_text(yaml, line - 1).find('\t') != std::string_view::npos);
  if (tab_near) {
    hint = "YAML does not allow tabs for indentation; use spaces";
  } else if (message == "illegal map value") {
    hint = "check the indentation, and quote values that contain ': '";
  }
  return Diagnostic{SourceMark{file, line, column}, fmt::format("YAML syntax error: {}", message),
                    std::move(hint)};
}

std::optional<Diagnostic> check_single_document(std::string_view yaml, const std::string& file) {
  std::istringstream stream{std::string(yaml)};
  YAML::Parser parser(stream);
  DocumentCounter counter;
  int documents = 0;
  YAML::Mark previous = YAML::Mark::null_mark();
  YAML::Mark second = YAML::Mark::null_mark();
  try {
    while (parser.HandleNextDocument(counter)) {
      const YAML::Mark start = counter.start();
      if (documents > 0 && start.pos == previous.pos) {
        const char stuck = start.pos >= 0 && static_cast<std::size_t>(start.pos) < yaml.size()
                               ? yaml[start.pos]
                               : '?';
        return syntax_error(fmt::format("unexpected '{}'", stuck), start.line + 1, start.column + 1,
                            yaml, file);
      }
      ++documents;
      if (documents == 2) second = start;
      previous = start;
    }
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return syntax_error(e.msg, 0, 0, yaml, file);
    return syntax_error(e.msg, e.mark.line + 1, e.mark.column + 1, yaml, file);
  }
  if (documents > 1) {
    return Diagnostic{SourceMark{file, second.line + 1, second.column + 1},
                      fmt::format("the file holds {} YAML documents; bulwark reads one", documents),
                      "remove the '---' separators"};
  }
  return std::nullopt;
}

}  // namespace bulwark::config
