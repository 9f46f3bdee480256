// The loader on bad input: every class of mistake, at its exact line and column, all at once.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.h"

namespace bulwark::config {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

// Each diagnostic as `bulwark validate` prints it (hint included).
std::vector<std::string> errors_of(std::string_view yaml) {
  const LoadResult result = load_config_string(yaml, "t.yaml");
  EXPECT_EQ(result.config, nullptr);
  std::vector<std::string> lines;
  for (const Diagnostic& d : result.errors)
    lines.push_back(d.format());
  return lines;
}

// A valid rest of a file, appended after the lines under test so their numbers stay put.
constexpr std::string_view kValidTail = R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        routes:
          - proxy: { cluster: demo }
clusters:
  - name: demo
    endpoints: [127.0.0.1:8081]
)";

std::vector<std::string> errors_with_tail(std::string_view head) {
  return errors_of(std::string(head) + std::string(kValidTail));
}

TEST(LoaderErrorsTest, SyntaxError) {
  EXPECT_THAT(errors_of("listeners: [a, b\nclusters: []\n"),
              ElementsAre("t.yaml:2:9: YAML syntax error: end of sequence flow not found"));
}

TEST(LoaderErrorsTest, TabIndentationGetsAHint) {
  EXPECT_THAT(errors_of("listeners:\n\t- name: a\n"),
              ElementsAre("t.yaml:2:2: YAML syntax error: illegal block entry"
                          "\n  hint: YAML does not allow tabs for indentation; use spaces"));
}

TEST(LoaderErrorsTest, StrayFlowTokenDoesNotHang) {
  // yaml-cpp 0.7's LoadAll loops forever on this; the loader must not.
  EXPECT_THAT(errors_of(","), ElementsAre("t.yaml:1:1: YAML syntax error: unexpected ','"));
  EXPECT_THAT(errors_of("a\n...\n,\n"),
              ElementsAre("t.yaml:3:1: YAML syntax error: unexpected ','"));
}

TEST(LoaderErrorsTest, EmptyFileAndWrongRoot) {
  EXPECT_THAT(errors_of(""),
              ElementsAre("t.yaml:1:1: the configuration is empty\n  hint: start from "
                          "examples/quickstart.yaml; at least one listener is required"));
  EXPECT_THAT(errors_of("- a\n"),
              ElementsAre("t.yaml:1:1: the configuration: expected a map, got a list"));
  EXPECT_THAT(errors_of("workers: 2\n"),
              ElementsAre("t.yaml:1:1: the configuration: missing required key 'listeners'"));
}

TEST(LoaderErrorsTest, SeveralDocuments) {
  EXPECT_THAT(errors_of("workers: 1\n---\nworkers: 2\n"),
              ElementsAre("t.yaml:2:1: the file holds 2 YAML documents; bulwark reads one\n"
                          "  hint: remove the '---' separators"));
}

TEST(LoaderErrorsTest, UnknownKeyWithSuggestion) {
  EXPECT_THAT(errors_with_tail("limits:\n  max_body: 1MiB\nlistner: x\ntls: {}\n"),
              ElementsAre("t.yaml:2:3: unknown key 'max_body' in limits\n"
                          "  hint: did you mean 'max_body_bytes'?",
                          "t.yaml:3:1: unknown key 'listner'\n  hint: did you mean 'listeners'?",
                          // The list grows with every top-level key; its start is enough.
                          StartsWith("t.yaml:4:1: unknown key 'tls'\n  hint: the keys are: "
                                     "workers, limits, timeouts, forwarding")));
}

TEST(LoaderErrorsTest, DuplicateKey) {
  EXPECT_THAT(errors_with_tail("workers: 2\nlimits: { buffer_size: 64KiB, buffer_size: 1MiB }\n"
                               "workers: 4\n"),
              ElementsAre("t.yaml:2:31: duplicate key 'buffer_size' in limits (first at line 2, "
                          "column 11)\n  hint: YAML readers disagree on which one wins; remove "
                          "one of them",
                          "t.yaml:3:1: duplicate key 'workers' (first at line 1, column 1)\n"
                          "  hint: YAML readers disagree on which one wins; remove one of them"));
}

