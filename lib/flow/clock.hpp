#pragma once

#include <chrono>

namespace cartopull::flow {

// Policy takes time as a value: callers pass steady_clock::now() in production and any instant in tests.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Nanos = std::chrono::nanoseconds;

}  // namespace cartopull::flow
