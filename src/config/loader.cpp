#include "config/loader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "config/schema.h"
#include "config/yaml_reader.h"

namespace bulwark::config {
namespace {

// Far beyond any real configuration; stops `-c /dev/zero` from eating memory.
constexpr std::size_t kMaxFileBytes = 16 * 1024 * 1024;

LoadResult failure(std::vector<Diagnostic> errors) {
  return LoadResult{nullptr, std::move(errors)};
}

LoadResult unreadable(const std::string& path, std::string reason) {
  return failure(
      {Diagnostic{SourceMark{}, fmt::format("cannot read config '{}': {}", path, reason), {}}});
}

// The text of 1-based line `line`, to look for tabs near a syntax error.
std::string_view line_text(std::string_view text, int line) {
  for (int i = 1; i < line; ++i) {
    const std::size_t newline = text.find('\n');
    if (newline == std::string_view::npos) return {};
    text.remove_prefix(newline + 1);
  }
  return text.substr(0, text.find('\n'));
}

Diagnostic syntax_error(const YAML::Exception& e, std::string_view yaml, const std::string& file) {
  SourceMark at{file, 0, 0};
  if (!e.mark.is_null()) at = SourceMark{file, e.mark.line + 1, e.mark.column + 1};
  std::string hint;
  // yaml-cpp reports a tab in indentation as an odd "illegal map value" or similar.
  const std::string_view near = line_text(yaml, at.line);
  if (near.find('\t') != std::string_view::npos ||
      (at.line > 1 && line_text(yaml, at.line - 1).find('\t') != std::string_view::npos)) {
    hint = "YAML does not allow tabs for indentation; use spaces";
  } else if (e.msg == "illegal map value") {
    hint = "check the indentation, and quote values that contain ': '";
  }
  return Diagnostic{std::move(at), fmt::format("YAML syntax error: {}", e.msg), std::move(hint)};
}

void sort_by_position(std::vector<Diagnostic>& errors) {
  std::stable_sort(errors.begin(), errors.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.mark.line != b.mark.line) return a.mark.line < b.mark.line;
    return a.mark.column < b.mark.column;
  });
}

}  // namespace

LoadResult load_config_string(std::string_view yaml, const std::string& file_name_for_messages) {
  const std::string& file = file_name_for_messages;
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return failure({syntax_error(e, yaml, file)});
  }
  if (documents.size() > 1) {
    const YAML::Mark second = documents[1].Mark();
    return failure({Diagnostic{
        SourceMark{file, second.is_null() ? 0 : second.line + 1,
                   second.is_null() ? 0 : second.column + 1},
        fmt::format("the file holds {} YAML documents; bulwark reads one", documents.size()),
        "remove the '---' separators"}});
  }
  YamlReader reader(file, process_env);
  auto config = std::make_shared<Config>();
  config->source = file;
  try {
    const YAML::Node root = documents.empty() ? YAML::Node() : documents.front();
    schema::read_root(reader, reader.root(root), *config);
  } catch (const std::exception& e) {
    // The reader checks node types before converting, so this is a bug; still, never throw.
    reader.error(SourceMark{file, 0, 0}, fmt::format("internal error while loading: {}", e.what()));
  }
  std::vector<Diagnostic> errors = reader.take_errors();
  if (!errors.empty()) {
    sort_by_position(errors);
    return failure(std::move(errors));
  }
  return LoadResult{std::move(config), {}};
}

LoadResult load_config_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unreadable(path, std::error_code(errno, std::generic_category()).message());
  std::string text;
  char chunk[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return unreadable(path, std::error_code(error, std::generic_category()).message());
    }
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
    if (text.size() > kMaxFileBytes) {
      ::close(fd);
      return unreadable(path, "larger than 16 MiB");
    }
  }
  ::close(fd);
  return load_config_string(text, path);
}

}  // namespace bulwark::config
