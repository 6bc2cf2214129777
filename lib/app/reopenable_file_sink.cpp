#include "app/reopenable_file_sink.hpp"

namespace cartopull::app {

std::atomic<unsigned> ReopenableFileSink::generation_{0};

ReopenableFileSink::ReopenableFileSink(std::string path) : path_(std::move(path)) {
  file_.open(path_, false);
  seen_generation_ = generation_.load();
}

void ReopenableFileSink::request_reopen() noexcept {
  generation_.fetch_add(1);
}

void ReopenableFileSink::sink_it_(const spdlog::details::log_msg& msg) {
  if (auto g = generation_.load(); g != seen_generation_) {
    seen_generation_ = g;
    file_.close();
    file_.open(path_, false);
  }
  spdlog::memory_buf_t formatted;
  formatter_->format(msg, formatted);
  file_.write(formatted);
}

void ReopenableFileSink::flush_() {
  file_.flush();
}

}  // namespace cartopull::app
