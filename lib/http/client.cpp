#include "http/client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <list>
#include <map>
#include <vector>

#include "core/redact.hpp"
#include "core/version.hpp"
#include "http/url.hpp"

namespace cartopull::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;
using std::chrono::milliseconds;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kChunk = 64 * 1024;
constexpr std::uint64_t kRedirectBodyLimit = 64 * 1024;

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string host_header(const Origin& o) {
  std::string h = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
  if (o.port != (o.tls ? 443 : 80)) h += ":" + std::to_string(o.port);
  return h;
}

// Translates a failed socket step once, here, into our error category (style.md "Errors" 3).
errc classify_io(const beast::error_code& ec, bool in_body) {
  if (ec == beast::error::timeout) return errc::timeout;
  if (ec == asio::error::operation_aborted) return errc::cancelled;
  if (ec == bhttp::error::body_limit) return errc::body_too_large;
  if (ec == bhttp::error::partial_message) return errc::truncated_body;
  if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
      ec == ssl::error::stream_truncated)
    return in_body ? errc::truncated_body : errc::connection_reset;
  if (ec.category() == beast::error_code(bhttp::error::bad_version).category())
    return errc::bad_response;  // Beast's parser
  return errc::connection_reset;
}

struct Connection {
  Connection() { buffer.reserve(kChunk); }
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  // Beast reads at most the buffer's free capacity (512 bytes when empty) per recv: reserved, a
  // tile arrives in one or two reads instead of ~23 (bench/peers.sh, docs/bench.md).
  beast::flat_buffer buffer;
  std::vector<char> scratch = std::vector<char>(kChunk);
  Deadline idle_since{};
  bool reused = false;

  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  void close() {
    beast::error_code ec;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp().socket().close(ec);
  }
  // A pooled connection is usable when nothing is readable: data or EOF there means the server closed it
  // (or sent something unsolicited), so it must not carry the next request.
  bool looks_alive() {
    if (buffer.size() > 0) return false;
    auto& sock = tcp().socket();
    beast::error_code ec;
    if (!sock.non_blocking()) sock.non_blocking(true, ec);  // one ioctl per connection, not per request
    if (ec) return false;
    char b;
    sock.receive(asio::buffer(&b, 1), tcp::socket::message_peek, ec);
    return ec == asio::error::would_block;
  }
};

// A Beast body that appends into a std::string reserved at the Content-Length: one copy from the
// connection's read buffer. (string_body zero-fills each chunk before copying it in.)
struct ReservedStringBody {
  using value_type = std::string;
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(bhttp::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
      if (length) body_.reserve(static_cast<std::size_t>(*length));  // bounded by the caller's limit
      ec = {};
    }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      std::size_t n = 0;
      for (auto b : beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      ec = {};
      return n;
    }
    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

// What one request/response exchange on one connection produced.
struct Exchange {
  result<Response> response = Error(errc::cancelled, "not run");
  bool received_any = false;  // any response byte: a replay on a fresh connection is no longer safe
  bool keep_alive = false;
};

}  // namespace

struct Client::Impl {
  asio::any_io_executor ex;
  ClientOptions opts;
  ssl::context ctx{ssl::context::tls_client};
  std::string user_agent;
  std::string basic_auth;  // precomputed "Basic ..." header value (never logged)
  PoolStats stats;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  struct Waiter {
    asio::steady_timer* timer;
    bool notified = false;
  };
  struct OriginPool {
    std::vector<std::unique_ptr<Connection>> idle;
    std::uint32_t open = 0;
    std::list<Waiter*> waiters;
  };
  std::map<std::string, OriginPool> pools;

  // Returns a connection's slot to its pool when a request is abandoned mid-way (coroutine destroyed).
  struct Lease {
    Impl* impl = nullptr;
    std::weak_ptr<bool> alive;
    std::string key;
    std::unique_ptr<Connection> conn;
    Lease(Impl* i, std::weak_ptr<bool> a, std::string k, std::unique_ptr<Connection> c)
        : impl(i), alive(std::move(a)), key(std::move(k)), conn(std::move(c)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = default;
    ~Lease() {
      if (conn && !alive.expired()) impl->release(key, std::move(conn), false);
    }
  };

