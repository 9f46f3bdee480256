#include "http/h1/body_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace bulwark::http::h1 {
namespace {

using core::ErrorKind;

struct Decoded {
  std::string body;
  bool done = false;
  std::size_t left_over = 0;  // bytes of the input never consumed
  std::vector<std::pair<std::string, std::string>> trailers;
  std::string error;  // detail, empty when none
  ErrorKind kind = ErrorKind::kInternal;
};

// Plays the caller: appends each piece to a buffer, decodes until the decoder needs more bytes,
// and removes what it consumed, checking the contract on every step.
Decoded decode_in_pieces(BodyFraming framing, std::uint64_t length,
                         const std::vector<std::string_view>& pieces,
                         const ParserLimits& limits = {}) {
  BodyDecoder decoder(limits);
  decoder.start(framing, length);
  Decoded out;
  std::string buffer;
  for (const std::string_view piece : pieces) {
    buffer.append(piece);
    while (!decoder.done()) {
      auto step = decoder.decode(buffer);
      if (!step) {
        out.error = std::string(step.error().detail);
        out.kind = step.error().kind;
        return out;
      }
      EXPECT_LE(step->consumed, buffer.size());
      EXPECT_LE(step->data.size(), step->consumed);
      if (!step->data.empty()) {
        // The data is a view into the consumed part of the input.
        EXPECT_GE(step->data.data(), buffer.data());
        EXPECT_LE(step->data.data() + step->data.size(), buffer.data() + step->consumed);
      }
      out.body.append(step->data);
      if (decoder.done()) {
        for (const HeaderField& f : decoder.trailers()) {
          out.trailers.emplace_back(f.name, f.value);
        }
      }
      buffer.erase(0, step->consumed);
      if (step->consumed == 0) break;  // needs more bytes
    }
  }
  out.done = decoder.done();
  out.left_over = buffer.size();
  EXPECT_EQ(decoder.body_bytes(), out.body.size());
  return out;
}

Decoded decode_all(BodyFraming framing, std::uint64_t length, std::string_view input,
                   const ParserLimits& limits = {}) {
  return decode_in_pieces(framing, length, {input}, limits);
}

Decoded decode_chunked(std::string_view input, const ParserLimits& limits = {}) {
  return decode_all(BodyFraming::kChunked, 0, input, limits);
}

std::vector<std::string_view> single_bytes(std::string_view input) {
  std::vector<std::string_view> pieces;
  pieces.reserve(input.size());
  for (std::size_t i = 0; i < input.size(); ++i) {
    pieces.push_back(input.substr(i, 1));
  }
  return pieces;
}

void expect_chunked_rejected(std::string_view input, ErrorKind kind = ErrorKind::kBadRequest) {
  SCOPED_TRACE(testing::Message() << "body: " << testing::PrintToString(std::string(input)));
  const Decoded all = decode_chunked(input);
  const Decoded bytes = decode_in_pieces(BodyFraming::kChunked, 0, single_bytes(input));
  EXPECT_FALSE(all.error.empty());
  EXPECT_EQ(all.kind, kind);
  EXPECT_EQ(bytes.error, all.error);
  EXPECT_EQ(bytes.kind, kind);
}

// ---- Content-Length, none, until close ----------------------------------------------------------

TEST(BodyDecoder, ContentLengthStopsAtTheLength) {
  const Decoded d = decode_all(BodyFraming::kContentLength, 5, "helloGET / HTTP/1.1");
  EXPECT_EQ(d.body, "hello");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.left_over, std::string_view("GET / HTTP/1.1").size());
}

TEST(BodyDecoder, ContentLengthInPieces) {
  const Decoded d = decode_in_pieces(BodyFraming::kContentLength, 11, {"hel", "lo w", "orld"});
  EXPECT_EQ(d.body, "hello world");
  EXPECT_TRUE(d.done);
}

TEST(BodyDecoder, ContentLengthIncompleteIsNotDone) {
  const Decoded d = decode_all(BodyFraming::kContentLength, 10, "abc");
  EXPECT_EQ(d.body, "abc");
  EXPECT_FALSE(d.done);
}

