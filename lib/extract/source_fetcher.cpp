#include "extract/source_fetcher.hpp"

#include "http/client_config.hpp"
#include "http/proxy_config.hpp"

namespace cartopull::extract {

SourceFetcher::SourceFetcher(std::unique_ptr<http::Client> client, std::unique_ptr<http::Executor> executor)
    : client_(std::move(client)), executor_(std::move(executor)) {}

SourceFetcher::~SourceFetcher() = default;

result<std::unique_ptr<SourceFetcher>> SourceFetcher::create(boost::asio::any_io_executor executor,
                                                             const config::SourceConfig& source,
                                                             http::TelemetrySink telemetry) {
  auto options = http::client_options(source, http::ProxyConfig::from_env());
  if (!options) return options.error();
  auto client = http::Client::create(std::move(executor), std::move(*options));
  if (!client) return client.error();
  auto flow = std::make_unique<http::Executor>(
      **client, http::executor_options(source.retry, source.concurrency, source.rate_limits),
      std::move(telemetry));
  return std::unique_ptr<SourceFetcher>(new SourceFetcher(std::move(*client), std::move(flow)));
}

boost::asio::awaitable<result<http::Response>> SourceFetcher::fetch(std::string group,
                                                                    http::Request request) {
  co_return co_await executor_->execute(std::move(group), std::move(request));
}

}  // namespace cartopull::extract
