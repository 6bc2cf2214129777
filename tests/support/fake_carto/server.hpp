#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "support/fake_carto/fake_options.hpp"
#include "support/fake_carto/fault_plan.hpp"
#include "support/fake_carto/request_log.hpp"
#include "support/fake_carto/tile_content.hpp"

namespace cartopull::fake {

// fake-carto: a faithful, misbehaving CARTO Maps API server (issue 3) for tests, the demo and
// benchmarks. start() binds (default 127.0.0.1:0) and runs one event-loop thread; every other member
// may be called from any thread: it hops onto the loop and waits. stop() (and the destructor) closes
// the listener, drops live connections and joins the thread.
class Server {
 public:
  explicit Server(Options options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  result<void> start();
  void stop();

  std::uint16_t port() const;
  std::string base_url() const;       // "http://127.0.0.1:PORT" or "https://localhost:PORT"
  const std::string& ca_pem() const;  // the generated CA (tls only), empty otherwise
  const Options& options() const;

  // Observation: copies of the request log (oldest first) and counters per (route, status).
  std::vector<LoggedRequest> requests() const;
  std::map<std::pair<std::string, int>, std::uint64_t> counters() const;
  std::uint64_t count(std::string_view route, int status) const;
  void clear_log();

  // Control, as the /_fake/ endpoint offers it.
  void set_faults(FaultSet faults);
  std::int64_t bump(std::string_view map_key);  // see CartoApi::bump
  void expire_tokens();
  std::vector<std::int64_t> cache_busters(std::string_view map_key) const;
  std::optional<std::string> expected_tile(std::string_view token_or_template, std::string_view layer,
                                           std::uint32_t z, std::int64_t x, std::uint64_t y,
                                           TileFormat format, std::uint32_t scale = 1);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cartopull::fake