TEST(BodyDecoder, ZeroLengthAndNoBodyAreDoneAtOnce) {
  BodyDecoder decoder(ParserLimits{});
  decoder.start(BodyFraming::kContentLength, 0);
  EXPECT_TRUE(decoder.done());
  decoder.start(BodyFraming::kNone, 99);
  EXPECT_TRUE(decoder.done());
  auto step = decoder.decode("GET / HTTP/1.1\r\n");
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(step->consumed, 0u);
  EXPECT_TRUE(step->data.empty());
}

TEST(BodyDecoder, UntilCloseTakesEverythingUntilEof) {
  BodyDecoder decoder(ParserLimits{});
  decoder.start(BodyFraming::kUntilClose, 0);
  auto step = decoder.decode("some bytes");
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(step->consumed, 10u);
  EXPECT_EQ(step->data, "some bytes");
  EXPECT_FALSE(decoder.done());
  auto empty = decoder.decode("");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->consumed, 0u);
  decoder.finish_at_eof();
  EXPECT_TRUE(decoder.done());
  EXPECT_EQ(decoder.body_bytes(), 10u);
}

TEST(BodyDecoder, EofDoesNotFinishOtherFramings) {
  BodyDecoder decoder(ParserLimits{});
  decoder.start(BodyFraming::kContentLength, 10);
  decoder.finish_at_eof();
  EXPECT_FALSE(decoder.done());
  decoder.start(BodyFraming::kChunked, 0);
  decoder.finish_at_eof();
  EXPECT_FALSE(decoder.done());
}

// ---- Chunked ------------------------------------------------------------------------------------

constexpr std::string_view kChunked =
    "5\r\nhello\r\n7;name=value;flag\r\n, world\r\n0\r\nExpires: never\r\nX-Sum:  abc \r\n\r\n";

TEST(BodyDecoder, DecodesChunksExtensionsAndTrailers) {
  const Decoded d = decode_chunked(kChunked);
  EXPECT_TRUE(d.error.empty()) << d.error;
  EXPECT_EQ(d.body, "hello, world");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.left_over, 0u);
  const std::vector<std::pair<std::string, std::string>> expected = {{"Expires", "never"},
                                                                     {"X-Sum", "abc"}};
  EXPECT_EQ(d.trailers, expected);
}

TEST(BodyDecoder, SplitAtEveryBytePositionGivesTheSameResult) {
  for (std::size_t split = 0; split <= kChunked.size(); ++split) {
    SCOPED_TRACE(split);
    const Decoded d = decode_in_pieces(BodyFraming::kChunked, 0,
                                       {kChunked.substr(0, split), kChunked.substr(split)});
    EXPECT_TRUE(d.error.empty()) << d.error;
    EXPECT_EQ(d.body, "hello, world");
    EXPECT_TRUE(d.done);
    EXPECT_EQ(d.trailers.size(), 2u);
  }
}

TEST(BodyDecoder, ByteByByteGivesTheSameResult) {
  const Decoded d = decode_in_pieces(BodyFraming::kChunked, 0, single_bytes(kChunked));
  EXPECT_TRUE(d.error.empty()) << d.error;
  EXPECT_EQ(d.body, "hello, world");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.trailers.size(), 2u);
}

TEST(BodyDecoder, StopsAfterTheLastChunkAndLeavesTheNextMessage) {
  const Decoded d = decode_chunked("3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n");
  EXPECT_EQ(d.body, "abc");
  EXPECT_TRUE(d.done);
  EXPECT_TRUE(d.trailers.empty());
  EXPECT_EQ(d.left_over, std::string_view("GET / HTTP/1.1\r\n").size());
}

TEST(BodyDecoder, EmptyChunkedBody) {
  const Decoded d = decode_chunked("0\r\n\r\n");
  EXPECT_TRUE(d.done);
  EXPECT_TRUE(d.body.empty());
}

TEST(BodyDecoder, AcceptsUppercaseHexAndLeadingZeros) {
  const std::string data(0xAB, 'x');
  EXPECT_EQ(decode_chunked("AB\r\n" + data + "\r\n0\r\n\r\n").body, data);
  EXPECT_EQ(decode_chunked("aB\r\n" + data + "\r\n0\r\n\r\n").body, data);
  EXPECT_EQ(decode_chunked("00000000000000ab\r\n" + data + "\r\n0\r\n\r\n").body, data);
  EXPECT_TRUE(decode_chunked("000\r\n\r\n").done);
}