  explicit Impl(asio::any_io_executor e, ClientOptions o) : ex(std::move(e)), opts(std::move(o)) {
    user_agent = opts.user_agent.empty() ? std::string(kUserAgent) : opts.user_agent;
    if (opts.auth.mode == AuthMode::basic)
      basic_auth = "Basic " + base64(opts.auth.user + ":" + std::string(opts.auth.key.reveal()));
  }

  ~Impl() { *alive = false; }

  // Milliseconds left for a step: the smaller of its own timeout and what the whole request has left.
  static std::optional<SteadyClock::duration> step_budget(milliseconds step, Deadline deadline) {
    auto left = deadline - SteadyClock::now();
    if (left <= SteadyClock::duration::zero()) return std::nullopt;
    return std::min<SteadyClock::duration>(step, left);
  }

  static Error deadline_error(std::string_view step, const Origin& o) {
    return Error(errc::timeout, "request deadline exceeded before " + std::string(step) + " to " + o.key());
  }

  void wake_one(OriginPool& pool) {
    if (pool.waiters.empty()) return;
    Waiter* w = pool.waiters.front();
    pool.waiters.pop_front();
    w->notified = true;
    w->timer->cancel();
  }

  void release(const std::string& key, std::unique_ptr<Connection> conn, bool keep) {
    auto& pool = pools[key];
    if (keep && conn->buffer.size() == 0) {
      conn->idle_since = SteadyClock::now();
      pool.idle.push_back(std::move(conn));
    } else {
      conn->close();
      if (pool.open > 0) --pool.open;
    }
    wake_one(pool);
  }

  asio::awaitable<result<std::unique_ptr<Connection>>> open_connection(Origin origin, Deadline deadline) {
    auto via = opts.proxy.proxy_for(origin);
    const Origin dial = via ? *via : origin;
    const char* proxied = via ? " via proxy " : "";
    std::string via_text = via ? dial.key() : "";

    // DNS: the resolver has no deadline of its own, so a timer cancels it.
    auto budget = step_budget(opts.dns_timeout, deadline);
    if (!budget) co_return deadline_error("DNS lookup", dial);
    auto resolver = std::make_shared<tcp::resolver>(ex);
    asio::steady_timer timer(ex);
    timer.expires_after(*budget);
    timer.async_wait([resolver](const beast::error_code& ec) {
      if (!ec) resolver->cancel();
    });
    auto [rec, endpoints] = co_await resolver->async_resolve(dial.host, std::to_string(dial.port), kTuple);
    bool dns_timed_out = timer.expiry() <= SteadyClock::now();
    timer.cancel();
    if (rec) {
      if (dns_timed_out) co_return Error(errc::timeout, "DNS lookup of " + dial.host + " timed out");
      co_return Error(via ? errc::proxy_failed : errc::dns_failed,
                      "DNS lookup of " + dial.host + " failed: " + rec.message());
    }

    budget = step_budget(opts.connect_timeout, deadline);
    if (!budget) co_return deadline_error("connect", dial);
    beast::tcp_stream stream(ex);
    stream.expires_after(*budget);
    auto [cec, ep] = co_await stream.async_connect(endpoints, kTuple);
    if (cec) {
      if (cec == beast::error::timeout)
        co_return Error(errc::timeout, "connect to " + dial.key() + " timed out");
      co_return Error(via ? errc::proxy_failed : errc::connect_failed,
                      "connect to " + dial.key() + " failed: " + cec.message());
    }
    beast::error_code ignored;
    stream.socket().set_option(tcp::no_delay(true), ignored);

    if (via) {
      // A tunnel, so that TLS and the API key stay end to end (the proxy sees only host:port).
      budget = step_budget(opts.tls_timeout, deadline);
      if (!budget) co_return deadline_error("proxy CONNECT", dial);
      std::string authority =
          (origin.host.find(':') != std::string::npos ? "[" + origin.host + "]" : origin.host) + ":" +
          std::to_string(origin.port);
      bhttp::request<bhttp::empty_body> rq{bhttp::verb::connect, authority, 11};
      rq.set(bhttp::field::host, authority);
      rq.set(bhttp::field::user_agent, user_agent);
      stream.expires_after(*budget);
      auto [wec, wn] = co_await bhttp::async_write(stream, rq, kTuple);
      beast::flat_buffer buf;
      bhttp::response_parser<bhttp::empty_body> p;
      p.skip(true);  // a 2xx to CONNECT has no body: the tunnel starts right after the header
      beast::error_code pec = wec;
      if (!pec) std::tie(pec, wn) = co_await bhttp::async_read(stream, buf, p, kTuple);
      if (pec) {
        if (pec == beast::error::timeout)
          co_return Error(errc::timeout, "proxy CONNECT to " + dial.key() + " timed out");
        co_return Error(errc::proxy_failed, "proxy CONNECT to " + dial.key() + " failed: " + pec.message());
      }
      if (p.get().result_int() / 100 != 2)
        co_return Error(errc::proxy_failed, "proxy " + dial.key() + " refused CONNECT " + authority +
                                                " with " + std::to_string(p.get().result_int()));
      if (buf.size() > 0) co_return Error(errc::proxy_failed, "proxy sent data before the tunnel opened");
    }

    auto conn = std::make_unique<Connection>();
    if (!origin.tls) {
      conn->plain.emplace(std::move(stream));
      ++stats.connections_opened;
      co_return std::move(conn);
    }

    conn->tls.emplace(std::move(stream), ctx);
    SSL* native = conn->tls->native_handle();
    bool ip = is_ip_literal(origin.host);
    if (!ip) SSL_set_tlsext_host_name(native, origin.host.c_str());  // SNI (never for IP literals)
    if (!opts.insecure_skip_verify) {
      // Chain verification is on in the context; here OpenSSL also checks the name (RFC 6125).
      X509_VERIFY_PARAM* param = SSL_get0_param(native);
      if (ip) {
        X509_VERIFY_PARAM_set1_ip_asc(param, origin.host.c_str());
      } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(param, origin.host.c_str(), 0);
      }
    }
    budget = step_budget(opts.tls_timeout, deadline);
    if (!budget) co_return deadline_error("TLS handshake", origin);
    conn->tcp().expires_after(*budget);
    auto [hec] = co_await conn->tls->async_handshake(ssl::stream_base::client, kTuple);
    if (hec) {
      if (hec == beast::error::timeout)
        co_return Error(errc::timeout,
                        "TLS handshake with " + origin.key() + proxied + via_text + " timed out");
      long verify = SSL_get_verify_result(native);
      std::string why = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : hec.message();
      co_return Error(errc::tls_failed, "TLS handshake with " + origin.key() + " failed: " + why);
    }
    ++stats.connections_opened;
    co_return std::move(conn);
  }