TEST(LoaderErrorsTest, WrongTypes) {
  EXPECT_THAT(errors_with_tail("limits: 16KiB\ntimeouts: [1s]\nforwarding:\n  via: { a: b }\n"),
              ElementsAre("t.yaml:1:9: limits: expected a map, got '16KiB'",
                          "t.yaml:2:11: timeouts: expected a map, got a list",
                          "t.yaml:4:8: via: expected a string, got a map"));
}

TEST(LoaderErrorsTest, Yaml11BooleanWhereAStringIsExpected) {
  EXPECT_THAT(errors_with_tail("forwarding:\n  via: no\nrequest_id: { header: on }\n"),
              ElementsAre("t.yaml:2:8: via: no is a boolean in YAML 1.1, not a string\n"
                          "  hint: quote it: \"no\"",
                          "t.yaml:3:23: header: on is a boolean in YAML 1.1, not a string\n"
                          "  hint: quote it: \"on\""));
}

TEST(LoaderErrorsTest, BooleanNeedsTrueOrFalse) {
  EXPECT_THAT(errors_with_tail("forwarding: { x_forwarded: yes, forwarded: 1 }\n"),
              ElementsAre("t.yaml:1:28: x_forwarded: expected true or false, got 'yes'\n"
                          "  hint: write true or false; YAML 1.2 readers take yes/no/on/off as "
                          "strings",
                          "t.yaml:1:44: forwarded: expected true or false, got '1'"));
}

TEST(LoaderErrorsTest, LeadingZero) {
  EXPECT_THAT(errors_with_tail("workers: 010\nlimits:\n  max_header_count: 0100\n"),
              ElementsAre("t.yaml:1:10: workers: '010' has a leading zero, which YAML 1.1 reads "
                          "as an octal number\n  hint: write 10 if you mean the decimal number",
                          "t.yaml:3:21: max_header_count: '0100' has a leading zero, which YAML "
                          "1.1 reads as an octal number\n  hint: write 100 if you mean the "
                          "decimal number"));
}

TEST(LoaderErrorsTest, OutOfRange) {
  EXPECT_THAT(errors_with_tail("workers: 2000\nlimits: { max_header_bytes: 100B }\n"
                               "timeouts: { idle: 0s }\n"),
              ElementsAre("t.yaml:1:10: workers: 2000 is out of range (from 1 to 1024)",
                          "t.yaml:2:29: max_header_bytes: 100B is out of range (from 1KiB to "
                          "1MiB)",
                          "t.yaml:3:19: idle: 0s is out of range (from 1ms to 24h)"));
  EXPECT_THAT(errors_with_tail("workers: lots\n"),
              ElementsAre("t.yaml:1:10: workers: expected auto or a number from 1 to 1024, got "
                          "'lots'"));
}

TEST(LoaderErrorsTest, SizeAndDurationUnits) {
  EXPECT_THAT(errors_with_tail("limits: { max_body_bytes: 10MB }\ntimeouts:\n  idle: 60\n"),
              ElementsAre("t.yaml:1:27: max_body_bytes: unknown size unit 'MB' in '10MB'\n"
                          "  hint: write MiB (1024 KiB); decimal units are not accepted",
                          "t.yaml:3:9: idle: the duration '60' has no unit\n"
                          "  hint: write 60s for seconds or 60ms for milliseconds"));
}

