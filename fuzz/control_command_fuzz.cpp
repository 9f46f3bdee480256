// libFuzzer target for the operator's command language (src/admin/control_commands.h) over a
// small fixed set of clusters. Besides memory and UB errors (ASan, UBSan) it checks that:
//  - every answer has text, and is `ok` exactly when it does not start with "error: ",
//  - an error is one line for a line without '\n' (the control socket splits on '\n'),
//  - an endpoint command that answers ok left the endpoint in the state it names.
//
// Input: what a client writes to the control socket; each '\n'-separated line is one command,
// and the whole input is also run as one line.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "admin/control_commands.h"
#include "fuzz_check.h"

namespace {

using bulwark::fuzz::check;
using namespace bulwark;

// A snapshot's clusters, as control_commands_test.cpp builds them; made per input so that one
// input's commands do not change what the next one sees.
struct Snapshot {
  Snapshot() {
    clusters.push_back(cluster("backend", {"127.0.0.1:8001", "127.0.0.1:8002"}));
    clusters.push_back(cluster("api", {"[::1]:80"}));
    clusters.push_back(cluster("empty", {}));
  }

  upstream::Cluster cluster(const std::string& name, std::initializer_list<std::string> labels) {
    upstream::Cluster made;
    made.name = name;
    made.counters = board.counters(name);
    for (const std::string& label : labels)
      made.endpoints.push_back({asio::ip::tcp::endpoint(), label, board.endpoint(name, label)});
    return made;
  }

  upstream::StateBoard board;
  std::vector<upstream::Cluster> clusters;
};

void check_state_set(std::string_view line, Snapshot& snapshot) {
  const std::vector<std::string_view> words = admin::words_of(line);
  if (words.size() != 4 || words[0] != "endpoint") return;
  const auto state = words[1] == "drain"     ? upstream::AdminState::kDraining
                     : words[1] == "disable" ? upstream::AdminState::kDisabled
                                             : upstream::AdminState::kActive;
  const auto endpoint = snapshot.board.find(words[2], words[3]);
  check(endpoint != nullptr, "ok names an endpoint of the snapshot");
  check(endpoint->admin() == state, "ok leaves the endpoint in the state named");
}

void run(std::string_view line, Snapshot& snapshot) {
  const admin::ControlAnswer answer = admin::run_control_command(line, snapshot.clusters);
  check(!answer.text.empty(), "an answer has text");
  check(answer.ok != answer.text.starts_with("error: "), "ok exactly when not an error");
  if (answer.ok) {
    check_state_set(line, snapshot);
  } else if (line.find('\n') == std::string_view::npos) {
    check(answer.text.find('\n') == std::string::npos, "an error is one line");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Snapshot snapshot;
  for (std::size_t start = 0; start <= input.size();) {
    const std::size_t end = std::min(input.find('\n', start), input.size());
    run(input.substr(start, end - start), snapshot);
    start = end + 1;
  }
  run(input, snapshot);
  return 0;
}
