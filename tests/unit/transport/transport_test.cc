// Transports over real loopback sockets, with time from a ManualClock: the TCP message deadline
// (from a message's first byte, not put off by each byte), the idle timeout it leaves to real
// phones, and the slots as the receiver's Admission decides them. The sockets only carry bytes;
// every deadline moves with the manual clock, so nothing here waits for time to pass.

#include "transport/transport.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "transport/asio_address.h"

namespace hardline::transport {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using std::chrono::seconds;

constexpr std::string_view kRegister =
    "REGISTER sip:pbx.test SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKdeadline\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:100@pbx.test>;tag=1\r\n"
    "To: <sip:100@pbx.test>\r\n"
    "Call-ID: deadline@test\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

class RecordingReceiver : public Receiver {
 public:
  void on_message(std::string_view bytes, const Endpoint& source, sip::Framing) override {
    messages.emplace_back(bytes);
    sources.push_back(source);
  }
  Admission accept_connection(const IpAddress& source) override {
    Admission admission;
    admission.group = network_of(source, source.v6 ? 64 : 32);
    admission.known = known;
    return admission;
  }
  void on_framing_error(std::string_view, const sip::ParseError&, const Endpoint&) override {}
  void on_connection_closed(const Endpoint&) override { ++closed; }

  std::vector<std::string> messages;
  std::vector<Endpoint> sources;
  bool known = false;  // what accept_connection() says of the next connection
  int closed = 0;
};

class TransportTest : public ::testing::Test {
 protected:
  void start(Limits limits) {
    transports_ = std::make_unique<Transports>(io_, clock_, limits, receiver_);
    auto listened =
        transports_->listen(Endpoint{Protocol::kTcp, *parse_ip_address("127.0.0.1"), 0, 0, {}});
    ASSERT_TRUE(listened) << listened.error();
    port_ = transports_->local_endpoints().front().port;
  }

  // Runs the server's loop until `done` holds; the bound is for a broken test, never reached by
  // a passing one.
  void run_until(const std::function<bool()>& done) {
    for (int i = 0; i < 2000 && !done(); ++i) {
      io_.run_for(std::chrono::milliseconds(1));
      if (io_.stopped()) io_.restart();
    }
    ASSERT_TRUE(done());
  }

  // A client connection, accepted (or refused) by the server before this returns.
  std::unique_ptr<tcp::socket> connect(std::string_view from = "127.0.0.1") {
    auto socket = std::make_unique<tcp::socket>(client_io_);
    const size_t before =
        transports_->counters().connections_accepted + transports_->counters().connections_refused;
    socket->open(tcp::v4());
    socket->bind(tcp::endpoint(asio::ip::make_address(std::string(from)), 0));
    socket->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    run_until([&] {
      return transports_->counters().connections_accepted +
                 transports_->counters().connections_refused >
             before;
    });
    return socket;
  }

  // Sends `bytes` and lets the server read them.
  void send(tcp::socket& socket, std::string_view bytes) {
    asio::write(socket, asio::buffer(bytes.data(), bytes.size()));
    // On loopback the bytes wait in the server's socket when write() returns, and its read is
    // pending: the next turns of the loop read them.
    for (int i = 0; i < 20; ++i) io_.run_for(std::chrono::milliseconds(1));
    if (io_.stopped()) io_.restart();
  }

  void after(seconds elapsed) {
    clock_.advance(elapsed);
    transports_->sweep();
  }

