#pragma once
// UDP and TCP on every listen address, IPv4 and IPv6. Hands whole messages to a Receiver: each
// datagram as it came, and on TCP each message framed by Content-Length (RFC 3261 §18.3). Limits
// on message size, connections (in total, per source group, and slots kept for known sources),
// the time a message may take to arrive, idle time and queued output; hitting one closes the
// connection or drops the datagram, and counts.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/endpoint.h"
#include "common/network.h"
#include "sip/parser.h"

namespace boost::asio {
class io_context;
}

namespace hardline::transport {

struct Limits {
  size_t max_message_size = 65535;
  Millis tcp_idle_timeout{120'000};
  // From a message's first byte (or, for a connection's first message, from the accept) to its
  // last: a slowloris sending a byte now and then is not idle, but is closed at this deadline.
  Millis tcp_message_timeout{10'000};
  size_t max_connections = 1024;
  // Of max_connections, the slots only known sources may take (Admission::known); below
  // max_connections.
  size_t reserved_connections = 256;
  size_t max_connections_per_source = 16;  // per source group (Admission::group)
  size_t max_queued_output = 1 << 20;      // bytes waiting to be written to one connection
};

struct Counters {
  uint64_t datagrams_received = 0;
  uint64_t datagrams_too_large = 0;
  uint64_t stream_messages_received = 0;
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;        // every refusal at accept, for any of the reasons below
  uint64_t connections_refused_group = 0;  // the source group held its share
  uint64_t connections_refused_strangers = 0;  // only reserved slots were left, for known sources
  uint64_t connections_idle_closed = 0;
  uint64_t connections_deadline_closed = 0;  // a message not complete within its deadline
  uint64_t connections_overrun = 0;          // framing error, too large, or output queue full
  uint64_t sent = 0;
  uint64_t send_failures = 0;  // no such connection, or the socket refused
  // accept(2) failed for lack of a resource (EMFILE, ENFILE, ENOBUFS, ENOMEM): the listener
  // waited before trying again (100 ms, doubling to 1 s) rather than spinning.
  uint64_t accept_failures = 0;
};

// An episode of accept(2) failing on a TCP listener for lack of a resource: reported once when
// it starts and once when it ends, so that a log says it once with a count rather than once a try.
struct AcceptTrouble {
  Endpoint listener;
  std::string_view reason;  // "too many open files (EMFILE)", ...: static text
  uint64_t failures = 0;    // failed tries in this episode so far
  Millis lasted{0};         // from the first failure to now
  // false: the first failure of an episode. true: the episode is over (a connection was
  // accepted again, or the listener has not failed for kAcceptQuiet).
  bool ended = false;
};

// The receiver's answer for a TCP connection as it arrives.
struct Admission {
  bool admit = true;  // false: close it at once (a banned source)
  // The source group it counts against for max_connections_per_source (the guard's groups:
  // an IPv6 /64 rather than each of its addresses).
  Network group;
  // May take a reserved slot: the source is known to be good (it authenticated recently).
  bool known = false;
};

// Receives what the transports read. Called on the event loop's thread; `bytes` lives only
// for the call. `source.connection` names the socket or connection to answer on.
class Receiver {
 public:
  virtual ~Receiver() = default;
  virtual void on_message(std::string_view bytes, const Endpoint& source, sip::Framing framing) = 0;
  // Asked when a TCP connection arrives, before anything is read. By default each address is
  // its own group and nobody is known.
  virtual Admission accept_connection(const IpAddress& source) {
    return Admission{true, network_of(source, source.v6 ? 128 : 32), false};
  }
  // A TCP stream that cannot be framed any more. `buffered` holds what was read; the
  // connection closes once anything sent in reply has been written.
  virtual void on_framing_error(std::string_view buffered, const sip::ParseError& error,
                                const Endpoint& source) = 0;
  // A TCP connection closed (by the peer, an error, a limit or idleness), not at shutdown.
  // `peer` names it as messages from it did. Nothing can be sent on it any more.
  virtual void on_connection_closed(const Endpoint& /*peer*/) {}
  // A TCP listener started or stopped failing to accept for lack of a resource.
  virtual void on_accept_trouble(const AcceptTrouble& /*trouble*/) {}
};

class Transports {
 public:
  Transports(boost::asio::io_context& io, const Clock& clock, Limits limits, Receiver& receiver);
  ~Transports();
  Transports(const Transports&) = delete;
  Transports& operator=(const Transports&) = delete;

  // Binds one listen address (start-up only). The error names the address and the reason.
  Result<void, std::string> listen(const Endpoint& address);
  // The address actually bound (port 0 resolved), in the order listened.
  std::vector<Endpoint> local_endpoints() const;

  // Sends one message. UDP: from the socket `to.connection` names (the one the request came
  // in on), else from the first socket of the right family; the datagram waits until the end of
  // the current turn of the event loop and leaves with the turn's others in one sendmmsg(2). TCP:
  // on connection `to.connection`; a closed connection is a counted failure (responses are not
  // rerouted). On a socket bound to a wildcard address, a UDP datagram leaves from `to.local`
  // when that is set (the address the peer's request arrived at), else from the kernel's choice.
  void send(const Endpoint& to, std::string_view bytes);

  // Closes connections idle for longer than the idle timeout, and those whose message in progress
  // (or first message) has taken longer than the message deadline. The server calls it once a
  // second, so both are kept to within a second.
  void sweep();
  // Stops listening and closes every connection.
  void close();

  const Counters& counters() const;
  size_t connection_count() const;
  // Whether some TCP listener failed to accept for lack of a resource within kAcceptQuiet: new
  // connections wait in the kernel's queue (or are refused by it) meanwhile.
  bool accept_starved() const;
  // The first wait after a failed accept(2), doubled at each failure up to the longest; a quiet
  // spell of kAcceptQuiet (no failure) ends the episode.
  static constexpr Millis kAcceptFirstWait{100};
  static constexpr Millis kAcceptLongestWait{1000};
  static constexpr Millis kAcceptQuiet{3000};

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace hardline::transport
