// Fuzz target: the admin API's handling of untrusted HTTP. The bytes are one HTTP/1.1 request
// as a client would send it: Beast's parser (with the listener's limits) reads it, as the
// listener does, and Api::handle routes it, checks the bearer token, decodes the path and parses
// the JSON body against a real SQLite store. Invariants besides the sanitizers: every answer has
// a status from the API's set, every answer but /metrics is JSON, and no answer or logged path
// carries the token.

#include <unistd.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "admin/api.h"
#include "admin/token.h"
#include "common/assert.h"
#include "common/clock.h"
#include "store/sqlite_store.h"

using namespace hardline;
namespace http = boost::beast::http;

namespace {

// The corpus holds requests with this token, so the fuzzer reaches past authentication.
constexpr std::string_view kToken = "fuzz-token-0123456789abcdefghijklmnopqrstuv";

class FixedLink final : public admin::ServerLink {
 public:
  std::optional<admin::Snapshot> snapshot(std::chrono::milliseconds) override {
    return admin::Snapshot{};
  }
  void auth_failure(const IpAddress&) override {}
};

struct World {
  World() {
    std::string pattern = (std::filesystem::temp_directory_path() / "fuzz-admin-XXXXXX").string();
    HL_CHECK(::mkdtemp(pattern.data()) != nullptr);
    auto opened = store::open_sqlite(std::filesystem::path(pattern) / "hardline.db",
                                     store::OpenMode::kCreate);
    HL_CHECK(opened.has_value());
    store = std::move(*opened);
    tokens = std::make_unique<admin::TokenVerifier>(*admin::hash_token(kToken, true));
    admin::ApiSettings settings;
    settings.domain = "hardline.test";
    settings.version = "0.0.0";
    api = std::make_unique<admin::Api>(*store, link, *tokens, clock, settings);
  }
  ManualClock clock;
  FixedLink link;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<admin::TokenVerifier> tokens;
  std::unique_ptr<admin::Api> api;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world;
  world.clock.advance(std::chrono::seconds(1));

  http::request_parser<http::string_body> parser;
  parser.header_limit(8192);
  parser.body_limit(65536);
  parser.eager(true);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_done()) return 0;
  const auto& request = parser.get();

  admin::Request in;
  in.method = std::string_view(request.method_string().data(), request.method_string().size());
  in.target = std::string_view(request.target().data(), request.target().size());
  const auto authorization = request[http::field::authorization];
  in.authorization = std::string_view(authorization.data(), authorization.size());
  in.body = request.body();
  in.source = *parse_ip_address("127.0.0.1");
  const admin::Reply reply = world.api->handle(in);

  switch (reply.status) {
    case 200:
    case 201:
    case 400:
    case 401:
    case 404:
    case 405:
    case 409:
    case 429:
    case 503:
      break;
    default:
      std::abort();
  }
  if (reply.body.find(kToken) != std::string::npos) std::abort();
  if (reply.logged_path.find(kToken) != std::string::npos) std::abort();
  if (reply.content_type == "application/json" &&
      nlohmann::json::parse(reply.body, nullptr, false).is_discarded()) {
    std::abort();
  }
  return 0;
}
