#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "core/result.hpp"
#include "http/client.hpp"

namespace cartopull::extract {

// Sends one request of a CARTO endpoint group through the HTTP engine (rate limiting, concurrency
// and retries live behind it). A response of any status is a value; an error means the request
// could not be completed after the engine's retries. Runs on the event loop.
class Fetcher {
 public:
  virtual ~Fetcher() = default;
  virtual boost::asio::awaitable<result<http::Response>> fetch(std::string group, http::Request request) = 0;
};

}  // namespace cartopull::extract
