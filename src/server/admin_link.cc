#include "server/admin_link.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <memory>

#include "server/sip_server.h"

namespace hardline::server {

std::optional<admin::Snapshot> AdminLink::snapshot(std::chrono::milliseconds timeout) {
  // Shared: if the wait times out, the loop may still run the function later and must find the
  // promise alive.
  auto promise = std::make_shared<std::promise<admin::Snapshot>>();
  std::future<admin::Snapshot> future = promise->get_future();
  boost::asio::post(io_, [this, promise] { promise->set_value(server_.snapshot()); });
  if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  return future.get();
}

void AdminLink::auth_failure(const IpAddress& source) {
  boost::asio::post(io_, [this, source] { server_.on_admin_auth_failure(source); });
}

}  // namespace hardline::server