TEST(BodyDecoder, AcceptsExtensionGrammar) {
  for (const char* line : {"3;a", "3;a=b", "3 ;a", "3; a = b", "3;a=\"q v\"", "3;a=\"x\\\"y\"",
                           "3;a=b;c=\"\";d", "3\t;a"}) {
    SCOPED_TRACE(line);
    const Decoded d = decode_chunked(std::string(line) + "\r\nabc\r\n0;last=1\r\n\r\n");
    EXPECT_TRUE(d.error.empty()) << d.error;
    EXPECT_EQ(d.body, "abc");
    EXPECT_TRUE(d.done);
  }
}

TEST(BodyDecoder, ReportsNeedMoreForPartialSizeLine) {
  BodyDecoder decoder(ParserLimits{});
  decoder.start(BodyFraming::kChunked, 0);
  auto partial = decoder.decode("1f;ext=");
  ASSERT_TRUE(partial.has_value());
  EXPECT_EQ(partial->consumed, 0u);
  EXPECT_TRUE(partial->data.empty());
  auto step = decoder.decode("1f;ext=v\r\nabc");
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(step->data, "abc");
  EXPECT_EQ(step->consumed, std::string_view("1f;ext=v\r\nabc").size());
  EXPECT_FALSE(decoder.done());
}

TEST(BodyDecoder, TrailersAreViewsIntoTheLastInput) {
  const std::string input = "0\r\nX: y\r\n\r\n";
  BodyDecoder decoder(ParserLimits{});
  decoder.start(BodyFraming::kChunked, 0);
  auto step = decoder.decode(input);
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(step->consumed, input.size());
  ASSERT_TRUE(decoder.done());
  ASSERT_EQ(decoder.trailers().size(), 1u);
  EXPECT_EQ(decoder.trailers().get("x").data(), input.data() + input.find('y'));
}

TEST(BodyDecoder, StartClearsEarlierState) {
  BodyDecoder decoder(ParserLimits{});
  decoder.start(BodyFraming::kChunked, 0);
  const std::string first = "0\r\nX: y\r\n\r\n";
  ASSERT_TRUE(decoder.decode(first).has_value());
  ASSERT_EQ(decoder.trailers().size(), 1u);
  decoder.start(BodyFraming::kContentLength, 2);
  EXPECT_TRUE(decoder.trailers().empty());
  EXPECT_EQ(decoder.body_bytes(), 0u);
  EXPECT_FALSE(decoder.done());
}

// ---- Chunked rejections -------------------------------------------------------------------------

TEST(BodyDecoder, RejectsNonHexChunkSize) {
  expect_chunked_rejected("zz\r\nabc\r\n0\r\n\r\n");
  expect_chunked_rejected("0x5\r\nhello\r\n0\r\n\r\n");
  expect_chunked_rejected("-5\r\nhello\r\n0\r\n\r\n");
  expect_chunked_rejected("+5\r\nhello\r\n0\r\n\r\n");
}

TEST(BodyDecoder, RejectsEmptyChunkSize) {
  expect_chunked_rejected("\r\nabc\r\n0\r\n\r\n");
  expect_chunked_rejected(";a=b\r\nabc\r\n0\r\n\r\n");
}

TEST(BodyDecoder, RejectsGarbageAroundChunkSize) {
  expect_chunked_rejected(" 5\r\nhello\r\n0\r\n\r\n");
  expect_chunked_rejected("5 \r\nhello\r\n0\r\n\r\n");
  expect_chunked_rejected("5x\r\nhello\r\n0\r\n\r\n");
  expect_chunked_rejected("5;a=b \r\nhello\r\n0\r\n\r\n");
}

