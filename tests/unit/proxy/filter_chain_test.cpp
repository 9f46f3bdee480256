#include "proxy/filter/filter_chain.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fake_context.h"
#include "http/message.h"

namespace bulwark::proxy {
namespace {

using fakes::FakeContext;

// The chain takes the factories' addresses; the snapshot owns them, here the test does.
std::vector<const FilterFactory*> pointers(const std::vector<std::unique_ptr<FilterFactory>>& all) {
  std::vector<const FilterFactory*> out;
  for (const auto& factory : all)
    out.push_back(factory.get());
  return out;
}

// What every recording filter writes to, e.g. "a:req_headers", "b:~".
struct Journal {
  std::vector<std::string> events;
  // Scripted verdicts per "<filter>:<hook>"; kContinue when the script is exhausted.
  std::map<std::string, std::deque<Verdict>> script;
  // A filter that responds locally instead of following the script.
  std::string responder;
  std::vector<StreamSummary> done;

  Verdict next(const std::string& key) {
    auto it = script.find(key);
    if (it == script.end() || it->second.empty()) return Verdict::kContinue;
    const Verdict v = it->second.front();
    it->second.pop_front();
    return v;
  }
};

class RecordingFilter final : public Filter {
 public:
  RecordingFilter(std::string name, Journal& journal) : name_(std::move(name)), journal_(journal) {}
  ~RecordingFilter() override { journal_.events.push_back(name_ + ":~"); }

  Verdict on_request_headers(http::RequestHead&, bool, Context& ctx) override {
    return hook("req_headers", ctx);
  }
  Verdict on_request_body(BodyChunk&, bool, Context& ctx) override { return hook("req_body", ctx); }
  Verdict on_response_headers(http::ResponseHead&, bool, Context& ctx) override {
    return hook("resp_headers", ctx);
  }
  Verdict on_response_body(BodyChunk&, bool, Context& ctx) override {
    return hook("resp_body", ctx);
  }
  void on_stream_done(const StreamSummary& summary) noexcept override {
    journal_.events.push_back(name_ + ":done");
    journal_.done.push_back(summary);
  }

 private:
  Verdict hook(const std::string& which, Context& ctx) {
    const std::string key = name_ + ":" + which;
    journal_.events.push_back(key);
    if (journal_.responder == key) return ctx.respond({.status = 403, .detail = "denied"});
    return journal_.next(key);
  }

  std::string name_;
  Journal& journal_;
};

class RecordingFactory final : public FilterFactory {
 public:
  RecordingFactory(std::string name, Journal& journal)
      : name_(std::move(name)), journal_(journal) {}
  [[nodiscard]] std::string_view name() const noexcept override { return name_; }
  [[nodiscard]] Filter* create(core::Arena& arena) const override {
    return arena.make<RecordingFilter>(name_, journal_);
  }

 private:
  std::string name_;
  Journal& journal_;
};

class FilterChainTest : public ::testing::Test {
 protected:
  void build(std::initializer_list<const char*> names) {
    factories_.clear();
    for (const char* n : names)
      factories_.push_back(std::make_unique<RecordingFactory>(n, journal_));
    chain_.build(pointers(factories_), ctx_.arena());
  }
  Verdict request_headers() { return chain_.request_headers(request_, false, ctx_); }
  Verdict request_body() {
    BodyChunk chunk("body");
    return chain_.request_body(chunk, true, ctx_);
  }
  Verdict response_headers() { return chain_.response_headers(response_, false, ctx_); }
  Verdict response_body() {
    BodyChunk chunk("body");
    return chain_.response_body(chunk, true, ctx_);
  }
  // Events since the last call.
  std::vector<std::string> take_events() { return std::exchange(journal_.events, {}); }

