#include "extract/job_runner.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/system/system_error.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_set>

#include "carto/coverage.hpp"
#include "carto/layergroup.hpp"
#include "carto/request_spec.hpp"
#include "carto/tile_enumerator.hpp"
#include "carto/tile_request_plan.hpp"
#include "core/redact.hpp"
#include "store/blob_hash.hpp"
#include "store/database.hpp"
#include "store/tile_store.hpp"
#include "store/timestamp.hpp"

namespace cartopull::extract {

namespace asio = boost::asio;
using config::ResourceKind;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

bool is_layergroup_kind(ResourceKind k) {
  return k == ResourceKind::layergroup || k == ResourceKind::anonymous_map || k == ResourceKind::named_map;
}
bool is_tile_kind(ResourceKind k) {
  return k == ResourceKind::tiles || k == ResourceKind::named_tiles;
}
bool is_static_kind(ResourceKind k) {
  return k == ResourceKind::static_image || k == ResourceKind::static_center ||
         k == ResourceKind::static_bbox || k == ResourceKind::static_named;
}

store::WriteDisposition to_store(config::WriteDisposition d) {
  switch (d) {
    case config::WriteDisposition::append: return store::WriteDisposition::append;
    case config::WriteDisposition::replace: return store::WriteDisposition::replace;
    case config::WriteDisposition::merge: return store::WriteDisposition::merge;
  }
  return store::WriteDisposition::append;
}

std::vector<std::uint8_t> bytes_of(const std::string& s) {
  // Pointer iterators of the element type: one memcpy, not a byte loop (a tile's hot path).
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  return {p, p + s.size()};
}

std::optional<std::string> header(const http::Response& r, std::string_view name) {
  if (auto v = r.headers.find(name)) return std::string(*v);
  return std::nullopt;
}

// "HTTP 404: <CARTO's error messages>" for a response that is not a success.
// The whole layergroup token (id:cache_buster) in a resource's values, if it has a parent: kept with
// each tile so that a resumed run can tell a data version apart.
std::optional<std::string> token_of(const carto::Placeholders& values) {
  auto it = values.find("layergroupid");
  return it == values.end() ? std::nullopt : std::optional(it->second);
}

std::string status_reason(const http::Response& r) {
  auto messages = carto::error_messages(r.body);
  return "HTTP " + std::to_string(r.status) + (messages.empty() ? "" : ": " + messages);
}

// One run of one job: the state every resource handler shares.
class Run {
 public:
  Run(const JobRunnerOptions& options, const config::JobConfig& job, const config::SourceConfig& source,
      Fetcher& fetcher)
      : o_(options), job_(job), source_(source), fetcher_(fetcher) {}

  asio::awaitable<RunSummary> execute(std::string trigger);

 private:
  struct Outcome {
    std::int64_t fetched = 0, unchanged = 0, empty = 0, failed = 0, bytes = 0;
  };

  asio::awaitable<bool> resource(const config::ResourceConfig& r);
  // One request that must answer 200; any other outcome is recorded as the resource's failure.
  asio::awaitable<std::optional<http::Response>> fetch_ok(const config::ResourceConfig& r,
                                                          carto::Placeholders values);
  asio::awaitable<bool> json_resource(const config::ResourceConfig& r, carto::Placeholders values);
  asio::awaitable<bool> instantiate(const config::ResourceConfig& r, carto::Placeholders values);
  asio::awaitable<bool> static_image(const config::ResourceConfig& r, carto::Placeholders values);
  asio::awaitable<bool> pyramid(const config::ResourceConfig& r, carto::Placeholders values);

  asio::awaitable<result<http::Response>> send(const config::ResourceConfig& r,
                                               const carto::Placeholders& values, http::Headers extra = {});
  // The HTTP request of a planned spec (its url and log_url unused: the url is given).
  static http::Request request_of(const config::ResourceConfig& r, const carto::RequestSpec& spec,
                                  std::string url, http::Headers extra);
  asio::awaitable<void> fail(const config::ResourceConfig& r, std::string item, std::string reason,
                             std::int64_t attempts = 1);
  void count(const char* outcome, std::int64_t n = 1);
  asio::awaitable<void> write(store::WriteOp op);

