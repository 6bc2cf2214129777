#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "config/config.hpp"
#include "extract/fetcher.hpp"
#include "http/attempt_event.hpp"
#include "http/client.hpp"
#include "http/executor.hpp"

namespace cartopull::extract {

// The fetcher of one source: its own HTTP client (keep-alive pool, TLS, auth) behind the
// executor (per-group GCRA limiter, adaptive concurrency, retries with backoff and a budget).
// Lives on the event loop; keep it alive until every fetch() has completed.
class SourceFetcher final : public Fetcher {
 public:
  static result<std::unique_ptr<SourceFetcher>> create(boost::asio::any_io_executor executor,
                                                       const config::SourceConfig& source,
                                                       http::TelemetrySink telemetry = {});
  ~SourceFetcher() override;

  boost::asio::awaitable<result<http::Response>> fetch(std::string group, http::Request request) override;

  http::Client& client() { return *client_; }
  http::Executor& executor() { return *executor_; }

 private:
  SourceFetcher(std::unique_ptr<http::Client> client, std::unique_ptr<http::Executor> executor);
  std::unique_ptr<http::Client> client_;
  std::unique_ptr<http::Executor> executor_;
};

}  // namespace cartopull::extract
