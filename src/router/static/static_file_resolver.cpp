#include "router/static/static_file_resolver.h"

#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <random>

#include "compress/content_coding.h"
#include "http/conditional.h"
#include "http/http_date.h"
#include "http/mime_types.h"
#include "http/range.h"
#include "router/static/static_path.h"

namespace bulwark::router {
namespace {

void refuse(StaticReply& reply, std::uint16_t status, std::string_view detail) {
  reply.status = status;
  reply.detail = detail;
}

// As nginx maps them: what does not exist (or must look as if it did not) is 404.
void refuse_for_errno(StaticReply& reply, int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
    case EXDEV:  // leads out of the root
    case ELOOP:
      refuse(reply, 404, "no such file");
      return;
    case EACCES:
    case EPERM:
      refuse(reply, 403, "the file is not readable");
      return;
    default:
      refuse(reply, 500, "the file could not be opened");
  }
}

// A multipart boundary nobody can predict, so that no file can be made to contain it.
std::array<char, 16> random_boundary() {
  thread_local std::uint64_t state = [] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) | device();
  }();
  // splitmix64
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  std::array<char, 16> text{};
  for (std::size_t i = 0; i < text.size(); ++i) {
    text[i] = "0123456789abcdef"[(z >> (60 - 4 * i)) & 0xF];
  }
  return text;
}

// "<mtime hex>-<size hex>" in quotes, weak ("W/") when the file may still change this second.
std::string_view format_etag(std::int64_t mtime, std::uint64_t size, bool weak,
                             std::span<char, 40> out) {
  char* p = out.data();
  char* const end = p + out.size();
  if (weak) {
    *p++ = 'W';
    *p++ = '/';
  }
  *p++ = '"';
  p = std::to_chars(p, end, static_cast<std::uint64_t>(mtime), 16).ptr;
  *p++ = '-';
  p = std::to_chars(p, end, size, 16).ptr;
  *p++ = '"';
  return {out.data(), static_cast<std::size_t>(p - out.data())};
}

// The file is open and regular: preconditions, Range, and the body.
void serve_file(const StaticRequest& request, std::string_view name, const struct stat& info,
                StaticReply& reply) {
  const auto size = static_cast<std::uint64_t>(info.st_size);
  const std::int64_t mtime = info.st_mtim.tv_sec;
  const bool settled = mtime < request.now;
  std::array<char, 40> etag_text{};
  std::array<char, http::kHttpDateSize> date_text{};
  const http::Validators validators{.etag = format_etag(mtime, size, !settled, etag_text),
                                    .last_modified = mtime,
                                    .last_modified_strong = settled};
  const std::string_view last_modified = http::format_http_date(mtime, date_text);
  const http::HeaderMap& headers = *request.headers;

  switch (http::evaluate_preconditions(request.method, headers, validators)) {
    case http::Precondition::kNotModified:
      reply.status = 304;
      reply.add_header("etag", validators.etag);
      reply.add_header("last-modified", last_modified);
      return;
    case http::Precondition::kFailed:
      refuse(reply, 412, "a precondition of the request does not hold");
      return;
    case http::Precondition::kProceed:
      break;
  }

  // RFC 9110 §14.2: Range is defined for GET only; one field, else it is ignored.
  http::RangeSet ranges;
  if (request.method == http::Method::kGet && headers.count("range") == 1 &&
      http::if_range_holds(headers, validators)) {
    ranges = http::parse_range(headers.get("range"), size);
  }
  std::array<char, http::kContentRangeSize> range_text{};
  if (ranges.outcome == http::RangeOutcome::kUnsatisfiable) {
    refuse(reply, 416, "the requested range is not satisfiable");
    reply.add_header("content-range", http::unsatisfiable_content_range(size, range_text));
    return;
  }

  const std::string_view content_type = http::mime_type(name);
  reply.add_header("last-modified", last_modified);
  reply.add_header("etag", validators.etag);
  reply.add_header("accept-ranges", "bytes");
  const int fd = reply.file.get();
  const bool send_body = request.method == http::Method::kGet;
  if (ranges.outcome == http::RangeOutcome::kIgnore) {
    reply.status = 200;
    reply.add_header("content-type", content_type);
    reply.content_length = size;
    if (send_body && size > 0) reply.body.emplace_back(FileSegment{fd, 0, size});
    return;
  }
  reply.status = 206;
  const std::span<const http::ByteRange> parts = ranges.view();
  if (parts.size() == 1) {
    reply.add_header("content-type", content_type);
    reply.add_header("content-range", http::content_range(parts[0], size, range_text));
    reply.content_length = parts[0].length;
    reply.body.emplace_back(FileSegment{fd, parts[0].offset, parts[0].length});
    return;
  }
  const std::array<char, 16> boundary = random_boundary();
  const http::MultipartByteranges multipart(parts, size, content_type,
                                            {boundary.data(), boundary.size()});
  reply.add_header("content-type", multipart.content_type());
  std::pmr::memory_resource* memory = reply.body.get_allocator().resource();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string head = multipart.part_head(i);
    reply.content_length += head.size() + parts[i].length;
    reply.body.emplace_back(std::pmr::string(head, memory));
    reply.body.emplace_back(FileSegment{fd, parts[i].offset, parts[i].length});
  }
  const std::string closing = multipart.closing();
  reply.content_length += closing.size();
  reply.body.emplace_back(std::pmr::string(closing, memory));
}

