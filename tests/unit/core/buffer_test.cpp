#include "core/buffer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark::core {
namespace {

void write(Buffer& buffer, std::string_view text) {
  ASSERT_GE(buffer.writable().size(), text.size());
  std::memcpy(buffer.writable().data(), text.data(), text.size());
  buffer.commit(text.size());
}

std::string readable(const Buffer& buffer) {
  return std::string(buffer.readable().data(), buffer.readable().size());
}

std::string bytes_at(const Buffer& buffer, std::size_t offset, std::size_t count) {
  // The block starts `offset()` bytes before the first readable byte.
  const char* block = buffer.readable().data() - buffer.offset();
  return std::string(block + offset, count);
}

// ---- BufferPool: take / release / reuse -----------------------------------------------------

TEST(BufferPoolTest, TakeGivesEmptyBufferOfBlockSize) {
  BufferPool pool(256, 4);
  Buffer buffer = pool.take();
  ASSERT_TRUE(buffer);
  EXPECT_EQ(buffer.capacity(), 256u);
  EXPECT_EQ(pool.block_size(), 256u);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_EQ(buffer.offset(), 0u);
  EXPECT_EQ(buffer.writable().size(), 256u);
  EXPECT_EQ(pool.blocks_in_use(), 1u);
  EXPECT_EQ(pool.free_blocks(), 0u);
}

TEST(BufferPoolTest, ReleaseReturnsBlockToFreeListAndEmptiesHandle) {
  BufferPool pool(128, 4);
  Buffer buffer = pool.take();
  write(buffer, "abc");
  buffer.release();
  EXPECT_FALSE(buffer);
  EXPECT_EQ(buffer.capacity(), 0u);
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_EQ(pool.blocks_in_use(), 0u);
  EXPECT_EQ(pool.free_blocks(), 1u);
}

TEST(BufferPoolTest, ReleaseTwiceIsHarmless) {
  BufferPool pool(128, 4);
  Buffer buffer = pool.take();
  buffer.release();
  buffer.release();
  EXPECT_EQ(pool.blocks_in_use(), 0u);
  EXPECT_EQ(pool.free_blocks(), 1u);
}

TEST(BufferPoolTest, DestructorOfHandleReleasesBlock) {
  BufferPool pool(128, 4);
  {
    Buffer buffer = pool.take();
    EXPECT_EQ(pool.blocks_in_use(), 1u);
  }
  EXPECT_EQ(pool.blocks_in_use(), 0u);
  EXPECT_EQ(pool.free_blocks(), 1u);
}

TEST(BufferPoolTest, TakeReusesTheMostRecentlyReleasedBlock) {
  BufferPool pool(128, 4);
  Buffer a = pool.take();
  Buffer b = pool.take();
  const char* block_b = b.writable().data();
  b.release();
  Buffer c = pool.take();
  EXPECT_EQ(c.writable().data(), block_b);
  EXPECT_EQ(pool.free_blocks(), 0u);
  EXPECT_EQ(pool.blocks_in_use(), 2u);
}

TEST(BufferPoolTest, ReusedBlockStartsWithEmptyRegion) {
  BufferPool pool(128, 4);
  Buffer a = pool.take();
  write(a, "leftover");
  a.consume(2);
  a.release();
  Buffer b = pool.take();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.offset(), 0u);
  EXPECT_EQ(b.writable().size(), 128u);
}

TEST(BufferPoolTest, FreeListIsBoundedByMaxFree) {
  BufferPool pool(64, 2);
  std::vector<Buffer> buffers;
  for (int i = 0; i < 5; ++i)
    buffers.push_back(pool.take());
  EXPECT_EQ(pool.blocks_in_use(), 5u);
  buffers.clear();
  EXPECT_EQ(pool.blocks_in_use(), 0u);
  EXPECT_EQ(pool.free_blocks(), 2u);  // the other three went back to the allocator (ASan: no leak)
}

TEST(BufferPoolTest, MaxFreeZeroCachesNothing) {
  BufferPool pool(64, 0);
  Buffer buffer = pool.take();
  buffer.release();
  EXPECT_EQ(pool.free_blocks(), 0u);
  EXPECT_EQ(pool.blocks_in_use(), 0u);
  Buffer again = pool.take();
  EXPECT_TRUE(again);
  EXPECT_EQ(pool.blocks_in_use(), 1u);
}

TEST(BufferPoolTest, BlocksInUseTracksInterleavedTakesAndReleases) {
  BufferPool pool(64, 8);
  Buffer a = pool.take();
  Buffer b = pool.take();
  Buffer c = pool.take();
  EXPECT_EQ(pool.blocks_in_use(), 3u);
  b.release();
  EXPECT_EQ(pool.blocks_in_use(), 2u);
  Buffer d = pool.take();
  EXPECT_EQ(pool.blocks_in_use(), 3u);
  EXPECT_EQ(pool.free_blocks(), 0u);
  a.release();
  c.release();
  d.release();
  EXPECT_EQ(pool.blocks_in_use(), 0u);
  EXPECT_EQ(pool.free_blocks(), 3u);
}

