// The gRPC-Web wire format: content types, streamed base64 in any split, the trailer frame.

#include "filters/grpc_web/grpc_web_codec.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace bulwark::filters::grpc_web {
namespace {

std::optional<std::string> decode_in_runs(std::string_view text, std::size_t run) {
  Base64Decoder decoder;
  std::string out;
  for (std::size_t at = 0; at < text.size(); at += run) {
    const std::string_view piece = text.substr(at, run);
    std::string room(Base64Decoder::max_output(piece.size()), '\0');
    const std::optional<std::size_t> size = decoder.decode(piece, room.data());
    if (!size) return std::nullopt;
    EXPECT_LE(*size, room.size());
    out.append(room.data(), *size);
  }
  if (!decoder.at_boundary()) return std::nullopt;
  return out;
}

std::string encode(std::string_view bytes) {
  std::string out(base64_size(bytes.size()), '\0');
  EXPECT_EQ(base64_encode(bytes, out.data()), out.size());
  return out;
}

// A length-prefixed message of fewer than 256 bytes.
std::string framed(std::string_view payload) {
  std::string out(5, '\0');
  out[4] = static_cast<char>(payload.size());
  return out + std::string(payload);
}

std::string frame(const http::HeaderMap& trailers) {
  std::string out(trailer_frame_size(trailers), '\0');
  EXPECT_EQ(write_trailer_frame(trailers, out.data()), out.size());
  return out;
}

TEST(GrpcWebContentTypeTest, NamesFormatsAndParameters) {
  EXPECT_EQ(parse_content_type("application/grpc-web"), (ContentType{Wire::kWeb, ""}));
  EXPECT_EQ(parse_content_type("Application/GRPC-Web-Text+proto; charset=x"),
            (ContentType{Wire::kText, "+proto; charset=x"}));
  EXPECT_EQ(parse_content_type("application/grpc+proto"), (ContentType{Wire::kGrpc, "+proto"}));
  EXPECT_EQ(parse_content_type("application/grpc-web+proto"), (ContentType{Wire::kWeb, "+proto"}));
}

TEST(GrpcWebContentTypeTest, OtherTypesAreNotGrpc) {
  EXPECT_FALSE(parse_content_type(""));
  EXPECT_FALSE(parse_content_type("application/json"));
  EXPECT_FALSE(parse_content_type("application/grpcx"));
  EXPECT_FALSE(parse_content_type("application/grpc-webby"));
  EXPECT_FALSE(parse_content_type("application/grpc-web-textual"));
  EXPECT_FALSE(parse_content_type("application/grp"));
}

TEST(GrpcWebContentTypeTest, AcceptAsksForText) {
  EXPECT_TRUE(accepts_text("application/grpc-web-text"));
  EXPECT_TRUE(accepts_text("text/html, application/grpc-web-text+proto"));
  EXPECT_FALSE(accepts_text("application/grpc-web"));
  EXPECT_FALSE(accepts_text("*/*"));
  EXPECT_FALSE(accepts_text(""));
}

TEST(GrpcWebBase64Test, DecodesInEverySplit) {
  const std::string bytes("\x00\x00\x00\x00\x05hello\xff\x80", 12);
  const std::string text = encode(bytes);
  for (std::size_t run = 1; run <= text.size(); ++run) {
    EXPECT_EQ(decode_in_runs(text, run), bytes) << "runs of " << run;
  }
}

TEST(GrpcWebBase64Test, PaddingBetweenMessages) {
  // Two frames encoded apart, as a sender that flushes each one writes them.
  const std::string first = framed("a");    // 6 bytes: no padding
  const std::string second = framed("bc");  // 7 bytes: "=="
  const std::string third = framed("def");  // 8 bytes: "="
  const std::string text = encode(second) + encode(third) + encode(first) + encode(second);
  EXPECT_NE(text.find("=="), std::string::npos);
  std::string bytes = second;
  bytes.append(third).append(first).append(second);
  for (std::size_t run = 1; run <= text.size(); ++run) {
    EXPECT_EQ(decode_in_runs(text, run), bytes) << "runs of " << run;
  }
}

TEST(GrpcWebBase64Test, KnownVectors) {
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("f"), "Zg==");
  EXPECT_EQ(encode("fo"), "Zm8=");
  EXPECT_EQ(encode("foo"), "Zm9v");
  EXPECT_EQ(encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(decode_in_runs("Zm9vYg==", 8), "foob");
  EXPECT_EQ(decode_in_runs("+/+/", 4), "\xfb\xff\xbf");
}

TEST(GrpcWebBase64Test, RefusesWhatIsNotBase64) {
  EXPECT_EQ(decode_in_runs("Zm9v!", 5), std::nullopt);      // not in the alphabet
  EXPECT_EQ(decode_in_runs("Zm9v Zm9v", 9), std::nullopt);  // no blanks
  EXPECT_EQ(decode_in_runs("Z===", 4), std::nullopt);       // one data character
  EXPECT_EQ(decode_in_runs("====", 4), std::nullopt);
  EXPECT_EQ(decode_in_runs("Zg=v", 4), std::nullopt);  // data after padding
  EXPECT_EQ(decode_in_runs("Zg=", 3), std::nullopt);   // ends inside a quantum
  EXPECT_EQ(decode_in_runs("Zm9", 3), std::nullopt);
  EXPECT_EQ(decode_in_runs("Zm9v-_", 6), std::nullopt);  // not the URL alphabet
  EXPECT_EQ(decode_in_runs("Zh==", 4), std::nullopt);    // "Zg==" with a pad bit set
  EXPECT_EQ(decode_in_runs("Zm9=", 4), std::nullopt);    // "Zm8=" with a pad bit set
}

TEST(GrpcWebBase64Test, AFailedDecoderStaysFailed) {
  Base64Decoder decoder;
  std::string room(16, '\0');
  EXPECT_FALSE(decoder.decode("Zm*v", room.data()));
  EXPECT_FALSE(decoder.decode("Zm9v", room.data()));
  EXPECT_FALSE(decoder.at_boundary());
}

TEST(GrpcWebTrailerFrameTest, LowerCaseLinesAfterTheHeader) {
  http::HeaderMap trailers;
  trailers.add("Grpc-Status", "0");
  trailers.add("grpc-message", "all good");
  const std::string out = frame(trailers);
  const std::string payload = "grpc-status: 0\r\ngrpc-message: all good\r\n";
  ASSERT_EQ(out.size(), kFrameHeaderSize + payload.size());
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x80);
  EXPECT_EQ(out.substr(1, 4), std::string("\x00\x00\x00\x28", 4));  // 40, big-endian
  EXPECT_EQ(out.substr(kFrameHeaderSize), payload);
}