  asio::io_context io_;
  asio::io_context client_io_;
  ManualClock clock_;
  RecordingReceiver receiver_;
  std::unique_ptr<Transports> transports_;
  uint16_t port_ = 0;
};

// Issue 13, item 2: a socket bound to 0.0.0.0 says which of the host's addresses each message
// was sent to, and a UDP answer leaves from it (a phone may drop a datagram from elsewhere).
TEST_F(TransportTest, AWildcardListenerKnowsAndAnswersFromTheAddressAMessageArrivedAt) {
  transports_ = std::make_unique<Transports>(io_, clock_, Limits{}, receiver_);
  ASSERT_TRUE(transports_->listen(Endpoint{Protocol::kUdp, IpAddress{}, 0, 0, {}}));
  const uint16_t udp_port = transports_->local_endpoints().front().port;
  ASSERT_TRUE(transports_->listen(Endpoint{Protocol::kTcp, IpAddress{}, 0, 0, {}}));
  port_ = transports_->local_endpoints().back().port;

  asio::ip::udp::socket phone(client_io_,
                              asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.3"), 0));
  for (const char* server : {"127.0.0.7", "127.0.0.8"}) {
    const size_t before = receiver_.sources.size();
    phone.send_to(asio::buffer(kRegister),
                  asio::ip::udp::endpoint(asio::ip::make_address(server), udp_port));
    run_until([&] { return receiver_.sources.size() > before; });
    const Endpoint source = receiver_.sources.back();
    EXPECT_EQ(source.local, *parse_ip_address(server));
    EXPECT_EQ(source.address, *parse_ip_address("127.0.0.3"));
    transports_->send(source, "answer");
    run_until([&] { return transports_->counters().sent > before; });
    std::array<char, 64> buffer{};
    asio::ip::udp::endpoint sender;
    const size_t size = phone.receive_from(asio::buffer(buffer), sender);
    EXPECT_EQ(std::string_view(buffer.data(), size), "answer");
    EXPECT_EQ(sender.address().to_string(), server) << "the answer came from elsewhere";
  }

  // TCP: the accepted connection's own address.
  tcp::socket stream(client_io_);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.9"), port_));
  const size_t before = receiver_.sources.size();
  asio::write(stream, asio::buffer(kRegister));
  run_until([&] { return receiver_.sources.size() > before; });
  EXPECT_EQ(receiver_.sources.back().local, *parse_ip_address("127.0.0.9"));
  EXPECT_EQ(receiver_.sources.back().protocol, Protocol::kTcp);
}

Limits deadline_limits() {
  Limits limits;
  limits.tcp_message_timeout = seconds(10);
  limits.tcp_idle_timeout = seconds(120);
  return limits;
}

TEST_F(TransportTest, DribblingConnectionClosesAtTheDeadlineOfItsFirstByte) {
  start(deadline_limits());
  auto slow = connect();
  // One byte every 2 s: never idle, never complete.
  for (int i = 0; i < 5; ++i) {
    send(*slow, kRegister.substr(static_cast<size_t>(i), 1));
    after(seconds(2));
  }
  EXPECT_EQ(transports_->connection_count(), 1U);  // 10 s: not past the deadline yet
  send(*slow, kRegister.substr(5, 1));
  after(seconds(1));
  EXPECT_EQ(transports_->connection_count(), 0U);
  EXPECT_EQ(transports_->counters().connections_deadline_closed, 1U);
  EXPECT_EQ(transports_->counters().connections_idle_closed, 0U);
  EXPECT_EQ(receiver_.closed, 1);
  EXPECT_TRUE(receiver_.messages.empty());
}

TEST_F(TransportTest, SilentConnectionClosesAtTheDeadlineOfTheAccept) {
  start(deadline_limits());
  auto silent = connect();
  after(seconds(10));
  EXPECT_EQ(transports_->connection_count(), 1U);
  after(seconds(1));
  EXPECT_EQ(transports_->connection_count(), 0U);
  EXPECT_EQ(transports_->counters().connections_deadline_closed, 1U);
}

TEST_F(TransportTest, PhoneBetweenMessagesIsLeftToTheIdleTimeout) {
  start(deadline_limits());
  auto phone = connect();
  send(*phone, kRegister);
  run_until([&] { return receiver_.messages.size() == 1; });
  // CRLF keep-alives every 30 s (RFC 5626) for 5 minutes: no message in progress, never idle.
  for (int i = 0; i < 10; ++i) {
    after(seconds(30));
    send(*phone, "\r\n\r\n");
  }
  EXPECT_EQ(transports_->connection_count(), 1U);
  send(*phone, kRegister);
  run_until([&] { return receiver_.messages.size() == 2; });
  after(seconds(120));
  EXPECT_EQ(transports_->connection_count(), 1U);
  after(seconds(1));
  EXPECT_EQ(transports_->connection_count(), 0U);
  EXPECT_EQ(transports_->counters().connections_idle_closed, 1U);
  EXPECT_EQ(transports_->counters().connections_deadline_closed, 0U);
}

TEST_F(TransportTest, TheDeadlineOfAMessageStartsWithItsOwnFirstByte) {
  start(deadline_limits());
  auto phone = connect();
  after(seconds(8));
  // A whole message, and the start of the next, in one write at 8 s.
  send(*phone, std::string(kRegister) + std::string(kRegister.substr(0, 20)));
  run_until([&] { return receiver_.messages.size() == 1; });
  after(seconds(10));  // 18 s from the accept, 10 s from the second message's first byte
  EXPECT_EQ(transports_->connection_count(), 1U);
  send(*phone, kRegister.substr(20));
  run_until([&] { return receiver_.messages.size() == 2; });
  after(seconds(60));  // complete again: no deadline
  EXPECT_EQ(transports_->connection_count(), 1U);
  send(*phone, kRegister.substr(0, 20));
  after(seconds(11));
  EXPECT_EQ(transports_->connection_count(), 0U);
  EXPECT_EQ(transports_->counters().connections_deadline_closed, 1U);
}

TEST_F(TransportTest, StrangersCannotTakeTheReservedSlots) {
  Limits limits = deadline_limits();
  limits.max_connections = 4;
  limits.reserved_connections = 1;
  limits.max_connections_per_source = 2;
  start(limits);
  std::vector<std::unique_ptr<tcp::socket>> held;
  for (const char* from :
       {"127.0.0.2", "127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}) {
    held.push_back(connect(from));
  }
  // 127.0.0.2's third is over its group's share; then strangers hold their 3 slots, and
  // 127.0.0.4 and .5 find only the reserved one.
  EXPECT_EQ(transports_->connection_count(), 3U);
  EXPECT_EQ(transports_->counters().connections_refused_group, 1U);
  EXPECT_EQ(transports_->counters().connections_refused_strangers, 2U);
  receiver_.known = true;
  held.push_back(connect("127.0.0.6"));
  EXPECT_EQ(transports_->connection_count(), 4U);
  held.push_back(connect("127.0.0.7"));  // the table is full, for the known too
  EXPECT_EQ(transports_->connection_count(), 4U);
  EXPECT_EQ(transports_->counters().connections_refused, 4U);
  EXPECT_EQ(transports_->counters().connections_accepted, 4U);
  // The known connection gives its slot back when it closes, like any other.
  after(seconds(11));
  EXPECT_EQ(transports_->connection_count(), 0U);
  receiver_.known = false;
  for (int i = 0; i < 3; ++i) held.push_back(connect("127.0.0.8"));
  EXPECT_EQ(transports_->connection_count(), 2U);  // its group's share again
}

}  // namespace
}  // namespace hardline::transport