TEST(BufferPoolTest, BlocksAreDistinct) {
  BufferPool pool(64, 8);
  Buffer a = pool.take();
  Buffer b = pool.take();
  EXPECT_NE(a.writable().data(), b.writable().data());
}

// ---- Buffer: commit / consume / clear_from / compact
// ---------------------------------------------

TEST(BufferTest, DefaultHandleIsEmpty) {
  Buffer buffer;
  EXPECT_FALSE(buffer);
  EXPECT_EQ(buffer.capacity(), 0u);
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_TRUE(buffer.empty());
  EXPECT_TRUE(buffer.writable().empty());
  buffer.release();  // no pool: nothing happens
}

TEST(BufferTest, CommitMakesWrittenBytesReadable) {
  BufferPool pool(64, 1);
  Buffer buffer = pool.take();
  write(buffer, "hello");
  EXPECT_EQ(readable(buffer), "hello");
  EXPECT_EQ(buffer.size(), 5u);
  EXPECT_FALSE(buffer.empty());
  EXPECT_EQ(buffer.writable().size(), 59u);
  EXPECT_EQ(buffer.writable().data(), buffer.readable().data() + 5);
}

TEST(BufferTest, SuccessiveCommitsAppend) {
  BufferPool pool(64, 1);
  Buffer buffer = pool.take();
  write(buffer, "GET / ");
  write(buffer, "HTTP/1.1");
  EXPECT_EQ(readable(buffer), "GET / HTTP/1.1");
}

TEST(BufferTest, CommitToFullCapacityLeavesNoWritableSpace) {
  BufferPool pool(8, 1);
  Buffer buffer = pool.take();
  write(buffer, "12345678");
  EXPECT_EQ(buffer.size(), 8u);
  EXPECT_TRUE(buffer.writable().empty());
}

TEST(BufferTest, ConsumeAdvancesTheReadableRegion) {
  BufferPool pool(64, 1);
  Buffer buffer = pool.take();
  write(buffer, "hello world");
  buffer.consume(6);
  EXPECT_EQ(readable(buffer), "world");
  EXPECT_EQ(buffer.offset(), 6u);
  EXPECT_EQ(buffer.writable().size(), 64u - 11u);
}

TEST(BufferTest, ConsumingEverythingLeavesItEmptyButKeepsPosition) {
  BufferPool pool(64, 1);
  Buffer buffer = pool.take();
  write(buffer, "abc");
  buffer.consume(3);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.offset(), 3u);
  EXPECT_EQ(buffer.writable().size(), 61u);
}

TEST(BufferTest, ClearFromKeepsBytesBeforeOffset) {
  BufferPool pool(64, 1);
  Buffer buffer = pool.take();
  write(buffer, "HEAD|body bytes");
  buffer.clear_from(5);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.offset(), 5u);
  EXPECT_EQ(buffer.writable().size(), 59u);
  EXPECT_EQ(bytes_at(buffer, 0, 5), "HEAD|");
  write(buffer, "next");
  EXPECT_EQ(readable(buffer), "next");
  EXPECT_EQ(bytes_at(buffer, 0, 9), "HEAD|next");
}

TEST(BufferTest, ClearFromZeroResetsToStart) {
  BufferPool pool(64, 1);
  Buffer buffer = pool.take();
  write(buffer, "abc");
  buffer.consume(1);
  buffer.clear_from(0);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.offset(), 0u);
  EXPECT_EQ(buffer.writable().size(), 64u);
}

TEST(BufferTest, CompactMovesReadableBytesToStart) {
  BufferPool pool(32, 1);
  Buffer buffer = pool.take();
  write(buffer, "0123456789abcdef");
  buffer.consume(10);
  buffer.compact();
  EXPECT_EQ(buffer.offset(), 0u);
  EXPECT_EQ(readable(buffer), "abcdef");
  EXPECT_EQ(buffer.writable().size(), 26u);
}

TEST(BufferTest, CompactWithOverlappingRangesPreservesBytes) {
  BufferPool pool(32, 1);
  Buffer buffer = pool.take();
  write(buffer, "xx0123456789");
  buffer.consume(2);  // readable "0123456789" at [2, 12): the move to 0 overlaps
  buffer.compact();
  EXPECT_EQ(readable(buffer), "0123456789");
}

TEST(BufferTest, CompactWhenAlreadyAtStartChangesNothing) {
  BufferPool pool(32, 1);
  Buffer buffer = pool.take();
  write(buffer, "abc");
  const char* before = buffer.readable().data();
  buffer.compact();
  EXPECT_EQ(buffer.readable().data(), before);
  EXPECT_EQ(readable(buffer), "abc");
}