TEST(LoaderErrorsTest, ControlSocket) {
  const std::string longest = "/" + std::string(106, 's');  // 107 bytes: fits
  EXPECT_NE(
      load_config_string("control_socket: " + longest + "\n" + std::string(kValidTail), "t.yaml")
          .config,
      nullptr);
  EXPECT_THAT(errors_with_tail("control_socket: " + longest + "s\n"),
              ElementsAre("t.yaml:1:17: control_socket: the path is 108 bytes long; a Unix "
                          "socket path holds at most 107\n  hint: choose a shorter path, such "
                          "as /run/bulwark/control.sock"));
  EXPECT_THAT(errors_with_tail("control_socket: [a]\ncontrol_socket: no\n"),
              ElementsAre("t.yaml:1:17: control_socket: expected a string, got a list",
                          "t.yaml:2:1: duplicate key 'control_socket' (first at line 1, column "
                          "1)\n  hint: YAML readers disagree on which one wins; remove one of "
                          "them"));
}

TEST(LoaderErrorsTest, BufferSmallerThanHeaderLimit) {
  EXPECT_THAT(errors_with_tail("limits:\n  max_header_bytes: 64KiB\n  buffer_size: 32KiB\n"),
              ElementsAre("t.yaml:3:16: buffer_size (32KiB) is smaller than max_header_bytes "
                          "(64KiB)\n  hint: a request head must fit in one buffer: raise "
                          "buffer_size to at least 64KiB or lower max_header_bytes"));
  // Against the default head limit too, pointing at the key that was written.
  EXPECT_THAT(errors_with_tail("limits: { buffer_size: 8KiB }\n"),
              ElementsAre("t.yaml:1:24: buffer_size (8KiB) is smaller than max_header_bytes "
                          "(32KiB)\n  hint: a request head must fit in one buffer: raise "
                          "buffer_size to at least 32KiB or lower max_header_bytes"));
}

TEST(LoaderErrorsTest, HeaderLimitAboveTheDefaultBufferPointsAtIt) {
  EXPECT_THAT(errors_with_tail("limits:\n  max_header_bytes: 64KiB\n"),
              ElementsAre("t.yaml:2:21: buffer_size (32KiB) is smaller than max_header_bytes "
                          "(64KiB)\n  hint: a request head must fit in one buffer: raise "
                          "buffer_size to at least 64KiB or lower max_header_bytes"));
}

TEST(LoaderErrorsTest, RequestLineAboveHeaderLimit) {
  EXPECT_THAT(errors_with_tail("limits: { max_request_line: 16KiB, max_header_bytes: 8KiB }\n"),
              ElementsAre("t.yaml:1:29: max_request_line (16KiB) is larger than max_header_bytes "
                          "(8KiB)\n  hint: the request line is part of the head that "
                          "max_header_bytes limits"));
}

TEST(LoaderErrorsTest, BadAddresses) {
  EXPECT_THAT(errors_of(R"(forwarding: { trusted_networks: [10.0.0.0/33] }
listeners:
  - name: public
    listen: localhost
    virtual_hosts:
      - domains: ["*"]
        routes:
          - proxy: { cluster: demo }
clusters:
  - name: demo
    endpoints: [127.0.0.1:8081, "127.0.0.1:99999"]
)"),
              ElementsAre("t.yaml:1:34: trusted_networks[0]: bad network '10.0.0.0/33': the "
                          "prefix length is out of range\n  hint: write an address or "
                          "ADDRESS/PREFIX, e.g. 10.0.0.0/8 or ::1",
                          "t.yaml:4:13: listen: bad address 'localhost': expected HOST:PORT\n"
                          "  hint: write HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080",
                          "t.yaml:11:33: endpoints[1]: bad address '127.0.0.1:99999': the port "
                          "must be a number from 1 to 65535\n  hint: write HOST:PORT, e.g. "
                          "127.0.0.1:8080 or [::1]:8080"));
}

