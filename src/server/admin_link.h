#pragma once
// The admin thread's way into the SIP server (admin::ServerLink): each call posts a function to
// the SIP event loop, which runs it between two messages; snapshot() waits for the answer with a
// timeout, so a stalled loop makes /health say 503 instead of hanging the admin API, and the
// SIP loop never waits for the admin thread.
#include <chrono>
#include <optional>

#include "admin/stats.h"

namespace boost::asio {
class io_context;
}

namespace hardline::server {

class SipServer;

class AdminLink final : public admin::ServerLink {
 public:
  // Both outlive the link; the admin listener must be stopped before the loop is destroyed.
  AdminLink(boost::asio::io_context& io, SipServer& server) : io_(io), server_(server) {}

  std::optional<admin::Snapshot> snapshot(std::chrono::milliseconds timeout) override;
  void auth_failure(const IpAddress& source) override;

 private:
  boost::asio::io_context& io_;
  SipServer& server_;
};

}  // namespace hardline::server
