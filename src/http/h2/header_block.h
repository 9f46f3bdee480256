#pragma once
// Builds the nghttp2 name/value list of an outgoing header section from a HeaderMap: names
// lower-cased (RFC 9113 §8.2.1), connection-specific fields dropped (§8.2.2). nghttp2 copies the
// list when a frame is submitted, so one block is reused for every submission of a session.

#include <nghttp2/nghttp2.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/header_map.h"

namespace bulwark::http::h2 {

// RFC 9113 §8.2.2: fields that only mean something to one HTTP/1.1 connection.
bool is_connection_specific(std::string_view name) noexcept;

class HeaderBlock {
 public:
  // Which section is built: requests keep "te: trailers" and lose Host (it became :authority).
  enum class Kind : std::uint8_t { kRequest, kResponse, kTrailers };

  void clear() noexcept;
  // A pseudo-header or a name known to be lower case; both views must outlive submission.
  void add(std::string_view name, std::string_view value);
  void add_status(std::uint16_t status);
  // The fields of `fields` that may cross an HTTP/2 hop.
  void add_fields(const HeaderMap& fields, Kind kind);

  // The list, valid until the next change; the views passed in must still be alive.
  [[nodiscard]] const nghttp2_nv* data();
  [[nodiscard]] std::size_t size() const noexcept { return nva_.size(); }

 private:
  static constexpr std::size_t kExternal = static_cast<std::size_t>(-1);

  std::vector<nghttp2_nv> nva_;
  // Lower-cased copies of names; nva_ points into it only once data() is called, as appending
  // may move it.
  std::string names_;
  std::vector<std::size_t> name_offsets_;  // per entry: offset into names_, or kExternal
  std::array<char, 3> status_{};
};

}  // namespace bulwark::http::h2