  asio::awaitable<result<Lease>> acquire(Origin origin, Deadline deadline) {
    const std::string key = origin.key();
    for (;;) {
      auto& pool = pools[key];
      while (!pool.idle.empty()) {
        auto c = std::move(pool.idle.back());
        pool.idle.pop_back();
        bool expired = SteadyClock::now() - c->idle_since > opts.idle_timeout;
        if (expired || !c->looks_alive()) {
          if (!expired) ++stats.stale_replaced;
          c->close();
          --pool.open;
          continue;
        }
        c->reused = true;
        ++stats.connections_reused;
        co_return Lease{this, alive, key, std::move(c)};
      }
      if (pool.open < std::max<std::uint32_t>(opts.max_connections_per_origin, 1)) {
        ++pool.open;
        auto c = co_await open_connection(origin, deadline);
        if (!c) {
          auto& p = pools[key];
          --p.open;
          wake_one(p);
          co_return c.error();
        }
        co_return Lease{this, alive, key, std::move(*c)};
      }
      if (SteadyClock::now() >= deadline) co_return deadline_error("a pooled connection", origin);
      asio::steady_timer timer(ex);
      timer.expires_at(deadline);
      Waiter w{&timer};
      pool.waiters.push_back(&w);
      // Leaves the queue however this wait ends (timeout, or the coroutine destroyed while suspended).
      struct Unqueue {
        std::list<Waiter*>* list;
        std::list<Waiter*>::iterator it;
        Waiter* w;
        ~Unqueue() {
          if (!w->notified) list->erase(it);
        }
      } unqueue{&pool.waiters, std::prev(pool.waiters.end()), &w};
      co_await timer.async_wait(kTuple);
      if (!w.notified)
        co_return Error(errc::timeout, "request deadline exceeded waiting for a connection to " + key);
    }
  }