TEST(GrpcWebTrailerFrameTest, LongFramesHaveAllFourLengthBytes) {
  http::HeaderMap trailers;
  const std::string value(70000, 'v');
  trailers.add("x", value);
  const std::string out = frame(trailers);
  const std::size_t length = 70000 + 5;  // "x: " and CRLF
  EXPECT_EQ(out.substr(1, 4),
            std::string({0, static_cast<char>(length >> 16), static_cast<char>(length >> 8 & 0xFF),
                         static_cast<char>(length & 0xFF)}));
}

TEST(GrpcWebTrailerFrameTest, FieldsThatWouldBreakALineAreLeftOut) {
  http::HeaderMap trailers;
  trailers.add("grpc-status", "0");
  trailers.add("x-split", "a\r\nfake: 1");
  trailers.add("bad:name", "1");
  trailers.add("", "1");
  trailers.add("x-nul", std::string_view("a\0b", 3));
  EXPECT_EQ(frame(trailers), std::string("\x80\x00\x00\x00\x10grpc-status: 0\r\n", 21));
}

TEST(GrpcWebTrailerFrameTest, NoTrailersIsAnEmptyFrame) {
  EXPECT_EQ(frame(http::HeaderMap()), std::string("\x80\x00\x00\x00\x00", 5));
}

}  // namespace
}  // namespace bulwark::filters::grpc_web
