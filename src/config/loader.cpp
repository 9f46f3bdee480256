#include "config/loader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "config/schema.h"
#include "config/yaml_documents.h"
#include "config/yaml_reader.h"

namespace bulwark::config {
namespace {

// Far beyond any real configuration; stops `-c /dev/zero` from eating memory.
constexpr std::size_t kMaxFileBytes = std::size_t{16} * 1024 * 1024;

LoadResult failure(std::vector<Diagnostic> errors) {
  return LoadResult{nullptr, std::move(errors)};
}

LoadResult unreadable(const std::string& path, std::string reason) {
  return failure(
      {Diagnostic{SourceMark{}, fmt::format("cannot read config '{}': {}", path, reason), {}}});
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
  if (std::optional<Diagnostic> problem = check_single_document(yaml, file)) {
    return failure({std::move(*problem)});
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    // The first pass parsed the same text, so this is not expected; report it all the same.
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    const int column = e.mark.is_null() ? 0 : e.mark.column + 1;
    return failure({syntax_error(e.msg, line, column, yaml, file)});
  }
  YamlReader reader(file, process_env);
  auto config = std::make_shared<Config>();
  config->source = file;
  try {
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
