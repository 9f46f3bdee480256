// Virtual-host domains with a port: which spellings the loader takes and which it refuses.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.h"

namespace bulwark::config {
namespace {

using ::testing::ElementsAre;

LoadResult load_domains(std::string_view domains) {
  const std::string yaml = std::string(R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: )") + std::string(domains) +
                           R"(
        routes:
          - proxy: { cluster: demo }
clusters:
  - name: demo
    endpoints: [127.0.0.1:8081]
)";
  return load_config_string(yaml, "t.yaml");
}

TEST(MatchDomainsTest, DomainsMayCarryAPort) {
  const LoadResult result =
      load_domains(R"(["Example.com:8080", example.com, "*.example.com:443", "*:65535"])");
  ASSERT_NE(result.config, nullptr);
  EXPECT_THAT(result.config->listeners.at(0).virtual_hosts.at(0).domains,
              ElementsAre("example.com:8080", "example.com", "*.example.com:443", "*:65535"));
}

TEST(MatchDomainsTest, BadPortsAreRefused) {
  const LoadResult result = load_domains(
      R"(["a.example:0", "a.example:080", "a.example:65536", "a.example:", "a.example:x", ":80"])");
  EXPECT_EQ(result.config, nullptr);
  std::vector<std::string> lines;
  lines.reserve(result.errors.size());
  for (const Diagnostic& d : result.errors)
    lines.push_back(d.format().substr(0, d.format().find('\n')));
  EXPECT_THAT(lines, ElementsAre("t.yaml:5:19: domains[0]: 'a.example:0' is not a domain",
                                 "t.yaml:5:34: domains[1]: 'a.example:080' is not a domain",
                                 "t.yaml:5:51: domains[2]: 'a.example:65536' is not a domain",
                                 "t.yaml:5:70: domains[3]: 'a.example:' is not a domain",
                                 "t.yaml:5:84: domains[4]: 'a.example:x' is not a domain",
                                 "t.yaml:5:99: domains[5]: ':80' is not a domain"));
}

TEST(MatchDomainsTest, SameNameOnTwoPortsIsNotADuplicate) {
  const LoadResult result = load_domains(R"([a.example, "a.example:81", "a.example:81"])");
  ASSERT_EQ(result.errors.size(), 1U);
  EXPECT_EQ(result.errors[0].format(),
            "t.yaml:5:46: domains[2]: domain 'a.example:81' is listed twice on this listener "
            "(first at line 5, column 30)\n"
            "  hint: each domain belongs to one virtual host per listener");
}

}  // namespace
}  // namespace bulwark::config