TEST(LoaderErrorsTest, DuplicateListenerNamesAndAddresses) {
  EXPECT_THAT(errors_of(R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts: [ { domains: ["*"], routes: [ { direct_response: {} } ] } ]
  - name: public
    listen: 127.0.0.1:8081
    virtual_hosts: [ { domains: ["*"], routes: [ { direct_response: {} } ] } ]
  - name: other
    listen: 127.0.0.1:8080
    virtual_hosts: [ { domains: ["*"], routes: [ { direct_response: {} } ] } ]
  - name: any
    listen: 0.0.0.0:8081
    virtual_hosts: [ { domains: ["*"], routes: [ { direct_response: {} } ] } ]
)"),
              ElementsAre("t.yaml:5:11: name: duplicate listener name 'public' (first at line "
                          "2)\n  hint: listener names must be unique",
                          "t.yaml:9:13: listen: 127.0.0.1:8080 is already used by listener "
                          "'public' (line 2)\n  hint: each listener needs its own address and port",
                          "t.yaml:12:13: listen: 0.0.0.0:8081 overlaps 127.0.0.1:8081 of listener "
                          "'public' (line 5)\n  hint: each listener needs its own address and "
                          "port"));
}

TEST(LoaderErrorsTest, ClusterProblems) {
  EXPECT_THAT(errors_of(R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        routes:
          - match: { prefix: /a/ }
            proxy: { cluster: dmeo }
          - match: { prefix: /b/ }
            proxy: { cluster: nowhere }
          - proxy: { cluster: empty }
clusters:
  - name: demo
    balancer: least_conn
    endpoints: [127.0.0.1:8081]
  - name: demo
    endpoints: [127.0.0.1:8082]
  - name: empty
    endpoints: []
  - name: missing
)"),
              ElementsAre("t.yaml:8:31: cluster: cluster 'dmeo' is not defined\n"
                          "  hint: did you mean 'demo'?",
                          "t.yaml:10:31: cluster: cluster 'nowhere' is not defined\n"
                          "  hint: the clusters are: demo, demo, empty, missing",
                          "t.yaml:14:15: balancer: unknown value 'least_conn'\n"
                          "  hint: the choices are: round_robin, weighted_round_robin, "
                          "least_request, p2c_ewma, random, source_ip_hash, consistent_hash",
                          "t.yaml:16:11: name: duplicate cluster name 'demo' (first at line 13)\n"
                          "  hint: cluster names must be unique",
                          "t.yaml:19:16: endpoints: cluster 'empty' has no endpoints\n"
                          "  hint: list at least one HOST:PORT, e.g. endpoints: [ 127.0.0.1:8081 ]",
                          "t.yaml:20:5: clusters[3]: missing required key 'endpoints'"));
}

TEST(LoaderErrorsTest, ShadowedRoutes) {
  EXPECT_THAT(errors_of(R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        routes:
          - match: { prefix: /api }
            direct_response: { status: 404 }
          - match: { exact: /api/v1 }
            direct_response: { status: 200 }
          - match: { prefix: /apix }
            direct_response: { status: 200 }
          - match: { prefix: /b/ }
            direct_response: { status: 200 }
          - match: { exact: /b }
            direct_response: { status: 200 }
          - match: { prefix: / }
            direct_response: { status: 200 }
          - match: { exact: /hello }
            direct_response: { status: 200 }
)"),
              ElementsAre("t.yaml:9:13: this route (exact /api/v1) can never match: the route at "
                          "line 7 (prefix /api) comes before it and matches all its paths\n"
                          "  hint: put more specific routes first",
                          "t.yaml:11:13: this route (prefix /apix) can never match: the route at "
                          "line 7 (prefix /api) comes before it and matches all its paths\n"
                          "  hint: put more specific routes first",
                          "t.yaml:19:13: this route (exact /hello) can never match: the catch-all "
                          "route at line 17 (prefix /) comes before it\n"
                          "  hint: move the catch-all route to the end of routes"));
}