TEST(BodyDecoder, RejectsOverflowingChunkSize) {
  expect_chunked_rejected("10000000000000000\r\n");  // 17 digits: more than 64 bits
  expect_chunked_rejected("00000000000000005\r\nhello\r\n0\r\n\r\n");  // 17 digits
  expect_chunked_rejected("8000000000000000\r\n");                     // 2^63
  expect_chunked_rejected("ffffffffffffffff\r\n");                     // 2^64 - 1
  expect_chunked_rejected("fffffffffffffffffffffffff1\r\n");  // wraps a naive parser to 0xf1
  // 2^63 - 1 is accepted: the body is just incomplete.
  const Decoded d = decode_chunked("7fffffffffffffff\r\nabc");
  EXPECT_TRUE(d.error.empty()) << d.error;
  EXPECT_EQ(d.body, "abc");
  EXPECT_FALSE(d.done);
}

TEST(BodyDecoder, RejectsInvalidExtensions) {
  expect_chunked_rejected("3;\r\nabc\r\n0\r\n\r\n");
  expect_chunked_rejected("3;=b\r\nabc\r\n0\r\n\r\n");
  expect_chunked_rejected("3;a=\r\nabc\r\n0\r\n\r\n");
  expect_chunked_rejected("3;a=\"open\r\nabc\r\n0\r\n\r\n");
  expect_chunked_rejected("3;a=b c\r\nabc\r\n0\r\n\r\n");
  expect_chunked_rejected("3;a(b)\r\nabc\r\n0\r\n\r\n");
}

TEST(BodyDecoder, RejectsBareCrOrLfInChunkLine) {
  expect_chunked_rejected("3;a=\"x\ry\"\r\nabc\r\n0\r\n\r\n");
  expect_chunked_rejected("3;a=\"x\ny\"\r\nabc\r\n0\r\n\r\n");
  expect_chunked_rejected("3\nabc\r\n0\r\n\r\n");
  expect_chunked_rejected("3\r\rabc\r\n0\r\n\r\n");
}

TEST(BodyDecoder, RejectsMissingCrlfAfterChunkData) {
  expect_chunked_rejected("3\r\nabcd\r\n0\r\n\r\n");
  expect_chunked_rejected("3\r\nabc\n0\r\n\r\n");
  expect_chunked_rejected("3\r\nabc\rX0\r\n\r\n");
  expect_chunked_rejected("3\r\nabc0\r\n\r\n");
}

TEST(BodyDecoder, RejectsLongChunkLine) {
  const std::string line = "3;a=" + std::string(BodyDecoder::kMaxChunkLine, 'x');
  expect_chunked_rejected(line + "\r\nabc\r\n0\r\n\r\n");
  // Without its LF the line is refused as soon as it passes the limit.
  EXPECT_FALSE(decode_chunked(line).error.empty());
}

TEST(BodyDecoder, ValidatesTrailersLikeHeaderFields) {
  expect_chunked_rejected("0\r\nX: a\r\n b\r\n\r\n");  // obs-fold
  expect_chunked_rejected("0\r\nX : a\r\n\r\n");       // whitespace before colon
  expect_chunked_rejected("0\r\n: a\r\n\r\n");         // empty name
  expect_chunked_rejected("0\r\nX: a\x01\r\n\r\n");    // control byte
  expect_chunked_rejected("0\r\nX: a\rb\r\n\r\n");     // bare CR
  expect_chunked_rejected("0\r\nX: a\n\r\n");          // bare LF
  expect_chunked_rejected("0\r\n\n");                  // bare LF as the closing line
  expect_chunked_rejected("0\r\nNoColon\r\n\r\n");
}

TEST(BodyDecoder, BoundsTheTrailerSection) {
  ParserLimits limits;
  limits.max_header_bytes = 64;
  limits.max_header_count = 2;
  const Decoded big = decode_chunked("0\r\nX: " + std::string(100, 'v') + "\r\n\r\n", limits);
  EXPECT_EQ(big.kind, ErrorKind::kHeadersTooLarge);
  const Decoded incomplete = decode_chunked("0\r\nX: " + std::string(100, 'v'), limits);
  EXPECT_EQ(incomplete.kind, ErrorKind::kHeadersTooLarge);
  const Decoded many = decode_chunked("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits);
  EXPECT_EQ(many.kind, ErrorKind::kHeadersTooLarge);
  const Decoded ok = decode_chunked("0\r\nA: 1\r\nB: 2\r\n\r\n", limits);
  EXPECT_TRUE(ok.done);
}

}  // namespace
}  // namespace bulwark::http::h1