TEST(BufferTest, CompactOfEmptyBufferResetsPosition) {
  BufferPool pool(32, 1);
  Buffer buffer = pool.take();
  write(buffer, "abc");
  buffer.consume(3);
  buffer.compact();
  EXPECT_EQ(buffer.offset(), 0u);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.writable().size(), 32u);
}

TEST(BufferTest, CompactToMovesBytesBehindAKeptPrefix) {
  BufferPool pool(64, 1);
  Buffer buffer = pool.take();
  write(buffer, "HEAD");
  buffer.clear_from(4);
  write(buffer, "........body");
  buffer.consume(8);
  buffer.compact_to(4);
  EXPECT_EQ(buffer.offset(), 4u);
  EXPECT_EQ(readable(buffer), "body");
  EXPECT_EQ(bytes_at(buffer, 0, 8), "HEADbody");
  EXPECT_EQ(buffer.writable().size(), 56u);
}

TEST(BufferTest, CompactToAHigherOffsetMovesForwardWithoutCorruption) {
  BufferPool pool(64, 1);
  Buffer buffer = pool.take();
  write(buffer, "0123456789");
  buffer.compact_to(3);  // overlapping forward move
  EXPECT_EQ(buffer.offset(), 3u);
  EXPECT_EQ(readable(buffer), "0123456789");
  EXPECT_EQ(buffer.writable().size(), 64u - 13u);
}

// ---- Buffer: move semantics ---------------------------------------------------------------------

TEST(BufferTest, MoveConstructionTransfersBlockAndRegion) {
  BufferPool pool(64, 2);
  Buffer source = pool.take();
  write(source, "xxpayload");
  source.consume(2);
  Buffer target(std::move(source));
  EXPECT_FALSE(source);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(source.size(), 0u);
  EXPECT_EQ(source.capacity(), 0u);
  ASSERT_TRUE(target);
  EXPECT_EQ(readable(target), "payload");
  EXPECT_EQ(target.offset(), 2u);
  EXPECT_EQ(target.capacity(), 64u);
  EXPECT_EQ(pool.blocks_in_use(), 1u);
}

TEST(BufferTest, MovedFromHandleReleasingDoesNotReturnTheBlock) {
  BufferPool pool(64, 2);
  Buffer source = pool.take();
  Buffer target(std::move(source));
  source.release();  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(pool.blocks_in_use(), 1u);
  EXPECT_EQ(pool.free_blocks(), 0u);
  target.release();
  EXPECT_EQ(pool.blocks_in_use(), 0u);
  EXPECT_EQ(pool.free_blocks(), 1u);
}

TEST(BufferTest, MoveAssignmentReleasesTheTargetsOldBlock) {
  BufferPool pool(64, 4);
  Buffer a = pool.take();
  Buffer b = pool.take();
  write(b, "from b");
  EXPECT_EQ(pool.blocks_in_use(), 2u);
  a = std::move(b);
  EXPECT_EQ(pool.blocks_in_use(), 1u);
  EXPECT_EQ(pool.free_blocks(), 1u);
  EXPECT_EQ(readable(a), "from b");
  EXPECT_FALSE(b);  // NOLINT(bugprone-use-after-move)
}

TEST(BufferTest, MoveAssignmentIntoEmptyHandle) {
  BufferPool pool(64, 4);
  Buffer a;
  Buffer b = pool.take();
  write(b, "x");
  a = std::move(b);
  EXPECT_EQ(readable(a), "x");
  EXPECT_EQ(pool.blocks_in_use(), 1u);
  EXPECT_EQ(pool.free_blocks(), 0u);
}

TEST(BufferTest, SelfMoveAssignmentKeepsTheBlock) {
  BufferPool pool(64, 4);
  Buffer a = pool.take();
  write(a, "keep");
  Buffer& alias = a;
  a = std::move(alias);
  ASSERT_TRUE(a);
  EXPECT_EQ(readable(a), "keep");
  EXPECT_EQ(pool.blocks_in_use(), 1u);
}

TEST(BufferTest, BuffersFromDifferentPoolsReturnToTheirOwnPool) {
  BufferPool small(16, 4);
  BufferPool large(1024, 4);
  Buffer a = small.take();
  Buffer b = large.take();
  a = std::move(b);
  EXPECT_EQ(small.blocks_in_use(), 0u);
  EXPECT_EQ(small.free_blocks(), 1u);
  EXPECT_EQ(large.blocks_in_use(), 1u);
  EXPECT_EQ(a.capacity(), 1024u);
  a.release();
  EXPECT_EQ(large.blocks_in_use(), 0u);
  EXPECT_EQ(large.free_blocks(), 1u);
}

}  // namespace
}  // namespace bulwark::core
