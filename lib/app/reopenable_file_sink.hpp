#pragma once

#include <spdlog/details/file_helper.h>
#include <spdlog/sinks/base_sink.h>

#include <atomic>
#include <mutex>
#include <string>

namespace cartopull::app {

// Appends to a file and reopens it when asked, so that logrotate can move the file away and send
// SIGUSR1. Reopening happens on the next write, under the sink's lock, never in a signal handler.
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ReopenableFileSink(std::string path);

  // Async-signal safe.
  static void request_reopen() noexcept;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  std::string path_;
  spdlog::details::file_helper file_;
  unsigned seen_generation_ = 0;
  static std::atomic<unsigned> generation_;
};

}  // namespace cartopull::app