  Journal journal_;
  FakeContext ctx_;  // holds the arena: declared before the chain so the chain is cleared first
  std::vector<std::unique_ptr<FilterFactory>> factories_;
  FilterChain chain_;
  http::RequestHead request_;
  http::ResponseHead response_;
};

using Events = std::vector<std::string>;

// ---- build / clear ------------------------------------------------------------------------------

TEST_F(FilterChainTest, BuildCreatesOneFilterPerFactory) {
  build({"a", "b", "c"});
  EXPECT_EQ(chain_.size(), 3u);
  EXPECT_TRUE(take_events().empty());
}

TEST_F(FilterChainTest, EmptyChainContinues) {
  build({});
  EXPECT_EQ(chain_.size(), 0u);
  EXPECT_EQ(request_headers(), Verdict::kContinue);
  EXPECT_EQ(request_body(), Verdict::kContinue);
  EXPECT_EQ(response_headers(), Verdict::kContinue);
  EXPECT_EQ(response_body(), Verdict::kContinue);
  chain_.stream_done({});
}

TEST_F(FilterChainTest, ClearRunsEveryDestructorOnce) {
  build({"a", "b"});
  chain_.clear();
  EXPECT_EQ(take_events(), (Events{"a:~", "b:~"}));
  EXPECT_EQ(chain_.size(), 0u);
  chain_.clear();
  EXPECT_TRUE(take_events().empty());
}

TEST_F(FilterChainTest, DestructorOfChainRunsFilterDestructors) {
  {
    FilterChain chain;
    std::vector<std::unique_ptr<FilterFactory>> factories;
    factories.push_back(std::make_unique<RecordingFactory>("x", journal_));
    chain.build(pointers(factories), ctx_.arena());
  }
  EXPECT_EQ(take_events(), (Events{"x:~"}));
}

TEST_F(FilterChainTest, RebuildDestroysThePreviousFilters) {
  build({"a"});
  build({"b", "c"});
  EXPECT_EQ(take_events(), (Events{"a:~"}));
  EXPECT_EQ(chain_.size(), 2u);
  EXPECT_EQ(request_headers(), Verdict::kContinue);
  EXPECT_EQ(take_events(), (Events{"b:req_headers", "c:req_headers"}));
}

// ---- order --------------------------------------------------------------------------------------

TEST_F(FilterChainTest, RequestHooksRunInConfiguredOrder) {
  build({"a", "b", "c"});
  EXPECT_EQ(request_headers(), Verdict::kContinue);
  EXPECT_EQ(take_events(), (Events{"a:req_headers", "b:req_headers", "c:req_headers"}));
  EXPECT_EQ(request_body(), Verdict::kContinue);
  EXPECT_EQ(take_events(), (Events{"a:req_body", "b:req_body", "c:req_body"}));
}

TEST_F(FilterChainTest, ResponseHooksRunInReverseOrder) {
  build({"a", "b", "c"});
  EXPECT_EQ(response_headers(), Verdict::kContinue);
  EXPECT_EQ(take_events(), (Events{"c:resp_headers", "b:resp_headers", "a:resp_headers"}));
  EXPECT_EQ(response_body(), Verdict::kContinue);
  EXPECT_EQ(take_events(), (Events{"c:resp_body", "b:resp_body", "a:resp_body"}));
}

TEST_F(FilterChainTest, EachCompletedPhaseStartsOverFromTheFirstFilter) {
  build({"a", "b"});
  request_body();
  take_events();
  request_body();
  EXPECT_EQ(take_events(), (Events{"a:req_body", "b:req_body"}));
  response_body();
  take_events();
  response_body();
  EXPECT_EQ(take_events(), (Events{"b:resp_body", "a:resp_body"}));
}

TEST_F(FilterChainTest, HooksSeeTheArgumentsTheChainWasGiven) {
  struct Inspecting final : Filter {
    Verdict on_request_headers(http::RequestHead& head, bool end_stream, Context&) override {
      head.headers.add("x-seen", end_stream ? "end" : "more");
      return Verdict::kContinue;
    }
    Verdict on_response_body(BodyChunk& chunk, bool, Context&) override {
      chunk.replace("rewritten");
      return Verdict::kContinue;
    }
  };
  struct InspectingFactory final : FilterFactory {
    std::string_view name() const noexcept override { return "inspect"; }
    Filter* create(core::Arena& arena) const override { return arena.make<Inspecting>(); }
  };
  std::vector<std::unique_ptr<FilterFactory>> factories;
  factories.push_back(std::make_unique<InspectingFactory>());
  chain_.build(pointers(factories), ctx_.arena());
  EXPECT_EQ(chain_.request_headers(request_, true, ctx_), Verdict::kContinue);
  EXPECT_EQ(request_.headers.get("x-seen"), "end");
  BodyChunk chunk("original");
  EXPECT_EQ(chain_.response_body(chunk, false, ctx_), Verdict::kContinue);
  EXPECT_EQ(chunk.data(), "rewritten");
  chain_.clear();
}

// ---- kRespond -----------------------------------------------------------------------------------

TEST_F(FilterChainTest, RespondStopsTheRequestPhase) {
  build({"a", "b", "c"});
  journal_.responder = "b:req_headers";
  EXPECT_EQ(request_headers(), Verdict::kRespond);
  EXPECT_EQ(take_events(), (Events{"a:req_headers", "b:req_headers"}));
  ASSERT_EQ(ctx_.replies.size(), 1u);
  EXPECT_EQ(ctx_.replies[0].status, 403);
  EXPECT_EQ(ctx_.replies[0].detail, "denied");
}

TEST_F(FilterChainTest, RespondResetsSoTheNextPhaseStartsAtTheBeginning) {
  build({"a", "b", "c"});
  journal_.script["b:req_headers"] = {Verdict::kRespond};
  EXPECT_EQ(request_headers(), Verdict::kRespond);
  take_events();
  // Response filters still run over the local reply, all of them, in reverse.
  EXPECT_EQ(response_headers(), Verdict::kContinue);
  EXPECT_EQ(take_events(), (Events{"c:resp_headers", "b:resp_headers", "a:resp_headers"}));
}

TEST_F(FilterChainTest, RespondThenSamePhaseAgainRestartsFromFirstFilter) {
  build({"a", "b", "c"});
  journal_.script["b:req_body"] = {Verdict::kRespond};
  EXPECT_EQ(request_body(), Verdict::kRespond);
  take_events();
  EXPECT_EQ(request_body(), Verdict::kContinue);
  EXPECT_EQ(take_events(), (Events{"a:req_body", "b:req_body", "c:req_body"}));
}

TEST_F(FilterChainTest, RespondInResponsePhaseStopsReverseIteration) {
  build({"a", "b", "c"});
  journal_.script["b:resp_headers"] = {Verdict::kRespond};
  EXPECT_EQ(response_headers(), Verdict::kRespond);
  EXPECT_EQ(take_events(), (Events{"c:resp_headers", "b:resp_headers"}));
  EXPECT_EQ(response_headers(), Verdict::kContinue);
  EXPECT_EQ(take_events(), (Events{"c:resp_headers", "b:resp_headers", "a:resp_headers"}));
}

// ---- kPause -------------------------------------------------------------------------------------

TEST_F(FilterChainTest, PauseStopsThePhase) {
  build({"a", "b", "c"});
  journal_.script["a:req_headers"] = {Verdict::kPause};
  EXPECT_EQ(request_headers(), Verdict::kPause);
  EXPECT_EQ(take_events(), (Events{"a:req_headers"}));
}

TEST_F(FilterChainTest, PauseResumesFromTheNextFilter) {
  build({"a", "b", "c"});
  journal_.script["b:req_headers"] = {Verdict::kPause};
  EXPECT_EQ(request_headers(), Verdict::kPause);
  EXPECT_EQ(take_events(), (Events{"a:req_headers", "b:req_headers"}));
  EXPECT_EQ(request_headers(), Verdict::kContinue);
  EXPECT_EQ(take_events(), (Events{"c:req_headers"}));
  // Completed: the next call starts from the first filter again.
  EXPECT_EQ(request_headers(), Verdict::kContinue);
  EXPECT_EQ(take_events(), (Events{"a:req_headers", "b:req_headers", "c:req_headers"}));
}

TEST_F(FilterChainTest, PauseInTheLastFilterCompletesOnTheNextCall) {
  build({"a", "b"});
  journal_.script["b:req_headers"] = {Verdict::kPause};
  EXPECT_EQ(request_headers(), Verdict::kPause);
  take_events();
  EXPECT_EQ(request_headers(), Verdict::kContinue);
  EXPECT_TRUE(take_events().empty());
}

TEST_F(FilterChainTest, SeveralPausesInOnePhase) {
  build({"a", "b", "c"});
  journal_.script["a:req_headers"] = {Verdict::kPause};
  journal_.script["c:req_headers"] = {Verdict::kPause};
  EXPECT_EQ(request_headers(), Verdict::kPause);
  EXPECT_EQ(take_events(), (Events{"a:req_headers"}));
  EXPECT_EQ(request_headers(), Verdict::kPause);
  EXPECT_EQ(take_events(), (Events{"b:req_headers", "c:req_headers"}));
  EXPECT_EQ(request_headers(), Verdict::kContinue);
  EXPECT_TRUE(take_events().empty());
}

TEST_F(FilterChainTest, PauseInResponsePhaseResumesWithTheNextFilterInReverse) {
  build({"a", "b", "c"});
  journal_.script["b:resp_headers"] = {Verdict::kPause};
  EXPECT_EQ(response_headers(), Verdict::kPause);
  EXPECT_EQ(take_events(), (Events{"c:resp_headers", "b:resp_headers"}));
  EXPECT_EQ(response_headers(), Verdict::kContinue);
  EXPECT_EQ(take_events(), (Events{"a:resp_headers"}));
}

// ---- kBuffer ------------------------------------------------------------------------------------

TEST_F(FilterChainTest, BufferResumesAtTheSameFilter) {
  build({"a", "b", "c"});
  journal_.script["b:req_body"] = {Verdict::kBuffer};
  EXPECT_EQ(request_body(), Verdict::kBuffer);
  EXPECT_EQ(take_events(), (Events{"a:req_body", "b:req_body"}));
  EXPECT_EQ(request_body(), Verdict::kContinue);
  EXPECT_EQ(take_events(), (Events{"b:req_body", "c:req_body"}));
}

TEST_F(FilterChainTest, RepeatedBufferKeepsCallingTheSameFilter) {
  build({"a", "b"});
  journal_.script["a:req_body"] = {Verdict::kBuffer, Verdict::kBuffer};
  EXPECT_EQ(request_body(), Verdict::kBuffer);
  EXPECT_EQ(request_body(), Verdict::kBuffer);
  EXPECT_EQ(request_body(), Verdict::kContinue);
  EXPECT_EQ(take_events(), (Events{"a:req_body", "a:req_body", "a:req_body", "b:req_body"}));
}

TEST_F(FilterChainTest, BufferInResponseBodyResumesAtTheSameFilter) {
  build({"a", "b", "c"});
  journal_.script["b:resp_body"] = {Verdict::kBuffer};
  EXPECT_EQ(response_body(), Verdict::kBuffer);
  EXPECT_EQ(take_events(), (Events{"c:resp_body", "b:resp_body"}));
  EXPECT_EQ(response_body(), Verdict::kContinue);
  EXPECT_EQ(take_events(), (Events{"b:resp_body", "a:resp_body"}));
}

// ---- stream_done --------------------------------------------------------------------------------

TEST_F(FilterChainTest, StreamDoneReachesEveryFilterExactlyOnce) {
  build({"a", "b", "c"});
  chain_.stream_done({.status = 502, .completed = false});
  chain_.stream_done({.status = 200, .completed = true});
  EXPECT_EQ(take_events(), (Events{"a:done", "b:done", "c:done"}));
  ASSERT_EQ(journal_.done.size(), 3u);
  for (const StreamSummary& s : journal_.done) {
    EXPECT_EQ(s.status, 502);
    EXPECT_FALSE(s.completed);
  }
}

TEST_F(FilterChainTest, StreamDoneAfterRespondOrPauseStillReachesEveryFilter) {
  build({"a", "b", "c"});
  journal_.script["a:req_headers"] = {Verdict::kPause};
  request_headers();
  take_events();
  chain_.stream_done({.status = 499});
  EXPECT_EQ(take_events(), (Events{"a:done", "b:done", "c:done"}));
}

TEST_F(FilterChainTest, RebuiltChainGetsStreamDoneAgain) {
  build({"a"});
  chain_.stream_done({});
  build({"b"});
  chain_.stream_done({});
  EXPECT_EQ(take_events(), (Events{"a:done", "a:~", "b:done"}));
}

}  // namespace
}  // namespace bulwark::proxy