  struct ExchangeArgs {
    Connection* conn;
    const Origin* origin;
    std::string method;
    std::string target;
    Headers headers;
    const std::string* body;
    Deadline deadline;
    std::uint64_t limit;
    const BodySink* sink;
    bool can_redirect;
    bool can_replay;  // Request::replay_on_stale_connection
  };

  template <class Stream>
  asio::awaitable<Exchange> exchange_on(Stream* stream, ExchangeArgs a) {
    Exchange out;
    Connection& c = *a.conn;
    bhttp::request<bhttp::string_body> rq{bhttp::string_to_verb(a.method), a.target, 11};
    rq.set(bhttp::field::host, host_header(*a.origin));
    rq.set(bhttp::field::user_agent, user_agent);
    if (opts.accept_compressed) rq.set(bhttp::field::accept_encoding, "gzip, deflate");
    for (const auto& [name, value] : a.headers.fields()) rq.insert(name, value);
    rq.body() = *a.body;
    rq.keep_alive(true);
    rq.prepare_payload();

    auto fail = [&](errc code, std::string what) {
      out.response = Error(code, std::move(what) + " (" + a.origin->key() + ")");
      out.keep_alive = false;
      return out;
    };

    auto budget = step_budget(opts.io_timeout, a.deadline);
    if (!budget) co_return fail(errc::timeout, "request deadline exceeded before sending");
    c.tcp().expires_after(*budget);
    auto [wec, wn] = co_await bhttp::async_write(*stream, rq, kTuple);
    if (wec) co_return fail(classify_io(wec, false), "sending request: " + wec.message());

    bhttp::response_parser<bhttp::buffer_body> p;
    p.body_limit(boost::none);  // enforced below on wire and decoded bytes
    p.header_limit(64 * 1024);
    if (a.method == "HEAD") p.skip(true);
    budget = step_budget(opts.io_timeout, a.deadline);
    if (!budget) co_return fail(errc::timeout, "request deadline exceeded waiting for the response");
    c.tcp().expires_after(*budget);
    auto [hec, hn] = co_await bhttp::async_read_header(*stream, c.buffer, p, kTuple);
    out.received_any = hn > 0 || c.buffer.size() > 0 || p.got_some();
    if (hec) co_return fail(classify_io(hec, false), "reading response header: " + hec.message());

    Response resp;
    resp.status = p.get().result_int();
    for (const auto& f : p.get()) resp.headers.add(std::string(f.name_string()), std::string(f.value()));
    resp.reused_connection = c.reused;
    bool redirect = is_redirect(resp.status) && resp.headers.contains("Location");
    if (redirect && !a.can_redirect) co_return fail(errc::too_many_redirects, "too many redirects");

    std::uint64_t limit = redirect ? kRedirectBodyLimit : a.limit;
    if (auto cl = p.content_length(); cl && *cl > limit)
      co_return fail(errc::body_too_large,
                     "response body of " + std::to_string(*cl) + " bytes exceeds " + std::to_string(limit));
    auto encoding = parse_content_encoding(resp.headers.find("Content-Encoding").value_or(""));
    if (!encoding) co_return fail(errc::bad_response, encoding.error().message);
    if (!redirect && *encoding == ContentEncoding::identity && !*a.sink && p.content_length() &&
        !p.is_done()) {
      // A tile's case: parsed straight into Response::body (reserved once), first from what came in with
      // the header, without a trip through the event loop.
      bhttp::response_parser<ReservedStringBody> direct{std::move(p)};
      std::size_t step_start = 0;
      bool step_armed = false;
      while (!direct.is_done()) {
        if (c.buffer.size() > 0) {
          beast::error_code pec;
          const std::size_t used = direct.put(c.buffer.data(), pec);
          c.buffer.consume(used);
          if (pec && pec != bhttp::error::need_more)
            co_return fail(classify_io(pec, true), "reading response body: " + pec.message());
          if (used > 0) continue;
        }
        // A deadline per 64 KiB of body, as the general path below has.
        const std::size_t got = direct.get().body().size();
        if (!step_armed || got - step_start >= kChunk) {
          budget = step_budget(opts.io_timeout, a.deadline);
          if (!budget) co_return fail(errc::timeout, "request deadline exceeded reading the body");
          c.tcp().expires_after(*budget);
          step_start = got;
          step_armed = true;
        }
        auto [bec, bn] = co_await bhttp::async_read_some(*stream, c.buffer, direct, kTuple);
        if (bec) co_return fail(classify_io(bec, true), "reading response body: " + bec.message());
      }
      resp.body = std::move(direct.get().body());
      resp.wire_bytes = resp.body_bytes = resp.body.size();
      out.keep_alive = direct.keep_alive();
      out.response = std::move(resp);
      co_return out;
    }

    ContentDecoder decoder(redirect ? ContentEncoding::identity : *encoding, limit);
    BodySink collect = [&resp](std::string_view chunk) -> result<void> {
      resp.body.append(chunk);
      return {};
    };
    static const BodySink discard = [](std::string_view) -> result<void> { return {}; };
    const BodySink& sink = redirect ? discard : (*a.sink ? *a.sink : collect);

    while (!p.is_done()) {
      p.get().body().data = c.scratch.data();
      p.get().body().size = c.scratch.size();
      budget = step_budget(opts.io_timeout, a.deadline);
      if (!budget) co_return fail(errc::timeout, "request deadline exceeded reading the body");
      c.tcp().expires_after(*budget);
      auto [bec, bn] = co_await bhttp::async_read(*stream, c.buffer, p, kTuple);
      if (bec == bhttp::error::need_buffer) bec = {};
      std::size_t got = c.scratch.size() - p.get().body().size;
      if (got > 0) {
        resp.wire_bytes += got;
        if (resp.wire_bytes > limit)
          co_return fail(errc::body_too_large, "response body exceeds " + std::to_string(limit) + " bytes");
        if (auto r = decoder.feed({c.scratch.data(), got}, sink); !r) {
          out.response = r.error();
          co_return out;
        }
      }
      if (bec) co_return fail(classify_io(bec, true), "reading response body: " + bec.message());
    }
    if (auto r = decoder.finish(sink); !r) {
      out.response = r.error();
      co_return out;
    }
    resp.body_bytes = decoder.decoded_bytes();
    out.keep_alive = p.keep_alive();
    out.response = std::move(resp);
    co_return out;
  }

