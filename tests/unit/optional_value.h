#pragma once
// The value of an optional a test expects to be set, without unchecked access.

#include <gtest/gtest.h>

#include <optional>

namespace bulwark::testing {

// The value of `optional`, or a default one and a failure.
template <typename T>
T value_of(const std::optional<T>& optional) {
  if (!optional) {
    ADD_FAILURE() << "no value";
    return T{};
  }
  return *optional;
}

}  // namespace bulwark::testing