  const JobRunnerOptions& o_;
  const config::JobConfig& job_;
  const config::SourceConfig& source_;
  Fetcher& fetcher_;
  store::RunId run_ = 0;
  store::RunCounts counts_;
  std::string first_error_;
  std::map<std::string, carto::Placeholders> outputs_;  // placeholders each resource feeds its children
  std::set<std::string> failed_;                        // resources whose children cannot run
  std::set<std::pair<std::string, std::string>> failed_items_;  // (resource, item) failed in this execution

  friend class Pyramid;
};

void Run::count(const char* outcome, std::int64_t n) {
  std::string_view o = outcome;
  if (o == "fetched") counts_.fetched += n;
  if (o == "unchanged") counts_.unchanged += n;
  if (o == "empty") counts_.empty += n;
  if (o == "failed") counts_.failed += n;
  if (o_.events.items) o_.events.items(job_.name, outcome, n);
}

asio::awaitable<void> Run::write(store::WriteOp op) {
  auto r = co_await o_.writer->submit(std::move(op));
  if (!r && first_error_.empty()) first_error_ = r.error().what();
}

asio::awaitable<void> Run::fail(const config::ResourceConfig& r, std::string item, std::string reason,
                                std::int64_t attempts) {
  count("failed");
  failed_items_.emplace(r.name, item);
  if (first_error_.empty()) first_error_ = r.name + " " + item + ": " + reason;
  spdlog::debug("job {} resource {} item {} failed: {}", job_.name, r.name, item, reason);
  store::WriteOp op = store::DeadLetterWrite{
      job_.name, r.name, std::move(item), redact(reason), attempts, run_, std::chrono::system_clock::now()};
  co_await write(std::move(op));
}

http::Request Run::request_of(const config::ResourceConfig& r, const carto::RequestSpec& spec,
                              std::string url, http::Headers extra) {
  http::Request request;
  request.method = spec.method;
  request.url = std::move(url);
  request.body = spec.body;
  if (!spec.content_type.empty()) request.headers.set("Content-Type", spec.content_type);
  for (const auto& [k, v] : extra.fields()) request.headers.set(k, v);
  if (r.max_body_bytes) request.max_body_bytes = *r.max_body_bytes;
  return request;
}

asio::awaitable<result<http::Response>> Run::send(const config::ResourceConfig& r,
                                                  const carto::Placeholders& values, http::Headers extra) {
  auto spec = carto::plan_request(source_, r, values);
  if (!spec) co_return spec.error();
  http::Request request = request_of(r, *spec, spec->url, std::move(extra));
  co_return co_await fetcher_.fetch(spec->group, std::move(request));
}

asio::awaitable<std::optional<http::Response>> Run::fetch_ok(const config::ResourceConfig& r,
                                                             carto::Placeholders values) {
  auto response = co_await send(r, values);
  if (!response) {
    co_await fail(r, r.name, response.error().what());
    co_return std::nullopt;
  }
  if (response->status != 200) {
    co_await fail(r, r.name, status_reason(*response));
    co_return std::nullopt;
  }
  counts_.bytes += static_cast<std::int64_t>(response->body_bytes);
  co_return std::move(*response);
}

asio::awaitable<bool> Run::json_resource(const config::ResourceConfig& r, carto::Placeholders values) {
  auto response = co_await fetch_ok(r, std::move(values));
  if (!response) co_return false;
  boost::system::error_code ec;
  auto doc = boost::json::parse(response->body, ec);
  if (ec) {
    co_await fail(r, r.name, "response is not JSON: " + ec.message());
    co_return false;
  }
  const boost::json::value* selected = &doc;
  if (!r.data_selector.empty()) {
    selected = doc.find_pointer(r.data_selector, ec);
    if (selected == nullptr) {
      co_await fail(r, r.name, "data_selector " + r.data_selector + " selects nothing");
      co_return false;
    }
  }
  // Stored JSON never keeps a credential, even where CARTO echoes one in a URL.
  store::WriteOp op = store::ResourceWrite{
      store::ResourceSpec{job_.name, r.name, to_store(r.write_disposition), r.primary_key}, run_,
      std::chrono::system_clock::now(), redact(boost::json::serialize(*selected))};
  co_await write(std::move(op));
  count("fetched");
  co_return true;
}

asio::awaitable<bool> Run::instantiate(const config::ResourceConfig& r, carto::Placeholders values) {
  auto response = co_await fetch_ok(r, std::move(values));
  if (!response) co_return false;
  auto lg =
      carto::parse_layergroup(response->body, r.data_selector.empty() ? "/layergroupid" : r.data_selector);
  if (!lg) {
    co_await fail(r, r.name, lg.error().what());
    co_return false;
  }
  auto& out = outputs_[r.name];
  out["layergroupid"] = lg->token.text;
  out["layergroup_id"] = lg->token.id;
  out["cache_buster"] = lg->token.cache_buster;
  out["last_updated"] = lg->last_updated;
  std::string ids;
  for (const auto& id : lg->layer_ids) ids += (ids.empty() ? "" : ",") + id;
  out["layer_ids"] = ids;
  store::WriteOp op = store::ResourceWrite{
      store::ResourceSpec{job_.name, r.name, to_store(r.write_disposition), r.primary_key}, run_,
      std::chrono::system_clock::now(), lg->json_redacted};
  co_await write(std::move(op));
  count("fetched");
  co_return true;
}

asio::awaitable<bool> Run::static_image(const config::ResourceConfig& r, carto::Placeholders values) {
  auto response = co_await fetch_ok(r, std::move(values));
  if (!response) co_return false;
  store::WriteOp op = store::ImageWrite{job_.name,
                                        r.name,
                                        run_,
                                        std::chrono::system_clock::now(),
                                        bytes_of(response->body),
                                        r.static_image.width,
                                        r.static_image.height,
                                        r.static_image.format};
  co_await write(std::move(op));
  count("fetched");
  co_return true;
}

// One tile pyramid of one format: workers pull tiles from a shared lazy enumerator.
class Pyramid {
 public:
  Pyramid(Run& run, const config::ResourceConfig& r, carto::Placeholders values, std::string format,
          carto::TileEnumerator tiles, store::TilesetId tileset, std::unordered_set<std::uint64_t> done)
      : run_(run),
        r_(r),
        values_(std::move(values)),
        format_(std::move(format)),
        tiles_(std::move(tiles)),
        tileset_(tileset),
        done_(std::move(done)) {
    total_ = tiles_.total();
  }