TEST(LoaderErrorsTest, RouteShapes) {
  EXPECT_THAT(errors_of(R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*", "bad host", "*"]
        routes:
          - match: { prefix: /a, exact: /b }
            direct_response: {}
          - match: { prefix: api }
            direct_response: { status: 700, headers: { content-length: "5", x-a: "1" } }
          - match: { exact: /x }
          - match: { exact: /y }
            direct_response: { status: 204, body: "no" }
            proxy: { cluster: demo }
          - match: { exact: /z }
            direct_response: { status: 204, body: "x" }
      - domains: []
        routes: []
)"),
              ElementsAre("t.yaml:5:24: domains[1]: 'bad host' is not a domain\n  hint: write a "
                          "host name (example.com), a wildcard (*.example.com) or * for any host, "
                          "optionally with :PORT; no scheme",
                          "t.yaml:5:36: domains[2]: domain '*' is listed twice on this listener "
                          "(first at line 5, column 19)\n  hint: each domain belongs to one "
                          "virtual host per listener",
                          "t.yaml:7:41: match: give prefix or exact, not both",
                          "t.yaml:9:30: prefix: 'api' must start with '/'",
                          "t.yaml:10:40: status: 700 is out of range (from 100 to 599)",
                          "t.yaml:10:56: headers: content-length is set by bulwark, not by the "
                          "configuration",
                          "t.yaml:11:13: routes[2]: the route has no action\n  hint: add proxy: "
                          "{ cluster: NAME }, redirect: {...}, direct_response: { status: 200 } "
                          "or static: { root: DIR }",
                          "t.yaml:13:30: routes[3]: a route has one action; proxy and "
                          "direct_response are both given\n  hint: keep one of proxy, redirect, "
                          "direct_response, static",
                          "t.yaml:16:51: body: a 204 response cannot have a body",
                          "t.yaml:17:18: domains: a virtual host needs at least one domain\n"
                          "  hint: write domains: [\"*\"] to match every host",
                          "t.yaml:18:17: routes: a virtual host needs at least one route"));
}

TEST(LoaderErrorsTest, MissingRequiredKeys) {
  EXPECT_THAT(errors_of("listeners:\n  - name: a\n  - listen: 127.0.0.1:1\n"),
              ElementsAre("t.yaml:2:5: listeners[0]: missing required key 'listen'",
                          "t.yaml:2:5: listeners[0]: missing required key 'virtual_hosts'",
                          "t.yaml:3:5: listeners[1]: missing required key 'name'",
                          "t.yaml:3:5: listeners[1]: missing required key 'virtual_hosts'"));
  EXPECT_THAT(errors_of("listeners: []\n"),
              ElementsAre("t.yaml:1:12: listeners: at least one listener is required\n  hint: "
                          "e.g. listeners: [ { name: public, listen: 127.0.0.1:8080, "
                          "virtual_hosts: ... } ]"));
}

TEST(LoaderErrorsTest, EnvironmentVariables) {
  ::unsetenv("BULWARK_TEST_UNDEFINED");
  EXPECT_THAT(errors_with_tail("forwarding:\n  via: ${BULWARK_TEST_UNDEFINED}\n"),
              ElementsAre("t.yaml:2:8: via: environment variable 'BULWARK_TEST_UNDEFINED' is not "
                          "defined\n  hint: set BULWARK_TEST_UNDEFINED before starting bulwark, or "
                          "write $${ for a literal '${'"));
}

TEST(LoaderErrorsTest, AllErrorsAtOnceInFileOrder) {
  const LoadResult result = load_config_string(R"(workers: 0
limits: { buffer_size: 1KB }
listeners:
  - name: public
    listen: 127.0.0.1
    virtual_hosts:
      - domains: ["*"]
        routes:
          - proxy: { cluster: nope }
clusters:
  - name: other
    endpoints: []
)",
                                               "t.yaml");
  EXPECT_EQ(result.config, nullptr);
  std::vector<std::pair<int, int>> positions;
  for (const Diagnostic& d : result.errors)
    positions.emplace_back(d.mark.line, d.mark.column);
  EXPECT_THAT(positions, ElementsAre(std::pair{1, 10}, std::pair{2, 24}, std::pair{5, 13},
                                     std::pair{9, 31}, std::pair{12, 16}));
}

}  // namespace
}  // namespace bulwark::config