  // One exchange on a pooled or new connection. A reused connection that fails before any response byte
  // was closed by the server while idle (the race the liveness check cannot see): replay once on a fresh
  // one. CARTO's POSTs are idempotent too (instantiating the same MapConfig returns the same token, §7).
  asio::awaitable<Exchange> exchange(Origin origin, ExchangeArgs a) {
    for (int replay = 0;; ++replay) {
      auto lease = co_await acquire(origin, a.deadline);
      if (!lease) {
        Exchange e;
        e.response = lease.error();
        co_return e;
      }
      a.conn = lease->conn.get();
      a.origin = &origin;
      // GCC 12 miscompiles co_await inside a conditional expression: keep these as statements.
      Exchange e;
      if (a.conn->tls)
        e = co_await exchange_on(&*a.conn->tls, a);
      else
        e = co_await exchange_on(&*a.conn->plain, a);
      bool stale = !e.response && a.conn->reused && !e.received_any &&
                   (e.response.error().code == errc::connection_reset);
      auto key = lease->key;
      release(key, std::move(lease->conn), e.response && e.keep_alive);
      if (stale && replay == 0 && a.can_replay) {
        ++stats.stale_replaced;
        spdlog::debug("http: pooled connection to {} was closed by the server; retrying on a new one", key);
        continue;
      }
      co_return e;
    }
  }