  asio::awaitable<void> execute(std::size_t workers);
  std::int64_t processed() const { return processed_; }

  static std::uint64_t key(std::uint32_t z, std::uint32_t x, std::uint32_t y) {
    return (std::uint64_t{z} << 58) | (std::uint64_t{x} << 29) | y;
  }

 private:
  asio::awaitable<void> worker();
  asio::awaitable<void> tile(carto::TileId t);
  // The request plan of the current token generation, made at its first tile.
  const result<carto::TileRequestPlan>& plan();
  asio::awaitable<bool> renew_token(std::uint64_t generation_used);
  asio::awaitable<void> report(bool final);

  Run& run_;
  const config::ResourceConfig& r_;
  carto::Placeholders values_;
  std::string format_;
  carto::TileEnumerator tiles_;
  store::TilesetId tileset_;
  std::unordered_set<std::uint64_t> done_;
  std::optional<store::Database> reader_;
  std::uint64_t total_ = 0;
  std::int64_t processed_ = 0;
  std::uint64_t token_generation_ = 0;
  std::uint32_t renewals_in_row_ = 0;
  bool renewing_ = false;
  bool token_dead_ = false;
  std::size_t running_ = 0;
  Clock::time_point started_ = Clock::now(), last_log_ = Clock::now(), last_checkpoint_ = Clock::now();
  std::unique_ptr<store::TileStore> freshness_;
  std::optional<result<carto::TileRequestPlan>> plan_;
  std::uint64_t plan_generation_ = 0;
};

asio::awaitable<void> Pyramid::execute(std::size_t workers) {
  auto reader = store::Database::open(run_.o_.database_path, store::OpenOptions{.read_only = true});
  if (reader) {
    reader_.emplace(std::move(*reader));
    freshness_ = std::make_unique<store::TileStore>(*reader_);
    // A tileset empty at the start has nothing to revalidate: no lookup per tile (a first run's
    // hot path). Tiles this run stores are never fetched twice in it.
    if (auto any = freshness_->has_tiles(tileset_); any && !*any) freshness_.reset();
  }
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer all_done(executor, Clock::time_point::max());
  // Workers are separate coroutines: each gets a cancellation signal so that cancelling this run
  // stops them before the state they share goes away.
  auto signals = std::make_unique<asio::cancellation_signal[]>(workers);
  running_ = workers;
  for (std::size_t i = 0; i < workers; ++i) {
    asio::co_spawn(
        executor, worker(),
        asio::bind_cancellation_slot(signals[i].slot(), [this, &all_done](const std::exception_ptr&) {
          if (--running_ == 0) all_done.cancel();
        }));
  }
  bool cancelled = false;
  try {
    // Wakes when the last worker ends (the timer is cancelled), reporting progress meanwhile.
    while (running_ > 0) {
      all_done.expires_after(250ms);
      co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
      co_await report(false);
    }
  } catch (const boost::system::system_error& e) {
    if (e.code() != asio::error::operation_aborted) throw;
    cancelled = true;
  }
  if (cancelled) {
    for (std::size_t i = 0; i < workers; ++i) signals[i].emit(asio::cancellation_type::terminal);
    co_await asio::this_coro::reset_cancellation_state();
    asio::steady_timer wait(executor);
    while (running_ > 0) {
      wait.expires_after(2ms);
      co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_await report(true);
    throw boost::system::system_error(asio::error::operation_aborted);
  }
  co_await report(true);
}

asio::awaitable<void> Pyramid::report(bool final) {
  auto now = Clock::now();
  if (final || now - last_checkpoint_ >= run_.o_.checkpoint_interval) {
    last_checkpoint_ = now;
    store::WriteOp op = store::CheckpointWrite{
        run_.run_,  r_.name + "/" + format_,           "{\"done\":" + std::to_string(processed_) + "}",
        processed_, static_cast<std::int64_t>(total_), std::chrono::system_clock::now()};
    co_await run_.write(std::move(op));
    if (run_.o_.events.tiles_pending) {
      run_.o_.events.tiles_pending(run_.job_.name, static_cast<std::int64_t>(total_) - processed_);
    }
  }
  if (final || now - last_log_ >= run_.o_.progress_log_interval) {
    last_log_ = now;
    double secs = std::max(0.001, std::chrono::duration<double>(now - started_).count());
    double rate = processed_ / secs;
    double left = rate > 0 ? (static_cast<double>(total_) - processed_) / rate : 0;
    spdlog::info("job {} {} {}: {}/{} tiles ({:.0f}/s{}{})", run_.job_.name, r_.name, format_, processed_,
                 total_, rate, final ? ", done" : ", ETA ",
                 final ? "" : std::to_string(static_cast<long>(left)) + "s");
  }
}

asio::awaitable<void> Pyramid::worker() {
  while (!token_dead_) {
    auto t = tiles_.next();
    if (!t) break;
    if (!done_.empty() && done_.contains(key(t->z, t->x, t->y))) {
      ++processed_;
      continue;  // stored by the interrupted run this one resumes
    }
    co_await tile(*t);
    ++processed_;
  }
}

// Re-instantiates the parent after an expired token; one worker renews, the others wait for it.
asio::awaitable<bool> Pyramid::renew_token(std::uint64_t generation_used) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer wait(executor);
  while (renewing_) {
    wait.expires_after(5ms);
    co_await wait.async_wait(asio::use_awaitable);
  }
  if (token_generation_ != generation_used) co_return !token_dead_;  // someone else renewed it
  if (token_dead_ || r_.parent.empty()) co_return false;
  auto max = run_.o_.config->defaults.max_token_renewals;
  if (renewals_in_row_ >= max) {
    token_dead_ = true;
    spdlog::warn("job {} {}: token renewed {} times in a row without a successful tile; giving up",
                 run_.job_.name, r_.name, max);
    co_return false;
  }
  renewing_ = true;
  ++renewals_in_row_;
  const config::ResourceConfig* parent = nullptr;
  for (const auto& p : run_.job_.resources) {
    if (p.name == r_.parent) parent = &p;
  }
  bool ok = false;
  if (parent != nullptr) {
    carto::Placeholders none;
    ok = co_await run_.instantiate(*parent, std::move(none));
  }
  if (ok) {
    for (const auto& [k, v] : run_.outputs_[r_.parent]) values_[k] = v;
    ++token_generation_;
    spdlog::info("job {} {}: layergroup token expired; re-instantiated {} ({} of {} in a row)",
                 run_.job_.name, r_.name, r_.parent, renewals_in_row_, max);
  } else {
    token_dead_ = true;
  }
  renewing_ = false;
  co_return ok;
}

const result<carto::TileRequestPlan>& Pyramid::plan() {
  if (!plan_ || plan_generation_ != token_generation_) {
    carto::Placeholders values = values_;
    values["format"] = format_;
    plan_.emplace(carto::TileRequestPlan::make(run_.source_, r_, std::move(values)));
    plan_generation_ = token_generation_;
  }
  return *plan_;
}

asio::awaitable<void> Pyramid::tile(carto::TileId t) {
  // The item's name is only needed when the tile fails.
  auto item = [&] { return format_ + " " + carto::to_string(t); };
  for (;;) {
    http::Headers conditional;
    store::TileKey key{t.z, t.x, t.y};
    std::optional<store::TileState> stored;
    if (freshness_) {
      if (auto state = freshness_->tile_state(tileset_, key); state && *state) {
        stored = std::move(**state);
        // CARTO disables ETags but honours If-Modified-Since (carto-maps-api.md §7).
        if (stored->etag) conditional.set("If-None-Match", *stored->etag);
        if (stored->last_modified) conditional.set("If-Modified-Since", *stored->last_modified);
      }
    }
    auto generation = token_generation_;
    const auto& planned = plan();
    if (!planned) {
      co_await run_.fail(r_, item(), planned.error().what());
      co_return;
    }
    // Taken before the first suspension: a renewal may replace the plan and the token meanwhile.
    std::optional<std::string> token = token_of(values_);
    std::string group = planned->request().group;
    http::Request request = Run::request_of(r_, planned->request(), planned->url(t), std::move(conditional));
    auto response = co_await run_.fetcher_.fetch(std::move(group), std::move(request));
    if (!response) {
      co_await run_.fail(r_, item(), response.error().what());
      co_return;
    }
    auto& res = *response;
    if (carto::is_expired_token_error(res.status, res.body)) {
      if (co_await renew_token(generation)) continue;
      co_await run_.fail(r_, item(), status_reason(res));
      co_return;
    }
    store::TileFreshness fresh{std::chrono::system_clock::now(), header(res, "Last-Modified"),
                               header(res, "ETag"), std::move(token)};
    if (res.status == 200) {
      renewals_in_row_ = 0;
      run_.counts_.bytes += static_cast<std::int64_t>(res.body_bytes);
      auto data = bytes_of(res.body);
      auto hash = store::blob_hash(data);
      if (stored && stored->hash == hash && stored->size == static_cast<std::int64_t>(data.size())) {
        // A new token (the data version moved) but the same bytes: refresh, do not rewrite.
        store::WriteOp op = store::TileTouch{tileset_, key, std::move(fresh), run_.run_};
        co_await run_.write(std::move(op));
        run_.count("unchanged");
      } else {
        store::WriteOp op =
            store::TileWrite{tileset_, key, std::move(data), std::move(fresh), run_.run_, hash};
        co_await run_.write(std::move(op));
        run_.count("fetched");
      }
    } else if (res.status == 304) {
      renewals_in_row_ = 0;
      store::WriteOp op = store::TileTouch{tileset_, key, std::move(fresh), run_.run_};
      co_await run_.write(std::move(op));
      run_.count("unchanged");
    } else if (res.status == 204) {
      renewals_in_row_ = 0;
      run_.count("empty");
      if (r_.tiles.prune_empty) tiles_.prune(t);
    } else {
      co_await run_.fail(r_, item(), status_reason(res));
    }
    co_return;
  }
}

asio::awaitable<bool> Run::pyramid(const config::ResourceConfig& r, carto::Placeholders values) {
  auto coverage = carto::Coverage::from_boxes(r.tiles.bbox);
  if (!r.tiles.coverage_file.empty()) {
    std::ifstream in(r.tiles.coverage_file);
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = carto::Coverage::from_geojson(text.str());
    if (!parsed) {
      co_await fail(r, r.name, r.tiles.coverage_file + ": " + parsed.error().what());
      co_return false;
    }
    coverage = *parsed;
  }
  bool all_ok = true;
  for (const auto& format : r.tiles.formats) {
    std::string key = job_.name + "/" + r.name + "/" + format + (r.tiles.scale == 2 ? "@2x" : "");
    store::TilesetId tileset = 0;
    std::unordered_set<std::uint64_t> done;
    auto run = run_;
    // Skip only what the interrupted run stored from this data version: a bump in between changes it.
    std::optional<std::string> token = token_of(values);
    std::function<result<void>(store::WriteContext&)> task = [&, key, format, run,
                                                              token](store::WriteContext& c) -> result<void> {
      auto id = c.tiles.ensure_tileset(key, store::mbtiles_format(format), std::chrono::system_clock::now());
      if (!id) return id.error();
      tileset = *id;
      auto stored = c.tiles.tiles_of_run(tileset, run, token);
      if (!stored) return stored.error();
      for (const auto& k : *stored) done.insert(Pyramid::key(k.z, k.x, k.y));
      return {};
    };
    auto prepared = co_await o_.writer->call(std::move(task));
    if (!prepared) {
      co_await fail(r, r.name + " " + format, prepared.error().what());
      all_ok = false;
      continue;
    }
    if (!done.empty())
      spdlog::info("job {} {} {}: resuming, {} tiles already stored", job_.name, r.name, format, done.size());
    Pyramid p(*this, r, values, format, carto::TileEnumerator(coverage, r.tiles.min_zoom, r.tiles.max_zoom),
              tileset, std::move(done));
    co_await p.execute(std::max<std::size_t>(1, source_.concurrency.max));

    // MBTiles metadata, written whole once the pyramid is complete.
    store::TilesetMetadata meta;
    meta.name = key;
    meta.format = store::mbtiles_format(format);
    meta.minzoom = r.tiles.min_zoom;
    meta.maxzoom = r.tiles.max_zoom;
    if (!r.tiles.bbox.empty()) {
      config::BBox b = r.tiles.bbox.front();
      for (const auto& x : r.tiles.bbox) {
        b.west = std::min(b.west, x.west), b.south = std::min(b.south, x.south);
        b.east = std::max(b.east, x.east), b.north = std::max(b.north, x.north);
      }
      meta.bounds = fmt::format("{},{},{},{}", b.west, b.south, b.east, b.north);
      meta.center = fmt::format("{},{},{}", (b.west + b.east) / 2, (b.south + b.north) / 2, r.tiles.min_zoom);
    }
    if (format == "mvt") {
      boost::json::array layers;
      std::string ids = values.contains("layer_ids") ? values["layer_ids"] : "";
      std::size_t start = 0;
      while (start <= ids.size() && !ids.empty()) {
        auto comma = ids.find(',', start);
        auto id = ids.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!id.empty()) layers.push_back(boost::json::object{{"id", id}, {"fields", boost::json::object{}}});
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      if (layers.empty())
        layers.push_back(boost::json::object{{"id", "layer0"}, {"fields", boost::json::object{}}});
      meta.json = boost::json::serialize(boost::json::object{{"vector_layers", layers}});
    }
    std::function<result<void>(store::WriteContext&)> write_metadata = [&, meta](store::WriteContext& c) {
      return c.tiles.set_metadata(tileset, meta);
    };
    auto wrote = co_await o_.writer->call(std::move(write_metadata));
    if (!wrote) {
      co_await fail(r, r.name + " " + format, wrote.error().what());
      all_ok = false;
    }
  }
  co_return all_ok;
}

asio::awaitable<bool> Run::resource(const config::ResourceConfig& r) {
  carto::Placeholders values;
  if (!r.parent.empty()) {
    if (failed_.contains(r.parent)) {
      co_await fail(r, r.name, "parent resource " + r.parent + " failed");
      co_return false;
    }
    values = outputs_[r.parent];
  }
  if (is_layergroup_kind(r.kind)) co_return co_await instantiate(r, values);
  if (is_tile_kind(r.kind)) co_return co_await pyramid(r, values);
  if (is_static_kind(r.kind)) co_return co_await static_image(r, values);
  co_return co_await json_resource(r, values);
}

asio::awaitable<RunSummary> Run::execute(std::string trigger) {
  RunSummary summary;
  summary.job = job_.name;
  auto started = Clock::now();
  auto now = std::chrono::system_clock::now();
  bool resumed = false;
  std::function<result<void>(store::WriteContext&)> task = [&](store::WriteContext& c) -> result<void> {
    if (auto j = c.ledger.ensure_job(job_.name, now); !j) return j.error();
    auto resumable = c.ledger.find_resumable_run(job_.name);
    if (!resumable) return resumable.error();
    if (*resumable) {
      resumed = true;
      run_ = **resumable;
      return c.ledger.resume_run(run_);
    }
    auto id = c.ledger.begin_run(job_.name, trigger, now);
    if (!id) return id.error();
    run_ = *id;
    return {};
  };
  auto begun = co_await o_.writer->call(std::move(task));
  if (!begun) {
    summary.error = "cannot record the run: " + begun.error().what();
    co_return summary;
  }
  summary.run = run_;
  summary.resumed = resumed;
  spdlog::info("job {} run {} {} ({})", job_.name, run_, resumed ? "resumed" : "started", trigger);

  bool cancelled = false;
  try {
    for (const auto& r : job_.resources) {
      if (!co_await resource(r)) failed_.insert(r.name);
    }
  } catch (const boost::system::system_error& e) {
    if (e.code() != asio::error::operation_aborted) throw;
    cancelled = true;
  }
  if (cancelled) co_await asio::this_coro::reset_cancellation_state();
  if (!cancelled) {
    // Every item was tried again in this run: dead letters that did not fail again are resolved.
    auto failed_items = failed_items_;
    auto job = job_.name;
    std::function<result<void>(store::WriteContext&)> resolve =
        [failed_items, job](store::WriteContext& c) -> result<void> {
      auto letters = c.dead.list(job);
      if (!letters) return letters.error();
      for (const auto& l : *letters) {
        if (failed_items.contains({l.resource, l.item})) continue;
        if (auto removed = c.dead.remove(l.job, l.resource, l.item); !removed) return removed.error();
      }
      return {};
    };
    co_await o_.writer->call(std::move(resolve));
  }

  auto status =
      cancelled ? store::RunStatus::cancelled : decide_status(counts_, o_.config->defaults.failure_threshold);
  auto counts = counts_;
  auto error = first_error_;
  std::function<result<void>(store::WriteContext&)> finish = [&](store::WriteContext& c) -> result<void> {
    if (auto a = c.ledger.add_counts(run_, counts); !a) return a.error();
    return c.ledger.finish_run(run_, status, std::chrono::system_clock::now(),
                               error.empty() ? std::nullopt : std::optional<std::string>(error));
  };
  auto finished = co_await o_.writer->call(std::move(finish));
  summary.status = finished ? status : store::RunStatus::failed;
  if (!finished && error.empty()) error = finished.error().what();
  summary.counts = counts_;
  summary.error = redact(error);
  summary.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  spdlog::info("job {} run {} {}: {} fetched, {} unchanged, {} empty, {} failed, {} bytes in {:.2f}s",
               job_.name, run_, store::to_string(summary.status), counts_.fetched, counts_.unchanged,
               counts_.empty, counts_.failed, counts_.bytes, summary.duration.count() / 1000.0);
  co_return summary;
}

}  // namespace

JobRunner::JobRunner(JobRunnerOptions options) : options_(std::move(options)) {}
JobRunner::~JobRunner() = default;

asio::awaitable<RunSummary> JobRunner::run(config::JobConfig job, std::string trigger) {
  auto source = options_.config->sources.find(job.source);
  Fetcher* fetcher = source == options_.config->sources.end() ? nullptr : options_.fetcher(job.source);
  if (fetcher == nullptr) {
    RunSummary s;
    s.job = job.name;
    s.error = "no fetcher for source " + job.source;
    co_return s;
  }
  Run run(options_, job, source->second, *fetcher);
  co_return co_await run.execute(std::move(trigger));
}

}  // namespace cartopull::extract
