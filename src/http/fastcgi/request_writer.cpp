#include "http/fastcgi/request_writer.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace bulwark::http::fastcgi {
namespace {

constexpr std::size_t kBeginRequestSize = 2 * kHeaderSize;

char header_name_char(char c) noexcept {
  if (c == '-') return '_';
  if (c >= 'a' && c <= 'z') return static_cast<char>(c - 'a' + 'A');
  return c;
}

}  // namespace

void stdin_header(std::size_t size, std::span<char, kHeaderSize> out) noexcept {
  encode_header({.type = RecordType::kStdin,
                 .content_length = static_cast<std::uint16_t>(size),
                 .padding_length = padding_for(size)},
                out);
}

RequestWriter::RequestWriter(std::span<char> out) noexcept : out_(out) {
  if (out_.size() < kBeginRequestSize + kTail) {
    overflow_ = true;
    return;
  }
  write_record_header(0, RecordType::kBeginRequest, kHeaderSize);
  const std::array<char, kHeaderSize> body{0, static_cast<char>(kRoleResponder),
                                           static_cast<char>(kKeepConn)};
  std::memcpy(out_.data() + kHeaderSize, body.data(), body.size());
  pos_ = kBeginRequestSize;
}

void RequestWriter::write_record_header(std::size_t at, RecordType type,
                                        std::size_t content) noexcept {
  encode_header({.type = type,
                 .content_length = static_cast<std::uint16_t>(content),
                 .padding_length = padding_for(content)},
                out_.subspan(at).first<kHeaderSize>());
}

void RequestWriter::append(std::string_view bytes, Case letter_case) noexcept {
  while (!bytes.empty() && !overflow_) {
    if (content_ == 0) {
      if (out_.size() - pos_ < kHeaderSize + kTail + 1) {
        overflow_ = true;
        return;
      }
      record_start_ = pos_;
      pos_ += kHeaderSize;
    }
    const std::size_t room = out_.size() - pos_ - kTail;
    const std::size_t n = std::min({bytes.size(), kMaxContent - content_, room});
    if (n == 0) {
      overflow_ = true;
      return;
    }
    char* to = out_.data() + pos_;
    if (letter_case == Case::kHeaderName) {
      std::ranges::transform(bytes.substr(0, n), to, header_name_char);
    } else {
      std::memcpy(to, bytes.data(), n);
    }
    pos_ += n;
    content_ += n;
    bytes.remove_prefix(n);
    if (content_ == kMaxContent) close_record();
  }
}

void RequestWriter::close_record() noexcept {
  if (content_ == 0) return;
  write_record_header(record_start_, RecordType::kParams, content_);
  const std::uint8_t padding = padding_for(content_);
  std::memset(out_.data() + pos_, 0, padding);
  pos_ += padding;
  content_ = 0;
}

void RequestWriter::param(std::string_view name,
                          std::initializer_list<std::string_view> value) noexcept {
  std::size_t value_size = 0;
  for (const std::string_view piece : value)
    value_size += piece.size();
  std::array<char, 8> lengths{};
  const std::size_t prefix = encode_pair_lengths(name.size(), value_size, lengths);
  append({lengths.data(), prefix}, Case::kAsIs);
  append(name, Case::kAsIs);
  for (const std::string_view piece : value)
    append(piece, Case::kAsIs);
}

void RequestWriter::header_param(std::string_view field_name, std::size_t value_size) noexcept {
  constexpr std::string_view kPrefix = "HTTP_";
  std::array<char, 8> lengths{};
  const std::size_t prefix =
      encode_pair_lengths(kPrefix.size() + field_name.size(), value_size, lengths);
  append({lengths.data(), prefix}, Case::kAsIs);
  append(kPrefix, Case::kAsIs);
  append(field_name, Case::kHeaderName);
}

std::size_t RequestWriter::finish(bool end_stdin) noexcept {
  if (overflow_) return 0;
  close_record();
  write_record_header(pos_, RecordType::kParams, 0);
  pos_ += kHeaderSize;
  if (end_stdin) {
    std::memcpy(out_.data() + pos_, kStdinEnd.data(), kStdinEnd.size());
    pos_ += kHeaderSize;
  }
  return pos_;
}

}  // namespace bulwark::http::fastcgi
