#include "proxy/filter_registry.h"

#include <variant>

namespace bulwark::proxy {
namespace {

// Until the headers filter lands: a filter that passes everything through.
class PassThroughFactory final : public FilterFactory {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "headers"; }
  [[nodiscard]] Filter* create(core::Arena& arena) const override { return arena.make<Filter>(); }
};

}  // namespace

std::unique_ptr<FilterFactory> make_filter_factory(const config::FilterSpec& /*spec*/,
                                                   const config::Config& /*config*/) {
  return std::make_unique<PassThroughFactory>();
}

}  // namespace bulwark::proxy