  asio::awaitable<result<Response>> send(Request req) {
    const auto started = SteadyClock::now();
    const Deadline deadline = req.deadline.value_or(started + opts.request_timeout);
    const std::uint64_t limit = req.max_body_bytes.value_or(opts.max_body_bytes);
    std::string url = std::move(req.url);
    std::string method = req.method;
    std::string body = std::move(req.body);
    Headers headers = std::move(req.headers);
    std::optional<Origin> first_origin;

    for (std::uint32_t redirects = 0;; ++redirects) {
      if (redirects > 0 && req.before_redirect) {
        auto gate = co_await req.before_redirect();
        if (!gate) co_return gate.error();
      }
      auto target = parse_target(url);
      if (!target) co_return target.error();
      if (!first_origin) first_origin = target->origin;
      if (target->origin != *first_origin) {
        // Credentials set by the caller were meant for the first host only.
        headers.erase("Authorization");
        headers.erase("Cookie");
      }
      std::string wire_target = target->target;
      Headers wire_headers = headers;
      if (opts.auth.mode != AuthMode::none && target->origin.key() == opts.auth.origin) {
        if (opts.auth.mode == AuthMode::query) {
          auto with_key = add_query_param(url, "api_key", opts.auth.key.reveal());
          if (!with_key) co_return with_key.error();
          auto t2 = parse_target(*with_key);
          if (!t2) co_return t2.error();
          wire_target = t2->target;
        } else {
          wire_headers.set("Authorization", basic_auth);
        }
      }

      ExchangeArgs a{nullptr,
                     nullptr,
                     method,
                     wire_target,
                     std::move(wire_headers),
                     &body,
                     deadline,
                     limit,
                     &req.on_body,
                     redirects < opts.max_redirects,
                     req.replay_on_stale_connection};
      Exchange e = co_await exchange(target->origin, std::move(a));
      auto ms = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - started).count();
      if (!e.response) {
        Error err = e.response.error();
        err.message = method + " " + redact(url) + ": " + redact(err.message);
        spdlog::debug("http: {} after {} ms", err.message, ms);
        co_return err;
      }
      Response& resp = *e.response;
      // Guarded: redact() would otherwise run on every request with debug logging off.
      if (spdlog::should_log(spdlog::level::debug))
        spdlog::debug("http: {} {} -> {} ({} bytes, {} ms{})", method, redact(url), resp.status,
                      resp.wire_bytes, ms, resp.reused_connection ? ", reused" : "");
      if (!is_redirect(resp.status) || !resp.headers.contains("Location")) {
        resp.url = redact(url);
        resp.redirects = redirects;
        co_return std::move(resp);
      }
      auto next = resolve_location(url, *resp.headers.find("Location"));
      if (!next) co_return next.error();
      auto next_target = parse_target(*next);
      if (!next_target) co_return next_target.error();
      if (target->origin.tls && !next_target->origin.tls)
        co_return Error(errc::bad_response, "refusing redirect from https to http: " + redact(*next));
      if (resp.status == 303 || ((resp.status == 301 || resp.status == 302) && method == "POST")) {
        method = "GET";
        body.clear();
        headers.erase("Content-Type");
      }
      url = std::move(*next);
    }
  }
};

result<std::unique_ptr<Client>> Client::create(asio::any_io_executor executor, ClientOptions options) {
  auto impl = std::make_unique<Impl>(std::move(executor), std::move(options));
  auto& ctx = impl->ctx;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  ctx.set_default_verify_paths(ec);  // the system store; a missing one only matters if ca_file is empty
  if (!impl->opts.ca_file.empty()) {
    ctx.load_verify_file(impl->opts.ca_file, ec);
    if (ec)
      return Error(errc::config_invalid, "cannot load ca_file " + impl->opts.ca_file + ": " + ec.message());
  }
  if (impl->opts.insecure_skip_verify) {
    ctx.set_verify_mode(ssl::verify_none);
    spdlog::warn(
        "http: TLS certificate verification is DISABLED (insecure_skip_verify); do not use in production");
  } else {
    ctx.set_verify_mode(ssl::verify_peer);
  }
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

asio::awaitable<result<Response>> Client::send(Request request) {
  return impl_->send(std::move(request));
}

void Client::close_idle() {
  for (auto& [key, pool] : impl_->pools) {
    for (auto& c : pool.idle) {
      c->close();
      --pool.open;
    }
    pool.idle.clear();
  }
}

PoolStats Client::stats() const {
  PoolStats s = impl_->stats;
  s.idle = 0;
  for (const auto& [key, pool] : impl_->pools) s.idle += static_cast<std::uint32_t>(pool.idle.size());
  return s;
}

const ClientOptions& Client::options() const {
  return impl_->opts;
}

}  // namespace cartopull::http