bool is_missing(int error) {
  return error == ENOENT || error == ENOTDIR;
}

std::string_view file_suffix(compress::Coding coding) {
  switch (coding) {
    case compress::Coding::kZstd:
      return ".zst";
    case compress::Coding::kBrotli:
      return ".br";
    case compress::Coding::kGzip:
    case compress::Coding::kIdentity:
      break;
  }
  return ".gz";
}

// Replaces `file` (at `path`) with a regular file beside it in the best coding the client accepts
// among `offered`, when one exists; a missing one lets the next acceptable coding try. Returns the
// coding, or kIdentity when `file` stays.
compress::Coding open_precompressed(const RootDirectory& root, std::string_view path,
                                    const http::HeaderMap& headers,
                                    std::span<const compress::Coding> offered, FileHandle& file,
                                    struct stat& info, std::pmr::memory_resource* memory) {
  compress::AcceptEncoding accept;
  for (const http::HeaderField& field : headers) {
    if (http::iequals(field.name, "accept-encoding")) accept.add(field.value);
  }
  std::pmr::vector<compress::Coding> left(offered.begin(), offered.end(), memory);
  std::pmr::string candidate(memory);
  for (;;) {
    const compress::Coding coding = accept.choose(left);
    if (coding == compress::Coding::kIdentity) return coding;
    candidate = path;
    candidate += file_suffix(coding);
    std::expected<FileHandle, int> sibling = root.open_file(candidate.c_str());
    struct stat sibling_info = {};
    if (sibling && ::fstat(sibling->get(), &sibling_info) == 0 && S_ISREG(sibling_info.st_mode)) {
      file = std::move(*sibling);
      info = sibling_info;
      return coding;
    }
    std::erase(left, coding);
  }
}

}  // namespace

void resolve_static(const StaticRequest& request, const config::StaticAction& action,
                    const config::RouteMatch& match, StaticReply& reply) {
  if (request.method != http::Method::kGet && request.method != http::Method::kHead) {
    refuse(reply, 405, "only GET and HEAD are allowed for static files");
    reply.add_header("allow", "GET, HEAD");
    return;
  }
  std::pmr::memory_resource* memory = reply.headers.get_allocator().resource();
  const std::size_t question = request.target.find('?');
  const std::string_view path = request.target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : request.target.substr(question);

  const std::expected<StaticPath, PathRefusal> mapped =
      map_static_path(path, action, match, memory);
  if (!mapped) {
    if (mapped.error() == PathRefusal::kBadRequest) {
      refuse(reply, 400, "the path is not a valid file name");
    } else {
      refuse(reply, 404, "no such file");
    }
    return;
  }
  const std::expected<const RootDirectory*, int> root =
      RootDirectoryCache::for_this_thread().get(action.root, request.confinement, request.now);
  if (!root) {
    refuse_for_errno(reply, root.error());
    return;
  }
  std::expected<FileHandle, int> file = (*root)->open_file(mapped->relative.c_str());
  struct stat info = {};
  if (!file) {
    refuse_for_errno(reply, file.error());
    return;
  }
  if (::fstat(file->get(), &info) != 0) {
    refuse_for_errno(reply, errno);
    return;
  }
  std::string_view name = mapped->relative;
  std::pmr::string index_path(memory);
  std::string_view served = mapped->relative;  // the path of the file that answers
  if (S_ISDIR(info.st_mode)) {
    if (!mapped->directory_form) {
      reply.status = 301;
      reply.add_header("location", directory_location(path, query, memory));
      return;
    }
    file = std::unexpected(ENOENT);
    for (const std::string& index : action.index) {
      index_path = mapped->relative;
      if (!index_path.empty()) index_path += '/';
      index_path += index;
      std::expected<FileHandle, int> candidate = (*root)->open_file(index_path.c_str());
      if (!candidate) {
        if (is_missing(candidate.error())) continue;
        refuse_for_errno(reply, candidate.error());
        return;
      }
      if (::fstat(candidate->get(), &info) != 0) {
        refuse_for_errno(reply, errno);
        return;
      }
      if (!S_ISREG(info.st_mode)) continue;
      file = std::move(candidate);
      name = index;
      served = index_path;
      break;
    }
    if (!file) {
      refuse(reply, 404, "the directory has no index file");
      return;
    }
  } else if (!S_ISREG(info.st_mode) || mapped->directory_form) {
    refuse(reply, 404, "no such file");
    return;
  }
  compress::Coding coding = compress::Coding::kIdentity;
  if (!action.precompressed.empty()) {
    // Which file answers depends on Accept-Encoding, for every client (RFC 9110 §12.5.5).
    reply.add_header("vary", "accept-encoding");
    coding = open_precompressed(**root, served, *request.headers, action.precompressed, *file, info,
                                memory);
  }
  reply.file = std::move(*file);
  // The content type is the original's: `name` is its name.
  serve_file(request, name, info, reply);
  if (coding != compress::Coding::kIdentity && (reply.status == 200 || reply.status == 206)) {
    reply.add_header("content-encoding", compress::coding_token(coding));
  }
}

}  // namespace bulwark::router
