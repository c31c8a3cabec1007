#pragma once
// The admin listener: HTTP/1.1 (HTTPS when admin.tls_certificate and tls_key are set) with
// Boost.Beast, on a thread and an io_context of its own, so that nothing it does (an argon2id
// verification takes tens of milliseconds) ever stalls the SIP event loop. Requests go to Api;
// what it needs from the SIP server comes through ServerLink.
//
// Start-up (create) does everything that opens a file or a socket: it binds the listener,
// opens the access log, reads the token hash, loads the TLS certificate and key and opens its
// own store connection. start() then only spawns the thread, so the process can confine itself
// (privilege drop, seccomp) in between and the thread inherits the confinement.
//
// Limits, each with a defined answer: the request head (431), the body (413), requests per
// connection (the last answer closes it), idle and slow connections (closed), connections in
// total and per source address (closed at once), banned sources (closed before anything is
// read; the refusal is logged), and argon2id checks of tokens not yet known, which run on a
// thread of their own (token_checks.h) so that the operator's known token never waits behind
// them: in flight per source group (429) and in total (503), each with Retry-After.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "admin/stats.h"
#include "common/endpoint.h"
#include "common/result.h"
#include "config/config.h"

namespace hardline::admin {

struct HttpLimits {
  size_t max_header_bytes = 8192;
  size_t max_body_bytes = 65536;
  uint32_t max_requests_per_connection = 100;
  std::chrono::seconds idle_timeout{30};  // for the next request to arrive whole
  std::chrono::seconds handshake_timeout{10};
  uint32_t max_connections = config::kAdminMaxConnections;  // counted in config's fd budget
  uint32_t max_connections_per_source = 8;
  uint32_t token_check_workers = 1;
  uint32_t max_token_checks = 16;
  uint32_t max_token_checks_per_source = 2;
};

class HttpServer {
 public:
  // Binds config.admin.listen and opens everything the API needs (see above). A missing or
  // unreadable token file is not an error: it is logged once and every request that needs a
  // token is refused (401). `link` outlives the server.
  static Result<std::unique_ptr<HttpServer>, std::string> create(const config::Config& config,
                                                                 ServerLink& link,
                                                                 HttpLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Spawns the admin thread, which accepts and serves until stop().
  void start();
  // Closes the listener and every connection and joins the thread. Idempotent.
  void stop();
  Endpoint local_endpoint() const;
  bool tls() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hardline::admin
